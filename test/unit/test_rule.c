/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of rule files: a good directory loaded member by member, every condition
 * operator with and without "not", keys and titles, the broken files in
 * test/data/rules/broken (each error with file, JSON path and reason, and all of them
 * from the directory at once), and random mutations of a good file.
 */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rule.h"
#include "testutil.h"

#define RULES_DIR VG_TEST_DATA "/rules"

void suite_rule(void);

static const char *tmp_dir(void)
{
    static const char *dir;

    if (dir == NULL) {
        dir = test_tmpdir();
    }
    return dir;
}

/* Write text to a new file in the suite's temporary directory; returns its path (owned). */
static char *write_tmp(const char *name, const char *text, size_t len)
{
    char *path = xasprintf("%s/%s", tmp_dir(), name);
    FILE *f = fopen(path, "wb");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

static int load1(const char *path, struct ruleset *rs, struct diag *d)
{
    return ruleset_load(&path, 1, rs, d);
}

/* True when some message of d equals want. */
static int has_msg(const struct diag *d, const char *want)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        if (strcmp(d->msgs[i], want) == 0) {
            return 1;
        }
    }
    return 0;
}

static void dump_diag(const struct diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        fprintf(stderr, "  diag: %s\n", d->msgs[i]);
    }
}

/* Load one rule with the given where list and key list (JSON texts without brackets). */
static const struct rule *load_where(struct ruleset *rs, const char *where, const char *key)
{
    static int seq;
    struct diag d = {0};
    char *name = xasprintf("where-%d.json", seq++);
    char *text = xasprintf("{\"rules\": [{\"name\": \"t\", \"plugin\": \"single\", \"match\": "
                           "{\"event.action\": [\"a\"], \"where\": [%s]}, \"key\": [%s], "
                           "\"incident\": {\"title\": \"t\", \"severity\": \"low\", \"class\": "
                           "\"generic\", \"procedure\": \"-\"}}]}",
                           where, key);
    char *path = write_tmp(name, text, strlen(text));
    int rc = load1(path, rs, &d);

    if (d.n != 0) {
        dump_diag(&d);
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(d.n, 0);
    diag_free(&d);
    free(path);
    free(text);
    free(name);
    CU_ASSERT_EQUAL_FATAL(rs->n, 1);
    return &rs->rules[0];
}

/* An event from NULL-terminated name, value pairs. */
static struct vg_event *ev_of(const char *const *kv)
{
    struct vg_event *ev = event_new();

    for (; kv[0] != NULL; kv += 2) {
        event_set_strz(ev, kv[0], kv[1]);
    }
    return ev;
}

static int match_kv(const struct rule *r, const char *const *kv)
{
    struct vg_event *ev = ev_of(kv);
    int m = rule_match(r, ev);

    event_unref(ev);
    return m;
}

/* ---------------------------------------------------------------------------------------
 * Loading a good directory
 */

static void test_good_dir(void)
{
    const char *path = RULES_DIR "/good";
    struct ruleset rs;
    struct diag d = {0};
    const struct rule *r;
    const struct rule_cond *c;
    fjson_object *v;
    size_t t;

    CU_ASSERT_EQUAL(load1(path, &rs, &d), 0);
    if (d.n != 0) {
        dump_diag(&d);
    }
    CU_ASSERT_EQUAL(d.n, 0);
    /* .hidden.json, notes.txt and the 40-subdir.json directory are skipped. */
    CU_ASSERT_EQUAL_FATAL(rs.n_files, 3);
    CU_ASSERT_STRING_EQUAL(rs.files[0], RULES_DIR "/good/10-ssh.json");
    CU_ASSERT_STRING_EQUAL(rs.files[1], RULES_DIR "/good/20-misc.json");
    CU_ASSERT_STRING_EQUAL(rs.files[2], RULES_DIR "/good/30-empty.json");
    CU_ASSERT_EQUAL_FATAL(rs.n, 3);

    r = &rs.rules[0];
    CU_ASSERT_STRING_EQUAL(r->name, "ssh-auth-failures");
    CU_ASSERT_STRING_EQUAL(r->file, RULES_DIR "/good/10-ssh.json");
    CU_ASSERT_EQUAL(r->index, 0);
    CU_ASSERT_STRING_EQUAL(r->plugin, "single");
    CU_ASSERT_STRING_EQUAL(r->description,
                           "every failed SSH password opens/updates an incident per source");
    CU_ASSERT_EQUAL_FATAL(r->n_actions, 1);
    CU_ASSERT_STRING_EQUAL(r->actions[0], "ssh.auth_failed");
    CU_ASSERT_EQUAL_FATAL(r->n_conds, 5);
    c = &r->conds[0];
    CU_ASSERT_STRING_EQUAL(c->field, "source.ip");
    CU_ASSERT_EQUAL(c->op, COND_CIDR);
    CU_ASSERT_EQUAL(c->negate, 1);
    CU_ASSERT_EQUAL_FATAL(c->n_cidrs, 2);
    CU_ASSERT_EQUAL(c->cidrs[0].family, AF_INET);
    CU_ASSERT_EQUAL(c->cidrs[0].prefix, 8);
    CU_ASSERT_EQUAL(c->cidrs[0].addr[0], 10);
    CU_ASSERT_EQUAL(c->cidrs[1].prefix, 16);
    CU_ASSERT_EQUAL(c->cidrs[1].addr[0], 192);
    CU_ASSERT_EQUAL(c->cidrs[1].addr[1], 168);
    c = &r->conds[1];
    CU_ASSERT_STRING_EQUAL(c->field, "user.name");
    CU_ASSERT_EQUAL(c->op, COND_EQUALS);
    CU_ASSERT_EQUAL(c->negate, 0);
    CU_ASSERT_STRING_EQUAL(c->value, "root");
    c = &r->conds[2];
    CU_ASSERT_STRING_EQUAL(c->field, "host.name");
    CU_ASSERT_EQUAL(c->op, COND_IN);
    CU_ASSERT_EQUAL_FATAL(c->n_list, 2);
    CU_ASSERT_STRING_EQUAL(c->list[0], "db1");
    CU_ASSERT_STRING_EQUAL(c->list[1], "db2");
    c = &r->conds[3];
    CU_ASSERT_STRING_EQUAL(c->field, "message");
    CU_ASSERT_EQUAL(c->op, COND_REGEX);
    CU_ASSERT_PTR_NOT_NULL(c->re);
    c = &r->conds[4];
    CU_ASSERT_STRING_EQUAL(c->field, "process.pid");
    CU_ASSERT_EQUAL(c->op, COND_EXISTS);
    CU_ASSERT_EQUAL(c->exists, 1);
    CU_ASSERT_EQUAL_FATAL(r->n_key, 2);
    CU_ASSERT_STRING_EQUAL(r->key[0], "source.ip");
    CU_ASSERT_STRING_EQUAL(r->key[1], "host.name");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->params);
    CU_ASSERT_TRUE_FATAL(fjson_object_object_get_ex(r->params, "any", &v));
    CU_ASSERT_STRING_EQUAL(fjson_object_get_string(v),
                           "plugin options, checked later against the plugin");
    CU_ASSERT_STRING_EQUAL(r->title, "SSH password failures from ${source.ip} on ${host.name}");
    CU_ASSERT_EQUAL(r->severity, 3);
    CU_ASSERT_STRING_EQUAL(r->incident_class, "hacker_attack");
    CU_ASSERT_STRING_EQUAL(r->procedure, "5.2.1");
    CU_ASSERT_EQUAL_FATAL(r->n_on[VG_TR_OPEN], 1);
    CU_ASSERT_STRING_EQUAL(r->on[VG_TR_OPEN][0].plugin, "exec");
    CU_ASSERT_PTR_NULL(r->on[VG_TR_OPEN][0].instance);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->on[VG_TR_OPEN][0].params);
    CU_ASSERT_TRUE_FATAL(fjson_object_object_get_ex(r->on[VG_TR_OPEN][0].params, "argv", &v));
    CU_ASSERT_EQUAL(fjson_object_array_length(v), 1);
    CU_ASSERT_STRING_EQUAL(fjson_object_get_string(fjson_object_array_get_idx(v, 0)), "/bin/true");
    for (t = VG_TR_UPDATE; t < RULE_N_TRANSITIONS; t++) {
        CU_ASSERT_EQUAL(r->n_on[t], 0);
    }
    CU_ASSERT_PTR_NULL(r->instance);

    r = &rs.rules[1];
    CU_ASSERT_STRING_EQUAL(r->name, "link_down.v6");
    CU_ASSERT_STRING_EQUAL(r->file, RULES_DIR "/good/20-misc.json");
    CU_ASSERT_EQUAL(r->index, 0);
    CU_ASSERT_STRING_EQUAL(r->plugin, "threshold");
    CU_ASSERT_PTR_NULL(r->description);
    CU_ASSERT_EQUAL_FATAL(r->n_actions, 2);
    CU_ASSERT_STRING_EQUAL(r->actions[1], "link.flap");
    CU_ASSERT_EQUAL_FATAL(r->n_conds, 5);
    CU_ASSERT_EQUAL(r->conds[0].op, COND_CIDR);
    CU_ASSERT_EQUAL_FATAL(r->conds[0].n_cidrs, 1);
    CU_ASSERT_EQUAL(r->conds[0].cidrs[0].family, AF_INET6);
    CU_ASSERT_EQUAL(r->conds[0].cidrs[0].prefix, 32);
    CU_ASSERT_EQUAL(r->conds[1].op, COND_EQUALS);
    CU_ASSERT_STRING_EQUAL(r->conds[1].value, "42");
    CU_ASSERT_EQUAL_FATAL(r->conds[2].n_list, 2);
    CU_ASSERT_STRING_EQUAL(r->conds[2].list[1], "3");
    CU_ASSERT_EQUAL(r->conds[3].op, COND_EXISTS);
    CU_ASSERT_EQUAL(r->conds[3].exists, 0);
    CU_ASSERT_EQUAL(r->conds[4].op, COND_REGEX);
    CU_ASSERT_EQUAL(r->conds[4].negate, 0);
    CU_ASSERT_EQUAL(r->n_key, 0);
    CU_ASSERT_PTR_NULL(r->params);
    CU_ASSERT_EQUAL(r->severity, 5);
    CU_ASSERT_STRING_EQUAL(r->incident_class, "lan_outage");
    CU_ASSERT_STRING_EQUAL(r->procedure, "5.3.2.1");
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        CU_ASSERT_EQUAL(r->n_on[t], 0);
    }

    r = &rs.rules[2];
    CU_ASSERT_STRING_EQUAL(r->name, "catch-all");
    CU_ASSERT_EQUAL(r->index, 1);
    CU_ASSERT_EQUAL(r->n_conds, 0);
    CU_ASSERT_EQUAL(r->n_key, 0);
    CU_ASSERT_EQUAL(r->severity, 1);
    CU_ASSERT_STRING_EQUAL(r->incident_class, "generic");
    CU_ASSERT_STRING_EQUAL(r->procedure, "-");
    CU_ASSERT_EQUAL_FATAL(r->n_on[VG_TR_CLOSE], 1);
    CU_ASSERT_STRING_EQUAL(r->on[VG_TR_CLOSE][0].plugin, "notify_mail");
    CU_ASSERT_PTR_NULL(r->on[VG_TR_CLOSE][0].params);

    ruleset_free(&rs);
    CU_ASSERT_EQUAL(rs.n, 0);
    CU_ASSERT_PTR_NULL(rs.rules);
    diag_free(&d);
}

