/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "device_failure": the procedure's 5.2.7 (equipment failure). A fan,
 * power, temperature, voltage, module, memory (EDAC/MCE), disk or SMART fault of
 * a device opens its incident (one per device, the rule's key). The inventory
 * decides the repair: a spare of the device's model in stock makes 5.2.7.3
 * (replace the part with a spare: the spare_dispatch action) apply, none makes
 * 5.2.7.4 (the supplier's engineer, with the support contact in the findings)
 * apply; the other is ruled out. Serious (5.2.7.5, the leadership group): the
 * device is not repaired within `unresolved_after`, or a device of criticality
 * high or critical has a second fault while the first is open (redundancy lost).
 * A recovery event (fan, power, temperature back, module up) resolves it.
 */
#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

#include "class_common.h"

const struct vg_host_api *vg_host;

/*
 * Every incident call is made from on_state, one stage after the event's first
 * state operation, so that the calls of one device keep the order of its events.
 */
enum {
    COOKIE_FAULT = 1, /* the count of faults: decides the incident */
    COOKIE_BACK = 2,  /* a recovery: then the resolution */
    COOKIE_ARM = 3    /* the unresolved_after deadline (its arming result is ignored) */
};

struct df_config {
    struct vg_strlist recovered; /* event.action values of a recovery */
    int64_t unresolved_ms;       /* not repaired within this: serious */
};

static const struct vg_option df_options[] = {
    {"recovered", VG_OPT_STRLIST,
     "[\"hardware.fan_recovered\", \"hardware.power_recovered\", "
     "\"hardware.temperature_normal\", \"hardware.module_recovered\"]",
     0, offsetof(struct df_config, recovered),
     "event.action values that mean the device recovered (resolve the incident); every other "
     "event the rule matches is a fault"},
    {"unresolved_after", VG_OPT_DURATION, "4h", 0, offsetof(struct df_config, unresolved_ms),
     "a device not repaired this long after its first fault is serious: 5.2.7.5 (leadership)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What the inventory says about the device and its spares. */
struct device {
    char model[128];       /* its model, or "" */
    char criticality[16];  /* its criticality, or "" */
    char spare[160];       /* where a spare of its model is, or "" */
    fjson_object *support; /* its vendor support contact, or NULL (owned) */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct df_config *cfg = config;

    if (cfg->unresolved_ms <= 0 || cfg->unresolved_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "unresolved_after must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static void find_device(struct vg_ctx *ctx, const char *name, struct device *d)
{
    char *text = vg_inventory_get(ctx, "devices", name);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL, *sup;
    int i;

    memset(d, 0, sizeof(*d));
    cls_member(o, "model", d->model, sizeof(d->model));
    cls_member(o, "criticality", d->criticality, sizeof(d->criticality));
    if (o != NULL && fjson_object_object_get_ex(o, "support", &sup)) {
        d->support = fjson_object_get(sup);
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
    if (d->model[0] == '\0') {
        return;
    }
    /* The first spare of the model in stock. */
    text = vg_inventory_get(ctx, "spares", d->model);
    o = text != NULL ? fjson_tokener_parse(text) : NULL;
    for (i = 0; o != NULL && fjson_object_is_type(o, fjson_type_array) &&
                i < fjson_object_array_length(o) && d->spare[0] == '\0';
         i++) {
        fjson_object *s = fjson_object_array_get_idx(o, i), *n;

        if (fjson_object_object_get_ex(s, "count", &n) && fjson_object_get_int64(n) > 0) {
            cls_member(s, "location", d->spare, sizeof(d->spare));
        }
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct df_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_state_req faults = {.size = sizeof(faults),
                                  .op = VG_ST_COUNT,
                                  .name = "faults",
                                  .window_ms = cfg->unresolved_ms,
                                  .threshold = VG_STATE_THRESHOLD_MAX,
                                  .cookie = COOKIE_FAULT};
    struct vg_state_req arm = {.size = sizeof(arm),
                               .op = VG_ST_ARM,
                               .name = "unresolved",
                               .window_ms = cfg->unresolved_ms,
                               .flags = VG_STF_KEEP_EVENT,
                               .cookie = COOKIE_ARM};
    struct vg_state_req disarm = {
        .size = sizeof(disarm), .op = VG_ST_DISARM, .name = "unresolved", .cookie = COOKIE_BACK};
    int rc;

    if (cls_listed(&cfg->recovered, act)) {
        return vg_state_op(ctx, ev, &disarm);
    }
    rc = vg_state_op(ctx, ev, &faults);
    return rc == VG_OK ? vg_state_op(ctx, ev, &arm) : rc;
}

/* Open or update the incident of a fault; count is the device's faults in the window. */
static int fault(struct vg_ctx *ctx, const struct vg_event *ev, int64_t count)
{
    struct vg_str host = vg_event_field(ev, "host.name");
    struct vg_str act = vg_event_field(ev, "event.action");
    struct device d;
    char findings[2048], cause[600], repair[400];
    int critical, serious, spare, rc;
    fjson_object *f = fjson_object_new_object();

    find_device(ctx, host.ptr != NULL ? host.ptr : "", &d);
    critical = strcmp(d.criticality, "high") == 0 || strcmp(d.criticality, "critical") == 0;
    serious = critical && count >= 2;
    spare = d.spare[0] != '\0';
    snprintf(cause, sizeof(cause), "%s on %s", act.ptr != NULL ? act.ptr : "a fault",
             host.ptr != NULL ? host.ptr : "the device");
    if (spare) {
        snprintf(repair, sizeof(repair), "a spare %s is at %s", d.model, d.spare);
    } else {
        snprintf(repair, sizeof(repair), "no spare %s in stock: the supplier's engineer",
                 d.model[0] != '\0' ? d.model : "(model unknown)");
    }
    fjson_object_object_add(f, "component", fjson_object_new_string(act.ptr ? act.ptr : ""));
    fjson_object_object_add(f, "faults", fjson_object_new_int64(count));
    if (d.model[0] != '\0') {
        fjson_object_object_add(f, "model", fjson_object_new_string(d.model));
    }
    if (spare) {
        fjson_object_object_add(f, "spare_location", fjson_object_new_string(d.spare));
    }
    if (!spare && d.support != NULL) {
        fjson_object_object_add(f, "supplier_support", fjson_object_get(d.support));
    }
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    if (d.support != NULL) {
        fjson_object_put(d.support);
    }
    {
        struct vg_step_req steps[5] = {
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.7.1", "on_duty", NULL},
            {sizeof(steps[0]), VG_STEP_DONE, "5.2.7.2", "vigil", cause},
            {sizeof(steps[0]), spare ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE, "5.2.7.3",
             spare ? "action:spare_dispatch" : NULL, repair},
            {sizeof(steps[0]), spare ? VG_STEP_NOT_APPLICABLE : VG_STEP_PENDING, "5.2.7.4",
             spare ? NULL : "person", repair},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.7.5", "leadership",
             "serious: a second fault of a critical device while the first is open"},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious ? 5 : 0,
                                      .note = cause,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = serious ? 5 : 4};

        rc = vg_incident_upsert(ctx, ev, &req);
    }
    return rc;
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct df_config *cfg = state;
    struct vg_resolve_req back = {.size = sizeof(back), .note = "the device recovered"};
    char note[160], dur[32];

    if (res->deadline) {
        if (res->verdict != VG_SV_EXPIRED) {
            return VG_OK;
        }
        /* Not repaired in time: the leadership group is told (5.2.7.5). */
        vg_format_duration(cfg->unresolved_ms, dur, sizeof(dur));
        snprintf(note, sizeof(note), "serious: not repaired within %s", dur);
        {
            struct vg_step_req step = {sizeof(step), VG_STEP_PENDING, "5.2.7.5", "leadership",
                                       note};
            struct vg_incident_req req = {
                .size = sizeof(req), .severity = 5, .note = note, .steps = &step, .n_steps = 1};

            return vg_incident_upsert(ctx, ev, &req);
        }
    }
    if (res->cookie == COOKIE_FAULT) {
        return fault(ctx, ev, res->count);
    }
    if (res->cookie == COOKIE_BACK) {
        return vg_incident_resolve(ctx, ev, &back);
    }
    return VG_OK;
}

static const struct vg_plugin df_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "device_failure",
    .version = "1.0.0",
    .description = "5.2.7 equipment failure: a spare in stock or the supplier's engineer, "
                   "serious when not repaired in time or redundancy is lost",
    .options = df_options,
    .config_size = sizeof(struct df_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &df_plugin);
}
