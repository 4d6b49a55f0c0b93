/* SPDX-License-Identifier: MIT */
/*
 * Action dispatcher: worker threads pop calls from bounded queues (the calls of
 * one incident always go to one worker, so they run in order), claim each
 * in Redis (one idempotency key per incident, transition occurrence and
 * action), run the plugin in a thread of its own so that a call which never
 * returns is abandoned at its deadline while the worker goes on, retry
 * VG_EAGAIN with exponential back-off and full jitter, and write the outcome
 * (history entry, playbook step, named results, the undo to run at an
 * operator's close) in one script through the worker's own Redis connection.
 * Nothing here runs on the ingest or correlation threads.
 */
#include "action.h"

#include <errno.h>
#include <inttypes.h>
#include <libfastjson/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "incident.h"
#include "loader.h"
#include "queue.h"
#include "rule.h"
#include "state.h"
#include "store.h"

#define DRAIN_MAX_MS      10000  /* at shutdown, queued calls still run for this long */
#define ABANDONED_WAIT_MS 2000   /* at shutdown, abandoned calls may still return this long */
#define ABANDON_GRACE_MS  1000   /* a call may overrun its deadline by this much */
#define BACKOFF_MAX_MS    60000  /* the longest wait between attempts */
#define CLAIM_SLACK_MS    120000 /* a running claim outlives its attempts by this much */
#define PRIOR_MAX         64     /* earlier results made available to a call */
#define RESULT_VALUE_MAX  1024   /* bytes of one named result kept */
#define STEP_ERROR_MAX    400    /* bytes of an error kept on a playbook step */

/* One call of one action. Shared by the worker and the thread running the plugin. */
struct vg_action_call {
    atomic_int refs;             /* the worker's and the runner's references */
    struct dispatcher *d;        /* its dispatcher */
    const struct rule_action *a; /* the rule's action entry */
    struct plugin_inst *inst;    /* the instance run (the entry's, or its inverse) */
    int undo;                    /* 1: the inverse, run at an operator's close */
    int transition;              /* enum vg_transition */
    char *incident_id;           /* incident id */
    char *json;                  /* the record with its trigger event */
    size_t json_len;             /* bytes of json */
    char *undo_field;            /* undo: the field of the incident's undo hash, else NULL */
    fjson_object *rec;           /* json parsed on first vg_call_field(), or NULL */
    int rec_bad;                 /* 1: json did not parse */
    char *prior[PRIOR_MAX * 2];  /* names and values of earlier results */
    size_t n_prior;              /* pairs in prior */
    int attempt;                 /* 1 for the first attempt */
    int64_t deadline_ms;         /* wall-clock deadline of the current attempt */
    struct sbuf results;         /* ,"name":"value" pairs set by the plugin */
    struct sbuf out;             /* output excerpt of the current attempt */
    pthread_mutex_t mu;          /* guards the members below */
    pthread_cond_t cv;           /* signalled when the attempt finished */
    int finished;                /* 1: the runner returned from run() */
    int abandoned;               /* 1: the worker stopped waiting for it */
    int rc;                      /* what run() returned */
    char err[512];               /* the plugin's error text */
};

/* A rate limit of one action entry: the earliest time its next call may start. */
struct limiter {
    const struct rule_action *a; /* the entry */
    int64_t next_ms;             /* monotonic ms */
};

/* What the queue carries: a call, or an undo request to expand into calls. */
struct job {
    struct vg_action_call *call;  /* a call, or NULL */
    const struct rule *undo_rule; /* undo: the rule whose actions to invert */
    char *undo_id;                /* undo: the incident */
    char *undo_key;               /* undo: the (rule, key) of its deadline */
    size_t undo_key_len;          /* bytes of undo_key */
    int64_t undo_lease;           /* undo: the deadline's claim */
};

struct dispatcher {
    struct dispatcher_cfg cfg;  /* copied configuration */
    char *redis_url;            /* owned copy */
    char *prefix;               /* owned copy */
    struct queue **qs;          /* pending jobs, one queue per worker (lane) */
    struct lane *lanes;         /* what each worker is started with */
    pthread_t *threads;         /* workers */
    int n_threads;              /* started workers */
    pthread_mutex_t lock;       /* guards pending, counts and limits */
    pthread_cond_t idle;        /* signalled when pending drops to 0 */
    size_t pending;             /* queued or running jobs */
    struct dispatcher_counts n; /* counters (rejected is the global one) */
    struct limiter *limits;     /* rate limits in use */
    size_t n_limits;            /* entries in limits */
    atomic_int abandoned;       /* abandoned calls still running */
    atomic_llong stop_by;       /* monotonic ms after which queued calls are dropped (0: none) */
};

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

/* One worker and its queue: the calls of one incident go to one lane, in order. */
struct lane {
    struct dispatcher *d; /* the dispatcher */
    struct queue *q;      /* this worker's queue */
};

static atomic_ullong n_rejected; /* values refused by vg_value_check(), all dispatchers */

/*
 * The end of a call: KEYS 1 the incident's hash, 2 its history, 3 its results,
 * 4 its undo hash, 5 the idempotency key; ARGV 1 history entry, 2 entries kept,
 * 3 step ("" none), 4 step status, 5 who, 6 time, 7 result object JSON, 8 error
 * ("" none), 9 idempotency value, 10 its lifetime ms, 11 undo field to set ("" none),
 * 12 its value, 13 undo field to delete ("" none), 14.. result names and values.
 * The keys beside the hash take its lifetime. Returns "ok".
 */
