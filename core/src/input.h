/* SPDX-License-Identifier: MIT */
/*
 * Syslog listeners: UDP (batched with recvmmsg) and TCP (epoll, many clients,
 * RFC 6587 framing per connection). Each runs on its own thread and hands every
 * message, as a struct raw_msg, to a sink; a sink that refuses a message (a full
 * queue) makes the listener count a drop. Nothing is dropped without a count.
 */
#ifndef VG_CORE_INPUT_H
#define VG_CORE_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum raw_transport {
    RAW_UDP = 1,  /* one datagram */
    RAW_TCP = 2,  /* one RFC 6587 frame */
    RAW_FILE = 3, /* one line of a replay file or stdin */
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

#endif /* VG_CORE_INPUT_H */
