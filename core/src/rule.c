/* SPDX-License-Identifier: MIT */
/*
 * Rule files (schemas/rule.schema.json): loading the rules/ JSON files into a ruleset while
 * reporting every error with its file, JSON path and reason; matching events against a
 * rule's field conditions with per-thread PCRE2 match data and bounded backtracking;
 * building correlation keys and rendering incident titles.
 */
#include "rule.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_MAX_LEN    64          /* bytes of a rule name */
#define PLUGIN_MAX_LEN  32          /* bytes of a plugin name */
#define FILE_MAX_BYTES  (16u << 20) /* largest rule file read */
#define TITLE_MAX_BYTES 512         /* bytes of a rendered title */
#define MATCH_LIMIT     100000      /* pcre2 match limit of one condition */
#define DEPTH_LIMIT     10000       /* pcre2 backtracking depth limit */
#define HEAP_LIMIT_KIB  8192        /* pcre2 backtracking heap limit */
#define OVECTOR_PAIRS   32          /* pairs in the per-thread match data */
#define QUOTE_MAX_BYTES 48          /* bytes of a user value quoted in a message */
#define QUOTE_BUF_BYTES 320         /* room for one quoted, escaped value */

/* clang-format off */
static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};
static const char *const class_names[] = {
    "hacker_attack", "virus", "sw_attack", "database", "wan_outage", "lan_outage",
    "device_failure", "generic",
};
/* Indexed by enum vg_transition. */
static const char *const transition_names[RULE_N_TRANSITIONS] = {
    "open", "update", "escalate", "resolve", "close",
};
/* Indexed by enum cond_op - 1. */
static const char *const op_names[] = {"equals", "in", "regex", "cidr", "exists"};
/* clang-format on */

/* A rule name seen during one load, for the uniqueness check. */
struct name_ent {
    char *name;       /* owned copy; NULL for an empty slot */
    const char *file; /* borrowed from the ruleset's file list */
    int index;        /* position in that file's "rules" array */
};

/* State of one ruleset_load call. */
struct loader {
    struct ruleset *rs;     /* where rules and file names go */
    struct diag *diag;      /* where errors go */
    struct name_ent *names; /* open-addressing table of rule names seen */
    size_t names_cap;       /* slots in names (a power of two, or 0) */
    size_t n_names;         /* used slots in names */
    const char *file;       /* file being read, for messages */
    struct sbuf path;       /* JSON path of the value being checked */
};

/* ---------------------------------------------------------------------------------------
 * Messages and JSON paths
 */

static void fail(struct loader *l, const char *fmt, ...) UTIL_PRINTF(2, 3);

static void fail(struct loader *l, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_add(l->diag, "%s: %s: %s", l->file, l->path.buf, msg);
}

/* Length of the longest prefix of s[0..len) that does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len)
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

/* Quote s as a JSON string for a message, cut to QUOTE_MAX_BYTES; returns buf. */
static const char *quote(char *buf, size_t size, const char *s)
{
    struct sbuf b = {0};
    size_t len = strlen(s);
    size_t cut = len > QUOTE_MAX_BYTES ? utf8_cut(s, QUOTE_MAX_BYTES) : len;

    sbuf_addc(&b, '"');
    sbuf_add_json_str(&b, s, cut);
    sbuf_adds(&b, cut < len ? "...\"" : "\"");
    snprintf(buf, size, "%s", b.buf);
    sbuf_free(&b);
    return buf;
}

