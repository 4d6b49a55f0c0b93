/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the incident-class rule plugins (see class_common.h). Pure
 * functions: any thread.
 */
#include "class_common.h"

#include <stdio.h>
#include <string.h>

void cls_member(fjson_object *o, const char *name, char *out, size_t len)
{
    fjson_object *v;

    out[0] = '\0';
    if (o != NULL && fjson_object_object_get_ex(o, name, &v) &&
        fjson_object_is_type(v, fjson_type_string)) {
        snprintf(out, len, "%s", fjson_object_get_string(v));
    }
}

int cls_listed(const struct vg_strlist *l, struct vg_str v)
{
    size_t i;

    for (i = 0; v.ptr != NULL && i < l->n; i++) {
        if (strcmp(l->items[i], v.ptr) == 0) {
            return 1;
        }
    }
    return 0;
}

int cls_is(struct vg_str v, const char *s)
{
    return v.ptr != NULL && strcmp(v.ptr, s) == 0;
}

int cls_op(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t what, const char *name,
           const char *value, int64_t window, int64_t threshold, uint32_t flags, uint32_t cookie)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = what,
                               .name = name,
                               .value = value,
                               .window_ms = window,
                               .threshold = threshold,
                               .flags = flags,
                               .cookie = cookie};

    return vg_state_op(ctx, ev, &req);
}
