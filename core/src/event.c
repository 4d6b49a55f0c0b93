/* SPDX-License-Identifier: MIT */
/*
 * Events as flat field lists in an arena. Lookups are linear (events have a few
 * dozen fields); serialization sorts field indexes segment-wise and walks them
 * once, opening and closing JSON objects as the dotted prefixes change.
 */
#include "event.h"

#include <errno.h>
#include <inttypes.h>
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 1024
#define FIELDS_MAX   1024 /* more fields than this (a hostile JSON event) are not kept */
#define MAX_DEPTH    32

struct vg_event *event_new(void)
{
    struct vg_event *ev = xcalloc(1, sizeof(*ev));

    atomic_init(&ev->refs, 1);
    return ev;
}

void event_ref(struct vg_event *ev)
{
    atomic_fetch_add(&ev->refs, 1);
}

void event_unref(struct vg_event *ev)
{
    if (ev == NULL || atomic_fetch_sub(&ev->refs, 1) != 1) {
        return;
    }
    free(ev->fields);
    free(ev->arena);
    free(ev);
}

void event_clear(struct vg_event *ev)
{
    ev->n_fields = 0;
    ev->arena_len = 0;
    ev->ts_ms = 0;
    ev->ingested_ms = 0;
}

static uint32_t arena_put(struct vg_event *ev, const char *a, size_t alen, const char *b,
                          size_t blen)
{
    size_t need = ev->arena_len + alen + blen + 1;
    uint32_t off = (uint32_t)ev->arena_len;

    if (need > ev->arena_cap) {
        size_t cap = ev->arena_cap ? ev->arena_cap : 512;

        while (cap < need) {
            cap *= 2;
        }
        ev->arena = xrealloc(ev->arena, cap);
        ev->arena_cap = cap;
    }
    if (alen > 0) {
        memcpy(ev->arena + ev->arena_len, a, alen);
    }
    if (blen > 0) {
        memcpy(ev->arena + ev->arena_len + alen, b, blen);
    }
    ev->arena_len += alen + blen;
    ev->arena[ev->arena_len++] = '\0';
    return off;
}

static struct event_field *find(const struct vg_event *ev, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < ev->n_fields; i++) {
        struct event_field *f = &ev->fields[i];

        if (f->name_len == len && memcmp(ev->arena + f->name_off, name, len) == 0) {
            return f;
        }
    }
    return NULL;
}

/* Find or append the field for name; the name is stored in the arena. */
static struct event_field *slot(struct vg_event *ev, const char *name, size_t len)
{
    struct event_field *f;

    if (len == 0 || len > NAME_MAX_LEN) {
        return NULL;
    }
    f = find(ev, name, len);
    if (f != NULL) {
        return f;
    }
    if (ev->n_fields == FIELDS_MAX) {
        return NULL;
    }
    if (ev->n_fields == ev->cap_fields) {
        ev->cap_fields = ev->cap_fields ? ev->cap_fields * 2 : 32;
        ev->fields = xrealloc(ev->fields, ev->cap_fields * sizeof(*ev->fields));
    }
    f = &ev->fields[ev->n_fields++];
    memset(f, 0, sizeof(*f));
    f->name_off = arena_put(ev, name, len, NULL, 0);
    f->name_len = (uint16_t)len;
    return f;
}

static int set_typed(struct vg_event *ev, const char *name, size_t name_len, int type,
                     const char *val, size_t len, int64_t ival)
{
    struct event_field *f = slot(ev, name, name_len);

    if (f == NULL) {
        return -1;
    }
    if (len > UINT32_MAX - 1) {
        len = UINT32_MAX - 1;
    }
    f->type = (uint8_t)type;
    f->ival = ival;
    /* slot() may have moved the arena: take offsets, not pointers, across calls. */
    f->val_off = arena_put(ev, val, len, NULL, 0);
    f->val_len = (uint32_t)len;
    return 0;
}

int event_set_str(struct vg_event *ev, const char *name, const char *val, size_t len)
{
    return set_typed(ev, name, strlen(name), EVF_STR, val, len, 0);
}

