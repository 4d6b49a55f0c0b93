/* SPDX-License-Identifier: MIT */
/*
 * The risk review (vigilctl report): gathers the ids of incidents from the
 * lifecycle stream and the open index, reads each one's hash, history and last
 * events in pipelined batches, keeps those first seen in the period and tallies
 * them by class, severity, status, device, source and action; writes Markdown
 * for people or one JSON object for machines. The preparedness check (vigilctl
 * check) is in report_check.c; the helpers both use are in report_int.h.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "incident.h"
#include "report_int.h"
#include "rule.h"

/* ---------------------------------------------------------------------------------------
 * Small containers: a string-to-index map, growing arrays, lists of durations
 */

struct strmap {
    char **keys;  /* owned copies; NULL in a free slot */
    size_t *vals; /* the index each key stands for */
    size_t cap;   /* slots, a power of two (0 before the first insert) */
    size_t n;     /* keys held */
};

static void rehash(struct strmap *m)
{
    struct strmap g = {0};
    size_t i;

    g.cap = m->cap > 0 ? m->cap * 2 : 64;
    g.keys = xcalloc(g.cap, sizeof(*g.keys));
    g.vals = xcalloc(g.cap, sizeof(*g.vals));
    for (i = 0; i < m->cap; i++) {
        size_t j;

        if (m->keys[i] == NULL) {
            continue;
        }
        j = hash_fnv1a(m->keys[i], strlen(m->keys[i])) & (g.cap - 1);
        while (g.keys[j] != NULL) {
            j = (j + 1) & (g.cap - 1);
        }
        g.keys[j] = m->keys[i];
        g.vals[j] = m->vals[i];
        g.n++;
    }
    free(m->keys);
    free(m->vals);
    *m = g;
}

/* The index of k, or want when k is new (then *added is 1). */
static size_t map_put(struct strmap *m, const char *k, size_t want, int *added)
{
    size_t i;

    if (2 * (m->n + 1) > m->cap) {
        rehash(m);
    }
    i = hash_fnv1a(k, strlen(k)) & (m->cap - 1);
    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], k) == 0) {
            *added = 0;
            return m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = xstrdup(k);
    m->vals[i] = want;
    m->n++;
    *added = 1;
    return want;
}

static void map_free(struct strmap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        free(m->keys[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* v with room for element n (of size bytes), *cap grown as needed. */
void *report_grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) {
        return v;
    }
    *cap = *cap > 0 ? *cap * 2 : 16;
    return xrealloc(v, *cap * size);
}

struct durs {
    int64_t *v; /* durations, ms (sorted once collected) */
    size_t n;   /* used */
    size_t cap; /* allocated */
};

static void durs_add(struct durs *d, int64_t ms)
{
    d->v = report_grow(d->v, d->n, &d->cap, sizeof(*d->v));
    d->v[d->n++] = ms < 0 ? 0 : ms;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------------------------------
 * The report's tallies
 */

enum { ST_OPEN, ST_ACK, ST_RESOLVED, ST_FLAPPING, ST_CLOSED, ST_OTHER, N_STATUS };
static const char *const status_names[N_STATUS] = {"open",     "acknowledged", "resolved",
                                                   "flapping", "closed",       "other"};

enum { ACT_OK, ACT_FAILED, ACT_TIMEOUT, ACT_SKIPPED, ACT_OTHER, N_ACT };
static const char *const act_names[N_ACT] = {"ok", "failed", "timeout", "skipped", "other"};

#define N_SEV 6 /* severities 1..5, and 0 for an unknown one */

struct group {
    char *name;                 /* the class ("" when the rule set none), or "all" */
    size_t n;                   /* incidents */
    size_t by_sev[N_SEV];       /* by severity (index 1 info .. 5 critical, 0 unknown) */
    size_t by_status[N_STATUS]; /* by status */
    struct durs ack;            /* times to acknowledge of the acknowledged ones */
    struct durs res;            /* times to resolve of the resolved or closed ones */
};

struct counted {
    char *name;  /* a device name or a source address */
    size_t n;    /* incidents naming it */
    int max_sev; /* the highest severity among them */
};

struct act_row {
    char *plugin;            /* the action plugin */
    size_t by_status[N_ACT]; /* history entries by status */
};

struct rinc {
    char *id;               /* incident id */
    char *class;            /* its class ("" when none) */
    char *title;            /* its title */
    char *status;           /* its status now */
    int sev;                /* its severity now, 1..5 (0 unknown) */
    int64_t first_ms;       /* first seen */
    int64_t ack_ms;         /* the first operator acknowledgement, or -1 */
    int64_t res_ms;         /* resolved (or closed when never resolved), or -1 */
    fjson_object *playbook; /* its steps (an owned reference), or NULL */
    fjson_object *findings; /* its findings (an owned reference), or NULL */
    int from_stream;        /* its hash had expired: taken from its last record */
};

struct report {
    struct report_opts o; /* the period */
    char *prefix;         /* Redis key prefix read */
    struct rinc *inc;     /* incidents of the period (sorted by first seen once collected) */
    size_t n_inc;         /* used */
    size_t cap_inc;       /* allocated */
    struct group all;     /* every incident */
    struct group *cls;    /* per class (sorted by name) */
    size_t n_cls;         /* used */
    size_t cap_cls;       /* allocated */
    struct strmap cls_ix; /* class name to index in cls (while collecting) */
    struct counted *dev;  /* devices (sorted by incidents, most first) */
    size_t n_dev;         /* used */
    size_t cap_dev;       /* allocated */
    struct strmap dev_ix; /* device to index in dev */
    struct counted *src;  /* source addresses, as dev */
    size_t n_src;         /* used */
    size_t cap_src;       /* allocated */
    struct strmap src_ix; /* source to index in src */
    struct act_row *act;  /* action plugins (sorted by name) */
    size_t n_act;         /* used */
    size_t cap_act;       /* allocated */
    struct strmap act_ix; /* plugin to index in act */
    size_t n_from_stream; /* incidents taken from their last record */
};

static int status_index(const char *s)
{
    size_t i;

    for (i = 0; i < ST_OTHER; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            return (int)i;
        }
    }
    return ST_OTHER;
}

static void group_add(struct group *g, const struct rinc *x)
{
    g->n++;
    g->by_sev[x->sev >= 1 && x->sev <= 5 ? x->sev : 0]++;
    g->by_status[status_index(x->status)]++;
    /* Times are within [0, REPORT_MAX_MS]: no overflow; a time before the first event is 0. */
    if (x->ack_ms >= 0) {
        durs_add(&g->ack, x->ack_ms > x->first_ms ? x->ack_ms - x->first_ms : 0);
    }
    if (x->res_ms >= 0) {
        durs_add(&g->res, x->res_ms > x->first_ms ? x->res_ms - x->first_ms : 0);
    }
}

static void count_name(struct counted **v, size_t *n, size_t *cap, struct strmap *ix,
                       const char *name, int sev)
{
    int added;
    size_t i = map_put(ix, name, *n, &added);

    if (added) {
        *v = report_grow(*v, *n, cap, sizeof(**v));
        (*v)[*n].name = xstrdup(name);
        (*v)[*n].n = 0;
        (*v)[*n].max_sev = 0;
        (*n)++;
    }
    (*v)[i].n++;
    if (sev > (*v)[i].max_sev) {
        (*v)[i].max_sev = sev;
    }
}

static void count_action(struct report *r, const char *plugin, const char *status)
{
    int added;
    size_t i = map_put(&r->act_ix, plugin, r->n_act, &added);
    size_t k;

    if (added) {
        r->act = report_grow(r->act, r->n_act, &r->cap_act, sizeof(*r->act));
        memset(&r->act[r->n_act], 0, sizeof(*r->act));
        r->act[r->n_act].plugin = xstrdup(plugin);
        r->n_act++;
    }
    for (k = 0; k < ACT_OTHER; k++) {
        if (strcmp(status, act_names[k]) == 0) {
            break;
        }
    }
    r->act[i].by_status[k]++;
}

/* ---------------------------------------------------------------------------------------
 * JSON helpers
 */

fjson_object *report_jget(fjson_object *o, const char *k)
{
    fjson_object *v = NULL;

    if (o == NULL || !fjson_object_is_type(o, fjson_type_object) ||
        !fjson_object_object_get_ex(o, k, &v)) {
        return NULL;
    }
    return v;
}

const char *report_jstr(fjson_object *o, const char *k)
{
    fjson_object *v = report_jget(o, k);

    return v != NULL && fjson_object_is_type(v, fjson_type_string) ? fjson_object_get_string(v)
                                                                   : NULL;
}

/* The string at a dotted path: a flat member of that name, or nested objects. */
static const char *jpath(fjson_object *o, const char *path)
{
    const char *s = report_jstr(o, path);
    char part[128];
    const char *p = path;

    if (s != NULL) {
        return s;
    }
    while (o != NULL) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

        if (len >= sizeof(part)) {
            return NULL;
        }
        memcpy(part, p, len);
        part[len] = '\0';
        if (dot == NULL) {
            return report_jstr(o, part);
        }
        o = report_jget(o, part);
        p = dot + 1;
    }
    return NULL;
}

