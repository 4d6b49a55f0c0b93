/* SPDX-License-Identifier: MIT */
/*
 * The action dispatcher against a real redis-server, with the test_on/test_off
 * plugins (test/plugins/test_action.c), which append a line per call: one run
 * per idempotency key across retried submissions and a second dispatcher,
 * retries with back-off, a hung call abandoned while the other worker goes on,
 * the rate limit, playbook steps marked done or handed to a person, earlier
 * results and the inverse run at an operator's close. Also the value checks and
 * secret references of action_safety.c.
 */
#include <CUnit/CUnit.h>
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "action.h"
#include "action_safety.h"
#include "incident.h"
#include "loader.h"
#include "rule.h"
#include "store.h"
#include "testutil.h"

void suite_dispatch(void);

#define PREFIX "vgtest:"

/* Kept for the process: a hung call's thread may still use its instance at exit. */
static struct loader ld;
static int loaded;
static struct rule rl;
static int n_inc;
static struct rule_action *entries[32]; /* every entry made (reachable until exit) */
static size_t n_entries;

static const struct plugin_mod *find(const char *name)
{
    if (!loaded) {
        struct diag diag = {0};

        loader_load_dir(&ld, VG_BUILD_DIR "/test-action-plugins", &diag);
        diag_free(&diag);
        loaded = 1;
        rl.name = "r1";
    }
    return loader_find(&ld, VG_PLUGIN_ACTION, name);
}

/* A new action entry of rule rl running test_on with params (JSON text). */
static struct rule_action *entry(const char *params, int with_undo)
{
    struct rule_action *a = calloc(1, sizeof(*a));
    fjson_object *p = fjson_tokener_parse(params);
    struct diag diag = {0};
    const struct plugin_mod *on = find("test_on");

    CU_ASSERT_PTR_NOT_NULL_FATAL(on);
    a->plugin = "test_on";
    a->retries = -1;
    a->rule = &rl;
    a->index = (size_t)n_inc;
    a->instance = plugin_inst_new(on, p, "action:test_on/r1", "test", &diag);
    if (with_undo) {
        a->undo = 1;
        a->undo_instance =
            plugin_inst_new(find("test_off"), p, "action:test_off/r1", "test", &diag);
    }
    CU_ASSERT_EQUAL(diag.n, 0);
    diag_free(&diag);
    fjson_object_put(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a->instance);
    if (n_entries < sizeof(entries) / sizeof(entries[0])) {
        entries[n_entries++] = a;
    }
    return a;
}

/* A new incident hash with a playbook; its id into id. */
static void new_incident(struct store *st, char *id, size_t len)
{
    struct sbuf k = {0};
    redisReply *r;

    n_inc++;
    snprintf(id, len, "00000000000000%02x-%d", n_inc, n_inc);
    incident_hash_key(PREFIX, id, &k);
    r = store_cmdf(st, "HSET %s status open playbook %s", k.buf,
                   "[{\"step\":\"5.2.2.1\",\"text\":\"isolate\",\"status\":\"pending\"},"
                   "{\"step\":\"5.2.2.3\",\"text\":\"back up\",\"status\":\"pending\"}]");
    CU_ASSERT_PTR_NOT_NULL(r);
    freeReplyObject(r);
    sbuf_free(&k);
}

static void record(const char *id, const char *host, struct sbuf *out)
{
    sbuf_reset(out);
    sbuf_printf(out,
                "{\"transition\":\"open\",\"incident\":{\"id\":\"%s\",\"severity\":\"high\","
                "\"key\":{\"host.name\":\"%s\"},\"count\":1},\"rule\":{\"name\":\"r1\"}}",
                id, host);
}

