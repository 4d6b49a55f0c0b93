/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "database": the procedure's 5.2.4 (database security), one incident
 * per database server (the rule's key is host.name), its pair taken from the
 * inventory (databases by primary or standby name). Two kinds of rule use it:
 *  - server_down (a crash): the primary's failure opens 5.2.4.2 (start the
 *    standby) for the db_failover action when the pair has a promote command,
 *    else for the on-duty staff. While a server is down the context
 *    "db_down.PAIR.SERVER" is set for `both_window`; the other server of the pair
 *    crashing meanwhile is serious (both systems down), and so is a primary not
 *    back within `recover_within`: severity critical, 5.2.4.4 (emergency support
 *    from the vendors) for the leadership group. A promotion of the standby sets
 *    "db_failed_over.PAIR.PRIMARY"; the primary starting again while its crash is
 *    on record ("db_crashed.PAIR.SERVER") marks 5.2.4.2 done from it and resolves.
 *    The incident calls of this kind come from on_state one operation deeper than
 *    the event's first one (a recovery needs two answers), every time.
 *  - not server_down (stopped replication, corruption, internal errors): the
 *    server runs, so no automatic failover: 5.2.4.2 is for the on-duty staff to
 *    decide; such a failure while the other server of the pair is down is the
 *    consequence of that crash and opens nothing. Its incident calls come from
 *    the on_state of the event's first operation.
 * Contexts that other servers read are only written from on_event, so that a
 * replay sees them in the order of the events.
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
 * Cookies of the operations; the incident calls come from the driving ones. The
 * low byte is the step of a chain, BOTH_DOWN a finding carried to the next step.
 */
enum {
    COOKIE_NONE = 1,      /* a context or deadline change whose result is not needed */
    COOKIE_FAIL = 2,      /* a failure: the other server's down context decides */
    COOKIE_CRASH = 3,     /* a crash, one step later: the incident */
    COOKIE_BACK = 4,      /* a recovery: was its crash on record? */
    COOKIE_BACK_OVER = 5, /* then: did the standby take over meanwhile? the resolution */
    COOKIE_LATE = 6,      /* recover_within passed, one step later: serious */
    COOKIE_PASS = 7,      /* a recovery of a rule without down contexts: resolve */
    COOKIE_BOTH = 0x100   /* flag: the other server of the pair is down too */
};

#define RECOVER_STATE  "recover"           /* the recover_within deadline */
#define MEMORY_MS      (INT64_C(86400000)) /* a crash or promotion is remembered a day */
#define NAME_MAX_BYTES 200                 /* longest server or pair name handled */

struct database_config {
    struct vg_strlist failures;  /* event.action values of a failure */
    struct vg_strlist promoted;  /* event.action values of a standby promoted */
    struct vg_strlist recovered; /* event.action values of a server started again */
    int server_down;             /* 1: the failures take the server down (a crash) */
    int64_t both_ms;             /* the other server failing within this: both down */
    int64_t recover_ms;          /* a primary not back within this: serious */
};

