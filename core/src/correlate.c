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
#include <libfastjson/json.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "action_safety.h"
#include "engine_int.h"
#include "host.h"
#include "inventory.h"
#include "queue.h"

void correlate_job_free(struct job *j)
{
    if (j->ev != NULL) {
        event_unref(j->ev);
    }
    if (j->timer != NULL) {
        free(j->timer->name);
        free(j->timer);
    }
    free(j->ops);
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
    j->retry = 1;
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
        jobs[n]->retry = 1;
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

/* A new call slot for the running job; its id is "<nonce>-<seq>.<n>". */
static struct op *new_op(struct worker *w, struct job *j, enum op_kind kind, char *id,
                         size_t id_len)
{
    struct op *o;

    if (w->n_ops == w->cap_ops) {
        w->cap_ops = w->cap_ops ? w->cap_ops * 2 : BATCH_MAX;
        w->ops = xrealloc(w->ops, w->cap_ops * sizeof(*w->ops));
    }
    if (j->n_ops == j->cap_ops) {
        j->cap_ops = j->cap_ops ? j->cap_ops * 2 : 4;
        j->ops = xrealloc(j->ops, j->cap_ops * sizeof(*j->ops));
    }
    j->ops[j->n_ops++] = w->n_ops;
    o = &w->ops[w->n_ops++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->job = j;
    snprintf(id, id_len, "%s-%" PRIu64 ".%u", w->eng->nonce, j->seq, j->n_ids++);
    return o;
}

/* The event a call of ctx may name (the job's, or the one on_state was given), or NULL. */
static struct vg_event *event_allowed(const struct vg_ctx *ctx, const struct vg_event *ev)
{
    if (ev != NULL && ev == ctx->wk->running->ev) {
        return ctx->wk->running->ev;
    }
    return ev != NULL && ev == ctx->ev ? ctx->ev : NULL;
}

/* Queue an incident call (upsert or a lifecycle mode) for the running job. */
static int queue_incident(struct vg_ctx *ctx, struct vg_event *ev, int mode, int severity,
                          const char *note, const char *steps, const char *findings)
{
    struct worker *w = ctx->wk;
    struct job *j = w->running;
    struct incident_args a = {.prefix = w->eng->cfg.prefix,
                              .r = ctx->rule,
                              .ev = ev,
                              .key = ctx->key,
                              .key_len = ctx->key_len,
                              .now_ms = ctx->now_ms,
                              .severity = severity,
                              .note = note,
                              .steps_json = steps,
                              .findings_json = findings,
                              .mode = mode,
                              .retention_ms = w->eng->cfg.retention_ms};
    char job_id[64];
    struct op *o;

    if (ev == ctx->ev && ctx->event_at_ms > 0) {
        a.now_ms = ctx->event_at_ms;
    }
    o = new_op(w, j, OP_INCIDENT, job_id, sizeof(job_id));
    /* The record is written after the reply: the call keeps the event. */
    event_ref(ev);
    o->ev = ev;
    a.job_id = job_id;
    incident_pending_init(&o->inc, &a);
    /* Queued, not written: the batch reports a Redis failure for the whole job. */
    return incident_begin(w->st, &o->inc) == VG_OK ? VG_OK : VG_EIO;
}

/*
 * The playbook changes and findings of an ABI 1.3 request as JSON (steps into
 * steps, findings into findings); -1 with ctx's error naming what is wrong.
 */
static int request_extras(struct vg_ctx *ctx, const struct vg_incident_req *req, struct sbuf *steps,
                          struct sbuf *findings)
{
    static const char *const st_names[] = {"", "pending", "not_applicable", "done"};
    char why[160];
    size_t i;

    if (req->n_steps > INCIDENT_STEPS_MAX || (req->n_steps > 0 && req->steps == NULL)) {
        snprintf(ctx->err, sizeof(ctx->err), "incident request: %zu playbook steps (at most %d)",
                 req->n_steps, INCIDENT_STEPS_MAX);
        return -1;
    }
    for (i = 0; i < req->n_steps; i++) {
        const struct vg_step_req *st = &req->steps[i];
        const char *text = procedure_step_text(st->step);

        if (st->size < offsetof(struct vg_step_req, note) + sizeof(st->note) || text == NULL ||
            st->status < VG_STEP_PENDING || st->status > VG_STEP_DONE) {
            snprintf(ctx->err, sizeof(ctx->err),
                     "incident request: step %zu (%.40s) is not a step of the procedure with a "
                     "known status",
                     i, st->step != NULL ? st->step : "NULL");
            return -1;
        }
        if (st->who != NULL &&
            (strlen(st->who) > 64 ||
             value_check(VG_VAL_TEXT, st->who, strlen(st->who), why, sizeof(why)) != 0)) {
            snprintf(ctx->err, sizeof(ctx->err),
                     "incident request: step %s: who is too long or not text", st->step);
            return -1;
        }
        sbuf_addc(steps, i == 0 ? '[' : ',');
        sbuf_printf(steps, "{\"step\":\"%s\",\"status\":\"%s\",\"text\":\"", st->step,
                    st_names[st->status]);
        sbuf_add_json_str(steps, text, strlen(text));
        sbuf_addc(steps, '"');
        if (st->who != NULL) {
            sbuf_adds(steps, ",\"who\":\"");
            sbuf_add_json_str(steps, st->who, strlen(st->who));
            sbuf_addc(steps, '"');
        }
        if (st->note != NULL) {
            /* A note quotes event values (a threat's name...): cleaned, never a reason to
             * refuse the incident (an attacker's odd bytes must not hide the attack). */
            struct sbuf clean = {0};

            text_clean(&clean, st->note, strlen(st->note), INCIDENT_NOTE_MAX);
            sbuf_adds(steps, ",\"note\":\"");
            sbuf_add_json_str(steps, clean.buf != NULL ? clean.buf : "", clean.len);
            sbuf_addc(steps, '"');
            sbuf_free(&clean);
        }
        sbuf_addc(steps, '}');
    }
    if (req->findings != NULL) {
        size_t len = strlen(req->findings);
        fjson_object *o = len <= INCIDENT_FINDINGS_MAX ? fjson_tokener_parse(req->findings) : NULL;
        int ok = o != NULL && fjson_object_is_type(o, fjson_type_object);

        if (ok) {
            /* Re-serialized: what reaches the script is well-formed JSON, whatever was given. */
            sbuf_adds(findings, fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
        }
        if (o != NULL) {
            fjson_object_put(o);
        }
        if (!ok) {
            snprintf(ctx->err, sizeof(ctx->err),
                     "incident request: findings must be a JSON object of at most %d bytes",
                     INCIDENT_FINDINGS_MAX);
            return -1;
        }
    }
    return 0;
}

/*
 * 5.3: an incident that touches a host of a registered medical software product
 * (inventory products) gets the assessment and customer-notification steps, and
 * the products among its findings. steps is an unclosed JSON array (or empty),
 * findings a JSON object (or empty); both are extended.
 */
static void product_steps(const struct vg_event *ev, struct sbuf *steps, struct sbuf *findings)
{
    static const char *const fields[] = {"host.name",      "host.hostname", "host.ip",
                                         "destination.ip", "server.ip",     "observer.hostname"};
    struct sbuf found = {0};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(fields); i++) {
        struct vg_str v = event_get(ev, fields[i]);
        char *host, *prods = NULL;
        fjson_object *arr = NULL, *hobj = NULL, *name;
        int k;

        if (v.ptr == NULL || v.len == 0 || v.len > 255 || memchr(v.ptr, '\0', v.len) != NULL) {
            continue;
        }
        /* An address names its host first; products list host names. */
        host = inventory_current_get("hosts", v.ptr);
        if (host != NULL && (hobj = fjson_tokener_parse(host)) != NULL &&
            fjson_object_object_get_ex(hobj, "name", &name)) {
            prods = inventory_current_get("products", fjson_object_get_string(name));
        } else {
            prods = inventory_current_get("products", v.ptr);
        }
        arr = prods != NULL ? fjson_tokener_parse(prods) : NULL;
        for (k = 0; arr != NULL && fjson_object_is_type(arr, fjson_type_array) &&
                    k < fjson_object_array_length(arr);
             k++) {
            fjson_object *p = fjson_object_array_get_idx(arr, k), *reg, *pn;

            if (fjson_object_object_get_ex(p, "registered", &reg) &&
                fjson_object_get_boolean(reg) && fjson_object_object_get_ex(p, "name", &pn)) {
                const char *n = fjson_object_get_string(pn);

                sbuf_adds(&found, found.len > 0 ? ",\"" : "\"");
                sbuf_add_json_str(&found, n, strlen(n));
                sbuf_addc(&found, '"');
            }
        }
        if (arr != NULL) {
            fjson_object_put(arr);
        }
        if (hobj != NULL) {
            fjson_object_put(hobj);
        }
        free(host);
        free(prods);
        if (found.len > 0) {
            break;
        }
    }
    if (found.len > 0) {
        const char *t1 = procedure_step_text("5.3.1"), *t2 = procedure_step_text("5.3.2");

        sbuf_addc(steps, steps->len > 0 ? ',' : '[');
        sbuf_adds(steps,
                  "{\"step\":\"5.3.1\",\"status\":\"pending\",\"who\":\"person\",\"text\":\"");
        sbuf_add_json_str(steps, t1, strlen(t1));
        sbuf_adds(steps, "\",\"note\":\"a host of a registered product\"},{\"step\":\"5.3.2\","
                         "\"status\":\"pending\",\"who\":\"person\",\"text\":\"");
        sbuf_add_json_str(steps, t2, strlen(t2));
        sbuf_adds(steps, "\",\"note\":\"a host of a registered product\"}");
        if (findings->len > 2 && findings->buf[findings->len - 1] == '}') {
            findings->len--; /* the closing brace: one more member */
            sbuf_addc(findings, ',');
        } else {
            sbuf_reset(findings);
            sbuf_addc(findings, '{');
        }
        sbuf_adds(findings, "\"registered_products\":[");
        sbuf_add(findings, found.buf, found.len);
        sbuf_adds(findings, "]}");
    }
    sbuf_free(&found);
}

int engine_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                           const struct vg_incident_req *req)
{
    struct sbuf steps = {0}, findings = {0};
    int severity = 0;
    const char *note = NULL;
    int rc;

    if (req != NULL && req->size >= offsetof(struct vg_incident_req, note) + sizeof(req->note)) {
        severity = req->severity;
        note = req->note;
    }
    if (severity < 0 || severity > 5) {
        snprintf(ctx->err, sizeof(ctx->err), "severity %d is not 0..5", severity);
        return VG_EINVAL;
    }
    if (event_allowed(ctx, ev) == NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "incident_upsert for another event than the call's");
        return VG_EINVAL;
    }
    if (req != NULL &&
        req->size >= offsetof(struct vg_incident_req, n_steps) + sizeof(req->n_steps) &&
        request_extras(ctx, req, &steps, &findings) != 0) {
        sbuf_free(&steps);
        sbuf_free(&findings);
        return VG_EINVAL;
    }
    product_steps(ev, &steps, &findings);
    if (steps.len > 0) {
        sbuf_addc(&steps, ']');
    }
    rc = queue_incident(ctx, event_allowed(ctx, ev), INCIDENT_UPSERT, severity, note, steps.buf,
                        findings.buf);
    sbuf_free(&steps);
    sbuf_free(&findings);
    return rc;
}