fjson_object *report_parse_json(const char *s, size_t len)
{
    fjson_tokener *tok;
    fjson_object *o;

    if (s == NULL || len == 0) {
        return NULL;
    }
    tok = fjson_tokener_new();
    o = fjson_tokener_parse_ex(tok, s, (int)len);
    fjson_tokener_free(tok);
    return o;
}

static int64_t parse_time(const char *s)
{
    int64_t ms;

    if (s == NULL || time_parse_rfc3339(s, strlen(s), &ms) != 0) {
        return -1;
    }
    return ms;
}

/* ---------------------------------------------------------------------------------------
 * Collecting
 */

struct cand {
    char *id;       /* incident id */
    char *record;   /* its last lifecycle record in the stream, or NULL */
    int64_t res_ms; /* by the records: when it was resolved (or closed), or -1 */
};

struct cands {
    struct cand *v;   /* candidates in the order first met */
    size_t n;         /* used */
    size_t cap;       /* allocated */
    struct strmap ix; /* id to index in v */
};

static struct cand *cand_get(struct cands *c, const char *id)
{
    int added;
    size_t i = map_put(&c->ix, id, c->n, &added);

    if (added) {
        c->v = report_grow(c->v, c->n, &c->cap, sizeof(*c->v));
        c->v[c->n].id = xstrdup(id);
        c->v[c->n].record = NULL;
        c->v[c->n].res_ms = -1;
        c->n++;
    }
    return &c->v[i];
}

/* One stream entry: its record names a candidate when first seen in the period. */
static void stream_entry(const struct report *r, struct cands *c, const redisReply *fields)
{
    const redisReply *rec = NULL;
    fjson_object *o;
    fjson_object *inc;
    const char *id;
    const char *status;
    int64_t first;
    int64_t at;
    struct cand *x;
    size_t i;

    for (i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, "record") == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING) {
            rec = fields->element[i + 1];
        }
    }
    if (rec == NULL || (o = report_parse_json(rec->str, rec->len)) == NULL) {
        return;
    }
    inc = report_jget(o, "incident");
    id = report_jstr(inc, "id");
    first = parse_time(report_jstr(inc, "first_seen"));
    if (id != NULL && first >= r->o.from_ms && first < r->o.to_ms) {
        x = cand_get(c, id);
        free(x->record);
        x->record = xstrndup(rec->str, rec->len);
        status = report_jstr(inc, "status");
        at = parse_time(report_jstr(o, "@timestamp"));
        if (status != NULL && (strcmp(status, "resolved") == 0 || strcmp(status, "closed") == 0)) {
            if (x->res_ms < 0) {
                x->res_ms = at;
            }
        } else {
            x->res_ms = -1; /* open again (a recurrence in the hold-down) */
        }
    }
    fjson_object_put(o);
}

/* Every record of the stream, in pages; the first entry of a page repeats the last one. */
static int scan_stream(struct store *st, const struct report *r, struct cands *c)
{
    char *key = xasprintf("%sstream", r->prefix);
    char start[64] = "-";
    char count_s[16];
    int rc = VG_OK;

    snprintf(count_s, sizeof(count_s), "%d", REPORT_STREAM_PAGE);
    for (;;) {
        const char *a[] = {"XRANGE", key, start, "+", "COUNT", count_s};
        redisReply *rep = store_cmd(st, 6, a, NULL);
        size_t taken = 0;
        size_t got;
        size_t i;

        if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
            rc = VG_EIO;
            if (rep != NULL) {
                freeReplyObject(rep);
            }
            break;
        }
        for (i = 0; i < rep->elements; i++) {
            const redisReply *e = rep->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                e->element[0]->type != REDIS_REPLY_STRING ||
                strcmp(e->element[0]->str, start) == 0) {
                continue;
            }
            taken++;
            stream_entry(r, c, e->element[1]);
            snprintf(start, sizeof(start), "%s", e->element[0]->str);
        }
        got = rep->elements;
        freeReplyObject(rep);
        if (taken == 0 || got < REPORT_STREAM_PAGE) {
            break;
        }
    }
    free(key);
    return rc;
}