static struct dispatcher *start(int threads)
{
    struct dispatcher_cfg dc = {.threads = threads,
                                .redis_url = test_redis_url(),
                                .prefix = PREFIX,
                                .timeout_ms = 2000,
                                .backoff_ms = 20};
    char err[256];
    struct dispatcher *d = dispatcher_new(&dc, err, sizeof(err));

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

/* Lines of file containing needle. */
static int lines_with(const char *file, const char *needle)
{
    char *s = test_read_file(file, NULL);
    int n = 0;
    const char *p;

    for (p = s; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    free(s);
    return n;
}

/* The incident's HGET field, or "" (caller frees). */
static char *hget(struct store *st, const char *id, const char *suffix, const char *field)
{
    struct sbuf k = {0};
    redisReply *r;
    char *v;

    incident_hash_key(PREFIX, id, &k);
    sbuf_adds(&k, suffix);
    r = store_cmdf(st, "HGET %s %s", k.buf, field);
    v = strdup(r != NULL && r->type == REDIS_REPLY_STRING ? r->str : "");
    if (r != NULL) {
        freeReplyObject(r);
    }
    sbuf_free(&k);
    return v;
}

/* The incident's history as one string (caller frees). */
static char *history(struct store *st, const char *id)
{
    struct sbuf k = {0}, out = {0};
    redisReply *r;
    size_t i;

    incident_hash_key(PREFIX, id, &k);
    sbuf_adds(&k, ":history");
    r = store_cmdf(st, "LRANGE %s 0 -1", k.buf);
    for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        sbuf_add(&out, r->element[i]->str, r->element[i]->len);
        sbuf_addc(&out, '\n');
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    sbuf_free(&k);
    return out.buf != NULL ? out.buf : strdup("");
}

static char *tmpfile_path(const char *name)
{
    return xasprintf("%s/%s", test_tmpdir(), name);
}

static void test_once(void)
{
    char err[256], id[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("once.log");
    char *params = xasprintf("{\"file\":\"%s\"}", file);
    struct rule_action *a;
    struct dispatcher *d1, *d2;
    struct dispatcher_counts c1, c2;
    struct sbuf rec = {0};
    char *pb, *h;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    a = entry(params, 0);
    a->step = "5.2.2.1";
    new_incident(st, id, sizeof(id));
    record(id, "pc1", &rec);
    d1 = start(2);
    d2 = start(1);
    /* A retried correlation job submits the same record again; another instance too. */
    CU_ASSERT_EQUAL(dispatcher_submit(d1, a, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0), 0);
    dispatcher_drain(d1);
    CU_ASSERT_EQUAL(dispatcher_submit(d1, a, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0), 0);
    CU_ASSERT_EQUAL(dispatcher_submit(d2, a, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0), 0);
    dispatcher_drain(d1);
    dispatcher_drain(d2);
    CU_ASSERT_EQUAL(lines_with(file, "test_on open"), 1);
    dispatcher_counts(d1, &c1);
    dispatcher_counts(d2, &c2);
    CU_ASSERT_EQUAL(c1.done, 1);
    CU_ASSERT_EQUAL(c1.deduped + c2.deduped, 2);
    /* The step is done by the action; the result is kept for later calls. */
    pb = hget(st, id, "", "playbook");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"step\":\"5.2.2.1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"status\":\"done\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"who\":\"action:test_on\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"status\":\"pending\"")); /* 5.2.2.3 untouched */
    free(pb);
    h = hget(st, id, ":results", "test_on.ticket_id");
    CU_ASSERT_EQUAL(strncmp(h, "T-", 2), 0);
    free(h);
    h = history(st, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "\"step\":\"5.2.2.1\",\"status\":\"ok\""));
    free(h);
    /* A different occurrence (an update with count 2) is a new key, but its step is done
     * already: skipped (no second spare for one fault), and the history says why. */
    sbuf_reset(&rec);
    sbuf_printf(&rec,
                "{\"transition\":\"update\",\"incident\":{\"id\":\"%s\",\"severity\":\"high\","
                "\"key\":{\"host.name\":\"pc1\"},\"count\":2}}",
                id);
    CU_ASSERT_EQUAL(dispatcher_submit(d1, a, VG_TR_UPDATE, id, rec.buf, rec.len, NULL, 0), 0);
    dispatcher_drain(d1);
    CU_ASSERT_EQUAL(lines_with(file, "test_on update"), 0);
    dispatcher_counts(d1, &c1);
    CU_ASSERT_EQUAL(c1.skipped, 1);
    h = history(st, id);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(h, "\"status\":\"skipped\",\"reason\":\"the step is done already\""));
    free(h);
    /* The skip took the occurrence's idempotency key: the same record again is a duplicate. */
    CU_ASSERT_EQUAL(dispatcher_submit(d1, a, VG_TR_UPDATE, id, rec.buf, rec.len, NULL, 0), 0);
    dispatcher_drain(d1);
    dispatcher_counts(d1, &c1);
    CU_ASSERT_EQUAL(c1.skipped, 1);
    CU_ASSERT_EQUAL(c1.deduped, 2);
    {
        /* ... and holds "skipped", not "running" until its lease ends. */
        redisReply *keys = store_cmdf(st, "KEYS *:act:update.2.high.0:*");
        redisReply *v = NULL;

        CU_ASSERT_FATAL(keys != NULL && keys->type == REDIS_REPLY_ARRAY && keys->elements == 1);
        v = store_cmdf(st, "GET %s", keys->element[0]->str);
        CU_ASSERT(v != NULL && v->type == REDIS_REPLY_STRING &&
                  strncmp(v->str, "skipped:", 8) == 0);
        freeReplyObject(v);
        freeReplyObject(keys);
    }
    /* A resolve reports the end (a ticket updated): it runs for a done step. */
    sbuf_reset(&rec);
    sbuf_printf(&rec,
                "{\"transition\":\"resolve\",\"incident\":{\"id\":\"%s\",\"severity\":\"high\","
                "\"key\":{\"host.name\":\"pc1\"},\"count\":2}}",
                id);
    CU_ASSERT_EQUAL(dispatcher_submit(d1, a, VG_TR_RESOLVE, id, rec.buf, rec.len, NULL, 0), 0);
    dispatcher_drain(d1);
    CU_ASSERT_EQUAL(lines_with(file, "test_on resolve"), 1);
    dispatcher_free(d1);
    dispatcher_free(d2);
    sbuf_free(&rec);
    store_close(st);
    free(params);
    free(file);
}

