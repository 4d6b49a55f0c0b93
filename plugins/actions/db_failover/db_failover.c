/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "db_failover": fail a database pair over to its standby. The
 * pair comes from the inventory (databases: pair, primary or standby name),
 * looked up by a field of the incident (the database host by default); its
 * promote command runs (argv, no shell), then its check command runs until it
 * prints the expected text or the verification time is up. The exit status of
 * the promote, the check's verdict and the standby promoted go into the
 * incident history.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, strcasecmp under -std=c11 */
#include <errno.h>
#include <libfastjson/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <vigil/plugin.h>

#include "spawn_common.h"

const struct vg_host_api *vg_host;

/* Longest check output recorded as a result. */
#define CHECK_RESULT_MAX 200
/* Failovers that may run at once, and promotions remembered, in this process. */
#define RUNNING_MAX 64
#define DONE_MAX    256
/* Longest pair name, incident id and standby name kept in those tables. */
#define NAME_MAX_BYTES 256

struct db_failover_config {
    const char *db_field;      /* incident field naming the database (host or pair) */
    struct vg_strlist promote; /* promote argv; empty: the inventory's */
    struct vg_strlist check;   /* check argv; empty: the inventory's */
    const char *check_expect;  /* text the check must print; NULL: the inventory's */
    int64_t verify_within_ms;  /* how long the check may take to confirm the promotion */
    int64_t check_interval_ms; /* pause between two runs of the check */
};

