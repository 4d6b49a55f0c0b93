/* SPDX-License-Identifier: MIT */
/*
 * Checked access to the JSON of a rule file. Every accessor tests what it reads
 * (type, NUL bytes, allowed keys, name syntax) and reports a failure at the JSON
 * path being read ("FILE: $.rules[3].match.where[0].field: reason"), so the
 * loader can go on and find every error in one pass. The path lives in the
 * struct rule_loader; callers push a key or an index before reading and pop it after.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rule_int.h"

#define PLUGIN_MAX_LEN  32 /* bytes of a plugin name */
#define QUOTE_MAX_BYTES 48 /* bytes of a user value quoted in a message */

/* ---------------------------------------------------------------------------------------
 * Messages and JSON paths
 */

/* Add "FILE: PATH: message" to the diagnostics (see rule_int.h). */
void rule_json_fail(struct rule_loader *l, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_add(l->diag, "%s: %s: %s", l->file, l->path.buf, msg);
}

/* Quote s as a JSON string for a message, cut to QUOTE_MAX_BYTES; returns buf. */
const char *rule_json_quote(char *buf, size_t size, const char *s)
{
    struct sbuf b = {0};
    size_t len = strlen(s);
    size_t cut = len > QUOTE_MAX_BYTES ? rule_utf8_cut(s, QUOTE_MAX_BYTES) : len;

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
size_t rule_json_path_key(struct rule_loader *l, const char *key)
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

/* Append "[i]" to the path; returns the old length. */
size_t rule_json_path_idx(struct rule_loader *l, size_t i)
{
    size_t old = l->path.len;

    sbuf_printf(&l->path, "[%zu]", i);
    return old;
}

/* Cut the path back to a length returned by rule_json_path_key or _idx. */
void rule_json_path_pop(struct rule_loader *l, size_t len)
{
    l->path.len = len;
    l->path.buf[len] = '\0';
}

/* ---------------------------------------------------------------------------------------
 * JSON value checks; each reports its error at the current path
 */

/* The type of v as a message names it ("a string", "an object", ...). */
const char *rule_json_type_name(fjson_object *v)
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

/* True when v is not NULL and of type t. */
int rule_json_is_type(fjson_object *v, enum fjson_type t)
{
    return v != NULL && fjson_object_get_type(v) == t;
}

/* True when v has type t, else 0 after an error naming both types. */
int rule_json_want_type(struct rule_loader *l, fjson_object *v, enum fjson_type t, const char *what)
{
    if (rule_json_is_type(v, t)) {
        return 1;
    }
    rule_json_fail(l, "expected %s, got %s", what, rule_json_type_name(v));
    return 0;
}

/* The string of v, or NULL after an error when v is not a string without NUL characters. */
const char *rule_json_want_str(struct rule_loader *l, fjson_object *v)
{
    const char *s;

    if (!rule_json_want_type(l, v, fjson_type_string, "a string")) {
        return NULL;
    }
    s = fjson_object_get_string(v);
    if ((size_t)fjson_object_get_string_len(v) != strlen(s)) {
        rule_json_fail(l, "must not contain a NUL character");
        return NULL;
    }
    return s;
}

/* A non-empty array's length, or 0 after an error (also for an empty array when non_empty). */
size_t rule_json_want_array(struct rule_loader *l, fjson_object *v, int non_empty)
{
    size_t n;

    if (!rule_json_want_type(l, v, fjson_type_array, "an array")) {
        return 0;
    }
    n = (size_t)fjson_object_array_length(v);
    if (n == 0 && non_empty) {
        rule_json_fail(l, "must not be empty");
    }
    return n;
}

/* True when obj has key; *v is its value (NULL for a JSON null). */
int rule_json_member(fjson_object *obj, const char *key, fjson_object **v)
{
    *v = NULL;
    return fjson_object_object_get_ex(obj, key, v) ? 1 : 0;
}

/* True when obj has key (see rule_json_member), else 0 after an error. */
int rule_json_need(struct rule_loader *l, fjson_object *obj, const char *key, fjson_object **v)
{
    if (rule_json_member(obj, key, v)) {
        return 1;
    }
    rule_json_fail(l, "missing required key \"%s\"", key);
    return 0;
}

/* Report each key of obj that is not in allowed. */
void rule_json_check_keys(struct rule_loader *l, fjson_object *obj, const char *const *allowed,
                          size_t n)
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
            rule_json_fail(l, "unknown key %s", rule_json_quote(qb, sizeof(qb), name));
        }
    }
}

