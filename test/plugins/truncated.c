/* SPDX-License-Identifier: MIT */
/* A plugin whose descriptor declares a size shorter than ABI 1.0's: must be refused. */
#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

static const struct vg_plugin t_plugin = {
    .abi_major = VG_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = 16,
    .kind = VG_PLUGIN_RULE,
    .name = "test_truncated",
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &t_plugin);
}
