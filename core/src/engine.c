/* SPDX-License-Identifier: MIT */
/*
 * The engine ties the stages together. Live: listeners -> raw queue -> parse
 * thread (parse, normalize, route) -> one queue per correlation worker, chosen
 * by a hash of (rule, key) so that one key's events keep their order -> rule
 * plugin -> incident store -> records and actions. Replay: the same functions
 * called inline on one thread, with the event's time as the clock.
 */
#include "engine.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "build.h"
#include "host.h"
#include "incident.h"
#include "loader.h"
#include "normalize.h"
#include "queue.h"
#include "rule.h"
#include "store.h"
#include "syslog.h"

#define ROUTE_SIZE 512u

/* One (event, rule) pair waiting for a correlation worker. */
struct job {
    struct vg_event *ev; /* a reference */
    struct rule *rule;   /* the matching rule */
    char *key;           /* the event's key for this rule */
    uint64_t seq;        /* number of the job in this process, for its id */
    size_t key_len;      /* bytes of key */
};

struct worker {
    struct engine *eng;      /* owner */
    struct store *st;        /* this thread's Redis connection */
    struct queue *q;         /* jobs for this worker (live) */
    pthread_t thread;        /* the thread (live) */
    int started;             /* 1 once the thread runs */
    struct job **held;       /* ring of jobs held while Redis is unreachable */
    size_t held_head;        /* index of the oldest held job */
    size_t held_n;           /* jobs held */
    struct incident_rec rec; /* scratch for records */
    int64_t last_loss_log;   /* monotonic ms of the last loss log line */
    int redis_failed;        /* replay: Redis failed at least once */
};

struct route {
    char *action;        /* event.action value */
    struct rule **rules; /* rules asking for it */
    size_t n;            /* entries in rules */
    struct route *next;  /* chain */
};

struct engine {
    struct engine_cfg cfg;            /* configuration (pointers borrowed from the caller) */
    struct loader ld;                 /* plugins */
    struct ruleset rs;                /* rules */
    struct normalizer *nz;            /* templates */
    struct route *routes[ROUTE_SIZE]; /* event.action -> rules */
    struct plugin_inst **insts;       /* every instance (rules and actions) */
    size_t n_insts;                   /* entries in insts */
    struct worker *workers;           /* correlation workers */
    int n_workers;                    /* entries in workers */
    struct queue *raw_q;              /* listeners -> parse thread */
    pthread_t parse_thread;           /* live parse thread */
    int parse_started;                /* 1 once it runs */
    struct dispatcher *disp;          /* action dispatcher */
    pthread_mutex_t out_lock;         /* serializes events_out and records_out */
    struct engine_stats stats;        /* counters */
    char nonce[20];                   /* random per process: job ids are unique across instances */
    atomic_int stopping;              /* set when engine_free begins */
    atomic_llong last_drop_log;       /* monotonic ms of the last "queue full" log line */
};

static struct route *route_find(struct engine *eng, const char *action, size_t len, int create)
{
    uint64_t h = hash_fnv1a(action, len) % ROUTE_SIZE;
    struct route *r;

    for (r = eng->routes[h]; r != NULL; r = r->next) {
        if (strlen(r->action) == len && memcmp(r->action, action, len) == 0) {
            return r;
        }
    }
    if (!create) {
        return NULL;
    }
    r = xcalloc(1, sizeof(*r));
    r->action = xstrndup(action, len);
    r->next = eng->routes[h];
    eng->routes[h] = r;
    return r;
}

static void keep_inst(struct engine *eng, struct plugin_inst *inst)
{
    eng->insts = xrealloc(eng->insts, (eng->n_insts + 1) * sizeof(*eng->insts));
    eng->insts[eng->n_insts++] = inst;
}