int event_set_strz(struct vg_event *ev, const char *name, const char *val)
{
    return set_typed(ev, name, strlen(name), EVF_STR, val, strlen(val), 0);
}

int event_set_int(struct vg_event *ev, const char *name, int64_t val)
{
    char buf[24];
    char *p = buf + sizeof(buf);
    uint64_t u = val < 0 ? (uint64_t)0 - (uint64_t)val : (uint64_t)val;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (val < 0) {
        *--p = '-';
    }
    return set_typed(ev, name, strlen(name), EVF_INT, p, (size_t)(buf + sizeof(buf) - p), val);
}

int event_set_raw(struct vg_event *ev, const char *name, const char *json, size_t len)
{
    return set_typed(ev, name, strlen(name), EVF_RAW, json, len, 0);
}

int event_set_atom(struct vg_event *ev, const char *prefix, const char *atom, size_t atom_len,
                   const char *leaf, size_t leaf_len, const char *val, size_t len)
{
    struct sbuf name = {0};
    struct event_field *f;
    size_t atom_off;
    int rc;

    sbuf_adds(&name, prefix);
    sbuf_addc(&name, '.');
    atom_off = name.len;
    sbuf_add(&name, atom, atom_len);
    if (leaf != NULL) {
        sbuf_addc(&name, '.');
        sbuf_add(&name, leaf, leaf_len);
    }
    rc = set_typed(ev, name.buf, name.len, EVF_STR, val, len, 0);
    if (rc == 0 && atom_off <= UINT16_MAX && atom_len <= UINT16_MAX) {
        f = find(ev, name.buf, name.len);
        f->atom_off = (uint16_t)atom_off;
        f->atom_len = (uint16_t)atom_len;
    }
    sbuf_free(&name);
    return rc;
}

void event_set_time(struct vg_event *ev, int64_t ts_ms)
{
    char buf[40];
    size_t n = time_format_ms(ts_ms, buf, sizeof(buf));

    ev->ts_ms = ts_ms;
    set_typed(ev, "@timestamp", 10, EVF_STR, buf, n, 0);
}

void event_set_ingested(struct vg_event *ev, int64_t ms)
{
    char buf[40];
    size_t n = time_format_ms(ms, buf, sizeof(buf));

    ev->ingested_ms = ms;
    set_typed(ev, "event.ingested", 14, EVF_STR, buf, n, 0);
}

void event_del(struct vg_event *ev, const char *name)
{
    struct event_field *f = find(ev, name, strlen(name));

    if (f != NULL) {
        size_t i = (size_t)(f - ev->fields);

        memmove(f, f + 1, (ev->n_fields - i - 1) * sizeof(*f));
        ev->n_fields--;
    }
}

struct vg_str event_getn(const struct vg_event *ev, const char *name, size_t name_len)
{
    const struct event_field *f = find(ev, name, name_len);
    struct vg_str s = {NULL, 0};

    if (f != NULL) {
        s.ptr = ev->arena + f->val_off;
        s.len = f->val_len;
    }
    return s;
}

struct vg_str event_get(const struct vg_event *ev, const char *name)
{
    return event_getn(ev, name, strlen(name));
}

