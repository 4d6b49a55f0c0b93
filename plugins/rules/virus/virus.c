/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "virus": the procedure's 5.2.2, in two modes.
 *  - mode "host" (the rule keyed by host.name): a detection opens the infected
 *    host's incident: isolate it (5.2.2.1: the port_isolate action when the
 *    inventory knows its switch port, else a person), security staff (5.2.2.2),
 *    back up its disk (5.2.2.3), clean it and scan the others (5.2.2.4); 5.2.2.5
 *    and 5.2.2.6 are ruled out until something calls for them. A quarantine of a
 *    threat (or, without a threat name, of a file) detected on the host is
 *    recorded, and resolves with resolve_on_quarantine; a quarantine of a threat
 *    never seen there is an infection the anti-virus contained: an incident
 *    without isolation. A cleaning failure adds 5.2.2.5 (the leadership group and
 *    the vendor).
 *    Serious (critical, 5.2.2.6 the authority report, for the leadership group):
 *    a cleaning failure on a host of criticality high or critical, or any of
 *    these on a host of a registered product.
 *  - mode "outbreak" (the rule keyed by threat.software.name): the same signature
 *    on `hosts` distinct hosts within `window` opens one outbreak incident, serious
 *    at once (critical, 5.2.2.4 for the security lead, 5.2.2.5 and 5.2.2.6). The
 *    host incidents are not marked: a context between keys would make the records
 *    depend on how the keys interleave on the correlation workers.
 * In host mode every incident call comes from on_state one operation deeper than
 * the event's first one; in outbreak mode from the first one. So the calls of one
 * key keep the order of its events. The host-mode contexts are named after the
 * host, so only the host's own key reads and writes them.
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
 * Cookies: the low byte is the step of a chain, the flags carry what an earlier
 * answer found to the step that makes the incident call.
 */
enum {
    COOKIE_NONE = 1,        /* a context set whose result is not needed */
    COOKIE_DETECTED = 2,    /* a detection: was the host infected recently? */
    COOKIE_DETECTED2 = 3,   /* then: the incident */
    COOKIE_FAILED = 4,      /* a cleaning failure: was the host infected recently? */
    COOKIE_FAILED2 = 5,     /* then: the incident */
    COOKIE_QUARANTINE = 6,  /* a quarantine: was this threat detected on the host? */
    COOKIE_QUARANTINE2 = 7, /* then (not detected): was the host infected recently? */
    COOKIE_FIRST = 0x100,   /* flag: no infection of the host on record before this event */
    COOKIE_SEEN = 0x200     /* flag: the quarantined threat was detected on the host */
};

#define NAME_MAX_BYTES 256 /* longest host name or signature used in a context name */

struct virus_config {
    const char *mode;          /* "host" or "outbreak" */
    int64_t hosts;             /* outbreak: distinct hosts */
    int64_t window_ms;         /* outbreak: within this window */
    int resolve_on_quarantine; /* host: a quarantine of a detected threat resolves */
    int64_t memory_ms;         /* host: how long a detection is remembered */
};

