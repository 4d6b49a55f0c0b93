/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "sw_attack": the procedure's 5.2.3 (destructive attack on a
 * software system), one incident per attacked host (the rule's key is
 * host.name):
 *  - web attack indicators (SQL injection, path traversal, scanners) against the
 *    host open it at medium severity and add each source address to its findings
 *    ("source:ADDR"), the record 5.2.3.3 asks for; a service failure on the host
 *    within `attack_window` after them (a sequence in Redis) makes it an attack
 *    on the system: 5.2.3.2 (stop the system) for a person, severity high;
 *  - a file-integrity change under `system_paths` opens or raises it likewise;
 *  - `deletions` file deletions within `deletion_window` (auditd) are a mass
 *    deletion.
 * Serious (5.2.3.4, the authority report, severity critical): a mass deletion,
 * or a system-path change on a host that web attacks also hit.
 */
#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

#include "class_common.h"

const struct vg_host_api *vg_host;

/* Every incident call is made from on_state of the event's first state operation. */
enum {
    COOKIE_WEB = 1,     /* a web indicator: the sequence's first step, then the findings */
    COOKIE_FAILED = 2,  /* a service failure: the sequence's second step */
    COOKIE_FIM = 3,     /* a system-path change: the test of the host's web context */
    COOKIE_DELETED = 4, /* a deletion: the count in the window */
    COOKIE_MARK = 5     /* the host's web context (its result is ignored) */
};

struct sw_config {
    struct vg_strlist system_paths; /* path prefixes whose changes are an attack */
    int64_t attack_ms;              /* a service failure this soon after web attacks */
    int64_t deletions;              /* deletions within deletion_ms: a mass deletion */
    int64_t deletion_ms;            /* that window */
};

