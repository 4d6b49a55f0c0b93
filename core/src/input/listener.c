/* SPDX-License-Identifier: MIT */
/*
 * What the UDP and TCP syslog listeners share: raw message allocation, binding a
 * numeric IPv4/IPv6 address with error sentences naming protocol, address and
 * port, the thread start and stop (an eventfd polled next to the socket wakes
 * the thread), and delivery to the sink with counting.
 */
#include "listener.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"

#define DEFAULT_MAX_MSG      8192
#define DEFAULT_MAX_CLIENTS  1024
#define DEFAULT_IDLE_TIMEOUT 300000
#define UDP_RCVBUF_WANTED    (4 * 1024 * 1024)
#define MAX_MSG_LIMIT        ((size_t)64 * 1024 * 1024)

/*
 * A raw message holding a copy of len bytes plus a NUL, in one allocation;
 * recv_ms is set to the wall clock now and the peer is zeroed (the caller may
 * overwrite both). Never NULL; free with free(). len must fit in 32 bits.
 */
struct raw_msg *raw_msg_new(const char *data, size_t len, uint8_t transport)
{
    struct raw_msg *m;

    assert(len <= UINT32_MAX);
    m = xmalloc(sizeof(*m) + len + 1);
    memset(m, 0, sizeof(*m));
    m->recv_ms = time_now_ms();
    m->transport = transport;
    m->len = (uint32_t)len;
    if (len > 0) {
        memcpy(m->data, data, len);
    }
    m->data[len] = '\0';
    return m;
}

/* Add n to a listener counter; any thread. */
void listener_count(atomic_ullong *counter, unsigned long long n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/*
 * Count m and hand it to the sink, freeing it and counting a drop when the sink
 * refuses. Listener thread only; takes ownership of m.
 */
void listener_deliver(struct listener *l, struct raw_msg *m)
{
    listener_count(&l->stats.received, 1);
    if (m->truncated) {
        listener_count(&l->stats.truncated, 1);
    }
    if (l->sink.submit(l->sink.ud, m) != 0) {
        free(m);
        listener_count(&l->stats.dropped, 1);
    }
}

static const char *proto_name(int transport)
{
    return transport == RAW_UDP ? "udp" : "tcp";
}

/* Parse the numeric address into ss; 0 or -1. */
static int parse_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *ss_len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *ss_len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *ss_len = sizeof(*in6);
        return 0;
    }
    return -1;
}

static void set_where(struct listener *l, const char *addr, int port)
{
    if (strchr(addr, ':') != NULL) {
        snprintf(l->where, sizeof(l->where), "%s [%s]:%d", proto_name(l->transport), addr, port);
    } else {
        snprintf(l->where, sizeof(l->where), "%s %s:%d", proto_name(l->transport), addr, port);
    }
}

/* Options before bind: address reuse for TCP, a big receive buffer for UDP. */
static void set_options(struct listener *l)
{
    int one = 1;
    int rcvbuf = UDP_RCVBUF_WANTED;

    if (l->transport == RAW_TCP) {
        setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        return;
    }
    /* The kernel caps SO_RCVBUF at net.core.rmem_max; that is the best we can do. */
    if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0) {
        log_msg(4, "cannot raise the receive buffer of %s: %s", l->where, strerror(errno));
    }
    /* Ask for the kernel's drop count with every datagram (see kernel_drops()). */
    if (setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0) {
        log_msg(4, "cannot count kernel drops on %s: %s", l->where, strerror(errno));
    }
}

static void close_fds(struct listener *l)
{
    if (l->fd >= 0) {
        close(l->fd);
    }
    if (l->wake_fd >= 0) {
        close(l->wake_fd);
    }
}

/*
 * Check cfg, apply the defaults, bind the socket (TCP: and listen) and create
 * the wake fd. Returns the listener without a thread yet, or NULL with a
 * sentence naming protocol, address and port in err.
 */