static int is_ident(const char *s)
{
    size_t i;

    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return 0;
    }
    for (i = 1; s[i] != '\0'; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Append a member to the path (.key, or ["key"] when not an identifier); returns the old length. */
static size_t path_key(struct loader *l, const char *key)
{
    size_t old = l->path.len;

    if (is_ident(key)) {
        sbuf_addc(&l->path, '.');
        sbuf_adds(&l->path, key);
    } else {
        sbuf_adds(&l->path, "[\"");
        sbuf_add_json_str(&l->path, key, strlen(key));
        sbuf_adds(&l->path, "\"]");
    }
    return old;
}

static size_t path_idx(struct loader *l, size_t i)
{
    size_t old = l->path.len;

    sbuf_printf(&l->path, "[%zu]", i);
    return old;
}

static void path_pop(struct loader *l, size_t len)
{
    l->path.len = len;
    l->path.buf[len] = '\0';
}

/* ---------------------------------------------------------------------------------------
 * JSON value checks; each reports its error at the current path
 */

static const char *type_name(fjson_object *v)
{
    if (v == NULL) {
        return "null";
    }
    switch (fjson_object_get_type(v)) {
    case fjson_type_null:
        return "null";
    case fjson_type_boolean:
        return "a boolean";
    case fjson_type_double:
    case fjson_type_int:
        return "a number";
    case fjson_type_object:
        return "an object";
    case fjson_type_array:
        return "an array";
    case fjson_type_string:
        return "a string";
    }
    return "an unknown type";
}

static int is_type(fjson_object *v, enum fjson_type t)
{
    return v != NULL && fjson_object_get_type(v) == t;
}

static int want_type(struct loader *l, fjson_object *v, enum fjson_type t, const char *what)
{
    if (is_type(v, t)) {
        return 1;
    }
    fail(l, "expected %s, got %s", what, type_name(v));
    return 0;
}

/* The string of v, or NULL after an error when v is not a string without NUL characters. */
static const char *want_str(struct loader *l, fjson_object *v)
{
    const char *s;

    if (!want_type(l, v, fjson_type_string, "a string")) {
        return NULL;
    }
    s = fjson_object_get_string(v);
    if ((size_t)fjson_object_get_string_len(v) != strlen(s)) {
        fail(l, "must not contain a NUL character");
        return NULL;
    }
    return s;
}

/* A non-empty array's length, or 0 after an error (also for an empty array when non_empty). */
static size_t want_array(struct loader *l, fjson_object *v, int non_empty)
{
    size_t n;

    if (!want_type(l, v, fjson_type_array, "an array")) {
        return 0;
    }
    n = (size_t)fjson_object_array_length(v);
    if (n == 0 && non_empty) {
        fail(l, "must not be empty");
    }
    return n;
}

/* True when obj has key; *v is its value (NULL for a JSON null). */
static int member(fjson_object *obj, const char *key, fjson_object **v)
{
    *v = NULL;
    return fjson_object_object_get_ex(obj, key, v) ? 1 : 0;
}

static int need(struct loader *l, fjson_object *obj, const char *key, fjson_object **v)
{
    if (member(obj, key, v)) {
        return 1;
    }
    fail(l, "missing required key \"%s\"", key);
    return 0;
}

/* Report each key of obj that is not in allowed. */
static void check_keys(struct loader *l, fjson_object *obj, const char *const *allowed, size_t n)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(obj);
    struct fjson_object_iterator end = fjson_object_iter_end(obj);
    char qb[QUOTE_BUF_BYTES];

    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *name = fjson_object_iter_peek_name(&it);
        size_t i;

        for (i = 0; i < n; i++) {
            if (strcmp(name, allowed[i]) == 0) {
                break;
            }
        }
        if (i == n) {
            fail(l, "unknown key %s", quote(qb, sizeof(qb), name));
        }
    }
}

static int chars_in(const char *s, size_t len, const char *extra)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr(extra, c) != NULL))) {
            return 0;
        }
    }
    return 1;
}

static int valid_field(const char *s, size_t len)
{
    return len > 0 && chars_in(s, len, "_.@-");
}

/* One or more printable ASCII characters, no spaces. */
static int valid_word(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
            return 0;
        }
    }
    return i > 0;
}

