/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "lan_outage": the procedure's 5.2.6 (LAN outage), one incident per
 * switch or router (the rule's key is host.name), whose findings name the cause:
 *  - line: a lone access port down (5.2.6.3, re-lay the line, for a person);
 *  - device: `many_ports` ports down within `window` on one device, or a restart
 *    or hardware event of it (5.2.6.4, a spare device: the spare_dispatch action);
 *  - configuration: a configuration change followed within `config_window` by a
 *    link, OSPF or BGP failure on the same device (5.2.6.5: the
 *    switch_config_restore action).
 * Links of WAN circuits are left to wan_outage, and the alarms of devices at a site
 * whose WAN circuit is down (the context "wan_down.SITE" that wan_outage sets) are
 * folded into that incident: not opened here. Serious (5.2.6.6, the leadership
 * group): a core device (role containing "core", or criticality high/critical) or
 * `serious_ports` ports down. A link coming back resolves the incident.
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

/*
 * Every event's incident call is made two stages after its first state operation
 * (a test of its site's wan_down context, then one more operation), so that the
 * calls of one device keep the order of its events within a batch (the core runs
 * a batch's calls stage by stage; docs/plugin-abi.md).
 */
enum {
    COOKIE_SITE_DOWN = 1, /* a failure: the test of the site's wan_down context */
    COOKIE_PORTS = 2,     /* then the count of ports down in the window */
    COOKIE_CONFIG = 3,    /* and the configuration-change sequence */
    COOKIE_SITE_UP = 4,   /* a link back: the same test */
    COOKIE_UP = 5,        /* then a padding operation, then the resolution */
    COOKIE_SITE_DEV = 6,  /* a restart or hardware fault: the same test */
    COOKIE_DEVICE = 7,    /* then a padding operation, then the decision */
    COOKIE_CHANGED = 8    /* a configuration change: a padding operation, then the sequence */
};

struct lan_config {
    int64_t many_ports;    /* ports down within window that make it the device */
    int64_t window_ms;     /* the window of many_ports */
    int64_t config_ms;     /* a failure this soon after a config change: configuration */
    int64_t serious_ports; /* this many ports down: serious */
};

static const struct vg_option lan_options[] = {
    {"many_ports", VG_OPT_INT, "3", 0, offsetof(struct lan_config, many_ports),
     "ports down within window on one device that make the device the cause (5.2.6.4)"},
    {"window", VG_OPT_DURATION, "5m", 0, offsetof(struct lan_config, window_ms),
     "the window in which many_ports ports go down"},
    {"config_window", VG_OPT_DURATION, "10m", 0, offsetof(struct lan_config, config_ms),
     "a link, OSPF or BGP failure this soon after a configuration change names the "
     "configuration (5.2.6.5)"},
    {"serious_ports", VG_OPT_INT, "10", 0, offsetof(struct lan_config, serious_ports),
     "this many ports down within window is serious (5.2.6.6)"},
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
        cfg->serious_ports > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "many_ports and serious_ports must be from 2 to 100000");
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->config_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS ||
        cfg->config_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window and config_window must be longer than 0");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int prefixed(struct vg_str v, const char *p)
{
    return v.ptr != NULL && strncmp(v.ptr, p, strlen(p)) == 0;
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
                i < fjson_object_array_length(up);
         i++) {
        if (strcmp(fjson_object_get_string(fjson_object_array_get_idx(up, i)), iface.ptr) == 0) {
            d->uplink = 1;
        }
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

/*
 * 1 when the event's device and interface are a WAN circuit, or (an event without
 * an interface, a BGP session) the device has one: wan_outage's.
 */
static int wan_circuit(struct vg_ctx *ctx, const struct vg_event *ev)
{
    struct vg_str dev = vg_event_field(ev, "host.name");
    struct vg_str iface = vg_event_field(ev, "interface.name");
    char key[600];
    char *text;
    int found = 0;

    if (dev.ptr == NULL || dev.len + (iface.ptr != NULL ? iface.len : 0) + 2 > sizeof(key)) {
        return 0;
    }
    if (iface.ptr != NULL) {
        snprintf(key, sizeof(key), "%s|%s", dev.ptr, iface.ptr);
        text = vg_inventory_get(ctx, "circuits", key);
        found = text != NULL;
    } else {
        fjson_object *all;
        int i;

        text = vg_inventory_get(ctx, "circuits", NULL);
        all = text != NULL ? fjson_tokener_parse(text) : NULL;
        for (i = 0; all != NULL && i < fjson_object_array_length(all) && !found; i++) {
            char d[256];

            cls_member(fjson_object_array_get_idx(all, i), "device", d, sizeof(d));
            found = strcasecmp(d, dev.ptr) == 0;
        }
        if (all != NULL) {
            fjson_object_put(all);
        }
    }
    vg_free(text);
    return found;
}

static int core_device(const struct device *d)
{
    return strstr(d->role, "core") != NULL || strcmp(d->criticality, "high") == 0 ||
           strcmp(d->criticality, "critical") == 0;
}

/*
 * Open or update the device's incident with cause and its steps: the cause's step
 * pending for who, the other two cause steps not applicable; serious adds 5.2.6.6.
 */
static int decide(struct vg_ctx *ctx, const struct vg_event *ev, const char *cause,
                  const char *step, const char *who, const char *note, int64_t ports, int serious)
{
    static const char *const cause_steps[] = {"5.2.6.3", "5.2.6.4", "5.2.6.5"};
    struct vg_step_req steps[5];
    struct vg_str iface = vg_event_field(ev, "interface.name");
    char findings[512];
    size_t n = 0, i;
    fjson_object *f = fjson_object_new_object();

    steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_DONE, "5.2.6.2", "vigil", note};
    for (i = 0; i < 3; i++) {
        int mine = strcmp(cause_steps[i], step) == 0;

        steps[n++] =
            (struct vg_step_req){sizeof(steps[0]), mine ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE,
                                 cause_steps[i], mine ? who : NULL, note};
    }
    if (serious) {
        steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.6.6",
                                          "leadership", "serious: a core device, or many ports"};
    }
    fjson_object_object_add(f, "cause", fjson_object_new_string(cause));
    if (ports > 0) {
        fjson_object_object_add(f, "ports_down", fjson_object_new_int64(ports));
    }
    if (iface.ptr != NULL) {
        fjson_object_object_add(f, "last_port", fjson_object_new_string(iface.ptr));
    }
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    {
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious ? 5 : 0,
                                      .note = note,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = n};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/* Queue the test of the device's site context with cookie (a constant name without a site). */
static int site_test(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t cookie)
{
    struct device d;
    char name[200];
    struct vg_state_req test = {
        .size = sizeof(test), .op = VG_ST_CTX_TEST, .value = name, .cookie = cookie};

    find_device(ctx, ev, &d);
    snprintf(name, sizeof(name), "wan_down.%s", d.site[0] != '\0' ? d.site : "(no site)");
    return vg_state_op(ctx, ev, &test);
}

static int pad(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t cookie);

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");

    (void)state;
    if (cls_is(act, "config.changed")) {
        /* The sequence's first step at the stage of the failures' second: one order. */
        return pad(ctx, ev, COOKIE_CHANGED);
    }
    if (wan_circuit(ctx, ev)) {
        return VG_OK; /* the circuit's own link: wan_outage's */
    }
    if (cls_is(act, "link.up")) {
        return site_test(ctx, ev, COOKIE_SITE_UP);
    }
    if (cls_is(act, "device.restart") || prefixed(act, "hardware.")) {
        return site_test(ctx, ev, COOKIE_SITE_DEV);
    }
    /* A failure: behind a down WAN circuit? (then: how many ports? after a config change?) */
    return site_test(ctx, ev, COOKIE_SITE_DOWN);
}

