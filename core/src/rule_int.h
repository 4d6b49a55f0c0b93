/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the pieces of the rule subsystem: rule_load.c (files,
 * directories, the top level of a file, rule names, freeing), rule_parse.c (one
 * rule object into a struct rule), rule_json.c (checked access to JSON values,
 * each error reported at its file and JSON path) and rule.c (matching, keys,
 * titles, severity names). Not for use outside those files.
 */
#ifndef VG_CORE_RULE_INT_H
#define VG_CORE_RULE_INT_H

#include <stddef.h>

#include "rule.h"
#include "util.h"

#define QUOTE_BUF_BYTES 320 /* room for one value quoted by rule_json_quote */

struct name_ent;

/* State of one ruleset_load call, shared by the loader, the rule parser and the JSON checks. */
struct rule_loader {
    struct ruleset *rs;     /* where rules and file names go */
    struct diag *diag;      /* where errors go */
    struct name_ent *names; /* open-addressing table of rule names seen (rule_load.c) */
    size_t names_cap;       /* slots in names (a power of two, or 0) */
    size_t n_names;         /* used slots in names */
    const char *file;       /* file being read, for messages */
    struct sbuf path;       /* JSON path of the value being checked */
};

/* ---- rule.c ---- */

/*
 * Length of the longest prefix of s[0..len) that does not end inside a UTF-8
 * sequence (len itself when s is not UTF-8 there). Pure; any thread.
 */
size_t rule_utf8_cut(const char *s, size_t len);

/* Index of s in names[0..n), or -1. */
int rule_find_name(const char *const *names, size_t n, const char *s);

/* ---- rule_load.c ---- */

/*
 * Record a rule name seen at $.rules[index] of l->file; when another rule
 * already has it, report both locations at the current path instead.
 */
void rule_load_claim_name(struct rule_loader *l, const char *name, int index);

/* ---- rule_parse.c ---- */

/*
 * Parse one element of a file's "rules" array into r (zeroed by the caller, with
 * r->index set), reporting every error at the JSON path in l->path. r may be
 * partly filled whether or not errors were found; the caller frees it.
 */
void rule_parse_rule(struct rule_loader *l, fjson_object *o, struct rule *r);

/* ---- rule_json.c: each function reports its error at l->file and l->path ---- */

/* Add "FILE: PATH: message" to l->diag. */
void rule_json_fail(struct rule_loader *l, const char *fmt, ...) UTIL_PRINTF(2, 3);

/*
 * Quote s as a JSON string for a message, cut to 48 bytes at a UTF-8 boundary
 * with "..." marking the cut; writes at most size bytes to buf and returns buf.
 */
const char *rule_json_quote(char *buf, size_t size, const char *s);

/*
 * Append a member to the path (.key, or ["key"] when key is not an identifier)
 * or an array index ([i]); both return the old length for rule_json_path_pop.
 */
size_t rule_json_path_key(struct rule_loader *l, const char *key);
size_t rule_json_path_idx(struct rule_loader *l, size_t i);
/* Cut the path back to len bytes, as returned by rule_json_path_key/_idx. */
void rule_json_path_pop(struct rule_loader *l, size_t len);

/* "a string", "an object", ... for messages; "null" for NULL. */
const char *rule_json_type_name(fjson_object *v);
/* True when v is not NULL and of type t. */
int rule_json_is_type(fjson_object *v, enum fjson_type t);
/* True when v has type t, else 0 after "expected WHAT, got TYPE". */
int rule_json_want_type(struct rule_loader *l, fjson_object *v, enum fjson_type t,
                        const char *what);
/* The string of v (borrowed), or NULL after an error when v is not a string without NULs. */
const char *rule_json_want_str(struct rule_loader *l, fjson_object *v);
/* An array's length, or 0 after an error (also for an empty array when non_empty). */
size_t rule_json_want_array(struct rule_loader *l, fjson_object *v, int non_empty);
/* True when obj has key; *v is its value (NULL for a JSON null). Reports nothing. */
int rule_json_member(fjson_object *obj, const char *key, fjson_object **v);
/* rule_json_member, or 0 after "missing required key". */
int rule_json_need(struct rule_loader *l, fjson_object *obj, const char *key, fjson_object **v);
/* Report each key of obj that is not one of allowed[0..n). */
void rule_json_check_keys(struct rule_loader *l, fjson_object *obj, const char *const *allowed,
                          size_t n);

/* True when each of s[0..len) is an ASCII letter, a digit or one of extra. */
int rule_json_chars_in(const char *s, size_t len, const char *extra);
/* True for a dotted field name: one or more of A-Z a-z 0-9 _ . @ -. */
int rule_json_valid_field(const char *s, size_t len);

/* The checked copies below are allocated with xstrdup (the caller frees) or NULL after an error. */
/* A copy of a string. */
char *rule_json_dup_str(struct rule_loader *l, fjson_object *v);
/* A copy of a dotted field name. */
char *rule_json_dup_field(struct rule_loader *l, fjson_object *v);
/* A copy of a plugin name (1 to 32 of a-z 0-9 _). */
char *rule_json_dup_plugin(struct rule_loader *l, fjson_object *v);
/* The text an event would hold for a string or number value. */
char *rule_json_dup_scalar(struct rule_loader *l, fjson_object *v);

/*
 * A new reference to obj's "params" object (the caller puts it), or NULL: absent,
 * or after an error when it is not an object.
 */
fjson_object *rule_json_get_params(struct rule_loader *l, fjson_object *obj);

/*
 * Parse text (len bytes, NUL-terminated, no NUL inside) as one strict JSON
 * value into *out (NULL for the value null). Returns 0, or -1 with the byte
 * offset and a description of the syntax error.
 */
int rule_json_parse_strict(const char *text, size_t len, fjson_object **out, size_t *err_off,
                           const char **err_desc);

#endif /* VG_CORE_RULE_INT_H */
