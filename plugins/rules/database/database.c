/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "database": the procedure's 5.2.4 (database security), one incident
 * per database server (the rule's key is host.name). A crash, corruption or
 * internal error of a server, or its replication stopping, opens the incident with
 * the server's pair from the inventory (databases by primary or standby): 5.2.4.2
 * (start the standby) for the db_failover action when the pair has a promote
 * command, else for the on-duty staff; 5.2.4.3 (repair the primary) for a person.
 * While a server is down the context "db_down.PAIR.SERVER" is set for
 * `both_window`; a failure of the other server of the pair meanwhile is serious
 * (both systems down: 5.2.4.4, emergency support from the vendors, for the
 * leadership group, severity critical). The server starting again resolves it.
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

/* The incident call of an event comes from the on_state of its context test, always. */
enum {
    COOKIE_SET = 1,  /* this server's down context (its result is ignored) */
    COOKIE_TEST = 2, /* the other server's: decides the incident */
    COOKIE_BACK = 3  /* the server started: then the resolution */
};

struct db_config {
    struct vg_strlist failures; /* event.action values of a failure */
    int64_t both_ms;            /* a failure of the other server within this: both down */
};

static const struct vg_option db_options[] = {
    {"failures", VG_OPT_STRLIST,
     "[\"db.crash\", \"db.corruption\", \"db.internal_error\", \"db.replication_stopped\"]", 0,
     offsetof(struct db_config, failures),
     "event.action values of a server failure; db.started resolves"},
    {"both_window", VG_OPT_DURATION, "1h", 0, offsetof(struct db_config, both_ms),
     "the other server of the pair failing within this is serious: both systems down (5.2.4.4)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* The server's pair from the inventory. */
struct pair {
    char name[128];    /* the pair, or "" when the inventory has none */
    char primary[128]; /* its primary */
    char standby[128]; /* its standby */
    char method[64];   /* its failover method */
    int promote;       /* 1: a promote command is configured */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct db_config *cfg = config;

    if (cfg->both_ms <= 0 || cfg->both_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "both_window must be longer than 0 and at most ten years");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static void find_pair(struct vg_ctx *ctx, const char *server, struct pair *p)
{
    char *text = vg_inventory_get(ctx, "databases", server);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL, *v;

    memset(p, 0, sizeof(*p));
    cls_member(o, "name", p->name, sizeof(p->name));
    cls_member(o, "primary", p->primary, sizeof(p->primary));
    cls_member(o, "standby", p->standby, sizeof(p->standby));
    cls_member(o, "method", p->method, sizeof(p->method));
    p->promote = o != NULL && fjson_object_object_get_ex(o, "promote", &v);
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
}

/* Queue a context operation on "db_down.PAIR.SERVER". */
static int down_context(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op,
                        const struct pair *p, const char *server, int64_t window, uint32_t cookie)
{
    char name[300];
    struct vg_state_req req = {
        .size = sizeof(req), .op = op, .value = name, .window_ms = window, .cookie = cookie};

    snprintf(name, sizeof(name), "db_down.%s.%s", p->name[0] ? p->name : "(none)", server);
    return vg_state_op(ctx, ev, &req);
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct db_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str host = vg_event_field(ev, "host.name");
    struct pair p;
    const char *other;
    int rc;

    if (host.ptr == NULL || host.len == 0 || host.len > 200) {
        return VG_OK;
    }
    find_pair(ctx, host.ptr, &p);
    if (act.ptr != NULL && strcmp(act.ptr, "db.started") == 0) {
        return down_context(ctx, ev, VG_ST_CTX_DEL, &p, host.ptr, 0, COOKIE_BACK);
    }
    if (!cls_listed(&cfg->failures, act)) {
        return VG_OK;
    }
    other = strcasecmp(host.ptr, p.primary) == 0 ? p.standby : p.primary;
    rc = down_context(ctx, ev, VG_ST_CTX_SET, &p, host.ptr, cfg->both_ms, COOKIE_SET);
    if (rc == VG_OK) {
        rc = down_context(ctx, ev, VG_ST_CTX_TEST, &p, other[0] ? other : "(none)", 0, COOKIE_TEST);
    }
    return rc;
}

static int failure(struct vg_ctx *ctx, const struct vg_event *ev, int both_down)
{
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str host = vg_event_field(ev, "host.name");
    struct pair p;
    char findings[1024], note[300];
    int primary;
    fjson_object *f = fjson_object_new_object();

    find_pair(ctx, host.ptr, &p);
    primary = p.name[0] == '\0' || strcasecmp(host.ptr, p.primary) == 0;
    fjson_object_object_add(f, "server", fjson_object_new_string(host.ptr));
    fjson_object_object_add(f, "failure", fjson_object_new_string(act.ptr ? act.ptr : ""));
    if (p.name[0] != '\0') {
        fjson_object_object_add(f, "pair", fjson_object_new_string(p.name));
        fjson_object_object_add(f, "primary", fjson_object_new_string(p.primary));
        fjson_object_object_add(f, "standby", fjson_object_new_string(p.standby));
        fjson_object_object_add(f, "role",
                                fjson_object_new_string(primary ? "primary" : "standby"));
        if (p.method[0] != '\0') {
            fjson_object_object_add(f, "method", fjson_object_new_string(p.method));
        }
    }
    fjson_object_object_add(f, "both_down", fjson_object_new_boolean(both_down));
    snprintf(findings, sizeof(findings), "%s",
             fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
    if (p.name[0] == '\0') {
        snprintf(note, sizeof(note), "%s is in no database pair of the inventory", host.ptr);
    } else if (primary) {
        snprintf(note, sizeof(note), "start the standby %s of pair %s", p.standby, p.name);
    } else {
        snprintf(note, sizeof(note), "the standby %s of pair %s failed", host.ptr, p.name);
    }
    {
        struct vg_step_req steps[3] = {
            {sizeof(steps[0]), primary ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE, "5.2.4.2",
             primary ? (p.promote ? "action:db_failover" : "on_duty") : NULL, note},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.4.3", "person", NULL},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.4.4", "leadership",
             "serious: both systems of the pair are down: emergency support from the vendors"},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = both_down ? 5 : 0,
                                      .note = note,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = both_down ? 3 : 2};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    struct vg_resolve_req back = {.size = sizeof(back), .note = "the database server started"};

    (void)state;
    if (res->deadline) {
        return VG_OK;
    }
    if (res->cookie == COOKIE_TEST) {
        return failure(ctx, ev, res->verdict == VG_SV_TRUE);
    }
    if (res->cookie == COOKIE_BACK) {
        return vg_incident_resolve(ctx, ev, &back);
    }
    return VG_OK;
}

static const struct vg_plugin db_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "database",
    .version = "1.0.0",
    .description = "5.2.4 database: a server's crash or broken replication opens the failover "
                   "step of its pair; both servers down is serious",
    .options = db_options,
    .config_size = sizeof(struct db_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &db_plugin);
}
