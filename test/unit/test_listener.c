/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the syslog UDP and TCP listeners over loopback: real datagrams
 * and real TCP streams from many client threads, exact messages and peer
 * addresses, truncation, a refusing sink, max_clients, idle timeout, hostile
 * random input, prompt stop, bind errors, and util-linux logger as a sender.
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "queue.h"
#include "util.h"

extern char **environ;

#define N_CLIENTS       20
#define MSGS_PER_CLIENT 200
#define WAIT_MS         10000

/* ---------------------------------------------------------------------------
 * Helpers: sinks, waiting, sockets.
 */

static int sink_queue(void *ud, struct raw_msg *m)
{
    return queue_try_push(ud, m);
}

static int sink_refuse(void *ud, struct raw_msg *m)
{
    (void)ud;
    (void)m;
    return 1;
}

static struct ingest_sink queue_sink(struct queue *q)
{
    struct ingest_sink s = {.submit = sink_queue, .ud = q};

    return s;
}

static void nap_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};

    nanosleep(&ts, NULL);
}

/* Wait (up to WAIT_MS) until *c reaches want; returns the value seen. */
static unsigned long long wait_counter(atomic_ullong *c, unsigned long long want)
{
    int64_t deadline = time_mono_ms() + WAIT_MS;
    unsigned long long v;

    while ((v = atomic_load(c)) < want && time_mono_ms() < deadline) {
        nap_ms(1);
    }
    return v;
}

static void stop_quick(struct listener *l)
{
    int64_t t0 = time_mono_ms();

    listener_stop(l);
    CU_ASSERT(time_mono_ms() - t0 < 1000);
}

static void free_all(struct queue *q)
{
    struct raw_msg *m;

    while ((m = queue_pop(q, 0)) != NULL) {
        free(m);
    }
    queue_free(q);
}

static struct listener_cfg cfg_local(void)
{
    struct listener_cfg c = {.addr = "127.0.0.1"};

    return c;
}

static int local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        return -1;
    }
    return ntohs(sa.sin_port);
}

static int peer_port(const struct raw_msg *m)
{
    const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)&m->peer;

    return ntohs(sa->sin_port);
}

static int peer_is_loopback4(const struct raw_msg *m)
{
    const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)&m->peer;

    return sa->sin_family == AF_INET && sa->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static struct sockaddr_in addr_local(int port)
{
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* A UDP socket bound to 127.0.0.1 on a free port. */
static int udp_client(void)
{
    struct sockaddr_in sa = addr_local(0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int udp_send(int fd, int port, const void *data, size_t len)
{
    struct sockaddr_in sa = addr_local(port);

    return sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len ? 0 : -1;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sa = addr_local(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* True when the server closed fd (EOF or reset) within timeout_ms. */
static int closed_by_peer(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;

    if (poll(&p, 1, timeout_ms) <= 0) {
        return 0;
    }
    return read(fd, &c, 1) <= 0;
}

/* Pop until a message equal to text arrives (others are freed); 1 if found. */
static int wait_text(struct queue *q, const char *text, int timeout_ms)
{
    int64_t deadline = time_mono_ms() + timeout_ms;
    int64_t left;

    while ((left = deadline - time_mono_ms()) > 0) {
        struct raw_msg *m = queue_pop(q, (int)left);
        int found;

        if (m == NULL) {
            return 0;
        }
        found = strcmp(m->data, text) == 0;
        free(m);
        if (found) {
            return 1;
        }
    }
    return 0;
}

/*
 * Pop a message or fail the test fatally. CUnit's fatal assertion leaves with a
 * longjmp static analysis cannot see; the abort() tells it NULL stops here.
 */
static struct raw_msg *must_pop(struct queue *q)
{
    struct raw_msg *m = queue_pop(q, WAIT_MS);

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    if (m == NULL) {
        abort();
    }
    return m;
}

/* xorshift64*: deterministic pseudo-random numbers. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* ---------------------------------------------------------------------------
 * UDP.
 */

static void test_udp_messages(void)
{
    struct queue *q = queue_new(1024);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    int fds[2];
    int ports[2];
    int seen[2][10] = {{0}};
    unsigned long long bytes = 0;
    int64_t t0 = time_now_ms();
    int bad = 0;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT(listener_port(l) > 0);
    for (i = 0; i < 2; i++) {
        fds[i] = udp_client();
        CU_ASSERT_FATAL(fds[i] >= 0);
        ports[i] = local_port(fds[i]);
    }
    for (i = 0; i < 20; i++) {
        char msg[64];
        int n =
            snprintf(msg, sizeof(msg), "<13>Jan  1 00:00:00 h app: sock %d msg %d", i % 2, i / 2);

        CU_ASSERT_EQUAL(udp_send(fds[i % 2], listener_port(l), msg, (size_t)n), 0);
        bytes += (unsigned long long)n;
    }
    for (i = 0; i < 20; i++) {
        struct raw_msg *m = queue_pop(q, WAIT_MS);
        int s;
        int k;

        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        if (sscanf(m->data, "<13>Jan  1 00:00:00 h app: sock %d msg %d", &s, &k) != 2 || s < 0 ||
            s > 1 || k < 0 || k > 9 || m->len != strlen(m->data)) {
            bad++;
        } else {
            seen[s][k]++;
            bad += peer_port(m) != ports[s] || !peer_is_loopback4(m);
        }
        bad += m->transport != RAW_UDP || m->truncated != 0;
        bad += m->recv_ms < t0 - 1000 || m->recv_ms > time_now_ms() + 1000;
        free(m);
    }
    for (i = 0; i < 20; i++) {
        bad += seen[i % 2][i / 2] != 1;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->received), 20);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->bytes), bytes);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->dropped), 0);
    stop_quick(l);
    close(fds[0]);
    close(fds[1]);
    free_all(q);
}

