/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "lan_outage": the procedure's 5.2.6 (LAN outage), one incident per
 * switch or router (the rule's key is host.name), whose findings name the cause:
 *  - line: fewer than `many_ports` distinct ports down within `window`: a lone
 *    access port (5.2.6.3, re-lay the line, for a person) or an uplink (the line
 *    to the upstream device, every user of the switch cut off: for the network
 *    lead, severity high);
 *  - device: `many_ports` ports down within `window`, or a restart or hardware
 *    fault of the device (5.2.6.4, a spare device: the spare_dispatch action);
 *  - configuration: a link, OSPF or BGP failure within `config_window` after a
 *    configuration change of the device (5.2.6.5: the switch_config_restore
 *    action). The change is step 0 of the sequence "config"; a failure sends its
 *    last step, never the next one, so the sequence answers how far it got (1: a
 *    change within the window) without completing, and every failure in the
 *    window is attributed to the change, not only the first. An OSPF or BGP
 *    failure without a change before it opens nothing.
 * The device and the configuration are severity high: a line incident that turns
 * out to be either escalates (the rule runs the cause's action on escalate too).
 * Links and BGP sessions of WAN circuits are left to wan_outage, and the failures
 * (not the hardware faults) of devices at a site whose WAN circuit is down (the
 * context "wan_down.SITE" that wan_outage sets) are left to its incident, which
 * counts them: none is opened here.
 * Serious (5.2.6.6, the leadership group): a core device (role containing "core",
 * or criticality high or critical) or `serious_ports` ports down within `window`:
 * severity critical.
 * The incident resolves when every port it saw go down is up again (the distinct
 * sets "downs" and "ups" of the key, emptied at each resolution).
 *
 * Depths (docs/plugin-abi.md: a batch runs the operations of all its jobs depth
 * by depth, so only operations at one depth keep the order of the events): the
 * site test (wan_outage writes the context from on_event) and what a link up
 * reads of a down (the port's context, the downs) are at the first depth; the
 * sequence at the second, for the change and the failures alike; every incident
 * call comes from the third (a failure: the site, the sequence, the count; a link
 * up: the port's context, the ups, the downs).
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

#define SEQ_STEPS    64                                     /* steps of the "config" sequence */
#define KIND(c)      ((c)&0xffu)                            /* a cookie's kind */
#define ARG(c)       ((int64_t)((c) >> 8))                  /* the number a cookie carries */
#define COOKIE(k, n) ((uint32_t)(k) | ((uint32_t)(n) << 8)) /* n below 2^24 */

/* Cookie kinds: what a state result is about. */
enum {
    K_SITE = 1,       /* a failure: is the device's site behind a down WAN circuit? */
    K_SEQ = 2,        /* a failure: a configuration change within config_window before it? */
    K_PORTS = 3,      /* a link failure: distinct ports down in the window; carries the change */
    K_ROUTING = 4,    /* a routing failure after a change: failures in the window */
    K_FAULTS = 5,     /* a restart or hardware fault: how many in the window; carries the change */
    K_UP = 6,         /* a link up: was the port seen down? */
    K_UPS = 7,        /* the distinct ports back */
    K_DOWNS_READ = 8, /* the distinct ports down; carries the ports back */
    K_CHANGE = 9,     /* a configuration change counted: on to its step of the sequence */
    K_IGNORE = 10     /* results not acted on */
};

/* What a failure is (carried in the cookie of K_SITE and K_SEQ). */
enum { F_LINK = 1, F_ROUTING = 2, F_DEVICE = 3, F_HARDWARE = 4 };

struct lan_config {
    int64_t many_ports;    /* ports down within window that make it the device */
    int64_t window_ms;     /* the window of many_ports */
    int64_t config_ms;     /* a failure this soon after a config change: configuration */
    int64_t serious_ports; /* this many ports down: serious */
    int64_t memory_ms;     /* how long a port down waits for its link up */
};

static const struct vg_option lan_options[] = {
    {"many_ports", VG_OPT_INT, "3", 0, offsetof(struct lan_config, many_ports),
     "distinct ports down within window on one device that make the device the cause "
     "(5.2.6.4); fewer is the line (5.2.6.3)"},
    {"window", VG_OPT_DURATION, "5m", 0, offsetof(struct lan_config, window_ms),
     "the window in which many_ports (and serious_ports) ports go down"},
    {"config_window", VG_OPT_DURATION, "10m", 0, offsetof(struct lan_config, config_ms),
     "a link, OSPF or BGP failure this soon after a configuration change names the "
     "configuration (5.2.6.5)"},
    {"serious_ports", VG_OPT_INT, "10", 0, offsetof(struct lan_config, serious_ports),
     "this many ports down within window is serious (5.2.6.6)"},
    {"memory", VG_OPT_DURATION, "1d", 0, offsetof(struct lan_config, memory_ms),
     "how long a port down is remembered for its link up: the incident resolves when every "
     "port it saw go down within this time is up again"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What the inventory says about a device. */
struct device {
    char site[128];       /* its site, or "" */
    char role[64];        /* its role, or "" */
    char criticality[16]; /* its criticality, or "" */
    int uplink;           /* 1: the event's interface is one of its uplinks */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct lan_config *cfg = config;

    if (cfg->many_ports < 2 || cfg->many_ports > 100000 || cfg->serious_ports < 2 ||
        cfg->serious_ports > 100000) {
        vg_set_error(ctx, "many_ports and serious_ports must be from 2 to 100000");
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->config_ms <= 0 || cfg->memory_ms <= 0 ||
        cfg->window_ms > VG_STATE_WINDOW_MAX_MS || cfg->config_ms > VG_STATE_WINDOW_MAX_MS ||
        cfg->memory_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window, config_window and memory must be longer than 0");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int ends(struct vg_str v, const char *s)
{
    size_t n = strlen(s);

    return v.ptr != NULL && v.len >= n && strcmp(v.ptr + v.len - n, s) == 0;
}

/* The device of the event from the inventory (all "" when it is not there). */
static void find_device(struct vg_ctx *ctx, const struct vg_event *ev, struct device *d)
{
    struct vg_str dev = vg_event_field(ev, "host.name");
    struct vg_str iface = vg_event_field(ev, "interface.name");
    char *text = dev.ptr != NULL ? vg_inventory_get(ctx, "devices", dev.ptr) : NULL;
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL, *up;
    int i;

    memset(d, 0, sizeof(*d));
    cls_member(o, "site", d->site, sizeof(d->site));
    cls_member(o, "role", d->role, sizeof(d->role));
    cls_member(o, "criticality", d->criticality, sizeof(d->criticality));
    for (i = 0; iface.ptr != NULL && o != NULL && fjson_object_object_get_ex(o, "uplinks", &up) &&
                fjson_object_is_type(up, fjson_type_array) && i < fjson_object_array_length(up);
         i++) {
        const char *u = fjson_object_get_string(fjson_object_array_get_idx(up, i));

        if (u != NULL && strcmp(u, iface.ptr) == 0) {
            d->uplink = 1;
        }
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

/*
 * 1 when the event's device and interface are a WAN circuit, or (a BGP session)
 * the device has one: wan_outage's.
 */
static int wan_circuit(struct vg_ctx *ctx, const struct vg_event *ev)
{
    struct vg_str dev = vg_event_field(ev, "host.name");
    struct vg_str iface = vg_event_field(ev, "interface.name");
    struct vg_str act = vg_event_field(ev, "event.action");
    char key[600];
    char *text = NULL;
    int found = 0;

    if (dev.ptr == NULL || dev.len + (iface.ptr != NULL ? iface.len : 0) + 2 > sizeof(key)) {
        return 0;
    }
    if (act.ptr != NULL && strncmp(act.ptr, "bgp.", 4) == 0) {
        fjson_object *all;
        int i;

        text = vg_inventory_get(ctx, "circuits", NULL);
        all = text != NULL ? fjson_tokener_parse(text) : NULL;
        for (i = 0; all != NULL && fjson_object_is_type(all, fjson_type_array) &&
                    i < fjson_object_array_length(all) && !found;
             i++) {
            char d[256];

            cls_member(fjson_object_array_get_idx(all, i), "device", d, sizeof(d));
            found = strcasecmp(d, dev.ptr) == 0;
        }
        if (all != NULL) {
            fjson_object_put(all);
        }
    } else if (iface.ptr != NULL) {
        snprintf(key, sizeof(key), "%s|%s", dev.ptr, iface.ptr);
        text = vg_inventory_get(ctx, "circuits", key);
        found = text != NULL;
    }
    vg_free(text);
    return found;
}

static int core_device(const struct device *d)
{
    return strstr(d->role, "core") != NULL || strcmp(d->criticality, "high") == 0 ||
           strcmp(d->criticality, "critical") == 0;
}

/* Queue one state operation with the common members. */
static int op(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t what, const char *name,
              const char *value, int64_t window, int64_t threshold, uint32_t cookie)
{
    return cls_op(ctx, ev, what, name, value, window, threshold, 0, cookie);
}

/* Step `step` of the "config" sequence: 0 a change, SEQ_STEPS - 1 only asks how far it got. */
static int config_seq(struct vg_ctx *ctx, const struct lan_config *cfg, const struct vg_event *ev,
                      uint32_t step, uint32_t cookie)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_SEQUENCE,
                               .name = "config",
                               .window_ms = cfg->config_ms,
                               .step = step,
                               .n_steps = SEQ_STEPS,
                               .cookie = cookie};

    return vg_state_op(ctx, ev, &req);
}

/* The context that remembers a port down until its link up. */
static int port_context(const struct vg_event *ev, char *out, size_t len)
{
    struct vg_str dev = vg_event_field(ev, "host.name");
    struct vg_str iface = vg_event_field(ev, "interface.name");

    if (dev.ptr == NULL || iface.ptr == NULL || iface.len == 0 || dev.len + iface.len > 400) {
        return -1;
    }
    snprintf(out, len, "lan_port.%s|%s", dev.ptr, iface.ptr);
    return 0;
}

/* What one decision says: the cause, its step, who and why, and what was counted. */
struct verdict {
    const char *cause;   /* line, device or configuration */
    const char *step;    /* the cause's step */
    const char *who;     /* who carries it out */
    char note[240];      /* why */
    int severity;        /* 0: the rule's */
    int serious;         /* 1: 5.2.6.6 for the leadership group */
    fjson_object *extra; /* counts and ports for the findings (owned; put here) */
};

/*
 * Open or update the device's incident: the cause's step pending for who, the
 * other two cause steps not applicable; serious adds 5.2.6.6 and severity critical.
 */
static int decide(struct vg_ctx *ctx, const struct vg_event *ev, struct verdict *v)
{
    static const char *const cause_steps[] = {"5.2.6.3", "5.2.6.4", "5.2.6.5"};
    struct vg_step_req steps[5];
    char findings[1024], serious_note[200];
    size_t n = 0, i;
    struct device d;

    find_device(ctx, ev, &d);
    snprintf(serious_note, sizeof(serious_note), "serious: %s",
             core_device(&d) ? "a core device" : "many ports down");
    steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_DONE, "5.2.6.2", "vigil", v->note};
    for (i = 0; i < 3; i++) {
        int mine = strcmp(cause_steps[i], v->step) == 0;

        steps[n++] =
            (struct vg_step_req){sizeof(steps[0]), mine ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE,
                                 cause_steps[i], mine ? v->who : NULL, v->note};
    }
    if (v->serious) {
        steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.6.6",
                                          "leadership", serious_note};
    }
    if (strcmp(v->cause, "line") != 0 && v->severity == 0) {
        /* The device or its configuration: high, an escalation from a line (its actions run). */
        v->severity = 4;
    }
    fjson_object_object_add(v->extra, "cause", fjson_object_new_string(v->cause));
    if (d.role[0] != '\0') {
        fjson_object_object_add(v->extra, "role", fjson_object_new_string(d.role));
    }
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(v->extra, FJSON_TO_STRING_PLAIN));
    fjson_object_put(v->extra);
    v->extra = NULL;
    {
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = v->serious ? 5 : v->severity,
                                      .note = v->note,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = n};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/* What the event's port is to the device: an uplink, an access port, or another port. */
static const char *port_role(const struct device *d)
{
    if (d->uplink) {
        return "uplink";
    }
    return strstr(d->role, "access") != NULL ? "access" : "port";
}

/* A link failure, with the distinct ports down in the window and whether a change came before. */
static int link_failure(struct vg_ctx *ctx, const struct lan_config *cfg, const struct vg_event *ev,
                        int64_t ports, int after_change)
{
    struct vg_str iface = vg_event_field(ev, "interface.name");
    struct verdict v = {.extra = fjson_object_new_object()};
    struct device d;

    find_device(ctx, ev, &d);
    fjson_object_object_add(v.extra, "ports_down", fjson_object_new_int64(ports));
    fjson_object_object_add(v.extra, "last_port",
                            fjson_object_new_string(iface.ptr != NULL ? iface.ptr : ""));
    fjson_object_object_add(v.extra, "port_role", fjson_object_new_string(port_role(&d)));
    v.serious = core_device(&d) || ports >= cfg->serious_ports;
    if (after_change) {
        v.cause = "configuration";
        v.step = "5.2.6.5";
        v.who = "action:switch_config_restore";
        if (ports > 1) {
            snprintf(v.note, sizeof(v.note),
                     "%lld ports down soon after a configuration change: the configuration",
                     (long long)ports);
        } else {
            snprintf(v.note, sizeof(v.note),
                     "a port down soon after a configuration change: the configuration");
        }
    } else if (ports >= cfg->many_ports) {
        v.cause = "device";
        v.step = "5.2.6.4";
        v.who = "action:spare_dispatch";
        snprintf(v.note, sizeof(v.note), "%lld ports down within the window: the device",
                 (long long)ports);
    } else if (d.uplink) {
        v.cause = "line";
        v.step = "5.2.6.3";
        v.who = "network_lead";
        v.severity = 4;
        snprintf(
            v.note, sizeof(v.note),
            "uplink %s down: the line to the upstream device, every user of the switch cut off",
            iface.ptr != NULL ? iface.ptr : "");
    } else {
        v.cause = "line";
        v.step = "5.2.6.3";
        v.who = "person";
        snprintf(v.note, sizeof(v.note), "%s %s down: the line", ports > 1 ? "a few" : "a lone",
                 strcmp(port_role(&d), "access") == 0 ? (ports > 1 ? "access ports" : "access port")
                                                      : (ports > 1 ? "ports" : "port"));
    }
    return decide(ctx, ev, &v);
}

/* An OSPF or BGP failure soon after a configuration change, count failures in the window. */
static int routing_failure(struct vg_ctx *ctx, const struct vg_event *ev, int64_t count)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct verdict v = {.cause = "configuration",
                        .step = "5.2.6.5",
                        .who = "action:switch_config_restore",
                        .extra = fjson_object_new_object()};
    struct device d;

    find_device(ctx, ev, &d);
    v.serious = core_device(&d);
    fjson_object_object_add(v.extra, "routing_failures", fjson_object_new_int64(count));
    snprintf(v.note, sizeof(v.note), "%s soon after a configuration change: the configuration",
             cls_is(act, "bgp.peer_down") ? "a BGP session down" : "an OSPF neighbour down");
    return decide(ctx, ev, &v);
}

/* A restart or hardware fault: the device; faults counts them in the window. */
static int device_fault(struct vg_ctx *ctx, const struct vg_event *ev, int64_t faults,
                        int after_change)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct verdict v = {.cause = "device",
                        .step = "5.2.6.4",
                        .who = "action:spare_dispatch",
                        .extra = fjson_object_new_object()};
    struct device d;

    find_device(ctx, ev, &d);
    v.serious = core_device(&d);
    fjson_object_object_add(v.extra, "faults", fjson_object_new_int64(faults));
    fjson_object_object_add(v.extra, "last_fault",
                            fjson_object_new_string(act.ptr != NULL ? act.ptr : ""));
    if (after_change) {
        fjson_object_object_add(v.extra, "after_config_change", fjson_object_new_boolean(1));
    }
    snprintf(v.note, sizeof(v.note), "%s: the device",
             cls_is(act, "device.restart") ? "the device restarted"
                                           : "a hardware fault of the device");
    return decide(ctx, ev, &v);
}

/* What kind of failure the event is, or 0 when it is none (an OSPF adjacency forming). */
static int failure_kind(const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str st;

    if (cls_is(act, "link.down")) {
        return vg_event_field(ev, "interface.name").ptr != NULL ? F_LINK : 0;
    }
    if (cls_is(act, "bgp.peer_down")) {
        return F_ROUTING;
    }
    if (cls_is(act, "ospf.neighbor_change")) {
        st = vg_event_field(ev, "ospf.neighbor.state");
        return st.ptr != NULL && (strcasecmp(st.ptr, "down") == 0 || strcmp(st.ptr, "1") == 0)
                   ? F_ROUTING
                   : 0;
    }
    if (cls_is(act, "device.restart")) {
        return F_DEVICE;
    }
    if (act.ptr != NULL && strncmp(act.ptr, "hardware.", 9) == 0 && !ends(act, "_recovered") &&
        !ends(act, "_normal")) {
        st = vg_event_field(ev, "hardware.state");
        return cls_is(act, "hardware.module_failure") && st.ptr != NULL &&
                       strcasecmp(st.ptr, "warning") == 0
                   ? 0 /* degraded, not down */
                   : F_HARDWARE;
    }
    return 0;
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct lan_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str iface = vg_event_field(ev, "interface.name");
    char name[520];
    struct device d;
    int kind, rc = VG_OK;

    if (cls_is(act, "config.changed")) {
        /* The change's step comes at the second depth, where failures ask the sequence. */
        return op(ctx, ev, VG_ST_COUNT, "changes", NULL, cfg->config_ms, VG_STATE_THRESHOLD_MAX,
                  K_CHANGE);
    }
    if (wan_circuit(ctx, ev)) {
        return VG_OK; /* the circuit's own link or session: wan_outage's */
    }
    if (cls_is(act, "link.up")) {
        return port_context(ev, name, sizeof(name)) == 0
                   ? op(ctx, ev, VG_ST_CTX_DEL, NULL, name, 0, 0, K_UP)
                   : VG_OK;
    }
    kind = failure_kind(ev);
    if (kind == 0) {
        return VG_OK;
    }
    /*
     * The port's bookkeeping is at the first depth, where a link up reads it, so a
     * down and its up in one batch meet (even a down left to a WAN incident: its
     * up then resolves nothing); so is the test of the site, whose context
     * wan_outage writes there.
     */
    if (kind == F_LINK && port_context(ev, name, sizeof(name)) == 0) {
        rc = op(ctx, ev, VG_ST_CTX_SET, NULL, name, cfg->memory_ms, 0, K_IGNORE);
        if (rc == VG_OK) {
            rc = op(ctx, ev, VG_ST_DISTINCT, "downs", iface.ptr, cfg->memory_ms,
                    VG_STATE_THRESHOLD_MAX, K_IGNORE);
        }
    }
    find_device(ctx, ev, &d);
    snprintf(name, sizeof(name), "wan_down.%s", d.site);
    return rc == VG_OK ? op(ctx, ev, VG_ST_CTX_TEST, NULL, name, 0, 0, COOKIE(K_SITE, kind)) : rc;
}

/* A failure not left to a WAN outage, after the sequence: count it (ports, failures, faults). */
static int failure(struct vg_ctx *ctx, const struct lan_config *cfg, const struct vg_event *ev,
                   int kind, int changed)
{
    struct vg_str iface = vg_event_field(ev, "interface.name");

    switch (kind) {
    case F_LINK:
        return op(ctx, ev, VG_ST_DISTINCT, "ports", iface.ptr, cfg->window_ms,
                  VG_STATE_THRESHOLD_MAX, COOKIE(K_PORTS, changed));
    case F_ROUTING:
        /* An OSPF or BGP failure names the configuration only after a change. */
        return changed ? op(ctx, ev, VG_ST_COUNT, "routing", NULL, cfg->config_ms,
                            VG_STATE_THRESHOLD_MAX, K_ROUTING)
                       : VG_OK;
    default:
        return op(ctx, ev, VG_ST_COUNT, "faults", NULL, cfg->window_ms, VG_STATE_THRESHOLD_MAX,
                  COOKIE(K_FAULTS, changed));
    }
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct lan_config *cfg = state;
    struct vg_resolve_req back = {.size = sizeof(back), .note = "every port seen down is up again"};
    struct vg_str iface = vg_event_field(ev, "interface.name");
    int64_t arg = ARG(res->cookie);
    int rc;

    if (res->deadline) {
        return VG_OK;
    }
    switch (KIND(res->cookie)) {
    case K_CHANGE:
        return config_seq(ctx, cfg, ev, 0, K_IGNORE);
    case K_SITE:
        if (res->verdict == VG_SV_TRUE && arg != F_HARDWARE) {
            vg_log(ctx, VG_LOG_DEBUG, "failure behind a down WAN circuit: left to its incident");
            return VG_OK;
        }
        /* How far the sequence got: progress 1 is a change within config_window. */
        return config_seq(ctx, cfg, ev, SEQ_STEPS - 1, COOKIE(K_SEQ, arg));
    case K_SEQ:
        return failure(ctx, cfg, ev, (int)arg, res->count >= 1);
    case K_PORTS:
        return link_failure(ctx, cfg, ev, res->count, arg != 0);
    case K_ROUTING:
        return routing_failure(ctx, ev, res->count);
    case K_FAULTS:
        return device_fault(ctx, ev, res->count, arg != 0);
    case K_UP:
        return res->verdict == VG_SV_TRUE && iface.ptr != NULL
                   ? op(ctx, ev, VG_ST_DISTINCT, "ups", iface.ptr, cfg->memory_ms,
                        VG_STATE_THRESHOLD_MAX, K_UPS)
                   : VG_OK;
    case K_UPS:
        /* Adding the port to the downs again changes nothing: it was there. */
        return op(ctx, ev, VG_ST_DISTINCT, "downs", iface.ptr, cfg->memory_ms,
                  VG_STATE_THRESHOLD_MAX, COOKIE(K_DOWNS_READ, res->count));
    case K_DOWNS_READ:
        if (arg < res->count) {
            return VG_OK; /* ports still down */
        }
        rc = vg_incident_resolve(ctx, ev, &back);
        if (rc == VG_OK) { /* a threshold of 1 fires at once: the sets start empty again */
            rc = op(ctx, ev, VG_ST_DISTINCT, "downs", "-", cfg->memory_ms, 1, K_IGNORE);
        }
        return rc == VG_OK ? op(ctx, ev, VG_ST_DISTINCT, "ups", "-", cfg->memory_ms, 1, K_IGNORE)
                           : rc;
    default:
        return VG_OK;
    }
}

static const struct vg_plugin lan_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "lan_outage",
    .version = "1.1.0",
    .description = "5.2.6 LAN outage: one incident per device naming the cause (line, device or "
                   "configuration); WAN circuits and sites behind a down circuit left out",
    .options = lan_options,
    .config_size = sizeof(struct lan_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &lan_plugin);
}
