/* SPDX-License-Identifier: MIT */
/*
 * Report suite, against the test process's real redis-server: incidents seeded
 * through the core's incident API (open, update, resolve, operator ack, action
 * history entries, playbook steps and findings) and read back by the risk review:
 * the period's bounds, tallies by class and severity, times to acknowledge and
 * resolve, top devices and sources, action success rates, open steps, 5.3, an
 * incident whose hash expired (from its record), one known only to the open index,
 * stream pages, Markdown, an unreachable Redis; the preparedness check of
 * inventories with and without gaps; report times.
 */
#include <CUnit/CUnit.h>
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "inventory.h"
#include "report.h"
#include "rule.h"
#include "testutil.h"

#define T0     1798700000000LL /* 2026-12-31T06:53:20Z: the period starts here */
#define MINUTE 60000LL
#define HOUR   3600000LL

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

static struct rule make_rule(char *name, char **key, size_t n_key, char *cls, char *proc, int sev)
{
    struct rule r;

    memset(&r, 0, sizeof(r));
    r.name = name;
    r.plugin = "single";
    r.key = key;
    r.n_key = n_key;
    r.title = "Trouble on ${host.name}";
    r.severity = sev;
    r.incident_class = cls;
    r.procedure = proc;
    r.hold_down_ms = HOUR;
    return r;
}

static struct vg_event *make_event(const char *host, const char *src, int64_t ts)
{
    struct vg_event *ev = event_new();

    event_set_time(ev, ts);
    if (host != NULL) {
        event_set_strz(ev, "host.name", host);
    }
    if (src != NULL) {
        event_set_strz(ev, "source.ip", src);
    }
    event_set_strz(ev, "event.action", "test.event");
    return ev;
}

/* One incident call; the id of the incident into id (when not NULL). */
static void call(const char *prefix, const struct rule *r, const char *host, const char *src,
                 const char *key, int64_t now, int mode, const char *steps, const char *findings,
                 char *id)
{
    static unsigned long n_jobs;
    struct vg_event *ev = make_event(host, src, now);
    struct incident_rec rec = {0};
    char job[32];
    struct incident_args a = {.prefix = prefix,
                              .r = r,
                              .ev = ev,
                              .key = key,
                              .key_len = strlen(key),
                              .now_ms = now,
                              .job_id = job,
                              .steps_json = steps,
                              .findings_json = findings,
                              .mode = mode};

    snprintf(job, sizeof(job), "report-%lu", ++n_jobs);
    CU_ASSERT_EQUAL_FATAL(incident_upsert(st, &a, &rec), VG_OK);
    if (id != NULL) {
        snprintf(id, 48, "%s", rec.id);
    }
    sbuf_free(&rec.json);
    event_unref(ev);
}

static void history(const char *prefix, const char *id, const char *json)
{
    CU_ASSERT_EQUAL(incident_add_history(st, prefix, id, json, strlen(json)), VG_OK);
}