static struct store_script finish_script = {
    .name = "action_finish",
    .lua =
        "redis.call('RPUSH', KEYS[2], ARGV[1])\n"
        "redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)\n"
        "if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then\n"
        "  local pb = redis.call('HGET', KEYS[1], 'playbook')\n"
        "  local ok, steps = pcall(cjson.decode, pb or '[]')\n"
        "  if not ok or type(steps) ~= 'table' then steps = {} end\n"
        "  local found = nil\n"
        "  for _, s in ipairs(steps) do\n"
        "    if type(s) == 'table' and s.step == ARGV[3] then found = s end\n"
        "  end\n"
        "  if not found then\n"
        "    found = {step = ARGV[3], text = ''}\n"
        "    steps[#steps + 1] = found\n"
        "  end\n"
        "  found.status = ARGV[4]\n"
        "  found.who = ARGV[5]\n"
        "  found.at = ARGV[6]\n"
        "  found.result = cjson.decode(ARGV[7])\n"
        "  if ARGV[8] ~= '' then found.error = ARGV[8] else found.error = nil end\n"
        "  redis.call('HSET', KEYS[1], 'playbook', cjson.encode(steps))\n"
        "end\n"
        "for i = 14, #ARGV, 2 do\n"
        "  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])\n"
        "end\n"
        "if ARGV[11] ~= '' then redis.call('HSET', KEYS[4], ARGV[11], ARGV[12]) end\n"
        "if ARGV[13] ~= '' then redis.call('HDEL', KEYS[4], ARGV[13]) end\n"
        "redis.call('SET', KEYS[5], ARGV[9], 'PX', ARGV[10])\n"
        "local ttl = redis.call('PTTL', KEYS[1])\n"
        "if ttl > 0 then\n"
        "  for i = 2, 4 do\n"
        "    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ttl) end\n"
        "  end\n"
        "end\n"
        "return 'ok'\n",
};

void action_init(void)
{
    store_script_init(&finish_script);
}

