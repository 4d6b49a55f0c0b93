/* SPDX-License-Identifier: MIT */
/*
 * Private to the syslog listeners (core/src/input/): the listener object shared
 * by the UDP and TCP transports, and the helpers that bind sockets, run the
 * thread, deliver messages to the sink and stop. Nothing outside input/ uses it.
 */
#ifndef VG_CORE_INPUT_LISTENER_H
#define VG_CORE_INPUT_LISTENER_H

#include <pthread.h>

#include "input.h"

/* One listener: a bound socket, its thread, its sink and its counters. */
struct listener {
    int transport;            /* RAW_UDP or RAW_TCP */
    int fd;                   /* the bound (TCP: listening) socket, non-blocking */
    int wake_fd;              /* eventfd written by listener_stop to end the thread */
    int port;                 /* the bound port */
    char where[80];           /* "udp 127.0.0.1:514", for messages */
    size_t max_msg;           /* maximum message size, default applied */
    int max_clients;          /* TCP: concurrent connections, default applied */
    int idle_timeout_ms;      /* TCP: idle connections are closed after this */
    struct ingest_sink sink;  /* where messages go */
    struct input_stats stats; /* counters, updated by the thread */
    pthread_t thread;         /* the listener thread */
};

/*
 * Create a listener for transport (RAW_UDP or RAW_TCP): check cfg, apply the
 * defaults, create, configure and bind the socket (TCP: and listen), and create
 * the wake fd. Returns NULL with a sentence in err on failure. The thread is not
 * started yet: see listener_launch.
 */
struct listener *listener_open(const struct listener_cfg *cfg, struct ingest_sink sink,
                               int transport, char *err, size_t err_len);
/*
 * Start the listener thread running run(l). Returns 0, or -1 with a sentence in
 * err after freeing l (so the caller just returns NULL).
 */
int listener_launch(struct listener *l, void *(*run)(void *), char *err, size_t err_len);
/*
 * Count m as received (and truncated if flagged) and hand it to the sink; when
 * the sink refuses it is freed and counted as dropped. Called on the listener
 * thread; takes ownership of m.
 */
void listener_deliver(struct listener *l, struct raw_msg *m);
/* Add n to a counter (relaxed: counters are statistics, not synchronisation). */
void listener_count(atomic_ullong *counter, unsigned long long n);

#endif /* VG_CORE_INPUT_LISTENER_H */