/* Instantiate the rule's plugin and its actions; errors to diag. */
static void setup_rule(struct engine *eng, struct rule *r, struct diag *diag)
{
    const struct plugin_mod *m = loader_find(&eng->ld, VG_PLUGIN_RULE, r->plugin);
    char where[1024];
    char label[256];
    size_t t;
    size_t i;

    snprintf(where, sizeof(where), "%s: $.rules[%d].params", r->file, r->index);
    if (m == NULL) {
        diag_add(diag, "%s: $.rules[%d].plugin: no rule plugin named \"%s\" is loaded", r->file,
                 r->index, r->plugin);
        return;
    }
    snprintf(label, sizeof(label), "rule:%s/%s", r->plugin, r->name);
    r->instance = plugin_inst_new(m, r->params, label, where, diag);
    if (r->instance != NULL) {
        keep_inst(eng, r->instance);
    }
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        for (i = 0; i < r->n_on[t]; i++) {
            struct rule_action *a = &r->on[t][i];
            const struct plugin_mod *am = loader_find(&eng->ld, VG_PLUGIN_ACTION, a->plugin);
            static const char *const tn[] = {"open", "update", "escalate", "resolve", "close"};

            snprintf(where, sizeof(where), "%s: $.rules[%d].actions.%s[%zu]", r->file, r->index,
                     tn[t], i);
            if (am == NULL) {
                diag_add(diag, "%s.plugin: no action plugin named \"%s\" is loaded", where,
                         a->plugin);
                continue;
            }
            snprintf(label, sizeof(label), "action:%s/%s", a->plugin, r->name);
            strncat(where, ".params", sizeof(where) - strlen(where) - 1);
            a->instance = plugin_inst_new(am, a->params, label, where, diag);
            if (a->instance != NULL) {
                keep_inst(eng, a->instance);
            }
        }
    }
}

struct engine *engine_new(const struct engine_cfg *cfg, struct diag *diag)
{
    struct engine *eng = xcalloc(1, sizeof(*eng));
    size_t before = diag->n;
    size_t i;
    size_t k;
    int n_err = 0;
    char err[512];

    eng->cfg = *cfg;
    if (eng->cfg.workers <= 0) {
        eng->cfg.workers = 2;
    }
    if (eng->cfg.replay) {
        eng->cfg.workers = 1;
    }
    if (eng->cfg.queue_cap == 0) {
        eng->cfg.queue_cap = 65536;
    }
    if (eng->cfg.pending_max == 0) {
        eng->cfg.pending_max = 10000;
    }
    pthread_mutex_init(&eng->out_lock, NULL);
    snprintf(eng->nonce, sizeof(eng->nonce), "%016" PRIx64,
             hash_fnv1a(&eng, sizeof(eng)) ^ (uint64_t)time_now_ms() ^ ((uint64_t)getpid() << 32));
    incident_init();
    for (i = 0; i < cfg->n_plugin_dirs; i++) {
        loader_load_dir(&eng->ld, cfg->plugin_dirs[i], diag);
    }
    ruleset_load(cfg->rule_paths, cfg->n_rule_paths, &eng->rs, diag);
    eng->nz = normalize_load(cfg->normalize_paths, cfg->n_normalize_paths, diag, &n_err);
    for (i = 0; i < eng->rs.n; i++) {
        struct rule *r = &eng->rs.rules[i];

        setup_rule(eng, r, diag);
        for (k = 0; k < r->n_actions; k++) {
            struct route *rt = route_find(eng, r->actions[k], strlen(r->actions[k]), 1);

            rt->rules = xrealloc(rt->rules, (rt->n + 1) * sizeof(*rt->rules));
            rt->rules[rt->n++] = r;
        }
    }
    if (diag->n != before) {
        engine_free(eng);
        return NULL;
    }
    if (cfg->offline) {
        return eng;
    }
    eng->n_workers = eng->cfg.workers;
    eng->workers = xcalloc((size_t)eng->n_workers, sizeof(*eng->workers));
    for (i = 0; i < (size_t)eng->n_workers; i++) {
        struct worker *w = &eng->workers[i];

        w->eng = eng;
        w->st = store_open(cfg->redis_url, 2000, err, sizeof(err));
        if (w->st == NULL) {
            diag_add(diag, "redis: %s", err);
            engine_free(eng);
            return NULL;
        }
        w->held = xcalloc(eng->cfg.pending_max, sizeof(*w->held));
    }
    {
        struct dispatcher_cfg dc = {.threads = cfg->action_threads,
                                    .redis_url = cfg->redis_url,
                                    .prefix = cfg->prefix,
                                    .timeout_ms = cfg->action_timeout_ms};

        eng->disp = dispatcher_new(&dc, err, sizeof(err));
        if (eng->disp == NULL) {
            diag_add(diag, "%s", err);
            engine_free(eng);
            return NULL;
        }
    }
    return eng;
}