static void call_unref(struct vg_action_call *c)
{
    size_t i;

    if (atomic_fetch_sub(&c->refs, 1) != 1) {
        return;
    }
    free(c->incident_id);
    free(c->json);
    free(c->undo_field);
    if (c->rec != NULL) {
        fjson_object_put(c->rec);
    }
    for (i = 0; i < c->n_prior * 2; i++) {
        free(c->prior[i]);
    }
    sbuf_free(&c->results);
    sbuf_free(&c->out);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

static struct vg_action_call *call_new(struct dispatcher *d, const struct rule_action *a,
                                       struct plugin_inst *inst, int transition, const char *id)
{
    struct vg_action_call *c = xcalloc(1, sizeof(*c));

    atomic_init(&c->refs, 1);
    c->d = d;
    c->a = a;
    c->inst = inst;
    c->transition = transition;
    c->incident_id = xstrdup(id);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    return c;
}

static void count(struct dispatcher *d, uint64_t *counter)
{
    pthread_mutex_lock(&d->lock);
    (*counter)++;
    pthread_mutex_unlock(&d->lock);
}

/* The action's name in records: the plugin's, or "port_restore (undo of port_isolate)". */
static const char *plugin_name(const struct vg_action_call *c)
{
    return c->inst->mod->desc.name;
}

/* Keys of the incident: its hash, and the hash's name with suffix. */
static int inc_key(const struct dispatcher *d, const char *id, const char *suffix, struct sbuf *out)
{
    sbuf_reset(out);
    if (incident_hash_key(d->prefix, id, out) != 0) {
        return -1;
    }
    sbuf_adds(out, suffix);
    return 0;
}

/*
 * Which occurrence of its transition a record is: the transition with the
 * incident's count, severity and flaps, the same for a retried correlation, a
 * replay after a restart and another vigild instance.
 */
static void occurrence(const struct vg_action_call *c, struct sbuf *out)
{
    fjson_object *rec = fjson_tokener_parse(c->json);
    fjson_object *inc = NULL, *v;
    int64_t n = 0, flaps = 0;
    const char *sev = "";

    if (rec != NULL && fjson_object_object_get_ex(rec, "incident", &inc)) {
        if (fjson_object_object_get_ex(inc, "count", &v)) {
            n = fjson_object_get_int64(v);
        }
        if (fjson_object_object_get_ex(inc, "flaps", &v)) {
            flaps = fjson_object_get_int64(v);
        }
        if (fjson_object_object_get_ex(inc, "severity", &v) &&
            fjson_object_is_type(v, fjson_type_string)) {
            sev = fjson_object_get_string(v);
        }
    }
    sbuf_printf(out, "%s.%" PRId64 ".%s.%" PRId64, tr_names[c->transition], n, sev, flaps);
    if (rec != NULL) {
        fjson_object_put(rec);
    }
}

/*
 * Claim the call: SET its idempotency key NX. Returns 1 when this worker runs
 * it, 0 when it ran (or runs) elsewhere, -1 when Redis cannot say (the call
 * runs then: an action missed is worse than one run twice after a Redis outage).
 */
static int claim(struct dispatcher *d, struct store *st, const struct vg_action_call *c,
                 const struct sbuf *key, int64_t lease_ms)
{
    char lease_s[24];
    const char *argv[] = {"SET", key->buf, "running", "NX", "PX", lease_s};
    redisReply *r;
    int rc;

    snprintf(lease_s, sizeof(lease_s), "%" PRId64, lease_ms);
    r = store_cmd(st, 6, argv, NULL);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        log_msg(VG_LOG_WARNING,
                "action %s for incident %s: cannot claim it in Redis (%s); running it anyway",
                plugin_name(c), c->incident_id, store_error(st));
        rc = -1;
    } else {
        rc = r->type == REDIS_REPLY_NIL ? 0 : 1;
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    (void)d;
    return rc;
}

/* Load the results earlier calls recorded for the incident. */
static void load_prior(struct dispatcher *d, struct store *st, struct vg_action_call *c)
{
    struct sbuf k = {0};
    redisReply *r;
    size_t i;

    if (inc_key(d, c->incident_id, ":results", &k) != 0) {
        sbuf_free(&k);
        return;
    }
    {
        const char *argv[] = {"HGETALL", k.buf};

        r = store_cmd(st, 2, argv, NULL);
    }
    for (i = 0;
         r != NULL && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements && c->n_prior < PRIOR_MAX;
         i += 2) {
        c->prior[c->n_prior * 2] = xstrndup(r->element[i]->str, r->element[i]->len);
        c->prior[c->n_prior * 2 + 1] = xstrndup(r->element[i + 1]->str, r->element[i + 1]->len);
        c->n_prior++;
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    sbuf_free(&k);
}

/* Why a call's step keeps it from running (step_bar). */
enum {
    STEP_OPEN = 0, /* pending, failed or unknown: run */
    STEP_NA = 1,   /* not applicable (ABI 1.3): the findings ruled it out */
    STEP_DONE = 2, /* done already (by an earlier action, or by vigil) */
};

/*
 * Whether the incident's playbook bars the call: its step not applicable, or,
 * for an update or escalate, done already (by the open's call, which ran before
 * it on the incident's lane: no second spare for one fault). An open's call runs
 * for a done step (events may have outrun the action queue, as in a replay), and
 * a resolve's or close's too (it reports the end: the carrier's ticket updated).
 */
static int step_bar(struct dispatcher *d, struct store *st, const struct vg_action_call *c)
{
    struct sbuf k = {0};
    redisReply *r = NULL;
    fjson_object *pb = NULL;
    int bar = STEP_OPEN;
    int i;

    if (inc_key(d, c->incident_id, "", &k) == 0) {
        const char *argv[] = {"HGET", k.buf, "playbook"};

        r = store_cmd(st, 3, argv, NULL);
    }
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        pb = fjson_tokener_parse(r->str);
    }
    for (i = 0; pb != NULL && fjson_object_is_type(pb, fjson_type_array) &&
                i < fjson_object_array_length(pb);
         i++) {
        fjson_object *step = fjson_object_array_get_idx(pb, i), *v;
        const char *status;

        if (!fjson_object_object_get_ex(step, "step", &v) ||
            !fjson_object_is_type(v, fjson_type_string) ||
            strcmp(fjson_object_get_string(v), c->a->step) != 0 ||
            !fjson_object_object_get_ex(step, "status", &v) ||
            !fjson_object_is_type(v, fjson_type_string)) {
            continue;
        }
        status = fjson_object_get_string(v);
        if (strcmp(status, "not_applicable") == 0) {
            bar = STEP_NA;
        } else if (strcmp(status, "done") == 0 &&
                   (c->transition == VG_TR_UPDATE || c->transition == VG_TR_ESCALATE)) {
            bar = STEP_DONE;
        }
    }
    if (pb != NULL) {
        fjson_object_put(pb);
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    sbuf_free(&k);
    return bar;
}

/* Wait for the entry's rate limit; 1 when it made the call wait. */
static int rate_wait(struct dispatcher *d, const struct rule_action *a)
{
    int64_t now = time_mono_ms();
    int64_t at = now;
    size_t i;

    if (a == NULL || a->rate_count <= 0) {
        return 0;
    }
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->n_limits && d->limits[i].a != a; i++) {
    }
    if (i == d->n_limits) {
        d->limits = xrealloc(d->limits, (d->n_limits + 1) * sizeof(*d->limits));
        d->limits[d->n_limits].a = a;
        d->limits[d->n_limits].next_ms = now;
        d->n_limits++;
    }
    /* Calls are spaced per/count apart: a steady rate, no burst beyond it. */
    if (d->limits[i].next_ms > now) {
        at = d->limits[i].next_ms;
    }
    d->limits[i].next_ms = at + a->rate_per_ms / a->rate_count;
    pthread_mutex_unlock(&d->lock);
    if (at > now) {
        struct timespec ts = {(at - now) / 1000, ((at - now) % 1000) * 1000000L};

        nanosleep(&ts, NULL);
        return 1;
    }
    return 0;
}

/* The thread of one attempt: run the plugin, then hand the outcome to the worker. */
static void *runner(void *arg)
{
    struct vg_action_call *c = arg;
    const struct vg_plugin *p = &c->inst->mod->desc;
    int concurrent = (p->flags & VG_PLUGIN_CONCURRENT) != 0;
    struct vg_ctx ctx;
    int rc;

    host_ctx_init(&ctx, c->inst, c->inst->label);
    ctx.job = (struct action_job *)(void *)c;
    ctx.output = &c->out;
    if (!concurrent) {
        /* An earlier call of the instance that still hangs must not block this one forever. */
        struct timespec ts = {(c->deadline_ms) / 1000, (c->deadline_ms % 1000) * 1000000L};

        if (pthread_mutex_timedlock(&c->inst->lock, &ts) != 0) {
            snprintf(ctx.err, sizeof(ctx.err),
                     "an earlier call of this action is still running past its deadline");
            rc = VG_ETIMEDOUT;
            goto out;
        }
    }
    rc = p->run(&ctx, c->inst->state, c);
    if (!concurrent) {
        pthread_mutex_unlock(&c->inst->lock);
    }
out:
    pthread_mutex_lock(&c->mu);
    c->finished = 1;
    c->rc = rc;
    snprintf(c->err, sizeof(c->err), "%s", ctx.err);
    if (c->abandoned) {
        atomic_fetch_sub(&c->d->abandoned, 1);
        log_msg(VG_LOG_WARNING, "action %s for incident %s returned after it was abandoned",
                plugin_name(c), c->incident_id);
    }
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    call_unref(c);
    return NULL;
}

/*
 * Run one attempt in a thread of its own and wait for it until its deadline
 * (plus a grace). Returns run()'s status, or VG_ETIMEDOUT when it was abandoned.
 */
static int attempt(struct dispatcher *d, struct vg_action_call *c, int64_t timeout_ms)
{
    pthread_attr_t attr;
    pthread_t t;
    struct timespec until;
    int64_t wait_to;
    int rc;

    c->attempt++;
    c->finished = 0;
    c->rc = VG_ERR;
    c->err[0] = '\0';
    sbuf_reset(&c->out);
    sbuf_reset(&c->results);
    c->deadline_ms = time_now_ms() + timeout_ms;
    if (atomic_load(&d->abandoned) >= ACTION_ABANDONED_MAX) {
        snprintf(c->err, sizeof(c->err),
                 "not run: %d abandoned action calls still hang (see earlier warnings)",
                 ACTION_ABANDONED_MAX);
        return VG_ERR;
    }
    atomic_fetch_add(&c->refs, 1);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, runner, c) != 0) {
        pthread_attr_destroy(&attr);
        atomic_fetch_sub(&c->refs, 1);
        snprintf(c->err, sizeof(c->err), "cannot start a thread for the call: %s", strerror(errno));
        return VG_EAGAIN;
    }
    pthread_attr_destroy(&attr);
    /* The wait is on the realtime clock, which the deadline is expressed in. */
    wait_to = c->deadline_ms + ABANDON_GRACE_MS;
    until.tv_sec = wait_to / 1000;
    until.tv_nsec = (wait_to % 1000) * 1000000L;
    pthread_mutex_lock(&c->mu);
    while (!c->finished) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT && !c->finished) {
            c->abandoned = 1;
            break;
        }
    }
    rc = c->finished ? c->rc : VG_ETIMEDOUT;
    if (c->abandoned) {
        atomic_fetch_add(&d->abandoned, 1);
        snprintf(c->err, sizeof(c->err),
                 "did not return within its deadline of %" PRId64 " ms: abandoned", timeout_ms);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Sleep before retry n (1-based): up to backoff * 2^(n-1), at least half of it. */
static void backoff(const struct dispatcher *d, int n)
{
    int64_t cap = d->cfg.backoff_ms << (n - 1 < 16 ? n - 1 : 16);
    int64_t ms;
    struct timespec ts;

    if (cap > BACKOFF_MAX_MS || cap <= 0) {
        cap = BACKOFF_MAX_MS;
    }
    ms = cap / 2 + (int64_t)((uint64_t)rand() % (uint64_t)(cap / 2 + 1));
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Append the results of the finished call as Lua arguments (name, value pairs). */
static size_t result_args(const struct vg_action_call *c, fjson_object *res, const char **argv,
                          size_t *lens, size_t max)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(res);
    struct fjson_object_iterator end = fjson_object_iter_end(res);
    size_t n = 0;

    for (; !fjson_object_iter_equal(&it, &end) && n + 2 <= max; fjson_object_iter_next(&it)) {
        const char *val = fjson_object_get_string(fjson_object_iter_peek_value(&it));

        argv[n] = xasprintf("%s.%s", plugin_name(c), fjson_object_iter_peek_name(&it));
        lens[n] = strlen(argv[n]);
        argv[n + 1] = xstrdup(val != NULL ? val : "");
        lens[n + 1] = strlen(argv[n + 1]);
        n += 2;
    }
    return n;
}

/* Write the outcome of a finished call: history, step, results, undo, idempotency. */
static void finish(struct dispatcher *d, struct store *st, struct vg_action_call *c, int rc,
                   int64_t dur_ms, const struct sbuf *idem)
{
    enum { FIXED = 13, EXTRA = 2 * PRIOR_MAX };
    const char *status = rc == VG_OK ? "ok" : rc == VG_ETIMEDOUT ? "timeout" : "failed";
    struct sbuf entry = {0}, resj = {0}, k[4] = {{0}};
    struct sbuf undo_val = {0}, who = {0};
    const char *argv[5 + FIXED + EXTRA];
    size_t lens[5 + FIXED + EXTRA];
    char ts[40], keep_s[48], histmax_s[16], keep_for[24], undo_field[48] = "";
    char err[STEP_ERROR_MAX + 1];
    fjson_object *res;
    size_t n_res = 0, i;
    redisReply *r;

    time_format_ms(time_now_ms(), ts, sizeof(ts));
    /* An abandoned call's thread may still write its output and results: not read. */
    const struct sbuf empty = {0};
    const struct sbuf *out = c->abandoned ? &empty : &c->out;
    const struct sbuf *results = c->abandoned ? &empty : &c->results;

    sbuf_adds(&resj, "{");
    if (rc == VG_OK && results->len > 1) {
        sbuf_add(&resj, results->buf + 1, results->len - 1);
    }
    sbuf_adds(&resj, "}");
    sbuf_printf(&entry,
                "{\"@timestamp\":\"%s\",\"type\":\"action\",\"action\":\"%s\",\"transition\":"
                "\"%s\",\"rule\":\"",
                ts, plugin_name(c), tr_names[c->transition]);
    sbuf_add_json_str(&entry, c->a->rule->name, strlen(c->a->rule->name));
    sbuf_adds(&entry, "\"");
    if (c->a->step != NULL) {
        sbuf_printf(&entry, ",\"step\":\"%s\"", c->a->step);
    }
    if (c->undo) {
        sbuf_printf(&entry, ",\"undo_of\":\"%s\"", c->a->plugin);
    }
    sbuf_printf(&entry, ",\"status\":\"%s\",\"code\":%d,\"attempts\":%d,\"duration_ms\":%" PRId64,
                status, rc, c->attempt, dur_ms);
    if (rc != VG_OK && c->err[0] != '\0') {
        sbuf_adds(&entry, ",\"error\":\"");
        sbuf_add_json_str(&entry, c->err, strlen(c->err));
        sbuf_addc(&entry, '"');
    }
    sbuf_adds(&entry, ",\"result\":{");
    if (results->len > 1) {
        sbuf_add(&entry, results->buf + 1, results->len - 1);
    }
    sbuf_adds(&entry, "},\"output\":\"");
    sbuf_add_json_str(&entry, out->buf ? out->buf : "", out->len);
    sbuf_adds(&entry, "\"}");

    if (inc_key(d, c->incident_id, "", &k[0]) != 0 ||
        inc_key(d, c->incident_id, ":history", &k[1]) != 0 ||
        inc_key(d, c->incident_id, ":results", &k[2]) != 0 ||
        inc_key(d, c->incident_id, ":undo", &k[3]) != 0) {
        log_msg(VG_LOG_ERR, "action %s: malformed incident id %s", plugin_name(c), c->incident_id);
        goto out;
    }
    /* The step goes to a person when the action failed. */
    if (rc == VG_OK) {
        sbuf_printf(&who, "action:%s", plugin_name(c));
    } else {
        sbuf_adds(&who, "person");
    }
    {
        /* A step keeps the start of the error; the history entry has all of it. */
        const char *e = rc == VG_OK ? "" : c->err[0] ? c->err : status;
        size_t n = strlen(e) < STEP_ERROR_MAX ? strlen(e) : STEP_ERROR_MAX;

        memcpy(err, e, n);
        err[n] = '\0';
    }
    if (rc == VG_OK && !c->undo && c->a->undo_instance != NULL) {
        snprintf(undo_field, sizeof(undo_field), "%d.%zu", c->a->transition, c->a->index);
        sbuf_add(&undo_val, c->json, c->json_len);
    }
    snprintf(histmax_s, sizeof(histmax_s), "%d", INCIDENT_HISTORY_MAX);
    snprintf(keep_s, sizeof(keep_s), "%s:%s", rc == VG_OK ? "done" : "failed", ts);
    snprintf(keep_for, sizeof(keep_for), "%" PRId64, d->cfg.keep_ms);
    argv[0] = k[0].buf;
    argv[1] = k[1].buf;
    argv[2] = k[2].buf;
    argv[3] = k[3].buf;
    argv[4] = idem->buf;
    argv[5] = entry.buf;
    argv[6] = histmax_s;
    argv[7] = c->a->step != NULL && !c->undo ? c->a->step : "";
    argv[8] = rc == VG_OK ? "done" : "failed";
    argv[9] = who.buf;
    argv[10] = ts;
    argv[11] = resj.buf;
    argv[12] = err;
    argv[13] = keep_s;
    argv[14] = keep_for;
    argv[15] = undo_field;
    argv[16] = undo_val.buf != NULL ? undo_val.buf : "";
    argv[17] = c->undo && c->undo_field != NULL ? c->undo_field : "";
    for (i = 0; i < 18; i++) {
        lens[i] = strlen(argv[i]);
    }
    lens[16] = undo_val.len;
    res = rc == VG_OK ? fjson_tokener_parse(resj.buf) : NULL;
    if (res != NULL) {
        n_res = result_args(c, res, argv + 18, lens + 18, EXTRA);
        fjson_object_put(res);
    }
    r = store_eval(st, &finish_script, 5, (int)(18 + n_res), argv, lens);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        log_msg(VG_LOG_ERR, "cannot record the result of action %s for incident %s in Redis: %s",
                plugin_name(c), c->incident_id,
                r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : store_error(st));
    }
    if (r != NULL) {
        freeReplyObject(r);
    }
    for (i = 18; i < 18 + n_res; i++) {
        free((char *)(uintptr_t)argv[i]);
    }
out:
    log_msg(rc == VG_OK ? VG_LOG_INFO : VG_LOG_WARNING,
            "action %s (%s) for incident %s on %s%s: %s in %" PRId64 " ms, %d attempt%s%s%s%s",
            plugin_name(c), c->a->rule->name, c->incident_id, tr_names[c->transition],
            c->undo ? " (undo)" : "", status, dur_ms, c->attempt, c->attempt == 1 ? "" : "s",
            rc != VG_OK && c->err[0] ? ": " : "", rc != VG_OK ? c->err : "",
            rc != VG_OK && c->a->step != NULL ? " (step handed to a person)" : "");
    for (i = 0; i < 4; i++) {
        sbuf_free(&k[i]);
    }
    sbuf_free(&entry);
    sbuf_free(&resj);
    sbuf_free(&undo_val);
    sbuf_free(&who);
}

