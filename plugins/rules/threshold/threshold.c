/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "threshold": one incident when `count` events of one key arrive
 * within a sliding `window`, after which the key is quiet for `suppress`. SEC's
 * SingleWithThreshold. The window lives in Redis (VG_ST_COUNT), so every vigild
 * instance shares it and a restart keeps it; the plugin holds no per-key state.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct threshold_config {
    int64_t count;        /* events within the window that fire */
    int64_t window_ms;    /* the sliding window */
    int64_t suppress_ms;  /* quiet period after firing; 0: the window */
    const char *severity; /* "info".."critical", or NULL for the rule's */
};

struct threshold_state {
    const struct threshold_config *cfg; /* the core's config block (read-only) */
    int64_t suppress_ms;                /* quiet period after firing, resolved */
    int severity;                       /* 0: the rule's; else 1..5 */
    char note[96];                      /* text of the lifecycle record */
};

static const struct vg_option threshold_options[] = {
    {"count", VG_OPT_INT, NULL, VG_OPT_REQUIRED, offsetof(struct threshold_config, count),
     "events of one key within the window that open or update the incident (at least 1)"},
    {"window", VG_OPT_DURATION, NULL, VG_OPT_REQUIRED, offsetof(struct threshold_config, window_ms),
     "sliding window the events are counted in, e.g. \"1m\""},
    {"suppress", VG_OPT_DURATION, "0", 0, offsetof(struct threshold_config, suppress_ms),
     "after firing, events of the key are ignored this long; 0 (default): the window"},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct threshold_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int threshold_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct threshold_config *cfg = config;
    struct threshold_state *st;
    char window[32];
    int severity;

    if (cfg->count < 1 || cfg->count > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "count must be 1..%d, not %" PRId64, VG_STATE_THRESHOLD_MAX, cfg->count);
        return VG_EINVAL;
    }
    if (cfg->suppress_ms < 0 || cfg->suppress_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "suppress must be 0 .. ten years");
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    if (vg_severity_option(ctx, cfg->severity, &severity) != VG_OK) {
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->cfg = cfg;
    st->suppress_ms = cfg->suppress_ms > 0 ? cfg->suppress_ms : cfg->window_ms;
    st->severity = severity;
    vg_format_duration(cfg->window_ms, window, sizeof(window));
    snprintf(st->note, sizeof(st->note), "%" PRId64 " events within %s", cfg->count, window);
    *state = st;
    return VG_OK;
}

static void threshold_destroy(void *state)
{
    vg_free(state);
}

static int threshold_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct threshold_state *st = state;
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_COUNT,
                               .window_ms = st->cfg->window_ms,
                               .threshold = st->cfg->count,
                               .suppress_ms = st->suppress_ms};

    return vg_state_op(ctx, ev, &req);
}

static int threshold_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                              const struct vg_state_result *res)
{
    const struct threshold_state *st = state;
    struct vg_incident_req req = {.size = sizeof(req), .severity = st->severity, .note = st->note};

    if (res->verdict != VG_SV_FIRED) {
        return VG_OK;
    }
    return vg_incident_upsert(ctx, ev, &req);
}

static const struct vg_plugin threshold_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "threshold",
    .version = "1.0.0",
    .description = "open or update an incident when count events of one key come within a window",
    .options = threshold_options,
    .config_size = sizeof(struct threshold_config),
    .create = threshold_create,
    .destroy = threshold_destroy,
    .on_event = threshold_on_event,
    .on_state = threshold_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &threshold_plugin);
}