/* The open incidents: their records may have left the capped stream. */
static int scan_open(struct store *st, const struct report *r, struct cands *c)
{
    char *key = xasprintf("%sopen", r->prefix);
    const char *a[] = {"ZRANGE", key, "0", "-1"};
    redisReply *rep = store_cmd(st, 4, a, NULL);
    int rc = VG_OK;
    size_t i;

    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        rc = VG_EIO;
    }
    for (i = 0; rc == VG_OK && i < rep->elements; i++) {
        if (rep->element[i]->type == REDIS_REPLY_STRING) {
            cand_get(c, rep->element[i]->str);
        }
    }
    if (rep != NULL) {
        freeReplyObject(rep);
    }
    free(key);
    return rc;
}

static const redisReply *hash_val(const redisReply *h, const char *name)
{
    size_t i;

    for (i = 0; i + 1 < h->elements; i += 2) {
        if (h->element[i]->type == REDIS_REPLY_STRING && strcmp(h->element[i]->str, name) == 0 &&
            h->element[i + 1]->type == REDIS_REPLY_STRING) {
            return h->element[i + 1];
        }
    }
    return NULL;
}

static const char *hash_str(const redisReply *h, const char *name)
{
    const redisReply *v = hash_val(h, name);

    return v != NULL ? v->str : "";
}

static fjson_object *hash_json(const redisReply *h, const char *name)
{
    const redisReply *v = hash_val(h, name);

    return v != NULL ? report_parse_json(v->str, v->len) : NULL;
}

/* A time in ms from a hash field; -1 when absent or not a time from 1970 to year 9999. */
static int64_t hash_ms(const redisReply *h, const char *name)
{
    const redisReply *v = hash_val(h, name);
    char *end;
    long long t;

    if (v == NULL || v->len == 0 || v->str == NULL) {
        return -1;
    }
    errno = 0;
    t = strtoll(v->str, &end, 10);
    if (errno != 0 || end == v->str || *end != '\0' || t < 0 || t > REPORT_MAX_MS) {
        return -1;
    }
    return t;
}

/* A name list without repeats (the devices or sources of one incident). */
struct names {
    const char **v; /* borrowed strings */
    size_t n;       /* used */
    size_t cap;     /* allocated */
};

static void names_add(struct names *l, const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0') {
        return;
    }
    for (i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], s) == 0) {
            return;
        }
    }
    l->v = report_grow(l->v, l->n, &l->cap, sizeof(*l->v));
    l->v[l->n++] = s;
}

/*
 * The devices and sources of one incident: host.name and source.ip of its key, or
 * of its kept events when the key has none; sources also from findings named
 * "source:ADDRESS" (the sources a class plugin recorded).
 */
static void count_places(struct report *r, const struct rinc *x, fjson_object *key,
                         fjson_object **evs, size_t n_evs)
{
    struct names dev = {0}, src = {0};
    size_t i;

    names_add(&dev, report_jstr(key, "host.name"));
    names_add(&src, report_jstr(key, "source.ip"));
    for (i = 0; i < n_evs; i++) {
        if (report_jstr(key, "host.name") == NULL) {
            names_add(&dev, jpath(evs[i], "host.name"));
        }
        if (report_jstr(key, "source.ip") == NULL) {
            names_add(&src, jpath(evs[i], "source.ip"));
        }
    }
    if (x->findings != NULL && fjson_object_is_type(x->findings, fjson_type_object)) {
        struct fjson_object_iterator it = fjson_object_iter_begin(x->findings);
        struct fjson_object_iterator end = fjson_object_iter_end(x->findings);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            const char *k = fjson_object_iter_peek_name(&it);

            if (strncmp(k, "source:", 7) == 0) {
                names_add(&src, k + 7);
            }
        }
    }
    for (i = 0; i < dev.n; i++) {
        count_name(&r->dev, &r->n_dev, &r->cap_dev, &r->dev_ix, dev.v[i], x->sev);
    }
    for (i = 0; i < src.n; i++) {
        count_name(&r->src, &r->n_src, &r->cap_src, &r->src_ix, src.v[i], x->sev);
    }
    free(dev.v);
    free(src.v);
}

static void rinc_free(struct rinc *x)
{
    free(x->id);
    free(x->class);
    free(x->title);
    free(x->status);
    if (x->playbook != NULL) {
        fjson_object_put(x->playbook);
    }
    if (x->findings != NULL) {
        fjson_object_put(x->findings);
    }
}

static fjson_object *owned(fjson_object *o)
{
    return o != NULL ? fjson_object_get(o) : NULL;
}

/*
 * One candidate from its hash (h), history and events, or from its last record
 * when the hash has expired; kept when first seen in the period.
 */