/* The severity (1..5) of the call's incident as its record says, 0 when unknown. */
static int call_severity(const struct vg_action_call *c)
{
    fjson_object *rec = fjson_tokener_parse(c->json);
    fjson_object *inc, *v;
    int sev = 0;

    if (rec != NULL && fjson_object_object_get_ex(rec, "incident", &inc) &&
        fjson_object_object_get_ex(inc, "severity", &v) &&
        fjson_object_is_type(v, fjson_type_string)) {
        sev = rule_severity_parse(fjson_object_get_string(v));
    }
    if (rec != NULL) {
        fjson_object_put(rec);
    }
    return sev;
}

/*
 * A call not run, for why (JSON-safe text): a "skipped" history entry and the
 * idempotency key set to "skipped" (a re-delivered call is not decided again),
 * written by the finish script without touching the step; logged and counted.
 */
static void skip(struct dispatcher *d, struct store *st, const struct vg_action_call *c,
                 const struct sbuf *idem, const char *why)
{
    const struct rule_action *a = c->a;
    struct sbuf k[4] = {{0}};
    char ts[40], keep_s[48], histmax_s[16], keep_for[24];
    const char *argv[18];
    char *entry;
    redisReply *r;
    size_t i;

    time_format_ms(time_now_ms(), ts, sizeof(ts));
    entry = xasprintf("{\"@timestamp\":\"%s\",\"type\":\"action\",\"action\":\"%s\","
                      "\"transition\":\"%s\"%s%s%s,\"status\":\"skipped\",\"reason\":\"%s\"}",
                      ts, plugin_name(c), tr_names[c->transition],
                      a->step != NULL ? ",\"step\":\"" : "", a->step != NULL ? a->step : "",
                      a->step != NULL ? "\"" : "", why);
    if (inc_key(d, c->incident_id, "", &k[0]) == 0 &&
        inc_key(d, c->incident_id, ":history", &k[1]) == 0 &&
        inc_key(d, c->incident_id, ":results", &k[2]) == 0 &&
        inc_key(d, c->incident_id, ":undo", &k[3]) == 0) {
        snprintf(histmax_s, sizeof(histmax_s), "%d", INCIDENT_HISTORY_MAX);
        snprintf(keep_s, sizeof(keep_s), "skipped:%s", ts);
        snprintf(keep_for, sizeof(keep_for), "%" PRId64, d->cfg.keep_ms);
        for (i = 0; i < 4; i++) {
            argv[i] = k[i].buf;
        }
        argv[4] = idem->buf;
        argv[5] = entry;
        argv[6] = histmax_s;
        argv[7] = ""; /* no step change */
        argv[8] = "";
        argv[9] = "";
        argv[10] = ts;
        argv[11] = "{}";
        argv[12] = "";
        argv[13] = keep_s;
        argv[14] = keep_for;
        argv[15] = "";
        argv[16] = "";
        argv[17] = "";
        r = store_eval(st, &finish_script, 5, 18, argv, NULL);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            log_msg(VG_LOG_ERR, "cannot record the skipped action %s for incident %s in Redis: %s",
                    plugin_name(c), c->incident_id,
                    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : store_error(st));
        }
        if (r != NULL) {
            freeReplyObject(r);
        }
    }
    free(entry);
    for (i = 0; i < 4; i++) {
        sbuf_free(&k[i]);
    }
    log_msg(VG_LOG_INFO, "action %s (%s) for incident %s on %s: %s: skipped", plugin_name(c),
            a->rule->name, c->incident_id, tr_names[c->transition], why);
    count(d, &d->n.skipped);
}

