/* SPDX-License-Identifier: MIT */
/*
 * Loading rule files: reading the .json files named or found in the directories
 * given (in name order), JSON syntax errors with line and column, the top level
 * of a file, the check that rule names are unique across all files, and freeing
 * a ruleset. Each rule is parsed by rule_parse.c; a rule with any error is left
 * out and loading goes on to report the others.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rule_int.h"

#define FILE_MAX_BYTES (16u << 20) /* largest rule file read */

/* A rule name seen during one load, for the uniqueness check. */
struct name_ent {
    char *name;       /* owned copy; NULL for an empty slot */
    const char *file; /* borrowed from the ruleset's file list */
    int index;        /* position in that file's "rules" array */
};

/* ---------------------------------------------------------------------------------------
 * Rule names and freeing rules
 */

/* Record a rule name; report it when another rule already has it (see rule_int.h). */
void rule_load_claim_name(struct rule_loader *l, const char *name, int index)
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
            rule_json_fail(l, "duplicate rule name \"%s\" (first defined in %s at $.rules[%d])",
                           name, e->file, e->index);
            return;
        }
        i = (i + 1) & (l->names_cap - 1);
    }
    e->name = xstrdup(name);
    e->file = l->file;
    e->index = index;
    l->n_names++;
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
            free(r->on[t][i].step);
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

/* Allowed members of an expected record in a test case. */
static const char *const expect_keys[] = {"transition", "rule",  "class", "title",
                                          "severity",   "count", "key",   "procedure",
                                          "status",     "flaps", "time"};