/* After the site test of a failure: the count and the sequence, one stage later. */
static int failure_ops(struct vg_ctx *ctx, const struct lan_config *cfg, const struct vg_event *ev)
{
    struct vg_state_req count = {.size = sizeof(count),
                                 .op = VG_ST_COUNT,
                                 .name = "ports",
                                 .window_ms = cfg->window_ms,
                                 .threshold = VG_STATE_THRESHOLD_MAX,
                                 .cookie = COOKIE_PORTS};
    struct vg_state_req seq = {.size = sizeof(seq),
                               .op = VG_ST_SEQUENCE,
                               .name = "config",
                               .window_ms = cfg->config_ms,
                               .step = 1,
                               .n_steps = 2,
                               .cookie = COOKIE_CONFIG};
    int rc = vg_state_op(ctx, ev, &count);

    return rc == VG_OK ? vg_state_op(ctx, ev, &seq) : rc;
}

/* An operation that only keeps an event's incident call at the same stage as a failure's. */
static int pad(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t cookie)
{
    struct vg_state_req test = {
        .size = sizeof(test), .op = VG_ST_CTX_TEST, .value = "lan_outage.pad", .cookie = cookie};

    return vg_state_op(ctx, ev, &test);
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct lan_config *cfg = state;
    struct vg_resolve_req back = {.size = sizeof(back), .note = "the link is back"};
    struct device d;
    char note[200];

    if (res->deadline) {
        return VG_OK;
    }
    switch (res->cookie) {
    case COOKIE_SITE_DOWN:
        if (res->verdict == VG_SV_TRUE) {
            vg_log(ctx, VG_LOG_DEBUG, "alarm folded into the site's WAN outage");
            return VG_OK;
        }
        return failure_ops(ctx, cfg, ev);
    case COOKIE_SITE_UP:
        return res->verdict == VG_SV_TRUE ? VG_OK : pad(ctx, ev, COOKIE_UP);
    case COOKIE_SITE_DEV:
        return res->verdict == VG_SV_TRUE ? VG_OK : pad(ctx, ev, COOKIE_DEVICE);
    case COOKIE_UP:
        return vg_incident_resolve(ctx, ev, &back);
    case COOKIE_CHANGED: {
        struct vg_state_req seq = {.size = sizeof(seq),
                                   .op = VG_ST_SEQUENCE,
                                   .name = "config",
                                   .window_ms = cfg->config_ms,
                                   .step = 0,
                                   .n_steps = 2};

        return vg_state_op(ctx, ev, &seq);
    }
    case COOKIE_DEVICE:
        find_device(ctx, ev, &d);
        return decide(ctx, ev, "device", "5.2.6.4", "action:spare_dispatch",
                      "the device restarted or reported a hardware fault", 0, core_device(&d));
    case COOKIE_PORTS:
        find_device(ctx, ev, &d);
        if (res->count >= cfg->many_ports) {
            snprintf(note, sizeof(note), "%lld ports down within the window: the device",
                     (long long)res->count);
            return decide(ctx, ev, "device", "5.2.6.4", "action:spare_dispatch", note, res->count,
                          core_device(&d) || res->count >= cfg->serious_ports);
        }
        snprintf(note, sizeof(note), "%s down: the line", d.uplink ? "an uplink" : "a lone port");
        return decide(ctx, ev, "line", "5.2.6.3", "person", note, res->count, core_device(&d));
    case COOKIE_CONFIG:
        if (res->verdict != VG_SV_FIRED) {
            return VG_OK;
        }
        find_device(ctx, ev, &d);
        return decide(ctx, ev, "configuration", "5.2.6.5", "action:switch_config_restore",
                      "a failure soon after a configuration change: the configuration", 0,
                      core_device(&d));
    default:
        return VG_OK;
    }
}

static const struct vg_plugin lan_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "lan_outage",
    .version = "1.0.0",
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
