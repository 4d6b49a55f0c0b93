/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "wan_outage": the procedure's 5.2.5 (WAN carrier line outage).
 *
 * A circuit rule (the default) takes a link, line protocol or BGP session down on
 * a device and interface that the inventory lists as a WAN circuit: one incident
 * on that circuit naming the faulty node (5.2.5.2) and, by the circuit's
 * responsibility, choosing 5.2.5.3 (ours: the on-duty staff restore it) or
 * 5.2.5.4 (the carrier's: the carrier_ticket action), ruling the other out. A BGP
 * session that goes down while its circuit's link is down (context
 * "wan_link.ID") is part of the link's incident: none of its own. While the
 * circuit is down the context "wan_down.SITE" is set for the site behind it.
 *
 * A rule with `site_alarms` is the alarm rule of the sites behind the circuits:
 * an alarm of a device whose site is behind a down circuit opens nothing; it sets
 * the bit "wan_alarm.SITE.DEVICE". The circuit's incident collects those bits
 * every `tally_every` (deadline "tally") and when the circuit comes back: each
 * device found joins the distinct set "behind" of the circuit's key (a marker
 * "-" in it since the circuit went down), whose size less one goes into the
 * findings (suppressed_devices). lan_outage tests the same wan_down context and
 * stays silent for those devices: the outage is one incident, not one per device.
 *
 * Serious (5.2.5.5, to the leadership group): the circuit's device is of
 * criticality high or critical, or the circuit is still down `serious_after`
 * after it went down (deadline "serious"). The link or session coming back
 * resolves the incident ("held", armed by the down, is disarmed by the up); the
 * rule's hold-down closes it.
 *
 * Depths (docs/plugin-abi.md: a batch runs the operations of all its jobs depth
 * by depth, so only operations at one depth keep the order of the events): what
 * other keys read (the contexts wan_down and wan_link) and "held" are written by
 * on_event; the alarm bits at the second depth, where the up collects them; every
 * incident call of an event comes from the third depth (down: held, serious, the
 * behind set; up: held, the probes and serious, the behind set).
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

#define CTX_SITE      "wan_down."               /* + site: a circuit of the site is down */
#define CTX_ALARM     "wan_alarm."              /* + site.device: it alarmed meanwhile */
#define ALARM_LIFE_MS INT64_C(86400000)         /* a bit not collected in a day lapses */
#define BEHIND_MS     (INT64_C(30) * 86400000)  /* how long the behind set keeps a device */
#define DAY_MS        INT64_C(86400000)         /* longest tally_every */
#define MARK          "-"                       /* the behind set's marker (not a device) */
#define MAX_PROBES    512                       /* devices of one site collected at most */
#define HELD_MS       (INT64_C(365) * 86400000) /* "held" never fires in practice */
#define KIND(c)       ((c)&0xffu)               /* a cookie's kind */
#define ARG(c)        ((int64_t)((c) >> 8))     /* the number a cookie carries */
#define COOKIE(k, n)  ((uint32_t)(k) | ((uint32_t)(n) << 8)) /* n below 2^24 */

/* Cookie kinds: what a state result is about. */
enum {
    K_DOWN_HELD = 1,     /* link down: "held" armed (on to the serious deadline) */
    K_DOWN_TEST = 2,     /* BGP down: is the circuit's link down (fold into its incident)? */
    K_DOWN_ARMED = 3,    /* down: the serious deadline armed now, or already (still down) */
    K_DOWN_MARK = 4,     /* down: the behind set with its marker; carries "still down" */
    K_UP = 5,            /* up: did this key hold the circuit ("held" disarmed)? */
    K_UP_MARK = 6,       /* up: the marker after the probes */
    K_RESET = 7,         /* up: the behind set read and emptied; resolve */
    K_PROBE = 8,         /* a device's alarm bit; carries its index */
    K_BEHIND = 9,        /* a device added to the behind set; carries its index */
    K_ALARM = 10,        /* alarm rule: is the device's site behind a down circuit? */
    K_TALLY_SITE = 11,   /* tally deadline: is the site still behind a down circuit? */
    K_SERIOUS_MARK = 12, /* serious deadline: the devices folded so far */
    K_IGNORE = 13        /* results not acted on */
};

