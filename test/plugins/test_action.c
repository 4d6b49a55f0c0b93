/* SPDX-License-Identifier: MIT */
/*
 * A test action plugin, built twice: "test_on" (whose inverse is "test_off")
 * and "test_off". Each call appends one line to a file saying what it was
 * called for, so integration.dispatch can count runs exactly. Modes make it
 * fail for its first attempts (VG_EAGAIN), hang past its deadline, or fail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <vigil/plugin.h>

#ifndef TA_NAME
#define TA_NAME "test_on"
#endif
#ifndef TA_INVERSE
#define TA_INVERSE NULL
#endif

const struct vg_host_api *vg_host;

struct ta_config {
    const char *file;   /* where each call appends its line */
    const char *mode;   /* "write", "hang", "fail" */
    int64_t fail_first; /* attempts that return VG_EAGAIN before one succeeds */
    const char *field;  /* a record field checked as a host name and written */
    int inventory;      /* 1: also write whether the inventory knows the host */
};

static const struct vg_option ta_options[] = {
    {"file", VG_OPT_STR, NULL, VG_OPT_REQUIRED, offsetof(struct ta_config, file),
     "file each call appends a line to"},
    {"mode", VG_OPT_STR, "\"write\"", 0, offsetof(struct ta_config, mode),
     "write, hang (ignore the deadline) or fail"},
    {"fail_first", VG_OPT_INT, "0", 0, offsetof(struct ta_config, fail_first),
     "attempts that ask for a retry first"},
    {"field", VG_OPT_STR, "\"incident.key.host.name\"", 0, offsetof(struct ta_config, field),
     "record field checked as a host name"},
    {"inventory", VG_OPT_BOOL, "false", 0, offsetof(struct ta_config, inventory),
     "write inv=yes or inv=no: whether the inventory's hosts list the field's value"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int ta_create(struct vg_ctx *ctx, const void *config, void **state)
{
    (void)ctx;
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static void append(const struct ta_config *cfg, const char *line)
{
    FILE *f = fopen(cfg->file, "a");

    if (f != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}

static int ta_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct ta_config *cfg = state;
    struct vg_str id = vg_call_incident_id(call);
    struct vg_str v = vg_call_field(call, cfg->field);
    struct vg_str prior = vg_call_prior(call, "test_on.ticket_id");
    static const char *const tr[] = {"open", "update", "escalate", "resolve", "close"};
    struct timespec now;
    char line[1024];
    char ticket[128];

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (v.ptr != NULL && vg_value_check(ctx, VG_VAL_NAME, cfg->field, v.ptr, v.len) != VG_OK) {
        snprintf(line, sizeof(line), "%s refused %.*s", TA_NAME, (int)id.len, id.ptr);
        append(cfg, line);
        return VG_EINVAL;
    }
    snprintf(line, sizeof(line), "%s %s %.*s %.*s attempt=%d prior=%.*s ms=%lld", TA_NAME,
             tr[vg_call_transition(call)], (int)id.len, id.ptr, (int)(v.ptr ? v.len : 1),
             v.ptr ? v.ptr : "-", vg_call_attempt(call), (int)(prior.ptr ? prior.len : 1),
             prior.ptr ? prior.ptr : "-", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    if (cfg->inventory && v.ptr != NULL) {
        char *inv = vg_inventory_get(ctx, "hosts", v.ptr);
        size_t n = strlen(line);

        snprintf(line + n, sizeof(line) - n, " inv=%s", inv != NULL ? "yes" : "no");
        vg_free(inv);
    }
    append(cfg, line);
    if (vg_call_attempt(call) <= cfg->fail_first) {
        vg_set_error(ctx, "endpoint busy (attempt %d)", vg_call_attempt(call));
        return VG_EAGAIN;
    }
    if (strcmp(cfg->mode, "hang") == 0) {
        /* A plugin that ignores its deadline: the dispatcher must abandon it. */
        struct timespec ts = {5, 0};
        int i;

        for (i = 0; i < 6; i++) {
            nanosleep(&ts, NULL);
        }
        return VG_OK;
    }
    if (strcmp(cfg->mode, "fail") == 0) {
        vg_set_error(ctx, "the switch refused the change");
        return VG_ERR;
    }
    snprintf(ticket, sizeof(ticket), "T-%.*s", (int)id.len, id.ptr);
    vg_action_result(ctx, "ticket_id", ticket);
    vg_action_output(ctx, line, strlen(line));
    return VG_OK;
}

static const struct vg_plugin ta_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .name = TA_NAME,
    .version = "1.0",
    .description = "test action: appends a line per call",
    .options = ta_options,
    .config_size = sizeof(struct ta_config),
    .create = ta_create,
    .run = ta_run,
    .inverse = TA_INVERSE,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &ta_plugin);
}