size_t engine_n_rules(const struct engine *eng)
{
    return eng->rs.n;
}

struct engine_stats *engine_stats(struct engine *eng)
{
    return &eng->stats;
}

struct vg_event *engine_build_event(struct engine *eng, const char *data, size_t len,
                                    int64_t recv_ms, const struct sockaddr *peer, int transport,
                                    int truncated)
{
    struct build_opts bo = {.replay = eng->cfg.replay, .default_tz_min = eng->cfg.default_tz_min};
    unsigned flags = 0;
    struct vg_event *ev =
        build_event(eng->nz, &bo, data, len, recv_ms, peer, transport, truncated, &flags);

    if (flags & BUILD_JSON_ERROR) {
        atomic_fetch_add(&eng->stats.json_errors, 1);
    }
    if (flags & BUILD_TRUNCATED) {
        atomic_fetch_add(&eng->stats.truncated, 1);
    }
    if (flags & BUILD_WARNING) {
        atomic_fetch_add(&eng->stats.parse_warnings, 1);
    }
    if (flags & BUILD_NORMALIZED) {
        atomic_fetch_add(&eng->stats.normalized, 1);
    } else {
        atomic_fetch_add(&eng->stats.unmatched, 1);
    }
    return ev;
}

int engine_check_samples(struct engine *eng, struct diag *diag, size_t *n_samples)
{
    return normalize_check_samples(eng->nz, diag, n_samples);
}

static void write_line(struct engine *eng, FILE *f, const char *s, size_t len)
{
    pthread_mutex_lock(&eng->out_lock);
    fwrite(s, 1, len, f);
    fputc('\n', f);
    if (!eng->cfg.replay) {
        fflush(f);
    }
    pthread_mutex_unlock(&eng->out_lock);
}

/* ---- correlation ---- */

int engine_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                           const struct vg_incident_req *req)
{
    struct worker *w = ctx->wk;
    struct engine *eng = w->eng;
    const struct rule *r = ctx->rule;
    int severity = 0;
    const char *note = NULL;
    size_t i;
    int rc;

    if (req != NULL && req->size >= offsetof(struct vg_incident_req, note) + sizeof(req->note)) {
        severity = req->severity;
        note = req->note;
    }
    if (severity < 0 || severity > 5) {
        snprintf(ctx->err, sizeof(ctx->err), "severity %d is not 0..5", severity);
        return VG_EINVAL;
    }
    {
        struct incident_args a = {.prefix = eng->cfg.prefix,
                                  .r = r,
                                  .ev = ev,
                                  .key = ctx->key,
                                  .key_len = ctx->key_len,
                                  .now_ms = ctx->now_ms,
                                  .severity = severity,
                                  .note = note,
                                  .job_id = ctx->job_id,
                                  .retention_ms = eng->cfg.retention_ms};

        rc = incident_upsert(w->st, &a, &w->rec);
    }
    if (rc != VG_OK) {
        snprintf(ctx->err, sizeof(ctx->err), "cannot write the incident to Redis: %s",
                 store_error(w->st));
        return rc;
    }
    if (w->rec.transition == VG_TR_OPEN) {
        atomic_fetch_add(&eng->stats.opened, 1);
    } else {
        atomic_fetch_add(&eng->stats.updated, 1);
    }
    if (eng->cfg.records_out != NULL) {
        write_line(eng, eng->cfg.records_out, w->rec.json.buf, w->rec.json.len);
    }
    for (i = 0; i < r->n_on[w->rec.transition]; i++) {
        struct rule_action *a = &r->on[w->rec.transition][i];

        dispatcher_submit(eng->disp, a->instance, r->name, w->rec.transition, w->rec.id,
                          w->rec.json.buf, w->rec.json.len);
    }
    return VG_OK;
}