static const struct vg_option database_options[] = {
    {"failures", VG_OPT_STRLIST, "[\"db.crash\"]", 0, offsetof(struct database_config, failures),
     "event.action values of a failure of the server that sent them"},
    {"server_down", VG_OPT_BOOL, "true", 0, offsetof(struct database_config, server_down),
     "true: the failures take the server down (failover of the primary, both-down and "
     "recover_within tests); false: the server runs (stopped replication, corruption), the "
     "on-duty staff decide on 5.2.4.2"},
    {"promoted", VG_OPT_STRLIST, "[\"db.promoted\"]", 0, offsetof(struct database_config, promoted),
     "event.action values of a standby promoted (5.2.4.2 done when its primary is down)"},
    {"recovered", VG_OPT_STRLIST, "[\"db.started\"]", 0,
     offsetof(struct database_config, recovered),
     "event.action values of a server started again (resolve its incident)"},
    {"both_window", VG_OPT_DURATION, "1h", 0, offsetof(struct database_config, both_ms),
     "server_down: the other server of the pair failing within this is serious: both systems "
     "down (5.2.4.4)"},
    {"recover_within", VG_OPT_DURATION, "1h", 0, offsetof(struct database_config, recover_ms),
     "server_down: a primary (or a server without a pair) not back within this is serious "
     "(5.2.4.4)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* The server's pair from the inventory. */
struct pair {
    char name[NAME_MAX_BYTES];    /* the pair, or "" when the inventory has none */
    char primary[NAME_MAX_BYTES]; /* its primary */
    char standby[NAME_MAX_BYTES]; /* its standby */
    char method[64];              /* its failover method, or "" */
    char engine[64];              /* its engine, or "" */
    int promote;                  /* 1: a promote command is configured */
    int is_standby;               /* 1: the server is the pair's standby */
};

/* Names the incident and its notes are made of. */
struct server {
    const char *name;  /* the server (the inventory's spelling in a pair) */
    const char *other; /* the other server of the pair, or "(none)" */
    const char *pair;  /* the pair, or "(none)" */
};

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct database_config *cfg = config;

    if (cfg->both_ms <= 0 || cfg->both_ms > VG_STATE_WINDOW_MAX_MS || cfg->recover_ms <= 0 ||
        cfg->recover_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "both_window and recover_within must be longer than 0 and at most ten "
                          "years");
        return VG_EINVAL;
    }
    if (cfg->failures.n == 0) {
        vg_set_error(ctx, "failures must list at least one event.action");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* The pair of host from the inventory, and the names of srv (pointing into p or host). */
static void find_pair(struct vg_ctx *ctx, const char *host, struct pair *p, struct server *srv)
{
    char *text = vg_inventory_get(ctx, "databases", host);
    fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL, *v;

    memset(p, 0, sizeof(*p));
    cls_member(o, "name", p->name, sizeof(p->name));
    cls_member(o, "primary", p->primary, sizeof(p->primary));
    cls_member(o, "standby", p->standby, sizeof(p->standby));
    cls_member(o, "method", p->method, sizeof(p->method));
    cls_member(o, "engine", p->engine, sizeof(p->engine));
    p->promote = o != NULL && fjson_object_object_get_ex(o, "promote", &v) &&
                 fjson_object_is_type(v, fjson_type_array) && fjson_object_array_length(v) > 0;
    if (o != NULL) {
        fjson_object_put(o);
    }
    vg_free(text);
    if (p->name[0] == '\0' || p->primary[0] == '\0' || p->standby[0] == '\0') {
        p->name[0] = '\0';
        srv->name = host;
        srv->other = "(none)";
        srv->pair = "(none)";
        return;
    }
    p->is_standby = strcasecmp(host, p->standby) == 0;
    srv->name = p->is_standby ? p->standby : p->primary;
    srv->other = p->is_standby ? p->primary : p->standby;
    srv->pair = p->name;
}

/* Queue a context operation on "PREFIX.PAIR.SERVER". */
static int context(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op, const char *prefix,
                   const char *pair, const char *server, int64_t life_ms, uint32_t cookie)
{
    char name[2 * NAME_MAX_BYTES + 32];
    struct vg_state_req req = {
        .size = sizeof(req), .op = op, .value = name, .window_ms = life_ms, .cookie = cookie};

    snprintf(name, sizeof(name), "%s.%s.%s", prefix, pair, server);
    return vg_state_op(ctx, ev, &req);
}

static int deadline(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op, int64_t ms)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = op,
                               .name = RECOVER_STATE,
                               .window_ms = ms,
                               .flags = op == VG_ST_ARM ? VG_STF_KEEP_EVENT : 0,
                               .cookie = COOKIE_NONE};

    return vg_state_op(ctx, ev, &req);
}

/*
 * A test of a context that is never set: one more step for a chain that has no
 * question to ask, so that its incident call comes at the same depth as the others.
 */
static int pass(struct vg_ctx *ctx, const struct vg_event *ev, const struct server *srv,
                uint32_t cookie)
{
    return context(ctx, ev, VG_ST_CTX_TEST, "db_pass", srv->pair, srv->name, 0, cookie);
}

