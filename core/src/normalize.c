/* SPDX-License-Identifier: MIT */
/*
 * Normalization templates: loading with file/path/reason errors, a hash index
 * from selector (program name, event code, or CEF/LEEF "vendor|product") to
 * templates, and matching with JIT-compiled PCRE2 under match, depth and heap limits.
 * CEF/LEEF records are parsed (cef.c) before selection. Match data is per thread.
 */
#define _GNU_SOURCE /* memmem */
#include "normalize.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <libfastjson/json.h>
#include <pcre2.h>

#include "cef.h"
#include "syslog.h"

#define MATCH_LIMIT 100000u
#define DEPTH_LIMIT 10000u
#define HEAP_LIMIT \
    2048u /* KiB of backtracking memory per match (the interpreter; JIT has its stack) */
#define INDEX_SIZE 256u
#define MAX_GROUPS 32

struct capture {
    uint32_t group; /* capture group number */
    char *field;    /* dotted field name */
    int is_int;     /* 1: store as an integer when the text is one */
};

struct fixed {
    char *field; /* dotted field name */
    char *value; /* value (string) */
};

struct sample {
    char *line;           /* a real input line */
    fjson_object *expect; /* field -> expected value (owned) */
    char *where;          /* "FILE: $.templates[i].samples[j]" for messages */
};

struct tmpl {
    char *name;             /* unique name; later files override */
    char *file;             /* file it came from */
    char **selectors;       /* "p:<program>", "c:<code>", "v:<vendor>|<product>"; none: any */
    size_t n_selectors;     /* entries in selectors */
    char *prefilter;        /* literal that must occur in the message, or NULL */
    size_t prefilter_len;   /* bytes of prefilter */
    pcre2_code *re;         /* compiled pattern */
    struct capture *caps;   /* named groups */
    size_t n_caps;          /* entries in caps */
    struct fixed *fixed;    /* fields set on a match */
    size_t n_fixed;         /* entries in fixed */
    struct sample *samples; /* samples to check */
    size_t n_samples;       /* entries in samples */
    size_t order;           /* load order, to keep first-match semantics stable */
};

struct bucket {
    char *selector;      /* the selector string */
    struct tmpl **list;  /* templates in load order */
    size_t n;            /* entries in list */
    struct bucket *next; /* chain */
};

struct normalizer {
    struct tmpl **all;                /* every template */
    size_t n;                         /* number of templates */
    struct bucket *index[INDEX_SIZE]; /* selector -> templates */
    struct tmpl **any;                /* templates without a selector */
    size_t n_any;                     /* entries in any */
    pcre2_match_context *mctx;        /* limits shared by every match */
};

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_key_init(void)
{
    pthread_key_create(&md_key, md_free);
}

/* This thread's match data, freed when the thread exits. */
static pcre2_match_data *thread_md(void)
{
    pcre2_match_data *md;

    pthread_once(&md_once, md_key_init);
    md = pthread_getspecific(md_key);
    if (md == NULL) {
        md = pcre2_match_data_create(MAX_GROUPS, NULL);
        pthread_setspecific(md_key, md);
    }
    return md;
}

static void tmpl_free(struct tmpl *t)
{
    size_t i;

    if (t == NULL) {
        return;
    }
    for (i = 0; i < t->n_selectors; i++) {
        free(t->selectors[i]);
    }
    free(t->selectors);
    for (i = 0; i < t->n_caps; i++) {
        free(t->caps[i].field);
    }
    free(t->caps);
    for (i = 0; i < t->n_fixed; i++) {
        free(t->fixed[i].field);
        free(t->fixed[i].value);
    }
    free(t->fixed);
    for (i = 0; i < t->n_samples; i++) {
        free(t->samples[i].line);
        free(t->samples[i].where);
        fjson_object_put(t->samples[i].expect);
    }
    free(t->samples);
    pcre2_code_free(t->re);
    free(t->prefilter);
    free(t->name);
    free(t->file);
    free(t);
}

static int add_selectors(struct tmpl *t, fjson_object *v, const char *kind, const char *where,
                         struct diag *diag)
{
    size_t i;
    size_t n;