/* One element of a file's "tests" array. */
static void parse_test(struct rule_loader *l, fjson_object *o, struct rule_test *t)
{
    static const char *const keys[] = {"name", "year", "input", "expect"};
    fjson_object *v;
    size_t mark;
    size_t n;
    size_t i;

    if (!rule_json_want_type(l, o, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, o, keys, ARRAY_SIZE(keys));
    if (rule_json_need(l, o, "name", &v)) {
        mark = rule_json_path_key(l, "name");
        t->name = rule_json_dup_str(l, v);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(o, "year", &v)) {
        mark = rule_json_path_key(l, "year");
        if (rule_json_want_type(l, v, fjson_type_int, "an integer")) {
            int64_t y = fjson_object_get_int64(v);

            if (y < 1970 || y > 9999) {
                rule_json_fail(l, "%lld is not a year of 1970..9999", (long long)y);
            } else {
                t->year = (int)y;
            }
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "input", &v)) {
        mark = rule_json_path_key(l, "input");
        n = rule_json_want_array(l, v, 1);
        t->input = xcalloc(n + 1, sizeof(*t->input));
        for (i = 0; i < n; i++) {
            size_t m2 = rule_json_path_idx(l, i);
            char *line = rule_json_dup_str(l, fjson_object_array_get_idx(v, (int)i));

            if (line != NULL) {
                t->input[t->n_input++] = line;
            }
            rule_json_path_pop(l, m2);
        }
        rule_json_path_pop(l, mark);
    }
    if (rule_json_need(l, o, "expect", &v)) {
        mark = rule_json_path_key(l, "expect");
        n = rule_json_want_array(l, v, 0);
        for (i = 0; i < n; i++) {
            size_t m2 = rule_json_path_idx(l, i);
            fjson_object *e = fjson_object_array_get_idx(v, (int)i);

            if (rule_json_want_type(l, e, fjson_type_object, "an object")) {
                rule_json_check_keys(l, e, expect_keys, ARRAY_SIZE(expect_keys));
            }
            rule_json_path_pop(l, m2);
        }
        if (fjson_object_get_type(v) == fjson_type_array) {
            t->expect = fjson_object_get(v);
        }
        rule_json_path_pop(l, mark);
    }
}

static void test_clear(struct rule_test *t)
{
    size_t i;

    for (i = 0; i < t->n_input; i++) {
        free(t->input[i]);
    }
    free(t->input);
    free(t->name);
    free(t->file);
    if (t->expect != NULL) {
        fjson_object_put(t->expect);
    }
    memset(t, 0, sizeof(*t));
}

/* A file's "tests" array: the good cases are kept in the ruleset. */
static void parse_tests(struct rule_loader *l, fjson_object *tests)
{
    size_t n = rule_json_want_array(l, tests, 0);
    size_t i;

    for (i = 0; i < n; i++) {
        size_t mark = rule_json_path_idx(l, i);
        size_t errs = l->diag->n;
        struct rule_test t;

        memset(&t, 0, sizeof(t));
        t.index = (int)i;
        parse_test(l, fjson_object_array_get_idx(tests, (int)i), &t);
        if (l->diag->n == errs) {
            t.file = xstrdup(l->file);
            l->rs->tests = xrealloc(l->rs->tests, (l->rs->n_tests + 1) * sizeof(t));
            l->rs->tests[l->rs->n_tests++] = t;
        } else {
            test_clear(&t);
        }
        rule_json_path_pop(l, mark);
    }
}

/* Parse the top level of one file and append its good rules to the ruleset. */
static void parse_top(struct rule_loader *l, fjson_object *root)
{
    static const char *const keys[] = {"$schema", "rules", "tests"};
    fjson_object *rules;
    fjson_object *v;
    size_t mark;
    size_t n;
    size_t i;

    if (!rule_json_want_type(l, root, fjson_type_object, "an object")) {
        return;
    }
    rule_json_check_keys(l, root, keys, ARRAY_SIZE(keys));
    if (rule_json_member(root, "$schema", &v)) {
        mark = rule_json_path_key(l, "$schema");
        (void)rule_json_want_str(l, v);
        rule_json_path_pop(l, mark);
    }
    if (rule_json_member(root, "tests", &v)) {
        mark = rule_json_path_key(l, "tests");
        parse_tests(l, v);
        rule_json_path_pop(l, mark);
    }
    if (!rule_json_need(l, root, "rules", &rules)) {
        return;
    }
    mark = rule_json_path_key(l, "rules");
    n = rule_json_want_array(l, rules, 0);
    for (i = 0; i < n; i++) {
        size_t m2 = rule_json_path_idx(l, i);
        size_t errs = l->diag->n;
        struct rule r;

        memset(&r, 0, sizeof(r));
        r.index = (int)i;
        rule_parse_rule(l, fjson_object_array_get_idx(rules, (int)i), &r);
        if (l->diag->n == errs) {
            r.file = xstrdup(l->file);
            l->rs->rules = xrealloc(l->rs->rules, (l->rs->n + 1) * sizeof(*l->rs->rules));
            l->rs->rules[l->rs->n++] = r;
        } else if (r.plugin != NULL) {
            /* Never run, but kept so that lint can also check its plugin and params. */
            r.file = xstrdup(l->file);
            l->rs->broken = xrealloc(l->rs->broken, (l->rs->n_broken + 1) * sizeof(r));
            l->rs->broken[l->rs->n_broken++] = r;
        } else {
            rule_clear(&r);
        }
        rule_json_path_pop(l, m2);
    }
    rule_json_path_pop(l, mark);
}

static void syntax_error(struct rule_loader *l, const char *text, size_t off, const char *reason)
{
    size_t line, col;

    text_line_col(text, off, &line, &col);
    diag_add(l->diag, "%s:%zu:%zu: JSON syntax error: %s", l->file, line, col, reason);
}

static void load_file(struct rule_loader *l, const char *file)
{
    const char *desc = NULL;
    size_t off = 0;
    fjson_object *root;
    const char *nul;
    size_t len;
    char *text;

    errno = 0;
    text = file_read_all(file, FILE_MAX_BYTES, &len);
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
    if (rule_json_parse_strict(text, len, &root, &off, &desc) != 0) {
        syntax_error(l, text, off, desc);
        goto out_free_text;
    }
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

static void load_dir(struct rule_loader *l, const char *dir)
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
    struct rule_loader l;
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
    for (i = 0; i < rs->n_broken; i++) {
        rule_clear(&rs->broken[i]);
    }
    free(rs->broken);
    for (i = 0; i < rs->n_tests; i++) {
        test_clear(&rs->tests[i]);
    }
    free(rs->tests);
    for (i = 0; i < rs->n_files; i++) {
        free(rs->files[i]);
    }
    free(rs->files);
    memset(rs, 0, sizeof(*rs));
}