int engine_incident_resolve(struct vg_ctx *ctx, const struct vg_event *ev,
                            const struct vg_resolve_req *req)
{
    const char *note = NULL;

    if (req != NULL && req->size >= offsetof(struct vg_resolve_req, note) + sizeof(req->note)) {
        note = req->note;
    }
    if (event_allowed(ctx, ev) == NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "incident_resolve for another event than the call's");
        return VG_EINVAL;
    }
    return queue_incident(ctx, event_allowed(ctx, ev), INCIDENT_RESOLVE, 0, note, NULL, NULL);
}

/* Keys live at least a day, and twice their longest window. */
static int64_t state_ttl(const struct vg_state_req *req)
{
    int64_t t = req->window_ms;

    t = req->window2_ms > t ? req->window2_ms : t;
    t = req->suppress_ms > t ? req->suppress_ms : t;
    t *= 2;
    return t > INT64_C(86400000) ? t : INT64_C(86400000);
}

int engine_state_op(struct vg_ctx *ctx, const struct vg_event *ev, const struct vg_state_req *req)
{
    struct worker *w = ctx->wk;
    struct job *j = w->running;
    char job_id[64];
    struct sbuf evjson = {0};
    struct vg_event *own = event_allowed(ctx, ev);
    struct op *o;
    int rc;

    if (state_check(req, ctx->err, sizeof(ctx->err)) != VG_OK) {
        return VG_EINVAL;
    }
    if (own == NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "state_op for another event than the call's");
        return VG_EINVAL;
    }
    if (w->depth >= STAGES_MAX - 1) {
        snprintf(ctx->err, sizeof(ctx->err),
                 "state_op nested more than %d deep in on_state callbacks", STAGES_MAX - 1);
        return VG_EINVAL;
    }
    if (req->op == VG_ST_HEARTBEAT || (req->op == VG_ST_ARM && (req->flags & VG_STF_KEEP_EVENT))) {
        event_to_json(ev, &evjson);
    }
    o = new_op(w, j, OP_STATE, job_id, sizeof(job_id));
    event_ref(own);
    o->ev = own;
    rc = state_begin(w->st, w->eng->cfg.prefix, ctx->rule->name, ctx->key, ctx->key_len, req,
                     ctx->now_ms, job_id, evjson.buf, evjson.len, state_ttl(req), j->retry, &o->st);
    sbuf_free(&evjson);
    return rc == VG_OK ? VG_OK : VG_EIO;
}

