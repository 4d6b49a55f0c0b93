/* SPDX-License-Identifier: MIT */
/* A plugin that loads but whose create() fails with a reason (instance creation test). */
#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

static int cf_create(struct vg_ctx *ctx, const void *config, void **state)
{
    (void)config;
    (void)state;
    vg_set_error(ctx, "cannot reach the frobnicator");
    return VG_ERR;
}

static int cf_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    (void)ctx;
    (void)state;
    (void)ev;
    return VG_OK;
}

static const struct vg_plugin cf_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .name = "test_create_fails",
    .create = cf_create,
    .on_event = cf_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &cf_plugin);
}
