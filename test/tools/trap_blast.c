/* SPDX-License-Identifier: MIT */
/*
 * vg_trap_blast: SNMP datagrams for the trap receiver's tests and benchmark,
 * on loopback. A real trap is captured once from net-snmp's snmptrap, then
 * sent again as fast as sendmmsg goes, or used as the seed of random and
 * mutated datagrams. Counts are bounded, so every run stops by itself.
 *   vg_trap_blast capture FILE                 bind 127.0.0.1:0, print the port, write the
 *                                              first datagram received (10 s at most) to FILE
 *   vg_trap_blast send HOST PORT COUNT FILE [RATE]
 *                                              send FILE as one datagram COUNT times, at
 *                                              most RATE per second (default: flat out)
 *   vg_trap_blast fuzz HOST PORT COUNT SEED FILE...
 *                                              COUNT datagrams: random bytes, and the FILEs
 *                                              with bits flipped, bytes changed, cut, grown
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     64
#define MAX_DGRAM 65507

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(MAX_DGRAM);

    if (f == NULL || buf == NULL) {
        perror(path);
        exit(1);
    }
    *len = fread(buf, 1, MAX_DGRAM, f);
    fclose(f);
    if (*len == 0) {
        fprintf(stderr, "vg_trap_blast: %s is empty\n", path);
        exit(1);
    }
    return buf;
}

static int udp_to(const char *host, const char *port, struct sockaddr_in *to)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int sndbuf = 4 * 1024 * 1024;

    memset(to, 0, sizeof(*to));
    to->sin_family = AF_INET;
    to->sin_port = htons((unsigned short)atoi(port));
    if (fd < 0 || inet_pton(AF_INET, host, &to->sin_addr) != 1) {
        fprintf(stderr, "vg_trap_blast: bad address %s\n", host);
        exit(2);
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    return fd;
}

static int capture(const char *path)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    unsigned char *buf = malloc(MAX_DGRAM);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct pollfd p;
    ssize_t n;
    FILE *f;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (buf == NULL || fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("vg_trap_blast: capture");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    p.fd = fd;
    p.events = POLLIN;
    if (poll(&p, 1, 10000) != 1) {
        fprintf(stderr, "vg_trap_blast: nothing received within 10 s\n");
        return 1;
    }
    n = recv(fd, buf, MAX_DGRAM, 0);
    f = fopen(path, "wb");
    if (n <= 0 || f == NULL || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(buf);
    close(fd);
    return 0;
}

/* Sleep until t (monotonic seconds). */
static void sleep_until(double t)
{
    double d = t - now_s();

    if (d > 0) {
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};

        nanosleep(&ts, NULL);
    }
}

/*
 * Send datagrams bufs[i % n] COUNT times in batches, at most rate per second
 * (0: flat out); returns the number sent.
 */
static long blast(int fd, struct sockaddr_in *to, unsigned char **bufs, size_t *lens, size_t n,
                  long count, int pace, double rate)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    long sent = 0;
    double t0 = now_s();

    while (sent < count) {
        int k = (int)(count - sent < BATCH ? count - sent : BATCH);
        int i;
        int r;

        for (i = 0; i < k; i++) {
            size_t j = (size_t)(sent + i) % n;

            iov[i].iov_base = bufs[j];
            iov[i].iov_len = lens[j];
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_name = to;
            msgs[i].msg_hdr.msg_namelen = sizeof(*to);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        if (rate > 0) {
            sleep_until(t0 + (double)sent / rate);
        }
        r = sendmmsg(fd, msgs, (unsigned)k, 0);
        if (r < 0) {
            perror("sendmmsg");
            exit(1);
        }
        sent += r;
        if (pace) {
            /* A pause per batch keeps a sanitizer build's receive buffer from overflowing. */
            struct timespec ts = {0, 2000000};

            nanosleep(&ts, NULL);
        }
    }
    return sent;
}

