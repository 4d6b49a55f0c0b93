/* SPDX-License-Identifier: MIT */
/*
 * CEF and LEEF record parsing (see cef.h): header split on unescaped '|', CEF
 * extensions where a value runs to the next " key=", LEEF extensions split on
 * a TAB or the LEEF 2.0 delimiter, custom labels, and the ECS mapping table.
 */
#define _GNU_SOURCE /* memmem */
#include "cef.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CEF_FIELDS  7  /* header fields before the CEF extension */
#define LEEF_FIELDS 5  /* header fields before the LEEF 1.0 extension */
#define PREFIX_SCAN 96 /* bytes searched for "CEF:" after a relayed timestamp */

enum map_kind {
    M_STR = 0,  /* copy the value */
    M_INT = 1,  /* an integer (ports, sizes); skipped when not one */
    M_IP = 2,   /* an address: only hex digits, '.', ':' */
    M_LOW = 3,  /* lower-cased (network.transport) */
    M_HASH = 4, /* file.hash.md5/sha1/sha256 by length */
    M_SEV = 5,  /* event.severity 0..10 */
};

struct ecs_map {
    const char *key;   /* extension key */
    const char *field; /* ECS field it sets */
    int kind;          /* enum map_kind */
};

static const struct ecs_map cef_map[] = {
    {"src", "source.ip", M_IP},
    {"dst", "destination.ip", M_IP},
    {"spt", "source.port", M_INT},
    {"dpt", "destination.port", M_INT},
    {"shost", "source.domain", M_STR},
    {"dhost", "destination.domain", M_STR},
    {"smac", "source.mac", M_STR},
    {"dmac", "destination.mac", M_STR},
    {"suser", "source.user.name", M_STR},
    {"duser", "user.name", M_STR},
    {"fname", "file.name", M_STR},
    {"filePath", "file.path", M_STR},
    {"fsize", "file.size", M_INT},
    {"fileHash", NULL, M_HASH},
    {"msg", "event.reason", M_STR},
    {"proto", "network.transport", M_LOW},
    {"request", "url.original", M_STR},
    {"deviceExternalId", "observer.serial_number", M_STR},
    {"dvchost", "observer.hostname", M_STR},
    {"dvc", "observer.ip", M_IP},
};

static const struct ecs_map leef_map[] = {
    {"src", "source.ip", M_IP},
    {"dst", "destination.ip", M_IP},
    {"srcPort", "source.port", M_INT},
    {"dstPort", "destination.port", M_INT},
    {"srcMAC", "source.mac", M_STR},
    {"dstMAC", "destination.mac", M_STR},
    {"usrName", "user.name", M_STR},
    {"identHostName", "source.domain", M_STR},
    {"sev", "event.severity", M_SEV},
    {"proto", "network.transport", M_LOW},
    {"url", "url.original", M_STR},
    {"fileHash", NULL, M_HASH},
    {"fname", "file.name", M_STR},
    {"filePath", "file.path", M_STR},
    {"dvchost", "observer.hostname", M_STR},
};

/* One extension: key in the record, value (unescaped) in the value buffer. */
struct ext {
    const char *key; /* key bytes in the record */
    size_t klen;     /* bytes of key */
    size_t voff;     /* value offset in the value buffer */
    size_t vlen;     /* bytes of value */
};

struct field {
    const char *p; /* start in the record */
    size_t len;    /* bytes, escapes included */
};

static int is_key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '[' || c == ']';
}

/* Length of "key" when s starts with "key=", else 0. */
static size_t key_at(const char *s, const char *end)
{
    size_t n = 0;

    while (s + n < end && n <= CEF_MAX_KEY && is_key_char((unsigned char)s[n])) {
        n++;
    }
    if (n == 0 || n > CEF_MAX_KEY || s + n >= end || s[n] != '=') {
        return 0;
    }
    return n;
}

/* Append p[0..len) to b with header escapes (\| and \\) resolved, cut at max. */
static void unescape(struct sbuf *b, const char *p, size_t len, size_t max, int ext)
{
    size_t start = b->len;
    size_t i;

    for (i = 0; i < len && b->len - start < max; i++) {
        char c = p[i];

        if (c == '\\' && i + 1 < len) {
            char n = p[i + 1];

            if (n == '\\' || n == '|' || (ext && n == '=')) {
                c = n;
                i++;
            } else if (ext && (n == 'n' || n == 'r')) {
                c = n == 'n' ? '\n' : '\r';
                i++;
            }
        }
        sbuf_addc(b, c);
    }
}

