/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "sequence": one incident when the events of one key go through
 * `steps` (event.action values) in order within `window`, e.g. SSH failures and
 * then an accepted login from the same source. SEC's closest are an EventGroup
 * with ordered patterns or a chain of Pair rules. Progress lives in Redis
 * (VG_ST_SEQUENCE), shared by every vigild instance; the plugin holds no per-key
 * state.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

#define SEQUENCE_MAX_STEPS 8 /* steps a sequence may have */

struct sequence_config {
    struct vg_strlist steps; /* event.action values, in order */
    int64_t window_ms;       /* from the first step to the last */
    const char *severity;    /* "info".."critical", or NULL for the rule's */
};

struct sequence_state {
    const struct sequence_config *cfg; /* the core's config block (read-only) */
    int severity;                      /* 0: the rule's; else 1..5 */
    char note[96];                     /* text of the lifecycle record */
};

static const struct vg_option sequence_options[] = {
    {"steps", VG_OPT_STRLIST, NULL, VG_OPT_REQUIRED, offsetof(struct sequence_config, steps),
     "event.action values the key must go through in this order (2 to 8, no repeats)"},
    {"window", VG_OPT_DURATION, NULL, VG_OPT_REQUIRED, offsetof(struct sequence_config, window_ms),
     "time from the first step to the last, e.g. \"10m\""},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct sequence_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Index of the value s (len bytes) in l, or -1. */
static long list_find(const struct vg_strlist *l, const char *s, size_t len)
{
    size_t i;

    if (s == NULL) {
        return -1;
    }
    for (i = 0; i < l->n; i++) {
        if (strlen(l->items[i]) == len && memcmp(l->items[i], s, len) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static int check_steps(struct vg_ctx *ctx, const struct vg_strlist *steps)
{
    size_t i;
    size_t j;

    if (steps->n < 2 || steps->n > SEQUENCE_MAX_STEPS) {
        vg_set_error(ctx, "steps must list 2 to %d event.action values, not %zu",
                     SEQUENCE_MAX_STEPS, steps->n);
        return VG_EINVAL;
    }
    for (i = 0; i < steps->n; i++) {
        if (steps->items[i][0] == '\0') {
            vg_set_error(ctx, "steps[%zu] is empty", i);
            return VG_EINVAL;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(steps->items[i], steps->items[j]) == 0) {
                vg_set_error(ctx, "steps[%zu] repeats \"%s\" of steps[%zu]", i, steps->items[i], j);
                return VG_EINVAL;
            }
        }
    }
    return VG_OK;
}

static int sequence_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct sequence_config *cfg = config;
    struct sequence_state *st;
    char window[32];
    int severity;

    if (check_steps(ctx, &cfg->steps) != VG_OK) {
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
    st->severity = severity;
    vg_format_duration(cfg->window_ms, window, sizeof(window));
    snprintf(st->note, sizeof(st->note), "%zu steps in order within %s", cfg->steps.n, window);
    *state = st;
    return VG_OK;
}

static void sequence_destroy(void *state)
{
    vg_free(state);
}

static int sequence_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct sequence_state *st = state;
    struct vg_str action = vg_event_field(ev, "event.action");
    long step = list_find(&st->cfg->steps, action.ptr, action.len);
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_SEQUENCE,
                               .window_ms = st->cfg->window_ms,
                               .n_steps = (uint32_t)st->cfg->steps.n};

    if (step < 0) {
        vg_set_error(ctx, "event.action \"%s\" is not one of the steps of this rule",
                     action.ptr != NULL ? action.ptr : "");
        return VG_EINVAL;
    }
    req.step = (uint32_t)step;
    return vg_state_op(ctx, ev, &req);
}

static int sequence_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                             const struct vg_state_result *res)
{
    const struct sequence_state *st = state;
    struct vg_incident_req req = {.size = sizeof(req), .severity = st->severity, .note = st->note};

    if (res->verdict != VG_SV_FIRED) {
        return VG_OK;
    }
    return vg_incident_upsert(ctx, ev, &req);
}

static const struct vg_plugin sequence_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "sequence",
    .version = "1.0.0",
    .description = "open or update an incident when one key's events go through the steps in "
                   "order within a window",
    .options = sequence_options,
    .config_size = sizeof(struct sequence_config),
    .create = sequence_create,
    .destroy = sequence_destroy,
    .on_event = sequence_on_event,
    .on_state = sequence_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &sequence_plugin);
}