static int send_file(char **argv)
{
    struct sockaddr_in to;
    int fd = udp_to(argv[0], argv[1], &to);
    long count = strtol(argv[2], NULL, 10);
    size_t len;
    unsigned char *buf = read_file(argv[3], &len);
    double rate = argv[4] != NULL ? strtod(argv[4], NULL) : 0;
    double t0 = now_s();
    long sent;

    if (count <= 0 || count > 100000000) {
        fprintf(stderr, "vg_trap_blast: bad count\n");
        return 2;
    }
    sent = blast(fd, &to, &buf, &len, 1, count, 0, rate);
    t0 = now_s() - t0;
    fprintf(stderr, "vg_trap_blast: sent %ld datagrams of %zu bytes in %.3f s (%.0f/s)\n", sent,
            len, t0, (double)sent / t0);
    free(buf);
    close(fd);
    return 0;
}

/* A pseudo-random generator of our own, so a seed gives the same datagrams everywhere. */
static uint64_t rng;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* One hostile datagram into out; returns its length. */
static size_t make_one(unsigned char *out, unsigned char **seeds, size_t *seed_lens, size_t n)
{
    size_t len;
    size_t i;
    int kind = (int)(rnd() % 8);

    if (kind == 0 || n == 0) { /* random bytes, sometimes behind a BER SEQUENCE header */
        len = rnd() % 1500;
        for (i = 0; i < len; i++) {
            out[i] = (unsigned char)rnd();
        }
        if (len > 2 && rnd() % 2) {
            out[0] = 0x30;
        }
        return len;
    }
    {
        size_t s = rnd() % n;
        int edits = 1 + (int)(rnd() % 8);

        len = seed_lens[s];
        memcpy(out, seeds[s], len);
        while (edits-- > 0 && len > 0) {
            size_t at = rnd() % len;

            switch (rnd() % 6) {
            case 0: /* flip a bit */
                out[at] ^= (unsigned char)(1u << (rnd() % 8));
                break;
            case 1: /* any byte */
                out[at] = (unsigned char)rnd();
                break;
            case 2: /* a length byte made huge or zero */
                out[at] = rnd() % 2 ? 0xff : 0x00;
                break;
            case 3: /* cut */
                len = at;
                break;
            case 4: /* grow with garbage */
                if (len + 64 < MAX_DGRAM) {
                    for (i = 0; i < 64; i++) {
                        out[len + i] = (unsigned char)rnd();
                    }
                    len += 64;
                }
                break;
            default: /* a long-form length */
                out[at] = (unsigned char)(0x80 | (rnd() % 5));
                break;
            }
        }
    }
    return len;
}

static int fuzz(int argc, char **argv)
{
    struct sockaddr_in to;
    int fd = udp_to(argv[0], argv[1], &to);
    long count = strtol(argv[2], NULL, 10);
    size_t n = (size_t)argc - 4;
    unsigned char **seeds = calloc(n + 1, sizeof(*seeds));
    size_t *seed_lens = calloc(n + 1, sizeof(*seed_lens));
    unsigned char *bufs[BATCH];
    size_t lens[BATCH];
    long sent = 0;
    size_t i;

    rng = strtoull(argv[3], NULL, 10) * 2654435761u + 88172645463325252ull;
    for (i = 0; i < n; i++) {
        seeds[i] = read_file(argv[4 + i], &seed_lens[i]);
    }
    for (i = 0; i < BATCH; i++) {
        bufs[i] = malloc(MAX_DGRAM);
    }
    while (sent < count) {
        long k = count - sent < BATCH ? count - sent : BATCH;
        long j;

        for (j = 0; j < k; j++) {
            lens[j] = make_one(bufs[j], seeds, seed_lens, n);
        }
        sent += blast(fd, &to, bufs, lens, (size_t)k, k, 1, 0);
    }
    printf("%ld\n", sent);
    for (i = 0; i < BATCH; i++) {
        free(bufs[i]);
    }
    for (i = 0; i < n; i++) {
        free(seeds[i]);
    }
    free(seeds);
    free(seed_lens);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "capture") == 0) {
        return capture(argv[2]);
    }
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "send") == 0) {
        return send_file(argv + 2);
    }
    if (argc >= 6 && strcmp(argv[1], "fuzz") == 0) {
        return fuzz(argc - 2, argv + 2);
    }
    fprintf(stderr, "usage: vg_trap_blast capture FILE\n"
                    "       vg_trap_blast send HOST PORT COUNT FILE [RATE]\n"
                    "       vg_trap_blast fuzz HOST PORT COUNT SEED [FILE...]\n");
    return 2;
}
