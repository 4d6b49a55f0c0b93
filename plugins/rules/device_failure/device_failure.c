/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "device_failure": the procedure's 5.2.7 (equipment failure). A rule
 * watches one component of every device (fans, power supplies, temperature,
 * voltage, modules, memory, CPU, disks): its faults open the incident of the
 * device and that component (one rule per component, keyed by host.name), its
 * recovery events resolve it. The inventory decides the repair: a spare of the
 * device's model in stock makes 5.2.7.3 (replace the part with a spare: the
 * spare_dispatch action) apply, none makes 5.2.7.4 (the supplier's engineer,
 * with the device's support contact in the findings) apply; the other is ruled
 * out.
 *
 * Serious (severity critical, 5.2.7.5 for the leadership group): the component
 * is not repaired `unresolved_after` after its first fault (a deadline armed by
 * that fault, disarmed by the recovery); or, for a redundant component (fans,
 * power supplies), a second part fails while the first is still down on a
 * device of criticality high or critical (the redundancy is lost); or the rule
 * says every fault is serious (an environmental shutdown).
 *
 * An episode runs from a fault to the recovery or the deadline: the deadline
 * "unresolved" is armed by the episode's first fault, and the parts that failed
 * in it are the distinct set "parts.<first fault's time>". A fault thus takes
 * the arm (which tells the episode), then the parts (which count it), then the
 * incident call; with `count` above 1 a window gate ("gate") comes first. A
 * recovery takes as many operations (disarm at the depth of the arm, a context
 * test elsewhere) before it resolves, so that the incident calls of one device
 * keep the order of its events within a batch (docs/plugin-abi.md).
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

#define DEADLINE "unresolved"         /* the deadline of an episode */
#define PAD_CTX  "device_failure.pad" /* a context never set: the recovery's spacer */
#define NO_PART  "-"                  /* the part of a fault that names none */
#define TEXT_MAX 256                  /* longest inventory or event text kept */

/* Cookies: what a state result is about. */
enum {
    COOKIE_GATE = 1,    /* fault: the window gate (count above 1) */
    COOKIE_EPISODE = 2, /* fault: the episode's deadline armed now or before */
    COOKIE_PARTS = 3,   /* fault: the distinct parts of the episode; the incident call */
    COOKIE_BEFORE = 4,  /* recovery: spacer at the gate's depth */
    COOKIE_BACK = 5,    /* recovery: the deadline disarmed */
    COOKIE_AFTER = 6    /* recovery: spacer at the parts' depth; the resolution */
};

struct df_config {
    const char *component;       /* the component named in the findings, or NULL */
    struct vg_strlist recovered; /* event.action values of a recovery */
    int64_t unresolved_ms;       /* not repaired within this: serious */
    int64_t count;               /* faults within window that count as one */
    int64_t window_ms;           /* the gate's window (count above 1) */
    int redundancy;              /* 1: a second part down loses the redundancy */
    struct vg_strlist critical;  /* criticalities where a lost redundancy is serious */
    int serious_at_once;         /* 1: every fault is serious */
    int dispatch;                /* 1: spare_dispatch takes the spare, 0: a person */
};

static const struct vg_option df_options[] = {
    {"component", VG_OPT_STR, NULL, 0, offsetof(struct df_config, component),
     "the component the rule watches (fan, power_supply, disk, ...), named in the findings and "
     "notes; default the event's hardware.component, else its event.action"},
    {"recovered", VG_OPT_STRLIST,
     "[\"hardware.fan_recovered\", \"hardware.power_recovered\", "
     "\"hardware.temperature_normal\", \"hardware.voltage_normal\", "
     "\"hardware.module_recovered\"]",
     0, offsetof(struct df_config, recovered),
     "event.action values that mean the component recovered (resolve the incident); every "
     "other event the rule matches is a fault"},
    {"unresolved_after", VG_OPT_DURATION, "4h", 0, offsetof(struct df_config, unresolved_ms),
     "a component not repaired this long after its first fault is serious: severity critical, "
     "step 5.2.7.5 (leadership)"},
    {"count", VG_OPT_INT, "1", 0, offsetof(struct df_config, count),
     "faults within window that make one fault of the incident (e.g. 10 corrected memory "
     "errors); 1: every fault counts"},
    {"window", VG_OPT_DURATION, "1h", 0, offsetof(struct df_config, window_ms),
     "the window of count"},
    {"redundancy", VG_OPT_BOOL, "false", 0, offsetof(struct df_config, redundancy),
     "the component is redundant (fans, power supplies): a second part failing while the "
     "first is down, on a device of a criticality in serious_criticality, is serious"},
    {"serious_criticality", VG_OPT_STRLIST, "[\"high\", \"critical\"]", 0,
     offsetof(struct df_config, critical),
     "inventory criticalities of the devices whose lost redundancy is serious"},
    {"serious_at_once", VG_OPT_BOOL, "false", 0, offsetof(struct df_config, serious_at_once),
     "every fault is serious at once (an environmental shutdown: the device is about to power "
     "off)"},
    {"dispatch", VG_OPT_BOOL, "true", 0, offsetof(struct df_config, dispatch),
     "with a spare in stock, step 5.2.7.3 is for the spare_dispatch action of the rule (who "
     "action:spare_dispatch); false: for a person (who person), e.g. for a temperature alarm"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What the inventory says about the device and the spare of its model. */
struct device {
    char name[TEXT_MAX];   /* its inventory name, or "" */
    char model[TEXT_MAX];  /* its model, or "" */
    char criticality[16];  /* its criticality, or "" */
    char site[TEXT_MAX];   /* its site, or "" */
    int listed;            /* 1: in the inventory's devices or hosts */
    fjson_object *support; /* its vendor support contact, or NULL (owned) */
    fjson_object *spare;   /* the spare to take, or NULL (owned) */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    static const char *const levels[] = {"low", "medium", "high", "critical"};
    const struct df_config *cfg = config;
    size_t i, k;

    if (cfg->unresolved_ms <= 0 || cfg->unresolved_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "unresolved_after must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    if (cfg->count < 1 || cfg->count > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "count must be from 1 to %d", VG_STATE_THRESHOLD_MAX);
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    for (i = 0; i < cfg->critical.n; i++) {
        for (k = 0; k < 4 && strcmp(cfg->critical.items[i], levels[k]) != 0; k++) {
        }
        if (k == 4) {
            vg_set_error(ctx,
                         "serious_criticality: \"%s\" is not one of low, medium, high, "
                         "critical",
                         cfg->critical.items[i]);
            return VG_EINVAL;
        }
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int listed(const struct vg_strlist *l, const char *v)
{
    size_t i;

    for (i = 0; v != NULL && i < l->n; i++) {
        if (strcmp(l->items[i], v) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A field of the event, or NULL when absent or empty. */
static const char *field(const struct vg_event *ev, const char *name)
{
    struct vg_str v = vg_event_field(ev, name);

    return v.ptr != NULL && v.len > 0 ? v.ptr : NULL;
}

/* An inventory entry parsed, or NULL. */
static fjson_object *lookup(struct vg_ctx *ctx, const char *section, const char *key)
{
    char *text = vg_inventory_get(ctx, section, key);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL;

    vg_free(text);
    return o;
}

/*
 * The spare to take, as spare_dispatch chooses it: in stock (count above 0, a
 * location), at the device's site first, then the largest stock. A new reference
 * or NULL.
 */
static fjson_object *choose_spare(fjson_object *spares, const char *site)
{
    fjson_object *best = NULL;
    int64_t best_count = 0;
    int best_local = 0;
    int i;

    for (i = 0; spares != NULL && fjson_object_is_type(spares, fjson_type_array) &&
                i < fjson_object_array_length(spares);
         i++) {
        fjson_object *s = fjson_object_array_get_idx(spares, i);
        fjson_object *n;
        char where[TEXT_MAX], ssite[TEXT_MAX];
        int64_t count;
        int local;

        cls_member(s, "location", where, sizeof(where));
        cls_member(s, "site", ssite, sizeof(ssite));
        count = fjson_object_object_get_ex(s, "count", &n) ? fjson_object_get_int64(n) : 0;
        local = site[0] != '\0' && strcasecmp(site, ssite) == 0;
        if (count <= 0 || where[0] == '\0') {
            continue;
        }
        if (best == NULL || local > best_local || (local == best_local && count > best_count)) {
            best = s;
            best_count = count;
            best_local = local;
        }
    }
    return best != NULL ? fjson_object_get(best) : NULL;
}

/* The device from the inventory (devices, else hosts: no model there) and its spare. */
static void find_device(struct vg_ctx *ctx, const char *name, struct device *d)
{
    fjson_object *o = lookup(ctx, "devices", name);
    fjson_object *sup;

    memset(d, 0, sizeof(*d));
    if (o == NULL) {
        o = lookup(ctx, "hosts", name);
    }
    d->listed = o != NULL;
    cls_member(o, "name", d->name, sizeof(d->name));
    cls_member(o, "model", d->model, sizeof(d->model));
    cls_member(o, "criticality", d->criticality, sizeof(d->criticality));
    cls_member(o, "site", d->site, sizeof(d->site));
    if (o != NULL && fjson_object_object_get_ex(o, "support", &sup)) {
        d->support = fjson_object_get(sup);
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    if (d->model[0] != '\0') {
        o = lookup(ctx, "spares", d->model);
        d->spare = choose_spare(o, d->site);
        if (o != NULL) {
            fjson_object_put(o);
        }
    }
}

static void device_free(struct device *d)
{
    if (d->support != NULL) {
        fjson_object_put(d->support);
    }
    if (d->spare != NULL) {
        fjson_object_put(d->spare);
    }
}

/* The component a fault is about: the rule's, else the event's, else its action. */
static const char *component_of(const struct df_config *cfg, const struct vg_event *ev)
{
    const char *c = field(ev, "hardware.component");

    if (cfg->component != NULL) {
        return cfg->component;
    }
    if (c == NULL) {
        c = field(ev, "event.action");
    }
    return c != NULL ? c : "hardware";
}

/*
 * A disk as the kernel and smartd both name it: "/dev/sda" and "sda1" are "sda",
 * "nvme0n1p2" is "nvme0n1"; other names are kept.
 */
static void disk_name(const char *dev, char *out, size_t len)
{
    static const char *const sd[] = {"sd", "hd", "vd", "xvd"};
    const char *lower = "abcdefghijklmnopqrstuvwxyz";
    const char *digits = "0123456789";
    size_t i, n, head;
    char *p;

    if (strncmp(dev, "/dev/", 5) == 0) {
        dev += 5;
    }
    snprintf(out, len, "%s", dev);
    n = strlen(out);
    if (strncmp(out, "nvme", 4) == 0 || strncmp(out, "mmcblk", 6) == 0) {
        p = strrchr(out, 'p');
        if (p != NULL && p > out && p[-1] >= '0' && p[-1] <= '9' && p[1] != '\0' &&
            strspn(p + 1, digits) == strlen(p + 1)) {
            *p = '\0';
        }
        return;
    }
    for (i = 0; i < sizeof(sd) / sizeof(sd[0]); i++) {
        head = strlen(sd[i]);
        if (strncmp(out, sd[i], head) == 0 && strspn(out + head, lower) > 0) {
            head += strspn(out + head, lower);
            if (head < n && strspn(out + head, digits) == n - head) {
                out[head] = '\0';
            }
            return;
        }
    }
}

/*
 * The part a fault names (stack member and chassis first): the fan or supply's
 * name, the disk, the slot, the index or the CPU; NO_PART when it names none.
 */
static void part_of(const struct vg_event *ev, char *out, size_t len)
{
    static const char *const names[] = {"hardware.name", "hardware.slot", "hardware.index",
                                        "hardware.cpu"};
    const char *chassis = field(ev, "hardware.chassis");
    const char *unit = field(ev, "hardware.member");
    const char *dev = field(ev, "hardware.device");
    const char *p = NULL;
    char disk[TEXT_MAX];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]) && p == NULL; i++) {
        p = field(ev, names[i]);
        if (i == 0 && p == NULL && dev != NULL) {
            disk_name(dev, disk, sizeof(disk));
            p = disk;
        }
    }
    if (p == NULL) {
        snprintf(out, len, "%s", NO_PART);
        return;
    }
    snprintf(out, len, "%s%s%s%s%s", chassis != NULL ? chassis : "", chassis != NULL ? "/" : "",
             unit != NULL ? unit : "", unit != NULL ? "/" : "", p);
}

static int arm(struct vg_ctx *ctx, const struct vg_event *ev, const struct df_config *cfg)
{
    return cls_op(ctx, ev, VG_ST_ARM, DEADLINE, NULL, cfg->unresolved_ms, 0, VG_STF_KEEP_EVENT,
                  COOKIE_EPISODE);
}

static int pad(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t cookie)
{
    return cls_op(ctx, ev, VG_ST_CTX_TEST, NULL, PAD_CTX, 0, 0, 0, cookie);
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct df_config *cfg = state;
    int gate = cfg->count > 1;

    if (listed(&cfg->recovered, field(ev, "event.action"))) {
        return gate ? pad(ctx, ev, COOKIE_BEFORE)
                    : cls_op(ctx, ev, VG_ST_DISARM, DEADLINE, NULL, 0, 0, 0, COOKIE_BACK);
    }
    if (gate) {
        return cls_op(ctx, ev, VG_ST_COUNT, "gate", NULL, cfg->window_ms, cfg->count, 0,
                      COOKIE_GATE);
    }
    return arm(ctx, ev, cfg);
}

/* The spare or the supplier: the findings and the two steps that choose. */
static void repair(const struct df_config *cfg, const struct device *d, fjson_object *f,
                   struct vg_step_req *s3, struct vg_step_req *s4, char *note, size_t len)
{
    char where[TEXT_MAX], ssite[TEXT_MAX], supplier[TEXT_MAX];
    const char *why;

    fjson_object_object_add(f, "spare_available", fjson_object_new_boolean(d->spare != NULL));
    if (d->spare != NULL) {
        cls_member(d->spare, "location", where, sizeof(where));
        cls_member(d->spare, "site", ssite, sizeof(ssite));
        fjson_object_object_add(f, "spare", fjson_object_get(d->spare));
        fjson_object_object_add(f, "spare_location", fjson_object_new_string(where));
        snprintf(note, len, "a spare %s is in stock at %s%s%s%s", d->model, where,
                 ssite[0] != '\0' ? " (site " : "", ssite, ssite[0] != '\0' ? ")" : "");
        *s3 = (struct vg_step_req){sizeof(*s3), VG_STEP_PENDING, "5.2.7.3",
                                   cfg->dispatch ? "action:spare_dispatch" : "person", note};
        *s4 = (struct vg_step_req){sizeof(*s4), VG_STEP_NOT_APPLICABLE, "5.2.7.4", NULL,
                                   "a spare is in stock"};
        return;
    }
    cls_member(d->support, "name", supplier, sizeof(supplier));
    if (d->support != NULL) {
        fjson_object_object_add(f, "supplier_support", fjson_object_get(d->support));
    }
    if (!d->listed) {
        why = "the device is not in the inventory";
        snprintf(note, len, "%s: find its supplier", why);
    } else if (d->model[0] == '\0') {
        why = "the inventory names no model for the device";
        snprintf(note, len, "%s: call %s", why, supplier[0] != '\0' ? supplier : "the supplier");
    } else {
        why = "no spare of the model in stock";
        snprintf(note, len, "no spare %s in stock: call %s for an engineer", d->model,
                 supplier[0] != '\0' ? supplier : "the supplier (no support contact listed)");
    }
    *s3 = (struct vg_step_req){sizeof(*s3), VG_STEP_NOT_APPLICABLE, "5.2.7.3", NULL, why};
    *s4 = (struct vg_step_req){sizeof(*s4), VG_STEP_PENDING, "5.2.7.4", "person", note};
}

/* Open or update the incident of a fault; parts is the episode's distinct parts down. */
static int fault(struct vg_ctx *ctx, const struct df_config *cfg, const struct vg_event *ev,
                 int64_t parts)
{
    const char *host = field(ev, "host.name");
    const char *act = field(ev, "event.action");
    const char *reason = field(ev, "event.reason");
    const char *comp = component_of(cfg, ev);
    struct vg_step_req steps[5];
    struct vg_incident_req req = {.size = sizeof(req), .steps = steps};
    struct device d;
    fjson_object *f = fjson_object_new_object();
    char part[TEXT_MAX], cause[3 * TEXT_MAX], fix[4 * TEXT_MAX], serious[3 * TEXT_MAX];
    int rc;

    part_of(ev, part, sizeof(part));
    find_device(ctx, host != NULL ? host : "", &d);
    if (d.name[0] != '\0' || host == NULL) {
        host = d.name;
    }
    serious[0] = '\0';
    if (cfg->serious_at_once) {
        snprintf(serious, sizeof(serious), "serious: %s on %s (a %s fault is serious at once)",
                 act != NULL ? act : "a fault", host, comp);
    } else if (cfg->redundancy && parts >= 2 && listed(&cfg->critical, d.criticality)) {
        snprintf(serious, sizeof(serious),
                 "serious: redundancy lost: %lld parts of %s down on a device of criticality %s",
                 (long long)parts, comp, d.criticality);
    }
    snprintf(cause, sizeof(cause), "%s fault%s%s%s%s (%s)", comp,
             strcmp(part, NO_PART) != 0 ? ": " : "", strcmp(part, NO_PART) != 0 ? part : "",
             reason != NULL ? ": " : "", reason != NULL ? reason : "", act != NULL ? act : "fault");

    fjson_object_object_add(f, "device", fjson_object_new_string(host));
    fjson_object_object_add(f, "component", fjson_object_new_string(comp));
    fjson_object_object_add(f, "part", fjson_object_new_string(part));
    fjson_object_object_add(f, "parts_down", fjson_object_new_int64(parts));
    if (reason != NULL) {
        fjson_object_object_add(f, "reason", fjson_object_new_string(reason));
    }
    if (d.model[0] != '\0') {
        fjson_object_object_add(f, "model", fjson_object_new_string(d.model));
    }
    if (d.criticality[0] != '\0') {
        fjson_object_object_add(f, "criticality", fjson_object_new_string(d.criticality));
    }
    if (d.site[0] != '\0') {
        fjson_object_object_add(f, "site", fjson_object_new_string(d.site));
    }
    if (serious[0] != '\0') {
        fjson_object_object_add(f, "serious", fjson_object_new_string(serious));
    }
    steps[0] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.7.1", "on_duty", NULL};
    steps[1] = (struct vg_step_req){sizeof(steps[1]), VG_STEP_DONE, "5.2.7.2", "vigil", cause};
    repair(cfg, &d, f, &steps[2], &steps[3], fix, sizeof(fix));
    steps[4] =
        (struct vg_step_req){sizeof(steps[4]), VG_STEP_PENDING, "5.2.7.5", "leadership", serious};
    req.severity = serious[0] != '\0' ? 5 : 0;
    req.note = serious[0] != '\0' ? serious : cause;
    req.findings = fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN);
    req.n_steps = serious[0] != '\0' ? 5 : 4;
    rc = vg_incident_upsert(ctx, ev, &req);
    fjson_object_put(f);
    device_free(&d);
    return rc;
}

/* The deadline passed: the component is still not repaired. */
static int unresolved(struct vg_ctx *ctx, const struct df_config *cfg, const struct vg_event *ev)
{
    char dur[32], note[3 * TEXT_MAX];
    fjson_object *f = fjson_object_new_object();
    struct vg_step_req step = {sizeof(step), VG_STEP_PENDING, "5.2.7.5", "leadership", note};
    struct vg_incident_req req = {
        .size = sizeof(req), .severity = 5, .note = note, .steps = &step, .n_steps = 1};
    int rc;

    vg_format_duration(cfg->unresolved_ms, dur, sizeof(dur));
    snprintf(note, sizeof(note), "serious: %s not repaired within %s of its first fault",
             component_of(cfg, ev), dur);
    fjson_object_object_add(f, "not_repaired_within", fjson_object_new_string(dur));
    req.findings = fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN);
    rc = vg_incident_upsert(ctx, ev, &req);
    fjson_object_put(f);
    return rc;
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct df_config *cfg = state;
    char name[48], note[TEXT_MAX], part[TEXT_MAX];
    struct vg_resolve_req back = {.size = sizeof(back), .note = note};

    if (res->deadline) {
        if (res->verdict == VG_SV_EXPIRED && res->name != NULL &&
            strcmp(res->name, DEADLINE) == 0) {
            return unresolved(ctx, cfg, ev);
        }
        return VG_OK;
    }
    switch (res->cookie) {
    case COOKIE_GATE:
        return res->verdict == VG_SV_FIRED ? arm(ctx, ev, cfg) : VG_OK;
    case COOKIE_EPISODE:
        /* The episode is named by the time of its first fault. */
        snprintf(name, sizeof(name), "parts.%lld", (long long)res->since_ms);
        part_of(ev, part, sizeof(part));
        return cls_op(ctx, ev, VG_ST_DISTINCT, name, part, cfg->unresolved_ms,
                      VG_STATE_THRESHOLD_MAX, 0, COOKIE_PARTS);
    case COOKIE_PARTS:
        return fault(ctx, cfg, ev, res->count > 0 ? res->count : 1);
    case COOKIE_BEFORE:
        return cls_op(ctx, ev, VG_ST_DISARM, DEADLINE, NULL, 0, 0, 0, COOKIE_BACK);
    case COOKIE_BACK:
        return pad(ctx, ev, COOKIE_AFTER);
    case COOKIE_AFTER:
        snprintf(note, sizeof(note), "%s recovered (%s)", component_of(cfg, ev),
                 field(ev, "event.action") != NULL ? field(ev, "event.action") : "recovery");
        return vg_incident_resolve(ctx, ev, &back);
    default:
        return VG_OK;
    }
}

static const struct vg_plugin df_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "device_failure",
    .version = "1.1.0",
    .description = "5.2.7 equipment failure of one component per device: a spare in stock or "
                   "the supplier's engineer, serious when not repaired in time or redundancy "
                   "is lost",
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
