/* SPDX-License-Identifier: MIT */
/* A plugin that needs host minor 99: its entry returns NULL and the loader must say so. */
#define VG_PLUGIN_REQUIRES_MINOR 99
#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

static int r_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    (void)ctx;
    (void)state;
    (void)ev;
    return VG_OK;
}

static const struct vg_plugin r_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .name = "test_refuses_host",
    .on_event = r_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &r_plugin);
}