/* A failure: the server's own down context and deadline, then the other server's test. */
static int failure_ops(struct vg_ctx *ctx, const struct database_config *cfg,
                       const struct vg_event *ev, const struct pair *p, const struct server *srv)
{
    int rc = VG_OK;

    if (cfg->server_down) {
        rc = context(ctx, ev, VG_ST_CTX_SET, "db_down", srv->pair, srv->name, cfg->both_ms,
                     COOKIE_NONE);
        if (rc == VG_OK) {
            rc = context(ctx, ev, VG_ST_CTX_SET, "db_crashed", srv->pair, srv->name, MEMORY_MS,
                         COOKIE_NONE);
        }
        if (rc == VG_OK && !p->is_standby) {
            rc = deadline(ctx, ev, VG_ST_ARM, cfg->recover_ms);
        }
    }
    if (rc == VG_OK) {
        rc = context(ctx, ev, VG_ST_CTX_TEST, "db_down", srv->pair, srv->other, 0, COOKIE_FAIL);
    }
    return rc;
}

static int recovery_ops(struct vg_ctx *ctx, const struct database_config *cfg,
                        const struct vg_event *ev, const struct server *srv)
{
    int rc;

    if (!cfg->server_down) {
        return pass(ctx, ev, srv, COOKIE_PASS);
    }
    rc = deadline(ctx, ev, VG_ST_DISARM, 0);
    if (rc == VG_OK) {
        rc = context(ctx, ev, VG_ST_CTX_DEL, "db_down", srv->pair, srv->name, 0, COOKIE_NONE);
    }
    if (rc == VG_OK) {
        rc = context(ctx, ev, VG_ST_CTX_DEL, "db_crashed", srv->pair, srv->name, 0, COOKIE_BACK);
    }
    return rc;
}

/* The pair and server of the event's host.name; -1 when it names no usable host. */
static int event_pair(struct vg_ctx *ctx, const struct vg_event *ev, struct pair *p,
                      struct server *srv)
{
    struct vg_str host = vg_event_field(ev, "host.name");

    if (host.ptr == NULL || host.len == 0 || host.len >= NAME_MAX_BYTES ||
        memchr(host.ptr, '\0', host.len) != NULL) {
        return -1;
    }
    find_pair(ctx, host.ptr, p, srv);
    return 0;
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct database_config *cfg = state;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct pair p;
    struct server srv;

    if (event_pair(ctx, ev, &p, &srv) != 0) {
        return VG_OK;
    }
    if (cls_listed(&cfg->failures, act)) {
        return failure_ops(ctx, cfg, ev, &p, &srv);
    }
    if (cls_listed(&cfg->recovered, act)) {
        return recovery_ops(ctx, cfg, ev, &srv);
    }
    if (cls_listed(&cfg->promoted, act) && cfg->server_down && p.is_standby) {
        /* Read at the primary's recovery, only when its crash is on record. */
        return context(ctx, ev, VG_ST_CTX_SET, "db_failed_over", srv.pair, srv.other, MEMORY_MS,
                       COOKIE_NONE);
    }
    return VG_OK;
}

/* The text of the event's failure for the findings: its reason, message or code. */
static const char *reason(const struct vg_event *ev)
{
    static const char *const fields[] = {"event.reason", "error.message", "error.code"};
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct vg_str v = vg_event_field(ev, fields[i]);

        if (v.ptr != NULL && v.len > 0) {
            return v.ptr;
        }
    }
    return NULL;
}

static void add_str(fjson_object *f, const char *name, const char *value)
{
    if (value != NULL && value[0] != '\0') {
        fjson_object_object_add(f, name, fjson_object_new_string(value));
    }
}

static void findings_json(const struct vg_event *ev, const struct pair *p, const struct server *srv,
                          int both_down, char *out, size_t len)
{
    fjson_object *f = fjson_object_new_object();

    add_str(f, "server", srv->name);
    add_str(f, "failure", vg_event_field(ev, "event.action").ptr);
    add_str(f, "reason", reason(ev));
    add_str(f, "service", vg_event_field(ev, "service.type").ptr);
    if (p->name[0] != '\0') {
        add_str(f, "pair", p->name);
        add_str(f, "primary", p->primary);
        add_str(f, "standby", p->standby);
        add_str(f, "role", p->is_standby ? "standby" : "primary");
        add_str(f, "method", p->method);
        add_str(f, "engine", p->engine);
    }
    fjson_object_object_add(f, "both_down", fjson_object_new_boolean(both_down));
    snprintf(out, len, "%s", fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN));
    fjson_object_put(f);
}

/* Notes of the three steps an incident of this class sets. */
struct notes {
    char start[1024];  /* 5.2.4.2 */
    char repair[1024]; /* 5.2.4.3 */
    char vendor[1024]; /* 5.2.4.4 */
};