static void run_call(struct dispatcher *d, struct store *st, struct vg_action_call *c)
{
    const struct rule_action *a = c->a;
    int64_t timeout = a->timeout_ms > 0 ? a->timeout_ms : d->cfg.timeout_ms;
    int retries = a->retries >= 0 ? a->retries : ACTION_RETRIES;
    struct sbuf idem = {0}, occ = {0};
    int64_t start;
    int rc;

    if (c->undo) {
        sbuf_adds(&occ, "undo");
    } else {
        occurrence(c, &occ);
    }
    if (inc_key(d, c->incident_id, ":act:", &idem) != 0) {
        log_msg(VG_LOG_ERR, "action %s: malformed incident id %s", plugin_name(c), c->incident_id);
        count(d, &d->n.failed);
        goto out;
    }
    sbuf_printf(&idem, "%s:%s:", occ.buf, tr_names[a->transition]);
    sbuf_add(&idem, a->rule->name, strlen(a->rule->name));
    sbuf_printf(&idem, ":%zu", a->index);
    if (claim(d, st, c, &idem, (timeout + ABANDON_GRACE_MS) * (retries + 1) + CLAIM_SLACK_MS) ==
        0) {
        log_msg(VG_LOG_INFO,
                "action %s (%s) for incident %s on %s%s: already run or running (%s): skipped",
                plugin_name(c), a->rule->name, c->incident_id, tr_names[c->transition],
                c->undo ? " (undo)" : "", occ.buf);
        count(d, &d->n.deduped);
        goto out;
    }
    if (a->min_severity > 0 && !c->undo && call_severity(c) < a->min_severity) {
        /* Below the entry's min_severity (e.g. the leadership told of serious ones only). */
        char why[80];

        snprintf(why, sizeof(why), "the incident is less severe than %s",
                 rule_severity_name(a->min_severity));
        skip(d, st, c, &idem, why);
        goto out;
    }
    if (a->step != NULL && !c->undo) {
        int bar = step_bar(d, st, c);

        if (bar != STEP_OPEN) {
            /* Ruled out by the findings (ours, not the carrier's), or done already. */
            skip(d, st, c, &idem,
                 bar == STEP_NA ? "the step is not applicable to this incident"
                                : "the step is done already");
            goto out;
        }
    }
    if (rate_wait(d, a)) {
        count(d, &d->n.limited);
    }
    load_prior(d, st, c);
    start = time_mono_ms();
    for (;;) {
        rc = attempt(d, c, timeout);
        if (rc == VG_ETIMEDOUT && c->abandoned) {
            count(d, &d->n.abandoned);
            log_msg(VG_LOG_ERR, "action %s for incident %s hangs past its deadline: abandoned",
                    plugin_name(c), c->incident_id);
            break;
        }
        if (rc != VG_EAGAIN || c->attempt > retries) {
            break;
        }
        {
            long long by = atomic_load(&d->stop_by);

            if (by != 0 && time_mono_ms() > by) {
                break; /* shutting down: no more attempts */
            }
        }
        count(d, &d->n.retried);
        log_msg(VG_LOG_INFO, "action %s for incident %s: attempt %d failed (%s); retrying",
                plugin_name(c), c->incident_id, c->attempt, c->err[0] ? c->err : "try again");
        backoff(d, c->attempt);
    }
    /* An abandoned runner may still write: read its outcome under its lock. */
    pthread_mutex_lock(&c->mu);
    finish(d, st, c, rc, time_mono_ms() - start, &idem);
    pthread_mutex_unlock(&c->mu);
    count(d, rc == VG_OK ? &d->n.done : &d->n.failed);
out:
    sbuf_free(&idem);
    sbuf_free(&occ);
}

