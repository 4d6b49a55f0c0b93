/* SPDX-License-Identifier: MIT */
/*
 * One rule object of a rule file into a struct rule: name, plugin, description,
 * the match (event.action list and "where" conditions, regexes compiled here in
 * byte mode), the key fields, params, the incident block (title references,
 * severity, class, procedure) and the actions per transition. Every error is
 * reported at its JSON path through rule_json.c.
 */
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

#define NAME_MAX_LEN 64 /* bytes of a rule name */

/* clang-format off */
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

static pcre2_code *compile_regex(struct rule_loader *l, const char *pattern)
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
        rule_json_fail(l, "cannot compile: %s at offset %zu", (const char *)msg, (size_t)off);
        return NULL;
    }
    /* Without JIT support pcre2_match runs the interpreter, under the same limits. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

static void parse_in(struct rule_loader *l, fjson_object *v, struct rule_cond *c)
{
    size_t n = rule_json_want_array(l, v, 1);
    size_t i;

    if (n == 0) {
        return;
    }
    c->list = xcalloc(n, sizeof(*c->list));
    c->n_list = n;
    for (i = 0; i < n; i++) {
        size_t mark = rule_json_path_idx(l, i);

        c->list[i] = rule_json_dup_scalar(l, fjson_object_array_get_idx(v, (int)i));
        rule_json_path_pop(l, mark);
    }
}

static void parse_cidr(struct rule_loader *l, fjson_object *v, struct rule_cond *c)
{
    char qb[QUOTE_BUF_BYTES];
    size_t n = 1;
    size_t i;

    if (!rule_json_is_type(v, fjson_type_string)) {
        if (!rule_json_is_type(v, fjson_type_array)) {
            rule_json_fail(l, "expected a string or an array, got %s", rule_json_type_name(v));
            return;
        }
        n = rule_json_want_array(l, v, 1);
        if (n == 0) {
            return;
        }
    }
    c->cidrs = xcalloc(n, sizeof(*c->cidrs));
    c->n_cidrs = n;
    for (i = 0; i < n; i++) {
        fjson_object *e =
            rule_json_is_type(v, fjson_type_array) ? fjson_object_array_get_idx(v, (int)i) : v;
        size_t mark =
            rule_json_is_type(v, fjson_type_array) ? rule_json_path_idx(l, i) : l->path.len;
        const char *s = rule_json_want_str(l, e);

        if (s != NULL && cidr_parse(s, &c->cidrs[i]) != 0) {
            rule_json_fail(l, "cannot parse network %s (expected an address or address/prefix)",
                           rule_json_quote(qb, sizeof(qb), s));
        }
        rule_json_path_pop(l, mark);
    }
}

static void parse_cond(struct rule_loader *l, fjson_object *o, struct rule_cond *c)
{
    static const char *const keys[] = {"field", "not", "equals", "in", "regex", "cidr", "exists"};
    fjson_object *v;
    const char *s;
    size_t mark;
    size_t i;
    int op = 0;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "field", &v)) {
        mark = rule_json_path_key(l, "field");
        c->field = rule_json_dup_field(l, v);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "not", &v)) {
        mark = rule_json_path_key(l, "not");
        if (rule_json_want_type(l, v, fjson_type_boolean, "a boolean")) {
            c->negate = fjson_object_get_boolean(v) ? 1 : 0;
        }
        rule_json_path_pop(l, mark);
    }
    for (i = 0; i < ARRAY_SIZE(op_names); i++) {
        if (!rule_json_member(o, op_names[i], &v)) {
            continue;
        }
        if (op != 0) {
            rule_json_fail(
                l,
                "has both \"%s\" and \"%s\": needs exactly one of equals, in, regex, cidr, exists",
                op_names[op - 1], op_names[i]);
            continue;
        }
        op = (int)i + 1;
    }
    if (op == 0) {
        rule_json_fail(l, "needs one of equals, in, regex, cidr, exists");
        return;
    }
    c->op = (enum cond_op)op;
    rule_json_member(o, op_names[op - 1], &v);
    mark = rule_json_path_key(l, op_names[op - 1]);
    switch (c->op) {
    case COND_EQUALS:
        c->value = rule_json_dup_scalar(l, v);
        break;
    case COND_IN:
        parse_in(l, v, c);
        break;
    case COND_REGEX:
        s = rule_json_want_str(l, v);
        if (s != NULL) {
            c->re = compile_regex(l, s);
        }
        break;
    case COND_CIDR:
        parse_cidr(l, v, c);
        break;
    case COND_EXISTS:
        if (rule_json_want_type(l, v, fjson_type_boolean, "a boolean")) {
            c->exists = fjson_object_get_boolean(v) ? 1 : 0;
        }
        break;
    }
    rule_json_path_pop(l, mark);
}

static void parse_match(struct rule_loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"event.action", "where"};
    fjson_object *v;
    size_t mark;
    size_t n;
    size_t i;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "event.action", &v)) {
        mark = rule_json_path_key(l, "event.action");
        n = rule_json_want_array(l, v, 1);
        if (n > 0) {
            r->actions = xcalloc(n, sizeof(*r->actions));
            r->n_actions = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = rule_json_path_idx(l, i);
            const char *s = rule_json_want_str(l, fjson_object_array_get_idx(v, (int)i));

            if (s != NULL && !valid_word(s)) {
                char qb[QUOTE_BUF_BYTES];

                rule_json_fail(l, "%s is not a valid event.action (printable ASCII without spaces)",
                               rule_json_quote(qb, sizeof(qb), s));
            } else if (s != NULL) {
                r->actions[i] = xstrdup(s);
            }
            rule_json_path_pop(l, m2);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "where", &v)) {
        mark = rule_json_path_key(l, "where");
        n = rule_json_want_array(l, v, 0);
        if (n > 0) {
            r->conds = xcalloc(n, sizeof(*r->conds));
            r->n_conds = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = rule_json_path_idx(l, i);

            parse_cond(l, fjson_object_array_get_idx(v, (int)i), &r->conds[i]);
            rule_json_path_pop(l, m2);
        }
        rule_json_path_pop(l, mark);
    }
}

static void parse_key(struct rule_loader *l, fjson_object *v, struct rule *r)
{
    size_t n = rule_json_want_array(l, v, 0);
    size_t i;

    if (n == 0) {
        return;
    }
    r->key = xcalloc(n, sizeof(*r->key));
    r->n_key = n;
    for (i = 0; i < n; i++) {
        size_t mark = rule_json_path_idx(l, i);

        r->key[i] = rule_json_dup_field(l, fjson_object_array_get_idx(v, (int)i));
        rule_json_path_pop(l, mark);
    }
}

/* Check the ${field} references of a title. */
static void check_title(struct rule_loader *l, const char *t)
{
    const char *p = t;
    char qb[QUOTE_BUF_BYTES];

    while ((p = strstr(p, "${")) != NULL) {
        const char *end = strchr(p + 2, '}');

        if (end == NULL) {
            rule_json_fail(l, "unclosed \"${\" at offset %zu", (size_t)(p - t));
            return;
        }
        if (!rule_json_valid_field(p + 2, (size_t)(end - p - 2))) {
            char *ref = xstrndup(p, (size_t)(end - p + 1));

            rule_json_fail(
                l,
                "invalid field reference %s at offset %zu (field names are one or more of "
                "A-Z a-z 0-9 _ . @ -)",
                rule_json_quote(qb, sizeof(qb), ref), (size_t)(p - t));
            free(ref);
        }
        p = end + 1;
    }
}