int event_get_int(const struct vg_event *ev, const char *name, int64_t *out)
{
    const struct event_field *f = find(ev, name, strlen(name));
    char *end;
    long long v;

    if (f == NULL) {
        return -1;
    }
    if (f->type == EVF_INT) {
        *out = f->ival;
        return 0;
    }
    errno = 0;
    v = strtoll(ev->arena + f->val_off, &end, 10);
    if (errno != 0 || end == ev->arena + f->val_off || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- serialization ---- */

/* Segment boundaries of one field name: [start, end) pairs. */
struct segs {
    size_t n;                /* segments */
    uint16_t off[MAX_DEPTH]; /* start of each */
    uint16_t len[MAX_DEPTH]; /* length of each */
};

static void split(const struct vg_event *ev, const struct event_field *f, struct segs *s)
{
    const char *name = ev->arena + f->name_off;
    size_t start = 0;
    size_t i;

    s->n = 0;
    for (i = 0; i <= f->name_len; i++) {
        int in_atom = f->atom_len && i >= f->atom_off && i < (size_t)f->atom_off + f->atom_len;

        if (i < f->name_len && (name[i] != '.' || in_atom)) {
            continue;
        }
        if (s->n == MAX_DEPTH - 1 && i < f->name_len) {
            continue; /* too deep: the rest stays in the last segment */
        }
        s->off[s->n] = (uint16_t)start;
        s->len[s->n] = (uint16_t)(i - start);
        s->n++;
        start = i + 1;
    }
}

static int in_atom(const struct event_field *f, size_t i)
{
    return f->atom_len && i >= f->atom_off && i < (size_t)f->atom_off + f->atom_len;
}

/*
 * Order names so that every "a.b.*" field is contiguous: a separating '.' sorts
 * before any byte. Equal bytes compare equal unless a '.' separates in one name
 * and not in the other, so the keys are computed only where the names differ.
 */
static int cmp_fields(const struct vg_event *ev, const struct event_field *a,
                      const struct event_field *b)
{
    const unsigned char *na = (const unsigned char *)ev->arena + a->name_off;
    const unsigned char *nb = (const unsigned char *)ev->arena + b->name_off;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    size_t i = 0;
    int ka;
    int kb;

    while (i < n && na[i] == nb[i] && (na[i] != '.' || in_atom(a, i) == in_atom(b, i))) {
        i++;
    }
    if (i == n) {
        return (int)a->name_len - (int)b->name_len;
    }
    ka = na[i] == '.' && !in_atom(a, i) ? 0 : na[i] + 1;
    kb = nb[i] == '.' && !in_atom(b, i) ? 0 : nb[i] + 1;
    return ka - kb;
}

/* Insertion sort of field indexes: events have a few dozen fields. */
static void sort_fields(const struct vg_event *ev, uint16_t *idx, size_t n)
{
    size_t i;

    for (i = 1; i < n; i++) {
        uint16_t v = idx[i];
        size_t k = i;

        while (k > 0 && cmp_fields(ev, &ev->fields[idx[k - 1]], &ev->fields[v]) > 0) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = v;
    }
}

static void emit_value(const struct vg_event *ev, const struct event_field *f, struct sbuf *out)
{
    const char *v = ev->arena + f->val_off;

    if (f->type == EVF_INT || (f->type == EVF_RAW && f->val_len > 0)) {
        sbuf_add(out, v, f->val_len);
        return;
    }
    sbuf_addc(out, '"');
    sbuf_add_json_str(out, v, f->val_len);
    sbuf_addc(out, '"');
}

void event_to_json(const struct vg_event *ev, struct sbuf *out)
{
    uint16_t stack_idx[1024];
    uint16_t *idx = ev->n_fields <= ARRAY_SIZE(stack_idx) ? stack_idx : NULL;
    struct segs open; /* the object path currently open */
    const char *open_base = NULL;
    struct segs cur;
    size_t depth = 0;                      /* objects open below the root */
    const struct event_field *last = NULL; /* the last leaf written */
    size_t i;
    int first = 1;

    if (idx == NULL) {
        idx = xmalloc(ev->n_fields * sizeof(*idx));
    }
    for (i = 0; i < ev->n_fields && i < UINT16_MAX; i++) {
        idx[i] = (uint16_t)i;
    }
    sort_fields(ev, idx, i);
    open.n = 0;
    sbuf_addc(out, '{');
    for (i = 0; i < ev->n_fields && i < UINT16_MAX; i++) {
        const struct event_field *f = &ev->fields[idx[i]];
        const char *name = ev->arena + f->name_off;
        size_t common = 0;
        size_t k;

        if (last != NULL && last->name_len < f->name_len &&
            memcmp(ev->arena + last->name_off, name, last->name_len) == 0 &&
            name[last->name_len] == '.') {
            continue; /* inside a leaf emitted before ("x" then "x.y"): dropped */
        }
        last = f;
        split(ev, f, &cur);
        while (common < depth && common < cur.n - 1 && open.len[common] == cur.len[common] &&
               memcmp(open_base + open.off[common], name + cur.off[common], cur.len[common]) == 0) {
            common++;
        }
        for (k = depth; k > common; k--) {
            sbuf_addc(out, '}');
        }
        depth = common;
        if (!first && depth == common) {
            sbuf_addc(out, ',');
        }
        first = 0;
        for (k = common; k + 1 < cur.n; k++) {
            sbuf_addc(out, '"');
            sbuf_add_json_str(out, name + cur.off[k], cur.len[k]);
            sbuf_add(out, "\":{", 3);
        }
        depth = cur.n - 1;
        open = cur;
        open_base = name;
        sbuf_addc(out, '"');
        sbuf_add_json_str(out, name + cur.off[cur.n - 1], cur.len[cur.n - 1]);
        sbuf_add(out, "\":", 2);
        emit_value(ev, f, out);
    }
    while (depth-- > 0) {
        sbuf_addc(out, '}');
    }
    sbuf_addc(out, '}');
    if (idx != stack_idx) {
        free(idx);
    }
}

/* ---- parsing JSON events ---- */

static void flatten(struct vg_event *ev, struct sbuf *path, fjson_object *obj, int depth)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(obj);
    struct fjson_object_iterator end = fjson_object_iter_end(obj);

    while (!fjson_object_iter_equal(&it, &end)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);
        size_t saved = path->len;

        if (path->len > 0) {
            sbuf_addc(path, '.');
        }
        sbuf_adds(path, k);
        switch (fjson_object_get_type(v)) {
        case fjson_type_object:
            if (depth < MAX_DEPTH - 2) {
                flatten(ev, path, v, depth + 1);
            }
            break;
        case fjson_type_int:
            set_typed(ev, path->buf, path->len, EVF_INT, fjson_object_get_string(v),
                      strlen(fjson_object_get_string(v)), fjson_object_get_int64(v));
            break;
        case fjson_type_string:
            set_typed(ev, path->buf, path->len, EVF_STR, fjson_object_get_string(v),
                      (size_t)fjson_object_get_string_len(v), 0);
            break;
        default: {
            const char *txt = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);

            set_typed(ev, path->buf, path->len, EVF_RAW, txt, strlen(txt), 0);
            break;
        }
        }
        path->len = saved;
        path->buf[saved] = '\0';
        fjson_object_iter_next(&it);
    }
}