static void test_udp_truncated(void)
{
    struct queue *q = queue_new(16);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l;
    char big[300];
    struct raw_msg *m;
    int fd = udp_client();

    cfg.max_msg = 100;
    l = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_FATAL(fd >= 0);
    memset(big, 'b', sizeof(big));
    CU_ASSERT_EQUAL(udp_send(fd, listener_port(l), big, sizeof(big)), 0);
    CU_ASSERT_EQUAL(udp_send(fd, listener_port(l), big, 100), 0);
    CU_ASSERT_EQUAL(udp_send(fd, listener_port(l), big, 101), 0);
    m = must_pop(q);
    CU_ASSERT_EQUAL(m->len, 100);
    CU_ASSERT_EQUAL(m->truncated, 1);
    CU_ASSERT_EQUAL(m->data[100], '\0');
    free(m);
    m = must_pop(q);
    CU_ASSERT_EQUAL(m->len, 100);
    CU_ASSERT_EQUAL(m->truncated, 0);
    free(m);
    m = must_pop(q);
    CU_ASSERT_EQUAL(m->len, 100);
    CU_ASSERT_EQUAL(m->truncated, 1);
    free(m);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->truncated), 2);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->received), 3);
    stop_quick(l);
    close(fd);
    free_all(q);
}

/* ---------------------------------------------------------------------------
 * TCP with many clients.
 */

struct client {
    int id;    /* client number */
    int port;  /* listener port */
    int local; /* the client's own port, for the peer check */
    int ok;    /* 1 when everything was written */
};

/* Append message seq of client id in the framing chosen by seq. */
static void add_frame(struct sbuf *b, int id, int seq, int last)
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "<%d>Jan  2 03:04:05 host%d prog[%d]: client %d seq %d",
                     8 + seq % 100, id, id, id, seq);

    switch ((id + seq) % 4) {
    case 0:
        sbuf_printf(b, "%d %s", n, msg);
        break;
    case 1:
        sbuf_printf(b, "%s\n", msg);
        break;
    case 2:
        sbuf_printf(b, "%s\r\n", msg);
        break;
    default:
        /* NUL-terminated; the last message of some clients has no terminator at all. */
        sbuf_add(b, msg, (size_t)n);
        if (!last) {
            sbuf_add(b, "", 1);
        }
        break;
    }
}