static void cmd(const char *fmt, const char *a1, const char *a2)
{
    redisReply *r = store_cmdf(st, fmt, a1, a2);

    CU_ASSERT_PTR_NOT_NULL(r);
    if (r != NULL) {
        CU_ASSERT_NOT_EQUAL(r->type, REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
}

/* The report of [from, to) under prefix as parsed JSON (put it), and its Markdown in md. */
static fjson_object *report(const char *prefix, int64_t from, int64_t to, struct sbuf *md)
{
    struct report_opts o = {.from_ms = from, .to_ms = to, .now_ms = T0 + 10 * HOUR};
    struct report *r = NULL;
    struct sbuf js = {0};
    fjson_object *j;

    CU_ASSERT_EQUAL_FATAL(report_collect(st, prefix, &o, &r), VG_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    report_write(r, REPORT_JSON, &js);
    if (md != NULL) {
        report_write(r, REPORT_MD, md);
    }
    report_free(r);
    j = fjson_tokener_parse(js.buf);
    if (j == NULL) {
        fprintf(stderr, "\nnot JSON: %s\n", js.buf);
    }
    sbuf_free(&js);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    return j;
}

/* The value at a dotted path (numbers index arrays), or NULL. */
static fjson_object *at(fjson_object *o, const char *path)
{
    char *copy = xstrdup(path);
    char *save = NULL;
    char *p;

    for (p = strtok_r(copy, "/", &save); p != NULL && o != NULL; p = strtok_r(NULL, "/", &save)) {
        if (fjson_object_is_type(o, fjson_type_array)) {
            o = fjson_object_array_get_idx(o, atoi(p));
        } else if (!fjson_object_object_get_ex(o, p, &o)) {
            o = NULL;
        }
    }
    free(copy);
    return o;
}

static int64_t num(fjson_object *j, const char *path)
{
    fjson_object *v = at(j, path);

    if (v == NULL || !fjson_object_is_type(v, fjson_type_int)) {
        fprintf(stderr, "\n%s: not a number\n", path);
        return -999;
    }
    return fjson_object_get_int64(v);
}

static const char *str(fjson_object *j, const char *path)
{
    fjson_object *v = at(j, path);

    return v != NULL && fjson_object_is_type(v, fjson_type_string) ? fjson_object_get_string(v)
                                                                   : "(none)";
}

static int is_null(fjson_object *j, const char *path)
{
    fjson_object *v = NULL;

    /* Present with the value null: the parent has the member, get_ex gives NULL. */
    if (strchr(path, '/') == NULL) {
        return fjson_object_object_get_ex(j, path, &v) && v == NULL;
    }
    {
        char *copy = xstrdup(path);
        char *slash = strrchr(copy, '/');
        fjson_object *parent;
        int r;

        *slash = '\0';
        parent = at(j, copy);
        r = parent != NULL && fjson_object_object_get_ex(parent, slash + 1, &v) && v == NULL;
        free(copy);
        return r;
    }
}

/* The element of array path whose member name has value, or NULL. */
static fjson_object *find(fjson_object *j, const char *path, const char *name, const char *value)
{
    fjson_object *a = at(j, path);
    size_t i;

    for (i = 0; a != NULL && i < (size_t)fjson_object_array_length(a); i++) {
        fjson_object *e = fjson_object_array_get_idx(a, (int)i);

        if (strcmp(str(e, name), value) == 0) {
            return e;
        }
    }
    return NULL;
}

static char *k_host[] = {"host.name"};
static char *k_src[] = {"source.ip"};

/*
 * The seeded period: A a virus on pc1 acknowledged after 5 minutes, under 5.3, with
 * actions ok, failed, timeout and skipped; B an attack from 203.0.113.5 on web1
 * resolved after an hour; D another class's incident on pc1; E a database incident
 * whose hash has expired; C before the period and F after it.
 */
static void seed(const char *p, char ids[6][48])
{
    static struct rule ra, rb, rc, rd, re;
    static int made;

    if (!made) {
        made = 1;
        ra = make_rule("rp-virus", k_host, 1, "virus", "5.2.2", 4);
        rb = make_rule("rp-attack", k_src, 1, "hacker_attack", "5.2.1", 3);
        rc = make_rule("rp-old", k_host, 1, "virus", "5.2.2", 5);
        rd = make_rule("rp-scan", k_host, 1, "hacker_attack", "5.2.1", 2);
        re = make_rule("rp-db", k_host, 1, "database", "5.2.4", 5);
    }
    call(p, &ra, "pc1", NULL, "host.name=pc1", T0, INCIDENT_UPSERT,
         "[{\"step\":\"5.2.2.1\",\"status\":\"done\",\"text\":\"isolate\",\"who\":\"action:"
         "port_isolate\"},{\"step\":\"5.3.1\",\"status\":\"pending\",\"text\":\"assess\","
         "\"who\":\"person\"},{\"step\":\"5.3.2\",\"status\":\"pending\",\"text\":\"notify\"}]",
         "{\"registered_products\":[\"PACS viewer\"]}", ids[0]);
    CU_ASSERT_EQUAL(incident_operate(st, p, ids[0], "ack", "alice", NULL, T0 + 5 * MINUTE), VG_OK);
    CU_ASSERT_EQUAL(incident_operate(st, p, ids[0], "ack", "bob", NULL, T0 + 9 * MINUTE),
                    VG_OK); /* the first one counts */
    history(p, ids[0],
            "{\"@timestamp\":\"2026-12-31T00:00:00.000Z\",\"type\":\"action\",\"action\":"
            "\"port_isolate\",\"transition\":\"open\",\"step\":\"5.2.2.1\",\"status\":\"ok\"}");
    history(p, ids[0],
            "{\"@timestamp\":\"2026-12-31T00:00:00.000Z\",\"type\":\"action\",\"action\":"
            "\"notify\",\"transition\":\"open\",\"status\":\"failed\",\"error\":\"HTTP 500\"}");
    history(p, ids[0],
            "{\"@timestamp\":\"2026-12-31T00:00:00.000Z\",\"type\":\"action\",\"action\":"
            "\"notify\",\"transition\":\"open\",\"status\":\"ok\"}");
    history(p, ids[0],
            "{\"@timestamp\":\"2026-12-31T00:00:00.000Z\",\"type\":\"action\",\"action\":"
            "\"notify\",\"transition\":\"open\",\"status\":\"timeout\"}");
    history(p, ids[0],
            "{\"@timestamp\":\"2026-12-31T00:00:00.000Z\",\"type\":\"action\",\"action\":"
            "\"carrier_ticket\",\"transition\":\"open\",\"status\":\"skipped\"}");

    call(p, &rb, "web1", "203.0.113.5", "source.ip=203.0.113.5", T0 + MINUTE, INCIDENT_UPSERT, NULL,
         NULL, ids[1]);
    call(p, &rb, "web2", "203.0.113.5", "source.ip=203.0.113.5", T0 + 2 * MINUTE, INCIDENT_UPSERT,
         NULL, "{\"source:198.51.100.7\":\"web.sqli_attempt\"}", NULL);
    call(p, &rb, "web1", "203.0.113.5", "source.ip=203.0.113.5", T0 + MINUTE + HOUR,
         INCIDENT_RESOLVE, NULL, NULL, NULL);

    call(p, &rc, "pc9", NULL, "host.name=pc9", T0 - 48 * HOUR, INCIDENT_UPSERT, NULL, NULL, ids[2]);
    call(p, &rd, "pc1", NULL, "host.name=pc1", T0 + 3 * MINUTE, INCIDENT_UPSERT, NULL, NULL,
         ids[3]);
    call(p, &re, "db1", NULL, "host.name=db1", T0 + 4 * MINUTE, INCIDENT_UPSERT, NULL, NULL,
         ids[4]);
    call(p, &ra, "pc7", NULL, "host.name=pc7", T0 + 30 * HOUR, INCIDENT_UPSERT, NULL, NULL, ids[5]);
    {
        /* E's keys expired: only its records in the stream remain. */
        struct sbuf k = {0};

        CU_ASSERT_EQUAL(incident_hash_key(p, ids[4], &k), 0);
        cmd("DEL %s %s:history", k.buf, k.buf);
        sbuf_free(&k);
    }
}

static void test_review(void)
{
    char ids[6][48];
    struct sbuf md = {0};
    fjson_object *j;
    fjson_object *e;

    seed("rp1:", ids);
    j = report("rp1:", T0, T0 + 24 * HOUR, &md);
    /* A, B, D and E: not C (before) nor F (after). */
    CU_ASSERT_EQUAL(num(j, "incidents/total"), 4);
    CU_ASSERT_EQUAL(num(j, "incidents/from_stream_only"), 1);
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "list")), 4);
    CU_ASSERT_PTR_NULL(find(j, "list", "id", ids[2]));
    CU_ASSERT_PTR_NULL(find(j, "list", "id", ids[5]));
    CU_ASSERT_STRING_EQUAL(str(j, "list/0/id"), ids[0]);
    CU_ASSERT_STRING_EQUAL(str(j, "from"), "2026-12-31T06:53:20.000Z");

    CU_ASSERT_EQUAL(num(j, "incidents/by_class/virus/total"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/virus/by_severity/high"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/virus/by_status/acknowledged"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/hacker_attack/total"), 2);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/hacker_attack/by_severity/medium"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/hacker_attack/by_severity/low"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/hacker_attack/by_status/resolved"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/database/by_severity/critical"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/all/by_severity/critical"), 1);
    CU_ASSERT_EQUAL(num(j, "incidents/all/by_status/open"), 2);

    /* Acknowledged once, after 5 minutes; resolved once, after an hour. */
    CU_ASSERT_EQUAL(num(j, "time_to_acknowledge/all/count"), 1);
    CU_ASSERT_EQUAL(num(j, "time_to_acknowledge/all/of"), 4);
    CU_ASSERT_EQUAL(num(j, "time_to_acknowledge/all/median_s"), 300);
    CU_ASSERT_EQUAL(num(j, "time_to_acknowledge/by_class/virus/max_s"), 300);
    CU_ASSERT_TRUE(is_null(j, "time_to_acknowledge/by_class/database/median_s"));
    CU_ASSERT_EQUAL(num(j, "time_to_resolve/all/count"), 1);
    CU_ASSERT_EQUAL(num(j, "time_to_resolve/by_class/hacker_attack/mean_s"), 3600);
    e = find(j, "list", "id", ids[1]);
    CU_ASSERT_EQUAL(num(e, "resolve_s"), 3600);
    CU_ASSERT_TRUE(is_null(e, "acknowledge_s"));

    /* pc1 in two incidents; sources from keys and from a class plugin's findings. */
    CU_ASSERT_STRING_EQUAL(str(j, "top_devices/0/name"), "pc1");
    CU_ASSERT_EQUAL(num(j, "top_devices/0/incidents"), 2);
    CU_ASSERT_STRING_EQUAL(str(j, "top_devices/0/max_severity"), "high");
    CU_ASSERT_EQUAL(num(j, "top_sources/0/incidents"), 1);
    CU_ASSERT_PTR_NOT_NULL(find(j, "top_sources", "address", "203.0.113.5"));
    CU_ASSERT_PTR_NOT_NULL(find(j, "top_sources", "address", "198.51.100.7"));
    /* The key names no host: the hosts of its events are its devices. */
    CU_ASSERT_PTR_NOT_NULL(find(j, "top_devices", "name", "web1"));
    CU_ASSERT_PTR_NOT_NULL(find(j, "top_devices", "name", "web2"));
    CU_ASSERT_STRING_EQUAL(str(j, "top_devices/1/name"), "db1"); /* critical before medium */

    /* Success: ok of the calls that ran; a skipped call did not run. */
    e = find(j, "actions", "plugin", "notify");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(num(e, "calls"), 3);
    CU_ASSERT_EQUAL(num(e, "ok"), 1);
    CU_ASSERT_EQUAL(num(e, "failed"), 1);
    CU_ASSERT_EQUAL(num(e, "timeout"), 1);
    CU_ASSERT_DOUBLE_EQUAL(fjson_object_get_double(at(e, "success_rate")), 1.0 / 3, 0.001);
    e = find(j, "actions", "plugin", "carrier_ticket");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(num(e, "skipped"), 1);
    CU_ASSERT_TRUE(is_null(e, "success_rate"));
    CU_ASSERT_STRING_EQUAL(str(j, "actions/2/plugin"), "port_isolate");

    /* Open steps: A's 5.3 steps, not its done 5.2.2.1; 5.3 lists A with its products. */
    e = find(j, "open_steps", "step", "5.3.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(str(e, "incident"), ids[0]);
    CU_ASSERT_STRING_EQUAL(str(e, "who"), "person");
    CU_ASSERT_STRING_EQUAL(str(e, "incident_status"), "acknowledged");
    CU_ASSERT_PTR_NULL(find(j, "open_steps", "step", "5.2.2.1"));
    CU_ASSERT_PTR_NOT_NULL(find(j, "open_steps", "step", "5.2.4.2"));
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "registered_products")), 1);
    CU_ASSERT_STRING_EQUAL(str(j, "registered_products/0/incident"), ids[0]);
    CU_ASSERT_STRING_EQUAL(str(j, "registered_products/0/products/0"), "PACS viewer");
    CU_ASSERT_STRING_EQUAL(str(j, "registered_products/0/steps/5.3.1"), "pending");

    /* Markdown: the same numbers as tables. */
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "# Incident review 2026-12-31T06:53:20.000Z to "));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| virus | 1 | 0 | 1 | 0 | 0 | 0 | 1 | 0 |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| **all** | 4 | 1 | 1 | 1 | 1 | 0 | 3 | 1 |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| virus | 1 of 1 | 5m 0s | 5m 0s | 0 of 1 |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| hacker_attack | 0 of 2 | - | - | 1 of 2 | 1h 0m |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| pc1 | 2 | high |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| notify | 3 | 1 | 1 | 1 | 0 | 33% |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| carrier_ticket | 1 | 0 | 0 | 0 | 1 | - |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "5.3.1 (person); 5.3.2 (unassigned)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| virus | high | Trouble on pc1 | PACS viewer | "
                                          "pending | pending |\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "1 of them expired from Redis"));
    fjson_object_put(j);
    sbuf_free(&md);

    /* A period with nothing in it. */
    j = report("rp1:", T0 + 100 * HOUR, T0 + 200 * HOUR, &md);
    CU_ASSERT_EQUAL(num(j, "incidents/total"), 0);
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "actions")), 0);
    CU_ASSERT_TRUE(is_null(j, "time_to_resolve/all/median_s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "None in the period."));
    fjson_object_put(j);
    sbuf_free(&md);
}

/* An open incident whose records left the capped stream is still found (the open index). */
static void test_open_index_only(void)
{
    char ids[6][48];
    fjson_object *j;

    seed("rp2:", ids);
    cmd("DEL %sstream%s", "rp2:", "");
    j = report("rp2:", T0, T0 + 24 * HOUR, NULL);
    /* E, expired, went with the stream; the resolved B is indexed until it closes. */
    CU_ASSERT_EQUAL(num(j, "incidents/total"), 3);
    CU_ASSERT_PTR_NOT_NULL(find(j, "list", "id", ids[0]));
    CU_ASSERT_PTR_NOT_NULL(find(j, "list", "id", ids[1]));
    CU_ASSERT_PTR_NOT_NULL(find(j, "list", "id", ids[3]));
    CU_ASSERT_EQUAL(num(j, "incidents/from_stream_only"), 0);
    fjson_object_put(j);
}

/* More records than one page of the stream: the incident of the last record is found. */
static void test_stream_pages(void)
{
    struct rule r = make_rule("rp-many", k_host, 1, "lan_outage", "5.2.6", 3);
    struct rule last = make_rule("rp-last", k_host, 1, "wan_outage", "5.2.5", 3);
    char id[48];
    fjson_object *j;
    int i;

    for (i = 0; i < REPORT_STREAM_PAGE + 5; i++) {
        call("rp3:", &r, "sw1", NULL, "host.name=sw1", T0 + i, INCIDENT_UPSERT, NULL, NULL, NULL);
    }
    call("rp3:", &last, "r1", NULL, "host.name=r1", T0 + HOUR, INCIDENT_UPSERT, NULL, NULL, id);
    CU_ASSERT_EQUAL(incident_operate(st, "rp3:", id, "close", "test", NULL, T0 + 2 * HOUR), VG_OK);
    j = report("rp3:", T0, T0 + 24 * HOUR, NULL);
    CU_ASSERT_EQUAL(num(j, "incidents/total"), 2);
    CU_ASSERT_PTR_NOT_NULL(find(j, "list", "id", id));
    CU_ASSERT_EQUAL(num(j, "incidents/by_class/wan_outage/by_status/closed"), 1);
    CU_ASSERT_EQUAL(num(j, "time_to_resolve/by_class/wan_outage/max_s"), 3600);
    fjson_object_put(j);
}

/* Times from Redis that are no times (huge, not numbers) are ignored, not overflowed. */
static void test_hostile_times(void)
{
    struct rule r = make_rule("rp-time", k_host, 1, "lan_outage", "5.2.6", 3);
    char id[2][48];
    struct sbuf k = {0}, md = {0};
    fjson_object *j;
    int i;

    for (i = 0; i < 2; i++) {
        call("rp5:", &r, i == 0 ? "sw1" : "sw2", NULL, i == 0 ? "host.name=sw1" : "host.name=sw2",
             T0 + i, INCIDENT_UPSERT, NULL, NULL, id[i]);
        CU_ASSERT_EQUAL(incident_hash_key("rp5:", id[i], &k), 0);
        cmd("HSET %s resolved_at %s", k.buf, i == 0 ? "9223372036854775807" : "12x");
        sbuf_reset(&k);
    }
    j = report("rp5:", T0, T0 + 24 * HOUR, &md);
    CU_ASSERT_EQUAL(num(j, "incidents/total"), 2);
    CU_ASSERT_EQUAL(num(j, "time_to_resolve/all/count"), 0);
    CU_ASSERT_TRUE(is_null(j, "time_to_resolve/all/median_s"));
    CU_ASSERT_PTR_NULL(strstr(md.buf, "106751970")); /* no wrapped duration printed */
    fjson_object_put(j);
    sbuf_free(&k);
    sbuf_free(&md);
}

static void test_unreachable(void)
{
    struct report_opts o = {.from_ms = 0, .to_ms = T0};
    struct report *r = NULL;
    char err[256];
    struct store *dead = store_open("unix:/nonexistent/redis.sock", 200, err, sizeof(err));

    CU_ASSERT_PTR_NOT_NULL_FATAL(dead);
    CU_ASSERT_EQUAL(report_collect(dead, "rp4:", &o, &r), VG_EIO);
    CU_ASSERT_PTR_NULL(r);
    store_close(dead);
}

static void test_parse_time(void)
{
    int64_t ms = 0;

    CU_ASSERT_EQUAL(report_parse_time("2026-03-01T08:00:00Z", 0, &ms), 0);
    CU_ASSERT_EQUAL(ms, 1772352000000LL);
    CU_ASSERT_EQUAL(report_parse_time("2026-03-01", 0, &ms), 0);
    CU_ASSERT_EQUAL(ms, 1772323200000LL);
    CU_ASSERT_EQUAL(report_parse_time("now", 1234, &ms), 0);
    CU_ASSERT_EQUAL(ms, 1234);
    CU_ASSERT_EQUAL(report_parse_time("30d", T0, &ms), 0);
    CU_ASSERT_EQUAL(ms, T0 - 30 * 24 * HOUR);
    CU_ASSERT_EQUAL(report_parse_time("12h", T0, &ms), 0);
    CU_ASSERT_EQUAL(ms, T0 - 12 * HOUR);
    CU_ASSERT_EQUAL(report_parse_time("yesterday", T0, &ms), -1);
    CU_ASSERT_EQUAL(report_parse_time("2026-13-01", T0, &ms), -1);
    CU_ASSERT_EQUAL(report_parse_time("", T0, &ms), -1);
    CU_ASSERT_EQUAL(report_parse_time("5", T0, &ms), -1);
}

static struct inventory *load(const char *name, const char *text)
{
    const char *dir = test_tmpdir();
    struct diag diag = {0};
    struct inventory *inv;
    char *path;
    FILE *f;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path = xasprintf("%s/%s", dir, name);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    inv = inventory_load(path, &diag);
    for (i = 0; i < diag.n; i++) {
        fprintf(stderr, "\n%s", diag.msgs[i]);
    }
    diag_free(&diag);
    free(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    return inv;
}

static const char gaps_inv[] =
    "{\"devices\": ["
    " {\"name\": \"core-sw1\", \"model\": \"C9500\", \"role\": \"core-switch\"},"
    " {\"name\": \"acc-sw1\", \"model\": \"C2960X\"},"
    " {\"name\": \"acc-sw2\", \"model\": \"C9300\"},"
    " {\"name\": \"odd\"},"
    " {\"name\": \"srv-app1\", \"role\": \"server\", \"model\": \"R740\","
    "  \"backup\": {\"interval\": \"1d\"}},"
    " {\"name\": \"srv-app2\", \"role\": \"App-Server\", \"model\": \"R740\"}],"
    "\"hosts\": ["
    " {\"name\": \"pacs-01\", \"switch\": \"acc-sw1\", \"port\": \"Gi1/0/1\","
    "  \"backup\": {\"interval\": \"1d\"}},"
    " {\"name\": \"pc-1\", \"switch\": \"acc-sw1\", \"port\": \"Gi1/0/2\"}],"
    "\"spares\": ["
    " {\"model\": \"C9500\", \"location\": \"store\", \"count\": 1},"
    " {\"model\": \"C2960X\", \"location\": \"store\", \"count\": 0},"
    " {\"model\": \"R740\", \"location\": \"store A\", \"count\": 0},"
    " {\"model\": \"R740\", \"location\": \"store B\", \"count\": 2}],"
    "\"databases\": ["
    " {\"name\": \"his\", \"primary\": \"db1\", \"standby\": \"db2\", \"method\": \"promote\","
    "  \"promote\": [\"/bin/true\"], \"check\": [\"/bin/true\"], \"backup\": {\"interval\": "
    "\"1d\"}},"
    " {\"name\": \"lis\", \"primary\": \"db3\", \"standby\": \"db4\"}],"
    "\"circuits\": ["
    " {\"id\": \"CT-1\", \"device\": \"core-sw1\", \"interface\": \"Gi0/1\", \"carrier\": "
    "\"ChinaTel\", \"responsibility\": \"carrier\", \"contact\": {\"name\": \"NOC\", \"phone\": "
    "\"123\"}},"
    " {\"id\": \"CT-2\", \"device\": \"core-sw1\", \"interface\": \"Gi0/2\", \"carrier\": "
    "\"Unicom\", \"responsibility\": \"carrier\", \"contact\": {\"name\": \"NOC\"}},"
    " {\"id\": \"CT-3\", \"device\": \"core-sw1\", \"interface\": \"Gi0/3\", \"carrier\": "
    "\"Unicom\", \"responsibility\": \"ours\"}]}";

/* Does the area's array hold an entry for name whose problem contains text? */
static int has_gap(fjson_object *j, const char *area, const char *name, const char *text)
{
    fjson_object *a = at(j, area);
    size_t i;

    for (i = 0; a != NULL && i < (size_t)fjson_object_array_length(a); i++) {
        fjson_object *e = fjson_object_array_get_idx(a, (int)i);

        if (strcmp(str(e, "name"), name) == 0 && strstr(str(e, "problem"), text) != NULL) {
            return 1;
        }
    }
    return 0;
}

static void test_check_gaps(void)
{
    struct inventory *inv = load("gaps.json", gaps_inv);
    struct sbuf js = {0}, md = {0};
    fjson_object *j;

    CU_ASSERT_EQUAL(report_check(inv, "gaps.json", REPORT_JSON, &js), 10);
    CU_ASSERT_EQUAL(report_check(inv, "gaps.json", REPORT_MD, &md), 10);
    j = fjson_tokener_parse(js.buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(num(j, "missing"), 10);
    CU_ASSERT_EQUAL(num(j, "checked/databases"), 2);
    CU_ASSERT_EQUAL(num(j, "checked/spares"), 6);
    CU_ASSERT_EQUAL(num(j, "checked/backups"), 6); /* 2 hosts, 2 servers, 2 pairs */
    CU_ASSERT_EQUAL(num(j, "checked/circuits"), 3);
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "databases")), 2);
    CU_ASSERT_TRUE(has_gap(j, "databases", "lis", "no promote command"));
    CU_ASSERT_TRUE(has_gap(j, "databases", "lis", "no check command"));
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "spares")), 3);
    CU_ASSERT_TRUE(has_gap(j, "spares", "acc-sw1", "used up"));
    CU_ASSERT_TRUE(has_gap(j, "spares", "acc-sw2", "no spare of its model"));
    CU_ASSERT_TRUE(has_gap(j, "spares", "odd", "no model"));
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "backups")), 3);
    CU_ASSERT_TRUE(has_gap(j, "backups", "lis", "no backup schedule"));
    CU_ASSERT_TRUE(has_gap(j, "backups", "srv-app2", "no backup schedule"));
    CU_ASSERT_TRUE(has_gap(j, "backups", "pc-1", "no backup schedule"));
    CU_ASSERT_FALSE(has_gap(j, "backups", "core-sw1", ""));
    CU_ASSERT_EQUAL(fjson_object_array_length(at(j, "circuits")), 2);
    CU_ASSERT_TRUE(has_gap(j, "circuits", "CT-2", "no carrier contact"));
    CU_ASSERT_TRUE(has_gap(j, "circuits", "CT-3", "no carrier contact"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(md.buf, "# Preparedness check of gaps.json\n\n10 thing(s) missing."));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| device | acc-sw2 | C9300 | no spare of its model"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "| circuit | CT-2 | Unicom | no carrier contact"));
    fjson_object_put(j);
    sbuf_free(&js);
    sbuf_free(&md);
    inventory_free(inv);
}

