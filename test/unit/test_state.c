/* SPDX-License-Identifier: MIT */
/*
 * State API suite, against the test process's real redis-server: every state
 * script through state_begin, store_flush and state_finish (windows, distinct
 * values, pair deadlines, sequences, heartbeats, rates, suppression, contexts),
 * retried jobs, the timer path (state_append_post, state_claim, state_fire_begin)
 * and the request checks. Each test keeps its keys under a prefix of its own.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "testutil.h"

#define T0     INT64_C(1700000000000) /* the correlation clock's start in every test */
#define RULE   "r1"                   /* rule name of the tests that need only one */
#define EV_ONE "{\"host.name\":\"web01\",\"n\":1}"
#define EV_TWO "{\"host.name\":\"web01\",\"n\":2}"

/* Assert that o (evaluated once) is an outcome with verdict v and count n, at the caller's line. */
#define CHECK_OUT(o, v, n)                  \
    do {                                    \
        const struct state_out *chk_ = (o); \
                                            \
        CU_ASSERT_PTR_NOT_NULL_FATAL(chk_); \
        CU_ASSERT_EQUAL(chk_->verdict, v);  \
        CU_ASSERT_EQUAL(chk_->count, n);    \
    } while (0)

static struct store *st;
static struct state_pending last; /* the outcomes of the latest run() or fire() */
static unsigned long n_jobs;

/* Outcome i of the latest run, or NULL. */
static const struct state_out *out_at(size_t i)
{
    return i < last.n_out ? &last.out[i] : NULL;
}

static int setup(void)
{
    char err[256];
    const char *url = test_redis_url();

    if (url == NULL) {
        return -1;
    }
    state_init();
    st = store_open(url, 2000, err, sizeof(err));
    return st != NULL && store_ok(st) ? 0 : -1;
}

static int teardown(void)
{
    state_pending_free(&last);
    store_close(st);
    return 0;
}

