/* SPDX-License-Identifier: MIT */
/*
 * Action dispatcher: worker threads pop calls from a bounded queue, run the
 * action plugin with a deadline and write the outcome into the incident's
 * history through their own Redis connection. Nothing here runs on the ingest
 * or correlation threads.
 */
#include "action.h"

#include <inttypes.h>
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
#include "store.h"

#define RETRIES_MAX  3
#define DRAIN_MAX_MS 10000 /* at shutdown, queued calls still run for this long */

struct vg_action_call {
    struct plugin_inst *inst; /* the action instance */
    char *rule_name;          /* rule that asked for it */
    int transition;           /* enum vg_transition */
    char *incident_id;        /* incident id */
    char *json;               /* incident record JSON */
    size_t json_len;          /* bytes of json */
    int64_t deadline_ms;      /* wall-clock deadline of the current attempt */
    struct sbuf results;      /* ,"name":"value" pairs set by the plugin */
};

struct dispatcher {
    struct dispatcher_cfg cfg; /* copied configuration */
    char *redis_url;           /* owned copy */
    char *prefix;              /* owned copy */
    struct queue *q;           /* pending calls */
    pthread_t *threads;        /* workers */
    int n_threads;             /* started workers */
    pthread_mutex_t lock;      /* guards pending */
    pthread_cond_t idle;       /* signalled when pending drops to 0 */
    size_t pending;            /* queued or running calls */
    uint64_t n_done;           /* calls finished ok */
    uint64_t n_failed;         /* calls finished with a failure */
    uint64_t n_dropped;        /* calls refused by a full queue */
    atomic_llong stop_by;      /* monotonic ms after which queued calls are dropped (0: none) */
};

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

static void call_free(struct vg_action_call *c)
{
    free(c->rule_name);
    free(c->incident_id);
    free(c->json);
    sbuf_free(&c->results);
    free(c);
}

static void record(struct dispatcher *d, struct store *st, struct vg_action_call *c, int rc,
                   int attempts, int64_t dur_ms, const char *err, const struct sbuf *out)
{
    struct sbuf j = {0};
    char ts[40];
    const char *status = rc == VG_OK ? "ok" : rc == VG_ETIMEDOUT ? "timeout" : "failed";

    time_format_ms(time_now_ms(), ts, sizeof(ts));
    sbuf_printf(&j,
                "{\"@timestamp\":\"%s\",\"type\":\"action\",\"action\":\"%s\",\"transition\":"
                "\"%s\",\"rule\":\"",
                ts, c->inst->mod->desc.name, tr_names[c->transition]);
    sbuf_add_json_str(&j, c->rule_name, strlen(c->rule_name));
    sbuf_printf(&j, "\",\"status\":\"%s\",\"code\":%d,\"attempts\":%d,\"duration_ms\":%" PRId64,
                status, rc, attempts, dur_ms);
    if (err != NULL && err[0] != '\0') {
        sbuf_adds(&j, ",\"error\":\"");
        sbuf_add_json_str(&j, err, strlen(err));
        sbuf_addc(&j, '"');
    }
    sbuf_adds(&j, ",\"result\":{");
    if (c->results.len > 1) {
        sbuf_add(&j, c->results.buf + 1, c->results.len - 1);
    }
    sbuf_adds(&j, "},\"output\":\"");
    sbuf_add_json_str(&j, out->buf ? out->buf : "", out->len);
    sbuf_adds(&j, "\"}");
    if (incident_add_history(st, d->prefix, c->incident_id, j.buf, j.len) != VG_OK) {
        log_msg(VG_LOG_ERR, "cannot record the result of action %s for incident %s in Redis",
                c->inst->mod->desc.name, c->incident_id);
    }
    log_msg(rc == VG_OK ? VG_LOG_INFO : VG_LOG_WARNING,
            "action %s (%s) for incident %s on %s: %s in %" PRId64 " ms%s%s",
            c->inst->mod->desc.name, c->rule_name, c->incident_id, tr_names[c->transition], status,
            dur_ms, err && err[0] ? ": " : "", err ? err : "");
    sbuf_free(&j);
}

static void run_call(struct dispatcher *d, struct store *st, struct vg_action_call *c)
{
    const struct vg_plugin *p = &c->inst->mod->desc;
    struct sbuf out = {0};
    struct vg_ctx ctx;
    int64_t start = time_mono_ms();
    int attempts = 0;
    int rc;

    for (;;) {
        attempts++;
        sbuf_reset(&out);
        sbuf_reset(&c->results);
        host_ctx_init(&ctx, c->inst, c->inst->label);
        ctx.job = (struct action_job *)(void *)c;
        ctx.output = &out;
        c->deadline_ms = time_now_ms() + d->cfg.timeout_ms;
        if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
            pthread_mutex_lock(&c->inst->lock);
        }
        rc = p->run(&ctx, c->inst->state, c);
        if (!(p->flags & VG_PLUGIN_CONCURRENT)) {
            pthread_mutex_unlock(&c->inst->lock);
        }
        if (rc != VG_EAGAIN || attempts >= RETRIES_MAX) {
            break;
        }
        {
            /* Back off 100 ms, 200 ms, ... with jitter before the next attempt. */
            long ms = 100L << (attempts - 1);
            struct timespec ts = {0, (ms + rand() % (ms / 2 + 1)) * 1000000L};

            nanosleep(&ts, NULL);
        }
    }
    record(d, st, c, rc, attempts, time_mono_ms() - start, ctx.err, &out);
    pthread_mutex_lock(&d->lock);
    if (rc == VG_OK) {
        d->n_done++;
    } else {
        d->n_failed++;
    }
    pthread_mutex_unlock(&d->lock);
    sbuf_free(&out);
}

