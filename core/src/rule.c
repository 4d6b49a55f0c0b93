/* SPDX-License-Identifier: MIT */
/*
 * Rules at run time: matching events against a rule's field conditions with
 * per-thread PCRE2 match data and bounded backtracking, building correlation
 * keys, rendering incident titles, and severity names. Loading the rule files
 * is rule_load.c's job (with rule_parse.c and rule_json.c).
 */
#include "rule.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

#define TITLE_MAX_BYTES 512    /* bytes of a rendered title */
#define MATCH_LIMIT     100000 /* pcre2 match limit of one condition */
#define DEPTH_LIMIT     10000  /* pcre2 backtracking depth limit */
#define HEAP_LIMIT_KIB  8192   /* pcre2 backtracking heap limit */
#define OVECTOR_PAIRS   32     /* pairs in the per-thread match data */

static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

/* ---------------------------------------------------------------------------------------
 * Names and UTF-8
 */

/* Length of the longest prefix of s[0..len) that does not end inside a UTF-8 sequence. */
size_t rule_utf8_cut(const char *s, size_t len)
{
    size_t i = len;
    size_t back = 0;
    unsigned char c;
    size_t cont;

    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0) {
        return len;
    }
    c = (unsigned char)s[i - 1];
    if (c < 0x80) {
        return len;
    }
    cont = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    return back >= cont ? len : i - 1;
}

/* Index of s in names[0..n), or -1. */
int rule_find_name(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Severity name to 1 (info) .. 5 (critical); 0 when unknown. */
int rule_severity_parse(const char *name)
{
    int i = rule_find_name(severity_names, ARRAY_SIZE(severity_names), name);

    return i < 0 ? 0 : i + 1;
}

/* Name of a severity 1..5; "unknown" for any other number. */
const char *rule_severity_name(int sev)
{
    if (sev < 1 || sev > (int)ARRAY_SIZE(severity_names)) {
        return "unknown";
    }
    return severity_names[sev - 1];
}

/* ---------------------------------------------------------------------------------------
 * Matching
 */

static pthread_once_t match_once = PTHREAD_ONCE_INIT;
static pcre2_match_context *match_ctx;             /* shared limits; read-only after match_init */
static pthread_key_t match_data_key;               /* frees a thread's match data when it exits */
static _Thread_local pcre2_match_data *match_data; /* this thread's match data */

static void free_match_data(void *md)
{
    pcre2_match_data_free(md);
}

static void match_init(void)
{
    match_ctx = pcre2_match_context_create(NULL);
    if (match_ctx == NULL || pthread_key_create(&match_data_key, free_match_data) != 0) {
        log_msg(2, "cannot create the PCRE2 match context");
        abort();
    }
    pcre2_set_match_limit(match_ctx, MATCH_LIMIT);
    pcre2_set_depth_limit(match_ctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(match_ctx, HEAP_LIMIT_KIB);
}

static pcre2_match_data *thread_match_data(void)
{
    pthread_once(&match_once, match_init);
    if (match_data == NULL) {
        match_data = pcre2_match_data_create(OVECTOR_PAIRS, NULL);
        if (match_data == NULL) {
            log_msg(2, "out of memory creating PCRE2 match data");
            abort();
        }
        pthread_setspecific(match_data_key, match_data);
    }
    return match_data;
}

static int same(struct vg_str v, const char *s)
{
    size_t len = strlen(s);

    return v.len == len && memcmp(v.ptr, s, len) == 0;
}

/* 1 when the condition holds, 0 when not; a regex that hits a limit never holds. */
static int cond_holds(const struct rule_cond *c, const struct vg_event *ev)
{
    struct vg_str v = event_get(ev, c->field);
    int hit = 0;
    size_t i;

    switch (c->op) {
    case COND_EQUALS:
        hit = v.ptr != NULL && same(v, c->value);
        break;
    case COND_IN:
        for (i = 0; v.ptr != NULL && i < c->n_list && !hit; i++) {
            hit = same(v, c->list[i]);
        }
        break;
    case COND_REGEX:
        if (v.ptr != NULL) {
            pcre2_match_data *md = thread_match_data();
            int rc = pcre2_match(c->re, (PCRE2_SPTR)v.ptr, v.len, 0, 0, md, match_ctx);
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
                return 0;
            }
            hit = rc >= 0;
        }
        break;
    case COND_CIDR:
        for (i = 0; v.ptr != NULL && i < c->n_cidrs && !hit; i++) {
            hit = cidr_contains_str(&c->cidrs[i], v.ptr, v.len);
        }
        break;
    case COND_EXISTS:
        hit = (v.ptr != NULL) == (c->exists != 0);
        break;
    }
    return c->negate ? !hit : hit;
}

/* All conditions in order (each inverted by "not"), then every key field present. */
int rule_match(const struct rule *r, const struct vg_event *ev)
{
    size_t i;

    for (i = 0; i < r->n_conds; i++) {
        if (!cond_holds(&r->conds[i], ev)) {
            return 0;
        }
    }
    for (i = 0; i < r->n_key; i++) {
        if (event_get(ev, r->key[i]).ptr == NULL) {
            return 0;
        }
    }
    return 1;
}

/* "field=value|field=value"; '|', '\\' and '=' in values get a backslash; absent is empty. */
void rule_key(const struct rule *r, const struct vg_event *ev, struct sbuf *out)
{
    size_t i;

    sbuf_add(out, "", 0);
    for (i = 0; i < r->n_key; i++) {
        struct vg_str v = event_get(ev, r->key[i]);
        size_t j;

        if (i > 0) {
            sbuf_addc(out, '|');
        }
        sbuf_adds(out, r->key[i]);
        sbuf_addc(out, '=');
        for (j = 0; v.ptr != NULL && j < v.len; j++) {
            if (v.ptr[j] == '|' || v.ptr[j] == '\\' || v.ptr[j] == '=') {
                sbuf_addc(out, '\\');
            }
            sbuf_addc(out, v.ptr[j]);
        }
    }
}

/* Append at most room bytes of s, control characters as spaces; returns the bytes added. */
static size_t add_capped(struct sbuf *out, const char *s, size_t len, size_t room, int clean)
{
    size_t n = len < room ? len : room;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        sbuf_addc(out, clean && (c < 0x20 || c == 0x7f) ? ' ' : s[i]);
    }
    return n;
}