/* A duration member ("30s", "5m", or ms as a number) of obj into *out; 0 when absent. */
static void parse_duration(struct rule_loader *l, fjson_object *obj, const char *key, int64_t *out)
{
    char qb[QUOTE_BUF_BYTES];
    fjson_object *v;
    size_t mark;

    if (!rule_json_member(obj, key, &v)) {
        return;
    }
    mark = rule_json_path_key(l, key);
    if (rule_json_is_type(v, fjson_type_int) && fjson_object_get_int64(v) >= 0) {
        *out = fjson_object_get_int64(v);
    } else {
        const char *s = rule_json_want_str(l, v);

        int64_t ms = s != NULL ? time_parse_duration(s) : 0;

        if (s != NULL && ms < 0) {
            rule_json_fail(l,
                           "%s is not a duration (e.g. \"250ms\", \"30s\", \"5m\", \"2h\", \"1d\")",
                           rule_json_quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            *out = ms;
        }
    }
    rule_json_path_pop(l, mark);
}

/* incident.flap {count, window} and incident.escalate {after, severity}. */
static void parse_lifecycle(struct rule_loader *l, fjson_object *o, struct rule *r)
{
    static const char *const flap_keys[] = {"count", "window"};
    static const char *const esc_keys[] = {"after", "count", "severity"};
    char qb[QUOTE_BUF_BYTES];
    fjson_object *v;
    fjson_object *x;
    size_t mark;

    parse_duration(l, o, "hold_down", &r->hold_down_ms);
    if (rule_json_member(o, "flap", &v)) {
        mark = rule_json_path_key(l, "flap");
        if (rule_json_want_type(l, v, fjson_type_object, "an object")) {
            rule_json_check_keys(l, v, flap_keys, ARRAY_SIZE(flap_keys));
            if (rule_json_need(l, v, "count", &x)) {
                size_t m2 = rule_json_path_key(l, "count");

                if (!rule_json_is_type(x, fjson_type_int) || fjson_object_get_int64(x) < 2 ||
                    fjson_object_get_int64(x) > 1000) {
                    rule_json_fail(l, "must be an integer 2..1000");
                } else {
                    r->flap_count = (int)fjson_object_get_int64(x);
                }
                rule_json_path_pop(l, m2);
            }
            if (rule_json_need(l, v, "window", &x)) {
                parse_duration(l, v, "window", &r->flap_window_ms);
            }
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "escalate", &v)) {
        mark = rule_json_path_key(l, "escalate");
        if (rule_json_want_type(l, v, fjson_type_object, "an object")) {
            rule_json_check_keys(l, v, esc_keys, ARRAY_SIZE(esc_keys));
            parse_duration(l, v, "after", &r->escalate_after_ms);
            if (rule_json_member(v, "count", &x)) {
                size_t m2 = rule_json_path_key(l, "count");

                if (!rule_json_is_type(x, fjson_type_int) || fjson_object_get_int64(x) < 2) {
                    rule_json_fail(l, "must be an integer of at least 2");
                } else {
                    r->escalate_count = fjson_object_get_int64(x);
                }
                rule_json_path_pop(l, m2);
            }
            if (r->escalate_after_ms <= 0 && r->escalate_count == 0) {
                rule_json_fail(l, "needs \"after\" (a duration) or \"count\" (events), or both");
            }
            if (rule_json_need(l, v, "severity", &x)) {
                size_t m2 = rule_json_path_key(l, "severity");
                const char *s = rule_json_want_str(l, x);

                if (s != NULL) {
                    r->escalate_severity = rule_severity_parse(s);
                    if (r->escalate_severity == 0) {
                        rule_json_fail(l, "unknown severity %s",
                                       rule_json_quote(qb, sizeof(qb), s));
                    }
                }
                rule_json_path_pop(l, m2);
            }
        }
        rule_json_path_pop(l, mark);
    }
}

static void parse_incident(struct rule_loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"title",     "severity", "class",   "procedure",
                                       "hold_down", "flap",     "escalate"};
    char qb[QUOTE_BUF_BYTES];
    fjson_object *v;
    const char *s;
    size_t mark;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "title", &v)) {
        mark = rule_json_path_key(l, "title");
        r->title = rule_json_dup_str(l, v);
        if (r->title != NULL) {
            check_title(l, r->title);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "severity", &v)) {
        mark = rule_json_path_key(l, "severity");
        s = rule_json_want_str(l, v);
        if (s != NULL) {
            r->severity = rule_severity_parse(s);
            if (r->severity == 0) {
                rule_json_fail(l,
                               "unknown severity %s (expected info, low, medium, high or critical)",
                               rule_json_quote(qb, sizeof(qb), s));
            }
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "class", &v)) {
        mark = rule_json_path_key(l, "class");
        s = rule_json_want_str(l, v);
        if (s != NULL && rule_find_name(class_names, ARRAY_SIZE(class_names), s) < 0) {
            rule_json_fail(l,
                           "unknown class %s (expected hacker_attack, virus, sw_attack, database, "
                           "wan_outage, lan_outage, device_failure or generic)",
                           rule_json_quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->incident_class = xstrdup(s);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "procedure", &v)) {
        mark = rule_json_path_key(l, "procedure");
        s = rule_json_want_str(l, v);
        if (s != NULL && !valid_procedure(s)) {
            rule_json_fail(l, "%s is not a procedure section (5.N, 5.N.N, 5.N.N.N, or \"-\")",
                           rule_json_quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->procedure = xstrdup(s);
        }
        rule_json_path_pop(l, mark);
    }
    parse_lifecycle(l, o, r);
}

/* An action's "rate_limit": {"count": N, "per": DURATION}. */
static void parse_rate_limit(struct rule_loader *l, fjson_object *o, struct rule_action *a)
{
    static const char *const keys[] = {"count", "per"};
    fjson_object *v;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "count", &v)) {
        size_t mark = rule_json_path_key(l, "count");

        if (!rule_json_is_type(v, fjson_type_int) || fjson_object_get_int64(v) < 1 ||
            fjson_object_get_int64(v) > 1000000) {
            rule_json_fail(l, "must be an integer from 1 to 1000000");
        } else {
            a->rate_count = (int)fjson_object_get_int64(v);
        }
        rule_json_path_pop(l, mark);
    }
    a->rate_per_ms = 60000;
    parse_duration(l, o, "per", &a->rate_per_ms);
    if (a->rate_per_ms <= 0) {
        rule_json_fail(l, "\"per\" must be longer than 0");
    }
}