static void take(struct report *r, const struct cand *c, const redisReply *h,
                 const redisReply *hist, const redisReply *evl)
{
    struct rinc x = {.ack_ms = -1, .res_ms = -1};
    fjson_object *key = NULL;
    fjson_object *rec = NULL;
    fjson_object **evs = NULL;
    size_t n_evs = 0;
    size_t cap_evs = 0;
    size_t i;
    int added;

    if (h != NULL && h->type == REDIS_REPLY_ARRAY && h->elements > 0) {
        int64_t closed = hash_ms(h, "closed_at");

        x.class = xstrdup(hash_str(h, "class"));
        x.title = xstrdup(hash_str(h, "title"));
        x.status = xstrdup(hash_str(h, "status"));
        x.sev = atoi(hash_str(h, "severity"));
        x.first_ms = hash_ms(h, "first_seen");
        x.res_ms = hash_ms(h, "resolved_at");
        if (closed >= 0 && (x.res_ms < 0 || closed < x.res_ms)) {
            x.res_ms = closed;
        }
        key = hash_json(h, "key");
        x.playbook = hash_json(h, "playbook");
        x.findings = hash_json(h, "findings");
    } else if (c->record != NULL) {
        fjson_object *inc;

        rec = report_parse_json(c->record, strlen(c->record));
        inc = report_jget(rec, "incident");
        if (inc == NULL) {
            goto out;
        }
        x.class = xstrdup(report_jstr(inc, "class") ? report_jstr(inc, "class") : "");
        x.title = xstrdup(report_jstr(inc, "title") ? report_jstr(inc, "title") : "");
        x.status = xstrdup(report_jstr(inc, "status") ? report_jstr(inc, "status") : "");
        x.sev =
            report_jstr(inc, "severity") ? rule_severity_parse(report_jstr(inc, "severity")) : 0;
        x.first_ms = parse_time(report_jstr(inc, "first_seen"));
        x.res_ms = c->res_ms;
        key = owned(report_jget(inc, "key"));
        x.playbook = owned(report_jget(inc, "playbook"));
        x.findings = owned(report_jget(inc, "findings"));
        x.from_stream = 1;
    } else {
        goto out;
    }
    if (x.first_ms < r->o.from_ms || x.first_ms >= r->o.to_ms) {
        goto out;
    }
    x.id = xstrdup(c->id);
    for (i = 0; hist != NULL && hist->type == REDIS_REPLY_ARRAY && i < hist->elements; i++) {
        fjson_object *e = report_parse_json(hist->element[i]->str, hist->element[i]->len);
        const char *type = report_jstr(e, "type");

        if (type != NULL && strcmp(type, "operator") == 0 && report_jstr(e, "op") != NULL &&
            strcmp(report_jstr(e, "op"), "ack") == 0) {
            int64_t at = parse_time(report_jstr(e, "@timestamp"));

            if (at >= 0 && (x.ack_ms < 0 || at < x.ack_ms)) {
                x.ack_ms = at;
            }
        } else if (type != NULL && strcmp(type, "action") == 0 &&
                   report_jstr(e, "action") != NULL) {
            count_action(r, report_jstr(e, "action"),
                         report_jstr(e, "status") ? report_jstr(e, "status") : "");
        }
        if (e != NULL) {
            fjson_object_put(e);
        }
    }
    for (i = 0; evl != NULL && evl->type == REDIS_REPLY_ARRAY && i < evl->elements; i++) {
        fjson_object *e = report_parse_json(evl->element[i]->str, evl->element[i]->len);

        if (e != NULL) {
            evs = report_grow(evs, n_evs, &cap_evs, sizeof(*evs));
            evs[n_evs++] = e;
        }
    }
    count_places(r, &x, key, evs, n_evs);
    group_add(&r->all, &x);
    {
        size_t g = map_put(&r->cls_ix, x.class, r->n_cls, &added);

        if (added) {
            r->cls = report_grow(r->cls, r->n_cls, &r->cap_cls, sizeof(*r->cls));
            memset(&r->cls[r->n_cls], 0, sizeof(*r->cls));
            r->cls[r->n_cls].name = xstrdup(x.class);
            r->n_cls++;
        }
        group_add(&r->cls[g], &x);
    }
    r->n_from_stream += (size_t)x.from_stream;
    r->inc = report_grow(r->inc, r->n_inc, &r->cap_inc, sizeof(*r->inc));
    r->inc[r->n_inc++] = x;
    memset(&x, 0, sizeof(x));
out:
    rinc_free(&x);
    for (i = 0; i < n_evs; i++) {
        fjson_object_put(evs[i]);
    }
    free(evs);
    if (key != NULL) {
        fjson_object_put(key);
    }
    if (rec != NULL) {
        fjson_object_put(rec);
    }
}

/* Read a batch of candidates: hash, history and events of each, pipelined. */
static int fetch(struct store *st, struct report *r, const struct cands *c, size_t from, size_t n)
{
    redisReply **reps = xcalloc(3 * n, sizeof(*reps));
    int rc = VG_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        struct sbuf k = {0}, kh = {0}, ke = {0};

        if (incident_hash_key(r->prefix, c->v[from + i].id, &k) != 0) {
            sbuf_printf(&k, "%s-", r->prefix); /* no such key: an empty answer */
        }
        sbuf_printf(&kh, "%s:history", k.buf);
        sbuf_printf(&ke, "%s:events", k.buf);
        {
            const char *a[] = {"HGETALL", k.buf};
            const char *b[] = {"LRANGE", kh.buf, "0", "-1"};
            const char *e[] = {"LRANGE", ke.buf, "0", "-1"};

            store_append(st, 2, a, NULL);
            store_append(st, 4, b, NULL);
            store_append(st, 4, e, NULL);
        }
        sbuf_free(&k);
        sbuf_free(&kh);
        sbuf_free(&ke);
    }
    if (store_flush(st, reps, 3 * n) != 0) {
        rc = VG_EIO;
    }
    for (i = 0; rc == VG_OK && i < n; i++) {
        take(r, &c->v[from + i], reps[3 * i], reps[3 * i + 1], reps[3 * i + 2]);
    }
    for (i = 0; i < 3 * n; i++) {
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    free(reps);
    return rc;
}

static int by_count(const void *a, const void *b)
{
    const struct counted *x = a;
    const struct counted *y = b;

    if (x->n != y->n) {
        return x->n < y->n ? 1 : -1;
    }
    if (x->max_sev != y->max_sev) {
        return x->max_sev < y->max_sev ? 1 : -1;
    }
    return strcmp(x->name, y->name);
}

static int by_class(const void *a, const void *b)
{
    return strcmp(((const struct group *)a)->name, ((const struct group *)b)->name);
}

static int by_plugin(const void *a, const void *b)
{
    return strcmp(((const struct act_row *)a)->plugin, ((const struct act_row *)b)->plugin);
}