/*
 * Expand an undo request: one call per successful action with an inverse, then
 * release the deadline's claim (a crash before re-fires it; the calls that ran
 * are skipped then by their idempotency keys).
 */
static void run_undo(struct dispatcher *d, struct store *st, const struct job *j)
{
    const struct rule *r = j->undo_rule;
    const char *id = j->undo_id;
    struct sbuf k = {0};
    redisReply *rep = NULL;
    size_t i;

    if (inc_key(d, id, ":undo", &k) != 0) {
        sbuf_free(&k);
        return;
    }
    {
        const char *argv[] = {"HGETALL", k.buf};

        rep = store_cmd(st, 2, argv, NULL);
    }
    for (i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        unsigned t = 0;
        size_t idx = 0;
        const struct rule_action *a;
        struct vg_action_call *c;

        if (sscanf(rep->element[i]->str, "%u.%zu", &t, &idx) != 2 || t >= RULE_N_TRANSITIONS ||
            idx >= r->n_on[t] || r->on[t][idx].undo_instance == NULL) {
            log_msg(VG_LOG_WARNING, "undo of incident %s: no inverse for entry %s of rule %s", id,
                    rep->element[i]->str, r->name);
            continue;
        }
        a = &r->on[t][idx];
        c = call_new(d, a, a->undo_instance, VG_TR_CLOSE, id);
        c->undo = 1;
        c->undo_field = xstrdup(rep->element[i]->str);
        c->json = xstrndup(rep->element[i + 1]->str, rep->element[i + 1]->len);
        c->json_len = rep->element[i + 1]->len;
        run_call(d, st, c);
        call_unref(c);
    }
    if (rep != NULL) {
        freeReplyObject(rep);
    }
    {
        char name[64];
        size_t n;

        snprintf(name, sizeof(name), "@undo.%s", id);
        n = state_append_unclaim(st, d->prefix, r->name, name, j->undo_key, j->undo_key_len,
                                 j->undo_lease);
        rep = NULL;
        if (n == 1 && store_flush(st, &rep, 1) != 0) {
            log_msg(VG_LOG_WARNING, "undo of incident %s: cannot release its deadline: %s", id,
                    store_error(st));
        }
        if (rep != NULL) {
            freeReplyObject(rep);
        }
    }
    sbuf_free(&k);
}