/* Split the header: up to n fields ended by unescaped '|'; returns fields found. */
static size_t split_header(const char *p, const char *end, struct field *f, size_t n,
                           const char **rest)
{
    size_t k = 0;
    const char *s = p;

    while (p < end && k < n) {
        if (*p == '\\' && p + 1 < end) {
            p += 2;
            continue;
        }
        if (*p == '|') {
            f[k].p = s;
            f[k].len = (size_t)(p - s);
            k++;
            s = p + 1;
        }
        p++;
    }
    *rest = s;
    return k;
}

static void set_header(struct vg_event *ev, const char *name, const struct field *f)
{
    struct sbuf b = {0};

    unescape(&b, f->p, f->len, CEF_MAX_HEADER, 0);
    if (b.len > 0) {
        event_set_str(ev, name, b.buf, b.len);
    }
    sbuf_free(&b);
}

static int parse_int(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (len == 0 || len > 18) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* CEF severity: 0..10, or the words of CEF 0.1 (Unknown gives nothing). */
static void set_severity(struct vg_event *ev, const char *s, size_t len)
{
    static const struct {
        const char *word; /* severity word */
        int value;        /* its number */
    } words[] = {{"low", 3}, {"medium", 6}, {"high", 8}, {"very-high", 10}, {"very high", 10}};
    int64_t v;
    size_t i;

    while (len > 0 && s[len - 1] == ' ') {
        len--;
    }
    while (len > 0 && s[0] == ' ') {
        s++;
        len--;
    }
    if (parse_int(s, len, &v) == 0) {
        if (v <= 10) {
            event_set_int(ev, "event.severity", v);
        }
        return;
    }
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        if (strlen(words[i].word) == len && strncasecmp(words[i].word, s, len) == 0) {
            event_set_int(ev, "event.severity", words[i].value);
            return;
        }
    }
}

static void set_hash(struct vg_event *ev, const char *v, size_t len)
{
    const char *name;
    size_t i;

    for (i = 0; i < len; i++) {
        if (strchr("0123456789abcdefABCDEF", v[i]) == NULL || v[i] == '\0') {
            return;
        }
    }
    if (len == 32) {
        name = "file.hash.md5";
    } else if (len == 40) {
        name = "file.hash.sha1";
    } else if (len == 64) {
        name = "file.hash.sha256";
    } else {
        return;
    }
    event_set_str(ev, name, v, len);
}

static void map_ecs(struct vg_event *ev, const struct ecs_map *m, const char *v, size_t len)
{
    int64_t iv;
    size_t i;

    switch (m->kind) {
    case M_INT:
        if (parse_int(v, len, &iv) == 0) {
            event_set_int(ev, m->field, iv);
        }
        break;
    case M_SEV:
        set_severity(ev, v, len);
        break;
    case M_IP:
        if (len == 0 || len > 45 || strspn(v, "0123456789abcdefABCDEF.:") < len) {
            return;
        }
        event_set_str(ev, m->field, v, len);
        break;
    case M_LOW: {
        char low[32];

        if (len == 0 || len >= sizeof(low)) {
            return;
        }
        for (i = 0; i < len; i++) {
            low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i];
        }
        event_set_str(ev, m->field, low, len);
        break;
    }
    case M_HASH:
        set_hash(ev, v, len);
        break;
    default:
        if (len > 0) {
            event_set_str(ev, m->field, v, len);
        }
        break;
    }
}

/*
 * "cs1Label=Foo cs1=bar" gives cef.label.Foo = "bar": for every key K whose
 * "KLabel" is present. The label is cut to 64 bytes of [A-Za-z0-9_-], others '_'.
 */
static void set_labels(struct vg_event *ev, const char *prefix, const struct ext *x, size_t n,
                       const char *vals)
{
    size_t i;
    size_t k;

    for (i = 0; i < n; i++) {
        char label[65];
        size_t len = 0;

        if (x[i].klen <= 5 || memcmp(x[i].key + x[i].klen - 5, "Label", 5) != 0) {
            continue;
        }
        for (k = 0; k < n; k++) {
            if (x[k].klen == x[i].klen - 5 && memcmp(x[k].key, x[i].key, x[k].klen) == 0) {
                break;
            }
        }
        if (k == n) {
            continue;
        }
        for (len = 0; len < x[i].vlen && len < sizeof(label) - 1; len++) {
            unsigned char c = (unsigned char)vals[x[i].voff + len];

            label[len] = (char)(is_key_char(c) && c != '.' && c != '[' && c != ']' ? c : '_');
        }
        if (len > 0) {
            event_set_atom(ev, prefix, label, len, NULL, 0, vals + x[k].voff, x[k].vlen);
        }
    }
}