static int by_first_seen(const void *a, const void *b)
{
    const struct rinc *x = a;
    const struct rinc *y = b;

    if (x->first_ms != y->first_ms) {
        return x->first_ms < y->first_ms ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

static void group_sort(struct group *g)
{
    if (g->ack.n > 1) {
        qsort(g->ack.v, g->ack.n, sizeof(*g->ack.v), cmp_i64);
    }
    if (g->res.n > 1) {
        qsort(g->res.v, g->res.n, sizeof(*g->res.v), cmp_i64);
    }
}

/* Everything sorted for writing; the indexes are no longer needed. */
static void finish(struct report *r)
{
    size_t i;

    group_sort(&r->all);
    for (i = 0; i < r->n_cls; i++) {
        group_sort(&r->cls[i]);
    }
    if (r->n_cls > 1) {
        qsort(r->cls, r->n_cls, sizeof(*r->cls), by_class);
    }
    if (r->n_dev > 1) {
        qsort(r->dev, r->n_dev, sizeof(*r->dev), by_count);
    }
    if (r->n_src > 1) {
        qsort(r->src, r->n_src, sizeof(*r->src), by_count);
    }
    if (r->n_act > 1) {
        qsort(r->act, r->n_act, sizeof(*r->act), by_plugin);
    }
    if (r->n_inc > 1) {
        qsort(r->inc, r->n_inc, sizeof(*r->inc), by_first_seen);
    }
    map_free(&r->cls_ix);
    map_free(&r->dev_ix);
    map_free(&r->src_ix);
    map_free(&r->act_ix);
}

int report_collect(struct store *st, const char *prefix, const struct report_opts *o,
                   struct report **out)
{
    struct report *r = xcalloc(1, sizeof(*r));
    struct cands c = {0};
    size_t i;
    int rc;

    r->o = *o;
    if (r->o.top == 0) {
        r->o.top = REPORT_TOP_DEFAULT;
    }
    r->prefix = xstrdup(prefix);
    r->all.name = xstrdup("all");
    rc = scan_stream(st, r, &c);
    if (rc == VG_OK) {
        rc = scan_open(st, r, &c);
    }
    for (i = 0; rc == VG_OK && i < c.n; i += REPORT_BATCH) {
        rc = fetch(st, r, &c, i, c.n - i < REPORT_BATCH ? c.n - i : REPORT_BATCH);
    }
    for (i = 0; i < c.n; i++) {
        free(c.v[i].id);
        free(c.v[i].record);
    }
    free(c.v);
    map_free(&c.ix);
    finish(r);
    if (rc != VG_OK) {
        report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

static void group_free(struct group *g)
{
    free(g->name);
    free(g->ack.v);
    free(g->res.v);
}

void report_free(struct report *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_inc; i++) {
        rinc_free(&r->inc[i]);
    }
    free(r->inc);
    group_free(&r->all);
    for (i = 0; i < r->n_cls; i++) {
        group_free(&r->cls[i]);
    }
    free(r->cls);
    for (i = 0; i < r->n_dev; i++) {
        free(r->dev[i].name);
    }
    free(r->dev);
    for (i = 0; i < r->n_src; i++) {
        free(r->src[i].name);
    }
    free(r->src);
    for (i = 0; i < r->n_act; i++) {
        free(r->act[i].plugin);
    }
    free(r->act);
    map_free(&r->cls_ix);
    map_free(&r->dev_ix);
    map_free(&r->src_ix);
    map_free(&r->act_ix);
    free(r->prefix);
    free(r);
}

/* ---------------------------------------------------------------------------------------
 * Writing
 */

/* Steps that still ask for work: pending, or failed (an action failed: a person's now). */
static int step_open(fjson_object *s)
{
    const char *st = report_jstr(s, "status");

    return st != NULL && (strcmp(st, "pending") == 0 || strcmp(st, "failed") == 0);
}

static fjson_object *find_step(fjson_object *pb, const char *id)
{
    size_t i;

    if (pb == NULL || !fjson_object_is_type(pb, fjson_type_array)) {
        return NULL;
    }
    for (i = 0; i < (size_t)fjson_object_array_length(pb); i++) {
        fjson_object *s = fjson_object_array_get_idx(pb, (int)i);
        const char *sid = report_jstr(s, "step");

        if (sid != NULL && strcmp(sid, id) == 0) {
            return s;
        }
    }
    return NULL;
}

/* Under 5.3: the core added the customer-notification step and did not rule it out. */
static int under_5_3(const struct rinc *x)
{
    fjson_object *s = find_step(x->playbook, "5.3.1");
    const char *st = report_jstr(s, "status");

    return s != NULL && (st == NULL || strcmp(st, "not_applicable") != 0);
}

void report_json_s(struct sbuf *b, const char *s)
{
    if (s == NULL) {
        sbuf_adds(b, "null");
        return;
    }
    incident_json_str(b, s, strlen(s));
}

static void json_time(struct sbuf *b, int64_t ms)
{
    if (ms < 0) {
        sbuf_adds(b, "null");
    } else {
        incident_json_time(b, ms);
    }
}

static void json_secs(struct sbuf *b, int64_t ms)
{
    if (ms < 0) {
        sbuf_adds(b, "null");
    } else {
        sbuf_printf(b, "%" PRId64, ms / 1000);
    }
}

static int64_t median(const struct durs *d)
{
    if (d->n == 0) {
        return -1;
    }
    /* Halves first: two durations near INT64_MAX do not overflow. */
    return d->n % 2 == 1 ? d->v[d->n / 2]
                         : d->v[d->n / 2 - 1] / 2 + d->v[d->n / 2] / 2 +
                               (d->v[d->n / 2 - 1] % 2 + d->v[d->n / 2] % 2) / 2;
}

static int64_t mean(const struct durs *d)
{
    double sum = 0; /* a double: a sum of many long durations does not overflow */
    size_t i;

    if (d->n == 0) {
        return -1;
    }
    for (i = 0; i < d->n; i++) {
        sum += (double)d->v[i];
    }
    return (int64_t)(sum / (double)d->n);
}

static int64_t dmax(const struct durs *d)
{
    return d->n == 0 ? -1 : d->v[d->n - 1];
}

static void json_durs(struct sbuf *b, const struct durs *d, size_t of)
{
    sbuf_printf(b, "{\"count\":%zu,\"of\":%zu,\"median_s\":", d->n, of);
    json_secs(b, median(d));
    sbuf_adds(b, ",\"mean_s\":");
    json_secs(b, mean(d));
    sbuf_adds(b, ",\"max_s\":");
    json_secs(b, dmax(d));
    sbuf_addc(b, '}');
}

static void json_group(struct sbuf *b, const struct group *g)
{
    int s;
    size_t i;

    sbuf_printf(b, "{\"total\":%zu,\"by_severity\":{", g->n);
    for (s = 5; s >= 0; s--) {
        sbuf_printf(b, "%s\"%s\":%zu", s < 5 ? "," : "", s > 0 ? rule_severity_name(s) : "unknown",
                    g->by_sev[s]);
    }
    sbuf_adds(b, "},\"by_status\":{");
    for (i = 0; i < N_STATUS; i++) {
        sbuf_printf(b, "%s\"%s\":%zu", i > 0 ? "," : "", status_names[i], g->by_status[i]);
    }
    sbuf_adds(b, "}}");
}

static void json_counted(struct sbuf *b, const struct counted *v, size_t n, size_t top,
                         const char *what)
{
    size_t i;

    sbuf_addc(b, '[');
    for (i = 0; i < n && i < top; i++) {
        sbuf_printf(b, "%s{\"%s\":", i > 0 ? "," : "", what);
        report_json_s(b, v[i].name);
        sbuf_printf(b, ",\"incidents\":%zu,\"max_severity\":\"%s\"}", v[i].n,
                    rule_severity_name(v[i].max_sev));
    }
    sbuf_addc(b, ']');
}

static size_t act_calls(const struct act_row *a)
{
    size_t n = 0;
    size_t k;

    for (k = 0; k < N_ACT; k++) {
        n += a->by_status[k];
    }
    return n;
}

/* ok of the calls that ran (skipped ones did not), or -1 when none ran. */
static double act_rate(const struct act_row *a)
{
    size_t ran = act_calls(a) - a->by_status[ACT_SKIPPED];

    return ran == 0 ? -1.0 : (double)a->by_status[ACT_OK] / (double)ran;
}

static void write_json(const struct report *r, struct sbuf *b)
{
    size_t i;
    size_t k;
    int first;

    sbuf_adds(b, "{\"from\":");
    json_time(b, r->o.from_ms);
    sbuf_adds(b, ",\"to\":");
    json_time(b, r->o.to_ms);
    sbuf_adds(b, ",\"generated\":");
    json_time(b, r->o.now_ms);
    sbuf_adds(b, ",\"prefix\":");
    report_json_s(b, r->prefix);
    sbuf_printf(b, ",\"incidents\":{\"total\":%zu,\"from_stream_only\":%zu,\"all\":", r->all.n,
                r->n_from_stream);
    json_group(b, &r->all);
    sbuf_adds(b, ",\"by_class\":{");
    for (i = 0; i < r->n_cls; i++) {
        sbuf_adds(b, i > 0 ? "," : "");
        report_json_s(b, r->cls[i].name);
        sbuf_addc(b, ':');
        json_group(b, &r->cls[i]);
    }
    sbuf_adds(b, "}}");
    for (k = 0; k < 2; k++) {
        sbuf_adds(b,
                  k == 0 ? ",\"time_to_acknowledge\":{\"all\":" : ",\"time_to_resolve\":{\"all\":");
        json_durs(b, k == 0 ? &r->all.ack : &r->all.res, r->all.n);
        sbuf_adds(b, ",\"by_class\":{");
        for (i = 0; i < r->n_cls; i++) {
            sbuf_adds(b, i > 0 ? "," : "");
            report_json_s(b, r->cls[i].name);
            sbuf_addc(b, ':');
            json_durs(b, k == 0 ? &r->cls[i].ack : &r->cls[i].res, r->cls[i].n);
        }
        sbuf_adds(b, "}}");
    }
    sbuf_adds(b, ",\"top_devices\":");
    json_counted(b, r->dev, r->n_dev, r->o.top, "name");
    sbuf_adds(b, ",\"top_sources\":");
    json_counted(b, r->src, r->n_src, r->o.top, "address");
    sbuf_adds(b, ",\"actions\":[");
    for (i = 0; i < r->n_act; i++) {
        double rate = act_rate(&r->act[i]);

        sbuf_adds(b, i > 0 ? ",{\"plugin\":" : "{\"plugin\":");
        report_json_s(b, r->act[i].plugin);
        sbuf_printf(b, ",\"calls\":%zu", act_calls(&r->act[i]));
        for (k = 0; k < N_ACT; k++) {
            sbuf_printf(b, ",\"%s\":%zu", act_names[k], r->act[i].by_status[k]);
        }
        if (rate < 0) {
            sbuf_adds(b, ",\"success_rate\":null}");
        } else {
            sbuf_printf(b, ",\"success_rate\":%.3f}", rate);
        }
    }
    sbuf_adds(b, "],\"open_steps\":[");
    first = 1;
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];
        size_t j;

        if (x->playbook == NULL || !fjson_object_is_type(x->playbook, fjson_type_array)) {
            continue;
        }
        for (j = 0; j < (size_t)fjson_object_array_length(x->playbook); j++) {
            fjson_object *s = fjson_object_array_get_idx(x->playbook, (int)j);

            if (!step_open(s)) {
                continue;
            }
            sbuf_adds(b, first ? "{\"incident\":" : ",{\"incident\":");
            first = 0;
            report_json_s(b, x->id);
            sbuf_adds(b, ",\"class\":");
            report_json_s(b, x->class);
            sbuf_adds(b, ",\"incident_status\":");
            report_json_s(b, x->status);
            sbuf_adds(b, ",\"step\":");
            report_json_s(b, report_jstr(s, "step"));
            sbuf_adds(b, ",\"status\":");
            report_json_s(b, report_jstr(s, "status"));
            sbuf_adds(b, ",\"who\":");
            report_json_s(b, report_jstr(s, "who"));
            sbuf_adds(b, ",\"since\":");
            report_json_s(b, report_jstr(s, "since"));
            sbuf_adds(b, ",\"text\":");
            report_json_s(b, report_jstr(s, "text"));
            sbuf_adds(b, ",\"note\":");
            report_json_s(b, report_jstr(s, "note"));
            sbuf_addc(b, '}');
        }
    }
    sbuf_adds(b, "],\"registered_products\":[");
    first = 1;
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];
        fjson_object *p = report_jget(x->findings, "registered_products");

        if (!under_5_3(x)) {
            continue;
        }
        sbuf_adds(b, first ? "{\"incident\":" : ",{\"incident\":");
        first = 0;
        report_json_s(b, x->id);
        sbuf_adds(b, ",\"class\":");
        report_json_s(b, x->class);
        sbuf_printf(b, ",\"severity\":\"%s\",\"status\":", rule_severity_name(x->sev));
        report_json_s(b, x->status);
        sbuf_adds(b, ",\"title\":");
        report_json_s(b, x->title);
        sbuf_adds(b, ",\"products\":");
        sbuf_adds(b, p != NULL ? fjson_object_to_json_string_ext(p, FJSON_TO_STRING_PLAIN) : "[]");
        sbuf_adds(b, ",\"steps\":{\"5.3.1\":");
        report_json_s(b, report_jstr(find_step(x->playbook, "5.3.1"), "status"));
        sbuf_adds(b, ",\"5.3.2\":");
        report_json_s(b, report_jstr(find_step(x->playbook, "5.3.2"), "status"));
        sbuf_adds(b, "}}");
    }
    sbuf_adds(b, "],\"list\":[");
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];

        sbuf_adds(b, i > 0 ? ",{\"id\":" : "{\"id\":");
        report_json_s(b, x->id);
        sbuf_adds(b, ",\"class\":");
        report_json_s(b, x->class);
        sbuf_printf(b, ",\"severity\":\"%s\",\"status\":", rule_severity_name(x->sev));
        report_json_s(b, x->status);
        sbuf_adds(b, ",\"title\":");
        report_json_s(b, x->title);
        sbuf_adds(b, ",\"first_seen\":");
        json_time(b, x->first_ms);
        sbuf_adds(b, ",\"acknowledge_s\":");
        json_secs(b, x->ack_ms < 0 ? -1 : (x->ack_ms > x->first_ms ? x->ack_ms - x->first_ms : 0));
        sbuf_adds(b, ",\"resolve_s\":");
        json_secs(b, x->res_ms < 0 ? -1 : (x->res_ms > x->first_ms ? x->res_ms - x->first_ms : 0));
        sbuf_printf(b, ",\"from_stream_only\":%s}", x->from_stream ? "true" : "false");
    }
    sbuf_adds(b, "]}\n");
}