struct wan_config {
    struct vg_strlist down; /* event.action values that take the circuit down */
    struct vg_strlist up;   /* event.action values that bring it back */
    int64_t serious_ms;     /* still down this long: serious */
    int64_t tally_ms;       /* how often the alarms behind it are collected */
    int site_alarms;        /* 1: this rule is the alarm rule of the sites behind */
};

static const struct vg_option wan_options[] = {
    {"down", VG_OPT_STRLIST, "[\"link.down\", \"link.protocol_down\", \"bgp.peer_down\"]", 0,
     offsetof(struct wan_config, down), "event.action values that take a circuit down"},
    {"up", VG_OPT_STRLIST, "[\"link.up\", \"link.protocol_up\", \"bgp.peer_up\"]", 0,
     offsetof(struct wan_config, up),
     "event.action values that bring it back (resolve the incident); with site_alarms: "
     "events that are not alarms"},
    {"serious_after", VG_OPT_DURATION, "30m", 0, offsetof(struct wan_config, serious_ms),
     "a circuit still down this long is serious: severity critical, step 5.2.5.5 (leadership)"},
    {"tally_every", VG_OPT_DURATION, "1m", 0, offsetof(struct wan_config, tally_ms),
     "while a circuit is down, how often the alarms of the devices behind it are counted "
     "into its incident (and once more when it comes back)"},
    {"site_alarms", VG_OPT_BOOL, "false", 0, offsetof(struct wan_config, site_alarms),
     "this rule is the alarm rule of the sites behind the circuits: an alarm of a device at a "
     "site whose circuit is down is counted into the circuit's incident, none is opened"},
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
    if (cfg->tally_ms < 1000 || cfg->tally_ms > DAY_MS) {
        vg_set_error(ctx, "tally_every must be from 1s to 1d");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* 1 when the event is about a BGP session (no interface: the device's circuit). */
static int is_bgp(const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");

    return act.ptr != NULL && strncmp(act.ptr, "bgp.", 4) == 0;
}

/* The device of the event: host.name when it is usable, else NULL. */
static const char *device_of(const struct vg_event *ev)
{
    struct vg_str dev = vg_event_field(ev, "host.name");

    return dev.ptr != NULL && dev.len > 0 && dev.len <= 255 ? dev.ptr : NULL;
}

/* The interface of a link event, or NULL (a BGP session, or none usable). */
static const char *iface_of(const struct vg_event *ev)
{
    struct vg_str iface = vg_event_field(ev, "interface.name");

    if (is_bgp(ev) || iface.ptr == NULL || iface.len == 0 || iface.len > 255) {
        return NULL;
    }
    return iface.ptr;
}

/*
 * The circuit of the event's device: on its interface for a link event, else (a
 * BGP session) the device's first circuit. 0 when the inventory lists one.
 */
static int find_circuit(struct vg_ctx *ctx, const struct vg_event *ev, struct circuit *c)
{
    const char *dev = device_of(ev);
    const char *iface = iface_of(ev);
    char key[600];
    char *text = NULL;
    fjson_object *o = NULL, *found = NULL;

    memset(c, 0, sizeof(*c));
    if (dev == NULL || (!is_bgp(ev) && iface == NULL)) {
        return -1;
    }
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
    if (found == NULL || c->id[0] == '\0') {
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

/*
 * The inventory's name and site of a device (the event may name it by another
 * case or by an address) into name and site ("" when it is not there).
 */
static void device_site(struct vg_ctx *ctx, const char *dev, char *name, size_t name_len,
                        char *site, size_t site_len)
{
    char *text = vg_inventory_get(ctx, "devices", dev);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL;

    cls_member(o, "name", name, name_len);
    cls_member(o, "site", site, site_len);
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

static int critical_device(const struct circuit *c)
{
    return strcmp(c->criticality, "high") == 0 || strcmp(c->criticality, "critical") == 0;
}

/* The context that says the circuit's link is down. */
static void link_down_name(const struct circuit *c, char *out, size_t len)
{
    snprintf(out, len, "wan_link.%s", c->id);
}

/* Queue one state operation with the common members. */
static int op(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t what, const char *name,
              const char *value, int64_t window, int64_t threshold, uint32_t cookie)
{
    return cls_op(ctx, ev, what, name, value, window, threshold, 0, cookie);
}

/* Arm the deadline name window ahead, keeping the event for it. */
static int arm(struct vg_ctx *ctx, const struct vg_event *ev, const char *name, int64_t window,
               uint32_t cookie)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_ARM,
                               .name = name,
                               .window_ms = window,
                               .flags = VG_STF_KEEP_EVENT,
                               .cookie = cookie};

    return vg_state_op(ctx, ev, &req);
}

/*
 * Queue the collection of the alarm bits of the devices at the circuit's site:
 * one CTX_DEL each, the device's index in the inventory in the cookie.
 */
static int probe_site(struct vg_ctx *ctx, const struct vg_event *ev, const struct circuit *c)
{
    char *text = vg_inventory_get(ctx, "devices", NULL);
    fjson_object *all = text != NULL ? fjson_tokener_parse(text) : NULL;
    int i, n = 0, rc = VG_OK;

    for (i = 0; all != NULL && fjson_object_is_type(all, fjson_type_array) &&
                i < fjson_object_array_length(all) && n < MAX_PROBES && rc == VG_OK;
         i++) {
        fjson_object *d = fjson_object_array_get_idx(all, i);
        char name[256], site[128], bit[520];

        cls_member(d, "name", name, sizeof(name));
        cls_member(d, "site", site, sizeof(site));
        if (name[0] == '\0' || strcmp(site, c->site) != 0) {
            continue;
        }
        snprintf(bit, sizeof(bit), CTX_ALARM "%s.%s", c->site, name);
        rc = op(ctx, ev, VG_ST_CTX_DEL, NULL, bit, 0, 0, COOKIE(K_PROBE, i));
        n++;
    }
    if (all != NULL) {
        fjson_object_put(all);
    }
    vg_free(text);
    return rc;
}

/* The name of the inventory's device number idx into out ("" when there is none). */
static void device_at(struct vg_ctx *ctx, int64_t idx, char *out, size_t len)
{
    char *text = vg_inventory_get(ctx, "devices", NULL);
    fjson_object *all = text != NULL ? fjson_tokener_parse(text) : NULL;

    out[0] = '\0';
    if (all != NULL && fjson_object_is_type(all, fjson_type_array) && idx >= 0 &&
        idx < fjson_object_array_length(all)) {
        cls_member(fjson_object_array_get_idx(all, (int)idx), "name", out, len);
    }
    if (all != NULL) {
        fjson_object_put(all);
    }
    vg_free(text);
}

/* The findings and steps of a circuit down; serious adds 5.2.5.5 for the leadership group. */
static int open_circuit(struct vg_ctx *ctx, const struct vg_event *ev, const struct circuit *c,
                        int64_t folded, int again)
{
    const char *dev = device_of(ev);
    const char *iface = iface_of(ev);
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str peer = vg_event_field(ev, "bgp.peer.ip");
    char findings[2048], node[800], record[820], what[300], why[200], serious_note[400];
    int ours = strcmp(c->responsibility, "ours") == 0;
    int serious = critical_device(c);
    fjson_object *f = fjson_object_new_object();

    if (iface != NULL) {
        snprintf(what, sizeof(what), "%s", iface);
    } else {
        snprintf(what, sizeof(what), "BGP session to %s", peer.ptr != NULL ? peer.ptr : "its peer");
    }
    snprintf(node, sizeof(node), "%s %s (circuit %s of %s)", dev, what, c->id, c->carrier);
    snprintf(record, sizeof(record), "%s%s", again ? "still down: " : "", node);
    snprintf(why, sizeof(why), "the inventory makes the fault %s", ours ? "ours" : "the carrier's");
    snprintf(serious_note, sizeof(serious_note),
             "serious: the circuit's device %s is of criticality %s", dev, c->criticality);
    fjson_object_object_add(f, "device", fjson_object_new_string(dev));
    fjson_object_object_add(f, "faulty_node", fjson_object_new_string(dev));
    if (iface != NULL) {
        fjson_object_object_add(f, "interface", fjson_object_new_string(iface));
    }
    if (peer.ptr != NULL && is_bgp(ev)) {
        fjson_object_object_add(f, "bgp_peer", fjson_object_new_string(peer.ptr));
    }
    fjson_object_object_add(f, "circuit", fjson_object_new_string(c->id));
    fjson_object_object_add(f, "carrier", fjson_object_new_string(c->carrier));
    fjson_object_object_add(f, "responsibility",
                            fjson_object_new_string(ours ? "ours" : "carrier"));
    if (c->site[0] != '\0') {
        fjson_object_object_add(f, "site_behind", fjson_object_new_string(c->site));
        fjson_object_object_add(f, "suppressed_devices", fjson_object_new_int64(folded));
    }
    fjson_object_object_add(f, "evidence", fjson_object_new_string(act.ptr != NULL ? act.ptr : ""));
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
                                      .note = record,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = serious ? 4 : 3};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/* A device's alarms were folded in: the count of devices behind so far. */
static int count_behind(struct vg_ctx *ctx, const struct vg_event *ev,
                        const struct vg_state_result *res)
{
    char findings[400], note[400], dev[256];
    fjson_object *f = fjson_object_new_object();
    int64_t n = res->count > 0 ? res->count - 1 : 0;
    struct vg_incident_req req = {.size = sizeof(req), .note = note, .findings = findings};

    device_at(ctx, ARG(res->cookie), dev, sizeof(dev));
    fjson_object_object_add(f, "suppressed_devices", fjson_object_new_int64(n));
    fjson_object_object_add(f, "last_suppressed_device", fjson_object_new_string(dev));
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    snprintf(note, sizeof(note), "alarms of %s, behind the down circuit, folded into this incident",
             dev);
    return vg_incident_upsert(ctx, ev, &req);
}

/* The alarm rule: an alarm of a device whose site is behind a down circuit sets its bit. */
static int alarm_event(struct vg_ctx *ctx, const struct wan_config *cfg, const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str state = vg_event_field(ev, "ospf.neighbor.state");
    const char *dev = device_of(ev);
    struct circuit c;
    char known[256], site[128], name[200];

    if (dev == NULL || cls_listed(&cfg->up, act)) {
        return VG_OK;
    }
    if (act.ptr != NULL && strcmp(act.ptr, "ospf.neighbor_change") == 0 &&
        (state.ptr == NULL ||
         (strcasecmp(state.ptr, "down") != 0 && strcmp(state.ptr, "1") != 0))) {
        return VG_OK; /* an adjacency forming or full: not an alarm */
    }
    if (find_circuit(ctx, ev, &c) == 0) {
        return VG_OK; /* a circuit's own link or session: the circuit rule's */
    }
    device_site(ctx, dev, known, sizeof(known), site, sizeof(site));
    if (site[0] == '\0') {
        return VG_OK;
    }
    snprintf(name, sizeof(name), CTX_SITE "%s", site);
    return op(ctx, ev, VG_ST_CTX_TEST, NULL, name, 0, 0, K_ALARM);
}

static int alarm_state(struct vg_ctx *ctx, const struct vg_event *ev,
                       const struct vg_state_result *res)
{
    const char *dev = device_of(ev);
    char known[256], site[128], bit[520];

    if (KIND(res->cookie) != K_ALARM || res->verdict != VG_SV_TRUE || dev == NULL) {
        return VG_OK;
    }
    /* The bit's name is the one the probes build from the inventory. */
    device_site(ctx, dev, known, sizeof(known), site, sizeof(site));
    if (known[0] == '\0') {
        return VG_OK;
    }
    snprintf(bit, sizeof(bit), CTX_ALARM "%s.%s", site, known);
    vg_log(ctx, VG_LOG_DEBUG, "alarm of %s folded into the WAN outage of site %s", known, site);
    return op(ctx, ev, VG_ST_CTX_SET, NULL, bit, ALARM_LIFE_MS, 0, K_IGNORE);
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct wan_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    int down = cls_listed(&cfg->down, act);
    struct circuit c;
    char link[200], site[200];
    int rc;

    if (cfg->site_alarms) {
        return alarm_event(ctx, cfg, ev);
    }
    if (!down && !cls_listed(&cfg->up, act)) {
        return VG_OK;
    }
    if (find_circuit(ctx, ev, &c) != 0) {
        return VG_OK; /* not a WAN circuit: a LAN matter */
    }
    link_down_name(&c, link, sizeof(link));
    snprintf(site, sizeof(site), CTX_SITE "%s", c.site);
    if (!down) {
        rc = op(ctx, ev, VG_ST_DISARM, "held", NULL, 0, 0, K_UP);
        if (rc == VG_OK && c.site[0] != '\0') {
            rc = op(ctx, ev, VG_ST_CTX_DEL, NULL, site, 0, 0, K_IGNORE);
        }
        return rc == VG_OK && !is_bgp(ev) ? op(ctx, ev, VG_ST_CTX_DEL, NULL, link, 0, 0, K_IGNORE)
                                          : rc;
    }
    rc = op(ctx, ev, VG_ST_ARM, "held", NULL, HELD_MS, 0, is_bgp(ev) ? K_IGNORE : K_DOWN_HELD);
    if (rc == VG_OK && c.site[0] != '\0') {
        rc = op(ctx, ev, VG_ST_CTX_SET, NULL, site, 0, 0, K_IGNORE);
        if (rc == VG_OK) {
            rc = arm(ctx, ev, "tally", cfg->tally_ms, K_IGNORE);
        }
    }
    if (rc != VG_OK) {
        return rc;
    }
    return is_bgp(ev) ? op(ctx, ev, VG_ST_CTX_TEST, NULL, link, 0, 0, K_DOWN_TEST)
                      : op(ctx, ev, VG_ST_CTX_SET, NULL, link, 0, 0, K_IGNORE);
}

/*
 * Back: cancel the serious deadline (one that passed fires inside this DISARM:
 * the escalation comes first), collect the last alarm bits, then the marker whose
 * result empties the behind set and resolves, after the devices found.
 */
static int bring_up(struct vg_ctx *ctx, const struct vg_event *ev, const struct circuit *c)
{
    int rc = op(ctx, ev, VG_ST_DISARM, "serious", NULL, 0, 0, K_IGNORE);

    if (rc == VG_OK && c->site[0] != '\0') {
        rc = probe_site(ctx, ev, c);
    }
    return rc == VG_OK ? op(ctx, ev, VG_ST_DISTINCT, "behind", MARK, BEHIND_MS,
                            VG_STATE_THRESHOLD_MAX, K_UP_MARK)
                       : rc;
}

/* Still down after serious_after: the leadership group is told (5.2.5.5). */
static int still_down(struct vg_ctx *ctx, const struct wan_config *cfg, const struct vg_event *ev,
                      int64_t folded)
{
    char note[200], dur[32], findings[160];
    struct vg_step_req step = {sizeof(step), VG_STEP_PENDING, "5.2.5.5", "leadership", note};
    struct vg_incident_req req = {.size = sizeof(req),
                                  .severity = 5,
                                  .note = note,
                                  .findings = findings,
                                  .steps = &step,
                                  .n_steps = 1};

    vg_format_duration(cfg->serious_ms, dur, sizeof(dur));
    snprintf(note, sizeof(note), "serious: the circuit has been down for %s", dur);
    snprintf(findings, sizeof(findings),
             "{\"down_longer_than\":\"%s\",\"suppressed_devices\":%lld}", dur, (long long)folded);
    return vg_incident_upsert(ctx, ev, &req);
}

/*
 * A deadline of the circuit's key (from the timer, or inside the next operation
 * on its state). serious: the devices folded so far, then the escalation. tally:
 * the probes, and whether the site is still behind a down circuit (re-arm).
 */
static int deadline(struct vg_ctx *ctx, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    struct circuit c;
    char name[200];
    int rc;

    if (res->verdict != VG_SV_EXPIRED || res->name == NULL || find_circuit(ctx, ev, &c) != 0) {
        return VG_OK;
    }
    if (strcmp(res->name, "serious") == 0) {
        return op(ctx, ev, VG_ST_DISTINCT, "behind", MARK, BEHIND_MS, VG_STATE_THRESHOLD_MAX,
                  K_SERIOUS_MARK);
    }
    if (strcmp(res->name, "tally") != 0 || c.site[0] == '\0') {
        return VG_OK;
    }
    rc = probe_site(ctx, ev, &c);
    snprintf(name, sizeof(name), CTX_SITE "%s", c.site);
    return rc == VG_OK ? op(ctx, ev, VG_ST_CTX_TEST, NULL, name, 0, 0, K_TALLY_SITE) : rc;
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct wan_config *cfg = state;
    struct vg_resolve_req back = {.size = sizeof(back), .note = "the circuit is back"};
    struct circuit c;
    char value[300];
    int rc;

    if (cfg->site_alarms) {
        return alarm_state(ctx, ev, res);
    }
    if (res->deadline) {
        return deadline(ctx, ev, res);
    }
    switch (KIND(res->cookie)) {
    case K_DOWN_HELD:
        return arm(ctx, ev, "serious", cfg->serious_ms, K_DOWN_ARMED);
    case K_DOWN_TEST:
        if (res->verdict == VG_SV_TRUE) {
            /* The circuit's link is down: this session is part of the link's incident. */
            vg_log(ctx, VG_LOG_DEBUG, "BGP session of a circuit whose link is down: folded");
            rc = op(ctx, ev, VG_ST_DISARM, "held", NULL, 0, 0, K_IGNORE);
            return rc == VG_OK ? op(ctx, ev, VG_ST_DISARM, "tally", NULL, 0, 0, K_IGNORE) : rc;
        }
        return arm(ctx, ev, "serious", cfg->serious_ms, K_DOWN_ARMED);
    case K_DOWN_ARMED:
        return op(ctx, ev, VG_ST_DISTINCT, "behind", MARK, BEHIND_MS, VG_STATE_THRESHOLD_MAX,
                  COOKIE(K_DOWN_MARK, res->verdict != VG_SV_ARMED));
    case K_DOWN_MARK:
        return find_circuit(ctx, ev, &c) == 0
                   ? open_circuit(ctx, ev, &c, res->count > 0 ? res->count - 1 : 0,
                                  (int)ARG(res->cookie))
                   : VG_OK;
    case K_UP:
        if (res->verdict != VG_SV_CLEARED || find_circuit(ctx, ev, &c) != 0) {
            return VG_OK; /* this key did not hold the circuit */
        }
        return bring_up(ctx, ev, &c);
    case K_UP_MARK:
        return op(ctx, ev, VG_ST_DISTINCT, "behind", MARK, BEHIND_MS, 1, K_RESET);
    case K_RESET:
        return vg_incident_resolve(ctx, ev, &back);
    case K_PROBE:
        if (res->verdict != VG_SV_TRUE) {
            return VG_OK;
        }
        device_at(ctx, ARG(res->cookie), value, sizeof(value));
        if (value[0] == '\0') {
            return VG_OK; /* the inventory changed meanwhile */
        }
        return op(ctx, ev, VG_ST_DISTINCT, "behind", value, BEHIND_MS, VG_STATE_THRESHOLD_MAX,
                  COOKIE(K_BEHIND, ARG(res->cookie)));
    case K_BEHIND:
        return count_behind(ctx, ev, res);
    case K_TALLY_SITE:
        /* Still down: collect again after tally_every. */
        return res->verdict == VG_SV_TRUE ? arm(ctx, ev, "tally", cfg->tally_ms, K_IGNORE) : VG_OK;
    case K_SERIOUS_MARK:
        return still_down(ctx, cfg, ev, res->count > 0 ? res->count - 1 : 0);
    default:
        return VG_OK;
    }
}

static const struct vg_plugin wan_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "wan_outage",
    .version = "1.1.0",
    .description = "5.2.5 WAN outage: a circuit's link or BGP session down, the faulty node, "
                   "ours or the carrier's, the alarms behind it folded in, serious after a while",
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