/* Run one job; returns VG_EIO when Redis failed (the job should be held and retried). */
static int run_job(struct worker *w, struct job *j)
{
    struct plugin_inst *inst = j->rule->instance;
    const struct vg_plugin *p = &inst->mod->desc;
    struct vg_ctx ctx;
    char job_id[48];
    int rc;

    host_ctx_init(&ctx, inst, inst->label);
    snprintf(job_id, sizeof(job_id), "%s-%" PRIu64, w->eng->nonce, j->seq);
    ctx.job_id = job_id;
    ctx.wk = w;
    ctx.rule = j->rule;
    ctx.key = j->key;
    ctx.key_len = j->key_len;
    ctx.now_ms = w->eng->cfg.replay ? j->ev->ts_ms : j->ev->ingested_ms;
    ctx.has_now = 1;
    if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
        pthread_mutex_lock(&inst->lock);
    }
    rc = p->on_event(&ctx, inst->state, j->ev);
    if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
        pthread_mutex_unlock(&inst->lock);
    }
    if (rc == VG_EIO) {
        return rc;
    }
    if (rc != VG_OK) {
        atomic_fetch_add(&w->eng->stats.rule_errors, 1);
        log_msg(VG_LOG_WARNING, "[%s] event not correlated: %s", inst->label,
                ctx.err[0] ? ctx.err : "on_event failed");
    }
    return VG_OK;
}

static void job_free(struct job *j)
{
    event_unref(j->ev);
    free(j->key);
    free(j);
}

/* Keep a job for later; when the hold ring is full the oldest is lost, counted and logged. */
static void hold(struct worker *w, struct job *j)
{
    size_t cap = w->eng->cfg.pending_max;

    if (w->held_n == cap) {
        struct job *old = w->held[w->held_head];
        int64_t now = time_mono_ms();

        w->held_head = (w->held_head + 1) % cap;
        w->held_n--;
        atomic_fetch_add(&w->eng->stats.lost, 1);
        if (now - w->last_loss_log > 10000) {
            log_msg(VG_LOG_ERR,
                    "redis unreachable and %zu events held: dropping the oldest (%llu lost so "
                    "far)",
                    cap, (unsigned long long)atomic_load(&w->eng->stats.lost));
            w->last_loss_log = now;
        }
        job_free(old);
    }
    w->held[(w->held_head + w->held_n) % cap] = j;
    w->held_n++;
    atomic_fetch_add(&w->eng->stats.held, 1);
}

/* Retry held jobs in order while Redis answers. Returns 1 when none is left. */
static int flush_held(struct worker *w)
{
    size_t cap = w->eng->cfg.pending_max;

    while (w->held_n > 0) {
        struct job *j = w->held[w->held_head];

        if (!store_ok(w->st) || run_job(w, j) == VG_EIO) {
            return 0;
        }
        w->held_head = (w->held_head + 1) % cap;
        w->held_n--;
        job_free(j);
    }
    return 1;
}

static void correlate(struct worker *w, struct job *j)
{
    if (!flush_held(w)) {
        hold(w, j);
        return;
    }
    if (run_job(w, j) == VG_EIO) {
        if (w->eng->cfg.replay) {
            w->redis_failed = 1;
            log_msg(VG_LOG_ERR, "redis failed during replay: %s", store_error(w->st));
            job_free(j);
            return;
        }
        hold(w, j);
        return;
    }
    job_free(j);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct job *j;

    for (;;) {
        j = queue_pop(w->q, w->held_n > 0 ? 200 : -1);
        if (j != NULL) {
            correlate(w, j);
            continue;
        }
        if (w->held_n == 0) {
            break; /* closed and drained */
        }
        flush_held(w);
        if (atomic_load(&w->eng->stopping) && queue_len(w->q) == 0) {
            break;
        }
    }
    while (w->held_n > 0) {
        size_t cap = w->eng->cfg.pending_max;

        atomic_fetch_add(&w->eng->stats.lost, 1);
        job_free(w->held[w->held_head]);
        w->held_head = (w->held_head + 1) % cap;
        w->held_n--;
    }
    return NULL;
}