    if (fjson_object_get_type(v) == fjson_type_string) {
        t->selectors = xrealloc(t->selectors, (t->n_selectors + 1) * sizeof(char *));
        t->selectors[t->n_selectors++] = xasprintf("%s:%s", kind, fjson_object_get_string(v));
        return 0;
    }
    if (fjson_object_get_type(v) != fjson_type_array || fjson_object_array_length(v) == 0) {
        diag_add(diag, "%s: must be a string or a non-empty array of strings", where);
        return -1;
    }
    n = fjson_object_array_length(v);
    for (i = 0; i < n; i++) {
        fjson_object *e = fjson_object_array_get_idx(v, i);

        if (fjson_object_get_type(e) != fjson_type_string) {
            diag_add(diag, "%s[%zu]: must be a string", where, i);
            return -1;
        }
        t->selectors = xrealloc(t->selectors, (t->n_selectors + 1) * sizeof(char *));
        t->selectors[t->n_selectors++] = xasprintf("%s:%s", kind, fjson_object_get_string(e));
    }
    return 0;
}

static int compile_pattern(struct tmpl *t, const char *pat, const char *where, struct diag *diag)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SPTR table;
    PCRE2_SIZE off;
    uint32_t count;
    uint32_t esize;
    uint32_t i;
    int code;

    /*
     * Byte mode, not UTF: "." and "\\S" match every byte, so invalid UTF-8 planted
     * in a message (a user name of 0xff) cannot keep a line from being recognized.
     */
    t->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    if (t->re == NULL) {
        pcre2_get_error_message(code, msg, sizeof(msg));
        diag_add(diag, "%s: cannot compile: %s at offset %zu", where, (const char *)msg,
                 (size_t)off);
        return -1;
    }
    /* JIT is an optimization: without it (e.g. no executable memory) matching still works. */
    pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);
    pcre2_pattern_info(t->re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(t->re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(t->re, PCRE2_INFO_NAMETABLE, &table);
    t->caps = xcalloc(count + 1, sizeof(*t->caps));
    for (i = 0; i < count; i++) {
        const unsigned char *e = table + (size_t)i * esize;
        const char *gname = (const char *)e + 2;
        struct sbuf f = {0};
        size_t k;

        for (k = 0; gname[k] != '\0'; k++) {
            if (gname[k] == '_' && gname[k + 1] == '_') {
                sbuf_addc(&f, '.');
                k++;
            } else {
                sbuf_addc(&f, gname[k]);
            }
        }
        t->caps[i].group = ((uint32_t)e[0] << 8) | e[1];
        t->caps[i].field = f.buf;
    }
    t->n_caps = count;
    return 0;
}

static void mark_int_fields(struct tmpl *t, fjson_object *types)
{
    size_t i;

    for (i = 0; i < t->n_caps; i++) {
        fjson_object *v;

        if (types != NULL && fjson_object_object_get_ex(types, t->caps[i].field, &v) &&
            fjson_object_get_type(v) == fjson_type_string &&
            strcmp(fjson_object_get_string(v), "int") == 0) {
            t->caps[i].is_int = 1;
        }
    }
}

static const char *const tmpl_keys[] = {"name",    "description", "program",   "code",
                                        "product", "any",         "prefilter", "pattern",
                                        "fields",  "types",       "samples"};

static struct tmpl *parse_tmpl(fjson_object *o, const char *file, size_t idx, struct diag *diag,
                               int *n_err)
{
    struct tmpl *t = xcalloc(1, sizeof(*t));
    char where[1200];
    fjson_object *v;
    int before = (int)diag->n;

    snprintf(where, sizeof(where), "%s: $.templates[%zu]", file, idx);
    t->file = xstrdup(file);
    if (fjson_object_get_type(o) != fjson_type_object) {
        diag_add(diag, "%s: must be an object", where);
        goto fail;
    }
    {
        struct fjson_object_iterator it = fjson_object_iter_begin(o);
        struct fjson_object_iterator end = fjson_object_iter_end(o);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            const char *k = fjson_object_iter_peek_name(&it);
            size_t i;

            for (i = 0; i < ARRAY_SIZE(tmpl_keys) && strcmp(k, tmpl_keys[i]) != 0; i++) {
            }
            if (i == ARRAY_SIZE(tmpl_keys)) {
                diag_add(diag, "%s.%s: unknown key", where, k);
            }
        }
    }
    if (!fjson_object_object_get_ex(o, "name", &v) ||
        fjson_object_get_type(v) != fjson_type_string) {
        diag_add(diag, "%s.name: required string is missing", where);
    } else {
        t->name = xstrdup(fjson_object_get_string(v));
    }
    if (fjson_object_object_get_ex(o, "program", &v)) {
        char w[1300];

        snprintf(w, sizeof(w), "%s.program", where);
        add_selectors(t, v, "p", w, diag);
    }
    if (fjson_object_object_get_ex(o, "code", &v)) {
        char w[1300];

        snprintf(w, sizeof(w), "%s.code", where);
        add_selectors(t, v, "c", w, diag);
    }
    if (fjson_object_object_get_ex(o, "product", &v)) {
        char w[1300];

        snprintf(w, sizeof(w), "%s.product", where);
        add_selectors(t, v, "v", w, diag);
    }
    if (t->n_selectors == 0 && !fjson_object_object_get_ex(o, "any", &v)) {
        diag_add(diag,
                 "%s: needs \"program\" or \"code\" (or \"product\" for CEF/LEEF, or "
                 "\"any\": true) to select lines",
                 where);
    }
    if (fjson_object_object_get_ex(o, "prefilter", &v)) {
        if (fjson_object_get_type(v) != fjson_type_string) {
            diag_add(diag, "%s.prefilter: must be a string", where);
        } else {
            t->prefilter = xstrdup(fjson_object_get_string(v));
            t->prefilter_len = strlen(t->prefilter);
        }
    }
    if (!fjson_object_object_get_ex(o, "pattern", &v) ||
        fjson_object_get_type(v) != fjson_type_string) {
        diag_add(diag, "%s.pattern: required string is missing", where);
    } else {
        char w[1300];

        snprintf(w, sizeof(w), "%s.pattern", where);
        if (compile_pattern(t, fjson_object_get_string(v), w, diag) == 0) {
            fjson_object *types = NULL;

            fjson_object_object_get_ex(o, "types", &types);
            mark_int_fields(t, types);
        }
    }
    if (!fjson_object_object_get_ex(o, "fields", &v) ||
        fjson_object_get_type(v) != fjson_type_object) {
        diag_add(diag, "%s.fields: required object is missing (it sets event.action)", where);
    } else {
        struct fjson_object_iterator it = fjson_object_iter_begin(v);
        struct fjson_object_iterator end = fjson_object_iter_end(v);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            fjson_object *fv = fjson_object_iter_peek_value(&it);

            if (fjson_object_get_type(fv) != fjson_type_string) {
                diag_add(diag, "%s.fields.%s: must be a string", where,
                         fjson_object_iter_peek_name(&it));
                continue;
            }
            t->fixed = xrealloc(t->fixed, (t->n_fixed + 1) * sizeof(*t->fixed));
            t->fixed[t->n_fixed].field = xstrdup(fjson_object_iter_peek_name(&it));
            t->fixed[t->n_fixed].value = xstrdup(fjson_object_get_string(fv));
            t->n_fixed++;
        }
    }
    if (fjson_object_object_get_ex(o, "samples", &v)) {
        size_t n = fjson_object_get_type(v) == fjson_type_array ? fjson_object_array_length(v) : 0;
        size_t i;

        if (n == 0) {
            diag_add(diag, "%s.samples: must be a non-empty array", where);
        }
        t->samples = xcalloc(n + 1, sizeof(*t->samples));
        for (i = 0; i < n; i++) {
            fjson_object *s = fjson_object_array_get_idx(v, i);
            fjson_object *line;
            fjson_object *exp;

            if (fjson_object_get_type(s) != fjson_type_object ||
                !fjson_object_object_get_ex(s, "line", &line) ||
                fjson_object_get_type(line) != fjson_type_string ||
                !fjson_object_object_get_ex(s, "expect", &exp) ||
                fjson_object_get_type(exp) != fjson_type_object) {
                diag_add(diag, "%s.samples[%zu]: needs \"line\" (string) and \"expect\" (object)",
                         where, i);
                continue;
            }
            t->samples[t->n_samples].line = xstrdup(fjson_object_get_string(line));
            t->samples[t->n_samples].expect = fjson_object_get(exp);
            t->samples[t->n_samples].where = xasprintf("%s.samples[%zu]", where, i);
            t->n_samples++;
        }
    }
    if ((int)diag->n != before) {
        goto fail;
    }
    return t;
