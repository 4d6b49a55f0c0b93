/* SPDX-License-Identifier: MIT */
/*
 * vigild's configuration: defaults, the JSON config file (schemas/vigild.schema.json)
 * and the command-line options every mode shares, applied in that order.
 */
#ifndef VG_CORE_CONFIG_H
#define VG_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CONFIG_MAX_PATHS 32

struct strvec {
    size_t n;                  /* entries */
    char *v[CONFIG_MAX_PATHS]; /* owned strings */
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

#endif /* VG_CORE_CONFIG_H */