static void test_severity_names(void)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    int i;

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(rule_severity_parse(names[i]), i + 1);
        CU_ASSERT_STRING_EQUAL(rule_severity_name(i + 1), names[i]);
    }
    CU_ASSERT_EQUAL(rule_severity_parse("High"), 0);
    CU_ASSERT_EQUAL(rule_severity_parse(""), 0);
    CU_ASSERT_STRING_EQUAL(rule_severity_name(0), "unknown");
    CU_ASSERT_STRING_EQUAL(rule_severity_name(6), "unknown");
}

/* ---------------------------------------------------------------------------------------
 * Matching
 */

static void test_match_equals(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(&rs, "{\"field\": \"user.name\", \"equals\": \"root\"}", "");
    struct ruleset rs2;
    const struct rule *n =
        load_where(&rs2, "{\"field\": \"user.name\", \"equals\": \"root\", \"not\": true}", "");

    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"user.name", "root", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"user.name", "rooty", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"user.name", "roo", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"other", "root", NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"user.name", "root", NULL}));
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){"user.name", "admin", NULL}));
    /* An absent field is not equal, so the inverted condition holds. */
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){NULL}));
    ruleset_free(&rs);
    ruleset_free(&rs2);
}

static void test_match_equals_int(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(&rs, "{\"field\": \"snmp.if_index\", \"equals\": 42}", "");
    struct vg_event *ev = event_new();

    event_set_int(ev, "snmp.if_index", 42);
    CU_ASSERT_TRUE(rule_match(r, ev));
    event_set_int(ev, "snmp.if_index", 420);
    CU_ASSERT_FALSE(rule_match(r, ev));
    event_set_int(ev, "snmp.if_index", -42);
    CU_ASSERT_FALSE(rule_match(r, ev));
    event_set_strz(ev, "snmp.if_index", "42");
    CU_ASSERT_TRUE(rule_match(r, ev));
    event_unref(ev);
    ruleset_free(&rs);

    r = load_where(&rs, "{\"field\": \"n\", \"in\": [-7, \"x\", 2.5]}", "");
    ev = event_new();
    event_set_int(ev, "n", -7);
    CU_ASSERT_TRUE(rule_match(r, ev));
    event_set_strz(ev, "n", "2.5");
    CU_ASSERT_TRUE(rule_match(r, ev));
    event_set_int(ev, "n", 7);
    CU_ASSERT_FALSE(rule_match(r, ev));
    event_unref(ev);
    ruleset_free(&rs);
}

