/* SPDX-License-Identifier: MIT */
/*
 * The syslog UDP listener: one thread polling the socket and the wake fd, and
 * draining the socket with recvmmsg in batches of 64 datagrams. Every datagram
 * becomes one raw message, byte for byte (a trailing LF is left to the parser);
 * datagrams longer than max_msg are cut and flagged truncated.
 */
#define _GNU_SOURCE /* recvmmsg */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "input.h"
#include "listener.h"
#include "util.h"

#define UDP_BATCH 64
/* Batches read before polling again, so a flood cannot delay a stop request. */
#define UDP_BATCHES_PER_WAKE 16

/* The receive state of the thread: one buffer of max_msg + 1 bytes per slot. */
struct udp_batch {
    struct mmsghdr msgs[UDP_BATCH];           /* recvmmsg vector */
    struct iovec iov[UDP_BATCH];              /* one buffer per message */
    struct sockaddr_storage peers[UDP_BATCH]; /* sender of each message */
    /* Ancillary data of each message (SO_RXQ_OVFL); CMSG_SPACE keeps rows aligned. */
    _Alignas(size_t) char ctrl[UDP_BATCH][CMSG_SPACE(sizeof(uint32_t))];
    char *bufs;  /* UDP_BATCH buffers of slot bytes */
    size_t slot; /* max_msg + 1 */
};

static void batch_reset(struct udp_batch *b)
{
    size_t i;

    for (i = 0; i < UDP_BATCH; i++) {
        b->iov[i].iov_base = b->bufs + i * b->slot;
        b->iov[i].iov_len = b->slot;
        memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
        b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
        b->msgs[i].msg_hdr.msg_name = &b->peers[i];
        b->msgs[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
        b->msgs[i].msg_hdr.msg_control = b->ctrl[i];
        b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctrl[i]);
    }
}

/*
 * SO_RXQ_OVFL hands every datagram the socket's running count of datagrams the
 * kernel dropped because the receive buffer was full: keep the latest, so drops
 * before vigil ever saw a byte are counted too.
 */
static void kernel_drops(struct listener *l, const struct msghdr *h)
{
    struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR((struct msghdr *)(uintptr_t)h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
            c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            uint32_t n;

            memcpy(&n, CMSG_DATA(c), sizeof(n));
            atomic_store(&l->stats.kernel_dropped, n);
        }
    }
}

static void deliver_one(struct listener *l, struct udp_batch *b, size_t i, int64_t now_ms)
{
    const struct msghdr *h = &b->msgs[i].msg_hdr;
    size_t len = b->msgs[i].msg_len;
    int truncated = (h->msg_flags & MSG_TRUNC) != 0 || len > l->max_msg;
    struct raw_msg *m;

    if (len > l->max_msg) {
        len = l->max_msg;
    }
    m = raw_msg_new(b->iov[i].iov_base, len, RAW_UDP);
    m->recv_ms = now_ms;
    m->truncated = (uint8_t)truncated;
    if (h->msg_namelen <= sizeof(m->peer)) {
        memcpy(&m->peer, h->msg_name, h->msg_namelen);
    }
    listener_count(&l->stats.bytes, b->msgs[i].msg_len);
    kernel_drops(l, h);
    listener_deliver(l, m);
}

/* Read what the socket holds, a bounded number of batches; -1 on a fatal error. */
static int drain(struct listener *l, struct udp_batch *b)
{
    int round;

    for (round = 0; round < UDP_BATCHES_PER_WAKE; round++) {
        int n;
        int64_t now_ms;
        int i;

        batch_reset(b);
        n = recvmmsg(l->fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return 0;
            }
            listener_count(&l->stats.errors, 1);
            if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT || errno == EINVAL) {
                log_msg(3, "cannot receive on %s: %s", l->where, strerror(errno));
                return -1;
            }
            return 0;
        }
        now_ms = time_now_ms();
        for (i = 0; i < n; i++) {
            deliver_one(l, b, (size_t)i, now_ms);
        }
        if (n < UDP_BATCH) {
            return 0;
        }
    }
    return 0;
}

static void *udp_run(void *arg)
{
    struct listener *l = arg;
    struct udp_batch *b = xcalloc(1, sizeof(*b));
    struct pollfd pfd[2];

    b->slot = l->max_msg + 1;
    b->bufs = xmalloc(UDP_BATCH * b->slot);
    pfd[0].fd = l->fd;
    pfd[0].events = POLLIN;
    pfd[1].fd = l->wake_fd;
    pfd[1].events = POLLIN;
    for (;;) {
        int n = poll(pfd, 2, -1);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_msg(3, "cannot poll %s: %s", l->where, strerror(errno));
            break;
        }
        if (pfd[1].revents != 0) {
            break;
        }
        if (pfd[0].revents != 0 && drain(l, b) != 0) {
            break;
        }
    }
    free(b->bufs);
    free(b);
    return NULL;
}

/*
 * Bind a UDP socket to cfg->addr:cfg->port, raise its receive buffer (4 MiB, as
 * far as net.core.rmem_max allows) and start the receive thread delivering each
 * datagram to sink. Returns NULL with a sentence in err on failure. Stop with
 * listener_stop.
 */
struct listener *listener_start_udp(const struct listener_cfg *cfg, struct ingest_sink sink,
                                    char *err, size_t err_len)
{
    struct listener *l = listener_open(cfg, sink, RAW_UDP, err, err_len);

    if (l == NULL) {
        return NULL;
    }
    if (listener_launch(l, udp_run, err, err_len) != 0) {
        return NULL;
    }
    return l;
}