fail:
    *n_err += (int)diag->n - before;
    tmpl_free(t);
    return NULL;
}

static void add_template(struct normalizer *nz, struct tmpl *t)
{
    size_t i;

    for (i = 0; i < nz->n; i++) {
        if (strcmp(nz->all[i]->name, t->name) == 0) {
            /* Same name: the later file overrides, in the earlier one's place. */
            t->order = nz->all[i]->order;
            tmpl_free(nz->all[i]);
            nz->all[i] = t;
            return;
        }
    }
    t->order = nz->n;
    nz->all = xrealloc(nz->all, (nz->n + 1) * sizeof(*nz->all));
    nz->all[nz->n++] = t;
}

static void load_file(struct normalizer *nz, const char *file, struct diag *diag, int *n_err)
{
    fjson_object *root = fjson_object_from_file(file);
    fjson_object *arr;
    size_t i;
    size_t n;

    if (root == NULL) {
        diag_add(diag, "%s: cannot read or parse as JSON", file);
        (*n_err)++;
        return;
    }
    if (fjson_object_get_type(root) != fjson_type_object ||
        !fjson_object_object_get_ex(root, "templates", &arr) ||
        fjson_object_get_type(arr) != fjson_type_array) {
        diag_add(diag, "%s: $.templates: required array is missing", file);
        (*n_err)++;
        fjson_object_put(root);
        return;
    }
    n = fjson_object_array_length(arr);
    for (i = 0; i < n; i++) {
        struct tmpl *t = parse_tmpl(fjson_object_array_get_idx(arr, i), file, i, diag, n_err);

        if (t != NULL) {
            add_template(nz, t);
        }
    }
    fjson_object_put(root);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_path(struct normalizer *nz, const char *path, struct diag *diag, int *n_err)
{
    struct stat st;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    DIR *d;

    if (stat(path, &st) != 0) {
        diag_add(diag, "%s: cannot read: %s", path, strerror(errno));
        (*n_err)++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(nz, path, diag, n_err);
        return;
    }
    d = opendir(path);
    if (d == NULL) {
        diag_add(diag, "%s: cannot read: %s", path, strerror(errno));
        (*n_err)++;
        return;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xasprintf("%s/%s", path, de->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (i = 0; i < n; i++) {
        load_file(nz, names[i], diag, n_err);
        free(names[i]);
    }
    free(names);
}

static struct bucket *bucket_get(struct normalizer *nz, const char *sel, size_t len, int create)
{
    uint64_t h = hash_fnv1a(sel, len) % INDEX_SIZE;
    struct bucket *b;

    for (b = nz->index[h]; b != NULL; b = b->next) {
        if (strlen(b->selector) == len && memcmp(b->selector, sel, len) == 0) {
            return b;
        }
    }
    if (!create) {
        return NULL;
    }
    b = xcalloc(1, sizeof(*b));
    b->selector = xstrndup(sel, len);
    b->next = nz->index[h];
    nz->index[h] = b;
    return b;
}

struct normalizer *normalize_load(const char *const *paths, size_t n_paths, struct diag *diag,
                                  int *n_errors)
{
    struct normalizer *nz = xcalloc(1, sizeof(*nz));
    size_t i;
    size_t k;

    *n_errors = 0;
    for (i = 0; i < n_paths; i++) {
        load_path(nz, paths[i], diag, n_errors);
    }
    for (i = 0; i < nz->n; i++) {
        struct tmpl *t = nz->all[i];

        if (t->n_selectors == 0) {
            nz->any = xrealloc(nz->any, (nz->n_any + 1) * sizeof(*nz->any));
            nz->any[nz->n_any++] = t;
        }
        for (k = 0; k < t->n_selectors; k++) {
            struct bucket *b = bucket_get(nz, t->selectors[k], strlen(t->selectors[k]), 1);

            b->list = xrealloc(b->list, (b->n + 1) * sizeof(*b->list));
            b->list[b->n++] = t;
        }
    }
    nz->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(nz->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(nz->mctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(nz->mctx, HEAP_LIMIT);
    return nz;
}

void normalize_free(struct normalizer *nz)
{
    size_t i;

    if (nz == NULL) {
        return;
    }
    for (i = 0; i < INDEX_SIZE; i++) {
        struct bucket *b = nz->index[i];

        while (b != NULL) {
            struct bucket *next = b->next;

            free(b->selector);
            free(b->list);
            free(b);
            b = next;
        }
    }
    for (i = 0; i < nz->n; i++) {
        tmpl_free(nz->all[i]);
    }
    free(nz->all);
    free(nz->any);
    pcre2_match_context_free(nz->mctx);
    free(nz);
}

size_t normalize_count(const struct normalizer *nz)
{
    return nz->n;
}

static int try_tmpl(const struct normalizer *nz, const struct tmpl *t, struct vg_event *ev,
                    const char *msg, size_t len)
{
    pcre2_match_data *md;
    PCRE2_SIZE *ov;
    size_t i;
    int rc;

    if (t->prefilter != NULL && memmem(msg, len, t->prefilter, t->prefilter_len) == NULL) {
        return 0;
    }
    md = thread_md();
    rc = pcre2_match(t->re, (PCRE2_SPTR)msg, len, 0, 0, md, nz->mctx);
    if (rc < 0) {
        return 0;
    }
    ov = pcre2_get_ovector_pointer(md);
    for (i = 0; i < t->n_caps; i++) {
        uint32_t g = t->caps[i].group;
        PCRE2_SIZE s;
        PCRE2_SIZE e;
        size_t sign;

        if (g >= (uint32_t)rc || g >= MAX_GROUPS) {
            continue;
        }
        s = ov[2 * g];
        e = ov[2 * g + 1];
        if (s == PCRE2_UNSET || e < s) {
            continue;
        }
        /* An optional minus sign: signed gauges (a -5 V rail reads -4410 mV). */
        sign = e - s > 1 && msg[s] == '-';
        if (t->caps[i].is_int && e - s > sign && e - s < 19 &&
            strspn(msg + s + sign, "0123456789") >= e - s - sign) {
            event_set_int(ev, t->caps[i].field, strtoll(msg + s, NULL, 10));
        } else {
            event_set_str(ev, t->caps[i].field, msg + s, e - s);
        }
    }
    for (i = 0; i < t->n_fixed; i++) {
        event_set_strz(ev, t->fixed[i].field, t->fixed[i].value);
    }
    return 1;
}

static int try_list(const struct normalizer *nz, struct tmpl *const *list, size_t n,
                    struct vg_event *ev, const char *msg, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (try_tmpl(nz, list[i], ev, msg, len)) {
            return 1;
        }
    }
    return 0;
}

/* Try the templates of "v:<observer.vendor>|<observer.product>" (CEF/LEEF events only). */
static int try_product(const struct normalizer *nz, struct vg_event *ev, const char *msg,
                       size_t len)
{
    struct vg_str vendor;
    struct vg_str product;
    struct bucket *b;
    char sel[520];
    int n;

    if (event_get(ev, "cef.version").ptr == NULL && event_get(ev, "leef.version").ptr == NULL) {
        return 0;
    }
    vendor = event_get(ev, "observer.vendor");
    product = event_get(ev, "observer.product");
    if (vendor.ptr == NULL || product.ptr == NULL || vendor.len + product.len + 3 >= sizeof(sel)) {
        return 0;
    }
    n = snprintf(sel, sizeof(sel), "v:%.*s|%.*s", (int)vendor.len, vendor.ptr, (int)product.len,
                 product.ptr);
    b = bucket_get((struct normalizer *)(uintptr_t)nz, sel, (size_t)n, 0);
    if (b == NULL) {
        return 0;
    }
    return try_list(nz, b->list, b->n, ev, msg, len);
}

int normalize_event(const struct normalizer *nz, struct vg_event *ev)
{
    struct vg_str msg;
    struct vg_str prog;
    struct vg_str code;
    char sel[160];
    /* The message moves if a capture grows the arena: match on a private copy. */
    char *copy;
    int hit = 0;

    /* CEF/LEEF records get their header and extension fields before selection. */
    cef_parse_event(ev);
    msg = event_get(ev, "message");
    if (msg.ptr == NULL) {
        return 0;
    }
    /* Relays often keep the space after "tag:" in the message: templates never see it. */
    while (msg.len > 0 && (msg.ptr[0] == ' ' || msg.ptr[0] == '\t')) {
        msg.ptr++;
        msg.len--;
    }
    copy = xstrndup(msg.ptr, msg.len);
    hit = try_product(nz, ev, copy, msg.len);
    prog = event_get(ev, "process.name");
    code = event_get(ev, "event.code");
    if (!hit && code.ptr != NULL && code.len < sizeof(sel) - 2) {
        struct bucket *b;

        snprintf(sel, sizeof(sel), "c:%.*s", (int)code.len, code.ptr);
        b = bucket_get((struct normalizer *)(uintptr_t)nz, sel, code.len + 2, 0);
        if (b != NULL) {
            hit = try_list(nz, b->list, b->n, ev, copy, msg.len);
        }
    }
    if (!hit && prog.ptr != NULL && prog.len < sizeof(sel) - 2) {
        struct bucket *b;

        snprintf(sel, sizeof(sel), "p:%.*s", (int)prog.len, prog.ptr);
        b = bucket_get((struct normalizer *)(uintptr_t)nz, sel, prog.len + 2, 0);
        if (b != NULL) {
            hit = try_list(nz, b->list, b->n, ev, copy, msg.len);
        }
    }
    if (!hit && nz->n_any > 0) {
        hit = try_list(nz, nz->any, nz->n_any, ev, copy, msg.len);
    }
    free(copy);
    return hit;
}

int normalize_check_samples(const struct normalizer *nz, struct diag *diag, size_t *n_samples)
{
    struct syslog_opts opts = {.recv_ms = time_now_ms(), .keep_original = 1};
    size_t i;
    size_t k;
    int failed = 0;

    *n_samples = 0;
    for (i = 0; i < nz->n; i++) {
        const struct tmpl *t = nz->all[i];

        for (k = 0; k < t->n_samples; k++) {
            const struct sample *s = &t->samples[k];
            struct vg_event *ev;
            struct fjson_object_iterator it;
            struct fjson_object_iterator end;
            int ok = 1;

            (*n_samples)++;
            if (s->line[0] == '{') {
                /* A JSON event, as the SNMP trap receiver or a replay file gives it. */
                char err[256];

                ev = event_from_json(s->line, strlen(s->line), err, sizeof(err));
                if (ev == NULL) {
                    diag_add(diag, "%s (template %s): %s", s->where, t->name, err);
                    failed++;
                    continue;
                }
            } else {
                ev = event_new();
                syslog_parse(s->line, strlen(s->line), &opts, ev);
            }
            if (event_get(ev, "event.action").ptr == NULL) {
                normalize_event(nz, ev);
            }
            it = fjson_object_iter_begin(s->expect);
            end = fjson_object_iter_end(s->expect);
            for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
                const char *f = fjson_object_iter_peek_name(&it);
                const char *want = fjson_object_get_string(fjson_object_iter_peek_value(&it));
                struct vg_str got = event_get(ev, f);

                if (got.ptr == NULL || strcmp(got.ptr, want) != 0) {
                    diag_add(diag, "%s (template %s): field %s is \"%s\", expected \"%s\"",
                             s->where, t->name, f, got.ptr ? got.ptr : "(absent)", want);
                    ok = 0;
                }
            }
            failed += !ok;
            event_unref(ev);
        }
    }
    return failed;
}