/* Set up the call context of job j for its rule's plugin. */
static void job_ctx(struct worker *w, struct job *j, struct vg_ctx *ctx)
{
    struct plugin_inst *inst = j->rule->instance;

    host_ctx_init(ctx, inst, inst->label);
    ctx->wk = w;
    ctx->rule = j->rule;
    ctx->key = j->key;
    ctx->key_len = j->key_len;
    if (j->timer != NULL) {
        ctx->now_ms = j->timer->due;
    } else {
        ctx->now_ms = w->eng->cfg.replay ? j->ev->ts_ms : j->ev->ingested_ms;
    }
    ctx->has_now = 1;
    ctx->ev = j->ev;
}

/* Run fn of the job's plugin under the instance lock unless it is concurrent. */
static int plugin_lock(struct job *j, int lock)
{
    struct plugin_inst *inst = j->rule->instance;

    if (!(inst->mod->desc.flags & VG_PLUGIN_CONCURRENT)) {
        if (lock) {
            pthread_mutex_lock(&inst->lock);
        } else {
            pthread_mutex_unlock(&inst->lock);
        }
    }
    return 0;
}

/* An event carrying only a time and the key's fields (parsed back from "k=v|k=v"). */
static struct vg_event *key_event(const struct job *j, int64_t ts_ms)
{
    struct vg_event *ev = event_new();
    const struct rule *r = j->rule;
    struct sbuf v = {0};
    const char *p = j->key;
    const char *end = j->key + j->key_len;
    size_t i;

