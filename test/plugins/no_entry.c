/* SPDX-License-Identifier: MIT */
/* A shared object without vg_plugin_entry: the loader must refuse it. */
#include <vigil/plugin.h>

VG_EXPORT int not_a_plugin(void);
VG_EXPORT int not_a_plugin(void)
{
    return 42;
}
