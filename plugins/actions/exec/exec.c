/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "exec": runs a program (argv, no shell) with the incident
 * record as JSON on its standard input and VIGIL_* variables in its
 * environment. Its exit status and an excerpt of its output go into the
 * incident history; a program still running at the deadline is killed with
 * its whole process group.
 */
#include <stdint.h>

#include <vigil/plugin.h>

#include "spawn_common.h"

const struct vg_host_api *vg_host;

struct exec_config {
    struct vg_strlist argv; /* program and arguments */
    int64_t timeout_ms;     /* deadline for one run */
    int64_t retry_status;   /* exit status that asks for a retry (0: none) */
};

static const struct vg_option exec_options[] = {
    {"argv", VG_OPT_STRLIST, NULL, VG_OPT_REQUIRED, offsetof(struct exec_config, argv),
     "program and its arguments, run without a shell; the incident JSON arrives on stdin"},
    {"timeout", VG_OPT_DURATION, "10s", 0, offsetof(struct exec_config, timeout_ms),
     "kill the program (and its process group) if it runs longer"},
    {"retry_status", VG_OPT_INT, "75", 0, offsetof(struct exec_config, retry_status),
     "exit status meaning \"failed for now, try again\" (75 is EX_TEMPFAIL; 0: never retry)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

static int exec_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct exec_config *cfg = config;

    if (cfg->argv.n == 0 || cfg->argv.items[0][0] == '\0') {
        vg_set_error(ctx, "argv must name a program");
        return VG_EINVAL;
    }
    if (cfg->timeout_ms <= 0) {
        vg_set_error(ctx, "timeout must be positive");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int exec_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct exec_config *cfg = state;
    struct vg_str id = vg_call_incident_id(call);
    struct vg_str json = vg_call_incident_json(call);
    struct spawnc_var env[2] = {
        {"VIGIL_INCIDENT_ID", id.ptr != NULL ? id.ptr : ""},
        {"VIGIL_TRANSITION", tr_names[vg_call_transition(call) % 5]},
    };
    struct spawnc_req req = {0};
    struct spawnc_proc *proc = vg_alloc(sizeof(*proc));
    int rc;

    if (proc == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    req.argv = (char *const *)(uintptr_t)cfg->argv.items;
    req.env = env;
    req.n_env = 2;
    req.input = json.ptr;
    req.input_len = json.len;
    req.deadline_ms = vg_now_ms(ctx) + cfg->timeout_ms;
    if (vg_call_deadline_ms(call) > 0 && vg_call_deadline_ms(call) < req.deadline_ms) {
        req.deadline_ms = vg_call_deadline_ms(call);
    }
    /* Output closed does not mean exited: the deadline holds until the program is reaped. */
    req.until_eof = 1;
    req.stream = 1;
    rc = spawnc_run(ctx, &req, proc);
    if (rc == VG_OK || rc == VG_ETIMEDOUT) {
        rc = spawnc_report(ctx, proc, cfg->argv.items[0]);
    }
    if (rc == VG_ETIMEDOUT) {
        vg_set_error(ctx, "%s did not %s within %lld ms: killed", cfg->argv.items[0],
                     proc->out_open ? "finish" : "exit", (long long)cfg->timeout_ms);
    } else if (rc == VG_ERR && proc->exited && cfg->retry_status != 0 &&
               proc->code == cfg->retry_status) {
        /* The dispatcher retries it with back-off, up to the action's retries. */
        rc = VG_EAGAIN;
    }
    vg_free(proc);
    return rc;
}

static const struct vg_plugin exec_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "exec",
    .version = "1.0.0",
    .description = "run a program with the incident JSON on stdin (no shell)",
    .options = exec_options,
    .config_size = sizeof(struct exec_config),
    .create = exec_create,
    .run = exec_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &exec_plugin);
}