static void test_retry(void)
{
    char err[256], id[48], id2[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("retry.log");
    char *p_ok = xasprintf("{\"file\":\"%s\",\"fail_first\":2}", file);
    char *p_bad = xasprintf("{\"file\":\"%s\",\"fail_first\":9}", file);
    struct rule_action *ok, *bad;
    struct dispatcher *d = start(1);
    struct dispatcher_counts c;
    struct sbuf rec = {0};
    char *h, *pb;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    ok = entry(p_ok, 0);
    ok->step = "5.2.2.3";
    bad = entry(p_bad, 0);
    bad->retries = 2;
    bad->step = "5.2.2.1";
    new_incident(st, id, sizeof(id));
    record(id, "pc2", &rec);
    dispatcher_submit(d, ok, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    new_incident(st, id2, sizeof(id2));
    record(id2, "pc3", &rec);
    dispatcher_submit(d, bad, VG_TR_OPEN, id2, rec.buf, rec.len, NULL, 0);
    dispatcher_drain(d);
    /* Two busy answers, then done: three attempts, one success. */
    CU_ASSERT_EQUAL(lines_with(file, " pc2 attempt="), 3);
    CU_ASSERT_EQUAL(lines_with(file, " pc2 attempt=3"), 1);
    h = history(st, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "\"status\":\"ok\",\"code\":0,\"attempts\":3"));
    free(h);
    /* Out of retries: 1 + 2 attempts, the step failed and handed to a person. */
    CU_ASSERT_EQUAL(lines_with(file, " pc3 attempt="), 3);
    h = history(st, id2);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "\"status\":\"failed\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "endpoint busy (attempt 3)"));
    free(h);
    pb = hget(st, id2, "", "playbook");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"status\":\"failed\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "\"who\":\"person\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb, "endpoint busy"));
    free(pb);
    dispatcher_counts(d, &c);
    CU_ASSERT_EQUAL(c.retried, 4);
    CU_ASSERT_EQUAL(c.done, 1);
    CU_ASSERT_EQUAL(c.failed, 1);
    dispatcher_free(d);
    sbuf_free(&rec);
    store_close(st);
    free(p_ok);
    free(p_bad);
    free(file);
}

static void test_order(void)
{
    char err[256], id[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("order.log");
    char *p_slow = xasprintf("{\"file\":\"%s\",\"fail_first\":2}", file);
    char *p_next = xasprintf("{\"file\":\"%s\"}", file);
    struct rule_action *slow, *next;
    struct dispatcher *d = start(4);
    struct sbuf rec = {0};
    char *want;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    slow = entry(p_slow, 0);
    next = entry(p_next, 0);
    new_incident(st, id, sizeof(id));
    record(id, "pc11", &rec);
    /* The open call retries twice; the resolve call of the same incident waits for it and
     * finds its ticket, as carrier_ticket's update finds the ticket its open created. */
    dispatcher_submit(d, slow, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    dispatcher_submit(d, next, VG_TR_RESOLVE, id, rec.buf, rec.len, NULL, 0);
    dispatcher_drain(d);
    want = xasprintf("test_on resolve %s pc11 attempt=1 prior=T-%s ", id, id);
    CU_ASSERT_EQUAL(lines_with(file, want), 1);
    free(want);
    dispatcher_free(d);
    sbuf_free(&rec);
    store_close(st);
    free(p_slow);
    free(p_next);
    free(file);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_hang(void)
{
    char err[256], id[48], id2[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("hang.log");
    char *p_hang = xasprintf("{\"file\":\"%s\",\"mode\":\"hang\"}", file);
    char *p_ok = xasprintf("{\"file\":\"%s\"}", file);
    struct rule_action *hang, *ok;
    struct dispatcher *d = start(2);
    struct dispatcher_counts c;
    struct sbuf rec = {0};
    int64_t t0, t_ok, t_all;
    char *h;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    hang = entry(p_hang, 0);
    hang->timeout_ms = 300;
    ok = entry(p_ok, 0);
    new_incident(st, id, sizeof(id));
    record(id, "pc4", &rec);
    t0 = mono_ms();
    dispatcher_submit(d, hang, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    /* An incident of the other worker (calls of one incident run in order on one worker). */
    do {
        new_incident(st, id2, sizeof(id2));
    } while (dispatcher_lane(d, id2) == dispatcher_lane(d, id));
    record(id2, "pc5", &rec);
    dispatcher_submit(d, ok, VG_TR_OPEN, id2, rec.buf, rec.len, NULL, 0);
    /* The other worker runs the second call at once, while the first hangs. */
    while (lines_with(file, " pc5 ") == 0 && mono_ms() - t0 < 5000) {
        struct timespec ts = {0, 10000000};

        nanosleep(&ts, NULL);
    }
    t_ok = mono_ms() - t0;
    CU_ASSERT(t_ok < 1000);
    dispatcher_drain(d);
    t_all = mono_ms() - t0;
    /* Abandoned at the deadline (300 ms) plus the grace (1 s), not after the 30 s hang. */
    if (t_all < 1250 || t_all >= 3000) {
        fprintf(stderr, "hang: drained after %lld ms\n", (long long)t_all);
    }
    CU_ASSERT(t_all >= 1250 && t_all < 3000);
    h = history(st, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "\"status\":\"timeout\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "abandoned"));
    free(h);
    dispatcher_counts(d, &c);
    CU_ASSERT_EQUAL(c.abandoned, 1);
    CU_ASSERT_EQUAL(c.done, 1);
    /* The instance is held by the hung call: its next call fails at its deadline. */
    new_incident(st, id, sizeof(id));
    record(id, "pc6", &rec);
    dispatcher_submit(d, hang, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    dispatcher_drain(d);
    h = history(st, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "still running past its deadline"));
    free(h);
    dispatcher_free(d);
    sbuf_free(&rec);
    store_close(st);
    free(p_hang);
    free(p_ok);
    free(file);
}

static void test_rate(void)
{
    char err[256], id[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("rate.log");
    char *params = xasprintf("{\"file\":\"%s\"}", file);
    struct rule_action *a;
    struct dispatcher *d = start(3);
    struct dispatcher_counts c;
    struct sbuf rec = {0};
    int64_t t0;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    a = entry(params, 0);
    a->rate_count = 2;
    a->rate_per_ms = 1000;
    t0 = mono_ms();
    for (i = 0; i < 5; i++) {
        new_incident(st, id, sizeof(id));
        record(id, "pc7", &rec);
        dispatcher_submit(d, a, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    }
    dispatcher_drain(d);
    /* Two per second, spaced 500 ms apart: the fifth starts 2 s after the first. */
    CU_ASSERT(mono_ms() - t0 >= 1900);
    CU_ASSERT_EQUAL(lines_with(file, " pc7 "), 5);
    dispatcher_counts(d, &c);
    CU_ASSERT_EQUAL(c.limited, 4);
    dispatcher_free(d);
    sbuf_free(&rec);
    store_close(st);
    free(params);
    free(file);
}

static void test_undo_and_values(void)
{
    char err[256], id[48], id2[48];
    struct store *st = store_open(test_redis_url(), 2000, err, sizeof(err));
    char *file = tmpfile_path("undo.log");
    char *params = xasprintf("{\"file\":\"%s\"}", file);
    char *p_trig = xasprintf("{\"file\":\"%s\",\"field\":\"trigger.source.ip\"}", file);
    struct rule_action *a, *t;
    struct dispatcher *d = start(2);
    struct dispatcher_counts c;
    struct sbuf rec = {0};
    const char *trig = "{\"source.ip\":\"10.1.2.3\"}";
    char *h;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    a = entry(params, 1);
    rl.on[VG_TR_OPEN] = a;
    rl.n_on[VG_TR_OPEN] = 1;
    a->index = 0;
    a->transition = VG_TR_OPEN;
    new_incident(st, id, sizeof(id));
    record(id, "pc8", &rec);
    dispatcher_submit(d, a, VG_TR_OPEN, id, rec.buf, rec.len, NULL, 0);
    dispatcher_drain(d);
    h = hget(st, id, ":undo", "0.0");
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "\"host.name\":\"pc8\""));
    free(h);
    /* An operator closed it: the inverse runs once, with the result of the first call. */
    dispatcher_submit_undo(d, &rl, id, "host.name=pc8", 13, 0);
    dispatcher_drain(d);
    dispatcher_submit_undo(d, &rl, id, "host.name=pc8", 13, 0);
    dispatcher_drain(d);
    h = xasprintf("test_off close %s pc8 attempt=1 prior=T-%s ", id, id);
    CU_ASSERT_EQUAL(lines_with(file, h), 1);
    CU_ASSERT_EQUAL(lines_with(file, "test_off"), 1);
    free(h);
    h = hget(st, id, ":undo", "0.0");
    CU_ASSERT_STRING_EQUAL(h, "");
    free(h);
    /* Values from events are checked: a host name that is a command is refused. */
    new_incident(st, id2, sizeof(id2));
    record(id2, "pc9;reboot", &rec);
    dispatcher_submit(d, a, VG_TR_OPEN, id2, rec.buf, rec.len, NULL, 0);
    dispatcher_drain(d);
    CU_ASSERT_EQUAL(lines_with(file, "refused"), 1);
    h = history(st, id2);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "refused: as a host name it may hold only"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "pc9;reboot"));
    free(h);
    h = hget(st, id2, ":undo", "0.0");
    CU_ASSERT_STRING_EQUAL(h, ""); /* nothing to undo after a failure */
    free(h);
    dispatcher_counts(d, &c);
    CU_ASSERT(c.rejected >= 1);
    /* The trigger event's fields are in the call: "trigger.source.ip". */
    t = entry(p_trig, 0);
    new_incident(st, id2, sizeof(id2));
    record(id2, "pc10", &rec);
    dispatcher_submit(d, t, VG_TR_OPEN, id2, rec.buf, rec.len, trig, strlen(trig));
    dispatcher_drain(d);
    h = xasprintf("test_on open %s 10.1.2.3 ", id2);
    CU_ASSERT_EQUAL(lines_with(file, h), 1);
    free(h);
    rl.on[VG_TR_OPEN] = NULL;
    rl.n_on[VG_TR_OPEN] = 0;
    dispatcher_free(d);
    sbuf_free(&rec);
    store_close(st);
    free(params);
    free(p_trig);
    free(file);
}

static void test_values(void)
{
    static const struct {
        uint32_t kind;
        const char *v;
        int ok;
    } cases[] = {
        {VG_VAL_NAME, "core-sw1.example.org", 1},
        {VG_VAL_NAME, "pc1;reboot", 0},
        {VG_VAL_NAME, "$(id)", 0},
        {VG_VAL_NAME, "`id`", 0},
        {VG_VAL_NAME, "-rf", 0},
        {VG_VAL_NAME, "a b", 0},
        {VG_VAL_NAME, "", 0},
        {VG_VAL_IFNAME, "GigabitEthernet1/0/12", 1},
        {VG_VAL_IFNAME, "Gi1/0/1\n", 0},
        {VG_VAL_IFNAME, "Gi1/0/1'", 0},
        {VG_VAL_IP, "10.0.0.1", 1},
        {VG_VAL_IP, "2001:db8::1", 1},
        {VG_VAL_IP, "10.0.0.1; id", 0},
        {VG_VAL_IP, "999.1.1.1", 0},
        {VG_VAL_ID, "TT-2026/1234#5", 1},
        {VG_VAL_ID, "TT 1", 0},
        {VG_VAL_EMAIL, "noc@carrier.example", 1},
        {VG_VAL_EMAIL, "a@b.c\r\nBcc: x@y.z", 0},
        {VG_VAL_EMAIL, "\"x\"@y.z", 0},
        {VG_VAL_TEXT, "Link down on Gi1/0/1, übertragung 100%", 1},
        {VG_VAL_TEXT, "two\nlines", 0},
        {VG_VAL_TEXT, "esc \x1b[31m", 0},
        {VG_VAL_TEXT, "bad \xc3\x28 utf8", 0},
        {VG_VAL_TEXT, "overlong \xc0\xaf", 0},
        {VG_VAL_TEXT, "surrogate \xed\xa0\x80", 0},
        {VG_VAL_TEXT, "line sep \xe2\x80\xa8", 0},
        {99, "x", 0},
    };
    char why[160];
    char *big = malloc(65536);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = value_check(cases[i].kind, cases[i].v, strlen(cases[i].v), why, sizeof(why));

        if ((rc == 0) != cases[i].ok) {
            fprintf(stderr, "value case %zu (%s): got %d\n", i, cases[i].v, rc);
        }
        CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
        if (rc != 0) {
            /* The reason never repeats the value. */
            CU_ASSERT_PTR_NULL(strstr(why, cases[i].v[0] ? cases[i].v : "\x01"));
        }
    }
    /* NUL inside, and 64 KiB. */
    CU_ASSERT_NOT_EQUAL(value_check(VG_VAL_TEXT, "a\0b", 3, why, sizeof(why)), 0);
    CU_ASSERT_NOT_EQUAL(value_check(VG_VAL_NAME, "a\0b", 3, why, sizeof(why)), 0);
    memset(big, 'a', 65536);
    CU_ASSERT_NOT_EQUAL(value_check(VG_VAL_TEXT, big, 65536, why, sizeof(why)), 0);
    CU_ASSERT_NOT_EQUAL(value_check(VG_VAL_NAME, big, 65536, why, sizeof(why)), 0);
    CU_ASSERT_NOT_EQUAL(value_check(VG_VAL_IP, big, 65536, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(value_check(VG_VAL_TEXT, big, 4096, why, sizeof(why)), 0);
    free(big);
    value_excerpt("a\"b\n\xff", 5, 48, why, sizeof(why));
    CU_ASSERT_STRING_EQUAL(why, "a\\x22b\\x0a\\xff");
    value_excerpt("abcdef", 6, 3, why, sizeof(why));
    CU_ASSERT_STRING_EQUAL(why, "abc...");
}

static void test_secrets(void)
{
    char err[512];
    char *path = xasprintf("%s/community", test_tmpdir());
    char *ref = xasprintf("file:%s", path);
    FILE *f = fopen(path, "w");
    char *v;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("s3cr3t-community\n", f);
    fclose(f);
    chmod(path, 0600);
    v = secret_read(ref, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(v);
    if (v != NULL) {
        CU_ASSERT_STRING_EQUAL(v, "s3cr3t-community");
        free(v);
    }
    /* Readable by others: refused, and the message names the file but not the secret. */
    chmod(path, 0644);
    CU_ASSERT_PTR_NULL(secret_read(ref, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NULL(strstr(err, "s3cr3t"));
    CU_ASSERT_PTR_NULL(secret_read("file:relative/path", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(secret_read("file:/nonexistent/vigil-secret", err, sizeof(err)));
    /* Inline secrets are refused without echoing them. */
    CU_ASSERT_PTR_NULL(secret_read("public", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(strstr(err, "public"));
    setenv("VG_TEST_SECRET", "from-env", 1);
    v = secret_read("env:VG_TEST_SECRET", err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(v);
    if (v != NULL) {
        CU_ASSERT_STRING_EQUAL(v, "from-env");
        free(v);
    }
    CU_ASSERT_PTR_NULL(secret_read("env:VG_TEST_SECRET_UNSET", err, sizeof(err)));
    free(ref);
    free(path);
}

void suite_dispatch(void)
{
    CU_pSuite s = CU_add_suite("dispatch", NULL, NULL);

    action_init();
    CU_add_test(s, "values", test_values);
    CU_add_test(s, "secrets", test_secrets);
    CU_add_test(s, "once", test_once);
    CU_add_test(s, "retry", test_retry);
    CU_add_test(s, "rate", test_rate);
    CU_add_test(s, "order", test_order);
    CU_add_test(s, "undo_and_values", test_undo_and_values);
    CU_add_test(s, "hang", test_hang);
}