static void test_match_in(void)
{
    struct ruleset rs;
    const struct rule *r =
        load_where(&rs, "{\"field\": \"host.name\", \"in\": [\"db1\", \"db2\"]}", "");
    struct ruleset rs2;
    const struct rule *n = load_where(
        &rs2, "{\"field\": \"host.name\", \"in\": [\"db1\", \"db2\"], \"not\": true}", "");

    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"host.name", "db1", NULL}));
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"host.name", "db2", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"host.name", "db3", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"host.name", "db", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"host.name", "db2", NULL}));
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){"host.name", "web1", NULL}));
    ruleset_free(&rs);
    ruleset_free(&rs2);
}

static void test_match_regex(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(
        &rs, "{\"field\": \"message\", \"regex\": \"password for (invalid user )?\\\\w+\"}", "");
    struct ruleset rs2;
    const struct rule *n =
        load_where(&rs2, "{\"field\": \"message\", \"regex\": \"^sw-\", \"not\": true}", "");
    struct vg_event *ev;

    CU_ASSERT_TRUE(
        match_kv(r, (const char *[]){"message", "Failed password for invalid user bob", NULL}));
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"message", "Failed password for root", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"message", "Accepted publickey for root", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){NULL}));
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){"message", "rtr-1", NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"message", "sw-1", NULL}));
    /* Invalid UTF-8 in the subject is not an error. */
    ev = event_new();
    event_set_strz(ev, "message", "\xff\xfe password for x");
    CU_ASSERT_TRUE(rule_match(r, ev));
    event_unref(ev);
    ruleset_free(&rs);
    ruleset_free(&rs2);
}

/* A pattern that backtracks exponentially stops at the match limit and does not hold. */
static void test_match_regex_limit(void)
{
    struct ruleset rs;
    const struct rule *r =
        load_where(&rs, "{\"field\": \"message\", \"regex\": \"^(a|aa)+$\"}", "");
    struct ruleset rs2;
    const struct rule *n =
        load_where(&rs2, "{\"field\": \"message\", \"regex\": \"^(a|aa)+$\", \"not\": true}", "");
    char text[64];
    int64_t t0 = time_mono_ms();

    memset(text, 'a', sizeof(text) - 2);
    text[sizeof(text) - 2] = 'b';
    text[sizeof(text) - 1] = '\0';
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"message", "aaaaaa", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"message", text, NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"message", text, NULL}));
    CU_ASSERT_TRUE(time_mono_ms() - t0 < 5000);
    ruleset_free(&rs);
    ruleset_free(&rs2);
}

static void test_match_cidr(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(
        &rs, "{\"field\": \"source.ip\", \"cidr\": [\"10.0.0.0/8\", \"2001:db8::/32\"]}", "");
    struct ruleset rs2;
    const struct rule *n = load_where(
        &rs2, "{\"field\": \"source.ip\", \"cidr\": \"192.168.0.0/16\", \"not\": true}", "");

    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"source.ip", "10.1.2.3", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"source.ip", "11.1.2.3", NULL}));
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"source.ip", "2001:db8::1", NULL}));
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"source.ip", "2001:db8:ffff::abcd", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"source.ip", "2001:db9::1", NULL}));
    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"source.ip", "::ffff:10.9.9.9", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"source.ip", "not-an-ip", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){NULL}));
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){"source.ip", "10.0.0.1", NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"source.ip", "192.168.44.1", NULL}));
    ruleset_free(&rs);
    ruleset_free(&rs2);
}

