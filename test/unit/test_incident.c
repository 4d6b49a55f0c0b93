/* SPDX-License-Identifier: MIT */
/*
 * Incident store suite, against the test process's real redis-server: open,
 * update, escalate, the record's fields, keys under one hash tag, the open
 * index, the stream, history, show and list, and deterministic ids.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "rule.h"
#include "testutil.h"

static struct store *st;

static int setup(void)
{
    char err[256];
    const char *url = test_redis_url();

    if (url == NULL) {
        return -1;
    }
    incident_init();
    st = store_open(url, 2000, err, sizeof(err));
    return st != NULL && store_ok(st) ? 0 : -1;
}

static int teardown(void)
{
    store_close(st);
    return 0;
}

static struct rule make_rule(char *name, char **key, size_t n_key)
{
    struct rule r;

    memset(&r, 0, sizeof(r));
    r.name = name;
    r.plugin = "single";
    r.key = key;
    r.n_key = n_key;
    r.title = "Failures on ${host.name}";
    r.severity = 3;
    r.incident_class = "hacker_attack";
    r.procedure = "5.2.1";
    return r;
}

static struct vg_event *make_event(const char *host, int64_t ts)
{
    struct vg_event *ev = event_new();

    event_set_time(ev, ts);
    event_set_strz(ev, "host.name", host);
    event_set_strz(ev, "event.action", "ssh.auth_failed");
    return ev;
}

static int upsert(struct store *on, const char *prefix, const struct rule *r,
                  const struct vg_event *ev, const char *key, int64_t now, int sev,
                  const char *note, struct incident_rec *rec)
{
    static unsigned long n_jobs;
    char job[32];
    struct incident_args a = {.prefix = prefix,
                              .r = r,
                              .ev = ev,
                              .key = key,
                              .key_len = strlen(key),
                              .now_ms = now,
                              .severity = sev,
                              .note = note,
                              .job_id = job,
                              .retention_ms = 86400000};

    snprintf(job, sizeof(job), "test-%lu", ++n_jobs);
    return incident_upsert(on, &a, rec);
}

static long long cmd_int(const char *fmt, const char *arg)
{
    redisReply *r = store_cmdf(st, fmt, arg);
    long long v = -1;

    if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
        v = r->integer;
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    return v;
}

static void test_open_update_escalate(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-open", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("web01", 1700000000000LL);
    struct sbuf k = {0};
    char id[48];

    CU_ASSERT_EQUAL_FATAL(
        upsert(st, "t1:", &r, ev, "host.name=web01", 1700000000000LL, 0, NULL, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_OPEN);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"transition\":\"open\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"title\":\"Failures on web01\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"key\":{\"host.name\":\"web01\"}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"playbook\":[{\"step\":\"5.2.1.1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"first_seen\":\"2023-11-14T22:13:20.000Z\""));
    snprintf(id, sizeof(id), "%s", rec.id);

    CU_ASSERT_EQUAL(upsert(st, "t1:", &r, ev, "host.name=web01", 1700000005000LL, 0, NULL, &rec),
                    VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_UPDATE);
    CU_ASSERT_STRING_EQUAL(rec.id, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"last_seen\":\"2023-11-14T22:13:25.000Z\""));
    CU_ASSERT_PTR_NULL(strstr(rec.json.buf, "playbook"));

    /* A higher severity from the plugin escalates; the same one again only updates. */
    CU_ASSERT_EQUAL(upsert(st, "t1:", &r, ev, "host.name=web01", 1700000006000LL, 5, "burst", &rec),
                    VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_ESCALATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"severity\":\"critical\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"note\":\"burst\""));
    CU_ASSERT_EQUAL(upsert(st, "t1:", &r, ev, "host.name=web01", 1700000007000LL, 5, NULL, &rec),
                    VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_UPDATE);

    /* Every key of the pair carries the id's tag; index, stream and history exist. */
    CU_ASSERT_EQUAL(incident_hash_key("t1:", id, &k), 0);
    CU_ASSERT_EQUAL(strncmp(k.buf + 4, id, 16), 0);
    CU_ASSERT_EQUAL(cmd_int("HLEN %s", k.buf),
                    15); /* 13 members and kstr, hold for operator deadlines */
    sbuf_adds(&k, ":events");
    CU_ASSERT_EQUAL(cmd_int("LLEN %s", k.buf), 4);
    CU_ASSERT_EQUAL(cmd_int("ZCARD %s", "t1:open"), 1);
    CU_ASSERT_EQUAL(cmd_int("XLEN %s", "t1:stream"), 4);
    sbuf_free(&k);
    sbuf_free(&rec.json);
    event_unref(ev);
}