/* Offset of the last path component (after the last '/' or '\\'). */
static size_t base_off(const char *p, size_t len)
{
    size_t i = len;

    while (i > 0 && p[i - 1] != '/' && p[i - 1] != '\\') {
        i--;
    }
    return i;
}

/*
 * Many senders put the whole path in fname: then it is file.path too; and a
 * file.path without fname gives file.name. A path ending in a separator (a
 * directory) gives no name.
 */
static void file_names(struct vg_event *ev)
{
    struct vg_str name = event_get(ev, "file.name");
    struct vg_str path = event_get(ev, "file.path");
    size_t off;

    if (name.ptr != NULL && path.ptr == NULL) {
        off = base_off(name.ptr, name.len);
        if (off > 0 && off < name.len) {
            char *copy = xstrndup(name.ptr, name.len);

            event_set_str(ev, "file.path", copy, name.len);
            event_set_str(ev, "file.name", copy + off, name.len - off);
            free(copy);
        }
    } else if (name.ptr == NULL && path.ptr != NULL) {
        off = base_off(path.ptr, path.len);
        if (off < path.len) {
            char *copy = xstrndup(path.ptr + off, path.len - off);

            event_set_str(ev, "file.name", copy, path.len - off);
            free(copy);
        }
    }
}

/* Set every extension and its ECS mapping. */
static void emit_ext(struct vg_event *ev, int kind, const struct ext *x, size_t n,
                     const struct sbuf *vals)
{
    const char *prefix = kind == CEF_CEF ? "cef.ext" : "leef.ext";
    const struct ecs_map *map = kind == CEF_CEF ? cef_map : leef_map;
    size_t n_map = kind == CEF_CEF ? ARRAY_SIZE(cef_map) : ARRAY_SIZE(leef_map);
    size_t i;
    size_t k;

    for (i = 0; i < n; i++) {
        const char *v = vals->buf + x[i].voff;

        event_set_atom(ev, prefix, x[i].key, x[i].klen, NULL, 0, v, x[i].vlen);
        for (k = 0; k < n_map; k++) {
            if (strlen(map[k].key) == x[i].klen && memcmp(map[k].key, x[i].key, x[i].klen) == 0) {
                map_ecs(ev, &map[k], v, x[i].vlen);
                break;
            }
        }
    }
    set_labels(ev, kind == CEF_CEF ? "cef.label" : "leef.label", x, n, vals->buf);
    file_names(ev);
}

/* Add one extension; returns -1 when the table is full. */
static int add_ext(struct ext *x, size_t *n, struct sbuf *vals, const char *key, size_t klen,
                   const char *v, size_t vlen, int escapes)
{
    if (*n == CEF_MAX_EXT) {
        return -1;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
        vlen--;
    }
    x[*n].key = key;
    x[*n].klen = klen;
    sbuf_addc(vals, '\0'); /* keeps buf non-NULL and values apart */
    x[*n].voff = vals->len;
    if (escapes) {
        unescape(vals, v, vlen, CEF_MAX_VALUE, 1);
    } else {
        sbuf_add(vals, v, vlen < CEF_MAX_VALUE ? vlen : CEF_MAX_VALUE);
    }
    x[*n].vlen = vals->len - x[*n].voff;
    (*n)++;
    return 0;
}

/* CEF style: "k=v with spaces k2=v2"; a value runs to the next " key=". */
static int split_spaced(const char *p, const char *end, struct ext *x, size_t *n, struct sbuf *vals,
                        int escapes)
{
    while (p < end) {
        const char *q;
        const char *v;
        size_t klen;

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        klen = key_at(p, end);
        v = klen > 0 ? p + klen + 1 : p;
        for (q = v; q < end;) {
            if (escapes && *q == '\\' && q + 1 < end) {
                q += 2;
            } else if (*q == ' ') {
                const char *r = q;

                while (r < end && *r == ' ') {
                    r++;
                }
                if (key_at(r, end) > 0) {
                    break;
                }
                q = r;
            } else {
                q++;
            }
        }
        if (klen > 0 && add_ext(x, n, vals, p, klen, v, (size_t)(q - v), escapes) < 0) {
            return -1;
        }
        p = q;
    }
    return 0;
}

/* LEEF style: pieces "k=v" separated by delim; no escapes. */
static int split_delim(const char *p, const char *end, char delim, struct ext *x, size_t *n,
                       struct sbuf *vals)
{
    while (p < end) {
        const char *q = memchr(p, delim, (size_t)(end - p));
        const char *eq;

        if (q == NULL) {
            q = end;
        }
        while (p < q && *p == ' ') {
            p++;
        }
        eq = memchr(p, '=', (size_t)(q - p));
        if (eq != NULL && eq > p && eq - p <= CEF_MAX_KEY &&
            add_ext(x, n, vals, p, (size_t)(eq - p), eq + 1, (size_t)(q - eq - 1), 0) < 0) {
            return -1;
        }
        p = q + (q < end);
    }
    return 0;
}

