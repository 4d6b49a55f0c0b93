/* SPDX-License-Identifier: MIT */
/*
 * The correlation workers. Jobs ((event, rule) pairs of one worker's keys) run
 * in batches: each job's rule plugin runs, and every incident upsert it asks
 * for is queued on the worker's Redis pipeline; the batch then costs two round
 * trips (the scripts, then the index/stream/history writes) instead of two per
 * event. Records are printed and actions handed over in job order once Redis
 * has answered. A job that meets an unreachable or passing-error Redis is held
 * and retried in order; the upsert script recognizes a retried job by its id.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "engine_int.h"
#include "host.h"
#include "queue.h"

void correlate_job_free(struct job *j)
{
    event_unref(j->ev);
    free(j->key);
    free(j);
}

/* Replay has nobody to wait for: say once that Redis failed; the run stops and fails. */
static void replay_failed(struct worker *w)
{
    if (!w->redis_failed) {
        log_msg(VG_LOG_ERR, "redis failed during replay: %s", store_error(w->st));
    }
    w->redis_failed = 1;
}

/* Keep a job for later; when the hold ring is full the oldest is lost, counted and logged. */
static void hold(struct worker *w, struct job *j)
{
    size_t cap = w->eng->cfg.pending_max;

    if (w->eng->cfg.replay) {
        /* Replay has nobody to wait for: a Redis failure fails the run. */
        w->redis_failed = 1;
        atomic_fetch_add(&w->eng->stats.lost, 1);
        correlate_job_free(j);
        return;
    }
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
        correlate_job_free(old);
    }
    w->held[(w->held_head + w->held_n) % cap] = j;
    w->held_n++;
    atomic_fetch_add(&w->eng->stats.held, 1);
}

/*
 * Put jobs taken from the hold ring back at its front, oldest first, when their
 * retry failed again; if the ring filled meanwhile, the newest held job is lost.
 */
static void hold_front(struct worker *w, struct job **jobs, size_t n)
{
    size_t cap = w->eng->cfg.pending_max;

    while (n-- > 0) {
        if (w->held_n == cap) {
            size_t tail = (w->held_head + w->held_n - 1) % cap;

            atomic_fetch_add(&w->eng->stats.lost, 1);
            correlate_job_free(w->held[tail]);
            w->held_n--;
        }
        w->held_head = (w->held_head + cap - 1) % cap;
        w->held[w->held_head] = jobs[n];
        w->held_n++;
    }
}

void correlate_drop_held(struct worker *w)
{
    size_t cap = w->eng->cfg.pending_max;

    while (w->held_n > 0) {
        atomic_fetch_add(&w->eng->stats.lost, 1);
        correlate_job_free(w->held[w->held_head]);
        w->held_head = (w->held_head + 1) % cap;
        w->held_n--;
    }
}

int engine_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                           const struct vg_incident_req *req)
{
    struct worker *w = ctx->wk;
    struct job *j = w->running;
    struct incident_args a = {.prefix = w->eng->cfg.prefix,
                              .r = ctx->rule,
                              .ev = ev,
                              .key = ctx->key,
                              .key_len = ctx->key_len,
                              .now_ms = ctx->now_ms,
                              .retention_ms = w->eng->cfg.retention_ms};
    char job_id[64];
    struct incident_pending *p;

    if (req != NULL && req->size >= offsetof(struct vg_incident_req, note) + sizeof(req->note)) {
        a.severity = req->severity;
        a.note = req->note;
    }
    if (a.severity < 0 || a.severity > 5) {
        snprintf(ctx->err, sizeof(ctx->err), "severity %d is not 0..5", a.severity);
        return VG_EINVAL;
    }
    if (ev != j->ev) {
        snprintf(ctx->err, sizeof(ctx->err), "incident_upsert for another event than the call's");
        return VG_EINVAL;
    }
    /* One id per upsert of the job: a plugin may open several incidents for one event. */
    snprintf(job_id, sizeof(job_id), "%s-%" PRIu64 ".%zu", w->eng->nonce, j->seq, j->n_pend);
    a.job_id = job_id;
    if (w->n_pend == w->cap_pend) {
        w->cap_pend = w->cap_pend ? w->cap_pend * 2 : BATCH_MAX;
        w->pend = xrealloc(w->pend, w->cap_pend * sizeof(*w->pend));
    }
    p = &w->pend[w->n_pend++];
    incident_pending_init(p, &a);
    j->n_pend++;
    /* Queued, not written: the batch reports a Redis failure for the whole job. */
    return incident_begin(w->st, p) == VG_OK ? VG_OK : VG_EIO;
}