static void test_match_exists(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(&rs, "{\"field\": \"process.pid\", \"exists\": true}", "");
    struct ruleset rs2;
    const struct rule *a = load_where(&rs2, "{\"field\": \"process.pid\", \"exists\": false}", "");
    struct ruleset rs3;
    const struct rule *n =
        load_where(&rs3, "{\"field\": \"process.pid\", \"exists\": true, \"not\": true}", "");

    CU_ASSERT_TRUE(match_kv(r, (const char *[]){"process.pid", "1", NULL}));
    CU_ASSERT_FALSE(match_kv(r, (const char *[]){"process.name", "x", NULL}));
    CU_ASSERT_FALSE(match_kv(a, (const char *[]){"process.pid", "1", NULL}));
    CU_ASSERT_TRUE(match_kv(a, (const char *[]){"process.name", "x", NULL}));
    CU_ASSERT_FALSE(match_kv(n, (const char *[]){"process.pid", "1", NULL}));
    CU_ASSERT_TRUE(match_kv(n, (const char *[]){NULL}));
    ruleset_free(&rs);
    ruleset_free(&rs2);
    ruleset_free(&rs3);
}

static void test_match_all_and_key(void)
{
    struct ruleset rs;
    const struct rule *r =
        load_where(&rs,
                   "{\"field\": \"user.name\", \"equals\": \"root\"}, "
                   "{\"field\": \"source.ip\", \"cidr\": \"10.0.0.0/8\", \"not\": true}",
                   "\"source.ip\", \"host.name\"");

    CU_ASSERT_TRUE(match_kv(
        r, (const char *[]){"user.name", "root", "source.ip", "1.2.3.4", "host.name", "h", NULL}));
    /* The second condition fails. */
    CU_ASSERT_FALSE(match_kv(
        r, (const char *[]){"user.name", "root", "source.ip", "10.2.3.4", "host.name", "h", NULL}));
    /* The first condition fails. */
    CU_ASSERT_FALSE(match_kv(
        r, (const char *[]){"user.name", "bob", "source.ip", "1.2.3.4", "host.name", "h", NULL}));
    /* A key field is missing. */
    CU_ASSERT_FALSE(
        match_kv(r, (const char *[]){"user.name", "root", "source.ip", "1.2.3.4", NULL}));
    /* An empty value still counts as present. */
    CU_ASSERT_TRUE(match_kv(
        r, (const char *[]){"user.name", "root", "source.ip", "1.2.3.4", "host.name", "", NULL}));
    ruleset_free(&rs);
}

struct thread_arg {
    const struct rule *r; /* rule shared by all threads */
    int matches;          /* matches counted by this thread */
};

static void *match_thread(void *p)
{
    struct thread_arg *a = p;
    struct vg_event *yes = ev_of((const char *[]){"message", "Failed password for root", NULL});
    struct vg_event *no = ev_of((const char *[]){"message", "Accepted key for root", NULL});
    int i;

    for (i = 0; i < 2000; i++) {
        a->matches += rule_match(a->r, (i % 2) != 0 ? yes : no);
    }
    event_unref(yes);
    event_unref(no);
    return NULL;
}