    event_set_time(ev, ts_ms);
    for (i = 0; i < r->n_key && p < end; i++) {
        p = memchr(p, '=', (size_t)(end - p));
        if (p == NULL) {
            break;
        }
        sbuf_reset(&v);
        for (p++; p < end && *p != '|'; p++) {
            if (*p == '\\' && p + 1 < end) {
                p++;
            }
            sbuf_addc(&v, *p);
        }
        event_set_str(ev, r->key[i], v.buf ? v.buf : "", v.len);
    }
    sbuf_free(&v);
    return ev;
}

/* Queue what a timer job does: fire a state deadline, or the incident's own. */
static void fire_timer(struct worker *w, struct job *j, struct vg_ctx *ctx)
{
    const struct job_timer *t = j->timer;
    char job_id[64];
    struct op *o;

    if (strncmp(t->name, "@undo.", 6) == 0) {
        /* An operator closed the incident: its actions' inverses run on the dispatcher. */
        if (!w->eng->cfg.no_actions && w->eng->disp != NULL) {
            dispatcher_submit_undo(w->eng->disp, j->rule, t->name + 6, j->key, j->key_len,
                                   t->lease);
        }
        j->rc = VG_OK;
        return;
    }
    if (strcmp(t->name, "@close") == 0 || strcmp(t->name, "@escalate") == 0) {
        struct vg_event *ev = key_event(j, t->due);

        j->ev = ev;
        ctx->ev = ev;
        j->rc = queue_incident(ctx, ev, t->name[1] == 'c' ? INCIDENT_CLOSE : INCIDENT_ESCALATE, 0,
                               NULL, NULL, NULL);
        return;
    }
    o = new_op(w, j, OP_STATE, job_id, sizeof(job_id));
    j->rc = state_fire_begin(w->st, w->eng->cfg.prefix, j->rule->name, j->key, j->key_len, t->name,
                             t->now, t->lease, job_id, &o->st);
}