static void test_check_complete(void)
{
    struct inventory *inv = load(
        "complete.json",
        "{\"devices\": [{\"name\": \"sw1\", \"model\": \"M1\"}],"
        " \"hosts\": [{\"name\": \"h1\", \"switch\": \"sw1\", \"port\": \"p1\","
        "   \"backup\": {\"interval\": \"1d\"}}],"
        " \"spares\": [{\"model\": \"m1\", \"location\": \"store\", \"count\": 1}],"
        " \"databases\": [{\"name\": \"d\", \"primary\": \"a\", \"standby\": \"b\","
        "   \"promote\": [\"/bin/true\"], \"check\": [\"/bin/true\"], \"backup\": {\"interval\": "
        "\"12h\"}}],"
        " \"circuits\": [{\"id\": \"C\", \"device\": \"sw1\", \"interface\": \"i\", \"carrier\": "
        "\"K\", \"responsibility\": \"carrier\", \"contact\": {\"email\": \"noc@k.example\"}}]}");
    struct sbuf md = {0}, js = {0};

    CU_ASSERT_EQUAL(report_check(inv, "complete.json", REPORT_MD, &md), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "0 thing(s) missing."));
    CU_ASSERT_PTR_NOT_NULL(strstr(md.buf, "1 device(s) checked: each has a spare"));
    CU_ASSERT_PTR_NULL(strstr(md.buf, "| what |"));
    CU_ASSERT_EQUAL(report_check(inv, "complete.json", REPORT_JSON, &js), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(js.buf, "\"missing\":0,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(js.buf, "\"databases\":[],\"spares\":[],\"backups\":[],"
                                          "\"circuits\":[]}"));
    sbuf_free(&md);
    sbuf_free(&js);
    inventory_free(inv);
    /* An empty inventory lacks nothing it names. */
    inv = load("empty.json", "{}");
    CU_ASSERT_EQUAL(report_check(inv, "empty.json", REPORT_JSON, &js), 0);
    sbuf_free(&js);
    inventory_free(inv);
}

void suite_report(void);
void suite_report(void)
{
    CU_pSuite s = CU_add_suite("report", setup, teardown);

    CU_add_test(s, "review", test_review);
    CU_add_test(s, "open_index_only", test_open_index_only);
    CU_add_test(s, "stream_pages", test_stream_pages);
    CU_add_test(s, "unreachable", test_unreachable);
    CU_add_test(s, "hostile_times", test_hostile_times);
    CU_add_test(s, "parse_time", test_parse_time);
    CU_add_test(s, "check_gaps", test_check_gaps);
    CU_add_test(s, "check_complete", test_check_complete);
}