static void *client_thread(void *arg)
{
    struct client *c = arg;
    struct sbuf b = {0};
    uint64_t rng = 0x1234567ULL + (uint64_t)c->id * 7919;
    size_t off = 0;
    int fd;
    int seq;

    for (seq = 0; seq < MSGS_PER_CLIENT; seq++) {
        add_frame(&b, c->id, seq, seq == MSGS_PER_CLIENT - 1);
    }
    fd = tcp_connect(c->port);
    if (fd < 0) {
        sbuf_free(&b);
        return NULL;
    }
    c->local = local_port(fd);
    /* Random chunk sizes split frames, counts and terminators anywhere. */
    while (off < b.len) {
        size_t n = 1 + (size_t)(rng_next(&rng) % 300);

        if (n > b.len - off) {
            n = b.len - off;
        }
        if (write_all(fd, b.buf + off, n) != 0) {
            break;
        }
        off += n;
    }
    c->ok = off == b.len;
    close(fd);
    sbuf_free(&b);
    return NULL;
}

static void test_tcp_many_clients(void)
{
    struct queue *q = queue_new(N_CLIENTS * MSGS_PER_CLIENT + 16);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    struct client cl[N_CLIENTS];
    pthread_t th[N_CLIENTS];
    int next_seq[N_CLIENTS] = {0};
    int peer_of[N_CLIENTS] = {0};
    int bad = 0;
    int got = 0;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    for (i = 0; i < N_CLIENTS; i++) {
        cl[i] = (struct client){.id = i, .port = listener_port(l)};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, client_thread, &cl[i]), 0);
    }
    for (i = 0; i < N_CLIENTS * MSGS_PER_CLIENT; i++) {
        struct raw_msg *m = queue_pop(q, WAIT_MS);
        char want[128];
        int id;
        int seq;
        const char *p;

        if (m == NULL) {
            break;
        }
        got++;
        p = strstr(m->data, "client ");
        if (p == NULL || sscanf(p, "client %d seq %d", &id, &seq) != 2 || id < 0 ||
            id >= N_CLIENTS) {
            bad++;
            free(m);
            continue;
        }
        snprintf(want, sizeof(want), "<%d>Jan  2 03:04:05 host%d prog[%d]: client %d seq %d",
                 8 + seq % 100, id, id, id, seq);
        /* Exact text, per-connection order, one peer per connection. */
        bad += strcmp(m->data, want) != 0 || m->len != strlen(want);
        bad += seq != next_seq[id]++;
        bad += m->transport != RAW_TCP || m->truncated != 0 || !peer_is_loopback4(m);
        if (peer_of[id] == 0) {
            peer_of[id] = peer_port(m);
        }
        bad += peer_of[id] != peer_port(m);
        free(m);
    }
    for (i = 0; i < N_CLIENTS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT(cl[i].ok);
        CU_ASSERT_EQUAL(peer_of[i], cl[i].local);
        CU_ASSERT_EQUAL(next_seq[i], MSGS_PER_CLIENT);
    }
    CU_ASSERT_EQUAL(got, N_CLIENTS * MSGS_PER_CLIENT);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->conns), N_CLIENTS);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->received), (unsigned long long)got);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->bad_frames), 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->dropped), 0);
    CU_ASSERT_EQUAL(queue_len(q), 0);
    stop_quick(l);
    free_all(q);
}

static void test_tcp_truncated(void)
{
    struct queue *q = queue_new(16);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l;
    struct sbuf b = {0};
    struct raw_msg *m;
    int fd;
    int i;

    cfg.max_msg = 64;
    l = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    sbuf_adds(&b, "1000 ");
    for (i = 0; i < 1000; i++) {
        sbuf_addc(&b, (char)('a' + i % 26));
    }
    for (i = 0; i < 100000; i++) {
        sbuf_addc(&b, 'L');
    }
    sbuf_adds(&b, "\nafter\n");
    fd = tcp_connect(listener_port(l));
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write_all(fd, b.buf, b.len), 0);
    close(fd);
    m = must_pop(q);
    CU_ASSERT_EQUAL(m->len, 64);
    CU_ASSERT_EQUAL(m->truncated, 1);
    CU_ASSERT_EQUAL(strncmp(m->data, "abcdefghijklmnopqrstuvwxyzabcdef", 32), 0);
    free(m);
    m = must_pop(q);
    CU_ASSERT_EQUAL(m->len, 64);
    CU_ASSERT_EQUAL(m->truncated, 1);
    CU_ASSERT_EQUAL(m->data[0], 'L');
    free(m);
    CU_ASSERT(wait_text(q, "after", WAIT_MS));
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->truncated), 2);
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(l)->bytes, b.len), b.len);
    stop_quick(l);
    sbuf_free(&b);
    free_all(q);
}