/* Call the rule plugin of job j; its upserts are queued on the pipeline. */
static void call_plugin(struct worker *w, struct job *j)
{
    struct plugin_inst *inst = j->rule->instance;
    const struct vg_plugin *p = &inst->mod->desc;
    struct vg_ctx ctx;

    host_ctx_init(&ctx, inst, inst->label);
    ctx.wk = w;
    ctx.rule = j->rule;
    ctx.key = j->key;
    ctx.key_len = j->key_len;
    ctx.now_ms = w->eng->cfg.replay ? j->ev->ts_ms : j->ev->ingested_ms;
    ctx.has_now = 1;
    j->first_pend = w->n_pend;
    j->n_pend = 0;
    w->running = j;
    if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
        pthread_mutex_lock(&inst->lock);
    }
    j->rc = p->on_event(&ctx, inst->state, j->ev);
    if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
        pthread_mutex_unlock(&inst->lock);
    }
    w->running = NULL;
    snprintf(j->err, sizeof(j->err), "%s", ctx.err[0] ? ctx.err : "on_event failed");
}

/* Read n replies into a new array (entries NULL when the connection failed). */
static redisReply **flush_replies(struct store *st, size_t n)
{
    redisReply **reps = xcalloc(n + 1, sizeof(*reps));

    if (n > 0 && store_flush(st, reps, n) != 0) {
        memset(reps, 0, n * sizeof(*reps));
    }
    return reps;
}

static void free_replies(redisReply **reps, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    free(reps);
}

/* Print the job's records and hand its transitions to the actions; count its failures. */
static void complete(struct worker *w, struct job *j)
{
    struct engine *eng = w->eng;
    size_t k;

    if (j->rc != VG_OK && j->rc != VG_EIO) {
        atomic_fetch_add(&eng->stats.rule_errors, 1);
        log_msg(VG_LOG_WARNING, "[%s] event not correlated: %s",
                ((struct plugin_inst *)j->rule->instance)->label, j->err);
    }
    for (k = j->first_pend; k < j->first_pend + j->n_pend; k++) {
        struct incident_pending *p = &w->pend[k];
        const struct rule *r = j->rule;
        size_t i;

        if (p->rc != VG_OK) {
            atomic_fetch_add(&eng->stats.rule_errors, 1);
            continue;
        }
        atomic_fetch_add(p->rec.transition == VG_TR_OPEN ? &eng->stats.opened : &eng->stats.updated,
                         1);
        if (eng->cfg.records_out != NULL) {
            engine_write_line(eng, eng->cfg.records_out, p->rec.json.buf, p->rec.json.len);
        }
        for (i = 0; !eng->cfg.no_actions && i < r->n_on[p->rec.transition]; i++) {
            dispatcher_submit(eng->disp, r->on[p->rec.transition][i].instance, r->name,
                              p->rec.transition, p->rec.id, p->rec.json.buf, p->rec.json.len);
        }
    }
}

/* Did Redis fail for any upsert of job j (or did the plugin report it)? */
static int job_needs_retry(const struct worker *w, const struct job *j)
{
    size_t k;

    if (j->rc == VG_EIO) {
        return 1;
    }
    for (k = j->first_pend; k < j->first_pend + j->n_pend; k++) {
        if (w->pend[k].rc == VG_EIO) {
            return 1;
        }
    }
    return 0;
}

/*
 * First half of a batch: move w->batch to w->flight, call the rule plugins (their
 * upserts are queued) and send the queue to Redis without waiting. Returns 0,
 * or -1 when Redis is unreachable (then w->flight holds the jobs, none called).
 */
static int batch_begin(struct worker *w)
{
    size_t i;

    memcpy(w->flight, w->batch, w->n_batch * sizeof(*w->flight));
    w->n_flight = w->n_batch;
    w->flight_from_held = w->batch_from_held;
    w->n_batch = 0;
    w->batch_from_held = 0;
    w->n_pend = 0;
    if (w->n_flight == 0) {
        return 0;
    }
    if (!store_ok(w->st)) {
        w->flight_failed = 1;
        return -1;
    }
    w->flight_failed = 0;
    for (i = 0; i < w->n_flight; i++) {
        call_plugin(w, w->flight[i]);
    }
    /* Redis starts on the scripts while the caller prepares the next batch. */
    store_send(w->st);
    return 0;
}

/*
 * Second half: read the scripts' replies, write the follow-ups in one more round
 * trip, then print records and hand over actions in job order; jobs to retry are
 * held (from the first one on).
 */
