/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "pair": a problem event and its resolution. Mode "clear" (SEC's
 * Pair): a problem event opens or updates the incident of its key and a
 * resolution event resolves it. Mode "expect" (SEC's PairWithWindow): a problem
 * arms a deadline `window` ahead; a resolution in time disarms it quietly, and
 * only a deadline that passes opens the incident, with the problem event. The
 * deadline lives in Redis (VG_ST_ARM), so the plugin holds no per-key state.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

enum pair_cookie {
    PAIR_COOKIE_ARM = 1,    /* the problem's VG_ST_ARM */
    PAIR_COOKIE_DISARM = 2, /* the resolution's VG_ST_DISARM */
};

struct pair_config {
    struct vg_strlist problem;    /* event.action values of the problem */
    struct vg_strlist resolution; /* event.action values of its resolution */
    const char *mode;             /* "clear" or "expect" */
    int64_t window_ms;            /* expect: how long the resolution may take */
    const char *severity;         /* "info".."critical", or NULL for the rule's */
};

struct pair_state {
    const struct pair_config *cfg; /* the core's config block (read-only) */
    int expect;                    /* 1: mode "expect", 0: mode "clear" */
    int severity;                  /* 0: the rule's; else 1..5 */
    char note[256];                /* expect: text of the record of a passed deadline */
};

static const struct vg_option pair_options[] = {
    {"problem", VG_OPT_STRLIST, NULL, VG_OPT_REQUIRED, offsetof(struct pair_config, problem),
     "event.action values of the problem: they open the incident (clear) or arm the window "
     "(expect)"},
    {"resolution", VG_OPT_STRLIST, NULL, VG_OPT_REQUIRED, offsetof(struct pair_config, resolution),
     "event.action values that end the problem: they resolve the incident (clear) or disarm the "
     "window (expect)"},
    {"mode", VG_OPT_STR, "\"clear\"", 0, offsetof(struct pair_config, mode),
     "\"clear\" (default): problem opens, resolution resolves; \"expect\": incident only when no "
     "resolution comes within the window"},
    {"window", VG_OPT_DURATION, NULL, 0, offsetof(struct pair_config, window_ms),
     "expect mode (required there): how long after a problem its resolution may come, e.g. "
     "\"30s\""},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct pair_config, severity),
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

static int check_list(struct vg_ctx *ctx, const char *opt, const struct vg_strlist *l)
{
    size_t i;

    if (l->n == 0) {
        vg_set_error(ctx, "%s must list at least one event.action", opt);
        return VG_EINVAL;
    }
    for (i = 0; i < l->n; i++) {
        if (l->items[i][0] == '\0') {
            vg_set_error(ctx, "%s[%zu] is empty", opt, i);
            return VG_EINVAL;
        }
    }
    return VG_OK;
}

static int pair_check(struct vg_ctx *ctx, const struct pair_config *cfg, int *expect)
{
    size_t i;

    if (check_list(ctx, "problem", &cfg->problem) != VG_OK ||
        check_list(ctx, "resolution", &cfg->resolution) != VG_OK) {
        return VG_EINVAL;
    }
    for (i = 0; i < cfg->problem.n; i++) {
        const char *a = cfg->problem.items[i];

        if (list_find(&cfg->resolution, a, strlen(a)) >= 0) {
            vg_set_error(ctx, "\"%s\" is in both problem and resolution", a);
            return VG_EINVAL;
        }
    }
    if (strcmp(cfg->mode, "clear") == 0) {
        *expect = 0;
    } else if (strcmp(cfg->mode, "expect") == 0) {
        *expect = 1;
    } else {
        vg_set_error(ctx, "mode \"%s\" is not one of clear, expect", cfg->mode);
        return VG_EINVAL;
    }
    if (*expect && (cfg->window_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS)) {
        vg_set_error(ctx, "window is required (and longer than 0) with mode \"expect\"");
        return VG_EINVAL;
    }
    if (!*expect && cfg->window_ms != 0) {
        vg_set_error(ctx, "window applies only to mode \"expect\"");
        return VG_EINVAL;
    }
    return VG_OK;
}

static int pair_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct pair_config *cfg = config;
    struct pair_state *st;
    char window[32];
    int severity;
    int expect;

    if (pair_check(ctx, cfg, &expect) != VG_OK ||
        vg_severity_option(ctx, cfg->severity, &severity) != VG_OK) {
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->cfg = cfg;
    st->expect = expect;
    st->severity = severity;
    st->note[0] = '\0';
    if (expect) {
        vg_format_duration(cfg->window_ms, window, sizeof(window));
        snprintf(st->note, sizeof(st->note), "no %.180s%s within %s", cfg->resolution.items[0],
                 cfg->resolution.n > 1 ? " (or another resolution)" : "", window);
    }
    *state = st;
    return VG_OK;
}

static void pair_destroy(void *state)
{
    vg_free(state);
}

static int pair_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct pair_state *st = state;
    struct vg_str action = vg_event_field(ev, "event.action");
    struct vg_incident_req ireq = {.size = sizeof(ireq), .severity = st->severity};
    struct vg_resolve_req rreq = {.size = sizeof(rreq)};
    struct vg_state_req sreq = {.size = sizeof(sreq)};
    char note[160];

    if (list_find(&st->cfg->problem, action.ptr, action.len) >= 0) {
        if (!st->expect) {
            return vg_incident_upsert(ctx, ev, &ireq);
        }
        sreq.op = VG_ST_ARM;
        sreq.window_ms = st->cfg->window_ms;
        sreq.flags = VG_STF_KEEP_EVENT;
        sreq.cookie = PAIR_COOKIE_ARM;
        return vg_state_op(ctx, ev, &sreq);
    }
    if (list_find(&st->cfg->resolution, action.ptr, action.len) >= 0) {
        if (!st->expect) {
            snprintf(note, sizeof(note), "resolved by %.140s", action.ptr);
            rreq.note = note;
            return vg_incident_resolve(ctx, ev, &rreq);
        }
        sreq.op = VG_ST_DISARM;
        sreq.cookie = PAIR_COOKIE_DISARM;
        return vg_state_op(ctx, ev, &sreq);
    }
    vg_set_error(ctx, "event.action \"%s\" is neither a problem nor a resolution of this rule",
                 action.ptr != NULL ? action.ptr : "");
    return VG_EINVAL;
}

static int pair_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                         const struct vg_state_result *res)
{
    const struct pair_state *st = state;
    struct vg_incident_req req = {.size = sizeof(req), .severity = st->severity, .note = st->note};

    if (res->verdict == VG_SV_EXPIRED && res->deadline) {
        return vg_incident_upsert(ctx, ev, &req);
    }
    if (res->verdict == VG_SV_CLEARED) {
        vg_log(ctx, VG_LOG_DEBUG, "problem resolved within the window");
    }
    return VG_OK;
}

static const struct vg_plugin pair_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "pair",
    .version = "1.0.0",
    .description = "a problem event and its resolution: open and resolve (clear), or open only "
                   "when the resolution is late (expect)",
    .options = pair_options,
    .config_size = sizeof(struct pair_config),
    .create = pair_create,
    .destroy = pair_destroy,
    .on_event = pair_on_event,
    .on_state = pair_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &pair_plugin);
}