static const struct vg_option virus_options[] = {
    {"mode", VG_OPT_STR, "\"host\"", 0, offsetof(struct virus_config, mode),
     "host (an incident per infected host, keyed by host.name) or outbreak (keyed by "
     "threat.software.name)"},
    {"hosts", VG_OPT_INT, "3", 0, offsetof(struct virus_config, hosts),
     "outbreak: distinct hosts with the same signature that make an outbreak"},
    {"window", VG_OPT_DURATION, "1h", 0, offsetof(struct virus_config, window_ms),
     "outbreak: within this window"},
    {"resolve_on_quarantine", VG_OPT_BOOL, "false", 0,
     offsetof(struct virus_config, resolve_on_quarantine),
     "host: a successful quarantine of a threat detected on the host resolves its incident"},
    {"memory", VG_OPT_DURATION, "1d", 0, offsetof(struct virus_config, memory_ms),
     "host: how long a detection is remembered (its quarantine; a host infected recently)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What the inventory says about an infected host. */
struct host_info {
    char name[NAME_MAX_BYTES];    /* the inventory's name, else the event's */
    char criticality[16];         /* its criticality, or "" */
    char product[NAME_MAX_BYTES]; /* a registered product it runs, or "" */
    int port;                     /* 1: its switch port is known */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct virus_config *cfg = config;

    if (strcmp(cfg->mode, "host") != 0 && strcmp(cfg->mode, "outbreak") != 0) {
        vg_set_error(ctx, "mode must be host or outbreak, not \"%s\"", cfg->mode);
        return VG_EINVAL;
    }
    if (cfg->hosts < 2 || cfg->hosts > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "hosts must be from 2 to %d", VG_STATE_THRESHOLD_MAX);
        return VG_EINVAL;
    }
    if (cfg->window_ms <= 0 || cfg->window_ms > VG_STATE_WINDOW_MAX_MS || cfg->memory_ms <= 0 ||
        cfg->memory_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "window and memory must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* A usable text field: present, short enough for a context name, no NUL inside. */
static const char *text_field(const struct vg_event *ev, const char *name)
{
    struct vg_str v = vg_event_field(ev, name);

    if (v.ptr == NULL || v.len == 0 || v.len >= NAME_MAX_BYTES ||
        memchr(v.ptr, '\0', v.len) != NULL) {
        return NULL;
    }
    return v.ptr;
}

/* The first registered product of the inventory that runs on host, into out. */
static void registered_product(struct vg_ctx *ctx, const char *host, char *out, size_t len)
{
    char *text = vg_inventory_get(ctx, "products", host);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL;
    int i;

    out[0] = '\0';
    for (i = 0; o != NULL && fjson_object_is_type(o, fjson_type_array) &&
                i < fjson_object_array_length(o) && out[0] == '\0';
         i++) {
        fjson_object *p = fjson_object_array_get_idx(o, i), *reg;

        if (fjson_object_object_get_ex(p, "registered", &reg) && fjson_object_get_boolean(reg)) {
            cls_member(p, "name", out, len);
        }
    }
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

/* The host of the event in the inventory, by name or else by its address. */
static void find_host(struct vg_ctx *ctx, const struct vg_event *ev, const char *host,
                      struct host_info *h)
{
    const char *ip = text_field(ev, "source.ip");
    char *text = vg_inventory_get(ctx, "hosts", host);
    fjson_object *o, *v;

    memset(h, 0, sizeof(*h));
    if (text == NULL && ip != NULL) {
        text = vg_inventory_get(ctx, "hosts", ip);
    }
    o = text != NULL ? fjson_tokener_parse(text) : NULL;
    cls_member(o, "name", h->name, sizeof(h->name));
    cls_member(o, "criticality", h->criticality, sizeof(h->criticality));
    h->port = o != NULL && fjson_object_object_get_ex(o, "switch", &v) &&
              (fjson_object_object_get_ex(o, "port", &v) ||
               fjson_object_object_get_ex(o, "if_index", &v));
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
    if (h->name[0] == '\0') {
        snprintf(h->name, sizeof(h->name), "%s", host);
    }
    registered_product(ctx, h->name, h->product, sizeof(h->product));
}

/* Queue a context operation on "PREFIX.A" or "PREFIX.A|B". */
static int context(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op, const char *prefix,
                   const char *a, const char *b, int64_t life_ms, uint32_t cookie)
{
    char name[2 * NAME_MAX_BYTES + 32];
    struct vg_state_req req = {
        .size = sizeof(req), .op = op, .value = name, .window_ms = life_ms, .cookie = cookie};

    snprintf(name, sizeof(name), "%s.%s%s%s", prefix, a, b != NULL ? "|" : "", b ? b : "");
    return vg_state_op(ctx, ev, &req);
}

/*
 * The first step of a host-mode event: what the host's record says, and the
 * record brought up to date (written here, from on_event, in the events' order).
 */
static int host_event(struct vg_ctx *ctx, const struct virus_config *cfg, const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    const char *host = text_field(ev, "host.name");
    const char *threat = text_field(ev, "threat.software.name");
    const char *path = text_field(ev, "file.path");
    int rc;

    if (host == NULL) {
        return VG_OK;
    }
    if (cls_is(act, "malware.quarantined")) {
        /* The same threat, or (ClamAV names none) the same file, detected there. */
        if (threat != NULL) {
            return context(ctx, ev, VG_ST_CTX_TEST, "virus_seen", host, threat, 0,
                           COOKIE_QUARANTINE);
        }
        return context(ctx, ev, VG_ST_CTX_TEST, "virus_file", host, path != NULL ? path : "", 0,
                       COOKIE_QUARANTINE);
    }
    if (!cls_is(act, "malware.detected") && !cls_is(act, "malware.clean_failed")) {
        return VG_OK;
    }
    rc = context(ctx, ev, VG_ST_CTX_TEST, "virus_host", host, NULL, 0,
                 cls_is(act, "malware.detected") ? COOKIE_DETECTED : COOKIE_FAILED);
    if (rc == VG_OK) {
        rc = context(ctx, ev, VG_ST_CTX_SET, "virus_host", host, NULL, cfg->memory_ms, COOKIE_NONE);
    }
    if (rc == VG_OK && threat != NULL && cls_is(act, "malware.detected")) {
        rc = context(ctx, ev, VG_ST_CTX_SET, "virus_seen", host, threat, cfg->memory_ms,
                     COOKIE_NONE);
    }
    if (rc == VG_OK && path != NULL && cls_is(act, "malware.detected")) {
        rc = context(ctx, ev, VG_ST_CTX_SET, "virus_file", host, path, cfg->memory_ms, COOKIE_NONE);
    }
    return rc;
}

/* Findings of a malware event: the threat, the file, and what the product did. */
static void threat_findings(const struct vg_event *ev, const char *did, char *out, size_t len)
{
    fjson_object *f = fjson_object_new_object();
    static const char *const fields[][2] = {
        {"threat.software.name", "threat"}, {"file.path", "file"},
        {"observer.product", "product"},    {"user.name", "user"},
        {"source.ip", "address"},           {"event.reason", "reason"},
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct vg_str v = vg_event_field(ev, fields[i][0]);

        if (v.ptr != NULL && v.len > 0) {
            fjson_object_object_add(f, fields[i][1], fjson_object_new_string(v.ptr));
        }
    }
    fjson_object_object_add(f, "last_outcome", fjson_object_new_string(did));
    snprintf(out, len, "%s", fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
}

/* Notes of the steps a host-mode incident call sets. */
struct notes {
    char isolate[600]; /* 5.2.2.1 */
    char clean[600];   /* 5.2.2.4 */
    char vendor[600];  /* 5.2.2.5 */
    char serious[600]; /* 5.2.2.6 */
};

/*
 * The test of "serious" of a host: a cleaning failure on a host of criticality
 * high or critical, or a host of a registered product. 1 and the note when so.
 */
static int serious_host(const struct host_info *h, int clean_failed, char *note, size_t len)
{
    int critical = strcmp(h->criticality, "high") == 0 || strcmp(h->criticality, "critical") == 0;

    if (h->product[0] != '\0') {
        snprintf(note, len,
                 "serious: %s runs the registered product %s: report to the municipal IT "
                 "office and the police",
                 h->name, h->product);
        return 1;
    }
    if (clean_failed && critical) {
        snprintf(note, len,
                 "serious: the anti-virus cannot clean %s, a host of criticality %s: report to "
                 "the municipal IT office and the police",
                 h->name, h->criticality);
        return 1;
    }
    snprintf(note, len, "not serious so far");
    return 0;
}

/*
 * A detection (kind 'd'), a cleaning failure ('f') or a quarantine of a threat
 * not detected on the host ('q', the infection the anti-virus contained). first:
 * no infection of the host on record before, so the incident opens with it.
 */
static int infection(struct vg_ctx *ctx, const struct vg_event *ev, char kind, int first)
{
    const char *host = text_field(ev, "host.name");
    const char *threat = text_field(ev, "threat.software.name");
    const char *path = text_field(ev, "file.path");
    const char *t = threat != NULL ? threat : path != NULL ? path : "it";
    struct host_info h;
    struct notes n;
    struct vg_step_req steps[6];
    size_t k = 0;
    char findings[4096];
    int serious;

    if (host == NULL) {
        return VG_OK;
    }
    find_host(ctx, ev, host, &h);
    serious = serious_host(&h, kind == 'f', n.serious, sizeof(n.serious));
    threat_findings(ev,
                    kind == 'd'   ? "detected"
                    : kind == 'f' ? "clean_failed"
                                  : "quarantined",
                    findings, sizeof(findings));
    if (kind == 'q') {
        snprintf(n.isolate, sizeof(n.isolate),
                 "the anti-virus quarantined %s on %s: contained, no isolation", t, h.name);
        steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_NOT_APPLICABLE, "5.2.2.1", NULL,
                                          n.isolate};
    } else {
        snprintf(n.isolate, sizeof(n.isolate), "%s",
                 h.port ? "the inventory knows its switch port"
                        : "no switch port in the inventory: "
                          "isolate it by hand");
        steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.1",
                                          h.port ? "action:port_isolate" : "person", n.isolate};
    }
    steps[k++] =
        (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.2", "security_lead", NULL};
    steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.3", "person", NULL};
    snprintf(n.clean, sizeof(n.clean), "clean %s on %s; scan and clean the other machines", t,
             h.name);
    /* A failure without a threat name keeps the note of the detection. */
    steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.4", "person",
                                      threat != NULL || first ? n.clean : NULL};
    if (kind == 'f') {
        snprintf(n.vendor, sizeof(n.vendor),
                 "the anti-virus could not remove %s from %s: tell the leadership group, contact "
                 "the vendor",
                 t, h.name);
        steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.5",
                                          "leadership", n.vendor};
    } else if (first) {
        snprintf(n.vendor, sizeof(n.vendor), "the anti-virus has not failed to remove it");
        steps[k++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_NOT_APPLICABLE, "5.2.2.5", NULL,
                                          n.vendor};
    }
    if (serious || first) {
        steps[k++] = (struct vg_step_req){sizeof(steps[0]),
                                          serious ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE,
                                          "5.2.2.6", serious ? "leadership" : NULL, n.serious};
    }
    {
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious ? 5 : 0,
                                      .note = serious ? n.serious : NULL,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = k};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/*
 * A quarantine on an infected host: recorded; when the threat is the one detected
 * there (same), resolved if the rule asks for it.
 */
static int quarantined(struct vg_ctx *ctx, const struct virus_config *cfg,
                       const struct vg_event *ev, int same)
{
    char findings[4096], note[600];
    struct vg_str threat = vg_event_field(ev, "threat.software.name");
    struct vg_incident_req req = {.size = sizeof(req), .note = note, .findings = findings};
    struct vg_resolve_req res = {.size = sizeof(res), .note = note};
    int rc;

    snprintf(note, sizeof(note), "the anti-virus quarantined %s", threat.ptr ? threat.ptr : "it");
    threat_findings(ev, "quarantined", findings, sizeof(findings));
    rc = vg_incident_upsert(ctx, ev, &req);
    if (rc == VG_OK && same && cfg->resolve_on_quarantine) {
        rc = vg_incident_resolve(ctx, ev, &res);
    }
    return rc;
}

static int host_state(struct vg_ctx *ctx, const struct virus_config *cfg, const struct vg_event *ev,
                      const struct vg_state_result *res)
{
    const char *host = text_field(ev, "host.name");
    int yes = res->verdict == VG_SV_TRUE;
    uint32_t flags = res->cookie & ~0xffu;
    int rc;

    if (host == NULL) {
        return VG_OK;
    }
    switch (res->cookie & 0xffu) {
    case COOKIE_DETECTED:
        /* No question left: a test that is never true keeps the call at its depth. */
        return context(ctx, ev, VG_ST_CTX_TEST, "virus_pass", host, NULL, 0,
                       COOKIE_DETECTED2 | (yes ? 0 : COOKIE_FIRST));
    case COOKIE_DETECTED2:
        return infection(ctx, ev, 'd', (flags & COOKIE_FIRST) != 0);
    case COOKIE_FAILED:
        return context(ctx, ev, VG_ST_CTX_TEST, "virus_pass", host, NULL, 0,
                       COOKIE_FAILED2 | (yes ? 0 : COOKIE_FIRST));
    case COOKIE_FAILED2:
        return infection(ctx, ev, 'f', (flags & COOKIE_FIRST) != 0);
    case COOKIE_QUARANTINE:
        return context(ctx, ev, VG_ST_CTX_TEST, "virus_host", host, NULL, 0,
                       COOKIE_QUARANTINE2 | (yes ? COOKIE_SEEN : 0));
    case COOKIE_QUARANTINE2:
        if (flags & COOKIE_SEEN) {
            return quarantined(ctx, cfg, ev, 1);
        }
        if (yes) {
            /* The host is infected with something else: this is part of its record. */
            return quarantined(ctx, cfg, ev, 0);
        }
        rc = infection(ctx, ev, 'q', 1);
        if (rc == VG_OK && cfg->resolve_on_quarantine) {
            struct vg_resolve_req rr = {.size = sizeof(rr), .note = "contained by the anti-virus"};

            rc = vg_incident_resolve(ctx, ev, &rr);
        }
        return rc;
    default:
        return VG_OK;
    }
}

static int outbreak_event(struct vg_ctx *ctx, const struct virus_config *cfg,
                          const struct vg_event *ev)
{
    const char *host = text_field(ev, "host.name");
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_DISTINCT,
                               .name = "hosts",
                               .value = host,
                               .window_ms = cfg->window_ms,
                               .threshold = cfg->hosts,
                               .suppress_ms = cfg->window_ms};

    if (!cls_is(vg_event_field(ev, "event.action"), "malware.detected") || host == NULL ||
        text_field(ev, "threat.software.name") == NULL) {
        return VG_OK;
    }
    return vg_state_op(ctx, ev, &req);
}

/* An outbreak fired (serious at once), or another host of it while it is suppressed. */
static int outbreak_state(struct vg_ctx *ctx, const struct virus_config *cfg,
                          const struct vg_event *ev, const struct vg_state_result *res)
{
    const char *threat = text_field(ev, "threat.software.name");
    const char *host = text_field(ev, "host.name");
    char note[600], win[32], findings[1024];
    fjson_object *f;

    if (threat == NULL || host == NULL ||
        (res->verdict != VG_SV_FIRED && res->verdict != VG_SV_SUPPRESSED)) {
        return VG_OK;
    }
    f = fjson_object_new_object();
    fjson_object_object_add(f, "threat", fjson_object_new_string(threat));
    fjson_object_object_add(f, "last_host", fjson_object_new_string(host));
    if (res->verdict == VG_SV_SUPPRESSED) {
        struct vg_incident_req req = {.size = sizeof(req), .findings = findings};

        snprintf(findings, sizeof(findings), "%s",
                 fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
        fjson_object_put(f);
        return vg_incident_upsert(ctx, ev, &req);
    }
    fjson_object_object_add(f, "hosts", fjson_object_new_int64(res->count));
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    vg_format_duration(cfg->window_ms, win, sizeof(win));
    snprintf(note, sizeof(note), "serious: an outbreak: %s on %lld hosts within %s", threat,
             (long long)res->count, win);
    {
        struct vg_step_req steps[6] = {
            {sizeof(steps[0]), VG_STEP_NOT_APPLICABLE, "5.2.2.1", NULL,
             "per host: in the incident of each infected host"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.2", "security_lead", NULL},
            {sizeof(steps[0]), VG_STEP_NOT_APPLICABLE, "5.2.2.3", NULL,
             "per host: in the incident of each infected host"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.4", "security_lead",
             "scan and clean every machine: the signature spreads"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.5", "leadership", note},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.6", "leadership",
             "serious: an outbreak: report to the municipal IT office and the police"},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = 5,
                                      .note = note,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = 6};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct virus_config *cfg = state;

    if (strcmp(cfg->mode, "host") == 0) {
        return host_event(ctx, cfg, ev);
    }
    return outbreak_event(ctx, cfg, ev);
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct virus_config *cfg = state;

    if (res->deadline || res->cookie == COOKIE_NONE) {
        return VG_OK;
    }
    if (strcmp(cfg->mode, "host") == 0) {
        return host_state(ctx, cfg, ev, res);
    }
    return outbreak_state(ctx, cfg, ev, res);
}

static const struct vg_plugin virus_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "virus",
    .version = "1.1.0",
    .description = "5.2.2 virus: an incident per infected host (isolate, back up, clean; a "
                   "cleaning failure to the leadership group), or one per outbreak",
    .options = virus_options,
    .config_size = sizeof(struct virus_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &virus_plugin);
}