static void test_refusing_sink(void)
{
    struct listener_cfg cfg = cfg_local();
    struct ingest_sink refuse = {.submit = sink_refuse};
    char err[256];
    struct listener *u = listener_start_udp(&cfg, refuse, err, sizeof(err));
    struct listener *t = listener_start_tcp(&cfg, refuse, err, sizeof(err));
    int ufd = udp_client();
    int tfd;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_FATAL(ufd >= 0);
    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(udp_send(ufd, listener_port(u), "<13>refused", 11), 0);
    }
    tfd = tcp_connect(listener_port(t));
    CU_ASSERT_FATAL(tfd >= 0);
    CU_ASSERT_EQUAL(write_all(tfd, "a\n3 bcd\ne\n", 10), 0);
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(u)->dropped, 5), 5);
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(t)->dropped, 3), 3);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(u)->received), 5);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->received), 3);
    /* Stop with the TCP client still connected. */
    stop_quick(u);
    stop_quick(t);
    close(tfd);
    close(ufd);
}

static void test_max_clients(void)
{
    struct queue *q = queue_new(64);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l;
    int a;
    int b;
    int c;
    int d = -1;
    int64_t deadline;
    int accepted = 0;

    cfg.max_clients = 2;
    l = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    a = tcp_connect(listener_port(l));
    b = tcp_connect(listener_port(l));
    CU_ASSERT_FATAL(a >= 0 && b >= 0);
    CU_ASSERT_EQUAL(write_all(a, "from a\n", 7), 0);
    CU_ASSERT(wait_text(q, "from a", WAIT_MS));
    CU_ASSERT_EQUAL(write_all(b, "from b\n", 7), 0);
    CU_ASSERT(wait_text(q, "from b", WAIT_MS));
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(l)->conns, 2), 2);

    c = tcp_connect(listener_port(l));
    CU_ASSERT_FATAL(c >= 0);
    CU_ASSERT(closed_by_peer(c, WAIT_MS));
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(l)->conns_refused, 1), 1);
    close(c);
    CU_ASSERT_EQUAL(write_all(a, "a again\n", 8), 0);
    CU_ASSERT(wait_text(q, "a again", WAIT_MS));

    /* Once a leaves, a new client fits (retry: the close and the accept may race). */
    close(a);
    deadline = time_mono_ms() + WAIT_MS;
    while (!accepted && time_mono_ms() < deadline) {
        d = tcp_connect(listener_port(l));
        CU_ASSERT_FATAL(d >= 0);
        if (write_all(d, "from d\n", 7) == 0 && wait_text(q, "from d", 300)) {
            accepted = 1;
        } else {
            close(d);
            d = -1;
        }
    }
    CU_ASSERT(accepted);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(l)->conns), 3);
    stop_quick(l);
    close(b);
    if (d >= 0) {
        close(d);
    }
    free_all(q);
}

static void test_idle_timeout(void)
{
    struct queue *q = queue_new(16);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *l;
    int fd;
    int64_t t0;
    int64_t took;

    cfg.idle_timeout_ms = 200;
    l = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    fd = tcp_connect(listener_port(l));
    CU_ASSERT_FATAL(fd >= 0);
    t0 = time_mono_ms();
    CU_ASSERT_EQUAL(write_all(fd, "partial line", 12), 0);
    CU_ASSERT(closed_by_peer(fd, WAIT_MS));
    took = time_mono_ms() - t0;
    CU_ASSERT(took >= 150);
    CU_ASSERT(took < 5000);
    /* The unterminated line is flushed when the idle connection is closed. */
    CU_ASSERT(wait_text(q, "partial line", WAIT_MS));
    stop_quick(l);
    close(fd);
    free_all(q);
}