/* Several threads share one compiled regex; each has its own match data. */
static void test_match_threads(void)
{
    struct ruleset rs;
    const struct rule *r =
        load_where(&rs, "{\"field\": \"message\", \"regex\": \"password for \\\\w+$\"}", "");
    struct thread_arg args[4];
    pthread_t th[4];
    int i;

    for (i = 0; i < 4; i++) {
        args[i].r = r;
        args[i].matches = 0;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, match_thread, &args[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(args[i].matches, 1000);
    }
    ruleset_free(&rs);
}

/* ---------------------------------------------------------------------------------------
 * Keys and titles
 */

static void test_key(void)
{
    struct ruleset rs;
    const struct rule *r = load_where(&rs, "", "\"a\", \"b.c\"");
    struct vg_event *ev = ev_of((const char *[]){"a", "x|y=z\\w", "b.c", "plain", NULL});
    struct sbuf b = {0};

    rule_key(r, ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "a=x\\|y\\=z\\\\w|b.c=plain");
    sbuf_reset(&b);
    event_del(ev, "b.c");
    rule_key(r, ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "a=x\\|y\\=z\\\\w|b.c=");
    event_unref(ev);
    ruleset_free(&rs);

    /* No key fields: an empty key, one incident for the whole rule. */
    r = load_where(&rs, "", "");
    ev = ev_of((const char *[]){"a", "1", NULL});
    sbuf_reset(&b);
    rule_key(r, ev, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.buf);
    CU_ASSERT_STRING_EQUAL(b.buf, "");
    event_unref(ev);
    ruleset_free(&rs);
    sbuf_free(&b);
}

static void test_title(void)
{
    const char *path = RULES_DIR "/good";
    struct ruleset rs;
    struct diag d = {0};
    struct vg_event *ev;
    struct sbuf b = {0};

    CU_ASSERT_EQUAL_FATAL(load1(path, &rs, &d), 0);
    ev = ev_of((const char *[]){"source.ip", "10.0.0.1", "host.name", "db1", NULL});
    rule_render_title(&rs.rules[0], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "SSH password failures from 10.0.0.1 on db1");
    sbuf_reset(&b);
    event_del(ev, "host.name");
    rule_render_title(&rs.rules[0], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "SSH password failures from 10.0.0.1 on ");
    sbuf_reset(&b);
    event_set_strz(ev, "host.name", "sw-1\nfake line\t");
    event_set_int(ev, "snmp.if_index", 7);
    rule_render_title(&rs.rules[1], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "link down on sw-1 fake line  if 7 costs $5");
    sbuf_reset(&b);
    rule_render_title(&rs.rules[2], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "plain");
    /* Appends after what the buffer holds. */
    rule_render_title(&rs.rules[2], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "plainplain");
    event_unref(ev);
    sbuf_free(&b);
    ruleset_free(&rs);
    diag_free(&d);
}

/* Titles are capped at 512 bytes, cut at a UTF-8 character boundary. */
static void test_title_cap(void)
{
    const char *text = "{\"rules\": [{\"name\": \"cap\", \"plugin\": \"single\", \"match\": "
                       "{\"event.action\": [\"a\"]}, \"incident\": {\"title\": \"T ${v}${v}\", "
                       "\"severity\": \"low\", \"class\": \"generic\", \"procedure\": \"-\"}}]}";
    char *path = write_tmp("cap.json", text, strlen(text));
    struct ruleset rs;
    struct diag d = {0};
    struct vg_event *ev = event_new();
    struct sbuf b = {0};
    struct sbuf val = {0};
    int i;

    CU_ASSERT_EQUAL_FATAL(load1(path, &rs, &d), 0);
    for (i = 0; i < 200; i++) {
        sbuf_adds(&val, "\xc3\xa9"); /* U+00E9, two bytes */
    }
    event_set_str(ev, "v", val.buf, val.len);
    sbuf_adds(&b, "prefix:");
    rule_render_title(&rs.rules[0], ev, &b);
    /* "T " is 2 bytes, then 255 whole characters fit in 512 bytes (2 + 510). */
    CU_ASSERT_EQUAL(b.len, 7 + 512);
    CU_ASSERT_EQUAL(strlen(b.buf), b.len);
    CU_ASSERT_EQUAL(memcmp(b.buf, "prefix:T \xc3\xa9", 11), 0);
    CU_ASSERT_EQUAL((unsigned char)b.buf[b.len - 2], 0xc3);
    sbuf_reset(&b);
    event_set_strz(ev, "v", "x\xc3\xa9");
    rule_render_title(&rs.rules[0], ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "T x\xc3\xa9x\xc3\xa9");
    sbuf_reset(&b);
    /* Odd length: the cut would split a character, so it stops one byte early. */
    sbuf_reset(&val);
    sbuf_addc(&val, 'x');
    for (i = 0; i < 300; i++) {
        sbuf_adds(&val, "\xc3\xa9");
    }
    event_set_str(ev, "v", val.buf, val.len);
    rule_render_title(&rs.rules[0], ev, &b);
    CU_ASSERT_EQUAL(b.len, 511);
    CU_ASSERT_EQUAL((unsigned char)b.buf[b.len - 1], 0xa9);
    event_unref(ev);
    sbuf_free(&b);
    sbuf_free(&val);
    ruleset_free(&rs);
    diag_free(&d);
    free(path);
}

/* ---------------------------------------------------------------------------------------
 * Broken files
 */

/* Each broken file and every message it must give (path relative to RULES_DIR/broken). */
struct broken_case {
    const char *file;        /* file name in broken/ */
    size_t n_rules;          /* rules that still load from it alone */
    const char *const *msgs; /* messages after "FILE" (NULL-terminated) */
};

/* clang-format off */
static const struct broken_case broken_cases[] = {
    {"bad_cidr.json", 0, (const char *const[]){
        ": $.rules[0].match.where[0].cidr[1]: cannot parse network \"10.0.0.0/33\" (expected an address or address/prefix)",
        ": $.rules[0].match.where[0].cidr[2]: cannot parse network \"fd00::/129\" (expected an address or address/prefix)",
        ": $.rules[0].match.where[1].cidr: cannot parse network \"host.example\" (expected an address or address/prefix)",
        ": $.rules[0].match.where[2].cidr: must not be empty",
        NULL}},
    {"bad_procedure.json", 0, (const char *const[]){
        ": $.rules[0].incident.procedure: \"6.1\" is not a procedure section (5.N, 5.N.N, 5.N.N.N, or \"-\")",
        ": $.rules[1].incident.procedure: \"5\" is not a procedure section (5.N, 5.N.N, 5.N.N.N, or \"-\")",
        ": $.rules[2].incident.procedure: \"5.1.2.3.4\" is not a procedure section (5.N, 5.N.N, 5.N.N.N, or \"-\")",
        NULL}},
    {"bad_regex.json", 0, (const char *const[]){
        ": $.rules[0].match.where[1].regex: cannot compile: missing closing parenthesis at offset 13",
        ": $.rules[1].match.where[0].regex: cannot compile: numbers out of order in {} quantifier at offset 5",
        NULL}},
    {"bad_severity.json", 0, (const char *const[]){
        ": $.rules[0].incident.severity: unknown severity \"urgent\" (expected info, low, medium, high or critical)",
        ": $.rules[1].incident.severity: unknown severity \"High\" (expected info, low, medium, high or critical)",
        ": $.rules[1].incident.class: unknown class \"fire\" (expected hacker_attack, virus, sw_attack, database, wan_outage, lan_outage, device_failure or generic)",
        NULL}},
    {"dup_a.json", 1, (const char *const[]){
        ": $.rules[1].name: duplicate rule name \"dup-rule\" (first defined in " RULES_DIR "/broken/dup_a.json at $.rules[0])",
        NULL}},
    {"dup_b.json", 2, (const char *const[]){
        NULL}},
    {"missing.json", 0, (const char *const[]){
        ": $.rules[0]: missing required key \"name\"",
        ": $.rules[0]: missing required key \"plugin\"",
        ": $.rules[0]: missing required key \"match\"",
        ": $.rules[0]: missing required key \"incident\"",
        ": $.rules[1].match: missing required key \"event.action\"",
        ": $.rules[1].incident: missing required key \"title\"",
        ": $.rules[1].incident: missing required key \"severity\"",
        ": $.rules[1].incident: missing required key \"class\"",
        ": $.rules[1].incident: missing required key \"procedure\"",
        ": $.rules[2].match.where[0]: missing required key \"field\"",
        ": $.rules[2].match.where[1]: needs one of equals, in, regex, cidr, exists",
        ": $.rules[2].actions.open[0]: missing required key \"plugin\"",
        NULL}},
    {"naming.json", 0, (const char *const[]){
        ": $.rules[0].name: \"has space\" is not a valid rule name (1 to 64 of A-Z a-z 0-9 _ . -)",
        ": $.rules[0].plugin: \"Single\" is not a valid plugin name (1 to 32 of a-z 0-9 _)",
        ": $.rules[0].match[\"event.action\"][0]: \"has space\" is not a valid event.action (printable ASCII without spaces)",
        ": $.rules[0].match.where[0].field: \"a b\" is not a valid field name (one or more of A-Z a-z 0-9 _ . @ -)",
        ": $.rules[0].key[1]: \"bad/field\" is not a valid field name (one or more of A-Z a-z 0-9 _ . @ -)",
        ": $.rules[1].name: \"a-name-that-is-far-too-long-for-the-limit-of-six...\" is not a valid rule name (1 to 64 of A-Z a-z 0-9 _ . -)",
        ": $.rules[1].plugin: \"a_plugin_name_longer_than_32_chars\" is not a valid plugin name (1 to 32 of a-z 0-9 _)",
        ": $.rules[1].match[\"event.action\"][0]: \"\" is not a valid event.action (printable ASCII without spaces)",
        NULL}},
    {"no_rules.json", 0, (const char *const[]){
        ": $: missing required key \"rules\"",
        NULL}},
    {"not_object.json", 0, (const char *const[]){
        ": $: expected an object, got an array",
        NULL}},
    {"null.json", 0, (const char *const[]){
        ": $: expected an object, got null",
        NULL}},
    {"rules_type.json", 0, (const char *const[]){
        ": $.rules: expected an array, got an object",
        NULL}},
    {"syntax.json", 0, (const char *const[]){
        ":5:26: JSON syntax error: quoted object property name expected",
        NULL}},
    {"truncated.json", 0, (const char *const[]){
        ":3:36: JSON syntax error: unexpected end of data",
        NULL}},
    {"types.json", 0, (const char *const[]){
        ": $.rules[0].name: expected a string, got a number",
        ": $.rules[0].plugin: expected a string, got an array",
        ": $.rules[0].description: expected a string, got a boolean",
        ": $.rules[0].match[\"event.action\"]: expected an array, got a string",
        ": $.rules[0].match.where: expected an array, got an object",
        ": $.rules[0].key: expected an array, got a string",
        ": $.rules[0].params: expected an object, got a string",
        ": $.rules[0].incident.title: expected a string, got null",
        ": $.rules[0].incident.severity: expected a string, got a number",
        ": $.rules[0].incident.procedure: expected a string, got a number",
        ": $.rules[0].actions: expected an object, got an array",
        ": $.rules[1].match[\"event.action\"]: must not be empty",
        ": $.rules[1].match.where[0].equals: expected a string or a number, got a boolean",
        ": $.rules[1].match.where[1].in: must not be empty",
        ": $.rules[1].match.where[2].not: expected a boolean, got a number",
        ": $.rules[1].match.where[2].exists: expected a boolean, got a string",
        ": $.rules[1].match.where[3]: has both \"equals\" and \"regex\": needs exactly one of equals, in, regex, cidr, exists",
        ": $.rules[1].match.where[4]: expected an object, got a string",
        ": $.rules[1].key[0]: expected a string, got a number",
        ": $.rules[1].actions.open: expected an array, got an object",
        ": $.rules[1].actions.close[0].plugin: \"Bad-Name\" is not a valid plugin name (1 to 32 of a-z 0-9 _)",
        ": $.rules[1].actions.close[0].params: expected an object, got an array",
        ": $.rules[1].actions.close[1]: expected an object, got a string",
        ": $.rules[2]: expected an object, got a string",
        NULL}},
    {"unclosed.json", 0, (const char *const[]){
        ": $.rules[0].incident.title: unclosed \"${\" at offset 23",
        ": $.rules[1].incident.title: invalid field reference \"${}\" at offset 0 (field names are one or more of A-Z a-z 0-9 _ . @ -)",
        ": $.rules[1].incident.title: invalid field reference \"${a b}\" at offset 8 (field names are one or more of A-Z a-z 0-9 _ . @ -)",
        NULL}},
    {"unknown_key.json", 0, (const char *const[]){
        ": $: unknown key \"version\"",
        ": $.rules[0]: unknown key \"severity\"",
        ": $.rules[0].match.where[0]: unknown key \"regexp\"",
        ": $.rules[0].incident: unknown key \"owner\"",
        ": $.rules[0].actions: unknown key \"opened\"",
        NULL}},
};
/* clang-format on */

/* Check every message of one case: in order from *pos, or anywhere in d when pos is NULL. */
static void check_case(const struct broken_case *bc, const struct diag *d, size_t *pos)
{
    size_t i;

    for (i = 0; bc->msgs[i] != NULL; i++) {
        char *want = xasprintf(RULES_DIR "/broken/%s%s", bc->file, bc->msgs[i]);

        if (pos == NULL) {
            if (!has_msg(d, want)) {
                fprintf(stderr, "  missing: %s\n", want);
            }
            CU_ASSERT_TRUE(has_msg(d, want));
        } else {
            CU_ASSERT_FATAL(*pos < d->n);
            if (strcmp(d->msgs[*pos], want) != 0) {
                fprintf(stderr, "  want: %s\n  got:  %s\n", want, d->msgs[*pos]);
            }
            CU_ASSERT_STRING_EQUAL(d->msgs[*pos], want);
            (*pos)++;
        }
        free(want);
    }
}

static void test_broken_files(void)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(broken_cases); i++) {
        const struct broken_case *bc = &broken_cases[i];
        char *path = xasprintf(RULES_DIR "/broken/%s", bc->file);
        struct ruleset rs;
        struct diag d = {0};
        size_t pos = 0;
        size_t n = 0;
        int rc = load1(path, &rs, &d);

        while (bc->msgs[n] != NULL) {
            n++;
        }
        if (d.n != n) {
            fprintf(stderr, "  %s: %zu messages, want %zu\n", bc->file, d.n, n);
            dump_diag(&d);
        }
        CU_ASSERT_EQUAL(rc, n == 0 ? 0 : -1);
        CU_ASSERT_EQUAL(d.n, n);
        check_case(bc, &d, &pos);
        CU_ASSERT_EQUAL(rs.n, bc->n_rules);
        CU_ASSERT_EQUAL(rs.n_files, 1);
        ruleset_free(&rs);
        diag_free(&d);
        free(path);
    }
}

