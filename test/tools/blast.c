/* SPDX-License-Identifier: MIT */
/*
 * vg_blast: send the lines of a file as syslog datagrams, as fast as sendmmsg
 * allows, for load tests and benchmarks on loopback. The count is bounded, so
 * every run stops by itself.
 *   vg_blast HOST PORT COUNT FILE    send COUNT datagrams, cycling through FILE's lines
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

int main(int argc, char **argv)
{
    struct sockaddr_in to;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    char **lines = NULL;
    size_t n_lines = 0;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    long count;
    long sent = 0;
    struct timespec t0, t1;
    FILE *f;
    int fd;

    if (argc != 5 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr, "usage: vg_blast HOST PORT COUNT FILE\n");
        return argc == 2 ? 0 : 2;
    }
    count = strtol(argv[3], NULL, 10);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || count <= 0 || count > 100000000) {
        fprintf(stderr, "vg_blast: bad address or count\n");
        return 2;
    }
    f = fopen(argv[4], "r");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (n_lines == cap) {
            cap = cap ? cap * 2 : 1024;
            lines = realloc(lines, cap * sizeof(*lines));
        }
        lines[n_lines++] = strdup(line);
    }
    fclose(f);
    free(line);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (n_lines == 0 || fd < 0) {
        fprintf(stderr, "vg_blast: no lines or no socket\n");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (sent < count) {
        int n = (int)(count - sent < BATCH ? count - sent : BATCH);
        int i;
        int r;

        for (i = 0; i < n; i++) {
            const char *l = lines[(size_t)(sent + i) % n_lines];

            iov[i].iov_base = (void *)(uintptr_t)l;
            iov[i].iov_len = strlen(l);
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof(to);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        r = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (r < 0) {
            perror("sendmmsg");
            return 1;
        }
        sent += r;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "vg_blast: sent %ld datagrams in %.3f s\n", sent,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    close(fd);
    while (n_lines > 0) {
        free(lines[--n_lines]);
    }
    free(lines);
    return 0;
}