/* ---------------------------------------------------------------------------
 * Hostile input.
 */

/* What the hostile test popped, per transport. */
struct tally {
    unsigned long long n[3];         /* messages popped, by transport */
    unsigned long long truncated[3]; /* of which flagged truncated */
    int over_max;                    /* messages longer than max_msg */
    size_t max_msg;                  /* the limit both listeners use */
};

static int tally_until(struct queue *q, struct tally *t, const char *text, int timeout_ms)
{
    int64_t deadline = time_mono_ms() + timeout_ms;
    int64_t left;

    while ((left = deadline - time_mono_ms()) > 0 || text == NULL) {
        struct raw_msg *m = queue_pop(q, text == NULL ? 0 : (int)left);
        int found;

        if (m == NULL) {
            return 0;
        }
        if (m->transport == RAW_UDP || m->transport == RAW_TCP) {
            t->n[m->transport]++;
            t->truncated[m->transport] += m->truncated;
        }
        t->over_max += m->len > t->max_msg || m->data[m->len] != '\0';
        found = text != NULL && strcmp(m->data, text) == 0;
        free(m);
        if (found) {
            return 1;
        }
    }
    return 0;
}

/*
 * Pop until the tally of transport matches what the listener counted (every
 * message it counted has reached the queue), or the deadline passes.
 */
static void settle(struct queue *q, struct tally *t, struct listener *l, int transport)
{
    int64_t deadline = time_mono_ms() + WAIT_MS;

    tally_until(q, t, NULL, 0);
    while (atomic_load(&listener_stats(l)->received) != t->n[transport] &&
           time_mono_ms() < deadline) {
        nap_ms(1);
        tally_until(q, t, NULL, 0);
    }
}

struct garbage_client {
    int port;      /* listener port */
    uint64_t seed; /* PRNG seed */
    size_t sent;   /* bytes written */
};

static void *garbage_thread(void *arg)
{
    struct garbage_client *g = arg;
    static const char special[] = "0123456789 \n\r\0";
    char buf[4096];
    int fd = tcp_connect(g->port);
    int k;

    if (fd < 0) {
        return NULL;
    }
    for (k = 0; k < 64; k++) {
        size_t n = 1 + (size_t)(rng_next(&g->seed) % sizeof(buf));
        size_t i;

        for (i = 0; i < n; i++) {
            uint64_t r = rng_next(&g->seed);

            if (r % 4 == 0) {
                buf[i] = special[(r >> 8) % (sizeof(special) - 1)];
            } else {
                buf[i] = (char)(unsigned char)(r >> 16);
            }
        }
        if (write_all(fd, buf, n) != 0) {
            break;
        }
        g->sent += n;
    }
    close(fd);
    return NULL;
}

