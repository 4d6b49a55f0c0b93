/* SPDX-License-Identifier: MIT */
/* A test plugin whose descriptor claims ABI major 2: the loader must refuse it. */
#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

static int bad_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    (void)ctx;
    (void)state;
    (void)ev;
    return VG_OK;
}

static const struct vg_plugin bad_plugin = {
    .abi_major = 2,
    .abi_minor = 0,
    .size = sizeof(struct vg_plugin),
    .kind = VG_PLUGIN_RULE,
    .name = "test_bad_major",
    .on_event = bad_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    vg_host = host;
    return &bad_plugin;
}