/* Two files defining one name: the second is refused, naming both locations. */
static void test_duplicate_across_files(void)
{
    const char *paths[] = {RULES_DIR "/broken/dup_b.json", RULES_DIR "/broken/dup_a.json"};
    struct ruleset rs;
    struct diag d = {0};

    CU_ASSERT_EQUAL(ruleset_load(paths, 2, &rs, &d), -1);
    if (d.n != 2) {
        dump_diag(&d);
    }
    CU_ASSERT_EQUAL_FATAL(d.n, 2);
    CU_ASSERT_STRING_EQUAL(d.msgs[0], RULES_DIR
                           "/broken/dup_a.json: $.rules[0].name: duplicate rule name \"dup-rule\" "
                           "(first defined in " RULES_DIR "/broken/dup_b.json at $.rules[1])");
    CU_ASSERT_STRING_EQUAL(d.msgs[1], RULES_DIR
                           "/broken/dup_a.json: $.rules[1].name: duplicate rule name \"dup-rule\" "
                           "(first defined in " RULES_DIR "/broken/dup_b.json at $.rules[1])");
    CU_ASSERT_EQUAL_FATAL(rs.n, 2);
    CU_ASSERT_STRING_EQUAL(rs.rules[0].name, "other-rule");
    CU_ASSERT_STRING_EQUAL(rs.rules[1].name, "dup-rule");
    CU_ASSERT_STRING_EQUAL(rs.rules[1].file, RULES_DIR "/broken/dup_b.json");
    ruleset_free(&rs);
    diag_free(&d);
}