struct listener *listener_open(const struct listener_cfg *cfg, struct ingest_sink sink,
                               int transport, char *err, size_t err_len)
{
    struct listener *l = xcalloc(1, sizeof(*l));
    const char *addr = cfg->addr != NULL ? cfg->addr : "";
    struct sockaddr_storage ss;
    socklen_t ss_len;
    int type = transport == RAW_UDP ? SOCK_DGRAM : SOCK_STREAM;

    l->transport = transport;
    l->fd = -1;
    l->wake_fd = -1;
    l->sink = sink;
    l->max_msg = cfg->max_msg ? cfg->max_msg : DEFAULT_MAX_MSG;
    l->max_clients = cfg->max_clients > 0 ? cfg->max_clients : DEFAULT_MAX_CLIENTS;
    l->idle_timeout_ms = cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : DEFAULT_IDLE_TIMEOUT;
    set_where(l, addr, cfg->port);
    if (cfg->port < 0 || cfg->port > 65535) {
        snprintf(err, err_len, "cannot listen on %s: the port is not between 0 and 65535",
                 l->where);
        goto out_free;
    }
    if (l->max_msg > MAX_MSG_LIMIT || sink.submit == NULL) {
        snprintf(err, err_len, "cannot listen on %s: %s", l->where,
                 sink.submit == NULL ? "no sink to deliver to"
                                     : "the maximum message size is over 64 MiB");
        goto out_free;
    }
    if (parse_addr(addr, cfg->port, &ss, &ss_len) != 0) {
        snprintf(err, err_len, "cannot listen on %s: \"%s\" is not a numeric IPv4 or IPv6 address",
                 l->where, addr);
        goto out_free;
    }
    l->fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(err, err_len, "cannot create a socket for %s: %s", l->where, strerror(errno));
        goto out_free;
    }
    set_options(l);
    if (bind(l->fd, (struct sockaddr *)&ss, ss_len) != 0) {
        snprintf(err, err_len, "cannot bind %s: %s", l->where, strerror(errno));
        goto out_close;
    }
    if (transport == RAW_TCP && listen(l->fd, SOMAXCONN) != 0) {
        snprintf(err, err_len, "cannot listen on %s: %s", l->where, strerror(errno));
        goto out_close;
    }
    l->port = socket_bound_port(l->fd);
    set_where(l, addr, l->port);
    l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wake_fd < 0) {
        snprintf(err, err_len, "cannot create the wake-up fd of %s: %s", l->where, strerror(errno));
        goto out_close;
    }
    return l;

out_close:
    close_fds(l);
out_free:
    free(l);
    return NULL;
}

/* Start the thread running run(l): 0, or -1 with err set and l freed. */
int listener_launch(struct listener *l, void *(*run)(void *), char *err, size_t err_len)
{
    int rc = pthread_create(&l->thread, NULL, run, l);

    if (rc != 0) {
        snprintf(err, err_len, "cannot start the thread of %s: %s", l->where, strerror(rc));
        close_fds(l);
        free(l);
        return -1;
    }
    log_msg(7, "listening on %s", l->where);
    return 0;
}

/* The port the listener is bound to (the real one when cfg->port was 0). */
int listener_port(const struct listener *l)
{
    return l->port;
}

/* "udp 127.0.0.1:5514": protocol, address and port, for logs and counters. */
const char *listener_name(const struct listener *l)
{
    return l->where;
}

/* The listener's counters, readable from any thread while it runs. */
struct input_stats *listener_stats(struct listener *l)
{
    return &l->stats;
}

/*
 * Wake the listener thread through its eventfd, join it (it closes its client
 * connections, flushing partial lines to the sink), close the sockets and free
 * l. Call from any thread but the listener's own, once. NULL is ignored.
 */
void listener_stop(struct listener *l)
{
    uint64_t one = 1;
    ssize_t n;

    if (l == NULL) {
        return;
    }
    do {
        n = write(l->wake_fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    close_fds(l);
    free(l);
}
