/* SPDX-License-Identifier: MIT */
/*
 * Listeners: syslog over UDP (batched with recvmmsg) and TCP (epoll, many
 * clients, RFC 6587 framing per connection), and the SNMP trap receiver
 * (net-snmp, v1/v2c/v3, one thread for every trap address). Each runs on its
 * own thread and hands every message, as a struct raw_msg, to a sink; a sink
 * that refuses a message (a full queue) makes the listener count a drop.
 * Nothing is dropped without a count.
 */
#ifndef VG_CORE_INPUT_H
#define VG_CORE_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

enum raw_transport {
    RAW_UDP = 1,  /* one datagram */
    RAW_TCP = 2,  /* one RFC 6587 frame */
    RAW_FILE = 3, /* one line of a replay file or stdin */
    RAW_SNMP = 4, /* one accepted trap or inform, already converted to event JSON */
};

/* One received message, allocated in one block with its bytes. */
struct raw_msg {
    int64_t recv_ms;              /* wall clock at receipt */
    struct sockaddr_storage peer; /* sender (zeroed for RAW_FILE) */
    uint8_t transport;            /* enum raw_transport */
    uint8_t truncated;            /* 1: cut to the maximum message size */
    uint32_t len;                 /* bytes in data */
    char data[];                  /* the message, NUL-terminated */
};

/* A new raw message holding a copy of len bytes; never NULL. Free with free(). */
struct raw_msg *raw_msg_new(const char *data, size_t len, uint8_t transport);

/* Where listeners deliver: submit takes ownership; nonzero means refused (caller frees). */
struct ingest_sink {
    int (*submit)(void *ud, struct raw_msg *m); /* 0: taken; nonzero: full, not taken */
    void *ud;                                   /* passed to submit */
};

/* Counters of one listener, read by stats at any time. */
struct input_stats {
    atomic_ullong received;       /* messages handed to the sink or refused */
    atomic_ullong bytes;          /* bytes received */
    atomic_ullong truncated;      /* messages cut to the maximum size */
    atomic_ullong kernel_dropped; /* UDP: datagrams the kernel dropped, receive buffer full */
    atomic_ullong dropped;        /* refused by the sink (queue full) */
    atomic_ullong conns;          /* TCP connections accepted */
    atomic_ullong conns_refused;  /* TCP connections refused (too many clients) */
    atomic_ullong bad_frames;     /* TCP octet counts that were not numbers */
    atomic_ullong errors;         /* socket errors */
    atomic_ullong conns_closed;   /* TCP connections closed again (conns - conns_closed are open) */
};

struct listener;

struct listener_cfg {
    const char *addr;    /* numeric address to bind, e.g. "127.0.0.1" or "::1" */
    int port;            /* port; 0 picks a free one (see listener_port) */
    size_t max_msg;      /* maximum message size in bytes (default 8192) */
    int max_clients;     /* TCP: concurrent connections (default 1024) */
    int idle_timeout_ms; /* TCP: close a connection idle this long (default 300000) */
};

/*
 * Bind and start a listener thread. Returns NULL with a sentence in err
 * ("cannot bind udp 127.0.0.1:5514: Address already in use") on failure.
 */
struct listener *listener_start_udp(const struct listener_cfg *cfg, struct ingest_sink sink,
                                    char *err, size_t err_len);
struct listener *listener_start_tcp(const struct listener_cfg *cfg, struct ingest_sink sink,
                                    char *err, size_t err_len);
/* The bound port (useful when cfg->port was 0). */
int listener_port(const struct listener *l);
/* "udp 127.0.0.1:5514": protocol, address and port. */
const char *listener_name(const struct listener *l);
/* The listener's counters. */
struct input_stats *listener_stats(struct listener *l);
/* Stop the thread, close every socket and free the listener. NULL is ignored. */
void listener_stop(struct listener *l);

/* ---- SNMP traps (input/snmp_trap.c) ---- */

#define SNMP_TRAP_MAX_LISTEN 32

