/* SPDX-License-Identifier: MIT */
/*
 * Loader suite: the well-behaved test plugin loads and its options are parsed
 * with defaults and errors; each deliberately broken plugin is refused with a
 * sentence naming the file; permission checks refuse writable files and dirs.
 */
#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader.h"
#include "testutil.h"

static char *plugin_path(const char *name)
{
    return xasprintf("%s/vg_test_%s.so", VG_TEST_PLUGIN_DIR, name);
}

static void expect_refusal(const char *name, const char *phrase)
{
    struct loader ld = {0};
    char err[1024] = "";
    char *p = plugin_path(name);

    CU_ASSERT_EQUAL(loader_load_file(&ld, p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
    if (strstr(err, phrase) == NULL) {
        fprintf(stderr, "\nunexpected refusal text: %s\n", err);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err, phrase));
    CU_ASSERT_EQUAL(ld.n, 0);
    loader_free(&ld);
    free(p);
}

static void test_broken_plugins(void)
{
    expect_refusal("bad_major", "built for plugin ABI 2.0");
    expect_refusal("no_entry", "no vg_plugin_entry symbol");
    expect_refusal("refuses_host", "refused this vigild's plugin ABI");
    expect_refusal("truncated", "shorter than ABI 1.0");
    expect_refusal("does_not_exist", "No such file");
    expect_refusal("bad_option", "option far lies outside its config block (offset 4096");
}

static void test_good_plugin_and_options(void)
{
    struct loader ld = {0};
    struct diag diag = {0};
    char err[1024] = "";
    char *p = plugin_path("good_rule");
    const struct plugin_mod *m;
    struct plugin_inst *inst;
    fjson_object *params;

    CU_ASSERT_EQUAL_FATAL(loader_load_file(&ld, p, err, sizeof(err)), 0);
    m = loader_find(&ld, VG_PLUGIN_RULE, "test_good");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_PTR_NULL(loader_find(&ld, VG_PLUGIN_ACTION, "test_good"));
    /* Loading the same plugin twice is refused by name. */
    CU_ASSERT_EQUAL(loader_load_file(&ld, p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "already loaded"));

    params = fjson_tokener_parse("{\"req\":\"r\",\"i\":42,\"l\":[\"a\",\"b\"],\"d\":\"2s\"}");
    inst = plugin_inst_new(m, params, "rule:test_good/x", "f.json: $.rules[0].params", &diag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
    {
        const struct {
            const char *s;
            int64_t i;
            int b;
            int64_t d;
            struct vg_strlist l;
            const char *req;
        } *cfg = inst->config;

        CU_ASSERT_STRING_EQUAL(cfg->s, "dflt");
        CU_ASSERT_EQUAL(cfg->i, 42);
        CU_ASSERT_EQUAL(cfg->b, 0);
        CU_ASSERT_EQUAL(cfg->d, 2000);
        CU_ASSERT_EQUAL(cfg->l.n, 2);
        CU_ASSERT_STRING_EQUAL(cfg->l.items[1], "b");
        CU_ASSERT_STRING_EQUAL(cfg->req, "r");
    }
    plugin_inst_free(inst);
    fjson_object_put(params);

    params = fjson_tokener_parse("{\"i\":\"x\",\"typo\":1,\"d\":\"soon\"}");
    inst = plugin_inst_new(m, params, "rule:test_good/y", "f.json: $.rules[1].params", &diag);
    CU_ASSERT_PTR_NULL(inst);
    CU_ASSERT_EQUAL(diag.n, 4);
    if (diag.n == 4) {
        CU_ASSERT_STRING_EQUAL(diag.msgs[0], "f.json: $.rules[1].params.i: must be an integer");
        CU_ASSERT_STRING_EQUAL(diag.msgs[1],
                               "f.json: $.rules[1].params.d: must be a duration such as \"30s\"");
        CU_ASSERT_STRING_EQUAL(diag.msgs[2],
                               "f.json: $.rules[1].params.req: required option is missing");
        CU_ASSERT_STRING_EQUAL(diag.msgs[3], "f.json: $.rules[1].params.typo: unknown option");
    }
    fjson_object_put(params);
    diag_free(&diag);
    loader_free(&ld);
    free(p);
}

/* Defaults are read as the plugin wrote them: "10s" is ten seconds, "\"2h\"" two hours. */
static void test_option_defaults(void)
{
    struct cfg {
        int64_t a;     /* bare duration */
        int64_t b;     /* quoted duration */
        int64_t c;     /* number of ms */
        const char *s; /* bare string */
    };
    static const struct vg_option table[] = {
        {"a", VG_OPT_DURATION, "10s", 0, offsetof(struct cfg, a), "a"},
        {"b", VG_OPT_DURATION, "\"2h\"", 0, offsetof(struct cfg, b), "b"},
        {"c", VG_OPT_DURATION, "250", 0, offsetof(struct cfg, c), "c"},
        {"s", VG_OPT_STR, "5m-ish", 0, offsetof(struct cfg, s), "s"},
        {NULL, 0, NULL, 0, 0, NULL},
    };
    struct diag d = {0};
    int n_err = -1;
    struct cfg *c = options_parse(table, sizeof(struct cfg), NULL, "t", &d, &n_err);

    CU_ASSERT_EQUAL(n_err, 0);
    CU_ASSERT_EQUAL(c->a, 10000);
    CU_ASSERT_EQUAL(c->b, 7200000);
    CU_ASSERT_EQUAL(c->c, 250);
    CU_ASSERT_STRING_EQUAL(c->s, "5m-ish");
    options_free(table, c);
    diag_free(&d);
}

static void test_create_fails(void)
{
    struct loader ld = {0};
    struct diag diag = {0};
    char err[1024] = "";
    char *p = plugin_path("create_fails");

    CU_ASSERT_EQUAL_FATAL(loader_load_file(&ld, p, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(
        plugin_inst_new(ld.mods[0], NULL, "rule:x/y", "r.json: $.rules[0].params", &diag));
    CU_ASSERT_EQUAL_FATAL(diag.n, 1);
    CU_ASSERT_STRING_EQUAL(diag.msgs[0], "r.json: $.rules[0].params: plugin test_create_fails "
                                         "cannot start: cannot reach the frobnicator");
    diag_free(&diag);
    loader_free(&ld);
    free(p);
}

static int copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = test_read_file(from, &len);
    FILE *f = fopen(to, "wb");

    if (data == NULL || f == NULL) {
        free(data);
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    fwrite(data, 1, len, f);
    fclose(f);
    free(data);
    return 0;
}

static void test_permissions(void)
{
    const char *dir = test_tmpdir();
    char *src = plugin_path("good_rule");
    char *dst = xasprintf("%s/vg_rule_good.so", dir);
    struct loader ld = {0};
    struct diag diag = {0};
    char err[1024] = "";

    CU_ASSERT_EQUAL_FATAL(copy_file(src, dst), 0);
    chmod(dir, 0755);
    chmod(dst, 0666);
    CU_ASSERT_EQUAL(loader_load_file(&ld, dst, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "the file is writable by others"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, dst));
    chmod(dst, 0644);
    chmod(dir, 0777);
    CU_ASSERT_EQUAL(loader_load_file(&ld, dst, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is writable by others"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
    chmod(dir, 0755);
    CU_ASSERT_EQUAL(loader_load_dir(&ld, dir, &diag), 0);
    CU_ASSERT_EQUAL(ld.n, 1);
    diag_free(&diag);
    loader_free(&ld);
    free(src);
    free(dst);
}

void suite_loader(void);
void suite_loader(void)
{
    CU_pSuite s = CU_add_suite("loader", NULL, NULL);

    CU_add_test(s, "broken_plugins", test_broken_plugins);
    CU_add_test(s, "option_defaults", test_option_defaults);
    CU_add_test(s, "good_plugin_and_options", test_good_plugin_and_options);
    CU_add_test(s, "create_fails", test_create_fails);
    CU_add_test(s, "permissions", test_permissions);
}