static void job_free(struct job *j)
{
    if (j->call != NULL) {
        call_unref(j->call);
    }
    free(j->undo_id);
    free(j->undo_key);
    free(j);
}

static void *worker(void *arg)
{
    const struct lane *lane = arg;
    struct dispatcher *d = lane->d;
    char err[256];
    struct store *st = store_open(d->redis_url, 2000, err, sizeof(err));
    struct job *j;

    while ((j = queue_pop(lane->q, -1)) != NULL) {
        long long by = atomic_load(&d->stop_by);

        if (by != 0 && time_mono_ms() > by) {
            /* Shutting down and out of time: the rest is counted, not run. */
            count(d, &d->n.dropped);
            log_msg(VG_LOG_WARNING, "shutdown: action %s for incident %s not run",
                    j->call != NULL ? plugin_name(j->call) : "undo",
                    j->call != NULL ? j->call->incident_id : j->undo_id);
        } else if (j->call != NULL) {
            run_call(d, st, j->call);
        } else {
            run_undo(d, st, j);
        }
        job_free(j);
        pthread_mutex_lock(&d->lock);
        if (--d->pending == 0) {
            pthread_cond_broadcast(&d->idle);
        }
        pthread_mutex_unlock(&d->lock);
    }
    store_close(st);
    return NULL;
}

struct dispatcher *dispatcher_new(const struct dispatcher_cfg *cfg, char *err, size_t err_len)
{
    struct dispatcher *d = xcalloc(1, sizeof(*d));
    int i;

    d->cfg = *cfg;
    if (d->cfg.threads <= 0) {
        d->cfg.threads = 2;
    }
    if (d->cfg.queue_cap == 0) {
        d->cfg.queue_cap = 10000;
    }
    if (d->cfg.timeout_ms <= 0) {
        d->cfg.timeout_ms = 30000;
    }
    if (d->cfg.keep_ms <= 0) {
        d->cfg.keep_ms = INT64_C(7) * 86400 * 1000;
    }
    if (d->cfg.backoff_ms <= 0) {
        d->cfg.backoff_ms = 500;
    }
    d->redis_url = xstrdup(cfg->redis_url);
    d->prefix = xstrdup(cfg->prefix);
    d->qs = xcalloc((size_t)d->cfg.threads, sizeof(*d->qs));
    d->lanes = xcalloc((size_t)d->cfg.threads, sizeof(*d->lanes));
    for (i = 0; i < d->cfg.threads; i++) {
        d->qs[i] = queue_new(d->cfg.queue_cap);
        d->lanes[i].d = d;
        d->lanes[i].q = d->qs[i];
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->idle, NULL);
    d->threads = xcalloc((size_t)d->cfg.threads, sizeof(*d->threads));
    for (i = 0; i < d->cfg.threads; i++) {
        if (pthread_create(&d->threads[i], NULL, worker, &d->lanes[i]) != 0) {
            snprintf(err, err_len, "cannot start action worker thread %d", i);
            dispatcher_free(d);
            return NULL;
        }
        d->n_threads++;
    }
    return d;
}

size_t dispatcher_lane(const struct dispatcher *d, const char *incident_id)
{
    return (size_t)(hash_fnv1a(incident_id, strlen(incident_id)) % (uint64_t)d->cfg.threads);
}

/* Queue j on the lane of incident id; -1 (j freed, counted) when that queue is full. */
static int push(struct dispatcher *d, struct job *j, const char *what, const char *id)
{
    pthread_mutex_lock(&d->lock);
    d->pending++;
    pthread_mutex_unlock(&d->lock);
    if (queue_try_push(d->qs[dispatcher_lane(d, id)], j) != 0) {
        pthread_mutex_lock(&d->lock);
        d->pending--;
        d->n.dropped++;
        pthread_mutex_unlock(&d->lock);
        log_msg(VG_LOG_ERR, "action queue full: dropped %s for incident %s", what, id);
        job_free(j);
        return -1;
    }
    return 0;
}

int dispatcher_submit(struct dispatcher *d, const struct rule_action *a, int transition,
                      const char *incident_id, const char *record, size_t record_len,
                      const char *trigger, size_t trigger_len)
{
    struct job *j = xcalloc(1, sizeof(*j));
    struct vg_action_call *c = call_new(d, a, a->instance, transition, incident_id);
    struct sbuf js = {0};

    /* The record with its event: {...,"trigger":{...}}. */
    if (trigger != NULL && trigger_len > 0 && record_len > 0 && record[record_len - 1] == '}') {
        sbuf_add(&js, record, record_len - 1);
        sbuf_adds(&js, ",\"trigger\":");
        sbuf_add(&js, trigger, trigger_len);
        sbuf_addc(&js, '}');
    } else {
        sbuf_add(&js, record, record_len);
    }
    c->json = js.buf != NULL ? js.buf : xstrdup("{}");
    c->json_len = js.len;
    j->call = c;
    return push(d, j, a->plugin, incident_id);
}