static void test_events_kept_bounded(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-bound", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("db1", 1700000000000LL);
    struct sbuf k = {0};
    int i;

    for (i = 0; i < INCIDENT_EVENTS_KEPT + 15; i++) {
        CU_ASSERT_EQUAL(
            upsert(st, "t2:", &r, ev, "host.name=db1", 1700000000000LL + i, 0, NULL, &rec), VG_OK);
    }
    incident_hash_key("t2:", rec.id, &k);
    sbuf_adds(&k, ":events");
    CU_ASSERT_EQUAL(cmd_int("LLEN %s", k.buf), INCIDENT_EVENTS_KEPT);
    sbuf_free(&k);
    for (i = 0; i < INCIDENT_HISTORY_MAX + 5; i++) {
        CU_ASSERT_EQUAL(incident_add_history(st, "t2:", rec.id, "{\"x\":1}", 7), VG_OK);
    }
    incident_hash_key("t2:", rec.id, &k);
    sbuf_adds(&k, ":history");
    CU_ASSERT_EQUAL(cmd_int("LLEN %s", k.buf), INCIDENT_HISTORY_MAX);
    sbuf_free(&k);
    sbuf_free(&rec.json);
    event_unref(ev);
}

static void test_show_list_and_ids(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-show", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *a = make_event("pc1", 1700000000000LL);
    struct vg_event *b = make_event("pc2", 1700000001000LL);
    struct sbuf out = {0};
    char id_a[48];

    upsert(st, "t3:", &r, a, "host.name=pc1", 1700000000000LL, 0, NULL, &rec);
    snprintf(id_a, sizeof(id_a), "%s", rec.id);
    upsert(st, "t3:", &r, b, "host.name=pc2", 1700000001000LL, 0, NULL, &rec);
    CU_ASSERT_STRING_NOT_EQUAL(rec.id, id_a);
    /* The same (rule, key) under another prefix gets the same id: ids are deterministic. */
    upsert(st, "t3b:", &r, a, "host.name=pc1", 1700000000000LL, 0, NULL, &rec);
    CU_ASSERT_STRING_EQUAL(rec.id, id_a);

    CU_ASSERT_EQUAL(incident_show(st, "t3:", id_a, &out), VG_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "\"id\":\"")); /* the fixed order starts with id */
    CU_ASSERT_EQUAL(strncmp(out.buf, "{\"id\":\"", 7), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "\"events\":[{"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "\"history\":[{\"@timestamp\""));
    sbuf_reset(&out);
    CU_ASSERT_EQUAL(incident_show(st, "t3:", "0123456789abcdef-77", &out), VG_ENOENT);
    CU_ASSERT_EQUAL(incident_show(st, "t3:", "../etc", &out), VG_ENOENT);
    CU_ASSERT_EQUAL(incident_show(st, "t3:", "0123456789abcdeX-1", &out), VG_ENOENT);
    sbuf_reset(&out);
    CU_ASSERT_EQUAL(incident_list(st, "t3:", 10, &out), VG_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "pc1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "pc2"));
    /* Newest first. */
    CU_ASSERT_TRUE(strstr(out.buf, "pc2") < strstr(out.buf, "pc1"));
    sbuf_reset(&out);
    CU_ASSERT_EQUAL(incident_list(st, "t3:", 1, &out), VG_OK);
    CU_ASSERT_PTR_NULL(strstr(out.buf, "pc1"));
    sbuf_free(&out);
    sbuf_free(&rec.json);
    event_unref(a);
    event_unref(b);
}

static void test_redis_unreachable(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-down", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("x", 1);
    char err[256];
    struct store *dead = store_open("unix:/nonexistent/redis.sock", 200, err, sizeof(err));

    CU_ASSERT_PTR_NOT_NULL_FATAL(dead);
    CU_ASSERT_EQUAL(upsert(dead, "t4:", &r, ev, "host.name=x", 1, 0, NULL, &rec), VG_EIO);
    store_close(dead);
    sbuf_free(&rec.json);
    event_unref(ev);
}