static void parse_action(struct rule_loader *l, fjson_object *o, struct rule_action *a)
{
    static const char *const keys[] = {"plugin",  "params",     "step", "timeout",
                                       "retries", "rate_limit", "undo", "min_severity"};
    char qb[QUOTE_BUF_BYTES];
    fjson_object *v;

    a->retries = -1;
    a->undo = 1;
    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "plugin", &v)) {
        size_t mark = rule_json_path_key(l, "plugin");

        a->plugin = rule_json_dup_plugin(l, v);
        rule_json_path_pop(l, mark);
    }
    a->params = rule_json_get_params(l, o);
    if (rule_json_member(o, "step", &v)) {
        size_t mark = rule_json_path_key(l, "step");
        const char *s = rule_json_want_str(l, v);
        const char *dot = s != NULL ? strrchr(s, '.') : NULL;

        /* A step is a full step number: 5.N.N.N. */
        if (s != NULL && (!valid_procedure(s) || dot == NULL || strchr(s, '.') == dot ||
                          strchr(strchr(s, '.') + 1, '.') == dot)) {
            rule_json_fail(l, "%s is not a playbook step (5.N.N.N, e.g. \"5.2.1.1\")",
                           rule_json_quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            a->step = xstrdup(s);
        }
        rule_json_path_pop(l, mark);
    }
    parse_duration(l, o, "timeout", &a->timeout_ms);
    if (rule_json_member(o, "retries", &v)) {
        size_t mark = rule_json_path_key(l, "retries");

        if (!rule_json_is_type(v, fjson_type_int) || fjson_object_get_int64(v) < 0 ||
            fjson_object_get_int64(v) > 20) {
            rule_json_fail(l, "must be an integer from 0 to 20");
        } else {
            a->retries = (int)fjson_object_get_int64(v);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "rate_limit", &v)) {
        size_t mark = rule_json_path_key(l, "rate_limit");

        parse_rate_limit(l, v, a);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "undo", &v)) {
        size_t mark = rule_json_path_key(l, "undo");

        if (!rule_json_is_type(v, fjson_type_boolean)) {
            rule_json_fail(l, "must be true or false");
        } else {
            a->undo = fjson_object_get_boolean(v) ? 1 : 0;
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "min_severity", &v)) {
        size_t mark = rule_json_path_key(l, "min_severity");
        const char *s = rule_json_want_str(l, v);

        if (s != NULL) {
            a->min_severity = rule_severity_parse(s);
            if (a->min_severity == 0) {
                rule_json_fail(l, "unknown severity %s (info, low, medium, high or critical)",
                               rule_json_quote(qb, sizeof(qb), s));
            }
        }
        rule_json_path_pop(l, mark);
    }
}