static int valid_plugin(const char *s)
{
    size_t len = strlen(s);
    size_t i;

    if (len == 0 || len > PLUGIN_MAX_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

/* "5.N", "5.N.N", "5.N.N.N" or "-". */
static int valid_procedure(const char *s)
{
    int parts = 0;

    if (strcmp(s, "-") == 0) {
        return 1;
    }
    if (*s++ != '5') {
        return 0;
    }
    while (*s == '.') {
        s++;
        if (*s < '0' || *s > '9') {
            return 0;
        }
        while (*s >= '0' && *s <= '9') {
            s++;
        }
        parts++;
    }
    return *s == '\0' && parts >= 1 && parts <= 3;
}

static int find_name(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* A copy of v's string when it is a string, else NULL after an error. */
static char *dup_str(struct loader *l, fjson_object *v)
{
    const char *s = want_str(l, v);

    return s != NULL ? xstrdup(s) : NULL;
}

/* A copy of a dotted field name, or NULL after an error. */
static char *dup_field(struct loader *l, fjson_object *v)
{
    const char *s = want_str(l, v);

    if (s == NULL) {
        return NULL;
    }
    if (!valid_field(s, strlen(s))) {
        char qb[QUOTE_BUF_BYTES];

        fail(l, "%s is not a valid field name (one or more of A-Z a-z 0-9 _ . @ -)",
             quote(qb, sizeof(qb), s));
        return NULL;
    }
    return xstrdup(s);
}

/* A copy of a plugin name, or NULL after an error. */
static char *dup_plugin(struct loader *l, fjson_object *v)
{
    const char *s = want_str(l, v);

    if (s == NULL) {
        return NULL;
    }
    if (!valid_plugin(s)) {
        char qb[QUOTE_BUF_BYTES];

        fail(l, "%s is not a valid plugin name (1 to 32 of a-z 0-9 _)", quote(qb, sizeof(qb), s));
        return NULL;
    }
    return xstrdup(s);
}

/* The text an event would hold for a string or number value, or NULL after an error. */
static char *dup_scalar(struct loader *l, fjson_object *v)
{
    if (is_type(v, fjson_type_int)) {
        char num[32];

        snprintf(num, sizeof(num), "%" PRId64, fjson_object_get_int64(v));
        return xstrdup(num);
    }
    if (is_type(v, fjson_type_double)) {
        return xstrdup(fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN));
    }
    if (is_type(v, fjson_type_string)) {
        return dup_str(l, v);
    }
    fail(l, "expected a string or a number, got %s", type_name(v));
    return NULL;
}

/* A reference to a params object, or NULL (after an error unless it is absent). */
static fjson_object *get_params(struct loader *l, fjson_object *obj)
{
    fjson_object *v;
    size_t mark;

    if (!member(obj, "params", &v)) {
        return NULL;
    }
    mark = path_key(l, "params");
    if (want_type(l, v, fjson_type_object, "an object")) {
        fjson_object_get(v);
    } else {
        v = NULL;
    }
    path_pop(l, mark);
    return v;
}

/* ---------------------------------------------------------------------------------------
 * Parsing one rule
 */

static pcre2_code *compile_regex(struct loader *l, const char *pattern)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE off;
    pcre2_code *re;
    int code;

    /*
     * Byte mode, not UTF: "." and "\\S" then match every byte, so a field with
     * invalid UTF-8 planted by an attacker cannot slip past a condition.
     */
    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    if (re == NULL) {
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0) {
            snprintf((char *)msg, sizeof(msg), "error %d", code);
        }
        fail(l, "cannot compile: %s at offset %zu", (const char *)msg, (size_t)off);
        return NULL;
    }
    /* Without JIT support pcre2_match runs the interpreter, under the same limits. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

static void parse_in(struct loader *l, fjson_object *v, struct rule_cond *c)
{
    size_t n = want_array(l, v, 1);
    size_t i;

    if (n == 0) {
        return;
    }
    c->list = xcalloc(n, sizeof(*c->list));
    c->n_list = n;
    for (i = 0; i < n; i++) {
        size_t mark = path_idx(l, i);

        c->list[i] = dup_scalar(l, fjson_object_array_get_idx(v, (int)i));
        path_pop(l, mark);
    }
}

static void parse_cidr(struct loader *l, fjson_object *v, struct rule_cond *c)
{
    char qb[QUOTE_BUF_BYTES];
    size_t n = 1;
    size_t i;

    if (!is_type(v, fjson_type_string)) {
        if (!is_type(v, fjson_type_array)) {
            fail(l, "expected a string or an array, got %s", type_name(v));
            return;
        }
        n = want_array(l, v, 1);
        if (n == 0) {
            return;
        }
    }
    c->cidrs = xcalloc(n, sizeof(*c->cidrs));
    c->n_cidrs = n;
    for (i = 0; i < n; i++) {
        fjson_object *e = is_type(v, fjson_type_array) ? fjson_object_array_get_idx(v, (int)i) : v;
        size_t mark = is_type(v, fjson_type_array) ? path_idx(l, i) : l->path.len;
        const char *s = want_str(l, e);

        if (s != NULL && cidr_parse(s, &c->cidrs[i]) != 0) {
            fail(l, "cannot parse network %s (expected an address or address/prefix)",
                 quote(qb, sizeof(qb), s));
        }
        path_pop(l, mark);
    }
}

static void parse_cond(struct loader *l, fjson_object *o, struct rule_cond *c)
{
    static const char *const keys[] = {"field", "not", "equals", "in", "regex", "cidr", "exists"};
    fjson_object *v;
    const char *s;
    size_t mark;
    size_t i;
    int op = 0;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (need(l, o, "field", &v)) {
        mark = path_key(l, "field");
        c->field = dup_field(l, v);
        path_pop(l, mark);
    }
    if (member(o, "not", &v)) {
        mark = path_key(l, "not");
        if (want_type(l, v, fjson_type_boolean, "a boolean")) {
            c->negate = fjson_object_get_boolean(v) ? 1 : 0;
        }
        path_pop(l, mark);
    }
    for (i = 0; i < ARRAY_SIZE(op_names); i++) {
        if (!member(o, op_names[i], &v)) {
            continue;
        }
        if (op != 0) {
            fail(l,
                 "has both \"%s\" and \"%s\": needs exactly one of equals, in, regex, cidr, exists",
                 op_names[op - 1], op_names[i]);
            continue;
        }
        op = (int)i + 1;
    }
    if (op == 0) {
        fail(l, "needs one of equals, in, regex, cidr, exists");
        return;
    }
    c->op = (enum cond_op)op;
    member(o, op_names[op - 1], &v);
    mark = path_key(l, op_names[op - 1]);
    switch (c->op) {
    case COND_EQUALS:
        c->value = dup_scalar(l, v);
        break;
    case COND_IN:
        parse_in(l, v, c);
        break;
    case COND_REGEX:
        s = want_str(l, v);
        if (s != NULL) {
            c->re = compile_regex(l, s);
        }
        break;
    case COND_CIDR:
        parse_cidr(l, v, c);
        break;
    case COND_EXISTS:
        if (want_type(l, v, fjson_type_boolean, "a boolean")) {
            c->exists = fjson_object_get_boolean(v) ? 1 : 0;
        }
        break;
    }
    path_pop(l, mark);
}

static void parse_match(struct loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"event.action", "where"};
    fjson_object *v;
    size_t mark;
    size_t n;
    size_t i;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (need(l, o, "event.action", &v)) {
        mark = path_key(l, "event.action");
        n = want_array(l, v, 1);
        if (n > 0) {
            r->actions = xcalloc(n, sizeof(*r->actions));
            r->n_actions = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = path_idx(l, i);
            const char *s = want_str(l, fjson_object_array_get_idx(v, (int)i));

            if (s != NULL && !valid_word(s)) {
                char qb[QUOTE_BUF_BYTES];

                fail(l, "%s is not a valid event.action (printable ASCII without spaces)",
                     quote(qb, sizeof(qb), s));
            } else if (s != NULL) {
                r->actions[i] = xstrdup(s);
            }
            path_pop(l, m2);
        }
        path_pop(l, mark);
    }
    if (member(o, "where", &v)) {
        mark = path_key(l, "where");
        n = want_array(l, v, 0);
        if (n > 0) {
            r->conds = xcalloc(n, sizeof(*r->conds));
            r->n_conds = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = path_idx(l, i);

            parse_cond(l, fjson_object_array_get_idx(v, (int)i), &r->conds[i]);
            path_pop(l, m2);
        }
        path_pop(l, mark);
    }
}

static void parse_key(struct loader *l, fjson_object *v, struct rule *r)
{
    size_t n = want_array(l, v, 0);
    size_t i;

    if (n == 0) {
        return;
    }
    r->key = xcalloc(n, sizeof(*r->key));
    r->n_key = n;
    for (i = 0; i < n; i++) {
        size_t mark = path_idx(l, i);

        r->key[i] = dup_field(l, fjson_object_array_get_idx(v, (int)i));
        path_pop(l, mark);
    }
}

/* Check the ${field} references of a title. */
static void check_title(struct loader *l, const char *t)
{
    const char *p = t;
    char qb[QUOTE_BUF_BYTES];

    while ((p = strstr(p, "${")) != NULL) {
        const char *end = strchr(p + 2, '}');

        if (end == NULL) {
            fail(l, "unclosed \"${\" at offset %zu", (size_t)(p - t));
            return;
        }
        if (!valid_field(p + 2, (size_t)(end - p - 2))) {
            char *ref = xstrndup(p, (size_t)(end - p + 1));

            fail(l,
                 "invalid field reference %s at offset %zu (field names are one or more of "
                 "A-Z a-z 0-9 _ . @ -)",
                 quote(qb, sizeof(qb), ref), (size_t)(p - t));
            free(ref);
        }
        p = end + 1;
    }
}

static void parse_incident(struct loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"title", "severity", "class", "procedure"};
    char qb[QUOTE_BUF_BYTES];
    fjson_object *v;
    const char *s;
    size_t mark;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (need(l, o, "title", &v)) {
        mark = path_key(l, "title");
        r->title = dup_str(l, v);
        if (r->title != NULL) {
            check_title(l, r->title);
        }
        path_pop(l, mark);
    }
    if (need(l, o, "severity", &v)) {
        mark = path_key(l, "severity");
        s = want_str(l, v);
        if (s != NULL) {
            r->severity = rule_severity_parse(s);
            if (r->severity == 0) {
                fail(l, "unknown severity %s (expected info, low, medium, high or critical)",
                     quote(qb, sizeof(qb), s));
            }
        }
        path_pop(l, mark);
    }
    if (need(l, o, "class", &v)) {
        mark = path_key(l, "class");
        s = want_str(l, v);
        if (s != NULL && find_name(class_names, ARRAY_SIZE(class_names), s) < 0) {
            fail(l,
                 "unknown class %s (expected hacker_attack, virus, sw_attack, database, "
                 "wan_outage, lan_outage, device_failure or generic)",
                 quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->incident_class = xstrdup(s);
        }
        path_pop(l, mark);
    }
    if (need(l, o, "procedure", &v)) {
        mark = path_key(l, "procedure");
        s = want_str(l, v);
        if (s != NULL && !valid_procedure(s)) {
            fail(l, "%s is not a procedure section (5.N, 5.N.N, 5.N.N.N, or \"-\")",
                 quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->procedure = xstrdup(s);
        }
        path_pop(l, mark);
    }
}

static void parse_action(struct loader *l, fjson_object *o, struct rule_action *a)
{
    static const char *const keys[] = {"plugin", "params"};
    fjson_object *v;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (need(l, o, "plugin", &v)) {
        size_t mark = path_key(l, "plugin");

        a->plugin = dup_plugin(l, v);
        path_pop(l, mark);
    }
    a->params = get_params(l, o);
}

static void parse_actions(struct loader *l, fjson_object *o, struct rule *r)
{
    size_t t;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, transition_names, RULE_N_TRANSITIONS);
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        fjson_object *v;
        size_t mark;
        size_t n;
        size_t i;

        if (!member(o, transition_names[t], &v)) {
            continue;
        }
        mark = path_key(l, transition_names[t]);
        n = want_array(l, v, 0);
        if (n > 0) {
            r->on[t] = xcalloc(n, sizeof(*r->on[t]));
            r->n_on[t] = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = path_idx(l, i);

            parse_action(l, fjson_object_array_get_idx(v, (int)i), &r->on[t][i]);
            path_pop(l, m2);
        }
        path_pop(l, mark);
    }
}