static void *worker(void *arg)
{
    struct dispatcher *d = arg;
    char err[256];
    struct store *st = store_open(d->redis_url, 2000, err, sizeof(err));
    struct vg_action_call *c;

    while ((c = queue_pop(d->q, -1)) != NULL) {
        long long by = atomic_load(&d->stop_by);

        if (by != 0 && time_mono_ms() > by) {
            /* Shutting down and out of time: the rest is counted, not run. */
            pthread_mutex_lock(&d->lock);
            d->n_dropped++;
            pthread_mutex_unlock(&d->lock);
            log_msg(VG_LOG_WARNING, "shutdown: action %s for incident %s (%s) not run",
                    c->inst->mod->desc.name, c->incident_id, tr_names[c->transition]);
        } else {
            run_call(d, st, c);
        }
        call_free(c);
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
    d->redis_url = xstrdup(cfg->redis_url);
    d->prefix = xstrdup(cfg->prefix);
    d->q = queue_new(d->cfg.queue_cap);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->idle, NULL);
    d->threads = xcalloc((size_t)d->cfg.threads, sizeof(*d->threads));
    for (i = 0; i < d->cfg.threads; i++) {
        if (pthread_create(&d->threads[i], NULL, worker, d) != 0) {
            snprintf(err, err_len, "cannot start action worker thread %d", i);
            dispatcher_free(d);
            return NULL;
        }
        d->n_threads++;
    }
    return d;
}

int dispatcher_submit(struct dispatcher *d, struct plugin_inst *inst, const char *rule_name,
                      int transition, const char *incident_id, const char *incident_json,
                      size_t json_len)
{
    struct vg_action_call *c = xcalloc(1, sizeof(*c));

    c->inst = inst;
    c->rule_name = xstrdup(rule_name);
    c->transition = transition;
    c->incident_id = xstrdup(incident_id);
    c->json = xstrndup(incident_json, json_len);
    c->json_len = json_len;
    pthread_mutex_lock(&d->lock);
    d->pending++;
    pthread_mutex_unlock(&d->lock);
    if (queue_try_push(d->q, c) != 0) {
        pthread_mutex_lock(&d->lock);
        d->pending--;
        d->n_dropped++;
        pthread_mutex_unlock(&d->lock);
        log_msg(VG_LOG_ERR, "action queue full: dropped %s for incident %s (%s)",
                inst->mod->desc.name, incident_id, tr_names[transition]);
        call_free(c);
        return -1;
    }
    return 0;
}

void dispatcher_drain(struct dispatcher *d)
{
    pthread_mutex_lock(&d->lock);
    while (d->pending > 0) {
        pthread_cond_wait(&d->idle, &d->lock);
    }
    pthread_mutex_unlock(&d->lock);
}

void dispatcher_free(struct dispatcher *d)
{
    int i;

    if (d == NULL) {
        return;
    }
    atomic_store(&d->stop_by, time_mono_ms() + DRAIN_MAX_MS);
    queue_close(d->q);
    for (i = 0; i < d->n_threads; i++) {
        pthread_join(d->threads[i], NULL);
    }
    queue_free(d->q);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->idle);
    free(d->threads);
    free(d->redis_url);
    free(d->prefix);
    free(d);
}

void dispatcher_counts(struct dispatcher *d, uint64_t *done, uint64_t *failed, uint64_t *dropped)
{
    pthread_mutex_lock(&d->lock);
    *done = d->n_done;
    *failed = d->n_failed;
    *dropped = d->n_dropped;
    pthread_mutex_unlock(&d->lock);
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

void action_call_result(struct vg_ctx *ctx, const char *name, const char *value)
{
    struct vg_action_call *c;

    if (ctx == NULL || ctx->job == NULL || name == NULL || value == NULL) {
        return;
    }
    c = (struct vg_action_call *)(void *)ctx->job;
    if (c->results.len > ACTION_OUTPUT_MAX) {
        return;
    }
    sbuf_adds(&c->results, ",\"");
    sbuf_add_json_str(&c->results, name, strlen(name));
    sbuf_adds(&c->results, "\":\"");
    sbuf_add_json_str(&c->results, value, strlen(value));
    sbuf_addc(&c->results, '"');
}