static void parse_actions(struct rule_loader *l, fjson_object *o, struct rule *r)
{
    size_t t;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, transition_names, RULE_N_TRANSITIONS);
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        fjson_object *v;
        size_t mark;
        size_t n;
        size_t i;

        if (!rule_json_member(o, transition_names[t], &v)) {
            continue;
        }
        mark = rule_json_path_key(l, transition_names[t]);
        n = rule_json_want_array(l, v, 0);
        if (n > 0) {
            r->on[t] = xcalloc(n, sizeof(*r->on[t]));
            r->n_on[t] = n;
        }
        for (i = 0; i < n; i++) {
            size_t m2 = rule_json_path_idx(l, i);

            r->on[t][i].transition = (int)t;
            r->on[t][i].index = i;
            parse_action(l, fjson_object_array_get_idx(v, (int)i), &r->on[t][i]);
            rule_json_path_pop(l, m2);
        }
        rule_json_path_pop(l, mark);
    }
}

/* One element of a file's "rules" array (see rule_int.h). */
void rule_parse_rule(struct rule_loader *l, fjson_object *o, struct rule *r)
{
    static const char *const keys[] = {"name", "plugin", "description", "match",
                                       "key",  "params", "incident",    "actions"};
    fjson_object *v;
    size_t mark;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "name", &v)) {
        const char *s;

        mark = rule_json_path_key(l, "name");
        s = rule_json_want_str(l, v);
        if (s != NULL && (strlen(s) == 0 || strlen(s) > NAME_MAX_LEN ||
                          !rule_json_chars_in(s, strlen(s), "_.-"))) {
            char qb[QUOTE_BUF_BYTES];

            rule_json_fail(l, "%s is not a valid rule name (1 to 64 of A-Z a-z 0-9 _ . -)",
                           rule_json_quote(qb, sizeof(qb), s));
        } else if (s != NULL) {
            r->name = xstrdup(s);
            rule_load_claim_name(l, s, r->index);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "plugin", &v)) {
        mark = rule_json_path_key(l, "plugin");
        r->plugin = rule_json_dup_plugin(l, v);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "description", &v)) {
        mark = rule_json_path_key(l, "description");
        r->description = rule_json_dup_str(l, v);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "match", &v)) {
        mark = rule_json_path_key(l, "match");
        parse_match(l, v, r);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "key", &v)) {
        mark = rule_json_path_key(l, "key");
        parse_key(l, v, r);
        rule_json_path_pop(l, mark);
    }
    r->params = rule_json_get_params(l, o);
    if (rule_json_need(l, o, "incident", &v)) {
        mark = rule_json_path_key(l, "incident");
        parse_incident(l, v, r);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "actions", &v)) {
        mark = rule_json_path_key(l, "actions");
        parse_actions(l, v, r);
        rule_json_path_pop(l, mark);
    }
}