/* True when each byte of s[0..len) is an ASCII letter, a digit or in extra. */
int rule_json_chars_in(const char *s, size_t len, const char *extra)
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

/* True for a dotted field name: one or more of A-Z a-z 0-9 _ . @ -. */
int rule_json_valid_field(const char *s, size_t len)
{
    return len > 0 && rule_json_chars_in(s, len, "_.@-");
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

/* A copy of v's string when it is a string, else NULL after an error. */
char *rule_json_dup_str(struct rule_loader *l, fjson_object *v)
{
    const char *s = rule_json_want_str(l, v);

    return s != NULL ? xstrdup(s) : NULL;
}

/* A copy of a dotted field name, or NULL after an error. */
char *rule_json_dup_field(struct rule_loader *l, fjson_object *v)
{
    const char *s = rule_json_want_str(l, v);

    if (s == NULL) {
        return NULL;
    }
    if (!rule_json_valid_field(s, strlen(s))) {
        char qb[QUOTE_BUF_BYTES];

        rule_json_fail(l, "%s is not a valid field name (one or more of A-Z a-z 0-9 _ . @ -)",
                       rule_json_quote(qb, sizeof(qb), s));
        return NULL;
    }
    return xstrdup(s);
}

/* A copy of a plugin name, or NULL after an error. */
char *rule_json_dup_plugin(struct rule_loader *l, fjson_object *v)
{
    const char *s = rule_json_want_str(l, v);

    if (s == NULL) {
        return NULL;
    }
    if (!valid_plugin(s)) {
        char qb[QUOTE_BUF_BYTES];

        rule_json_fail(l, "%s is not a valid plugin name (1 to 32 of a-z 0-9 _)",
                       rule_json_quote(qb, sizeof(qb), s));
        return NULL;
    }
    return xstrdup(s);
}

/* The text an event would hold for a string or number value, or NULL after an error. */
char *rule_json_dup_scalar(struct rule_loader *l, fjson_object *v)
{
    if (rule_json_is_type(v, fjson_type_int)) {
        char num[32];

        snprintf(num, sizeof(num), "%" PRId64, fjson_object_get_int64(v));
        return xstrdup(num);
    }
    if (rule_json_is_type(v, fjson_type_double)) {
        return xstrdup(fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN));
    }
    if (rule_json_is_type(v, fjson_type_string)) {
        return rule_json_dup_str(l, v);
    }
    rule_json_fail(l, "expected a string or a number, got %s", rule_json_type_name(v));
    return NULL;
}

/* A reference to a params object, or NULL (after an error unless it is absent). */
fjson_object *rule_json_get_params(struct rule_loader *l, fjson_object *obj)
{
    fjson_object *v;
    size_t mark;

    if (!rule_json_member(obj, "params", &v)) {
        return NULL;
    }
    mark = rule_json_path_key(l, "params");
    if (rule_json_want_type(l, v, fjson_type_object, "an object")) {
        fjson_object_get(v);
    } else {
        v = NULL;
    }
    rule_json_path_pop(l, mark);
    return v;
}

int rule_json_parse_strict(const char *text, size_t len, fjson_object **out, size_t *err_off,
                           const char **err_desc)
{
    struct fjson_tokener *tok = fjson_tokener_new();
    enum fjson_tokener_error jerr;

    if (tok == NULL) {
        log_msg(2, "out of memory creating a JSON tokener");
        abort();
    }
    fjson_tokener_set_flags(tok, FJSON_TOKENER_STRICT);
    /* The terminating NUL is passed too, so the tokener sees the end of the text. */
    *out = fjson_tokener_parse_ex(tok, text, (int)len + 1);
    jerr = fjson_tokener_get_error(tok);
    if (jerr != fjson_tokener_success) {
        size_t off = tok->char_offset < 0 ? 0 : (size_t)tok->char_offset;

        *err_off = off > len ? len : off;
        *err_desc = fjson_tokener_error_desc(jerr);
        if (*out != NULL) {
            fjson_object_put(*out);
            *out = NULL;
        }
        fjson_tokener_free(tok);
        return -1;
    }
    fjson_tokener_free(tok);
    return 0;
}
