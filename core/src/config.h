/* SPDX-License-Identifier: MIT */
/*
 * vigild's configuration: defaults, the JSON config file (schemas/vigild.schema.json)
 * and the command-line options every mode shares, applied in that order.
 */
#ifndef VG_CORE_CONFIG_H
#define VG_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "util.h"

#define CONFIG_MAX_PATHS 32

struct strvec {
    size_t n;                  /* entries */
    char *v[CONFIG_MAX_PATHS]; /* owned strings */
};

/* The "snmp" section: the trap receiver (see struct snmp_trap_cfg). */
struct vg_snmp_config {
    struct strvec listen;                    /* "udp:127.0.0.1:1162"; empty: no receiver */
    struct snmp_trap_community *communities; /* v1/v2c access (owned) */
    size_t n_communities;                    /* entries in communities */
    struct snmp_trap_user *users;            /* v3 users (owned; keys included) */
    size_t n_users;                          /* entries in users */
    char *engine_id;                         /* "0x..." or NULL: derived from the host name */
    char *vigil_mib_dir;                     /* contrib/mibs of the source tree, or installed */
    struct strvec mib_dirs;                  /* further MIB directories */
    int configured;                          /* 1: set in the config file or on the command line */
};

struct vg_config {
    char *file;                /* config file read, or NULL */
    struct strvec rules;       /* rule files or directories */
    struct strvec normalize;   /* normalize template files or directories */
    struct strvec plugin_dirs; /* plugin directories */
    struct strvec udp;         /* syslog UDP listen addresses "host:port" */
    struct strvec tcp;         /* syslog TCP listen addresses "host:port" */
    char *redis_url;           /* NULL: embedded redis-server */
    char *prefix;              /* Redis key prefix */
    char *state_dir;           /* embedded Redis and other state */
    char *events_out;          /* path or "-" or NULL */
    char *inventory;           /* inventory file (reloaded on SIGHUP), or NULL */
    int workers;               /* correlation threads */
    int action_threads;        /* action threads */
    int64_t action_timeout_ms; /* deadline per action call */
    int64_t retention_ms;      /* incidents expire this long after their last event */
    size_t max_msg;            /* maximum syslog message size */
    size_t queue_size;         /* raw message queue */
    size_t pending_max;        /* events held per worker while Redis is down */
    int max_clients;           /* TCP clients */
    int log_level;             /* 3..7 */
    int default_tz_min;        /* zone of stamps without one */

    /* The SNMP trap receiver. */
    struct vg_snmp_config snmp; /* listen, policy, users, MIBs */
};

/* Fill the built-in defaults (paths of the build tree when run from it). */
void config_defaults(struct vg_config *c);
/* Read a JSON config file over c; errors with file, path and reason to diag. 0 or -1. */
int config_load(struct vg_config *c, const char *file, struct diag *diag);
void config_free(struct vg_config *c);
/* Replace a list with one value (the first call), or append (later calls). */
void strvec_set(struct strvec *v, const char *s, int *replaced);
void strvec_push(struct strvec *v, const char *s);
void strvec_clear(struct strvec *v);
/* Split "host:port" or "[v6]:port" into host and port; 0 or -1. */
int config_split_hostport(const char *s, char *host, size_t host_len, int *port);
/* The URL of the embedded Redis of a state directory. */
char *config_embedded_url(const char *state_dir);
/*
 * The trap receiver's view of c->snmp, pointing into c (valid while c is).
 * listen receives the addresses' pointers (at most CONFIG_MAX_PATHS).
 */
void config_snmp_trap_cfg(const struct vg_config *c, struct snmp_trap_cfg *out,
                          const char **listen);

#endif /* VG_CORE_CONFIG_H */
