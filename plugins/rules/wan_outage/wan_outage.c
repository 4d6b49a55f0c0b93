/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "wan_outage": the procedure's 5.2.5 (WAN carrier line outage).
 * A link or BGP session down on a device and interface that the inventory lists
 * as a WAN circuit opens one incident on that circuit, names the faulty node
 * (5.2.5.2) and, by the circuit's responsibility, chooses 5.2.5.3 (ours: the
 * on-duty staff restore it) or 5.2.5.4 (the carrier's: the carrier_ticket action),
 * ruling the other out. While the circuit is down the context "wan_down.SITE" is
 * set for the site behind it, so rules of the other classes (lan_outage,
 * device_failure) fold the alarms of devices there into this incident instead of
 * opening their own. Serious (5.2.5.5, to the leadership group): the circuit's
 * device is of criticality high or critical, or the circuit is still down after
 * `serious_after`. The link or session coming back resolves it; the rule's
 * hold-down closes it.
 */
#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <vigil/plugin.h>

#include "class_common.h"

const struct vg_host_api *vg_host;

#define COOKIE_SERIOUS 1 /* the serious_after deadline */
#define CTX_PREFIX     "wan_down."

struct wan_config {
    struct vg_strlist down; /* event.action values that mean the circuit is down */
    struct vg_strlist up;   /* event.action values that mean it is back */
    int64_t serious_ms;     /* still down this long: serious */
};

static const struct vg_option wan_options[] = {
    {"down", VG_OPT_STRLIST, "[\"link.down\", \"bgp.peer_down\"]", 0,
     offsetof(struct wan_config, down), "event.action values that take a circuit down"},
    {"up", VG_OPT_STRLIST, "[\"link.up\", \"bgp.peer_up\"]", 0, offsetof(struct wan_config, up),
     "event.action values that bring it back (resolve the incident)"},
    {"serious_after", VG_OPT_DURATION, "30m", 0, offsetof(struct wan_config, serious_ms),
     "a circuit still down this long is serious: severity critical, step 5.2.5.5 (leadership)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What the inventory says about the circuit of an event. */
struct circuit {
    char id[128];            /* circuit id */
    char carrier[128];       /* the carrier */
    char responsibility[16]; /* "ours" or "carrier" */
    char site[128];          /* the site behind it, or "" */
    char criticality[16];    /* its device's criticality, or "" */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct wan_config *cfg = config;

    if (cfg->serious_ms <= 0 || cfg->serious_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "serious_after must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/*
 * The circuit of device dev: on interface iface when given, else (a BGP session)
 * the device's first circuit. 0 when the inventory lists one.
 */
static int find_circuit(struct vg_ctx *ctx, const char *dev, const char *iface, struct circuit *c)
{
    char key[600];
    char *text = NULL;
    fjson_object *o = NULL, *found = NULL;

    memset(c, 0, sizeof(*c));
    if (iface != NULL) {
        snprintf(key, sizeof(key), "%s|%s", dev, iface);
        text = vg_inventory_get(ctx, "circuits", key);
        found = o = text != NULL ? fjson_tokener_parse(text) : NULL;
    } else {
        int i;

        text = vg_inventory_get(ctx, "circuits", NULL);
        o = text != NULL ? fjson_tokener_parse(text) : NULL;
        for (i = 0; o != NULL && fjson_object_is_type(o, fjson_type_array) &&
                    i < fjson_object_array_length(o) && found == NULL;
             i++) {
            fjson_object *e = fjson_object_array_get_idx(o, i);
            char d[256];

            cls_member(e, "device", d, sizeof(d));
            if (strcasecmp(d, dev) == 0) {
                found = e;
            }
        }
    }
    if (found != NULL) {
        cls_member(found, "id", c->id, sizeof(c->id));
        cls_member(found, "carrier", c->carrier, sizeof(c->carrier));
        cls_member(found, "responsibility", c->responsibility, sizeof(c->responsibility));
        cls_member(found, "site", c->site, sizeof(c->site));
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
    if (found == NULL) {
        return -1;
    }
    text = vg_inventory_get(ctx, "devices", dev);
    o = text != NULL ? fjson_tokener_parse(text) : NULL;
    cls_member(o, "criticality", c->criticality, sizeof(c->criticality));
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
    return 0;
}

static int critical_device(const struct circuit *c)
{
    return strcmp(c->criticality, "high") == 0 || strcmp(c->criticality, "critical") == 0;
}

/* Queue a context operation on the site's context. */
static int site_context(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op,
                        const char *site)
{
    char name[200];
    struct vg_state_req req = {.size = sizeof(req), .op = op, .value = name};

    snprintf(name, sizeof(name), CTX_PREFIX "%s", site);
    return vg_state_op(ctx, ev, &req);
}

static int circuit_down(struct vg_ctx *ctx, const struct wan_config *cfg, const struct vg_event *ev,
                        const char *dev, const char *iface, const char *act)
{
    struct circuit c;
    char findings[1024], node[400], why[200], serious_note[200];
    fjson_object *f;
    int ours, serious, rc;

    if (find_circuit(ctx, dev, iface, &c) != 0) {
        return VG_OK; /* not a WAN circuit: a LAN matter */
    }
    ours = strcmp(c.responsibility, "ours") == 0;
    serious = critical_device(&c);
    snprintf(node, sizeof(node), "%s %s (circuit %s of %s)", dev, iface != NULL ? iface : "(BGP)",
             c.id, c.carrier);
    snprintf(why, sizeof(why), "the inventory makes the fault %s's responsibility",
             ours ? "ours" : c.carrier);
    snprintf(serious_note, sizeof(serious_note),
             "serious: the circuit's device %s is of criticality %s", dev, c.criticality);
    f = fjson_object_new_object();
    fjson_object_object_add(f, "faulty_node", fjson_object_new_string(dev));
    if (iface != NULL) {
        fjson_object_object_add(f, "interface", fjson_object_new_string(iface));
    }
    fjson_object_object_add(f, "circuit", fjson_object_new_string(c.id));
    fjson_object_object_add(f, "carrier", fjson_object_new_string(c.carrier));
    fjson_object_object_add(f, "responsibility", fjson_object_new_string(c.responsibility));
    if (c.site[0] != '\0') {
        fjson_object_object_add(f, "site_behind", fjson_object_new_string(c.site));
    }
    fjson_object_object_add(f, "evidence", fjson_object_new_string(act));
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    {
        struct vg_step_req steps[4] = {
            {sizeof(steps[0]), VG_STEP_DONE, "5.2.5.2", "vigil", node},
            {sizeof(steps[0]), ours ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE, "5.2.5.3",
             ours ? "on_duty" : NULL, why},
            {sizeof(steps[0]), ours ? VG_STEP_NOT_APPLICABLE : VG_STEP_PENDING, "5.2.5.4",
             ours ? NULL : "action:carrier_ticket", why},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.5.5", "leadership", serious_note},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious ? 5 : 0,
                                      .note = node,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = serious ? 4 : 3};

        rc = vg_incident_upsert(ctx, ev, &req);
    }
    if (rc == VG_OK) {
        struct vg_state_req arm = {.size = sizeof(arm),
                                   .op = VG_ST_ARM,
                                   .name = "serious",
                                   .window_ms = cfg->serious_ms,
                                   .flags = VG_STF_KEEP_EVENT,
                                   .cookie = COOKIE_SERIOUS};

        rc = vg_state_op(ctx, ev, &arm);
    }
    if (rc == VG_OK && c.site[0] != '\0') {
        rc = site_context(ctx, ev, VG_ST_CTX_SET, c.site);
    }
    return rc;
}

static int circuit_up(struct vg_ctx *ctx, const struct vg_event *ev, const char *dev,
                      const char *iface)
{
    struct circuit c;
    struct vg_state_req disarm = {.size = sizeof(disarm), .op = VG_ST_DISARM, .name = "serious"};
    struct vg_resolve_req res = {.size = sizeof(res), .note = "the circuit is back"};
    int rc;

    if (find_circuit(ctx, dev, iface, &c) != 0) {
        return VG_OK;
    }
    rc = vg_state_op(ctx, ev, &disarm);
    if (rc == VG_OK && c.site[0] != '\0') {
        rc = site_context(ctx, ev, VG_ST_CTX_DEL, c.site);
    }
    return rc == VG_OK ? vg_incident_resolve(ctx, ev, &res) : rc;
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct wan_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str dev = vg_event_field(ev, "host.name");
    struct vg_str iface = vg_event_field(ev, "interface.name");

    if (dev.ptr == NULL || dev.len == 0 || dev.len > 255) {
        return VG_OK;
    }
    if (iface.ptr != NULL && iface.len > 255) {
        return VG_OK;
    }
    if (cls_listed(&cfg->down, act)) {
        return circuit_down(ctx, cfg, ev, dev.ptr, iface.ptr, act.ptr);
    }
    if (cls_listed(&cfg->up, act)) {
        return circuit_up(ctx, ev, dev.ptr, iface.ptr);
    }
    return VG_OK;
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    char note[200], dur[32];
    const struct wan_config *cfg = state;

    if (!(res->deadline && res->verdict == VG_SV_EXPIRED)) {
        return VG_OK;
    }
    /* Still down after serious_after: the leadership group is told (5.2.5.5). */
    vg_format_duration(cfg->serious_ms, dur, sizeof(dur));
    snprintf(note, sizeof(note), "serious: the circuit has been down for %s", dur);
    {
        struct vg_step_req step = {sizeof(step), VG_STEP_PENDING, "5.2.5.5", "leadership", note};
        struct vg_incident_req req = {
            .size = sizeof(req), .severity = 5, .note = note, .steps = &step, .n_steps = 1};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

static const struct vg_plugin wan_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "wan_outage",
    .version = "1.0.0",
    .description = "5.2.5 WAN outage: a circuit's link or BGP session down, the faulty node, "
                   "ours or the carrier's, serious after a while",
    .options = wan_options,
    .config_size = sizeof(struct wan_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &wan_plugin);
}