static void test_hostile(void)
{
    struct queue *q = queue_new(1 << 20);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *u;
    struct listener *t;
    struct garbage_client gc[6];
    pthread_t th[6];
    struct tally tl = {.max_msg = 512};
    uint64_t rng = 42;
    unsigned long long udp_bytes = 0;
    unsigned long long tcp_bytes = 0;
    int64_t deadline;
    char dgram[2048];
    int found = 0;
    int fd = udp_client();
    int tfd;
    int i;

    cfg.max_msg = tl.max_msg;
    u = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    t = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_FATAL(fd >= 0);
    for (i = 0; i < 6; i++) {
        gc[i] = (struct garbage_client){.port = listener_port(t), .seed = 1000 + (uint64_t)i};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, garbage_thread, &gc[i]), 0);
    }
    for (i = 0; i < 4000; i++) {
        size_t n = (size_t)(rng_next(&rng) % sizeof(dgram));
        size_t k;

        for (k = 0; k < n; k++) {
            dgram[k] = (char)rng_next(&rng);
        }
        if (udp_send(fd, listener_port(u), dgram, n) == 0) {
            udp_bytes += n;
        }
        if (i % 500 == 0) {
            tally_until(q, &tl, NULL, 0);
        }
    }
    for (i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        tcp_bytes += gc[i].sent;
    }
    CU_ASSERT_EQUAL(wait_counter(&listener_stats(t)->bytes, tcp_bytes), tcp_bytes);

    /* Both listeners still work (UDP may lose a datagram under load: resend). */
    deadline = time_mono_ms() + WAIT_MS;
    while (!found && time_mono_ms() < deadline) {
        CU_ASSERT_EQUAL(udp_send(fd, listener_port(u), "<13>still alive", 15), 0);
        udp_bytes += 15;
        found = tally_until(q, &tl, "<13>still alive", 300);
    }
    CU_ASSERT(found);
    tfd = tcp_connect(listener_port(t));
    CU_ASSERT_FATAL(tfd >= 0);
    CU_ASSERT_EQUAL(write_all(tfd, "\n<13>tcp alive\n", 15), 0);
    close(tfd);
    CU_ASSERT(tally_until(q, &tl, "<13>tcp alive", WAIT_MS));

    CU_ASSERT_EQUAL(wait_counter(&listener_stats(t)->conns_closed, 7), 7);
    settle(q, &tl, u, RAW_UDP);
    settle(q, &tl, t, RAW_TCP);
    CU_ASSERT_EQUAL(tl.over_max, 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(u)->dropped), 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->dropped), 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(u)->received), tl.n[RAW_UDP]);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->received), tl.n[RAW_TCP]);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(u)->truncated), tl.truncated[RAW_UDP]);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->truncated), tl.truncated[RAW_TCP]);
    CU_ASSERT(tl.n[RAW_UDP] >= 1000);
    CU_ASSERT(tl.truncated[RAW_UDP] >= 100);
    CU_ASSERT(atomic_load(&listener_stats(u)->bytes) <= udp_bytes);
    CU_ASSERT(tl.n[RAW_TCP] >= 100);
    CU_ASSERT(atomic_load(&listener_stats(t)->bad_frames) > 0);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->conns), 7);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->errors), 0);
    stop_quick(u);
    stop_quick(t);
    free_all(q);
    close(fd);
}

/* ---------------------------------------------------------------------------
 * Errors, IPv6, logger.
 */

static void test_bind_errors(void)
{
    struct queue *q = queue_new(4);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    char want[64];
    struct listener *l = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    struct listener *l2;

    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    cfg.port = listener_port(l);
    err[0] = '\0';
    l2 = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NULL(l2);
    snprintf(want, sizeof(want), "cannot bind udp 127.0.0.1:%d: ", cfg.port);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
    stop_quick(l);

    cfg.addr = "not-an-address";
    cfg.port = 5514;
    CU_ASSERT_PTR_NULL(listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "tcp not-an-address:5514"));
    cfg.addr = "::1";
    cfg.port = 70000;
    CU_ASSERT_PTR_NULL(listener_start_udp(&cfg, queue_sink(q), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "udp [::1]:70000"));
    queue_free(q);
}

static int ipv6_loopback_usable(void)
{
    struct sockaddr_in6 sa;
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int ok;

    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static void test_ipv6(void)
{
    struct queue *q = queue_new(16);
    struct listener_cfg cfg = {.addr = "::1"};
    char err[256];
    struct listener *u;
    struct listener *t;
    struct sockaddr_in6 sa;
    struct raw_msg *m;
    int fd;

    if (!ipv6_loopback_usable()) {
        /* No IPv6 here: at least the failure must be a sentence naming the address. */
        CU_ASSERT_PTR_NULL(listener_start_udp(&cfg, queue_sink(q), err, sizeof(err)));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "udp [::1]:0"));
        queue_free(q);
        return;
    }
    u = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    t = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    sa.sin6_port = htons((uint16_t)listener_port(u));
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(sendto(fd, "v6 udp", 6, 0, (struct sockaddr *)&sa, sizeof(sa)), 6);
    close(fd);
    m = must_pop(q);
    CU_ASSERT_STRING_EQUAL(m->data, "v6 udp");
    CU_ASSERT_EQUAL(m->peer.ss_family, AF_INET6);
    free(m);
    sa.sin6_port = htons((uint16_t)listener_port(t));
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    CU_ASSERT_EQUAL(write_all(fd, "6 v6 tcp", 8), 0);
    close(fd);
    m = must_pop(q);
    CU_ASSERT_STRING_EQUAL(m->data, "v6 tcp");
    CU_ASSERT_EQUAL(m->peer.ss_family, AF_INET6);
    free(m);
    stop_quick(u);
    stop_quick(t);
    free_all(q);
}

