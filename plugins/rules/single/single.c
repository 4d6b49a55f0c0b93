/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "single": every event the rule matches opens an incident for
 * (rule, key), or updates the open one (count, last seen, events kept). SEC's
 * "Single" rule type with deduplication. Its only option sets the severity
 * of the incident when it differs from the rule's template.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct single_config {
    const char *severity; /* "info".."critical", or NULL for the rule's */
};

struct single_state {
    int severity; /* 0: the rule's; else 1..5 */
};

static const struct vg_option single_options[] = {
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct single_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int single_create(struct vg_ctx *ctx, const void *config, void **state)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    const struct single_config *cfg = config;
    struct single_state *st = vg_alloc(sizeof(*st));
    int i;

    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->severity = 0;
    if (cfg->severity != NULL) {
        for (i = 0; i < 5; i++) {
            if (strcmp(cfg->severity, names[i]) == 0) {
                st->severity = i + 1;
            }
        }
        if (st->severity == 0) {
            vg_set_error(ctx, "severity \"%s\" is not one of info, low, medium, high, critical",
                         cfg->severity);
            vg_free(st);
            return VG_EINVAL;
        }
    }
    *state = st;
    return VG_OK;
}

static void single_destroy(void *state)
{
    vg_free(state);
}

static int single_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct single_state *st = state;
    struct vg_incident_req req = {.size = sizeof(req), .severity = st->severity};

    return vg_incident_upsert(ctx, ev, &req);
}

static const struct vg_plugin single_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "single",
    .version = "1.0.0",
    .description = "open or update one incident per (rule, key) for every matching event",
    .options = single_options,
    .config_size = sizeof(struct single_config),
    .create = single_create,
    .destroy = single_destroy,
    .on_event = single_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &single_plugin);
}
