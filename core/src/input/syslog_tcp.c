/* SPDX-License-Identifier: MIT */
/*
 * The syslog TCP listener: one thread, one epoll set holding the listening
 * socket, the wake fd and every client connection. Each connection has its own
 * RFC 6587 framer and is kept on a list ordered by last activity, so closing
 * idle connections looks only at the head of the list.
 *
 * A message the sink refuses (the queue is full) is dropped and counted; the
 * sender is not slowed down. One thread serves every connection, so waiting for
 * room on behalf of one sender would stall all of them, and for a correlator a
 * counted loss under overload is better than growing latency.
 */
#define _GNU_SOURCE /* accept4 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "framing.h"
#include "input.h"
#include "listener.h"
#include "util.h"

#define READ_CHUNK ((size_t)64 * 1024)
#define MAX_EVENTS 256
/* epoll data tags of the two fds that are not connections. */
#define TAG_LISTEN ((void *)&tag_listen)
#define TAG_WAKE   ((void *)&tag_wake)

static char tag_listen;
static char tag_wake;

/* One client connection. */
struct conn {
    int fd;                       /* the connected socket, non-blocking */
    struct sockaddr_storage peer; /* the client's address */
    struct framer fr;             /* splits the byte stream into messages */
    int64_t last_ms;              /* monotonic time of the last read */
    struct listener *l;           /* owner, for delivery */
    struct conn *prev;            /* less recently active neighbour */
    struct conn *next;            /* more recently active neighbour */
};

/* The thread's state. */
struct tcp_state {
    struct listener *l;  /* the listener served */
    int ep;              /* the epoll fd */
    int spare_fd;        /* kept open to accept-and-close when out of fds */
    int n_conns;         /* open connections */
    struct conn *oldest; /* head of the activity list: least recently active */
    struct conn *newest; /* tail of the activity list */
    char *buf;           /* READ_CHUNK bytes */
};

static void list_unlink(struct tcp_state *t, struct conn *c)
{
    if (t->oldest == c) {
        t->oldest = c->next;
    } else {
        c->prev->next = c->next;
    }
    if (t->newest == c) {
        t->newest = c->prev;
    } else {
        c->next->prev = c->prev;
    }
    c->prev = NULL;
    c->next = NULL;
}

static void list_append(struct tcp_state *t, struct conn *c)
{
    c->prev = t->newest;
    c->next = NULL;
    if (t->newest != NULL) {
        t->newest->next = c;
    } else {
        t->oldest = c;
    }
    t->newest = c;
}

static void emit(void *ud, const char *msg, size_t len, int truncated)
{
    struct conn *c = ud;
    struct raw_msg *m = raw_msg_new(msg, len, RAW_TCP);

    m->truncated = (uint8_t)(truncated != 0);
    m->peer = c->peer;
    listener_deliver(c->l, m);
}

/* Flush what the framer holds, then close and free the connection. */
static void conn_close(struct tcp_state *t, struct conn *c)
{
    uint64_t bad = c->fr.n_bad_count;

    framer_finish(&c->fr, emit, c);
    listener_count(&t->l->stats.bad_frames, c->fr.n_bad_count - bad);
    list_unlink(t, c);
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    framer_free(&c->fr);
    free(c);
    t->n_conns--;
    listener_count(&t->l->stats.conns_closed, 1);
}

static void conn_add(struct tcp_state *t, int fd, const struct sockaddr_storage *peer)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    struct epoll_event ev = {.events = EPOLLIN};

    c->fd = fd;
    c->peer = *peer;
    c->l = t->l;
    c->last_ms = time_mono_ms();
    framer_init(&c->fr, t->l->max_msg);
    ev.data.ptr = c;
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_msg(4, "cannot watch a connection on %s: %s", t->l->where, strerror(errno));
        listener_count(&t->l->stats.errors, 1);
        framer_free(&c->fr);
        free(c);
        close(fd);
        return;
    }
    list_append(t, c);
    t->n_conns++;
    listener_count(&t->l->stats.conns, 1);
}

/* Out of fds: free the spare one to accept and close the waiting client; 0 or -1. */
static int shed_one(struct tcp_state *t)
{
    int fd;

    if (t->spare_fd < 0) {
        return -1;
    }
    close(t->spare_fd);
    fd = accept(t->l->fd, NULL, NULL);
    if (fd >= 0) {
        close(fd);
        listener_count(&t->l->stats.conns_refused, 1);
    }
    t->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? 0 : -1;
}

