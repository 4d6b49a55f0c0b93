/* SPDX-License-Identifier: MIT */
/* A well-behaved test rule plugin with one option of every type (loader suite). */
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct good_config {
    const char *s;       /* VG_OPT_STR */
    int64_t i;           /* VG_OPT_INT */
    int b;               /* VG_OPT_BOOL */
    int64_t d;           /* VG_OPT_DURATION */
    struct vg_strlist l; /* VG_OPT_STRLIST */
    const char *req;     /* required string */
};

static const struct vg_option good_options[] = {
    {"s", VG_OPT_STR, "\"dflt\"", 0, offsetof(struct good_config, s), "a string"},
    {"i", VG_OPT_INT, "7", 0, offsetof(struct good_config, i), "an integer"},
    {"b", VG_OPT_BOOL, "false", 0, offsetof(struct good_config, b), "a flag"},
    {"d", VG_OPT_DURATION, "1m", 0, offsetof(struct good_config, d), "a duration"},
    {"l", VG_OPT_STRLIST, "[\"x\"]", 0, offsetof(struct good_config, l), "a list"},
    {"req", VG_OPT_STR, NULL, VG_OPT_REQUIRED, offsetof(struct good_config, req), "required"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int good_create(struct vg_ctx *ctx, const void *config, void **state)
{
    (void)ctx;
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int good_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    (void)state;
    return vg_incident_upsert(ctx, ev, NULL);
}

static const struct vg_plugin good_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .name = "test_good",
    .version = "1",
    .description = "test plugin",
    .options = good_options,
    .config_size = sizeof(struct good_config),
    .create = good_create,
    .on_event = good_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &good_plugin);
}