/* The whole directory: every error of every file, files in name order. */
static void test_broken_dir(void)
{
    const char *path = RULES_DIR "/broken";
    struct ruleset rs;
    struct diag d = {0};
    size_t total = 0;
    size_t i;

    CU_ASSERT_EQUAL(load1(path, &rs, &d), -1);
    for (i = 0; i < ARRAY_SIZE(broken_cases); i++) {
        size_t n = 0;

        while (broken_cases[i].msgs[n] != NULL) {
            n++;
        }
        total += n;
        check_case(&broken_cases[i], &d, NULL);
    }
    /* dup_b.json's second rule now repeats dup_a.json's first. */
    CU_ASSERT_TRUE(has_msg(&d, RULES_DIR "/broken/dup_b.json: $.rules[1].name: duplicate rule "
                                         "name \"dup-rule\" (first defined in " RULES_DIR
                                         "/broken/dup_a.json at $.rules[0])"));
    if (d.n != total + 1) {
        dump_diag(&d);
    }
    CU_ASSERT_EQUAL(d.n, total + 1);
    CU_ASSERT_EQUAL(rs.n_files, ARRAY_SIZE(broken_cases));
    CU_ASSERT_EQUAL_FATAL(rs.n, 2);
    CU_ASSERT_STRING_EQUAL(rs.rules[0].name, "dup-rule");
    CU_ASSERT_STRING_EQUAL(rs.rules[0].file, RULES_DIR "/broken/dup_a.json");
    CU_ASSERT_STRING_EQUAL(rs.rules[1].name, "other-rule");
    ruleset_free(&rs);
    diag_free(&d);
}

static void test_unreadable(void)
{
    const char *paths[] = {RULES_DIR "/no-such-file.json", RULES_DIR "/good/30-empty.json"};
    struct ruleset rs;
    struct diag d = {0};
    char *dir = xasprintf("%s/dangling", tmp_dir());
    char *link;

    CU_ASSERT_EQUAL(ruleset_load(paths, 2, &rs, &d), -1);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_STRING_EQUAL(d.msgs[0],
                           RULES_DIR "/no-such-file.json: cannot read: No such file or directory");
    CU_ASSERT_EQUAL(rs.n_files, 1);
    ruleset_free(&rs);
    diag_free(&d);

    /* A directory entry that cannot be opened is reported, not skipped. */
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    link = xasprintf("%s/a.json", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("/nonexistent/target.json", link), 0);
    CU_ASSERT_EQUAL(load1(dir, &rs, &d), -1);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_TRUE(strstr(d.msgs[0], "/dangling/a.json: cannot read: No such file or directory") !=
                   NULL);
    ruleset_free(&rs);
    diag_free(&d);
    free(link);
    free(dir);
}