/* Record a rule name; report it when another rule already has it. */
static void claim_name(struct loader *l, const char *name, int index)
{
    struct name_ent *e;
    size_t i;

    if (l->n_names * 2 >= l->names_cap) {
        struct name_ent *old = l->names;
        size_t old_cap = l->names_cap;

        l->names_cap = old_cap != 0 ? old_cap * 2 : 64;
        l->names = xcalloc(l->names_cap, sizeof(*l->names));
        for (i = 0; i < old_cap; i++) {
            if (old[i].name != NULL) {
                size_t j = hash_fnv1a(old[i].name, strlen(old[i].name)) & (l->names_cap - 1);

                while (l->names[j].name != NULL) {
                    j = (j + 1) & (l->names_cap - 1);
                }
                l->names[j] = old[i];
            }
        }
        free(old);
    }
    i = hash_fnv1a(name, strlen(name)) & (l->names_cap - 1);
    for (e = &l->names[i]; e->name != NULL; e = &l->names[i]) {
        if (strcmp(e->name, name) == 0) {
            fail(l, "duplicate rule name \"%s\" (first defined in %s at $.rules[%d])", name,
                 e->file, e->index);
            return;
        }
        i = (i + 1) & (l->names_cap - 1);
    }
    e->name = xstrdup(name);
    e->file = l->file;
    e->index = index;
    l->n_names++;
}