static const struct vg_option sw_options[] = {
    {"system_paths", VG_OPT_STRLIST,
     "[\"/bin/\", \"/sbin/\", \"/usr/bin/\", \"/usr/sbin/\", \"/etc/\", \"/boot/\", \"/lib/\", "
     "\"/usr/lib/\"]",
     0, offsetof(struct sw_config, system_paths),
     "path prefixes whose file-integrity changes are an attack on the system"},
    {"attack_window", VG_OPT_DURATION, "30m", 0, offsetof(struct sw_config, attack_ms),
     "a service failure this soon after web attack indicators on the host is an attack (5.2.3.2)"},
    {"deletions", VG_OPT_INT, "20", 0, offsetof(struct sw_config, deletions),
     "file deletions within deletion_window that are a mass deletion (serious)"},
    {"deletion_window", VG_OPT_DURATION, "1m", 0, offsetof(struct sw_config, deletion_ms),
     "the window of deletions"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct sw_config *cfg = config;

    if (cfg->attack_ms <= 0 || cfg->deletion_ms <= 0 || cfg->attack_ms > VG_STATE_WINDOW_MAX_MS ||
        cfg->deletion_ms > VG_STATE_WINDOW_MAX_MS || cfg->deletions < 2 ||
        cfg->deletions > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "attack_window and deletion_window must be longer than 0, deletions "
                          "at least 2");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static int web_indicator(struct vg_str act)
{
    return cls_is(act, "web.sqli_attempt") || cls_is(act, "web.path_traversal") ||
           cls_is(act, "web.scanner");
}

static int system_path(const struct sw_config *cfg, struct vg_str path)
{
    size_t i;

    for (i = 0; path.ptr != NULL && i < cfg->system_paths.n; i++) {
        if (strncmp(path.ptr, cfg->system_paths.items[i], strlen(cfg->system_paths.items[i])) ==
            0) {
            return 1;
        }
    }
    return 0;
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct sw_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_state_req seq = {.size = sizeof(seq),
                               .op = VG_ST_SEQUENCE,
                               .name = "web_then_failure",
                               .window_ms = cfg->attack_ms,
                               .n_steps = 2};
    struct vg_state_req web = {.size = sizeof(web),
                               .op = VG_ST_CTX_SET,
                               .value = "sw_attack.web",
                               .window_ms = cfg->attack_ms,
                               .cookie = COOKIE_MARK};
    int rc;

    if (web_indicator(act)) {
        /* The context is global: name it by host, so that a FIM change can test it. */
        char name[300];
        struct vg_str host = vg_event_field(ev, "host.name");

        snprintf(name, sizeof(name), "sw_attack.web.%s", host.ptr != NULL ? host.ptr : "");
        web.value = name;
        rc = vg_state_op(ctx, ev, &web);
        seq.step = 0;
        seq.cookie = COOKIE_WEB;
        return rc == VG_OK ? vg_state_op(ctx, ev, &seq) : rc;
    }
    if (cls_is(act, "service.failed")) {
        seq.step = 1;
        seq.cookie = COOKIE_FAILED;
        return vg_state_op(ctx, ev, &seq);
    }
    if (cls_is(act, "fim.changed") && system_path(cfg, vg_event_field(ev, "file.path"))) {
        char name[300];
        struct vg_str host = vg_event_field(ev, "host.name");
        struct vg_state_req test = {
            .size = sizeof(test), .op = VG_ST_CTX_TEST, .value = name, .cookie = COOKIE_FIM};

        snprintf(name, sizeof(name), "sw_attack.web.%s", host.ptr != NULL ? host.ptr : "");
        return vg_state_op(ctx, ev, &test);
    }
    if (cls_is(act, "audit.file_deleted") || cls_is(act, "file.deleted")) {
        struct vg_state_req count = {.size = sizeof(count),
                                     .op = VG_ST_COUNT,
                                     .name = "deletions",
                                     .window_ms = cfg->deletion_ms,
                                     .threshold = cfg->deletions,
                                     .suppress_ms = cfg->deletion_ms,
                                     .cookie = COOKIE_DELETED};

        return vg_state_op(ctx, ev, &count);
    }
    return VG_OK;
}

/* Open or update the host's incident. */
static int report(struct vg_ctx *ctx, const struct vg_event *ev, int severity, const char *why,
                  int stop, int serious)
{
    struct vg_str src = vg_event_field(ev, "source.ip");
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str path = vg_event_field(ev, "file.path");
    char findings[1024], key[200];
    fjson_object *f = fjson_object_new_object();
    struct vg_step_req steps[3];
    size_t n = 0;

    if (src.ptr != NULL && src.len < 64) {
        /* One member per source: merged findings collect every address seen (5.2.3.3). */
        snprintf(key, sizeof(key), "source:%s", src.ptr);
        fjson_object_object_add(f, key, fjson_object_new_string(act.ptr ? act.ptr : ""));
    }
    if (path.ptr != NULL && cls_is(act, "fim.changed")) {
        fjson_object_object_add(f, "changed_path", fjson_object_new_string(path.ptr));
    }
    fjson_object_object_add(f, "evidence", fjson_object_new_string(why));
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.3.3", "security_lead",
                                      "the source addresses seen are in the findings (source:*)"};
    if (stop) {
        steps[n++] =
            (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.3.2", "person", why};
    }
    if (serious) {
        steps[n++] =
            (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.3.4", "leadership", why};
    }
    {
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious ? 5 : severity,
                                      .note = why,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = n};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    (void)state;
    if (res->deadline) {
        return VG_OK;
    }
    switch (res->cookie) {
    case COOKIE_WEB:
        return report(ctx, ev, 3, "web attack indicators against the host", 0, 0);
    case COOKIE_FAILED:
        if (res->verdict != VG_SV_FIRED) {
            return VG_OK;
        }
        return report(ctx, ev, 4, "a service failed soon after web attacks: stop the system", 1, 0);
    case COOKIE_FIM:
        if (res->verdict == VG_SV_TRUE) {
            return report(ctx, ev, 5,
                          "serious: a system file changed on a host under web attack: report to "
                          "the municipal IT office and the police",
                          1, 1);
        }
        return report(ctx, ev, 4, "a system file changed: stop the system", 1, 0);
    case COOKIE_DELETED:
        if (res->verdict != VG_SV_FIRED) {
            return VG_OK;
        }
        return report(ctx, ev, 5,
                      "serious: mass deletion of files: report to the municipal IT office and "
                      "the police",
                      1, 1);
    default:
        return VG_OK;
    }
}

static const struct vg_plugin sw_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "sw_attack",
    .version = "1.0.0",
    .description = "5.2.3 destructive attack on a software system: web attacks then a service "
                   "failure, system-path changes, mass deletion; the sources seen recorded",
    .options = sw_options,
    .config_size = sizeof(struct sw_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &sw_plugin);
}
