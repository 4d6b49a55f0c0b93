/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "absence": every event the rule matches is a heartbeat of its key;
 * when a key's heartbeats stop for `window`, an incident opens, and the next
 * heartbeat resolves it. SEC's PairWithWindow on a recurring event, Wazuh's
 * no-log alert. The deadline lives in Redis (VG_ST_HEARTBEAT), so it survives a
 * restart and fires on whichever vigild instance claims it first.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct absence_config {
    int64_t window_ms;    /* silence that opens the incident */
    const char *severity; /* "info".."critical", or NULL for the rule's */
};

struct absence_state {
    const struct absence_config *cfg; /* the core's config block (read-only) */
    int severity;                     /* 0: the rule's; else 1..5 */
    char note[64];                    /* text of the record of a missed heartbeat */
};

static const struct vg_option absence_options[] = {
    {"window", VG_OPT_DURATION, NULL, VG_OPT_REQUIRED, offsetof(struct absence_config, window_ms),
     "silence after a key's last heartbeat that opens the incident, e.g. \"5m\""},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct absence_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int absence_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct absence_config *cfg = config;
    struct absence_state *st;
    char window[32];
    int severity;

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
    st->severity = severity;
    vg_format_duration(cfg->window_ms, window, sizeof(window));
    snprintf(st->note, sizeof(st->note), "no heartbeat for %s", window);
    *state = st;
    return VG_OK;
}

static void absence_destroy(void *state)
{
    vg_free(state);
}

static int absence_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct absence_state *st = state;
    struct vg_state_req req = {
        .size = sizeof(req), .op = VG_ST_HEARTBEAT, .window_ms = st->cfg->window_ms};

    return vg_state_op(ctx, ev, &req);
}

static int absence_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                            const struct vg_state_result *res)
{
    const struct absence_state *st = state;
    struct vg_incident_req ireq = {
        .size = sizeof(ireq), .severity = st->severity, .note = st->note};
    struct vg_resolve_req rreq = {.size = sizeof(rreq), .note = "heartbeat back"};

    if (res->verdict == VG_SV_EXPIRED) {
        return vg_incident_upsert(ctx, ev, &ireq);
    }
    if (res->verdict == VG_SV_CLEARED) {
        return vg_incident_resolve(ctx, ev, &rreq);
    }
    return VG_OK;
}

static const struct vg_plugin absence_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "absence",
    .version = "1.0.0",
    .description = "open an incident when a key's heartbeat events stop for a window; resolve it "
                   "when they return",
    .options = absence_options,
    .config_size = sizeof(struct absence_config),
    .create = absence_create,
    .destroy = absence_destroy,
    .on_event = absence_on_event,
    .on_state = absence_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &absence_plugin);
}