/* accept4 failed with errno: 1 to keep accepting, 0 to stop for now. */
static int accept_failed(struct tcp_state *t)
{
    if (errno == EINTR || errno == ECONNABORTED) {
        return 1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    listener_count(&t->l->stats.errors, 1);
    if (errno == EMFILE || errno == ENFILE) {
        return shed_one(t) == 0;
    }
    return 0;
}

static void accept_all(struct tcp_state *t)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        int fd;

        memset(&peer, 0, sizeof(peer));
        fd = accept4(t->l->fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (accept_failed(t)) {
                continue;
            }
            return;
        }
        if (t->n_conns >= t->l->max_clients) {
            close(fd);
            listener_count(&t->l->stats.conns_refused, 1);
            continue;
        }
        conn_add(t, fd, &peer);
    }
}

/* One read per readiness event keeps busy clients from starving the others. */
static void conn_read(struct tcp_state *t, struct conn *c)
{
    ssize_t n;
    uint64_t bad;

    do {
        n = read(c->fd, t->buf, READ_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        }
        listener_count(&t->l->stats.errors, 1);
        conn_close(t, c);
        return;
    }
    if (n == 0) {
        conn_close(t, c);
        return;
    }
    listener_count(&t->l->stats.bytes, (unsigned long long)n);
    bad = c->fr.n_bad_count;
    framer_feed(&c->fr, t->buf, (size_t)n, emit, c);
    listener_count(&t->l->stats.bad_frames, c->fr.n_bad_count - bad);
    c->last_ms = time_mono_ms();
    list_unlink(t, c);
    list_append(t, c);
}

/* Close connections idle too long; returns the epoll timeout until the next one is due. */
static int expire_idle(struct tcp_state *t)
{
    int64_t now = time_mono_ms();
    int64_t wait_ms;

    while (t->oldest != NULL && now - t->oldest->last_ms >= t->l->idle_timeout_ms) {
        log_msg(7, "closing an idle connection on %s", t->l->where);
        conn_close(t, t->oldest);
    }
    if (t->oldest == NULL) {
        return -1;
    }
    wait_ms = t->oldest->last_ms + t->l->idle_timeout_ms - now;
    return wait_ms > INT_MAX ? INT_MAX : (int)wait_ms;
}

static int watch(struct tcp_state *t, int fd, void *tag)
{
    struct epoll_event ev = {.events = EPOLLIN};

    ev.data.ptr = tag;
    return epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void serve(struct tcp_state *t)
{
    struct epoll_event evs[MAX_EVENTS];

    for (;;) {
        int timeout_ms = expire_idle(t);
        int n = epoll_wait(t->ep, evs, MAX_EVENTS, timeout_ms);
        int i;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_msg(3, "cannot wait for events on %s: %s", t->l->where, strerror(errno));
            return;
        }
        /* The wake fd first: a stop must not wait behind a busy batch. */
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr == TAG_WAKE) {
                return;
            }
        }
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr == TAG_LISTEN) {
                accept_all(t);
            } else {
                conn_read(t, evs[i].data.ptr);
            }
        }
    }
}

static void *tcp_run(void *arg)
{
    struct tcp_state t = {.l = arg, .spare_fd = -1};

    t.buf = xmalloc(READ_CHUNK);
    t.ep = epoll_create1(EPOLL_CLOEXEC);
    if (t.ep < 0 || watch(&t, t.l->fd, TAG_LISTEN) != 0 || watch(&t, t.l->wake_fd, TAG_WAKE) != 0) {
        log_msg(3, "cannot set up epoll for %s: %s", t.l->where, strerror(errno));
        listener_count(&t.l->stats.errors, 1);
        goto out;
    }
    t.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    serve(&t);
    while (t.oldest != NULL) {
        conn_close(&t, t.oldest);
    }
out:
    if (t.spare_fd >= 0) {
        close(t.spare_fd);
    }
    if (t.ep >= 0) {
        close(t.ep);
    }
    free(t.buf);
    return NULL;
}

/*
 * Bind and listen on cfg->addr:cfg->port over TCP and start the thread serving
 * up to cfg->max_clients connections, each split into messages by RFC 6587
 * framing and delivered to sink. Returns NULL with a sentence in err on
 * failure. Stop with listener_stop, which closes every connection.
 */
struct listener *listener_start_tcp(const struct listener_cfg *cfg, struct ingest_sink sink,
                                    char *err, size_t err_len)
{
    struct listener *l = listener_open(cfg, sink, RAW_TCP, err, err_len);

    if (l == NULL) {
        return NULL;
    }
    if (listener_launch(l, tcp_run, err, err_len) != 0) {
        return NULL;
    }
    return l;
}
