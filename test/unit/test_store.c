/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Redis access layer against real redis-server processes:
 * URL forms, commands, scripts and the NOSCRIPT path, pipelining, reconnecting
 * after a restart, and the embedded server's start and stop.
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "redis_embed.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

/* A loopback TCP port nobody listens on right now, or -1 without that family. */
static int free_port(int family)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, SOCK_STREAM, 0);
    int port = -1;

    if (fd < 0) {
        return -1;
    }
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_loopback;
        len = sizeof(*sin6);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                       : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    close(fd);
    return port;
}

/* Polling interval of the condition waits below (they all have deadlines). */
static void poll_pause(void)
{
    struct timespec ts = {0, 5 * 1000000};

    nanosleep(&ts, NULL);
}

static struct store *open_fixture(void)
{
    const char *url = test_redis_url();
    char err[256];
    struct store *st;

    if (url == NULL) {
        return NULL;
    }
    st = store_open(url, 2000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(st);
    return st;
}

static int is_str(const redisReply *r, const char *s)
{
    return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
           r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
}

static int is_int(const redisReply *r, long long v)
{
    return r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == v;
}

static int is_error(const redisReply *r, const char *prefix)
{
    return r != NULL && r->type == REDIS_REPLY_ERROR &&
           strncmp(r->str, prefix, strlen(prefix)) == 0;
}

/* Run a fixed command, assert it got a reply, and free the reply. */
static void must(struct store *st, const char *cmd)
{
    redisReply *r = store_cmdf(st, cmd);

    CU_ASSERT(r != NULL && r->type != REDIS_REPLY_ERROR);
    if (r != NULL) {
        freeReplyObject(r);
    }
}

static void check_sha(const char *text, const char *want)
{
    struct store_script s = {.name = "vector", .lua = text};

    store_script_init(&s);
    CU_ASSERT_STRING_EQUAL(s.sha, want);
}

static void test_sha1(void)
{
    char buf[1001];
    int i;

    check_sha("abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_sha("", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    memset(buf, 'a', sizeof(buf) - 1);
    buf[55] = '\0';
    check_sha(buf, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    buf[55] = 'a';
    buf[56] = '\0';
    check_sha(buf, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    buf[56] = 'a';
    buf[64] = '\0';
    check_sha(buf, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    buf[64] = 'a';
    buf[1000] = '\0';
    check_sha(buf, "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    for (i = 0; i < 1000; i++) {
        buf[i] = (char)((i * 7) % 94 + 33);
    }
    check_sha(buf, "81d894d1d0b985da4c9179ced80e21c77be2afa8");
}

static void test_url_malformed(void)
{
    static const char *const bad[] = {
        "",
        "localhost",
        "localhost:",
        ":6379",
        "host:abc",
        "host:0",
        "host:65536",
        "host:6379x",
        "host:6379/2",
        "::1:6379",
        "[::1",
        "[]:6379",
        "[::1]6379",
        "redis://",
        "redis://:6379",
        "redis://h:1/x",
        "redis://h:1/-1",
        "redis://h:1/2/3",
        "redis://user:pw@h:1",
        "rediss://h:1",
        "http://h:1",
        "unix:",
        "unix://relative.sock",
        ("unix:/"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock"),
    };
    char err[512];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        struct store *st;

        err[0] = '\0';
        st = store_open(bad[i], 100, err, sizeof(err));
        CU_ASSERT_PTR_NULL(st);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i]));
        CU_ASSERT_PTR_NULL(strchr(err, '\n'));
        if (st != NULL || strstr(err, bad[i]) == NULL) {
            fprintf(stderr, "accepted or badly reported: \"%s\" -> \"%s\"\n", bad[i], err);
        }
        store_close(st);
    }
}

/* A store on url that cannot connect: not ok, the error names where, commands fail fast. */
static void check_unreachable(const char *url, const char *where)
{
    const char *argv[] = {"PING"};
    redisReply *slot[2] = {NULL, NULL};
    struct store_script s = {.name = "t", .lua = "return 1"};
    char err[256];
    struct store *st;
    int64_t t0;
    int i;

    t0 = time_mono_ms();
    st = store_open(url, 1000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(store_ok(st), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(store_error(st), where));
    for (i = 0; i < 20; i++) {
        CU_ASSERT_PTR_NULL(store_cmdf(st, "PING"));
        CU_ASSERT_PTR_NULL(store_cmd(st, 1, argv, NULL));
        CU_ASSERT_PTR_NULL(store_eval(st, &s, 0, 0, NULL, NULL));
        CU_ASSERT_EQUAL(store_ok(st), 0);
    }
    store_append(st, 1, argv, NULL);
    store_append_eval(st, &s, 0, 0, NULL, NULL);
    CU_ASSERT_EQUAL(store_flush(st, slot, 2), -1);
    CU_ASSERT_PTR_NULL(slot[0]);
    CU_ASSERT_PTR_NULL(slot[1]);
    CU_ASSERT(time_mono_ms() - t0 < 200);
    CU_ASSERT_EQUAL(store_n_reconnects(st), 0);
    store_close(st);
}

static void test_url_unreachable(void)
{
    int port = free_port(AF_INET);
    int port6 = free_port(AF_INET6);
    char url[128];
    char where[64];

    CU_ASSERT_FATAL(port > 0);
    snprintf(where, sizeof(where), "127.0.0.1:%d", port);
    snprintf(url, sizeof(url), "127.0.0.1:%d", port);
    check_unreachable(url, where);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    check_unreachable(url, where);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/2", port);
    check_unreachable(url, where);
    snprintf(url, sizeof(url), "redis://localhost:%d/", port);
    snprintf(where, sizeof(where), "localhost:%d", port);
    check_unreachable(url, where);
    if (port6 > 0) {
        snprintf(url, sizeof(url), "[::1]:%d", port6);
        snprintf(where, sizeof(where), "[::1]:%d", port6);
        check_unreachable(url, where);
        snprintf(url, sizeof(url), "redis://[::1]:%d/1", port6);
        check_unreachable(url, where);
    }
    check_unreachable("unix:/nonexistent-vigil/redis.sock", "/nonexistent-vigil/redis.sock");
    check_unreachable("unix:///nonexistent-vigil/redis.sock", "/nonexistent-vigil/redis.sock");
    check_unreachable("/nonexistent-vigil/redis.sock", "/nonexistent-vigil/redis.sock");
}

/* Open url, which must connect, and check it sees key with value want (NULL: absent). */
static void check_sees(const char *url, const char *key, const char *want)
{
    char err[256];
    struct store *st = store_open(url, 2000, err, sizeof(err));
    redisReply *r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(store_ok(st), 1);
    CU_ASSERT_STRING_EQUAL(store_error(st), "");
    r = store_cmdf(st, "GET %s", key);
    CU_ASSERT_PTR_NOT_NULL(r);
    if (want == NULL) {
        CU_ASSERT(r != NULL && r->type == REDIS_REPLY_NIL);
    } else {
        CU_ASSERT(is_str(r, want));
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    store_close(st);
}

static void test_url_forms_live(void)
{
    const char *dir = test_tmpdir();
    struct redis_embed *e;
    struct store *st;
    char url[256];
    char tcp[300];
    char err[512];
    redisReply *r;
    int port6 = free_port(AF_INET6);
    int port = free_port(AF_INET);

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(strncmp(url, "unix:/", 6), 0);
    st = store_open(url, 2000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(store_ok(st), 1);
    must(st, "SET form unix");
    check_sees(url + 5, "form", "unix");
    snprintf(tcp, sizeof(tcp), "unix://%s", url + 5);
    check_sees(tcp, "form", "unix");

    /* Open a loopback TCP port on the running server to try the TCP forms. */
    r = store_cmdf(st, "CONFIG SET bind %s", port6 > 0 ? "127.0.0.1 -::1" : "127.0.0.1");
    CU_ASSERT(is_str(r, "OK"));
    freeReplyObject(r);
    r = store_cmdf(st, "CONFIG SET port %d", port);
    CU_ASSERT_FATAL(is_str(r, "OK"));
    freeReplyObject(r);
    must(st, "SELECT 3");
    must(st, "SET form db3");
    snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port);
    check_sees(tcp, "form", "unix");
    snprintf(tcp, sizeof(tcp), "redis://127.0.0.1:%d/3", port);
    check_sees(tcp, "form", "db3");
    snprintf(tcp, sizeof(tcp), "redis://localhost:%d/4", port);
    check_sees(tcp, "form", NULL);
    if (port6 > 0) {
        snprintf(tcp, sizeof(tcp), "[::1]:%d", port);
        check_sees(tcp, "form", "unix");
        snprintf(tcp, sizeof(tcp), "redis://[::1]:%d/3", port);
        check_sees(tcp, "form", "db3");
    }

    /* A database the server does not have: connecting fails with the reason. */
    store_close(st);
    snprintf(tcp, sizeof(tcp), "redis://127.0.0.1:%d/99", port);
    st = store_open(tcp, 2000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(store_ok(st), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(store_error(st), "SELECT 99"));
    store_close(st);
    redis_embed_stop(e);
}

static void test_commands(void)
{
    static const char key[] = "test:store:k\0bin";
    static const char val[] = "a\0b\0c";
    const char *set[] = {"SET", key, val};
    size_t set_lens[] = {3, sizeof(key) - 1, sizeof(val) - 1};
    const char *get[] = {"GET", key};
    size_t get_lens[] = {3, sizeof(key) - 1};
    const char *plain[] = {"SET", "test:store:plain", "hello"};
    struct store *st = open_fixture();
    redisReply *r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(store_ok(st), 1);
    CU_ASSERT_STRING_EQUAL(store_error(st), "");

    r = store_cmd(st, 3, set, set_lens);
    CU_ASSERT(is_str(r, "OK"));
    freeReplyObject(r);
    r = store_cmd(st, 2, get, get_lens);
    CU_ASSERT_FATAL(r != NULL && r->type == REDIS_REPLY_STRING);
    CU_ASSERT_EQUAL(r->len, sizeof(val) - 1);
    CU_ASSERT_EQUAL(memcmp(r->str, val, sizeof(val) - 1), 0);
    freeReplyObject(r);
    r = store_cmdf(st, "STRLEN %b", key, sizeof(key) - 1);
    CU_ASSERT(is_int(r, 5));
    freeReplyObject(r);
    /* The key with the NUL differs from its prefix. */
    r = store_cmdf(st, "EXISTS test:store:k");
    CU_ASSERT(is_int(r, 0));
    freeReplyObject(r);

    r = store_cmd(st, 3, plain, NULL);
    CU_ASSERT(is_str(r, "OK"));
    freeReplyObject(r);
    r = store_cmdf(st, "GET %s", "test:store:plain");
    CU_ASSERT(is_str(r, "hello"));
    freeReplyObject(r);

    r = store_cmdf(st, "INCR test:store:plain");
    CU_ASSERT(is_error(r, "ERR"));
    freeReplyObject(r);
    r = store_cmdf(st, "NOSUCHCOMMAND x");
    CU_ASSERT(is_error(r, "ERR"));
    freeReplyObject(r);
    /* Error replies leave the connection usable. */
    CU_ASSERT_EQUAL(store_ok(st), 1);
    r = store_cmdf(st, "PING");
    CU_ASSERT(is_str(r, "PONG"));
    freeReplyObject(r);
    CU_ASSERT_EQUAL(store_n_reconnects(st), 0);
    store_close(st);
}

static struct store_script echo_script = {
    .name = "echo", .lua = "return {KEYS[1], ARGV[1], #KEYS, #ARGV, string.len(ARGV[1])}"};

static void test_scripts(void)
{
    struct store_script boom = {.name = "boom", .lua = "return redis.error_reply('boom')"};
    struct store_script broken = {.name = "broken", .lua = "return ("};
    const char *argv[] = {"test:store:key", "x\0y", "extra"};
    size_t lens[] = {14, 3, 5};
    struct store *st = open_fixture();
    redisReply *r;
    int round;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    store_script_init(&echo_script);
    store_script_init(&boom);
    store_script_init(&broken);

    /* Redis computes the same digest. */
    r = store_cmdf(st, "SCRIPT LOAD %s", echo_script.lua);
    CU_ASSERT(is_str(r, echo_script.sha));
    freeReplyObject(r);

    for (round = 0; round < 2; round++) {
        /* Round 1 runs after SCRIPT FLUSH: EVALSHA gets NOSCRIPT and loads the script. */
        r = store_eval(st, &echo_script, 1, 3, argv, lens);
        CU_ASSERT_FATAL(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 5);
        CU_ASSERT(is_str(r->element[0], "test:store:key"));
        CU_ASSERT_EQUAL(r->element[1]->len, 3);
        CU_ASSERT_EQUAL(memcmp(r->element[1]->str, "x\0y", 3), 0);
        CU_ASSERT(is_int(r->element[2], 1));
        CU_ASSERT(is_int(r->element[3], 2));
        CU_ASSERT(is_int(r->element[4], 3));
        freeReplyObject(r);
        r = store_cmdf(st, "SCRIPT EXISTS %s", echo_script.sha);
        CU_ASSERT(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
                  is_int(r->element[0], 1));
        freeReplyObject(r);
        must(st, "SCRIPT FLUSH");
    }

    r = store_eval(st, &boom, 0, 0, NULL, NULL);
    CU_ASSERT(r != NULL && r->type == REDIS_REPLY_ERROR && strstr(r->str, "boom") != NULL);
    freeReplyObject(r);
    /* A script that does not compile: the reply is Redis's error, not NOSCRIPT. */
    r = store_eval(st, &broken, 0, 0, NULL, NULL);
    CU_ASSERT(r != NULL && r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOSCRIPT") == NULL);
    freeReplyObject(r);
    CU_ASSERT_EQUAL(store_ok(st), 1);
    store_close(st);
}

static struct store_script incr_script = {.name = "incr",
                                          .lua = "return redis.call('INCRBY', KEYS[1], ARGV[1])"};

static void test_pipeline(void)
{
    enum { N = 1000 };
    redisReply **slot = xcalloc(N, sizeof(*slot));
    struct store *st = open_fixture();
    char key[64];
    char val[64];
    long long counter = 0;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    store_script_init(&echo_script);
    store_script_init(&incr_script);
    must(st, "DEL test:store:counter");
    /* First with the scripts loaded, so the batch runs without any re-run. */
    freeReplyObject(store_cmdf(st, "SCRIPT LOAD %s", echo_script.lua));
    freeReplyObject(store_cmdf(st, "SCRIPT LOAD %s", incr_script.lua));
    for (i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "test:store:p%zu", i - i % 4);
        snprintf(val, sizeof(val), "v%zu", i);
        if (i % 4 == 0) {
            const char *argv[] = {"SET", key, val};

            CU_ASSERT_EQUAL(store_append(st, 3, argv, NULL), 0);
        } else if (i % 4 == 1) {
            const char *argv[] = {"GET", key};

            CU_ASSERT_EQUAL(store_append(st, 2, argv, NULL), 0);
        } else if (i % 4 == 2) {
            const char *argv[] = {key, val};

            CU_ASSERT_EQUAL(store_append_eval(st, &echo_script, 1, 2, argv, NULL), 0);
        } else {
            const char *argv[] = {"test:store:counter", "2"};

            CU_ASSERT_EQUAL(store_append_eval(st, &incr_script, 1, 2, argv, NULL), 0);
        }
    }
    CU_ASSERT_EQUAL_FATAL(store_flush(st, slot, N), 0);
    for (i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "test:store:p%zu", i - i % 4);
        if (i % 4 == 0) {
            CU_ASSERT(is_str(slot[i], "OK"));
        } else if (i % 4 == 1) {
            snprintf(val, sizeof(val), "v%zu", i - 1);
            CU_ASSERT(is_str(slot[i], val));
        } else if (i % 4 == 2) {
            snprintf(val, sizeof(val), "v%zu", i);
            CU_ASSERT(slot[i] != NULL && slot[i]->type == REDIS_REPLY_ARRAY &&
                      slot[i]->elements == 5 && is_str(slot[i]->element[0], key) &&
                      is_str(slot[i]->element[1], val));
        } else {
            counter += 2;
            CU_ASSERT(is_int(slot[i], counter));
        }
        freeReplyObject(slot[i]);
    }

    /*
     * After SCRIPT FLUSH the queued evals keep their NOSCRIPT replies (no re-run out
     * of order), the scripts are loaded, and the same batch queued again succeeds.
     */
    must(st, "SCRIPT FLUSH");
    {
        const char *inc[] = {"test:store:counter", "1"};
        const char *echo[] = {"k", "v"};
        const char *ping[] = {"PING"};
        int round;

        for (round = 0; round < 2; round++) {
            store_append_eval(st, &incr_script, 1, 2, inc, NULL);
            store_append(st, 1, ping, NULL);
            store_append_eval(st, &echo_script, 1, 2, echo, NULL);
            store_append_eval(st, &incr_script, 1, 2, inc, NULL);
            CU_ASSERT_EQUAL_FATAL(store_flush(st, slot, 4), 0);
            CU_ASSERT(is_str(slot[1], "PONG"));
            if (round == 0) {
                CU_ASSERT(slot[0] != NULL && slot[0]->type == REDIS_REPLY_ERROR &&
                          strncmp(slot[0]->str, "NOSCRIPT", 8) == 0);
                CU_ASSERT(slot[2] != NULL && slot[2]->type == REDIS_REPLY_ERROR);
                CU_ASSERT(slot[3] != NULL && slot[3]->type == REDIS_REPLY_ERROR);
            } else {
                CU_ASSERT(is_int(slot[0], counter + 1));
                CU_ASSERT(slot[2] != NULL && slot[2]->type == REDIS_REPLY_ARRAY &&
                          slot[2]->elements == 5 && is_str(slot[2]->element[1], "v"));
                CU_ASSERT(is_int(slot[3], counter + 2));
            }
            for (i = 0; i < 4; i++) {
                freeReplyObject(slot[i]);
            }
        }
    }
    /* A new connection loads every registered script before its first command. */
    must(st, "SCRIPT FLUSH");
    {
        char err[256];
        struct store *fresh = store_open(test_redis_url(), 2000, err, sizeof(err));
        const char *inc[] = {"test:store:counter", "1"};

        CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
        store_append_eval(fresh, &incr_script, 1, 2, inc, NULL);
        CU_ASSERT_EQUAL(store_flush(fresh, slot, 1), 0);
        CU_ASSERT(is_int(slot[0], counter + 3));
        freeReplyObject(slot[0]);
        store_close(fresh);
    }

    /* Asking for the wrong number of replies fails the batch; the store recovers. */
    {
        const char *ping[] = {"PING"};

        store_append(st, 1, ping, NULL);
        store_append(st, 1, ping, NULL);
        CU_ASSERT_EQUAL(store_flush(st, slot, 1), -1);
        CU_ASSERT_PTR_NULL(slot[0]);
        CU_ASSERT_EQUAL(store_ok(st), 1);
        CU_ASSERT_EQUAL(store_n_reconnects(st), 1);
        store_append(st, 1, ping, NULL);
        CU_ASSERT_EQUAL(store_flush(st, slot, 1), 0);
        CU_ASSERT(is_str(slot[0], "PONG"));
        freeReplyObject(slot[0]);
    }
    store_close(st);
    free(slot);
}

static void test_reconnect(void)
{
    const char *dir = test_tmpdir();
    struct redis_embed *e;
    struct store *st;
    char url[256];
    char err[512];
    redisReply *r;
    int64_t t0;
    int64_t worst = 0;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    st = store_open(url, 1000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    must(st, "SET kept before-restart");
    redis_embed_stop(e);

    /* The dead server is noticed without a round trip, and nothing waits on it. */
    CU_ASSERT_EQUAL(store_ok(st), 0);
    CU_ASSERT_STRING_NOT_EQUAL(store_error(st), "");
    for (i = 0; i < 100; i++) {
        t0 = time_mono_ms();
        CU_ASSERT_PTR_NULL(store_cmdf(st, "GET kept"));
        CU_ASSERT_EQUAL(store_ok(st), 0);
        if (time_mono_ms() - t0 > worst) {
            worst = time_mono_ms() - t0;
        }
    }
    CU_ASSERT(worst < 50);

    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    t0 = time_mono_ms();
    while (!store_ok(st) && time_mono_ms() - t0 < 10000) {
        poll_pause();
    }
    CU_ASSERT_EQUAL(store_ok(st), 1);
    CU_ASSERT_STRING_EQUAL(store_error(st), "");
    CU_ASSERT_EQUAL(store_n_reconnects(st), 1);
    r = store_cmdf(st, "GET kept");
    CU_ASSERT(is_str(r, "before-restart"));
    if (r != NULL) {
        freeReplyObject(r);
    }

    /* A command that meets the stopped server fails; the next ones reconnect. */
    redis_embed_stop(e);
    CU_ASSERT_PTR_NULL(store_cmdf(st, "GET kept"));
    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    r = NULL;
    t0 = time_mono_ms();
    while (r == NULL && time_mono_ms() - t0 < 10000) {
        r = store_cmdf(st, "GET kept");
        if (r == NULL) {
            poll_pause();
        }
    }
    CU_ASSERT(is_str(r, "before-restart"));
    if (r != NULL) {
        freeReplyObject(r);
    }
    CU_ASSERT_EQUAL(store_n_reconnects(st), 2);
    store_close(st);
    redis_embed_stop(e);
}

/*
 * A server that accepts connections but never answers: each reconnect attempt
 * costs one timeout, and the attempts thin out as the back-off doubles.
 */
static void test_backoff(void)
{
    const char *dir = test_tmpdir();
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    char err[256];
    char *url;
    struct store *st;
    int64_t t0;
    int accepted = 0;
    int slow = 0;
    int fd;
    int c;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/hung.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
    CU_ASSERT_FATAL(listen(fd, 128) == 0);
    url = xasprintf("unix:%s", sun.sun_path);
    st = store_open(url, 50, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    t0 = time_mono_ms();
    while (time_mono_ms() - t0 < 1500) {
        int64_t t = time_mono_ms();

        CU_ASSERT_EQUAL(store_ok(st), 0);
        CU_ASSERT_PTR_NULL(store_cmdf(st, "PING"));
        if (time_mono_ms() - t >= 40) {
            slow++;
        }
        poll_pause();
    }
    while ((c = accept(fd, NULL, NULL)) >= 0) {
        accepted++;
        close(c);
    }
    /* The open, then retries after about 100, 250, 500 and 950 ms at the earliest. */
    CU_ASSERT(accepted >= 3 && accepted <= 5);
    CU_ASSERT(slow <= accepted);
    CU_ASSERT_PTR_NOT_NULL(strstr(store_error(st), "hung.sock"));
    if (accepted < 3 || accepted > 5) {
        fprintf(stderr, "%d connection attempts in 1.5 s\n", accepted);
    }
    store_close(st);
    close(fd);
    free(url);
}

static void test_embed(void)
{
    const char *tmp = test_tmpdir();
    const char *saved_env = getenv("VIGIL_REDIS_SERVER");
    char *saved = saved_env != NULL ? xstrdup(saved_env) : NULL;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct redis_embed *e;
    struct redis_embed *e2;
    struct stat sb;
    char *dir;
    char *path;
    char url[256];
    char url2[256];
    char err[1024];
    int pid;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
    dir = xasprintf("%s/a/b/state", tmp);
    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(stat(dir, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_mode & 0777, 0700);
    pid = redis_embed_pid(e);
    CU_ASSERT(pid > 0);
    CU_ASSERT_EQUAL(kill(pid, 0), 0);

    /* A second server in the same directory is refused; the first keeps running. */
    e2 = redis_embed_start(dir, 1, url2, sizeof(url2), err, sizeof(err));
    CU_ASSERT_PTR_NULL(e2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "already runs"));
    redis_embed_stop(e2);
    check_sees(url, "nothing", NULL);
    redis_embed_stop(e);
    CU_ASSERT_EQUAL(kill(pid, 0), -1);
    CU_ASSERT_EQUAL(errno, ESRCH);

    /* A stale socket left by a server that died is removed. */
    path = xasprintf("%s/redis.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(fd);
    e = redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(e);
    redis_embed_stop(e);

    /* Something else at the socket path is not removed. */
    CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
    CU_ASSERT_PTR_NULL(redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a socket"));
    rmdir(path);

    /* A state directory that cannot be created. */
    free(path);
    path = xasprintf("%s/redis.log/sub", dir);
    CU_ASSERT_PTR_NULL(redis_embed_start(path, 1, url, sizeof(url), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot create the state directory"));

    /* A server that cannot be executed, and one that exits at once. */
    setenv("VIGIL_REDIS_SERVER", "/nonexistent/redis-server", 1);
    CU_ASSERT_PTR_NULL(redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot execute /nonexistent/redis-server"));
    setenv("VIGIL_REDIS_SERVER", "false", 1);
    CU_ASSERT_PTR_NULL(redis_embed_start(dir, 1, url, sizeof(url), err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "exited with exit status 1"));
    if (saved != NULL) {
        setenv("VIGIL_REDIS_SERVER", saved, 1);
    } else {
        unsetenv("VIGIL_REDIS_SERVER");
    }
    free(saved);
    free(path);
    free(dir);
}

void suite_store(void);
void suite_store(void)
{
    CU_pSuite s = CU_add_suite("store", NULL, NULL);

    /* A write to a server that went away must fail with EPIPE, not end the runner. */
    signal(SIGPIPE, SIG_IGN);
    CU_add_test(s, "sha1", test_sha1);
    CU_add_test(s, "url_malformed", test_url_malformed);
    CU_add_test(s, "url_unreachable", test_url_unreachable);
    CU_add_test(s, "url_forms_live", test_url_forms_live);
    CU_add_test(s, "commands", test_commands);
    CU_add_test(s, "scripts", test_scripts);
    CU_add_test(s, "pipeline", test_pipeline);
    CU_add_test(s, "reconnect", test_reconnect);
    CU_add_test(s, "backoff", test_backoff);
    CU_add_test(s, "embed", test_embed);
}