/* Route an event to its rules: inline (replay) or to the worker queues (live). */
static void route_event(struct engine *eng, struct vg_event *ev)
{
    struct vg_str act = event_get(ev, "event.action");
    struct route *rt;
    struct sbuf key = {0};
    size_t i;

    if (act.ptr == NULL) {
        return;
    }
    rt = route_find(eng, act.ptr, act.len, 0);
    for (i = 0; rt != NULL && i < rt->n; i++) {
        struct rule *r = rt->rules[i];
        struct job *j;
        struct worker *w;

        if (!rule_match(r, ev)) {
            continue;
        }
        sbuf_reset(&key);
        rule_key(r, ev, &key);
        j = xcalloc(1, sizeof(*j));
        event_ref(ev);
        j->ev = ev;
        j->rule = r;
        j->key = key.buf ? xstrndup(key.buf, key.len) : xstrdup("");
        j->key_len = key.len;
        j->seq = atomic_fetch_add(&eng->stats.routed, 1);
        w = &eng->workers[0];
        if (eng->n_workers > 1) {
            uint64_t h = hash_fnv1a(r->name, strlen(r->name)) ^ hash_fnv1a(j->key, j->key_len);

            w = &eng->workers[h % (uint64_t)eng->n_workers];
        }
        if (eng->cfg.replay || !w->started) {
            correlate(w, j);
        } else if (queue_push(w->q, j) != 0) {
            job_free(j);
        }
    }
    sbuf_free(&key);
}

static void handle_event(struct engine *eng, struct vg_event *ev)
{
    if (eng->cfg.events_out != NULL) {
        struct sbuf b = {0};

        event_to_json(ev, &b);
        write_line(eng, eng->cfg.events_out, b.buf, b.len);
        sbuf_free(&b);
    }
    route_event(eng, ev);
}

void engine_process_line(struct engine *eng, const char *line, size_t len, int truncated)
{
    struct vg_event *ev;

    atomic_fetch_add(&eng->stats.raw_in, 1);
    ev = engine_build_event(eng, line, len, eng->cfg.ref_ms ? eng->cfg.ref_ms : time_now_ms(), NULL,
                            RAW_FILE, truncated);
    handle_event(eng, ev);
    event_unref(ev);
}

static void *parse_main(void *arg)
{
    struct engine *eng = arg;
    struct raw_msg *m;

    while ((m = queue_pop(eng->raw_q, -1)) != NULL) {
        struct vg_event *ev =
            engine_build_event(eng, m->data, m->len, m->recv_ms, (const struct sockaddr *)&m->peer,
                               m->transport, m->truncated);

        free(m);
        handle_event(eng, ev);
        event_unref(ev);
    }
    return NULL;
}

static int sink_submit(void *ud, struct raw_msg *m)
{
    struct engine *eng = ud;

    atomic_fetch_add(&eng->stats.raw_in, 1);
    if (queue_try_push(eng->raw_q, m) != 0) {
        unsigned long long n = atomic_fetch_add(&eng->stats.raw_dropped, 1) + 1;
        long long now = time_mono_ms();
        long long last = atomic_load(&eng->last_drop_log);

        /* One line per 10 s at most, from whichever listener wins the exchange. */
        if (now - last >= 10000 &&
            atomic_compare_exchange_strong(&eng->last_drop_log, &last, now)) {
            log_msg(VG_LOG_ERR,
                    "input queue full (%zu messages): %llu dropped so far; raise queue_size or "
                    "workers",
                    eng->cfg.queue_cap, n);
        }
        return -1;
    }
    return 0;
}

struct ingest_sink engine_sink(struct engine *eng)
{
    struct ingest_sink s = {sink_submit, eng};

    return s;
}