struct vg_event *event_from_json(const char *text, size_t len, char *err, size_t err_len)
{
    struct fjson_tokener *tok = fjson_tokener_new();
    struct sbuf path = {0};
    struct vg_event *ev = NULL;
    fjson_object *obj;
    struct vg_str ts;
    int64_t ms;

    if (len > INT32_MAX) {
        snprintf(err, err_len, "line too long");
        fjson_tokener_free(tok);
        return NULL;
    }
    obj = fjson_tokener_parse_ex(tok, text, (int)len);
    if (obj == NULL || fjson_object_get_type(obj) != fjson_type_object) {
        snprintf(err, err_len, "not a JSON object: %s",
                 obj ? "another JSON type"
                     : fjson_tokener_error_desc(fjson_tokener_get_error(tok)));
        goto out;
    }
    ev = event_new();
    sbuf_reserve(&path, 64);
    flatten(ev, &path, obj, 0);
    ts = event_get(ev, "@timestamp");
    if (ts.ptr != NULL && time_parse_rfc3339(ts.ptr, ts.len, &ms) == 0) {
        ev->ts_ms = ms;
    }
    ts = event_get(ev, "event.ingested");
    if (ts.ptr != NULL && time_parse_rfc3339(ts.ptr, ts.len, &ms) == 0) {
        ev->ingested_ms = ms;
    }
out:
    if (obj != NULL) {
        fjson_object_put(obj);
    }
    fjson_tokener_free(tok);
    sbuf_free(&path);
    return ev;
}