/*
 * A server of the pair crashed (server_down): the failover of the primary, or
 * nothing to start when the standby crashed or the other server is down too.
 */
static int crash(struct vg_ctx *ctx, const struct vg_event *ev, const struct pair *p,
                 const struct server *srv, int both_down)
{
    char findings[2048];
    struct notes n;
    uint32_t start = VG_STEP_NOT_APPLICABLE;
    const char *who = NULL;

    if (p->name[0] == '\0') {
        snprintf(n.start, sizeof(n.start), "%s is in no database pair of the inventory (5.2.4.1)",
                 srv->name);
        snprintf(n.repair, sizeof(n.repair), "repair %s and recover its data", srv->name);
    } else if (both_down) {
        snprintf(n.start, sizeof(n.start), "%s of pair %s is down too: nothing to start",
                 srv->other, p->name);
        snprintf(n.repair, sizeof(n.repair), "repair %s and %s and recover their data", p->primary,
                 p->standby);
    } else if (p->is_standby) {
        snprintf(n.start, sizeof(n.start), "the standby %s failed; the primary %s runs", srv->name,
                 srv->other);
        snprintf(n.repair, sizeof(n.repair), "repair the standby %s and resynchronise it",
                 srv->name);
    } else {
        start = VG_STEP_PENDING;
        who = p->promote ? "action:db_failover" : "on_duty";
        snprintf(n.start, sizeof(n.start), "start the standby %s of pair %s%s", p->standby, p->name,
                 p->promote ? "" : " (the inventory has no promote command)");
        snprintf(n.repair, sizeof(n.repair),
                 "repair the primary %s and recover its data while the standby runs", srv->name);
    }
    if (both_down) {
        snprintf(n.vendor, sizeof(n.vendor),
                 "serious: %s and %s of pair %s are both down: emergency support from the vendors",
                 p->primary, p->standby, p->name);
    } else {
        snprintf(n.vendor, sizeof(n.vendor), "not serious so far: %s",
                 p->name[0] != '\0' ? "the other server of the pair runs" : "just failed");
    }
    findings_json(ev, p, srv, both_down, findings, sizeof(findings));
    {
        struct vg_step_req steps[3] = {
            {sizeof(steps[0]), start, "5.2.4.2", who, n.start},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.4.3", "person", n.repair},
            {sizeof(steps[0]), both_down ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE, "5.2.4.4",
             both_down ? "leadership" : NULL, n.vendor},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = both_down ? 5 : 0,
                                      .note = both_down ? n.vendor : n.start,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = 3};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/* A failure that leaves the server running: the on-duty staff decide on the failover. */
static int fault(struct vg_ctx *ctx, const struct vg_event *ev, const struct pair *p,
                 const struct server *srv)
{
    char findings[2048];
    struct notes n;
    struct vg_str act = vg_event_field(ev, "event.action");
    uint32_t start = VG_STEP_PENDING;

    if (p->name[0] == '\0') {
        start = VG_STEP_NOT_APPLICABLE;
        snprintf(n.start, sizeof(n.start), "%s is in no database pair of the inventory (5.2.4.1)",
                 srv->name);
        snprintf(n.repair, sizeof(n.repair), "repair %s and recover its data", srv->name);
    } else if (p->is_standby) {
        snprintf(n.start, sizeof(n.start),
                 "%s on the standby %s: if the primary %s is down, start the standby", act.ptr,
                 srv->name, srv->other);
        snprintf(n.repair, sizeof(n.repair), "repair the standby %s and resynchronise it",
                 srv->name);
    } else {
        snprintf(n.start, sizeof(n.start),
                 "%s on the primary %s: decide whether to start the "
                 "standby %s",
                 act.ptr, srv->name, srv->other);
        snprintf(n.repair, sizeof(n.repair), "repair the primary %s and recover its data",
                 srv->name);
    }
    snprintf(n.vendor, sizeof(n.vendor), "not serious so far: the server runs");
    findings_json(ev, p, srv, 0, findings, sizeof(findings));
    {
        struct vg_step_req steps[3] = {
            {sizeof(steps[0]), start, "5.2.4.2", start == VG_STEP_PENDING ? "on_duty" : NULL,
             n.start},
            {sizeof(steps[0]), VG_STEP_PENDING, "5.2.4.3", "person", n.repair},
            {sizeof(steps[0]), VG_STEP_NOT_APPLICABLE, "5.2.4.4", NULL, n.vendor},
        };
        struct vg_incident_req req = {.size = sizeof(req),
                                      .note = n.start,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = 3};

        return vg_incident_upsert(ctx, ev, &req);
    }
}

/* The server started again: 5.2.4.2 done when its standby took over meanwhile, then resolve. */
static int back(struct vg_ctx *ctx, const struct vg_event *ev, const struct pair *p,
                const struct server *srv, int failed_over)
{
    char note[1024];
    struct vg_resolve_req res = {.size = sizeof(res), .note = note};
    int rc = VG_OK;

    snprintf(note, sizeof(note), "%s started again", srv->name);
    if (failed_over) {
        char done[1024];
        struct vg_step_req step = {sizeof(step), VG_STEP_DONE, "5.2.4.2", NULL, done};
        struct vg_incident_req req = {
            .size = sizeof(req), .note = done, .steps = &step, .n_steps = 1};

        snprintf(done, sizeof(done), "the standby %s of pair %s was promoted while %s was down",
                 p->standby, p->name, srv->name);
        rc = vg_incident_upsert(ctx, ev, &req);
    }
    return rc == VG_OK ? vg_incident_resolve(ctx, ev, &res) : rc;
}

/* recover_within passed with the primary (or a server without a pair) still down. */
static int not_back(struct vg_ctx *ctx, const struct database_config *cfg,
                    const struct vg_event *ev, const struct server *srv)
{
    char note[1024], dur[32];
    struct vg_step_req step = {sizeof(step), VG_STEP_PENDING, "5.2.4.4", "leadership", note};
    struct vg_incident_req req = {
        .size = sizeof(req), .severity = 5, .note = note, .steps = &step, .n_steps = 1};

    vg_format_duration(cfg->recover_ms, dur, sizeof(dur));
    snprintf(note, sizeof(note),
             "serious: %s has not recovered within %s: emergency support from the vendors",
             srv->name, dur);
    return vg_incident_upsert(ctx, ev, &req);
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct database_config *cfg = state;
    int yes = res->verdict == VG_SV_TRUE;
    uint32_t step = res->cookie & 0xffu;
    int both = (res->cookie & COOKIE_BOTH) != 0;
    struct pair p;
    struct server srv;

    if (event_pair(ctx, ev, &p, &srv) != 0) {
        return VG_OK;
    }
    if (res->deadline) {
        return res->verdict == VG_SV_EXPIRED ? pass(ctx, ev, &srv, COOKIE_LATE) : VG_OK;
    }
    switch (step) {
    case COOKIE_FAIL:
        if (cfg->server_down) {
            return pass(ctx, ev, &srv, COOKIE_CRASH | (yes ? COOKIE_BOTH : 0));
        }
        if (yes) {
            vg_log(ctx, VG_LOG_INFO, "%s on %s while %s of pair %s is down: part of that crash",
                   vg_event_field(ev, "event.action").ptr, srv.name, srv.other, srv.pair);
            return VG_OK;
        }
        return fault(ctx, ev, &p, &srv);
    case COOKIE_CRASH:
        return crash(ctx, ev, &p, &srv, both);
    case COOKIE_BACK:
        if (yes) {
            return context(ctx, ev, VG_ST_CTX_DEL, "db_failed_over", srv.pair, srv.name, 0,
                           COOKIE_BACK_OVER);
        }
        return pass(ctx, ev, &srv, COOKIE_PASS);
    case COOKIE_BACK_OVER:
        return back(ctx, ev, &p, &srv, yes);
    case COOKIE_PASS:
        return back(ctx, ev, &p, &srv, 0);
    case COOKIE_LATE:
        return not_back(ctx, cfg, ev, &srv);
    default:
        return VG_OK;
    }
}

static const struct vg_plugin database_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "database",
    .version = "1.1.0",
    .description = "5.2.4 database: a server's crash opens the failover step of its pair "
                   "(stopped replication and corruption: the on-duty staff decide); both "
                   "servers down or a primary not back in time is serious",
    .options = database_options,
    .config_size = sizeof(struct database_config),
    .create = create,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &database_plugin);
}
