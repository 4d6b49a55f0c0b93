/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the incident-class rule plugins (hacker_attack,
 * wan_outage, lan_outage, device_failure, virus, database, sw_attack), compiled
 * into each:
 * reading the inventory's JSON entries and testing an event's action. Not a
 * plugin (no CMakeLists.txt here).
 */
#ifndef VG_PLUGINS_CLASS_COMMON_H
#define VG_PLUGINS_CLASS_COMMON_H

#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

/* Copy the string member name of o into out (len bytes), or "" when absent or not a string. */
void cls_member(fjson_object *o, const char *name, char *out, size_t len);
/* 1 when v is one of the list's strings. */
int cls_listed(const struct vg_strlist *l, struct vg_str v);
/* 1 when v is the string s. */
int cls_is(struct vg_str v, const char *s);
/* Queue one state operation (vg_state_op) with the members most operations use. */
int cls_op(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t what, const char *name,
           const char *value, int64_t window, int64_t threshold, uint32_t flags, uint32_t cookie);

#endif /* VG_PLUGINS_CLASS_COMMON_H */