int engine_start(struct engine *eng)
{
    int i;

    eng->raw_q = queue_new(eng->cfg.queue_cap);
    for (i = 0; i < eng->n_workers; i++) {
        struct worker *w = &eng->workers[i];

        w->q = queue_new(4096);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            log_msg(VG_LOG_ERR, "cannot start correlation worker %d", i);
            return -1;
        }
        w->started = 1;
    }
    if (pthread_create(&eng->parse_thread, NULL, parse_main, eng) != 0) {
        log_msg(VG_LOG_ERR, "cannot start the parse thread");
        return -1;
    }
    eng->parse_started = 1;
    return 0;
}

int engine_finish(struct engine *eng)
{
    int i;
    int failed = 0;

    dispatcher_drain(eng->disp);
    for (i = 0; i < eng->n_workers; i++) {
        failed |= eng->workers[i].redis_failed;
    }
    return failed ? -1 : 0;
}

void engine_stats_json(struct engine *eng, struct sbuf *out)
{
    struct engine_stats *s = &eng->stats;
    uint64_t done = 0, failed = 0, dropped = 0;

    if (eng->disp != NULL) {
        dispatcher_counts(eng->disp, &done, &failed, &dropped);
    }
    sbuf_printf(out,
                "{\"raw_in\":%llu,\"raw_dropped\":%llu,\"truncated\":%llu,\"parse_warnings\":%llu,"
                "\"json_errors\":%llu,\"normalized\":%llu,\"unmatched\":%llu,\"routed\":%llu,"
                "\"rule_errors\":%llu,\"opened\":%llu,\"updated\":%llu,\"held\":%llu,"
                "\"lost\":%llu,\"actions_done\":%" PRIu64 ",\"actions_failed\":%" PRIu64
                ",\"actions_dropped\":%" PRIu64 "}",
                (unsigned long long)s->raw_in, (unsigned long long)s->raw_dropped,
                (unsigned long long)s->truncated, (unsigned long long)s->parse_warnings,
                (unsigned long long)s->json_errors, (unsigned long long)s->normalized,
                (unsigned long long)s->unmatched, (unsigned long long)s->routed,
                (unsigned long long)s->rule_errors, (unsigned long long)s->opened,
                (unsigned long long)s->updated, (unsigned long long)s->held,
                (unsigned long long)s->lost, done, failed, dropped);
}

void engine_free(struct engine *eng)
{
    size_t i;
    int k;

    if (eng == NULL) {
        return;
    }
    atomic_store(&eng->stopping, 1);
    if (eng->parse_started) {
        queue_close(eng->raw_q);
        pthread_join(eng->parse_thread, NULL);
    }
    if (eng->raw_q != NULL) {
        struct raw_msg *m;

        while ((m = queue_pop(eng->raw_q, 0)) != NULL) {
            free(m);
        }
        queue_free(eng->raw_q);
    }
    for (k = 0; k < eng->n_workers; k++) {
        struct worker *w = &eng->workers[k];

        if (w->started) {
            queue_close(w->q);
            pthread_join(w->thread, NULL);
        }
        if (w->q != NULL) {
            queue_free(w->q);
        }
        while (w->held_n > 0) {
            job_free(w->held[w->held_head]);
            w->held_head = (w->held_head + 1) % eng->cfg.pending_max;
            w->held_n--;
        }
        free(w->held);
        sbuf_free(&w->rec.json);
        store_close(w->st);
    }
    free(eng->workers);
    dispatcher_free(eng->disp);
    for (i = eng->n_insts; i > 0; i--) {
        plugin_inst_free(eng->insts[i - 1]);
    }
    free(eng->insts);
    for (i = 0; i < ROUTE_SIZE; i++) {
        struct route *r = eng->routes[i];

        while (r != NULL) {
            struct route *next = r->next;

            free(r->action);
            free(r->rules);
            free(r);
            r = next;
        }
    }
    ruleset_free(&eng->rs);
    normalize_free(eng->nz);
    loader_free(&eng->ld);
    pthread_mutex_destroy(&eng->out_lock);
    free(eng);
}