/* The LEEF 2.0 delimiter field: "^", "x5E", "0x5E", "\t"; -1 when it is not one. */
static int leef_delim(const struct field *f)
{
    const char *s = f->p;
    size_t len = f->len;

    if (len == 1) {
        return (unsigned char)s[0];
    }
    if (len == 2 && s[0] == '\\' && s[1] == 't') {
        return '\t';
    }
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s++;
        len--;
    }
    if ((len == 2 || len == 3) && (s[0] == 'x' || s[0] == 'X')) {
        int v = 0;
        size_t i;

        for (i = 1; i < len; i++) {
            if (hex_digit_value(s[i]) < 0) {
                return -1;
            }
            v = v * 16 + hex_digit_value(s[i]);
        }
        return v > 0 ? v : -1;
    }
    return -1;
}

static int parse_cef(const char *p, const char *end, struct vg_event *ev)
{
    struct field f[CEF_FIELDS];
    struct ext *x;
    struct sbuf vals = {0};
    const char *rest;
    size_t n = 0;
    size_t i;

    if (split_header(p, end, f, CEF_FIELDS, &rest) < CEF_FIELDS) {
        return CEF_MALFORMED;
    }
    while (f[0].len > 0 && f[0].p[0] == ' ') {
        f[0].p++;
        f[0].len--;
    }
    if (f[0].len == 0 || f[0].len > 8) {
        return CEF_MALFORMED;
    }
    for (i = 0; i < f[0].len; i++) {
        if ((f[0].p[i] < '0' || f[0].p[i] > '9') && f[0].p[i] != '.') {
            return CEF_MALFORMED;
        }
    }
    set_header(ev, "cef.version", &f[0]);
    set_header(ev, "observer.vendor", &f[1]);
    set_header(ev, "observer.product", &f[2]);
    set_header(ev, "observer.version", &f[3]);
    set_header(ev, "event.code", &f[4]);
    set_header(ev, "cef.name", &f[5]);
    set_header(ev, "cef.severity", &f[6]);
    set_severity(ev, f[6].p, f[6].len);
    x = xcalloc(CEF_MAX_EXT, sizeof(*x));
    if (split_spaced(rest, end, x, &n, &vals, 1) < 0) {
        event_set_strz(ev, "cef.truncated", "true");
    }
    emit_ext(ev, CEF_CEF, x, n, &vals);
    free(x);
    sbuf_free(&vals);
    return CEF_CEF;
}

static int parse_leef(const char *p, const char *end, struct vg_event *ev)
{
    struct field f[LEEF_FIELDS + 1];
    struct ext *x;
    struct sbuf vals = {0};
    const char *rest;
    size_t k = split_header(p, end, f, LEEF_FIELDS + 1, &rest);
    int delim = '\t';
    int rc = 0;
    size_t n = 0;

    if (k < LEEF_FIELDS - 1 || f[0].len == 0 || f[0].len > 8 ||
        strspn(f[0].p, "0123456789.") < f[0].len) {
        return CEF_MALFORMED;
    }
    if (k == LEEF_FIELDS - 1) {
        /* "LEEF:1.0|V|P|1|id": no '|' after the event id, no extension. */
        f[k].p = rest;
        f[k].len = (size_t)(end - rest);
        rest = end;
    } else if (f[0].len >= 1 && f[0].p[0] == '2' && k == LEEF_FIELDS + 1 &&
               leef_delim(&f[LEEF_FIELDS]) >= 0) {
        delim = leef_delim(&f[LEEF_FIELDS]);
    } else if (k == LEEF_FIELDS + 1) {
        /* Not a delimiter field: the sixth '|' is part of the extension. */
        rest = f[LEEF_FIELDS].p;
    }
    set_header(ev, "leef.version", &f[0]);
    set_header(ev, "observer.vendor", &f[1]);
    set_header(ev, "observer.product", &f[2]);
    set_header(ev, "observer.version", &f[3]);
    set_header(ev, "event.code", &f[4]);
    x = xcalloc(CEF_MAX_EXT, sizeof(*x));
    if (delim == '\t' && memchr(rest, '\t', (size_t)(end - rest)) == NULL) {
        /* Senders that use spaces despite the spec: split the CEF way, without escapes. */
        rc = split_spaced(rest, end, x, &n, &vals, 0);
    } else {
        rc = split_delim(rest, end, (char)delim, x, &n, &vals);
    }
    if (rc < 0) {
        event_set_strz(ev, "leef.truncated", "true");
    }
    emit_ext(ev, CEF_LEEF, x, n, &vals);
    free(x);
    sbuf_free(&vals);
    return CEF_LEEF;
}