static void parse_rule(struct loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"name", "plugin", "description", "match",
                                       "key",  "params", "incident",    "actions"};
    fjson_object *v;
    size_t mark;

    if (!want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (need(l, o, "name", &v)) {
        const char *s;

        mark = path_key(l, "name");
        s = want_str(l, v);
        if (s != NULL &&
            (strlen(s) == 0 || strlen(s) > NAME_MAX_LEN || !chars_in(s, strlen(s), "_.-"))) {
            char qb[QUOTE_BUF_BYTES];

            fail(l, "%s is not a valid rule name (1 to 64 of A-Z a-z 0-9 _ . -)",
                 quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->name = xstrdup(s);
            claim_name(l, s, r->index);
        }
        path_pop(l, mark);
    }
    if (need(l, o, "plugin", &v)) {
        mark = path_key(l, "plugin");
        r->plugin = dup_plugin(l, v);
        path_pop(l, mark);
    }
    if (member(o, "description", &v)) {
        mark = path_key(l, "description");
        r->description = dup_str(l, v);
        path_pop(l, mark);
    }
    if (need(l, o, "match", &v)) {
        mark = path_key(l, "match");
        parse_match(l, v, r);
        path_pop(l, mark);
    }
    if (member(o, "key", &v)) {
        mark = path_key(l, "key");
        parse_key(l, v, r);
        path_pop(l, mark);
    }
    r->params = get_params(l, o);
    if (need(l, o, "incident", &v)) {
        mark = path_key(l, "incident");
        parse_incident(l, v, r);
        path_pop(l, mark);
    }
    if (member(o, "actions", &v)) {
        mark = path_key(l, "actions");
        parse_actions(l, v, r);
        path_pop(l, mark);
    }
}

static void cond_clear(struct rule_cond *c)
{
    size_t i;

    free(c->field);
    free(c->value);
    for (i = 0; i < c->n_list; i++) {
        free(c->list[i]);
    }
    free(c->list);
    pcre2_code_free(c->re);
    free(c->cidrs);
}

static void rule_clear(struct rule *r)
{
    size_t i;
    size_t t;

    free(r->name);
    free(r->file);
    free(r->plugin);
    free(r->description);
    for (i = 0; i < r->n_actions; i++) {
        free(r->actions[i]);
    }
    free(r->actions);
    for (i = 0; i < r->n_conds; i++) {
        cond_clear(&r->conds[i]);
    }
    free(r->conds);
    for (i = 0; i < r->n_key; i++) {
        free(r->key[i]);
    }
    free(r->key);
    if (r->params != NULL) {
        fjson_object_put(r->params);
    }
    free(r->title);
    free(r->incident_class);
    free(r->procedure);
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        for (i = 0; i < r->n_on[t]; i++) {
            free(r->on[t][i].plugin);
            if (r->on[t][i].params != NULL) {
                fjson_object_put(r->on[t][i].params);
            }
        }
        free(r->on[t]);
    }
    memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------------------------------
 * Files and directories
 */

/* Parse the top level of one file and append its good rules to the ruleset. */
static void parse_top(struct loader *l, fjson_object *root)
{
    static const char *const keys[] = {"$schema", "rules"};
    fjson_object *rules;
    fjson_object *v;
    size_t mark;
    size_t n;
    size_t i;

    if (!want_type(l, root, fjson_type_object, "an object")) {
        return;
    }
    check_keys(l, root, keys, ARRAY_SIZE(keys));
    if (member(root, "$schema", &v)) {
        mark = path_key(l, "$schema");
        (void)want_str(l, v);
        path_pop(l, mark);
    }
    if (!need(l, root, "rules", &rules)) {
        return;
    }
    mark = path_key(l, "rules");
    n = want_array(l, rules, 0);
    for (i = 0; i < n; i++) {
        size_t m2 = path_idx(l, i);
        size_t errs = l->diag->n;
        struct rule r;

        memset(&r, 0, sizeof(r));
        r.index = (int)i;
        parse_rule(l, fjson_object_array_get_idx(rules, (int)i), &r);
        if (l->diag->n == errs) {
            r.file = xstrdup(l->file);
            l->rs->rules = xrealloc(l->rs->rules, (l->rs->n + 1) * sizeof(*l->rs->rules));
            l->rs->rules[l->rs->n++] = r;
        } else {
            rule_clear(&r);
        }
        path_pop(l, m2);
    }
    path_pop(l, mark);
}

/* Read a whole file into a NUL-terminated buffer; NULL with errno set on failure. */
static char *read_all(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    struct sbuf b = {0};
    char chunk[8192];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > FILE_MAX_BYTES) {
            fclose(f);
            sbuf_free(&b);
            errno = EFBIG;
            return NULL;
        }
        sbuf_add(&b, chunk, n);
    }
    if (ferror(f)) {
        int e = errno != 0 ? errno : EIO;

        fclose(f);
        sbuf_free(&b);
        errno = e;
        return NULL;
    }
    fclose(f);
    if (b.buf == NULL) {
        sbuf_add(&b, "", 0);
    }
    *len = b.len;
    return b.buf;
}