int dispatcher_submit_undo(struct dispatcher *d, const struct rule *r, const char *incident_id,
                           const char *key, size_t key_len, int64_t lease)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->undo_rule = r;
    j->undo_id = xstrdup(incident_id);
    j->undo_key = xstrndup(key, key_len);
    j->undo_key_len = key_len;
    j->undo_lease = lease;
    return push(d, j, "undo", incident_id);
}

void dispatcher_drain(struct dispatcher *d)
{
    pthread_mutex_lock(&d->lock);
    while (d->pending > 0) {
        pthread_cond_wait(&d->idle, &d->lock);
    }
    pthread_mutex_unlock(&d->lock);
}

int dispatcher_free(struct dispatcher *d)
{
    int64_t until = time_mono_ms() + ABANDONED_WAIT_MS;
    int hung;
    int i;

    if (d == NULL) {
        return 0;
    }
    atomic_store(&d->stop_by, time_mono_ms() + DRAIN_MAX_MS);
    for (i = 0; i < d->cfg.threads; i++) {
        queue_close(d->qs[i]);
    }
    for (i = 0; i < d->n_threads; i++) {
        pthread_join(d->threads[i], NULL);
    }
    /* Abandoned calls still use their instance and this dispatcher: give them a moment. */
    while ((hung = atomic_load(&d->abandoned)) > 0 && time_mono_ms() < until) {
        struct timespec ts = {0, 10000000};

        nanosleep(&ts, NULL);
    }
    if (hung > 0) {
        /* Their threads still hold their calls: this dispatcher and their instances stay. */
        log_msg(VG_LOG_WARNING,
                "%d abandoned action calls still run at shutdown; their plugins stay loaded", hung);
        return hung;
    }
    for (i = 0; i < d->cfg.threads; i++) {
        queue_free(d->qs[i]);
    }
    free(d->qs);
    free(d->lanes);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->idle);
    free(d->limits);
    free(d->threads);
    free(d->redis_url);
    free(d->prefix);
    free(d);
    return 0;
}

void dispatcher_counts(struct dispatcher *d, struct dispatcher_counts *out)
{
    pthread_mutex_lock(&d->lock);
    *out = d->n;
    pthread_mutex_unlock(&d->lock);
    out->rejected = atomic_load(&n_rejected);
}

enum vg_transition action_call_transition(const struct vg_action_call *call)
{
    return (enum vg_transition)call->transition;
}

struct vg_str action_call_incident_json(const struct vg_action_call *call)
{
    struct vg_str s = {call->json, call->json_len};

    return s;
}

struct vg_str action_call_incident_id(const struct vg_action_call *call)
{
    struct vg_str s = {call->incident_id, strlen(call->incident_id)};

    return s;
}

int64_t action_call_deadline_ms(const struct vg_action_call *call)
{
    return call->deadline_ms;
}

int action_call_attempt(const struct vg_action_call *call)
{
    return call->attempt;
}

/*
 * Member path of obj: try the longest run of path's dot-separated parts as one
 * member name first, so "incident.key.host.name" finds the key's "host.name".
 */
static fjson_object *find_path(fjson_object *obj, const char *path, size_t len)
{
    size_t cut;

    if (len == 0) {
        return obj;
    }
    if (!fjson_object_is_type(obj, fjson_type_object)) {
        return NULL;
    }
    for (cut = len;; cut--) {
        if (cut == len || path[cut] == '.') {
            char name[256];
            fjson_object *v;

            if (cut < sizeof(name)) {
                memcpy(name, path, cut);
                name[cut] = '\0';
                if (fjson_object_object_get_ex(obj, name, &v)) {
                    fjson_object *r = cut == len ? v : find_path(v, path + cut + 1, len - cut - 1);

                    if (r != NULL) {
                        return r;
                    }
                }
            }
        }
        if (cut == 0) {
            return NULL;
        }
    }
}

struct vg_str action_call_field(const struct vg_action_call *call, const char *path)
{
    struct vg_action_call *c = (struct vg_action_call *)(uintptr_t)call;
    struct vg_str none = {NULL, 0};
    fjson_object *v;
    struct vg_str s;

    if (call == NULL || path == NULL) {
        return none;
    }
    if (c->rec == NULL && !c->rec_bad) {
        c->rec = fjson_tokener_parse(c->json);
        c->rec_bad = c->rec == NULL;
    }
    v = c->rec != NULL ? find_path(c->rec, path, strlen(path)) : NULL;
    if (v == NULL || fjson_object_is_type(v, fjson_type_object) ||
        fjson_object_is_type(v, fjson_type_array) || fjson_object_is_type(v, fjson_type_null)) {
        return none;
    }
    s.ptr = fjson_object_get_string(v);
    s.len = fjson_object_is_type(v, fjson_type_string) ? (size_t)fjson_object_get_string_len(v)
                                                       : strlen(s.ptr);
    return s;
}

struct vg_str action_call_prior(const struct vg_action_call *call, const char *name)
{
    struct vg_str s = {NULL, 0};
    size_t i;

    for (i = 0; call != NULL && name != NULL && i < call->n_prior; i++) {
        if (strcmp(call->prior[i * 2], name) == 0) {
            s.ptr = call->prior[i * 2 + 1];
            s.len = strlen(s.ptr);
            break;
        }
    }
    return s;
}

void action_call_result(struct vg_ctx *ctx, const char *name, const char *value)
{
    struct vg_action_call *c;
    size_t vlen;

    if (ctx == NULL || ctx->job == NULL || name == NULL || value == NULL) {
        return;
    }
    c = (struct vg_action_call *)(void *)ctx->job;
    if (c->results.len > ACTION_OUTPUT_MAX) {
        return;
    }
    vlen = strlen(value);
    sbuf_adds(&c->results, ",\"");
    sbuf_add_json_str(&c->results, name, strlen(name));
    sbuf_adds(&c->results, "\":\"");
    sbuf_add_json_str(&c->results, value, vlen < RESULT_VALUE_MAX ? vlen : RESULT_VALUE_MAX);
    sbuf_addc(&c->results, '"');
}

void action_call_count_rejected(struct vg_ctx *ctx)
{
    (void)ctx;
    atomic_fetch_add(&n_rejected, 1);
}