int cef_parse(const char *rec, size_t len, struct vg_event *ev)
{
    const char *end = rec + len;

    if (len >= 4 && memcmp(rec, "CEF:", 4) == 0) {
        return parse_cef(rec + 4, end, ev);
    }
    if (len >= 5 && memcmp(rec, "LEEF:", 5) == 0) {
        return parse_leef(rec + 5, end, ev);
    }
    return CEF_NONE;
}

/* Where "CEF:"/"LEEF:" starts after a relayed "Mmm dd hh:mm:ss host " or ISO prefix. */
static const char *after_prefix(const char *m, size_t len)
{
    size_t lim = len < PREFIX_SCAN ? len : PREFIX_SCAN;
    size_t i;

    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *mon;

    if (len < 16) {
        return NULL;
    }
    mon = m[3] == ' ' ? memmem(months, sizeof(months) - 1, m, 3) : NULL;
    if ((mon == NULL || (mon - months) % 3 != 0) &&
        !(m[0] >= '0' && m[0] <= '9' && m[4] == '-' && m[7] == '-')) {
        return NULL;
    }
    for (i = 1; i + 5 <= lim; i++) {
        if (m[i - 1] == ' ' && (memcmp(m + i, "CEF:", 4) == 0 || memcmp(m + i, "LEEF:", 5) == 0)) {
            return m + i;
        }
    }
    return NULL;
}

static void add_warning(struct vg_event *ev, const char *what)
{
    struct vg_str w = event_get(ev, "vigil.parse_warning");

    if (w.ptr == NULL) {
        event_set_strz(ev, "vigil.parse_warning", what);
    } else {
        char *s = xasprintf("%.*s; %s", (int)w.len, w.ptr, what);

        event_set_strz(ev, "vigil.parse_warning", s);
        free(s);
    }
}

int cef_parse_event(struct vg_event *ev)
{
    struct vg_str msg = event_get(ev, "message");
    struct vg_str prog;
    struct sbuf rec = {0};
    const char *start = NULL;
    int tag = 0;
    int rc;

    if (msg.ptr == NULL) {
        return CEF_NONE;
    }
    while (msg.len > 0 && (msg.ptr[0] == ' ' || msg.ptr[0] == '\t')) {
        msg.ptr++;
        msg.len--;
    }
    if (msg.len < 4) {
        return CEF_NONE;
    }
    if (msg.len >= 4 && (msg.ptr[0] == 'C' || msg.ptr[0] == 'L') &&
        (memcmp(msg.ptr, "CEF:", 4) == 0 || (msg.len >= 5 && memcmp(msg.ptr, "LEEF:", 5) == 0))) {
        start = msg.ptr;
    } else if (msg.ptr[0] >= '0' && msg.ptr[0] <= '9') {
        prog = event_get(ev, "process.name");
        if (prog.ptr != NULL && ((prog.len == 3 && memcmp(prog.ptr, "CEF", 3) == 0) ||
                                 (prog.len == 4 && memcmp(prog.ptr, "LEEF", 4) == 0))) {
            tag = 1;
            sbuf_add(&rec, prog.ptr, prog.len);
            sbuf_addc(&rec, ':');
        } else {
            start = after_prefix(msg.ptr, msg.len);
        }
    } else {
        start = after_prefix(msg.ptr, msg.len);
    }
    if (start == NULL && !tag) {
        return CEF_NONE;
    }
    if (event_get(ev, "cef.version").ptr != NULL || event_get(ev, "leef.version").ptr != NULL) {
        sbuf_free(&rec);
        return CEF_NONE;
    }
    /* Copy first: setting fields may move the arena the message lives in. */
    if (tag) {
        sbuf_add(&rec, msg.ptr, msg.len);
    } else {
        sbuf_add(&rec, start, msg.len - (size_t)(start - msg.ptr));
    }
    rc = cef_parse(rec.buf, rec.len, ev);
    if (rc == CEF_MALFORMED) {
        add_warning(ev, rec.buf[0] == 'C' ? "malformed CEF header" : "malformed LEEF header");
    } else if (rc > 0) {
        event_set_str(ev, "message", rec.buf, rec.len);
        if (tag) {
            event_del(ev, "process.name");
        }
    }
    sbuf_free(&rec);
    return rc;
}