static void syntax_error(struct loader *l, const char *text, size_t off, const char *reason)
{
    size_t line = 1;
    size_t bol = 0;
    size_t i;

    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            bol = i + 1;
        }
    }
    diag_add(l->diag, "%s:%zu:%zu: JSON syntax error: %s", l->file, line, off - bol + 1, reason);
}

static void load_file(struct loader *l, const char *file)
{
    struct fjson_tokener *tok;
    enum fjson_tokener_error jerr;
    fjson_object *root;
    const char *nul;
    size_t len;
    char *text;

    errno = 0;
    text = read_all(file, &len);
    if (text == NULL) {
        diag_add(l->diag, "%s: cannot read: %s", file, strerror(errno));
        return;
    }
    l->rs->files = xrealloc(l->rs->files, (l->rs->n_files + 1) * sizeof(*l->rs->files));
    l->rs->files[l->rs->n_files] = xstrdup(file);
    l->file = l->rs->files[l->rs->n_files++];
    nul = memchr(text, '\0', len);
    if (nul != NULL) {
        syntax_error(l, text, (size_t)(nul - text), "NUL byte in the text");
        goto out_free_text;
    }
    tok = fjson_tokener_new();
    if (tok == NULL) {
        log_msg(2, "out of memory creating a JSON tokener");
        abort();
    }
    fjson_tokener_set_flags(tok, FJSON_TOKENER_STRICT);
    /* The terminating NUL is passed too, so the tokener sees the end of the text. */
    root = fjson_tokener_parse_ex(tok, text, (int)len + 1);
    jerr = fjson_tokener_get_error(tok);
    if (jerr != fjson_tokener_success) {
        size_t off = tok->char_offset < 0 ? 0 : (size_t)tok->char_offset;

        syntax_error(l, text, off > len ? len : off, fjson_tokener_error_desc(jerr));
        if (root != NULL) {
            fjson_object_put(root);
        }
        fjson_tokener_free(tok);
        goto out_free_text;
    }
    fjson_tokener_free(tok);
    sbuf_reset(&l->path);
    sbuf_addc(&l->path, '$');
    parse_top(l, root);
    if (root != NULL) {
        fjson_object_put(root);
    }
out_free_text:
    free(text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int wanted_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

static void load_dir(struct loader *l, const char *dir)
{
    size_t dlen = strlen(dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    DIR *d;

    d = opendir(dir);
    if (d == NULL) {
        diag_add(l->diag, "%s: cannot read: %s", dir, strerror(errno));
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (wanted_name(de->d_name)) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xasprintf("%s%s%s", dir, sep, de->d_name);
        }
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof(*names), cmp_str);
    }
    for (i = 0; i < n; i++) {
        struct stat st;

        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            free(names[i]);
            continue;
        }
        load_file(l, names[i]);
        free(names[i]);
    }
    free(names);
}