static void batch_end(struct worker *w)
{
    size_t n = w->n_flight;
    size_t n_post = 0;
    struct job *retry[BATCH_MAX];
    size_t n_retry = 0;
    redisReply **reps;
    size_t i;
    size_t k;

    w->n_flight = 0;
    if (n == 0) {
        return;
    }
    if (w->flight_failed) {
        if (w->eng->cfg.replay) {
            replay_failed(w);
        }
        memcpy(retry, w->flight, n * sizeof(*retry));
        n_retry = n;
        goto out_retry;
    }
    reps = flush_replies(w->st, w->n_pend);
    /* Every script reply first: a collision probe runs commands of its own. */
    for (k = 0; k < w->n_pend; k++) {
        incident_finish(w->st, &w->pend[k], reps[k]);
    }
    free_replies(reps, w->n_pend);
    for (k = 0; k < w->n_pend; k++) {
        n_post += incident_append_post(w->st, &w->pend[k]);
    }
    reps = flush_replies(w->st, n_post);
    for (n_post = 0, k = 0; k < w->n_pend; k++) {
        struct incident_pending *p = &w->pend[k];

        if (p->rc == VG_OK && p->n_post > 0) {
            p->rc = incident_check_post(reps + n_post, p->n_post, p->rec.id);
        }
        n_post += p->n_post;
    }
    free_replies(reps, n_post);
    for (i = 0; i < n; i++) {
        struct job *j = w->flight[i];

        /* From the first job that must be retried on, all are: no key may overtake itself. */
        if (n_retry > 0 || job_needs_retry(w, j)) {
            if (w->eng->cfg.replay && n_retry == 0) {
                replay_failed(w);
            }
            retry[n_retry++] = j;
            continue;
        }
        complete(w, j);
        correlate_job_free(j);
    }
    for (k = 0; k < w->n_pend; k++) {
        incident_pending_free(&w->pend[k]);
    }
    w->n_pend = 0;
out_retry:
    if (w->flight_from_held) {
        hold_front(w, retry, n_retry);
        return;
    }
    for (i = 0; i < n_retry; i++) {
        hold(w, retry[i]);
    }
}

/* Both halves at once (live workers). */
static void run_batch(struct worker *w)
{
    batch_begin(w);
    batch_end(w);
}

/* Move held jobs (oldest first) into the batch ahead of new ones, while there is room. */
static void take_held(struct worker *w)
{
    size_t cap = w->eng->cfg.pending_max;

    w->batch_from_held = 1;
    while (w->held_n > 0 && w->n_batch < BATCH_MAX) {
        w->batch[w->n_batch++] = w->held[w->held_head];
        w->held_head = (w->held_head + 1) % cap;
        w->held_n--;
    }
}

void correlate_add(struct worker *w, struct job *j)
{
    w->batch[w->n_batch++] = j;
    if (w->n_batch == BATCH_MAX) {
        /* Finish the batch in flight, then send this one and return to parsing. */
        batch_end(w);
        batch_begin(w);
    }
}

void correlate_flush(struct worker *w)
{
    batch_end(w);
    run_batch(w);
}

void *correlate_main(void *arg)
{
    struct worker *w = arg;
    int64_t backoff_ms = 0;
    int64_t retry_at = 0;
    struct job *j;

    for (;;) {
        if (w->held_n > 0) {
            /*
             * Held jobs go first, once Redis answers, to keep each key's order. A retry
             * that gets nowhere (a read-only or busy server) backs off, 100 ms to 5 s.
             */
            if (time_mono_ms() >= retry_at && store_ok(w->st)) {
                size_t before = w->held_n;

                take_held(w);
                run_batch(w);
                if (w->held_n >= before) {
                    backoff_ms = backoff_ms == 0 ? 100 : backoff_ms * 2;
                    backoff_ms = backoff_ms > 5000 ? 5000 : backoff_ms;
                    retry_at = time_mono_ms() + backoff_ms;
                } else {
                    backoff_ms = 0;
                    retry_at = 0;
                }
                continue;
            }
            j = queue_pop(w->q, 100);
            if (j != NULL) {
                hold(w, j);
            } else if (atomic_load(&w->eng->stopping) && queue_len(w->q) == 0) {
                break;
            }
            continue;
        }
        j = queue_pop(w->q, -1);
        if (j == NULL) {
            break; /* closed and drained */
        }
        w->batch[w->n_batch++] = j;
        /* Gather what is already queued, up to a batch, without waiting. */
        while (w->n_batch < BATCH_MAX && (j = queue_pop(w->q, 0)) != NULL) {
            w->batch[w->n_batch++] = j;
        }
        run_batch(w);
    }
    correlate_drop_held(w);
    return NULL;
}