/* Run /usr/bin/logger with argv; returns its exit status or -1. */
static int run_logger(char *const argv[])
{
    pid_t pid;
    int status;

    if (posix_spawn(&pid, "/usr/bin/logger", NULL, NULL, argv, environ) != 0) {
        return -1;
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

/* Pop until a message containing both needles arrives and return it; fails fatally if none. */
static struct raw_msg *must_find(struct queue *q, const char *a, const char *b)
{
    for (;;) {
        struct raw_msg *m = must_pop(q);

        if (strstr(m->data, a) != NULL && strstr(m->data, b) != NULL) {
            return m;
        }
        free(m);
    }
}

static void test_logger(void)
{
    struct queue *q = queue_new(16);
    struct listener_cfg cfg = cfg_local();
    char err[256];
    struct listener *u = listener_start_udp(&cfg, queue_sink(q), err, sizeof(err));
    struct listener *t = listener_start_tcp(&cfg, queue_sink(q), err, sizeof(err));
    char uport[16];
    char tport[16];
    struct raw_msg *m;

    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL_FATAL(access("/usr/bin/logger", X_OK), 0);
    snprintf(uport, sizeof(uport), "%d", listener_port(u));
    snprintf(tport, sizeof(tport), "%d", listener_port(t));
    {
        char *const argv[] = {"logger",    "--udp", "--server", "127.0.0.1",      "--port", uport,
                              "--rfc3164", "-t",    "tagx",     "hello from udp", NULL};

        CU_ASSERT_EQUAL(run_logger(argv), 0);
    }
    m = must_find(q, "tagx", "hello from udp");
    CU_ASSERT_EQUAL(m->data[0], '<');
    CU_ASSERT_EQUAL(m->transport, RAW_UDP);
    CU_ASSERT(peer_is_loopback4(m));
    free(m);
    {
        char *const argv[] = {"logger",   "--tcp",     "--octet-count",  "--rfc5424",
                              "--server", "127.0.0.1", "--port",         tport,
                              "-t",       "tagy",      "hello from tcp", NULL};

        CU_ASSERT_EQUAL(run_logger(argv), 0);
    }
    m = must_find(q, "tagy", "hello from tcp");
    CU_ASSERT_EQUAL(strncmp(m->data, "<13>1 ", 6), 0);
    CU_ASSERT_EQUAL(m->transport, RAW_TCP);
    CU_ASSERT_EQUAL(m->truncated, 0);
    CU_ASSERT(m->len >= 14 && strcmp(m->data + m->len - 14, "hello from tcp") == 0);
    free(m);
    CU_ASSERT_EQUAL(atomic_load(&listener_stats(t)->bad_frames), 0);
    stop_quick(u);
    stop_quick(t);
    free_all(q);
}

void suite_listener(void);
void suite_listener(void)
{
    CU_pSuite s = CU_add_suite("listener", NULL, NULL);

    CU_add_test(s, "udp_messages", test_udp_messages);
    CU_add_test(s, "udp_truncated", test_udp_truncated);
    CU_add_test(s, "tcp_many_clients", test_tcp_many_clients);
    CU_add_test(s, "tcp_truncated", test_tcp_truncated);
    CU_add_test(s, "refusing_sink", test_refusing_sink);
    CU_add_test(s, "max_clients", test_max_clients);
    CU_add_test(s, "idle_timeout", test_idle_timeout);
    CU_add_test(s, "hostile", test_hostile);
    CU_add_test(s, "bind_errors", test_bind_errors);
    CU_add_test(s, "ipv6", test_ipv6);
    CU_add_test(s, "logger", test_logger);
}