/*
 * Load rule files and directories (see rule.h). Rules with any error are left out;
 * a rule whose name repeats an earlier one is reported with both locations.
 */
int ruleset_load(const char *const *paths, size_t n_paths, struct ruleset *out, struct diag *diag)
{
    struct loader l;
    size_t errs = diag->n;
    size_t i;

    memset(out, 0, sizeof(*out));
    memset(&l, 0, sizeof(l));
    l.rs = out;
    l.diag = diag;
    for (i = 0; i < n_paths; i++) {
        struct stat st;

        if (stat(paths[i], &st) != 0) {
            diag_add(diag, "%s: cannot read: %s", paths[i], strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            load_dir(&l, paths[i]);
        } else {
            load_file(&l, paths[i]);
        }
    }
    for (i = 0; i < l.names_cap; i++) {
        free(l.names[i].name);
    }
    free(l.names);
    sbuf_free(&l.path);
    return diag->n == errs ? 0 : -1;
}

/* Free every rule, its compiled regexes and params, and the file list; rs is zeroed. */
void ruleset_free(struct ruleset *rs)
{
    size_t i;

    for (i = 0; i < rs->n; i++) {
        rule_clear(&rs->rules[i]);
    }
    free(rs->rules);
    for (i = 0; i < rs->n_files; i++) {
        free(rs->files[i]);
    }
    free(rs->files);
    memset(rs, 0, sizeof(*rs));
}

/* ---------------------------------------------------------------------------------------
 * Severity names
 */

/* Severity name to 1 (info) .. 5 (critical); 0 when unknown. */
int rule_severity_parse(const char *name)
{
    int i = find_name(severity_names, ARRAY_SIZE(severity_names), name);

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
        out->len = start + utf8_cut(out->buf + start, TITLE_MAX_BYTES);
        out->buf[out->len] = '\0';
    }
}
