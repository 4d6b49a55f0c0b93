/* SPDX-License-Identifier: MIT */
/*
 * Plugin tests without the daemon: the in-tree plugins are loaded with dlopen
 * and driven through the fake host of host_mock.c, with config blocks written
 * through their own option tables. `vg_plugin_test PLUGIN_DIR`.
 */
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_mock.h"

static const char *plugin_dir;

static const struct vg_option *opt(const struct vg_plugin *p, const char *name)
{
    const struct vg_option *o;

    for (o = p->options; o != NULL && o->name != NULL; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

static const struct vg_plugin *load(const char *file, const struct vg_plugin **desc, void **dl)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", plugin_dir, file);
    *desc = mock_load(path, dl);
    return *desc;
}

static void test_single(void)
{
    const struct vg_plugin *p;
    void *dl;
    void *cfg;
    void *state = NULL;
    struct vg_ctx ctx;
    struct vg_event ev = {{"event.action", "host.name"}, {"ssh.auth_failed", "web01"}, 2, 1000};

    CU_ASSERT_PTR_NOT_NULL_FATAL(load("vg_rule_single.so", &p, &dl));
    CU_ASSERT_EQUAL(p->kind, VG_PLUGIN_RULE);
    CU_ASSERT_STRING_EQUAL(p->name, "single");
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt(p, "severity"));
    cfg = calloc(1, p->config_size);
    /* An unknown severity is refused with a reason. */
    *(const char **)(void *)((char *)cfg + opt(p, "severity")->offset) = "loud";
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL(p->create(&ctx, cfg, &state), VG_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.err, "\"loud\""));
    /* "high" is severity 4 in every upsert. */
    *(const char **)(void *)((char *)cfg + opt(p, "severity")->offset) = "high";
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &ev), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &ev), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 2);
    CU_ASSERT_EQUAL(ctx.last_severity, 4);
    p->destroy(state);
    free(cfg);
    dlclose(dl);
}

/* threshold: its options become one COUNT request; only FIRED opens the incident. */
static void test_threshold(void)
{
    struct vg_event ev = {{"event.action", "source.ip"}, {"ssh.auth_failed", "192.0.2.1"}, 2, 1000};
    struct vg_state_result res = {.size = sizeof(res), .op = VG_ST_COUNT};
    const struct vg_plugin *p;
    struct vg_ctx ctx;
    void *state = NULL;
    void *cfg;
    void *dl;

    CU_ASSERT_PTR_NOT_NULL_FATAL(load("vg_rule_threshold.so", &p, &dl));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->on_state);
    cfg = calloc(1, p->config_size);
    *(int64_t *)(void *)((char *)cfg + opt(p, "count")->offset) = 5;
    *(int64_t *)(void *)((char *)cfg + opt(p, "window")->offset) = 60000;
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &ev), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_state_ops, 1);
    CU_ASSERT_EQUAL(ctx.last_req.op, VG_ST_COUNT);
    CU_ASSERT_EQUAL(ctx.last_req.threshold, 5);
    CU_ASSERT_EQUAL(ctx.last_req.window_ms, 60000);
    CU_ASSERT_EQUAL(ctx.last_req.suppress_ms, 60000); /* 0 means the window */
    CU_ASSERT_EQUAL(ctx.n_upserts, 0);
    res.verdict = VG_SV_NONE;
    CU_ASSERT_EQUAL(p->on_state(&ctx, state, &ev, &res), VG_OK);
    res.verdict = VG_SV_SUPPRESSED;
    CU_ASSERT_EQUAL(p->on_state(&ctx, state, &ev, &res), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 0);
    res.verdict = VG_SV_FIRED;
    res.count = 5;
    CU_ASSERT_EQUAL(p->on_state(&ctx, state, &ev, &res), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 1);
    p->destroy(state);
    /* A count of 0 is refused, naming the option. */
    *(int64_t *)(void *)((char *)cfg + opt(p, "count")->offset) = 0;
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL(p->create(&ctx, cfg, &state), VG_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.err, "count"));
    free(cfg);
    dlclose(dl);
}

/* pair in expect mode: a problem arms (keeping the event), a resolution disarms, a passed
 * deadline opens the incident; in clear mode the resolution resolves. */