/* USM security levels, as in RFC 3414 (and net-snmp's SNMP_SEC_LEVEL_*). */
enum snmp_trap_level {
    SNMP_TRAP_NOAUTH = 1, /* noAuthNoPriv */
    SNMP_TRAP_AUTH = 2,   /* authNoPriv */
    SNMP_TRAP_PRIV = 3,   /* authPriv */
};

/* v1/v2c access: one community string accepted from some networks. */
struct snmp_trap_community {
    char *community;   /* the community string (a secret: never logged) */
    struct cidr *nets; /* source networks it is accepted from */
    size_t n_nets;     /* entries in nets; 0: from nowhere */
};

/* One SNMPv3 USM user. */
struct snmp_trap_user {
    char *name;          /* security name */
    char *auth;          /* "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384" or "SHA-512" */
    char *auth_key;      /* authentication pass phrase (never logged) */
    char *priv;          /* "DES", "AES", "AES-192", "AES-256", or NULL: no privacy */
    char *priv_key;      /* privacy pass phrase (never logged), or NULL */
    char **engine_ids;   /* the senders' engine ids as hex ("0x8000..."), for traps */
    size_t n_engine_ids; /* entries in engine_ids (the user also exists for vigild's own) */
    int min_level;       /* enum snmp_trap_level: lower levels are rejected */
};

/* What the trap receiver needs; read only while snmp_trap_start runs. */
struct snmp_trap_cfg {
    const char *const *listen;                     /* "udp:127.0.0.1:1162", "udp6:[::1]:162" */
    size_t n_listen;                               /* entries in listen (1..32) */
    const struct snmp_trap_community *communities; /* v1/v2c access */
    size_t n_communities;                          /* entries in communities */
    const struct snmp_trap_user *users;            /* v3 users */
    size_t n_users;                                /* entries in users */
    const char *engine_id;       /* vigild's engine id ("0x..."), or NULL: from the host name */
    const char *vigil_mib_dir;   /* vigil's MIB modules, or NULL */
    const char *const *mib_dirs; /* further MIB directories */
    size_t n_mib_dirs;           /* entries in mib_dirs */
};

struct snmp_trap;

/*
 * 0 when s is a listen address snmp_trap_start accepts ("udp:ADDRESS:PORT",
 * "udp6:[ADDRESS]:PORT" or "ADDRESS:PORT", numeric); else -1 with a sentence in err.
 */
int snmp_trap_check_listen(const char *s, char *err, size_t err_len);

/*
 * Start the trap receiver thread: it sets up net-snmp (it alone calls net-snmp
 * from then on), loads the MIBs, creates the v3 users, binds every address and
 * delivers each accepted notification as a RAW_SNMP raw message (event JSON,
 * peer set) to sink; informs are acknowledged once the sink took them. Returns
 * once it listens, or NULL with a sentence in err ("cannot listen for SNMP traps
 * on udp 127.0.0.1:162: Permission denied"). One receiver per process.
 */
struct snmp_trap *snmp_trap_start(const struct snmp_trap_cfg *cfg, struct ingest_sink sink,
                                  char *err, size_t err_len);
/* Addresses it listens on. */
size_t snmp_trap_count(const struct snmp_trap *t);
/* "udp 127.0.0.1:1162" of address i, and its bound port (the real one for port 0). */
const char *snmp_trap_name(const struct snmp_trap *t, size_t i);
int snmp_trap_port(const struct snmp_trap *t, size_t i);
/*
 * Append one listener object per address (counters: received, accepted,
 * rejections by reason, ...) to out, each preceded by a comma unless first is 1.
 * Any thread.
 */
void snmp_trap_stats_json(struct snmp_trap *t, struct sbuf *out, int first);
/* Stop the thread, close the sockets, shut net-snmp down, free t. NULL is ignored. */
void snmp_trap_stop(struct snmp_trap *t);

#endif /* VG_CORE_INPUT_H */