/* Call the rule plugin of job j; its calls are queued on the pipeline. */
static void call_plugin(struct worker *w, struct job *j)
{
    struct plugin_inst *inst = j->rule->instance;
    const struct vg_plugin *p = &inst->mod->desc;
    struct vg_ctx ctx;

    job_ctx(w, j, &ctx);
    j->n_ops = 0;
    j->n_ids = 0;
    w->running = j;
    if (j->timer != NULL) {
        fire_timer(w, j, &ctx);
    } else {
        plugin_lock(j, 1);
        j->rc = p->on_event(&ctx, inst->state, j->ev);
        plugin_lock(j, 0);
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

/* An event for a deadline's outcome: the kept arming event, else key_event(). */
static struct vg_event *deadline_event(const struct job *j, const struct state_out *so)
{
    struct vg_event *ev = NULL;

    if (so->evjson.len > 0) {
        char err[128];

        ev = event_from_json(so->evjson.buf, so->evjson.len, err, sizeof(err));
    }
    return ev != NULL ? ev : key_event(j, so->since_ms);
}

/* Hand the outcomes of state call o to its rule's on_state(), in order. */
static void deliver(struct worker *w, struct op *o)
{
    struct job *j = o->job;
    struct plugin_inst *inst = j->rule->instance;
    const struct vg_plugin *p = &inst->mod->desc;
    size_t i;

    for (i = 0; i < o->st.n_out; i++) {
        const struct state_out *so = &o->st.out[i];
        struct vg_state_result res = {.size = sizeof(res),
                                      .op = so->op,
                                      .cookie = so->deadline ? 0 : o->st.cookie,
                                      .verdict = so->verdict,
                                      .deadline = so->deadline,
                                      .count = so->count,
                                      .since_ms = so->since_ms,
                                      .name = o->st.name};
        struct vg_event *ev = so->deadline ? deadline_event(j, so) : o->ev;
        struct vg_ctx ctx;
        int rc;

        if (p->on_state == NULL || ev == NULL) {
            if (so->deadline && ev != NULL) {
                event_unref(ev);
            }
            continue;
        }
        job_ctx(w, j, &ctx);
        ctx.ev = ev;
        if (so->deadline) {
            ctx.now_ms = so->due_ms > 0 ? so->due_ms : ctx.now_ms;
            /* A missing pair's incident is dated by its problem event; others by the deadline. */
            ctx.event_at_ms = so->op == VG_ST_ARM ? so->since_ms : 0;
        }
        w->running = j;
        plugin_lock(j, 1);
        rc = p->on_state(&ctx, inst->state, ev, &res);
        plugin_lock(j, 0);
        w->running = NULL;
        if (rc != VG_OK && j->rc == VG_OK) {
            j->rc = rc;
            snprintf(j->err, sizeof(j->err), "%s", ctx.err[0] ? ctx.err : "on_state failed");
        }
        if (so->deadline) {
            /* Calls queued with it hold their own reference. */
            event_unref(ev);
        }
    }
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
    for (k = 0; k < j->n_ops; k++) {
        struct op *o = &w->ops[j->ops[k]];
        struct incident_pending *p = &o->inc;
        const struct rule *r = j->rule;
        size_t i;

        if (o->kind == OP_STATE) {
            if (o->st.rc != VG_OK) {
                atomic_fetch_add(&eng->stats.rule_errors, 1);
            }
            continue;
        }
        if (p->rc != VG_OK) {
            atomic_fetch_add(&eng->stats.rule_errors, 1);
            continue;
        }
        if (p->n_recs == 0) {
            continue; /* nothing happened (no open incident to resolve, a stale deadline) */
        }
        for (i = 0; i < p->n_recs; i++) {
            /* A previous incident closed by this call comes before it. */
            const struct incident_rec *rec = p->n_recs == 2 && i == 0 ? &p->rec2 : &p->rec;
            size_t x;

            if (rec->transition == VG_TR_OPEN) {
                atomic_fetch_add(&eng->stats.opened, 1);
            } else {
                atomic_fetch_add(&eng->stats.updated, 1);
            }
            if (eng->cfg.records_out != NULL) {
                engine_write_line(eng, eng->cfg.records_out, rec->json.buf, rec->json.len);
            }
            for (x = 0; !eng->cfg.no_actions && x < r->n_on[rec->transition]; x++) {
                dispatcher_submit(eng->disp, &r->on[rec->transition][x], rec->transition, rec->id,
                                  rec->json.buf, rec->json.len, p->evjson.buf, p->evjson.len);
            }
        }
    }
}

/* Did Redis fail for any call of job j (or did the plugin report it)? */
static int job_needs_retry(const struct worker *w, const struct job *j)
{
    size_t k;

    if (j->rc == VG_EIO) {
        return 1;
    }
    for (k = 0; k < j->n_ops; k++) {
        const struct op *o = &w->ops[j->ops[k]];

        if ((o->kind == OP_INCIDENT ? o->inc.rc : o->st.rc) == VG_EIO) {
            return 1;
        }
    }
    return 0;
}

void correlate_ops_free(struct worker *w)
{
    size_t k;

    for (k = 0; k < w->n_ops; k++) {
        struct op *o = &w->ops[k];

        if (o->kind == OP_INCIDENT) {
            incident_pending_free(&o->inc);
        } else {
            state_pending_free(&o->st);
        }
        if (o->ev != NULL) {
            event_unref(o->ev);
        }
    }
    w->n_ops = 0;
}

/*
 * First half of a batch: move w->batch to w->flight, call the rule plugins (their
 * calls are queued) and send the queue to Redis without waiting. Returns 0,
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
    w->n_ops = 0;
    w->depth = 0;
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
 * The stages of a batch: read the replies of the calls sent, hand state results
 * to on_state() (which may queue more calls), and repeat while calls were added,
 * at most STAGES_MAX times.
 */
static void run_stages(struct worker *w)
{
    size_t from = 0;

    /*
     * State calls are refused from depth STAGES_MAX - 1 on, so the last round
     * (depth STAGES_MAX) only sends the incident calls the deepest on_state made.
     */
    for (w->depth = 0; w->depth <= STAGES_MAX && from < w->n_ops; w->depth++) {
        size_t to = w->n_ops;
        redisReply **reps = flush_replies(w->st, to - from);
        size_t k;

        /* Every reply first: an incident's collision probe runs commands of its own. */
        for (k = from; k < to; k++) {
            struct op *o = &w->ops[k];

            if (o->kind == OP_INCIDENT) {
                incident_finish(w->st, &o->inc, reps[k - from]);
            } else {
                state_finish(&o->st, reps[k - from]);
            }
        }
        free_replies(reps, to - from);
        for (k = from; k < to; k++) {
            if (w->ops[k].kind == OP_STATE && w->ops[k].st.rc == VG_OK) {
                /* w->ops may move while on_state queues calls: index, not pointer. */
                struct op o = w->ops[k];

                deliver(w, &o);
            }
        }
        from = to;
    }
}

/*
 * Second half: the stages, then the follow-up writes in one more round trip,
 * then records and actions in job order; jobs to retry are held (from the first
 * one on).
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
    run_stages(w);
    for (k = 0; k < w->n_ops; k++) {
        struct op *o = &w->ops[k];
        const struct job_timer *t = o->job->timer;

        if (o->kind == OP_STATE) {
            n_post += state_append_post(w->st, w->eng->cfg.prefix, &o->st);
            continue;
        }
        n_post += incident_append_post(w->st, &o->inc);
        if (t != NULL && o->inc.rc == VG_OK) {
            /* The hold-down or escalation deadline is done: release its claim. */
            n_post += state_append_unclaim(w->st, w->eng->cfg.prefix, o->job->rule->name, t->name,
                                           o->job->key, o->job->key_len, t->lease);
            o->inc.n_post++;
        }
    }
    reps = flush_replies(w->st, n_post);
    for (n_post = 0, k = 0; k < w->n_ops; k++) {
        struct op *o = &w->ops[k];

        if (o->kind == OP_INCIDENT) {
            if (o->inc.rc == VG_OK && o->inc.n_post > 0) {
                o->inc.rc = incident_check_post(reps + n_post, o->inc.n_post, o->inc.rec.id);
            }
            n_post += o->inc.n_post;
        } else {
            if (o->st.rc == VG_OK && o->st.n_post > 0) {
                o->st.rc = incident_check_post(reps + n_post, o->st.n_post, o->st.name);
            }
            n_post += o->st.n_post;
        }
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
    correlate_ops_free(w);
out_retry:
    for (i = 0; i < n_retry; i++) {
        retry[i]->n_ops = 0;
        if (retry[i]->timer != NULL && retry[i]->ev != NULL) {
            event_unref(retry[i]->ev);
            retry[i]->ev = NULL;
        }
    }
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