static void test_pair(void)
{
    static const char *const problem[] = {"link.down"};
    static const char *const resolution[] = {"link.up"};
    struct vg_event down = {{"event.action"}, {"link.down"}, 1, 1000};
    struct vg_event up = {{"event.action"}, {"link.up"}, 1, 2000};
    struct vg_state_result res = {.size = sizeof(res), .op = VG_ST_ARM};
    const struct vg_plugin *p;
    struct vg_ctx ctx;
    void *state = NULL;
    char *cfg;
    void *dl;

    CU_ASSERT_PTR_NOT_NULL_FATAL(load("vg_rule_pair.so", &p, &dl));
    cfg = calloc(1, p->config_size);
    *(struct vg_strlist *)(void *)(cfg + opt(p, "problem")->offset) =
        (struct vg_strlist){1, problem};
    *(struct vg_strlist *)(void *)(cfg + opt(p, "resolution")->offset) =
        (struct vg_strlist){1, resolution};
    *(const char **)(void *)(cfg + opt(p, "mode")->offset) = "expect";
    memset(&ctx, 0, sizeof(ctx));
    /* expect without a window is refused. */
    CU_ASSERT_EQUAL(p->create(&ctx, cfg, &state), VG_EINVAL);
    *(int64_t *)(void *)(cfg + opt(p, "window")->offset) = 30000;
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &down), VG_OK);
    CU_ASSERT_EQUAL(ctx.last_req.op, VG_ST_ARM);
    CU_ASSERT_EQUAL(ctx.last_req.window_ms, 30000);
    CU_ASSERT_TRUE(ctx.last_req.flags & VG_STF_KEEP_EVENT);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &up), VG_OK);
    CU_ASSERT_EQUAL(ctx.last_req.op, VG_ST_DISARM);
    res.verdict = VG_SV_CLEARED;
    CU_ASSERT_EQUAL(p->on_state(&ctx, state, &up, &res), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 0);
    res.verdict = VG_SV_EXPIRED;
    res.deadline = 1;
    CU_ASSERT_EQUAL(p->on_state(&ctx, state, &down, &res), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 1);
    p->destroy(state);
    /* clear mode: no state, the problem upserts and the resolution resolves. */
    *(const char **)(void *)(cfg + opt(p, "mode")->offset) = "clear";
    *(int64_t *)(void *)(cfg + opt(p, "window")->offset) = 0;
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &down), VG_OK);
    CU_ASSERT_EQUAL(p->on_event(&ctx, state, &up), VG_OK);
    CU_ASSERT_EQUAL(ctx.n_upserts, 1);
    CU_ASSERT_EQUAL(ctx.n_resolves, 1);
    CU_ASSERT_EQUAL(ctx.n_state_ops, 0);
    p->destroy(state);
    free(cfg);
    dlclose(dl);
}

static void *exec_config(const struct vg_plugin *p, const char *const *argv, size_t argc,
                         int64_t timeout_ms)
{
    void *cfg = calloc(1, p->config_size);
    struct vg_strlist *l = (struct vg_strlist *)(void *)((char *)cfg + opt(p, "argv")->offset);

    l->n = argc;
    l->items = argv;
    *(int64_t *)(void *)((char *)cfg + opt(p, "timeout")->offset) = timeout_ms;
    return cfg;
}

static void test_exec(void)
{
    static const char *const ok_argv[] = {"sh", "-c", "cat; echo \" $VIGIL_TRANSITION\"; exit 0",
                                          NULL};
    static const char *const fail_argv[] = {"sh", "-c", "exit 7", NULL};
    static const char *const slow_argv[] = {"sleep", "5", NULL};
    static const char *const none_argv[] = {"/nonexistent/program", NULL};
    struct vg_action_call call = {VG_TR_ESCALATE, "{\"incident\":1}", "0123456789abcdef-1", 0};
    const struct vg_plugin *p;
    struct vg_ctx ctx;
    void *state;
    void *cfg;
    void *dl;

    CU_ASSERT_PTR_NOT_NULL_FATAL(load("vg_action_exec.so", &p, &dl));
    CU_ASSERT_EQUAL(p->kind, VG_PLUGIN_ACTION);
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt(p, "argv"));
    CU_ASSERT_TRUE(opt(p, "argv")->flags & VG_OPT_REQUIRED);

    cfg = exec_config(p, ok_argv, 3, 5000);
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->run(&ctx, state, &call), VG_OK);
    CU_ASSERT_STRING_EQUAL(ctx.output, "{\"incident\":1} escalate\n");
    CU_ASSERT_STRING_EQUAL(ctx.results, "exit_status=0;");
    free(cfg);

    cfg = exec_config(p, fail_argv, 3, 5000);
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->run(&ctx, state, &call), VG_ERR);
    CU_ASSERT_STRING_EQUAL(ctx.results, "exit_status=7;");
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.err, "status 7"));
    free(cfg);

    cfg = exec_config(p, slow_argv, 2, 200);
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_EQUAL(p->run(&ctx, state, &call), VG_ETIMEDOUT);
    CU_ASSERT_STRING_EQUAL(ctx.results, "exit_status=killed;");
    free(cfg);

    cfg = exec_config(p, none_argv, 1, 1000);
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL_FATAL(p->create(&ctx, cfg, &state), VG_OK);
    CU_ASSERT_NOT_EQUAL(p->run(&ctx, state, &call), VG_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.err, "/nonexistent/program"));
    free(cfg);

    /* An empty argv is refused at create. */
    cfg = exec_config(p, none_argv, 0, 1000);
    memset(&ctx, 0, sizeof(ctx));
    CU_ASSERT_EQUAL(p->create(&ctx, cfg, &state), VG_EINVAL);
    free(cfg);
    dlclose(dl);
}

int main(int argc, char **argv)
{
    unsigned failures;
    CU_pSuite s;

    if (argc != 2) {
        fprintf(stderr, "usage: vg_plugin_test PLUGIN_DIR\n");
        return 2;
    }
    plugin_dir = argv[1];
    /* The mock stands for vigild, which ignores SIGPIPE (docs/plugin-abi.md): a child that
     * exits before reading its stdin must give the exec plugin EPIPE, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    if (CU_initialize_registry() != CUE_SUCCESS) {
        return 2;
    }
    s = CU_add_suite("plugins_mock", NULL, NULL);
    CU_add_test(s, "single", test_single);
    CU_add_test(s, "exec", test_exec);
    CU_add_test(s, "threshold", test_threshold);
    CU_add_test(s, "pair", test_pair);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures != 0;
}
