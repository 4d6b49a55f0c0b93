/* SPDX-License-Identifier: MIT */
/*
 * Normalization suite: the shipped templates' samples, selection by program and
 * code, hostile bytes in messages, later files overriding by name, and the
 * error texts of broken template files.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "normalize.h"
#include "syslog.h"

static struct normalizer *load(const char *path, struct diag *diag, int *n_err)
{
    const char *paths[] = {path};

    return normalize_load(paths, 1, diag, n_err);
}

static struct vg_event *run(const struct normalizer *nz, const char *line, size_t len, int *hit)
{
    struct syslog_opts o = {.recv_ms = 1772500000000LL};
    struct vg_event *ev = event_new();

    syslog_parse(line, len, &o, ev);
    *hit = normalize_event(nz, ev);
    return ev;
}

static void test_shipped_samples(void)
{
    struct diag diag = {0};
    size_t n = 0;
    int n_err;
    struct normalizer *nz = load(VG_SOURCE_DIR "/rules/normalize", &diag, &n_err);
    size_t i;

    CU_ASSERT_EQUAL(n_err, 0);
    CU_ASSERT_TRUE(normalize_count(nz) >= 5);
    CU_ASSERT_EQUAL(normalize_check_samples(nz, &diag, &n), 0);
    CU_ASSERT_TRUE(n >= 10);
    for (i = 0; i < diag.n; i++) {
        fprintf(stderr, "\n%s", diag.msgs[i]);
    }
    diag_free(&diag);
    normalize_free(nz);
}

static void test_hostile_bytes_still_recognized(void)
{
    struct diag diag = {0};
    int n_err;
    int hit;
    struct normalizer *nz = load(VG_SOURCE_DIR "/rules/normalize", &diag, &n_err);
    /* A user name of invalid UTF-8 and an embedded NUL must not hide a failure. */
    static const char line[] =
        "<38>Mar  3 10:12:01 web01 sshd[1]: Failed password for \xff\xfe\x00x from 203.0.113.9 "
        "port 22 ssh2";
    struct vg_event *ev = run(nz, line, sizeof(line) - 1, &hit);
    struct sbuf json = {0};

    CU_ASSERT_TRUE(hit);
    CU_ASSERT_STRING_EQUAL(event_get(ev, "event.action").ptr, "ssh.auth_failed");
    CU_ASSERT_STRING_EQUAL(event_get(ev, "source.ip").ptr, "203.0.113.9");
    event_to_json(ev, &json);
    /* The JSON is valid UTF-8: invalid bytes are U+FFFD, the NUL is escaped. */
    CU_ASSERT_PTR_NOT_NULL(strstr(json.buf, "\"name\":\"\\ufffd\\ufffd\\u0000x\""));
    sbuf_free(&json);
    event_unref(ev);
    normalize_free(nz);
    diag_free(&diag);
}

static void test_selection(void)
{
    struct diag diag = {0};
    int n_err;
    int hit;
    struct normalizer *nz = load(VG_SOURCE_DIR "/rules/normalize", &diag, &n_err);
    static const char other_prog[] =
        "<38>Mar  3 10:12:01 web01 cron[1]: Failed password for root from 203.0.113.9 port 2 ssh2";
    static const char spaced[] =
        "<38>Mar  3 10:12:01 web01 sshd[1]:  Failed password for root from 10.0.0.1 port 2 ssh2";
    struct vg_event *ev = run(nz, other_prog, sizeof(other_prog) - 1, &hit);

    CU_ASSERT_FALSE(hit); /* the sshd template is never tried on cron's lines */
    CU_ASSERT_PTR_NULL(event_get(ev, "event.action").ptr);
    event_unref(ev);
    ev = run(nz, spaced, sizeof(spaced) - 1, &hit);
    CU_ASSERT_TRUE(hit); /* leading blanks, as relays leave them, are skipped */
    event_unref(ev);
    normalize_free(nz);
    diag_free(&diag);
}

static void test_override_by_name(void)
{
    const char *paths[] = {VG_SOURCE_DIR "/rules/normalize",
                           VG_TEST_DATA "/normalize/override.json"};
    struct diag diag = {0};
    int n_err;
    int hit;
    struct normalizer *nz = normalize_load(paths, 2, &diag, &n_err);
    static const char line[] =
        "<38>Mar  3 10:12:01 web01 sshd[1]: Failed password for root from 10.0.0.1 port 2 ssh2";
    struct vg_event *ev = run(nz, line, sizeof(line) - 1, &hit);

    CU_ASSERT_EQUAL(n_err, 0);
    CU_ASSERT_TRUE(hit);
    CU_ASSERT_STRING_EQUAL(event_get(ev, "event.action").ptr, "test.overridden");
    event_unref(ev);
    normalize_free(nz);
    diag_free(&diag);
}

static void test_broken_file(void)
{
    struct diag diag = {0};
    int n_err;
    struct normalizer *nz = load(VG_TEST_DATA "/normalize/broken.json", &diag, &n_err);
    const char *f = VG_TEST_DATA "/normalize/broken.json";
    char want[512];
    size_t i;
    int found;

    CU_ASSERT_EQUAL(n_err, 4);
    CU_ASSERT_EQUAL(normalize_count(nz), 0);
    snprintf(want, sizeof(want),
             "%s: $.templates[0].pattern: cannot compile: missing closing parenthesis at offset 9",
             f);
    for (found = 0, i = 0; i < diag.n; i++) {
        found |= strcmp(diag.msgs[i], want) == 0;
    }
    CU_ASSERT_TRUE(found);
    snprintf(want, sizeof(want), "%s: $.templates[1]: needs \"program\" or \"code\"", f);
    for (found = 0, i = 0; i < diag.n; i++) {
        found |= strncmp(diag.msgs[i], want, strlen(want)) == 0;
    }
    CU_ASSERT_TRUE(found);
    snprintf(want, sizeof(want), "%s: $.templates[2].typo: unknown key", f);
    for (found = 0, i = 0; i < diag.n; i++) {
        found |= strcmp(diag.msgs[i], want) == 0;
    }
    CU_ASSERT_TRUE(found);
    snprintf(want, sizeof(want), "%s: $.templates[2].fields.event.action: must be a string", f);
    for (found = 0, i = 0; i < diag.n; i++) {
        found |= strcmp(diag.msgs[i], want) == 0;
    }
    CU_ASSERT_TRUE(found);
    normalize_free(nz);
    diag_free(&diag);
}

void suite_normalize(void);
void suite_normalize(void)
{
    CU_pSuite s = CU_add_suite("normalize", NULL, NULL);

    CU_add_test(s, "shipped_samples", test_shipped_samples);
    CU_add_test(s, "hostile_bytes_still_recognized", test_hostile_bytes_still_recognized);
    CU_add_test(s, "selection", test_selection);
    CU_add_test(s, "override_by_name", test_override_by_name);
    CU_add_test(s, "broken_file", test_broken_file);
}