static const struct vg_option db_failover_options[] = {
    {"db_field", VG_OPT_STR, "\"incident.key.host.name\"", 0,
     offsetof(struct db_failover_config, db_field),
     "incident field whose value names the database pair, its primary or its standby"},
    {"promote", VG_OPT_STRLIST, NULL, 0, offsetof(struct db_failover_config, promote),
     "promote argv instead of the inventory's (no shell; ${path} expands incident fields)"},
    {"check", VG_OPT_STRLIST, NULL, 0, offsetof(struct db_failover_config, check),
     "check argv instead of the inventory's (no shell; ${path} expands incident fields)"},
    {"check_expect", VG_OPT_STR, NULL, 0, offsetof(struct db_failover_config, check_expect),
     "text the check prints (trimmed) once the standby is primary; unset: exit status 0"},
    {"verify_within", VG_OPT_DURATION, "30s", 0,
     offsetof(struct db_failover_config, verify_within_ms),
     "how long the check is repeated after the promote before the step fails"},
    {"check_interval", VG_OPT_DURATION, "2s", 0,
     offsetof(struct db_failover_config, check_interval_ms), "pause between two checks"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* The pair from the inventory with the commands to run, all owned here. */
struct pair {
    fjson_object *obj;        /* the inventory entry */
    const char *name;         /* pair name */
    const char *primary;      /* primary host */
    const char *standby;      /* standby host, the one promoted */
    char **promote;           /* expanded promote argv, NULL-terminated */
    char **check;             /* expanded check argv, NULL-terminated, or NULL */
    const char *check_expect; /* expected check output, or NULL */
};

/*
 * Failovers are serialized per pair across all instances and threads: the open
 * and update calls of one incident are different action entries and may run
 * at once, and two incidents may name the same pair. A promotion done for an
 * incident is remembered (besides vg_call_prior(), which a call that overlapped
 * the promoting one cannot see yet), so the standby is never promoted twice
 * for one incident.
 */
struct done_entry {
    char incident[NAME_MAX_BYTES]; /* incident id */
    char pair[NAME_MAX_BYTES];     /* pair name */
    char standby[NAME_MAX_BYTES];  /* the standby promoted */
};

static pthread_mutex_t fo_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the three below */
static pthread_cond_t fo_cond = PTHREAD_COND_INITIALIZER;   /* a failover finished */
static char fo_running[RUNNING_MAX][NAME_MAX_BYTES];        /* pairs being failed over ("": free) */
static struct done_entry fo_done[DONE_MAX];                 /* ring of promotions */
static unsigned fo_done_next;                               /* next slot of the ring */

static int running_slot(const char *pair)
{
    int i;

    for (i = 0; i < RUNNING_MAX; i++) {
        if (strcmp(fo_running[i], pair) == 0) {
            return i;
        }
    }
    return -1;
}

/*
 * Claim pair for this incident until the deadline. Returns 0 when claimed,
 * 1 when this incident already promoted it (standby copied into done), or
 * VG_EAGAIN with the error set when another failover of the pair held it
 * until the deadline or too many run.
 */
static int claim(struct vg_ctx *ctx, const char *pair, const char *incident, int64_t deadline_ms,
                 char *done, size_t done_len)
{
    struct timespec until = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
    int slot;
    int i;

    pthread_mutex_lock(&fo_lock);
    while (running_slot(pair) >= 0) {
        if (pthread_cond_timedwait(&fo_cond, &fo_lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&fo_lock);
            vg_set_error(ctx, "another failover of database pair %s ran until the deadline", pair);
            return VG_EAGAIN;
        }
    }
    for (i = 0; i < DONE_MAX; i++) {
        if (strcmp(fo_done[i].incident, incident) == 0 && strcmp(fo_done[i].pair, pair) == 0) {
            snprintf(done, done_len, "%s", fo_done[i].standby);
            pthread_mutex_unlock(&fo_lock);
            return 1;
        }
    }
    slot = running_slot("");
    if (slot < 0) {
        pthread_mutex_unlock(&fo_lock);
        vg_set_error(ctx, "%d database failovers are running already", RUNNING_MAX);
        return VG_EAGAIN;
    }
    snprintf(fo_running[slot], NAME_MAX_BYTES, "%s", pair);
    pthread_mutex_unlock(&fo_lock);
    return 0;
}

/* Give the pair back; standby: the one promoted for incident, or NULL. */
static void release(const char *pair, const char *incident, const char *standby)
{
    int slot;

    pthread_mutex_lock(&fo_lock);
    slot = running_slot(pair);
    if (slot >= 0) {
        fo_running[slot][0] = '\0';
    }
    if (standby != NULL) {
        struct done_entry *d = &fo_done[fo_done_next++ % DONE_MAX];

        snprintf(d->incident, sizeof(d->incident), "%s", incident);
        snprintf(d->pair, sizeof(d->pair), "%s", pair);
        snprintf(d->standby, sizeof(d->standby), "%s", standby);
    }
    pthread_cond_broadcast(&fo_cond);
    pthread_mutex_unlock(&fo_lock);
}

static int db_failover_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct db_failover_config *cfg = config;

    if (cfg->db_field == NULL || cfg->db_field[0] == '\0') {
        vg_set_error(ctx, "db_field must name an incident field");
        return VG_EINVAL;
    }
    if (cfg->promote.n > 0 && cfg->promote.items[0][0] == '\0') {
        vg_set_error(ctx, "promote must name a program");
        return VG_EINVAL;
    }
    if (cfg->check.n > 0 && cfg->check.items[0][0] == '\0') {
        vg_set_error(ctx, "check must name a program");
        return VG_EINVAL;
    }
    if (cfg->verify_within_ms <= 0 || cfg->check_interval_ms <= 0) {
        vg_set_error(ctx, "verify_within and check_interval must be positive");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static void free_argv(char **argv)
{
    size_t i;

    for (i = 0; argv != NULL && argv[i] != NULL; i++) {
        vg_free(argv[i]);
    }
    vg_free(argv);
}

static const char *member_str(fjson_object *obj, const char *name)
{
    fjson_object *v;

    if (!fjson_object_object_get_ex(obj, name, &v) || !fjson_object_is_type(v, fjson_type_string)) {
        return NULL;
    }
    return fjson_object_get_string(v);
}

/*
 * Expand n templates (each ${path} an incident field checked as a host name)
 * into a NULL-terminated argv; NULL with the error set when a value is refused.
 */
static char **expand(struct vg_ctx *ctx, const struct vg_action_call *call, const char *const *tmpl,
                     size_t n)
{
    char **argv = vg_alloc((n + 1) * sizeof(*argv));
    size_t i;

    if (argv == NULL) {
        vg_set_error(ctx, "out of memory");
        return NULL;
    }
    memset(argv, 0, (n + 1) * sizeof(*argv));
    for (i = 0; i < n; i++) {
        argv[i] = vg_call_format(ctx, call, tmpl[i], VG_VAL_NAME);
        if (argv[i] == NULL) {
            free_argv(argv);
            return NULL;
        }
    }
    return argv;
}

/* The templates of an argv member of the inventory entry; NULL when absent or malformed. */
static const char **inventory_argv(fjson_object *obj, const char *name, size_t *n)
{
    fjson_object *arr;
    const char **t;
    size_t i;

    if (!fjson_object_object_get_ex(obj, name, &arr) ||
        !fjson_object_is_type(arr, fjson_type_array)) {
        return NULL;
    }
    *n = fjson_object_array_length(arr);
    if (*n == 0) {
        return NULL;
    }
    t = vg_alloc(*n * sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    for (i = 0; i < *n; i++) {
        fjson_object *v = fjson_object_array_get_idx(arr, i);

        if (!fjson_object_is_type(v, fjson_type_string)) {
            vg_free(t);
            return NULL;
        }
        t[i] = fjson_object_get_string(v);
    }
    return t;
}

/* One argv from the params or else the inventory, expanded; required or not. */
static int pick_argv(struct vg_ctx *ctx, const struct vg_action_call *call,
                     const struct vg_strlist *param, const struct pair *p, const char *what,
                     char ***out)
{
    const char **t;
    size_t n = 0;

    *out = NULL;
    if (param->n > 0) {
        *out = expand(ctx, call, param->items, param->n);
        return *out != NULL ? VG_OK : VG_EINVAL;
    }
    t = inventory_argv(p->obj, what, &n);
    if (t == NULL) {
        return VG_ENOENT;
    }
    if (t[0][0] == '\0') {
        vg_free(t);
        vg_set_error(ctx, "database pair %s: %s does not name a program", p->name, what);
        return VG_EINVAL;
    }
    *out = expand(ctx, call, t, n);
    vg_free(t);
    return *out != NULL ? VG_OK : VG_EINVAL;
}

/*
 * Find the pair named by the incident and prepare its commands. Returns VG_OK,
 * or VG_EINVAL with the error set (no such field or pair, a refused value, no
 * promote command, or the incident names the standby).
 */
static int load_pair(struct vg_ctx *ctx, const struct db_failover_config *cfg,
                     const struct vg_action_call *call, struct pair *p)
{
    struct vg_str key = vg_call_field(call, cfg->db_field);
    char *json;
    int rc;

    memset(p, 0, sizeof(*p));
    if (key.ptr == NULL) {
        vg_set_error(ctx, "the incident has no %s naming the database", cfg->db_field);
        return VG_EINVAL;
    }
    if (vg_value_check(ctx, VG_VAL_NAME, cfg->db_field, key.ptr, key.len) != VG_OK) {
        return VG_EINVAL;
    }
    json = vg_inventory_get(ctx, "databases", key.ptr);
    if (json == NULL) {
        vg_set_error(ctx, "no database pair for \"%s\" in the inventory", key.ptr);
        return VG_EINVAL;
    }
    p->obj = fjson_tokener_parse(json);
    vg_free(json);
    if (p->obj == NULL || !fjson_object_is_type(p->obj, fjson_type_object)) {
        vg_set_error(ctx, "the inventory entry of database \"%s\" is not an object", key.ptr);
        return VG_EINVAL;
    }
    p->name = member_str(p->obj, "name");
    p->primary = member_str(p->obj, "primary");
    p->standby = member_str(p->obj, "standby");
    if (p->name == NULL || p->standby == NULL || p->name[0] == '\0' || p->standby[0] == '\0' ||
        strlen(p->name) >= NAME_MAX_BYTES || strlen(p->standby) >= NAME_MAX_BYTES) {
        vg_set_error(ctx, "database pair of \"%s\" has no name or no standby", key.ptr);
        return VG_EINVAL;
    }
    /* The standby failing is no reason to promote it. */
    if (strcasecmp(key.ptr, p->standby) == 0 && strcasecmp(key.ptr, p->name) != 0) {
        vg_set_error(ctx, "%s is the standby of database pair %s: nothing to fail over to", key.ptr,
                     p->name);
        return VG_EINVAL;
    }
    rc = pick_argv(ctx, call, &cfg->promote, p, "promote", &p->promote);
    if (rc == VG_ENOENT) {
        vg_set_error(ctx, "database pair %s has no promote command", p->name);
        return VG_EINVAL;
    }
    if (rc != VG_OK) {
        return rc;
    }
    rc = pick_argv(ctx, call, &cfg->check, p, "check", &p->check);
    if (rc != VG_OK && rc != VG_ENOENT) {
        return rc;
    }
    if (cfg->check_expect != NULL) {
        p->check_expect = cfg->check_expect;
    } else if (cfg->check.n == 0) {
        p->check_expect = member_str(p->obj, "check_expect");
    }
    return VG_OK;
}

static void free_pair(struct pair *p)
{
    free_argv(p->promote);
    free_argv(p->check);
    if (p->obj != NULL) {
        fjson_object_put(p->obj);
    }
}

/* VIGIL_INCIDENT_ID and VIGIL_DB_* of the pair into env (4 entries). */
static void pair_env(const struct vg_action_call *call, const struct pair *p,
                     struct spawnc_var env[4])
{
    struct vg_str id = vg_call_incident_id(call);

    env[0].name = "VIGIL_INCIDENT_ID";
    env[0].value = id.ptr;
    env[1].name = "VIGIL_DB_PAIR";
    env[1].value = p->name;
    env[2].name = "VIGIL_DB_PRIMARY";
    env[2].value = p->primary != NULL ? p->primary : "";
    env[3].name = "VIGIL_DB_STANDBY";
    env[3].value = p->standby;
}

/* Run argv with the pair's environment (spawnc_run), killed at the deadline. */
static int run_argv(struct vg_ctx *ctx, char **argv, const struct spawnc_var *env,
                    int64_t deadline_ms, struct spawnc_proc *proc)
{
    struct spawnc_req req = {0};

    req.argv = argv;
    req.env = env;
    req.n_env = 4;
    req.deadline_ms = deadline_ms;
    return spawnc_run(ctx, &req, proc);
}

/* The output without surrounding white space, in place. */
static char *trim(char *s)
{
    char *end = s + strlen(s);

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        s++;
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        *--end = '\0';
    }
    return s;
}

static void output_f(struct vg_ctx *ctx, const char *fmt, ...) VG_PRINTF(2, 3);

static void output_f(struct vg_ctx *ctx, const char *fmt, ...)
{
    char buf[SPAWNC_OUT_MAX + 256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        vg_action_output(ctx, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    }
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0) {
    }
}

/*
 * Run the check until it confirms or verify_end passes. Returns VG_OK when
 * confirmed, else VG_ERR with the error set; results record the verdict.
 */
static int verify(struct vg_ctx *ctx, const struct db_failover_config *cfg, const struct pair *p,
                  const struct spawnc_var *env, int64_t verify_end)
{
    struct spawnc_proc *proc = vg_alloc(sizeof(*proc));
    char last[CHECK_RESULT_MAX + 1] = "";
    char tries_s[24];
    int unstarted = 0;
    int tries = 0;
    int ok = 0;

    if (proc == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ERR;
    }
    for (;;) {
        int rc = run_argv(ctx, p->check, env, verify_end, proc);
        const char *got = trim(proc->out);

        tries++;
        if (rc != VG_OK && rc != VG_ETIMEDOUT) {
            unstarted = 1; /* the error says why */
            break;
        }
        snprintf(last, sizeof(last), "%s", got);
        output_f(ctx, "check %d: %s %s %d: %s\n", tries, p->check[0],
                 proc->killed   ? "killed at"
                 : proc->exited ? "exit"
                                : "signal",
                 proc->killed ? 0 : proc->code, got);
        ok = proc->exited && proc->code == 0 &&
             (p->check_expect == NULL || strcmp(got, p->check_expect) == 0);
        if (ok || vg_now_ms(ctx) + cfg->check_interval_ms >= verify_end) {
            break;
        }
        pause_ms(cfg->check_interval_ms);
    }
    vg_free(proc);
    snprintf(tries_s, sizeof(tries_s), "%d", tries);
    vg_action_result(ctx, "check", ok ? "ok" : "failed");
    vg_action_result(ctx, "check_tries", tries_s);
    vg_action_result(ctx, "check_output", last);
    if (!ok && !unstarted) {
        char within[32];

        vg_format_duration(cfg->verify_within_ms, within, sizeof(within));
        vg_set_error(ctx,
                     "standby %s of %s not confirmed as primary within %s: check printed "
                     "\"%s\" after %d tries",
                     p->standby, p->name, within, last, tries);
    }
    return ok ? VG_OK : VG_ERR;
}

static int db_failover_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct db_failover_config *cfg = state;
    struct vg_str done = vg_call_prior(call, "db_failover.promoted");
    struct vg_str id = vg_call_incident_id(call);
    struct spawnc_proc *proc = NULL;
    struct spawnc_var env[4];
    char standby[NAME_MAX_BYTES];
    int claimed = 0;
    int promoted = 0;
    int64_t deadline = vg_call_deadline_ms(call);
    int64_t verify_end;
    char status_s[32];
    struct pair p;
    int rc;

    /* An earlier call for this incident promoted the standby: never a second time. */
    if (done.ptr != NULL) {
        output_f(ctx, "standby %s already promoted for this incident: nothing run\n", done.ptr);
        vg_action_result(ctx, "promoted", done.ptr);
        return VG_OK;
    }
    rc = load_pair(ctx, cfg, call, &p);
    if (rc != VG_OK) {
        goto out_free;
    }
    vg_action_result(ctx, "pair", p.name);
    if (deadline <= 0) {
        deadline = vg_now_ms(ctx) + cfg->verify_within_ms * 2;
    }
    rc = claim(ctx, p.name, id.ptr, deadline, standby, sizeof(standby));
    if (rc == 1) {
        output_f(ctx, "standby %s already promoted for this incident: nothing run\n", standby);
        vg_action_result(ctx, "promoted", standby);
        rc = VG_OK;
        goto out_free;
    }
    if (rc != 0) {
        goto out_free;
    }
    claimed = 1;
    pair_env(call, &p, env);
    proc = vg_alloc(sizeof(*proc));
    if (proc == NULL) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
        goto out_free;
    }
    rc = run_argv(ctx, p.promote, env, deadline, proc);
    if (rc != VG_OK && rc != VG_ETIMEDOUT) {
        goto out_free; /* not started: nothing happened, a retry is safe */
    }
    if (rc == VG_ETIMEDOUT) {
        output_f(ctx, "promote %s killed at the deadline: %s\n", p.promote[0], trim(proc->out));
        vg_action_result(ctx, "promote_exit", "killed");
        vg_set_error(ctx, "promote command %s of %s did not finish by the deadline: killed",
                     p.promote[0], p.name);
        goto out_free;
    }
    if (proc->exited) {
        snprintf(status_s, sizeof(status_s), "%d", proc->code);
    } else {
        snprintf(status_s, sizeof(status_s), "signal %d", proc->code);
    }
    vg_action_result(ctx, "promote_exit", status_s);
    output_f(ctx, "promote %s %s %s: %s\n", p.promote[0], proc->exited ? "exit" : "signal",
             status_s, trim(proc->out));
    if (!proc->exited || proc->code != 0) {
        vg_set_error(ctx, "promote command %s of %s failed (%s %s): standby %s not promoted",
                     p.promote[0], p.name, proc->exited ? "exit status" : "killed by", status_s,
                     p.standby);
        rc = VG_ERR;
        goto out_free;
    }
    vg_action_result(ctx, "promoted", p.standby);
    promoted = 1;
    if (p.check == NULL) {
        vg_action_result(ctx, "check", "none configured");
        rc = VG_OK;
        goto out_free;
    }
    verify_end = vg_now_ms(ctx) + cfg->verify_within_ms;
    if (verify_end > deadline) {
        verify_end = deadline;
    }
    rc = verify(ctx, cfg, &p, env, verify_end);
out_free:
    if (claimed) {
        release(p.name, id.ptr, promoted ? p.standby : NULL);
    }
    vg_free(proc);
    free_pair(&p);
    return rc;
}

static const struct vg_plugin db_failover_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "db_failover",
    .version = "1.0.0",
    .description = "promote the standby of the incident's database pair and verify it",
    .options = db_failover_options,
    .config_size = sizeof(struct db_failover_config),
    .create = db_failover_create,
    .run = db_failover_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &db_failover_plugin);
}