/* A Markdown table cell: pipes escaped, line breaks as spaces. */
void report_md_cell(struct sbuf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '|') {
            sbuf_adds(b, "\\|");
        } else if (*s == '\n' || *s == '\r') {
            sbuf_addc(b, ' ');
        } else {
            sbuf_addc(b, *s);
        }
    }
}

/* A duration for people: "45s", "12m 5s", "3h 20m", "2d 4h"; "-" for none. */
static void md_dur(struct sbuf *b, int64_t ms)
{
    int64_t s = ms / 1000;

    if (ms < 0) {
        sbuf_adds(b, "-");
    } else if (s < 60) {
        sbuf_printf(b, "%" PRId64 "s", s);
    } else if (s < 3600) {
        sbuf_printf(b, "%" PRId64 "m %" PRId64 "s", s / 60, s % 60);
    } else if (s < 86400) {
        sbuf_printf(b, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
    } else {
        sbuf_printf(b, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
    }
}

static void md_time(struct sbuf *b, int64_t ms)
{
    char ts[40];

    if (ms < 0) {
        sbuf_adds(b, "-");
        return;
    }
    time_format_ms(ms, ts, sizeof(ts));
    sbuf_adds(b, ts);
}

static void md_group_row(struct sbuf *b, const struct group *g, int bold)
{
    int s;

    sbuf_adds(b, bold ? "| **" : "| ");
    report_md_cell(b, g->name[0] != '\0' ? g->name : "(none)");
    sbuf_printf(b, "%s | %zu", bold ? "**" : "", g->n);
    for (s = 5; s >= 1; s--) {
        sbuf_printf(b, " | %zu", g->by_sev[s]);
    }
    sbuf_printf(b, " | %zu | %zu |\n", g->n - g->by_status[ST_CLOSED] - g->by_status[ST_RESOLVED],
                g->by_status[ST_RESOLVED] + g->by_status[ST_CLOSED]);
}

static void md_times_row(struct sbuf *b, const struct group *g, int bold)
{
    sbuf_adds(b, bold ? "| **" : "| ");
    report_md_cell(b, g->name[0] != '\0' ? g->name : "(none)");
    sbuf_printf(b, "%s | %zu of %zu | ", bold ? "**" : "", g->ack.n, g->n);
    md_dur(b, median(&g->ack));
    sbuf_adds(b, " | ");
    md_dur(b, dmax(&g->ack));
    sbuf_printf(b, " | %zu of %zu | ", g->res.n, g->n);
    md_dur(b, median(&g->res));
    sbuf_adds(b, " | ");
    md_dur(b, mean(&g->res));
    sbuf_adds(b, " | ");
    md_dur(b, dmax(&g->res));
    sbuf_adds(b, " |\n");
}

static void md_counted(struct sbuf *b, const struct counted *v, size_t n, size_t top,
                       const char *what, const char *none)
{
    size_t i;

    if (n == 0) {
        sbuf_printf(b, "%s\n\n", none);
        return;
    }
    sbuf_printf(b, "| %s | incidents | highest severity |\n| --- | ---: | --- |\n", what);
    for (i = 0; i < n && i < top; i++) {
        sbuf_adds(b, "| ");
        report_md_cell(b, v[i].name);
        sbuf_printf(b, " | %zu | %s |\n", v[i].n, rule_severity_name(v[i].max_sev));
    }
    if (n > top) {
        sbuf_printf(b, "\n%zu more not listed.\n", n - top);
    }
    sbuf_addc(b, '\n');
}

static void write_md(const struct report *r, struct sbuf *b)
{
    size_t i;
    size_t n;

    sbuf_adds(b, "# Incident review ");
    md_time(b, r->o.from_ms);
    sbuf_adds(b, " to ");
    md_time(b, r->o.to_ms);
    sbuf_adds(b, "\n\nThe input of the periodic risk review (procedure 5.1): incidents first seen "
                 "in the period. Generated ");
    md_time(b, r->o.now_ms);
    sbuf_adds(b, " from the Redis prefix `");
    report_md_cell(b, r->prefix);
    sbuf_printf(b, "`; %zu incident(s)", r->all.n);
    if (r->n_from_stream > 0) {
        sbuf_printf(b,
                    ", %zu of them expired from Redis and taken from the record stream "
                    "(no history: no acknowledgement or action counted)",
                    r->n_from_stream);
    }
    sbuf_adds(b, ".\n\n## Incidents by class and severity\n\n"
                 "| class | total | critical | high | medium | low | info | not resolved | "
                 "resolved or closed |\n"
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (i = 0; i < r->n_cls; i++) {
        md_group_row(b, &r->cls[i], 0);
    }
    md_group_row(b, &r->all, 1);
    sbuf_adds(b, "\n## Time to acknowledge and to resolve\n\n"
                 "Acknowledged: the first `vigilctl incidents ack`; resolved: its recovery or an "
                 "operator's resolve or close, from the first event.\n\n"
                 "| class | acknowledged | median | max | resolved | median | mean | max |\n"
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (i = 0; i < r->n_cls; i++) {
        md_times_row(b, &r->cls[i], 0);
    }
    md_times_row(b, &r->all, 1);
    sbuf_adds(b, "\n## Top devices\n\n");
    md_counted(b, r->dev, r->n_dev, r->o.top, "device", "No incident names a device.");
    sbuf_adds(b, "## Top sources\n\n");
    md_counted(b, r->src, r->n_src, r->o.top, "source", "No incident names a source address.");
    sbuf_adds(b, "## Actions\n\n");
    if (r->n_act == 0) {
        sbuf_adds(b, "No action ran.\n\n");
    } else {
        sbuf_adds(b, "Success rate: ok of the calls that ran (skipped calls, whose step was ruled "
                     "out, did not run).\n\n"
                     "| action | calls | ok | failed | timeout | skipped | success rate |\n"
                     "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (i = 0; i < r->n_act; i++) {
            const struct act_row *a = &r->act[i];
            double rate = act_rate(a);

            sbuf_adds(b, "| ");
            report_md_cell(b, a->plugin);
            sbuf_printf(b, " | %zu | %zu | %zu | %zu | %zu | ", act_calls(a), a->by_status[ACT_OK],
                        a->by_status[ACT_FAILED], a->by_status[ACT_TIMEOUT],
                        a->by_status[ACT_SKIPPED]);
            if (rate < 0) {
                sbuf_adds(b, "- |\n");
            } else {
                sbuf_printf(b, "%.0f%% |\n", 100.0 * rate);
            }
        }
        sbuf_addc(b, '\n');
    }
    sbuf_adds(b,
              "## Steps still open\n\n"
              "Playbook steps pending, or failed (an action failed: the step is a person's).\n\n");
    n = 0;
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];
        size_t j;
        int any = 0;

        for (j = 0; x->playbook != NULL && fjson_object_is_type(x->playbook, fjson_type_array) &&
                    j < (size_t)fjson_object_array_length(x->playbook);
             j++) {
            fjson_object *s = fjson_object_array_get_idx(x->playbook, (int)j);

            if (!step_open(s)) {
                continue;
            }
            if (!any) {
                if (n == 0) {
                    sbuf_adds(b, "| incident | class | status | open steps |\n"
                                 "| --- | --- | --- | --- |\n");
                }
                sbuf_adds(b, "| ");
                report_md_cell(b, x->id);
                sbuf_adds(b, " | ");
                report_md_cell(b, x->class);
                sbuf_adds(b, " | ");
                report_md_cell(b, x->status);
                sbuf_adds(b, " | ");
                n++;
            } else {
                sbuf_adds(b, "; ");
            }
            any = 1;
            report_md_cell(b, report_jstr(s, "step"));
            sbuf_adds(b, " (");
            report_md_cell(b, report_jstr(s, "who") ? report_jstr(s, "who") : "unassigned");
            if (strcmp(report_jstr(s, "status"), "failed") == 0) {
                sbuf_adds(b, ", failed");
            }
            sbuf_adds(b, ")");
        }
        if (any) {
            sbuf_adds(b, " |\n");
        }
    }
    sbuf_adds(b, n == 0 ? "None.\n\n" : "\n");
    sbuf_adds(b, "## Incidents under 5.3 (registered products)\n\n");
    n = 0;
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];
        fjson_object *p = report_jget(x->findings, "registered_products");
        size_t j;

        if (!under_5_3(x)) {
            continue;
        }
        if (n++ == 0) {
            sbuf_adds(b, "| incident | class | severity | title | products | 5.3.1 | 5.3.2 |\n"
                         "| --- | --- | --- | --- | --- | --- | --- |\n");
        }
        sbuf_adds(b, "| ");
        report_md_cell(b, x->id);
        sbuf_adds(b, " | ");
        report_md_cell(b, x->class);
        sbuf_printf(b, " | %s | ", rule_severity_name(x->sev));
        report_md_cell(b, x->title);
        sbuf_adds(b, " | ");
        for (j = 0; p != NULL && fjson_object_is_type(p, fjson_type_array) &&
                    j < (size_t)fjson_object_array_length(p);
             j++) {
            sbuf_adds(b, j > 0 ? ", " : "");
            report_md_cell(b, fjson_object_get_string(fjson_object_array_get_idx(p, (int)j)));
        }
        sbuf_adds(b, " | ");
        report_md_cell(b, report_jstr(find_step(x->playbook, "5.3.1"), "status"));
        sbuf_adds(b, " | ");
        report_md_cell(b, report_jstr(find_step(x->playbook, "5.3.2"), "status"));
        sbuf_adds(b, " |\n");
    }
    sbuf_adds(b, n == 0 ? "None.\n\n" : "\n");
    sbuf_adds(b, "## Incidents\n\n");
    if (r->n_inc == 0) {
        sbuf_adds(b, "None in the period.\n");
        return;
    }
    sbuf_adds(b, "| first seen | id | class | severity | status | acknowledged after | "
                 "resolved after | title |\n"
                 "| --- | --- | --- | --- | --- | ---: | ---: | --- |\n");
    for (i = 0; i < r->n_inc; i++) {
        const struct rinc *x = &r->inc[i];

        sbuf_adds(b, "| ");
        md_time(b, x->first_ms);
        sbuf_adds(b, " | ");
        report_md_cell(b, x->id);
        sbuf_adds(b, " | ");
        report_md_cell(b, x->class);
        sbuf_printf(b, " | %s | ", rule_severity_name(x->sev));
        report_md_cell(b, x->status);
        sbuf_adds(b, " | ");
        md_dur(b, x->ack_ms < 0 ? -1 : x->ack_ms > x->first_ms ? x->ack_ms - x->first_ms : 0);
        sbuf_adds(b, " | ");
        md_dur(b, x->res_ms < 0 ? -1 : x->res_ms > x->first_ms ? x->res_ms - x->first_ms : 0);
        sbuf_adds(b, " | ");
        report_md_cell(b, x->title);
        sbuf_adds(b, " |\n");
    }
}

void report_write(const struct report *r, int format, struct sbuf *out)
{
    if (format == REPORT_JSON) {
        write_json(r, out);
    } else {
        write_md(r, out);
    }
}

int report_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
    size_t len = strlen(s);
    int64_t d;

    if (strcmp(s, "now") == 0) {
        *ms = now_ms;
        return 0;
    }
    if (time_parse_rfc3339(s, len, ms) == 0) {
        return 0;
    }
    if (len == 10 && s[4] == '-' && s[7] == '-') {
        char buf[32];

        snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
        return time_parse_rfc3339(buf, strlen(buf), ms);
    }
    if (len > 0 && s[0] >= '0' && s[0] <= '9' && s[len - 1] >= 'a' && s[len - 1] <= 'z' &&
        (d = time_parse_duration(s)) >= 0 && d <= now_ms) {
        *ms = now_ms - d; /* not before 1970 */
        return 0;
    }
    return -1;
}
