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
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "build.h"
#include "engine_int.h"
#include "incident.h"
#include "normalize.h"
#include "queue.h"
#include "store.h"

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
    snprintf(label, sizeof(label), "rule:%s/%s", r->plugin, r->name ? r->name : "(unnamed)");
    r->instance = plugin_inst_new(m, r->params, label, where, diag);
    if (r->instance != NULL) {
        keep_inst(eng, r->instance);
    }
    for (t = 0; t < RULE_N_TRANSITIONS; t++) {
        for (i = 0; i < r->n_on[t]; i++) {
            struct rule_action *a = &r->on[t][i];
            const struct plugin_mod *am;
            static const char *const tn[] = {"open", "update", "escalate", "resolve", "close"};

            /* The rule set is final here: the dispatcher may keep pointers to r. */
            a->rule = r;
            if (a->plugin == NULL) {
                continue; /* a broken action: its error is already reported */
            }
            am = loader_find(&eng->ld, VG_PLUGIN_ACTION, a->plugin);

            snprintf(where, sizeof(where), "%s: $.rules[%d].actions.%s[%zu]", r->file, r->index,
                     tn[t], i);
            if (am == NULL) {
                diag_add(diag, "%s.plugin: no action plugin named \"%s\" is loaded", where,
                         a->plugin);
                continue;
            }
            snprintf(label, sizeof(label), "action:%s/%s", a->plugin,
                     r->name ? r->name : "(unnamed)");
            strncat(where, ".params", sizeof(where) - strlen(where) - 1);
            a->instance = plugin_inst_new(am, a->params, label, where, diag);
            if (a->instance != NULL) {
                keep_inst(eng, a->instance);
            }
            if (a->instance != NULL && a->undo && am->desc.inverse != NULL) {
                /* The inverse takes the same params: it undoes what this call did. */
                const struct plugin_mod *im =
                    loader_find(&eng->ld, VG_PLUGIN_ACTION, am->desc.inverse);

                if (im == NULL) {
                    diag_add(diag,
                             "%s: the plugin's inverse \"%s\" is not loaded (or set "
                             "\"undo\": false)",
                             where, am->desc.inverse);
                    continue;
                }
                snprintf(label, sizeof(label), "action:%s/%s", im->desc.name,
                         r->name ? r->name : "(unnamed)");
                a->undo_instance = plugin_inst_new(im, a->params, label, where, diag);
                if (a->undo_instance != NULL) {
                    keep_inst(eng, a->undo_instance);
                }
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
    if (eng->cfg.replay && cfg->replay_workers <= 1) {
        eng->cfg.workers = 1;
    } else if (eng->cfg.replay) {
        eng->cfg.workers = cfg->replay_workers;
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
    state_init();
    action_init();
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
    /* Lint also checks the plugin and params of rules that have other errors. */
    for (i = 0; cfg->offline && i < eng->rs.n_broken; i++) {
        setup_rule(eng, &eng->rs.broken[i], diag);
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
    eng->timer_st = store_open(cfg->redis_url, 2000, err, sizeof(err));
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

void engine_write_line(struct engine *eng, FILE *f, const char *s, size_t len)
{
    pthread_mutex_lock(&eng->out_lock);
    fwrite(s, 1, len, f);
    fputc('\n', f);
    if (!eng->cfg.replay) {
        fflush(f);
    }
    pthread_mutex_unlock(&eng->out_lock);
}

struct worker *engine_worker_for(struct engine *eng, const struct rule *r, const char *key,
                                 size_t key_len)
{
    uint64_t h;

    if (eng->n_workers <= 1) {
        return &eng->workers[0];
    }
    h = hash_fnv1a(r->name, strlen(r->name)) ^ hash_fnv1a(key, key_len);
    return &eng->workers[h % (uint64_t)eng->n_workers];
}

static struct rule *rule_by_name(struct engine *eng, const char *name)
{
    size_t i;

    for (i = 0; i < eng->rs.n; i++) {
        if (strcmp(eng->rs.rules[i].name, name) == 0) {
            return &eng->rs.rules[i];
        }
    }
    return NULL;
}

static int claim_cmp(const void *a, const void *b)
{
    const struct state_claim *x = a;
    const struct state_claim *y = b;

    return x->due < y->due ? -1 : x->due > y->due;
}

int engine_claim_timers(struct engine *eng, int64_t now_ms)
{
    struct state_claim *c = NULL;
    size_t n = 0;
    size_t i;

    if (eng->timer_st == NULL || !store_ok(eng->timer_st)) {
        return -1;
    }
    if (state_claim_all(eng->timer_st, eng->cfg.prefix, now_ms, STATE_LEASE_MS, &c, &n) < 0) {
        state_claims_free(c, n);
        return -1;
    }
    /* Deadlines fire in time order across the shards. */
    if (n > 1) {
        qsort(c, n, sizeof(*c), claim_cmp);
    }
    for (i = 0; i < n; i++) {
        struct rule *r = rule_by_name(eng, c[i].rule);
        struct job *j;
        struct worker *w;

        if (r == NULL || strlen(c[i].name) > STATE_NAME_MAX) {
            /* A rule removed from the configuration (or a foreign entry): drop its deadline. */
            redisReply *rep = NULL;

            state_append_unclaim(eng->timer_st, eng->cfg.prefix, c[i].rule, c[i].name, c[i].key,
                                 c[i].key_len, c[i].lease);
            if (store_flush(eng->timer_st, &rep, 1) == 0 && rep != NULL) {
                freeReplyObject(rep);
            }
            continue;
        }
        j = xcalloc(1, sizeof(*j));
        j->rule = r;
        j->key = c[i].key;
        j->key_len = c[i].key_len;
        c[i].key = NULL;
        j->timer = xcalloc(1, sizeof(*j->timer));
        j->timer->name = c[i].name;
        c[i].name = NULL;
        j->timer->due = c[i].due;
        j->timer->now = now_ms;
        j->timer->lease = c[i].lease;
        j->seq = atomic_fetch_add(&eng->stats.routed, 1);
        atomic_fetch_add(&eng->stats.timers, 1);
        w = engine_worker_for(eng, r, j->key, j->key_len);
        if (!w->started) {
            correlate_add(w, j);
        } else if (queue_push(w->q, j) != 0) {
            correlate_job_free(j);
        }
    }
    state_claims_free(c, n);
    return (int)n;
}

/* The live timer loop: every 250 ms, claim the deadlines that fell due. */
static void *timer_main(void *arg)
{
    struct engine *eng = arg;

    while (!atomic_load(&eng->stopping)) {
        struct timespec ts = {0, 250 * 1000 * 1000};

        engine_claim_timers(eng, time_now_ms());
        nanosleep(&ts, NULL);
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
        w = engine_worker_for(eng, r, j->key, j->key_len);
        if (!w->started) {
            correlate_add(w, j);
        } else if (queue_push(w->q, j) != 0) {
            correlate_job_free(j);
        }
    }
    sbuf_free(&key);
}

static void handle_event(struct engine *eng, struct vg_event *ev)
{
    if (eng->cfg.events_out != NULL) {
        struct sbuf b = {0};

        event_to_json(ev, &b);
        engine_write_line(eng, eng->cfg.events_out, b.buf, b.len);
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
    if (eng->cfg.replay && ev->ts_ms > atomic_load(&eng->last_ts)) {
        atomic_store(&eng->last_ts, ev->ts_ms);
    }
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

/* Start the correlation worker threads, each with its queue. 0 or -1. */
static int start_workers(struct engine *eng)
{
    int i;

    for (i = 0; i < eng->n_workers; i++) {
        struct worker *w = &eng->workers[i];

        w->q = queue_new(4096);
        if (pthread_create(&w->thread, NULL, correlate_main, w) != 0) {
            log_msg(VG_LOG_ERR, "cannot start correlation worker %d", i);
            return -1;
        }
        w->started = 1;
    }
    return 0;
}

/* Close the worker queues and wait until every job is done (no-op when none run). */
static void stop_workers(struct engine *eng)
{
    int i;

    for (i = 0; i < eng->n_workers; i++) {
        struct worker *w = &eng->workers[i];

        if (w->started) {
            queue_close(w->q);
            pthread_join(w->thread, NULL);
            w->started = 0;
        }
    }
}

int engine_start(struct engine *eng)
{
    if (eng->cfg.replay) {
        /* Replay: the caller parses and routes; the workers correlate (one key each in order). */
        return start_workers(eng);
    }
    eng->raw_q = queue_new(eng->cfg.queue_cap);
    if (start_workers(eng) != 0) {
        return -1;
    }
    if (pthread_create(&eng->parse_thread, NULL, parse_main, eng) != 0) {
        log_msg(VG_LOG_ERR, "cannot start the parse thread");
        return -1;
    }
    eng->parse_started = 1;
    if (pthread_create(&eng->timer_thread, NULL, timer_main, eng) != 0) {
        log_msg(VG_LOG_ERR, "cannot start the timer thread");
        return -1;
    }
    eng->timer_started = 1;
    return 0;
}

int engine_failed(const struct engine *eng)
{
    int i;

    for (i = 0; i < eng->n_workers; i++) {
        if (atomic_load(&eng->workers[i].redis_failed)) {
            return 1;
        }
    }
    return 0;
}

int engine_finish(struct engine *eng)
{
    int round;
    int i;
    int failed = 0;

    stop_workers(eng);
    for (i = 0; i < eng->n_workers; i++) {
        correlate_flush(&eng->workers[i]);
    }
    /*
     * Replay ends by firing the deadlines due up to the last event's time, in
     * time order, round after round while firing one arms another that is due.
     * Later deadlines stay in Redis (a kept replay state fires them later).
     */
    for (round = 0; eng->cfg.replay && round < 1000; round++) {
        if (engine_claim_timers(eng, atomic_load(&eng->last_ts)) <= 0) {
            break;
        }
        for (i = 0; i < eng->n_workers; i++) {
            correlate_flush(&eng->workers[i]);
        }
    }
    dispatcher_drain(eng->disp);
    for (i = 0; i < eng->n_workers; i++) {
        failed |= atomic_load(&eng->workers[i].redis_failed);
    }
    return failed ? -1 : 0;
}

void engine_stats_json(struct engine *eng, struct sbuf *out)
{
    struct engine_stats *s = &eng->stats;
    struct dispatcher_counts a = {0};

    if (eng->disp != NULL) {
        dispatcher_counts(eng->disp, &a);
    }
    sbuf_printf(out,
                "{\"raw_in\":%llu,\"raw_dropped\":%llu,\"truncated\":%llu,\"parse_warnings\":%llu,"
                "\"json_errors\":%llu,\"normalized\":%llu,\"unmatched\":%llu,\"routed\":%llu,"
                "\"rule_errors\":%llu,\"opened\":%llu,\"updated\":%llu,\"held\":%llu,"
                "\"lost\":%llu,\"timers\":%llu,",
                (unsigned long long)s->raw_in, (unsigned long long)s->raw_dropped,
                (unsigned long long)s->truncated, (unsigned long long)s->parse_warnings,
                (unsigned long long)s->json_errors, (unsigned long long)s->normalized,
                (unsigned long long)s->unmatched, (unsigned long long)s->routed,
                (unsigned long long)s->rule_errors, (unsigned long long)s->opened,
                (unsigned long long)s->updated, (unsigned long long)s->held,
                (unsigned long long)s->lost, (unsigned long long)s->timers);
    sbuf_printf(out,
                "\"actions_done\":%" PRIu64 ",\"actions_failed\":%" PRIu64
                ",\"actions_dropped\":%" PRIu64 ",\"actions_deduplicated\":%" PRIu64
                ",\"actions_retried\":%" PRIu64 ",\"actions_abandoned\":%" PRIu64
                ",\"actions_rate_limited\":%" PRIu64 ",\"actions_skipped\":%" PRIu64
                ",\"action_values_rejected\":%" PRIu64 "}",
                a.done, a.failed, a.dropped, a.deduped, a.retried, a.abandoned, a.limited,
                a.skipped, a.rejected);
}

/* An engine left at shutdown because a hung action call still uses it. */
static struct engine *volatile lingering;

void engine_free(struct engine *eng)
{
    size_t i;
    int k;

    if (eng == NULL) {
        return;
    }
    atomic_store(&eng->stopping, 1);
    if (eng->timer_started) {
        pthread_join(eng->timer_thread, NULL);
    }
    if (eng->timer_st != NULL) {
        store_close(eng->timer_st);
    }
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
        while (w->n_batch > 0) {
            correlate_job_free(w->batch[--w->n_batch]);
        }
        while (w->n_flight > 0) {
            correlate_job_free(w->flight[--w->n_flight]);
        }
        correlate_ops_free(w);
        if (w->held != NULL) {
            correlate_drop_held(w);
        }
        free(w->held);
        free(w->ops);
        store_close(w->st);
    }
    free(eng->workers);
    if (dispatcher_free(eng->disp) > 0) {
        /*
         * A hung action call still runs in a plugin and reads its instance, its rule's
         * action entry and the plugin's code: all of it stays (the process is exiting),
         * reachable from here so that leak checkers see it kept on purpose.
         */
        lingering = eng;
        return;
    }
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
