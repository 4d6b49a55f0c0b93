/* SPDX-License-Identifier: MIT */
/*
 * Rule file test cases: replay the input through the file's rules (see
 * ruletest.h) and compare each lifecycle record with the expected one, member by
 * member: transition, rule, class, title, severity, count, procedure and the key.
 */
#include "ruletest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "session.h"

/* Where each member of an expected record is found in a record. */
static const struct {
    const char *name;  /* member of the expected object */
    const char *field; /* dotted field of the record */
} fields[] = {
    {"transition", "transition"},        {"rule", "rule.name"},
    {"class", "incident.class"},         {"title", "incident.title"},
    {"severity", "incident.severity"},   {"count", "incident.count"},
    {"procedure", "incident.procedure"}, {"status", "incident.status"},
    {"flaps", "incident.flaps"},         {"time", "@timestamp"},
};

/* Compare one record with one expected object; the first difference goes to why. */
static int compare(const struct vg_event *rec, fjson_object *want, char *why, size_t why_len)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(want);
    struct fjson_object_iterator end = fjson_object_iter_end(want);

    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);
        size_t i;

        if (strcmp(k, "key") == 0 && fjson_object_get_type(v) == fjson_type_object) {
            struct fjson_object_iterator kit = fjson_object_iter_begin(v);
            struct fjson_object_iterator kend = fjson_object_iter_end(v);

            for (; !fjson_object_iter_equal(&kit, &kend); fjson_object_iter_next(&kit)) {
                char f[512];
                const char *want_s = fjson_object_get_string(fjson_object_iter_peek_value(&kit));
                struct vg_str got;

                snprintf(f, sizeof(f), "incident.key.%s", fjson_object_iter_peek_name(&kit));
                got = event_get(rec, f);
                if (got.ptr == NULL || strcmp(got.ptr, want_s) != 0) {
                    snprintf(why, why_len, "%s is \"%s\", expected \"%s\"", f,
                             got.ptr ? got.ptr : "(absent)", want_s);
                    return -1;
                }
            }
            continue;
        }
        for (i = 0; i < ARRAY_SIZE(fields) && strcmp(fields[i].name, k) != 0; i++) {
        }
        if (i < ARRAY_SIZE(fields)) {
            const char *want_s = fjson_object_get_string(v);
            struct vg_str got = event_get(rec, fields[i].field);

            if (got.ptr == NULL || strcmp(got.ptr, want_s) != 0) {
                snprintf(why, why_len, "%s is \"%s\", expected \"%s\"", fields[i].field,
                         got.ptr ? got.ptr : "(absent)", want_s);
                return -1;
            }
        }
    }
    return 0;
}

/* Write the case's input into a new temporary file; its path goes to path. */
static int write_input(const struct rule_test *t, char *path, size_t path_len)
{
    FILE *f;
    size_t i;
    int fd;

    snprintf(path, path_len, "/tmp/vigil-ruletest.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(path);
        return -1;
    }
    for (i = 0; i < t->n_input; i++) {
        fputs(t->input[i], f);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int ruletest_run(const struct vg_config *c, const struct rule_test *t, struct diag *diag)
{
    struct session_opts so = {.prog = "vigilctl",
                              .replay = 1,
                              .year = t->year,
                              .rules_only = t->file,
                              .private_redis = 1};
    struct session ses;
    struct line_reader lr;
    char where[1200];
    char input[64];
    const char *line;
    size_t len;
    size_t got = 0;
    size_t want = fjson_object_array_length(t->expect);
    int truncated;
    int rc = -1;

    snprintf(where, sizeof(where), "%s: $.tests[%d] (%s)", t->file, t->index, t->name);
    so.records_out = tmpfile();
    if (so.records_out == NULL || write_input(t, input, sizeof(input)) != 0) {
        diag_add(diag, "%s: cannot create temporary files: %s", where, strerror(errno));
        if (so.records_out != NULL) {
            fclose(so.records_out);
        }
        return -1;
    }
    if (session_open(&ses, c, &so) != 0 || session_replay(&ses, input) != 0) {
        diag_add(diag, "%s: the replay failed (see the messages above)", where);
        session_close(&ses);
        goto out;
    }
    session_close(&ses);
    rewind(so.records_out);
    line_reader_init(&lr, so.records_out, 1 << 20);
    rc = 0;
    while (line_reader_next(&lr, &line, &len, &truncated) == 1) {
        char err[256];
        char why[1024];
        struct vg_event *rec = event_from_json(line, len, err, sizeof(err));

        if (rec == NULL) {
            continue;
        }
        if (got < want &&
            compare(rec, fjson_object_array_get_idx(t->expect, got), why, sizeof(why)) != 0) {
            diag_add(diag, "%s: record %zu: %s", where, got + 1, why);
            rc = -1;
        }
        got++;
        event_unref(rec);
    }
    line_reader_free(&lr);
    if (got != want) {
        diag_add(diag, "%s: gave %zu record(s), expected %zu", where, got, want);
        rc = -1;
    }
out:
    fclose(so.records_out);
    unlink(input);
    return rc;
}
