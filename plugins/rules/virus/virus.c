/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "virus": the procedure's 5.2.2, in two modes.
 *  - mode "host" (the rule keyed by host.name): a detection opens the infected
 *    host's incident: isolate it (5.2.2.1: the port_isolate action when the
 *    inventory knows its switch port, else a person), security staff (5.2.2.2),
 *    back up its disk (5.2.2.3), clean it and scan the others (5.2.2.4). A
 *    quarantine is recorded in the findings; a cleaning failure adds 5.2.2.5 (the
 *    leadership group and the vendor). Serious (5.2.2.6, the authority report): a
 *    cleaning failure on a host of criticality high or critical.
 *  - mode "outbreak" (the rule keyed by threat.software.name): the same signature
 *    on `hosts` distinct hosts within `window` opens one outbreak incident, serious
 *    at once (critical, 5.2.2.5 and 5.2.2.6).
 */
#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

#include "class_common.h"

const struct vg_host_api *vg_host;

struct virus_config {
    const char *mode;          /* "host" or "outbreak" */
    int64_t hosts;             /* outbreak: distinct hosts */
    int64_t window_ms;         /* outbreak: within this window */
    int resolve_on_quarantine; /* host: a quarantine resolves the incident */
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
     "host: a successful quarantine resolves the host's incident"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct virus_config *cfg = config;

    if (strcmp(cfg->mode, "host") != 0 && strcmp(cfg->mode, "outbreak") != 0) {
        vg_set_error(ctx, "mode must be host or outbreak, not \"%s\"", cfg->mode);
        return VG_EINVAL;
    }
    if (cfg->hosts < 2 || cfg->hosts > 100000 || cfg->window_ms <= 0 ||
        cfg->window_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "hosts must be from 2 to 100000 and window longer than 0");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* From the inventory: the host's switch port is known (1), and its criticality. */
static int host_port(struct vg_ctx *ctx, const char *host, char *crit, size_t len)
{
    char *text = host != NULL ? vg_inventory_get(ctx, "hosts", host) : NULL;
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL, *v;
    int port = 0;

    crit[0] = '\0';
    if (o != NULL) {
        port = fjson_object_object_get_ex(o, "switch", &v) &&
               (fjson_object_object_get_ex(o, "port", &v) ||
                fjson_object_object_get_ex(o, "if_index", &v));
        if (fjson_object_object_get_ex(o, "criticality", &v)) {
            snprintf(crit, len, "%s", fjson_object_get_string(v));
        }
        fjson_object_put(o);
    }
    vg_free(text);
    return port;
}

/* Findings of a malware event: the threat, the file, and what the product did. */
static void threat_findings(const struct vg_event *ev, const char *did, char *out, size_t len)
{
    fjson_object *f = fjson_object_new_object();
    struct vg_str t = vg_event_field(ev, "threat.software.name");
    struct vg_str p = vg_event_field(ev, "file.path");
    struct vg_str prod = vg_event_field(ev, "observer.product");

    if (t.ptr != NULL) {
        fjson_object_object_add(f, "threat", fjson_object_new_string(t.ptr));
    }
    if (p.ptr != NULL) {
        fjson_object_object_add(f, "file", fjson_object_new_string(p.ptr));
    }
    if (prod.ptr != NULL) {
        fjson_object_object_add(f, "product", fjson_object_new_string(prod.ptr));
    }
    fjson_object_object_add(f, "last_outcome", fjson_object_new_string(did));
    snprintf(out, len, "%s", fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
}

static int host_event(struct vg_ctx *ctx, const struct virus_config *cfg, const struct vg_event *ev)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str host = vg_event_field(ev, "host.name");
    char findings[1024], crit[16];
    int port = host_port(ctx, host.ptr, crit, sizeof(crit));
    int critical = strcmp(crit, "high") == 0 || strcmp(crit, "critical") == 0;

    if (cls_is(act, "malware.detected")) {
        struct vg_step_req steps[4] = {
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.1", port ? "action:port_isolate" : "person",
             port ? "the inventory knows the host's switch port" : "isolate it by hand"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.2", "security_lead", NULL},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.3", "person", NULL},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.4", "person", NULL},
        };
        struct vg_incident_req req = {
            .size = sizeof(req), .findings = findings, .steps = steps, .n_steps = 4};

        threat_findings(ev, "detected", findings, sizeof(findings));
        return vg_incident_upsert(ctx, ev, &req);
    }
    if (cls_is(act, "malware.quarantined")) {
        struct vg_incident_req req = {
            .size = sizeof(req), .note = "quarantined by the anti-virus", .findings = findings};
        struct vg_resolve_req res = {.size = sizeof(res), .note = "quarantined"};
        int rc;

        threat_findings(ev, "quarantined", findings, sizeof(findings));
        rc = vg_incident_upsert(ctx, ev, &req);
        return rc == VG_OK && cfg->resolve_on_quarantine ? vg_incident_resolve(ctx, ev, &res) : rc;
    }
    if (cls_is(act, "malware.clean_failed")) {
        struct vg_step_req steps[2] = {
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.5", "leadership",
             "the anti-virus could not remove it: the leadership group, and the vendor"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.6", "leadership",
             "serious: a cleaning failure on a critical host: report to the municipal IT office "
             "and the police"},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = critical ? 5 : 4,
                                      .note = "cleaning failed",
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = critical ? 2 : 1};

        threat_findings(ev, "clean_failed", findings, sizeof(findings));
        return vg_incident_upsert(ctx, ev, &req);
    }
    return VG_OK;
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct virus_config *cfg = state;
    struct vg_str host = vg_event_field(ev, "host.name");

    if (strcmp(cfg->mode, "host") == 0) {
        return host_event(ctx, cfg, ev);
    }
    if (!cls_is(vg_event_field(ev, "event.action"), "malware.detected") || host.ptr == NULL) {
        return VG_OK;
    }
    {
        struct vg_state_req req = {.size = sizeof(req),
                                   .op = VG_ST_DISTINCT,
                                   .name = "hosts",
                                   .value = host.ptr,
                                   .value_len = host.len,
                                   .window_ms = cfg->window_ms,
                                   .threshold = cfg->hosts,
                                   .suppress_ms = cfg->window_ms};

        return vg_state_op(ctx, ev, &req);
    }
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    char note[160], findings[512];
    struct vg_str t = vg_event_field(ev, "threat.software.name");

    (void)state;
    if (res->verdict != VG_SV_FIRED) {
        return VG_OK;
    }
    /* An outbreak: serious at once. */
    snprintf(note, sizeof(note), "outbreak: %lld hosts", (long long)res->count);
    {
        fjson_object *f = fjson_object_new_object();

        fjson_object_object_add(f, "hosts", fjson_object_new_int64(res->count));
        fjson_object_object_add(f, "threat", fjson_object_new_string(t.ptr ? t.ptr : ""));
        snprintf(findings, sizeof(findings), "%s",
                 fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
        fjson_object_put(f);
    }
    {
        struct vg_step_req steps[3] = {
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.4", "security_lead",
             "scan and clean the other machines"},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.5", "leadership", note},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.2.6", "leadership",
             "serious: an outbreak: report to the municipal IT office and the police"},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = 5,
                                      .note = note,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = 3};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

static const struct vg_plugin virus_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "virus",
    .version = "1.0.0",
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