/* Hostile shapes: NUL bytes, deep nesting, empty files, huge values. */
static void test_hostile_shapes(void)
{
    static const char nul_text[] = "{\"rules\": []}\0garbage";
    static const char u0000_text[] =
        "{\"rules\": [{\"name\": \"a\\u0000b\", \"plugin\": \"single\", \"match\": "
        "{\"event.action\": [\"x\"]}, \"incident\": {\"title\": \"t\", \"severity\": "
        "\"low\", \"class\": \"generic\", \"procedure\": \"-\"}}]}";
    struct ruleset rs;
    struct diag d = {0};
    struct sbuf deep = {0};
    char *path;
    int i;

    path = write_tmp("nul.json", nul_text, sizeof(nul_text) - 1);
    CU_ASSERT_EQUAL(load1(path, &rs, &d), -1);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_TRUE(strstr(d.msgs[0], "nul.json:1:14: JSON syntax error: NUL byte") != NULL);
    ruleset_free(&rs);
    diag_free(&d);
    free(path);

    path = write_tmp("empty.json", "", 0);
    CU_ASSERT_EQUAL(load1(path, &rs, &d), -1);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_TRUE(strstr(d.msgs[0], "empty.json:1:1: JSON syntax error: unexpected end of data") !=
                   NULL);
    ruleset_free(&rs);
    diag_free(&d);
    free(path);

    sbuf_adds(&deep, "{\"rules\": ");
    for (i = 0; i < 100000; i++) {
        sbuf_addc(&deep, '[');
    }
    path = write_tmp("deep.json", deep.buf, deep.len);
    CU_ASSERT_EQUAL(load1(path, &rs, &d), -1);
    CU_ASSERT_EQUAL(d.n, 1);
    ruleset_free(&rs);
    diag_free(&d);
    free(path);
    sbuf_free(&deep);

    /* An embedded \u0000 in a string would silently shorten it. */
    path = write_tmp("u0000.json", u0000_text, strlen(u0000_text));
    CU_ASSERT_EQUAL(load1(path, &rs, &d), -1);
    if (d.n != 1) {
        dump_diag(&d);
    }
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_TRUE(strstr(d.msgs[0], "u0000.json: $.rules[0].name: must not contain a NUL") !=
                   NULL);
    ruleset_free(&rs);
    diag_free(&d);
    free(path);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* 2,000 mutations of a good file: never a crash, and an error exactly when a diag says so. */
static void test_mutations(void)
{
    static const char tokens[] = "{}[],:\"\\$ 0aZ.-/\n";
    size_t base_len;
    char *base = test_read_file(RULES_DIR "/good/10-ssh.json", &base_len);
    char *path = xasprintf("%s/mutant.json", tmp_dir());
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int ok = 0;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    for (i = 0; i < 2000; i++) {
        struct sbuf m = {0};
        struct ruleset rs;
        struct diag d = {0};
        int n_mut = 1 + (int)(rng_next(&seed) % 4);
        FILE *f;
        int rc;
        int k;

        sbuf_add(&m, base, base_len);
        for (k = 0; k < n_mut && m.len > 0; k++) {
            size_t at = rng_next(&seed) % m.len;

            switch (rng_next(&seed) % 5) {
            case 0: /* flip bits of one byte */
                m.buf[at] = (char)(m.buf[at] ^ (char)(1 + rng_next(&seed) % 255));
                break;
            case 1: /* truncate */
                m.len = at;
                break;
            case 2: /* delete a run */
            {
                size_t n = 1 + rng_next(&seed) % 8;

                n = n > m.len - at ? m.len - at : n;
                memmove(m.buf + at, m.buf + at + n, m.len - at - n);
                m.len -= n;
            } break;
            case 3: /* overwrite with a structural character */
                m.buf[at] = tokens[rng_next(&seed) % (sizeof(tokens) - 1)];
                break;
            default: /* random byte */
                m.buf[at] = (char)(rng_next(&seed) & 0xff);
                break;
            }
        }
        f = fopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fwrite(m.buf, 1, m.len, f), m.len);
        fclose(f);
        rc = load1(path, &rs, &d);
        CU_ASSERT_TRUE((rc == 0) == (d.n == 0));
        CU_ASSERT_TRUE(rc == 0 || rc == -1);
        ok += rc == 0;
        ruleset_free(&rs);
        diag_free(&d);
        sbuf_free(&m);
    }
    /* Some mutations land in strings and keep the file valid; most do not. */
    CU_ASSERT_TRUE(ok > 0 && ok < 2000);
    free(path);
    free(base);
}

void suite_rule(void)
{
    CU_pSuite s = CU_add_suite("rule", NULL, NULL);

    CU_add_test(s, "good directory, every member", test_good_dir);
    CU_add_test(s, "severity names", test_severity_names);
    CU_add_test(s, "match equals and not", test_match_equals);
    CU_add_test(s, "match equals integer", test_match_equals_int);
    CU_add_test(s, "match in", test_match_in);
    CU_add_test(s, "match regex", test_match_regex);
    CU_add_test(s, "match regex backtracking limit", test_match_regex_limit);
    CU_add_test(s, "match cidr v4 and v6", test_match_cidr);
    CU_add_test(s, "match exists", test_match_exists);
    CU_add_test(s, "match all conditions and key fields", test_match_all_and_key);
    CU_add_test(s, "match on several threads", test_match_threads);
    CU_add_test(s, "key escaping", test_key);
    CU_add_test(s, "title rendering", test_title);
    CU_add_test(s, "title cap", test_title_cap);
    CU_add_test(s, "broken files one by one", test_broken_files);
    CU_add_test(s, "duplicate name across files", test_duplicate_across_files);
    CU_add_test(s, "broken directory reports all", test_broken_dir);
    CU_add_test(s, "unreadable paths", test_unreadable);
    CU_add_test(s, "hostile shapes", test_hostile_shapes);
    CU_add_test(s, "2000 mutations", test_mutations);
}
