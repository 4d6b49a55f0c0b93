/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "rate": an incident opens when `count` events of one key come
 * within `window`, and is resolved once the key has calmed down to at most
 * `clear_count` events within `clear_window`. SEC's SingleWith2Thresholds. The
 * windows and the raised flag live in Redis (VG_ST_RATE), shared by every vigild
 * instance; the plugin holds no per-key state.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct rate_config {
    int64_t count;           /* events within window that raise */
    int64_t window_ms;       /* the raise window */
    int64_t clear_count;     /* at most this many within clear_window clears */
    int64_t clear_window_ms; /* the clear window; 0: window */
    const char *severity;    /* "info".."critical", or NULL for the rule's */
};

struct rate_state {
    const struct rate_config *cfg; /* the core's config block (read-only) */
    int64_t clear_window_ms;       /* the clear window, resolved */
    int severity;                  /* 0: the rule's; else 1..5 */
    char note[96];                 /* text of the record that opens */
    char clear_note[96];           /* text of the record that resolves */
};

static const struct vg_option rate_options[] = {
    {"count", VG_OPT_INT, NULL, VG_OPT_REQUIRED, offsetof(struct rate_config, count),
     "events of one key within the window that open the incident (at least 1)"},
    {"window", VG_OPT_DURATION, NULL, VG_OPT_REQUIRED, offsetof(struct rate_config, window_ms),
     "sliding window of the raise threshold, e.g. \"1m\""},
    {"clear_count", VG_OPT_INT, "0", 0, offsetof(struct rate_config, clear_count),
     "the incident resolves at this many events or fewer within clear_window (default 0, less "
     "than count)"},
    {"clear_window", VG_OPT_DURATION, "0", 0, offsetof(struct rate_config, clear_window_ms),
     "sliding window of the clear threshold; 0 (default): the window"},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct rate_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int rate_check(struct vg_ctx *ctx, const struct rate_config *cfg)
{
    if (cfg->count < 1 || cfg->count > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "count must be 1..%d, not %" PRId64, VG_STATE_THRESHOLD_MAX, cfg->count);
        return VG_EINVAL;
    }
    if (cfg->clear_window_ms < 0 || cfg->clear_window_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "clear_window must be 0 .. ten years");
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    if (cfg->clear_count < 0 || cfg->clear_count >= cfg->count) {
        vg_set_error(
            ctx, "clear_count must be at least 0 and less than count (%" PRId64 "), not %" PRId64,
            cfg->count, cfg->clear_count);
        return VG_EINVAL;
    }
    return VG_OK;
}

static int rate_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct rate_config *cfg = config;
    struct rate_state *st;
    char window[32];
    int severity;

    if (rate_check(ctx, cfg) != VG_OK ||
        vg_severity_option(ctx, cfg->severity, &severity) != VG_OK) {
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->cfg = cfg;
    st->clear_window_ms = cfg->clear_window_ms > 0 ? cfg->clear_window_ms : cfg->window_ms;
    st->severity = severity;
    vg_format_duration(cfg->window_ms, window, sizeof(window));
    snprintf(st->note, sizeof(st->note), "%" PRId64 " events within %s", cfg->count, window);
    vg_format_duration(st->clear_window_ms, window, sizeof(window));
    snprintf(st->clear_note, sizeof(st->clear_note), "at most %" PRId64 " events within %s",
             cfg->clear_count, window);
    *state = st;
    return VG_OK;
}

static void rate_destroy(void *state)
{
    vg_free(state);
}

static int rate_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct rate_state *st = state;
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_RATE,
                               .window_ms = st->cfg->window_ms,
                               .threshold = st->cfg->count,
                               .window2_ms = st->clear_window_ms,
                               .threshold2 = st->cfg->clear_count};

    return vg_state_op(ctx, ev, &req);
}

static int rate_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                         const struct vg_state_result *res)
{
    const struct rate_state *st = state;
    struct vg_incident_req ireq = {
        .size = sizeof(ireq), .severity = st->severity, .note = st->note};
    struct vg_resolve_req rreq = {.size = sizeof(rreq), .note = st->clear_note};

    if (res->verdict == VG_SV_FIRED) {
        return vg_incident_upsert(ctx, ev, &ireq);
    }
    if (res->verdict == VG_SV_CLEARED) {
        return vg_incident_resolve(ctx, ev, &rreq);
    }
    return VG_OK;
}

static const struct vg_plugin rate_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "rate",
    .version = "1.0.0",
    .description = "open an incident at count events of one key within a window; resolve it when "
                   "the rate falls to clear_count within clear_window",
    .options = rate_options,
    .config_size = sizeof(struct rate_config),
    .create = rate_create,
    .destroy = rate_destroy,
    .on_event = rate_on_event,
    .on_state = rate_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &rate_plugin);
}