/* Read the replies of the follow-ups of last, as the correlation loop does; -1 on an error. */
static int post(const char *prefix)
{
    redisReply *reps[2] = {NULL, NULL};
    size_t n = state_append_post(st, prefix, &last);
    size_t i;
    int rc = 0;

    if (n == 0) {
        return 0;
    }
    if (n > 2 || store_flush(st, reps, n) != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (reps[i] == NULL || reps[i]->type == REDIS_REPLY_ERROR) {
            rc = -1;
        }
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    return rc;
}

/* Read the queued script's reply into last and queue its follow-ups. */
static int finish(const char *prefix, int rc)
{
    redisReply *rep = NULL;

    if (rc != VG_OK || store_flush(st, &rep, 1) != 0) {
        return VG_EIO;
    }
    state_finish(&last, rep);
    freeReplyObject(rep);
    if (last.rc == VG_OK && post(prefix) != 0) {
        return VG_EIO;
    }
    return last.rc;
}

/*
 * Run req for (rule, key) at now as job (NULL: a new id) with event ev; the
 * outcomes are in last. Returns the first outcome, or NULL when there is none
 * or the script failed.
 */
static const struct state_out *run_as(const char *prefix, const char *rule, const char *key,
                                      const struct vg_state_req *req, int64_t now, const char *job,
                                      const char *ev)
{
    char id[32];
    int retry = job != NULL; /* a job id given again is a retry */
    int rc;

    if (job == NULL) {
        snprintf(id, sizeof(id), "job-%lu", ++n_jobs);
        job = id;
    }
    state_pending_free(&last);
    rc = state_begin(st, prefix, rule, key, strlen(key), req, now, job, ev,
                     ev != NULL ? strlen(ev) : 0, 3600000, retry, &last);
    if (finish(prefix, rc) != VG_OK || last.n_out == 0) {
        return NULL;
    }
    return out_at(0);
}

static const struct state_out *run(const char *prefix, const char *key,
                                   const struct vg_state_req *req, int64_t now)
{
    return run_as(prefix, RULE, key, req, now, NULL, NULL);
}

/* Fire the deadline name of (rule, key) at now holding lease; the outcomes are in last. */
static int fire(const char *prefix, const char *rule, const char *key, size_t key_len,
                const char *name, int64_t now, int64_t lease)
{
    char id[32];

    snprintf(id, sizeof(id), "fire-%lu", ++n_jobs);
    state_pending_free(&last);
    return finish(prefix,
                  state_fire_begin(st, prefix, rule, key, key_len, name, now, lease, id, &last));
}

/* The score of the deadline of (rule, name, key) in its shard, or -1 when it is not indexed. */
static int64_t due_score(const char *prefix, const char *rule, const char *name, const char *key)
{
    struct sbuf member = {0}, shard = {0};
    redisReply *r;
    int64_t v = -1;

    state_timer_member(prefix, rule, name, key, strlen(key), &member, &shard);
    r = store_cmdf(st, "ZSCORE %s %b", shard.buf, member.buf, member.len);
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        v = strtoll(r->str, NULL, 10);
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    sbuf_free(&member);
    sbuf_free(&shard);
    return v;
}

/* Claim from every shard of prefix at now; the claims are appended to *c. */
static int claim_all(const char *prefix, int64_t now, struct state_claim **c, size_t *n)
{
    int total = 0;
    int i;

    for (i = 0; i < STATE_TIMER_SHARDS; i++) {
        int k = state_claim(st, prefix, i, now, STATE_LEASE_MS, c, n);

        if (k < 0) {
            return -1;
        }
        total += k;
    }
    return total;
}

static void test_count(void)
{
    const char *p = "t:state:1:";
    struct vg_state_req r = {.size = sizeof(r),
                             .op = VG_ST_COUNT,
                             .window_ms = 60000,
                             .threshold = 5,
                             .suppress_ms = 60000};
    const struct state_out *o;
    int64_t fired_at = T0 + 40000;
    int i;

    for (i = 0; i < 4; i++) {
        o = run(p, "k1", &r, T0 + i * 10000);
        CHECK_OUT(o, VG_SV_NONE, i + 1);
        CU_ASSERT_EQUAL(o->since_ms, T0);
        CU_ASSERT_EQUAL(o->op, VG_ST_COUNT);
        CU_ASSERT_EQUAL(o->deadline, 0);
    }
    o = run(p, "k1", &r, fired_at);
    CHECK_OUT(o, VG_SV_FIRED, 5);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    CU_ASSERT_EQUAL(last.set_due, 0);

    /* The window's edge: an event exactly window_ms old still counts, one more ms not. */
    for (i = 0; i < 4; i++) {
        CHECK_OUT(run(p, "k2", &r, T0 + i), VG_SV_NONE, i + 1);
        CHECK_OUT(run(p, "k3", &r, T0 + i), VG_SV_NONE, i + 1);
    }
    CHECK_OUT(run(p, "k2", &r, T0 + 60000), VG_SV_FIRED, 5);
    o = run(p, "k3", &r, T0 + 60001);
    CHECK_OUT(o, VG_SV_NONE, 4);
    CU_ASSERT_EQUAL(o->since_ms, T0 + 1);

    /* Suppressed up to fire + suppress_ms inclusive; then an empty window needs 5 new. */
    o = run(p, "k1", &r, fired_at + 60000);
    CHECK_OUT(o, VG_SV_SUPPRESSED, 0);
    CU_ASSERT_EQUAL(o->since_ms, fired_at + 60000);
    for (i = 1; i <= 4; i++) {
        CHECK_OUT(run(p, "k1", &r, fired_at + 60000 + i), VG_SV_NONE, i);
    }
    CHECK_OUT(run(p, "k1", &r, fired_at + 60005), VG_SV_FIRED, 5);
}

/* A threshold above the small-window limit keeps its window in a sorted set: same answers. */
static void test_count_large(void)
{
    const char *p = "t:state:12:";
    struct vg_state_req r = {.size = sizeof(r),
                             .op = VG_ST_COUNT,
                             .window_ms = 600000,
                             .threshold = 300,
                             .suppress_ms = 1000};
    const struct state_out *o = NULL;
    int i;

    for (i = 0; i < 299; i++) {
        o = run(p, "big", &r, T0 + i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_EQUAL(o->verdict, VG_SV_NONE);
        CU_ASSERT_EQUAL(o->count, i + 1);
    }
    CU_ASSERT_EQUAL(o->since_ms, T0);
    /* A retried job is not counted twice. */
    CHECK_OUT(run_as(p, RULE, "big", &r, T0 + 299, "big-299", NULL), VG_SV_FIRED, 300);
    CHECK_OUT(run_as(p, RULE, "big", &r, T0 + 299, "big-299", NULL), VG_SV_FIRED, 300);
    CHECK_OUT(run(p, "big", &r, T0 + 1299), VG_SV_SUPPRESSED, 0);
    CHECK_OUT(run(p, "big", &r, T0 + 1300), VG_SV_NONE, 1);
}

static void test_distinct(void)
{
    const char *p = "t:state:2:";
    struct vg_state_req r = {.size = sizeof(r),
                             .op = VG_ST_DISTINCT,
                             .window_ms = 600000,
                             .threshold = 3,
                             .suppress_ms = 60000};
    const struct state_out *o;
    int64_t fired_at = T0 + 601002;

    r.value = "a";
    CHECK_OUT(run(p, "k", &r, T0), VG_SV_NONE, 1);
    r.value = "b";
    CHECK_OUT(run(p, "k", &r, T0 + 1000), VG_SV_NONE, 2);
    /* A repeated value counts once, and its latest time is what the window keeps. */
    r.value = "a";
    CHECK_OUT(run(p, "k", &r, T0 + 2000), VG_SV_NONE, 2);
    CHECK_OUT(run(p, "k", &r, T0 + 2000), VG_SV_NONE, 2);
    /* b (last seen 600001 ms ago) is dropped, a (seen again) is not. */
    r.value = "c";
    o = run(p, "k", &r, T0 + 601001);
    CHECK_OUT(o, VG_SV_NONE, 2);
    CU_ASSERT_EQUAL(o->since_ms, T0 + 2000);
    r.value = "d";
    o = run(p, "k", &r, fired_at);
    CHECK_OUT(o, VG_SV_FIRED, 3);
    CU_ASSERT_EQUAL(o->since_ms, T0 + 2000);

    r.value = "e";
    CHECK_OUT(run(p, "k", &r, fired_at + 60000), VG_SV_SUPPRESSED, 0);
    CHECK_OUT(run(p, "k", &r, fired_at + 60001), VG_SV_NONE, 1);
    r.value = "a";
    CHECK_OUT(run(p, "k", &r, fired_at + 60002), VG_SV_NONE, 2);
}

static void test_arm_disarm(void)
{
    const char *p = "t:state:3:";
    struct vg_state_req arm = {.size = sizeof(arm),
                               .op = VG_ST_ARM,
                               .name = "link",
                               .window_ms = 60000,
                               .flags = VG_STF_KEEP_EVENT};
    struct vg_state_req disarm = {
        .size = sizeof(disarm), .op = VG_ST_DISARM, .name = "link", .window_ms = 60000};
    const struct state_out *o;
    int64_t t2 = T0 + 100000;

    o = run_as(p, RULE, "k", &arm, T0, NULL, EV_ONE);
    CHECK_OUT(o, VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    CU_ASSERT_EQUAL(last.set_due, T0 + 60000);
    CU_ASSERT_EQUAL(due_score(p, RULE, "link", "k"), T0 + 60000);
    /* Disarmed at the deadline itself: still in time. */
    o = run(p, "k", &disarm, T0 + 60000);
    CHECK_OUT(o, VG_SV_CLEARED, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    CU_ASSERT_EQUAL(o->op, VG_ST_DISARM);
    CU_ASSERT_EQUAL(last.n_out, 1);

    CHECK_OUT(run_as(p, RULE, "k", &arm, t2, NULL, EV_ONE), VG_SV_ARMED, 0);
    /* Armed already: nothing, and the first event stays the kept one. */
    o = run_as(p, RULE, "k", &arm, t2 + 10, NULL, EV_TWO);
    CHECK_OUT(o, VG_SV_NONE, 0);
    CU_ASSERT_EQUAL(o->since_ms, t2);
    CU_ASSERT_EQUAL(last.set_due, 0);

    /* Too late: the deadline fires ahead of the disarm, which then finds nothing. */
    o = run(p, "k", &disarm, t2 + 60001);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 2);
    CHECK_OUT(o, VG_SV_EXPIRED, 0);
    CU_ASSERT_EQUAL(o->deadline, 1);
    CU_ASSERT_EQUAL(o->op, VG_ST_ARM);
    CU_ASSERT_EQUAL(o->since_ms, t2);
    CU_ASSERT_EQUAL(o->due_ms, t2 + 60000);
    CU_ASSERT_STRING_EQUAL(o->evjson.buf, EV_ONE);
    CHECK_OUT(out_at(1), VG_SV_NONE, 0);
    CU_ASSERT_EQUAL(last.out[1].deadline, 0);
    CU_ASSERT_EQUAL(last.out[1].op, VG_ST_DISARM);

    /* Without VG_STF_KEEP_EVENT the deadline carries no event. */
    arm.flags = 0;
    CHECK_OUT(run_as(p, RULE, "k2", &arm, T0, NULL, EV_ONE), VG_SV_ARMED, 0);
    o = run(p, "k2", &disarm, T0 + 60001);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 2);
    CHECK_OUT(o, VG_SV_EXPIRED, 0);
    CU_ASSERT_EQUAL(o->evjson.len, 0);
}

static void test_sequence(void)
{
    const char *p = "t:state:4:";
    struct vg_state_req r = {
        .size = sizeof(r), .op = VG_ST_SEQUENCE, .window_ms = 60000, .n_steps = 3};
    const char *keys[] = {"in-order", "at-edge"};
    const struct state_out *o;
    size_t i;

    /* In order within the window (the last step exactly window_ms after the first) fires. */
    for (i = 0; i < 2; i++) {
        r.step = 0;
        CHECK_OUT(run(p, keys[i], &r, T0), VG_SV_NONE, 1);
        r.step = 1;
        CHECK_OUT(run(p, keys[i], &r, T0 + 1), VG_SV_NONE, 2);
        r.step = 2;
        o = run(p, keys[i], &r, i == 0 ? T0 + 2 : T0 + 60000);
        CHECK_OUT(o, VG_SV_FIRED, 3);
        CU_ASSERT_EQUAL(o->since_ms, T0);
    }
    /* Fired: the progress starts again. */
    r.step = 1;
    CHECK_OUT(run(p, "in-order", &r, T0 + 3), VG_SV_NONE, 0);

    /* Out of order: 0, 2, 1 does not fire. */
    r.step = 0;
    CHECK_OUT(run(p, "shuffled", &r, T0), VG_SV_NONE, 1);
    r.step = 2;
    CHECK_OUT(run(p, "shuffled", &r, T0 + 1), VG_SV_NONE, 1);
    r.step = 1;
    CHECK_OUT(run(p, "shuffled", &r, T0 + 2), VG_SV_NONE, 2);

    /* The start expired: the progress resets and the last step is not enough. */
    r.step = 0;
    CHECK_OUT(run(p, "late", &r, T0), VG_SV_NONE, 1);
    r.step = 1;
    CHECK_OUT(run(p, "late", &r, T0 + 1), VG_SV_NONE, 2);
    r.step = 2;
    CHECK_OUT(run(p, "late", &r, T0 + 60001), VG_SV_NONE, 0);
    r.step = 0;
    o = run(p, "late", &r, T0 + 60002);
    CHECK_OUT(o, VG_SV_NONE, 1);
    CU_ASSERT_EQUAL(o->since_ms, T0 + 60002);
}

static void test_heartbeat(void)
{
    const char *p = "t:state:5:";
    const int64_t w = 300000;
    struct vg_state_req r = {.size = sizeof(r), .op = VG_ST_HEARTBEAT, .window_ms = w};
    const struct state_out *o;

    o = run_as(p, RULE, "h", &r, T0, NULL, EV_ONE);
    CHECK_OUT(o, VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    CU_ASSERT_EQUAL(last.set_due, T0 + w);
    /* A beat at the deadline itself is in time and pushes it on. */
    o = run_as(p, RULE, "h", &r, T0 + w, NULL, EV_TWO);
    CU_ASSERT_EQUAL(last.n_out, 1);
    CHECK_OUT(o, VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(last.set_due, T0 + 2 * w);

    o = run_as(p, RULE, "h", &r, T0 + 2 * w + 1, NULL, EV_ONE);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 2);
    CHECK_OUT(o, VG_SV_EXPIRED, 0);
    CU_ASSERT_EQUAL(o->deadline, 1);
    CU_ASSERT_EQUAL(o->op, VG_ST_HEARTBEAT);
    CU_ASSERT_EQUAL(o->since_ms, T0 + w);
    CU_ASSERT_EQUAL(o->due_ms, T0 + 2 * w);
    CU_ASSERT_STRING_EQUAL(o->evjson.buf, EV_TWO);
    CHECK_OUT(out_at(1), VG_SV_CLEARED, 0);
    CU_ASSERT_EQUAL(last.out[1].deadline, 0);
    CU_ASSERT_EQUAL(last.out[1].since_ms, T0 + w);
    CU_ASSERT_EQUAL(last.set_due, T0 + 3 * w + 1);
}

static void test_rate(void)
{
    const char *p = "t:state:6:";
    struct vg_state_req r = {.size = sizeof(r),
                             .op = VG_ST_RATE,
                             .name = "rate",
                             .window_ms = 10000,
                             .threshold = 3,
                             .window2_ms = 20000,
                             .threshold2 = 1};
    const struct state_out *o;
    int64_t due = T0 + 1000 + 20000 + 1; /* the second event leaves window2 */

    CHECK_OUT(run(p, "k", &r, T0), VG_SV_NONE, 1);
    CHECK_OUT(run(p, "k", &r, T0 + 1000), VG_SV_NONE, 2);
    CU_ASSERT_EQUAL(last.set_due, 0);
    o = run(p, "k", &r, T0 + 2000);
    CHECK_OUT(o, VG_SV_FIRED, 3);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    CU_ASSERT_EQUAL(last.set_due, due);
    CU_ASSERT_EQUAL(due_score(p, RULE, "rate", "k"), due);

    /* One ms early the firing does nothing; at the due time two events fell out. */
    CU_ASSERT_EQUAL(fire(p, RULE, "k", 1, "rate", due - 1, 0), VG_OK);
    CU_ASSERT_EQUAL(last.n_out, 0);
    CU_ASSERT_EQUAL(last.set_due, 0);
    CU_ASSERT_EQUAL(fire(p, RULE, "k", 1, "rate", due, 0), VG_OK);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 1);
    CHECK_OUT(out_at(0), VG_SV_CLEARED, 1);
    CU_ASSERT_EQUAL(last.out[0].deadline, 1);
    CU_ASSERT_EQUAL(last.out[0].op, VG_ST_RATE);
    CU_ASSERT_EQUAL(last.out[0].since_ms, T0 + 2000);
    CU_ASSERT_EQUAL(last.out[0].due_ms, due);
    CU_ASSERT_EQUAL(last.set_due, 0);

    /* Cleared: counting starts over in window_ms. */
    CHECK_OUT(run(p, "k", &r, due + 1), VG_SV_NONE, 1);
    CHECK_OUT(run(p, "k", &r, due + 2), VG_SV_NONE, 2);
    CHECK_OUT(run(p, "k", &r, due + 3), VG_SV_FIRED, 3);
}

static void test_suppress_contexts(void)
{
    const char *p = "t:state:7:";
    struct vg_state_req r = {.size = sizeof(r), .op = VG_ST_SUPPRESS, .window_ms = 30000};
    struct vg_state_req c = {.size = sizeof(c), .value = "maint.web01", .window_ms = 1000};
    const struct state_out *o;

    o = run(p, "k", &r, T0);
    CHECK_OUT(o, VG_SV_NONE, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    o = run(p, "k", &r, T0 + 30000);
    CHECK_OUT(o, VG_SV_SUPPRESSED, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0);
    o = run(p, "k", &r, T0 + 30001);
    CHECK_OUT(o, VG_SV_NONE, 0);
    CU_ASSERT_EQUAL(o->since_ms, T0 + 30001);
    CHECK_OUT(run(p, "k", &r, T0 + 30002), VG_SV_SUPPRESSED, 0);

    /* A context is seen from any rule and key until its lifetime ends (inclusive). */
    c.op = VG_ST_CTX_SET;
    CHECK_OUT(run(p, "k", &c, T0), VG_SV_NONE, 0);
    c.op = VG_ST_CTX_TEST;
    CHECK_OUT(run_as(p, "r2", "other", &c, T0 + 1000, NULL, NULL), VG_SV_TRUE, 1);
    CHECK_OUT(run(p, "k", &c, T0 + 1001), VG_SV_NONE, 0);
    c.op = VG_ST_CTX_DEL;
    CHECK_OUT(run(p, "k", &c, T0 + 1002), VG_SV_NONE, 0);

    /* Lifetime 0: set until deleted. */
    c.op = VG_ST_CTX_SET;
    c.window_ms = 0;
    CHECK_OUT(run(p, "k", &c, T0), VG_SV_NONE, 0);
    c.op = VG_ST_CTX_TEST;
    CHECK_OUT(run(p, "k", &c, T0 + INT64_C(86400000) * 365), VG_SV_TRUE, 1);
    c.op = VG_ST_CTX_DEL;
    CHECK_OUT(run(p, "k", &c, T0 + 1), VG_SV_TRUE, 1);
    CHECK_OUT(run(p, "k", &c, T0 + 2), VG_SV_NONE, 0);
    c.op = VG_ST_CTX_TEST;
    CHECK_OUT(run(p, "k", &c, T0 + 3), VG_SV_NONE, 0);
    c.op = VG_ST_CTX_DEL;
    c.value = "never.set";
    CHECK_OUT(run(p, "k", &c, T0), VG_SV_NONE, 0);
}

static void test_retry_idempotent(void)
{
    const char *p = "t:state:8:";
    struct vg_state_req r = {
        .size = sizeof(r), .op = VG_ST_COUNT, .window_ms = 60000, .threshold = 2};
    struct vg_state_req arm = {.size = sizeof(arm), .op = VG_ST_ARM, .window_ms = 5000};

    CHECK_OUT(run_as(p, RULE, "k", &r, T0, "dup-1", NULL), VG_SV_NONE, 1);
    CHECK_OUT(run_as(p, RULE, "k", &r, T0, "dup-1", NULL), VG_SV_NONE, 1);
    CHECK_OUT(run_as(p, RULE, "k", &r, T0 + 1, "dup-2", NULL), VG_SV_FIRED, 2);

    /* The retry gets the first answer (ARMED and its deadline), not "armed already". */
    CHECK_OUT(run_as(p, RULE, "k", &arm, T0, "arm-1", NULL), VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(last.set_due, T0 + 5000);
    CHECK_OUT(run_as(p, RULE, "k", &arm, T0 + 7, "arm-1", NULL), VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(last.out[0].since_ms, T0);
    CU_ASSERT_EQUAL(last.set_due, T0 + 5000);
    CHECK_OUT(run_as(p, RULE, "k", &arm, T0 + 8, "arm-2", NULL), VG_SV_NONE, 0);
    CU_ASSERT_EQUAL(last.set_due, 0);

    /* A retried batch re-runs every job after the first failure: each gets its own answer. */
    {
        struct vg_state_req sup = {
            .size = sizeof(sup), .op = VG_ST_SUPPRESS, .name = "s", .window_ms = 1000};

        CHECK_OUT(run_as(p, RULE, "k", &sup, T0, "sup-a", NULL), VG_SV_NONE, 0);
        CHECK_OUT(run_as(p, RULE, "k", &sup, T0 + 1, "sup-b", NULL), VG_SV_SUPPRESSED, 0);
        CHECK_OUT(run_as(p, RULE, "k", &sup, T0, "sup-a", NULL), VG_SV_NONE, 0);
        CHECK_OUT(run_as(p, RULE, "k", &sup, T0 + 1, "sup-b", NULL), VG_SV_SUPPRESSED, 0);
    }
}

/*
 * A retried batch runs its jobs again, in order, on state later jobs changed:
 * an up (nothing armed) then a down (armed). Run again, the up must not disarm
 * the down's window, and the down must still say ARMED with its deadline.
 */
static void test_retry_batch_order(void)
{
    const char *p = "t:state:13:";
    struct vg_state_req arm = {
        .size = sizeof(arm), .op = VG_ST_ARM, .window_ms = 30000, .flags = VG_STF_KEEP_EVENT};
    struct vg_state_req disarm = {.size = sizeof(disarm), .op = VG_ST_DISARM};
    struct vg_state_req seq = {
        .size = sizeof(seq), .op = VG_ST_SEQUENCE, .n_steps = 2, .window_ms = 10000};

    CHECK_OUT(run_as(p, RULE, "k", &disarm, T0, "up-1", NULL), VG_SV_NONE, 0);
    CHECK_OUT(run_as(p, RULE, "k", &arm, T0 + 1, "down-1", EV_ONE), VG_SV_ARMED, 0);
    CHECK_OUT(run_as(p, RULE, "k", &disarm, T0, "up-1", NULL), VG_SV_NONE, 0);
    CHECK_OUT(run_as(p, RULE, "k", &arm, T0 + 1, "down-1", EV_ONE), VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(last.set_due, T0 + 30001);
    /* Still armed: a second down is ignored. */
    CHECK_OUT(run(p, "k", &arm, T0 + 2), VG_SV_NONE, 0);

    /* A then B fired; run again, A must not leave a half sequence behind. */
    seq.step = 0;
    CHECK_OUT(run_as(p, RULE, "s", &seq, T0, "a-1", NULL), VG_SV_NONE, 1);
    seq.step = 1;
    CHECK_OUT(run_as(p, RULE, "s", &seq, T0 + 1, "b-1", NULL), VG_SV_FIRED, 2);
    seq.step = 0;
    CHECK_OUT(run_as(p, RULE, "s", &seq, T0, "a-1", NULL), VG_SV_NONE, 1);
    seq.step = 1;
    CHECK_OUT(run_as(p, RULE, "s", &seq, T0 + 1, "b-1", NULL), VG_SV_FIRED, 2);
    CHECK_OUT(run(p, "s", &seq, T0 + 4), VG_SV_NONE, 0);
}

/* Firing a deadline keeps the key's lifetime (it does not shorten it to the firing's). */
static void test_fire_keeps_ttl(void)
{
    const char *p = "t:state:14:";
    struct vg_state_req beat = {.size = sizeof(beat), .op = VG_ST_HEARTBEAT, .window_ms = 1000};
    struct sbuf k = {0};
    char hex[17];
    redisReply *r;

    state_pending_free(&last);
    CU_ASSERT_EQUAL_FATAL(finish(p, state_begin(st, p, RULE, "h", 1, &beat, T0, "hb-1", EV_ONE,
                                                strlen(EV_ONE), 86400000, 0, &last)),
                          VG_OK);
    memcpy(hex, last.tag, sizeof(hex));
    CU_ASSERT_EQUAL(fire(p, RULE, "h", 1, "", T0 + 1000, 0), VG_OK);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 1);
    CHECK_OUT(out_at(0), VG_SV_EXPIRED, 0);
    sbuf_printf(&k, "%s{%s}:st", p, hex);
    r = store_cmdf(st, "PTTL %s", k.buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(r->type == REDIS_REPLY_INTEGER && r->integer > 3600000);
    freeReplyObject(r);
    sbuf_free(&k);
}

/* A key holding a NUL byte (an SNMP octet string, say) keeps its deadline whole. */
static void test_nul_key(void)
{
    const char *p = "t:state:11:";
    static const char key[] = "host.name=a\0b|x=1";
    size_t key_len = sizeof(key) - 1;
    struct vg_state_req arm = {.size = sizeof(arm), .op = VG_ST_ARM, .window_ms = 1000};
    struct state_claim *c = NULL;
    size_t n = 0;

    state_pending_free(&last);
    CU_ASSERT_EQUAL_FATAL(finish(p, state_begin(st, p, RULE, key, key_len, &arm, T0, "nul-1", NULL,
                                                0, 3600000, 0, &last)),
                          VG_OK);
    CU_ASSERT_EQUAL(last.set_due, T0 + 1000);
    CU_ASSERT_EQUAL_FATAL(claim_all(p, T0 + 1000, &c, &n), 1);
    CU_ASSERT_EQUAL(c[0].key_len, key_len);
    CU_ASSERT_EQUAL(memcmp(c[0].key, key, key_len), 0);
    CU_ASSERT_EQUAL(fire(p, c[0].rule, c[0].key, c[0].key_len, c[0].name, T0 + 1000, c[0].lease),
                    VG_OK);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 1);
    CHECK_OUT(out_at(0), VG_SV_EXPIRED, 0);
    state_claims_free(c, n);
}

static void test_timer_claim(void)
{
    const char *p = "t:state:9:";
    const char *rule = "timer-rule";
    const char key[] = "host.name=a\\|b|ip=1\\=2";
    struct vg_state_req arm = {.size = sizeof(arm),
                               .op = VG_ST_ARM,
                               .name = "wait.up",
                               .window_ms = 60000,
                               .flags = VG_STF_KEEP_EVENT};
    struct state_claim *c = NULL;
    size_t n = 0;
    int64_t due = T0 + 60000;

    CHECK_OUT(run_as(p, rule, key, &arm, T0, NULL, EV_ONE), VG_SV_ARMED, 0);
    CU_ASSERT_EQUAL(last.n_post, 1);
    CU_ASSERT_EQUAL_FATAL(due_score(p, rule, "wait.up", key), due);

    /* Not yet due: a firing does nothing and, holding no lease, leaves the entry. */
    CU_ASSERT_EQUAL(claim_all(p, due - 1, &c, &n), 0);
    CU_ASSERT_EQUAL(fire(p, rule, key, strlen(key), "wait.up", due - 1, 0), VG_OK);
    CU_ASSERT_EQUAL(last.n_out, 0);
    CU_ASSERT_EQUAL(due_score(p, rule, "wait.up", key), due);

    CU_ASSERT_EQUAL_FATAL(claim_all(p, due, &c, &n), 1);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(c[0].rule, rule);
    CU_ASSERT_STRING_EQUAL(c[0].name, "wait.up");
    CU_ASSERT_EQUAL(c[0].key_len, strlen(key));
    CU_ASSERT_EQUAL(memcmp(c[0].key, key, strlen(key)), 0);
    CU_ASSERT_EQUAL(c[0].due, due);
    CU_ASSERT_EQUAL(c[0].lease, due + STATE_LEASE_MS);
    CU_ASSERT_EQUAL(due_score(p, rule, "wait.up", key), due + STATE_LEASE_MS);
    /* Leased: nobody takes it again until the lease passes. */
    CU_ASSERT_EQUAL(claim_all(p, due + 1, &c, &n), 0);
    CU_ASSERT_EQUAL(n, 1);

    CU_ASSERT_EQUAL(fire(p, c[0].rule, c[0].key, c[0].key_len, c[0].name, due, c[0].lease), VG_OK);
    CU_ASSERT_EQUAL_FATAL(last.n_out, 1);
    CHECK_OUT(out_at(0), VG_SV_EXPIRED, 0);
    CU_ASSERT_EQUAL(last.out[0].deadline, 1);
    CU_ASSERT_EQUAL(last.out[0].op, VG_ST_ARM);
    CU_ASSERT_EQUAL(last.out[0].since_ms, T0);
    CU_ASSERT_EQUAL(last.out[0].due_ms, due);
    CU_ASSERT_STRING_EQUAL(last.out[0].evjson.buf, EV_ONE);
    CU_ASSERT_EQUAL(last.n_post, 1);
    CU_ASSERT_EQUAL(due_score(p, rule, "wait.up", key), -1);
    CU_ASSERT_EQUAL(claim_all(p, due + STATE_LEASE_MS + 1, &c, &n), 0);
    /* Fired once: the key can be armed again. */
    CHECK_OUT(run_as(p, rule, key, &arm, due + 1, NULL, EV_TWO), VG_SV_ARMED, 0);
    state_claims_free(c, n);
}

/* state_check refuses req with VG_EINVAL and a message containing word. */
static void check_rejects(const struct vg_state_req *req, const char *word)
{
    char err[256] = "";

    CU_ASSERT_EQUAL(state_check(req, err, sizeof(err)), VG_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, word));
}

static void test_check(void)
{
    struct vg_state_req ok = {.size = sizeof(ok),
                              .op = VG_ST_COUNT,
                              .name = "a-b.c_1",
                              .window_ms = 1000,
                              .threshold = 2};
    struct vg_state_req r;
    char err[256] = "";
    char long_name[STATE_NAME_MAX + 2];

    CU_ASSERT_EQUAL(state_check(&ok, err, sizeof(err)), VG_OK);
    r = ok;
    r.op = 0;
    check_rejects(&r, "op 0");
    r.op = 12;
    check_rejects(&r, "op 12");
    r = ok;
    r.name = "a b";
    check_rejects(&r, "name");
    r.name = "x/y";
    check_rejects(&r, "name");
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    r.name = long_name;
    check_rejects(&r, "name");
    long_name[STATE_NAME_MAX] = '\0';
    CU_ASSERT_EQUAL(state_check(&r, err, sizeof(err)), VG_OK);
    r = ok;
    r.window_ms = -1;
    check_rejects(&r, "window");
    r.window_ms = 0;
    check_rejects(&r, "window");
    r = ok;
    r.op = VG_ST_RATE;
    r.threshold = 3;
    r.window2_ms = 1000;
    r.threshold2 = 2;
    CU_ASSERT_EQUAL(state_check(&r, err, sizeof(err)), VG_OK);
    r.threshold2 = 3;
    check_rejects(&r, "threshold2");
    r = ok;
    r.op = VG_ST_SEQUENCE;
    r.n_steps = 3;
    r.step = 2;
    CU_ASSERT_EQUAL(state_check(&r, err, sizeof(err)), VG_OK);
    r.step = 3;
    check_rejects(&r, "step");
    r = ok;
    r.op = VG_ST_CTX_TEST;
    r.value = "maint";
    CU_ASSERT_EQUAL(state_check(&r, err, sizeof(err)), VG_OK);
    r.value = NULL;
    check_rejects(&r, "context");
    r.op = VG_ST_CTX_SET;
    r.value = "";
    check_rejects(&r, "context");
    r = ok;
    r.size = 8;
    check_rejects(&r, "ABI");
}

void suite_state(void);
void suite_state(void)
{
    CU_pSuite s = CU_add_suite("state", setup, teardown);

    CU_add_test(s, "count", test_count);
    CU_add_test(s, "count_large", test_count_large);
    CU_add_test(s, "distinct", test_distinct);
    CU_add_test(s, "arm_disarm", test_arm_disarm);
    CU_add_test(s, "sequence", test_sequence);
    CU_add_test(s, "heartbeat", test_heartbeat);
    CU_add_test(s, "rate", test_rate);
    CU_add_test(s, "suppress_contexts", test_suppress_contexts);
    CU_add_test(s, "retry_idempotent", test_retry_idempotent);
    CU_add_test(s, "timer_claim", test_timer_claim);
    CU_add_test(s, "nul_key", test_nul_key);
    CU_add_test(s, "retry_batch_order", test_retry_batch_order);
    CU_add_test(s, "fire_keeps_ttl", test_fire_keeps_ttl);
    CU_add_test(s, "check", test_check);
}