/* A job retried after a lost reply is answered as the first time, not counted twice. */
static void test_retry_is_idempotent(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-idem", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("h1", 1700000000000LL);
    struct incident_args a = {.prefix = "t5:",
                              .r = &r,
                              .ev = ev,
                              .key = "host.name=h1",
                              .key_len = 12,
                              .now_ms = 1700000000000LL,
                              .job_id = "job-1"};

    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_OPEN);
    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_OPEN);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":1"));
    a.job_id = "job-2";
    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_UPDATE);
    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_UPDATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":2"));
    /* An older job of the same incident, retried after later ones: still its own answer. */
    a.job_id = "job-1";
    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_OPEN);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":1"));
    a.job_id = "job-3";
    CU_ASSERT_EQUAL(incident_upsert(st, &a, &rec), VG_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec.json.buf, "\"count\":3"));
    /* The open record is in the history once, however often it was retried; updates are not. */
    {
        struct sbuf k = {0};

        incident_hash_key("t5:", rec.id, &k);
        sbuf_adds(&k, ":history");
        CU_ASSERT_EQUAL(cmd_int("LLEN %s", k.buf), 1);
        sbuf_free(&k);
    }
    sbuf_free(&rec.json);
    event_unref(ev);
}

/* A tag already owned by another key (a crafted hash collision) is never shared. */
static void test_tag_collision(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-coll", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("h2", 1700000000000LL);
    struct sbuf k = {0};
    char first[48];
    redisReply *rep;

    CU_ASSERT_EQUAL_FATAL(upsert(st, "t6:", &r, ev, "host.name=h2", 1, 0, NULL, &rec), VG_OK);
    snprintf(first, sizeof(first), "%s", rec.id);
    /* Pretend another key owns this tag's open incident. */
    incident_hash_key("t6:", first, &k);
    rep = store_cmdf(st, "HSET %s key {\"host.name\":\"other\"}", k.buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    freeReplyObject(rep);
    CU_ASSERT_EQUAL(upsert(st, "t6:", &r, ev, "host.name=h2", 2, 0, NULL, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_OPEN);
    CU_ASSERT_NOT_EQUAL(strncmp(rec.id, first, 16), 0);
    /* And the probe is stable: the next event of h2 updates the probed incident. */
    CU_ASSERT_EQUAL(upsert(st, "t6:", &r, ev, "host.name=h2", 3, 0, NULL, &rec), VG_OK);
    CU_ASSERT_EQUAL(rec.transition, VG_TR_UPDATE);
    sbuf_free(&k);
    sbuf_free(&rec.json);
    event_unref(ev);
}

/* A read-only server (a replica during fail-over) is a passing error: VG_EIO, retried. */
static void test_transient_error(void)
{
    char *key[] = {"host.name"};
    struct rule r = make_rule("t-ro", key, 1);
    struct incident_rec rec = {0};
    struct vg_event *ev = make_event("h3", 1700000000000LL);
    redisReply *rep = store_cmdf(st, "REPLICAOF 127.0.0.1 1");

    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    freeReplyObject(rep);
    CU_ASSERT_EQUAL(upsert(st, "t7:", &r, ev, "host.name=h3", 1, 0, NULL, &rec), VG_EIO);
    rep = store_cmdf(st, "REPLICAOF NO ONE");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    freeReplyObject(rep);
    CU_ASSERT_EQUAL(upsert(st, "t7:", &r, ev, "host.name=h3", 1, 0, NULL, &rec), VG_OK);
    sbuf_free(&rec.json);
    event_unref(ev);
}

void suite_incident(void);
void suite_incident(void)
{
    CU_pSuite s = CU_add_suite("incident", setup, teardown);

    CU_add_test(s, "open_update_escalate", test_open_update_escalate);
    CU_add_test(s, "events_kept_bounded", test_events_kept_bounded);
    CU_add_test(s, "show_list_and_ids", test_show_list_and_ids);
    CU_add_test(s, "redis_unreachable", test_redis_unreachable);
    CU_add_test(s, "retry_is_idempotent", test_retry_is_idempotent);
    CU_add_test(s, "tag_collision", test_tag_collision);
    CU_add_test(s, "transient_error", test_transient_error);
}
