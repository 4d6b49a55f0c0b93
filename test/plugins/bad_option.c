/* SPDX-License-Identifier: MIT */
/* A plugin whose option lies outside its config block: the loader must refuse it. */
#include <stdint.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

struct bo_config {
    int64_t small; /* the only field */
};

static const struct vg_option bo_options[] = {
    {"far", VG_OPT_INT, "1", 0, 4096, "writes far past the config block"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int bo_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    (void)ctx;
    (void)state;
    (void)ev;
    return VG_OK;
}

static const struct vg_plugin bo_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),        .name = "test_bad_option", .options = bo_options,
    .config_size = sizeof(struct bo_config), .on_event = bo_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &bo_plugin);
}
