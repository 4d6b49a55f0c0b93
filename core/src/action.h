/* SPDX-License-Identifier: MIT */
/*
 * The action dispatcher: a pool of worker threads that runs action plugins off
 * the ingest path. Each call gets a deadline; its status, duration, named
 * results and an output excerpt are appended to the incident's history.
 */
#ifndef VG_CORE_ACTION_H
#define VG_CORE_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define ACTION_OUTPUT_MAX 4096 /* bytes of output kept per call */

struct dispatcher;
struct plugin_inst;

struct dispatcher_cfg {
    int threads;           /* worker threads (default 2) */
    size_t queue_cap;      /* calls waiting at most (default 10000); more are dropped, counted */
    const char *redis_url; /* where the history is written */
    const char *prefix;    /* key prefix */
    int64_t timeout_ms;    /* default deadline per call (default 30 s) */
};

/* Start the pool; NULL with a sentence in err on failure. */
struct dispatcher *dispatcher_new(const struct dispatcher_cfg *cfg, char *err, size_t err_len);
/*
 * Queue one call of inst for an incident transition. The strings are copied.
 * Returns 0, or -1 when the queue is full (the call is dropped, counted, logged).
 */
int dispatcher_submit(struct dispatcher *d, struct plugin_inst *inst, const char *rule_name,
                      int transition, const char *incident_id, const char *incident_json,
                      size_t json_len);
/* Wait until every queued call has finished (replay's end). */
void dispatcher_drain(struct dispatcher *d);
/*
 * Stop the threads and free. Queued calls still run for up to 10 s (plus the
 * running calls' deadlines); the rest are counted as dropped and logged. NULL is ignored.
 */
void dispatcher_free(struct dispatcher *d);
/* Counters: calls done, failed, dropped. */
void dispatcher_counts(struct dispatcher *d, uint64_t *done, uint64_t *failed, uint64_t *dropped);

/* Accessors for the host table. */
enum vg_transition action_call_transition(const struct vg_action_call *call);
struct vg_str action_call_incident_json(const struct vg_action_call *call);
struct vg_str action_call_incident_id(const struct vg_action_call *call);
int64_t action_call_deadline_ms(const struct vg_action_call *call);
/* Record a named result of the running call (host table). */
void action_call_result(struct vg_ctx *ctx, const char *name, const char *value);

#endif /* VG_CORE_ACTION_H */