/*
 * The title with each ${field} replaced by the event's value ("" when absent) and
 * control characters in values turned into spaces; at most 512 bytes are appended,
 * cut at a UTF-8 character boundary.
 */
void rule_render_title(const struct rule *r, const struct vg_event *ev, struct sbuf *out)
{
    const char *p = r->title != NULL ? r->title : "";
    size_t start;
    size_t used = 0;

    sbuf_add(out, "", 0);
    start = out->len;
    while (*p != '\0' && used < TITLE_MAX_BYTES + 1) {
        const char *ref = strstr(p, "${");
        const char *end = ref != NULL ? strchr(ref + 2, '}') : NULL;
        struct vg_str v;

        if (ref == NULL || end == NULL) {
            used += add_capped(out, p, strlen(p), TITLE_MAX_BYTES + 1 - used, 0);
            break;
        }
        used += add_capped(out, p, (size_t)(ref - p), TITLE_MAX_BYTES + 1 - used, 0);
        v = event_getn(ev, ref + 2, (size_t)(end - ref - 2));
        if (v.ptr != NULL) {
            used += add_capped(out, v.ptr, v.len, TITLE_MAX_BYTES + 1 - used, 1);
        }
        p = end + 1;
    }
    if (used > TITLE_MAX_BYTES) {
        out->len = start + rule_utf8_cut(out->buf + start, TITLE_MAX_BYTES);
        out->buf[out->len] = '\0';
    }
}
