/* SPDX-License-Identifier: MIT */
/*
 * The action dispatcher: a pool of worker threads that runs action plugins off
 * the ingest path. Each call is claimed once in Redis by an idempotency key per
 * (incident, transition, action), runs in its own thread with a deadline (a
 * call that hangs is abandoned and the worker goes on), is retried with
 * back-off and jitter on VG_EAGAIN, and is rate-limited per action. Its status,
 * duration, named results and an output excerpt go to the incident's history
 * and to its playbook step; a success of an action with an inverse is kept so
 * that an operator's close runs the inverse.
 */
#ifndef VG_CORE_ACTION_H
#define VG_CORE_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define ACTION_OUTPUT_MAX    4096 /* bytes of output kept per call */
#define ACTION_RETRIES       3    /* attempts after the first on VG_EAGAIN, by default */
#define ACTION_ABANDONED_MAX 64   /* hung calls left running before new ones fail at once */

struct dispatcher;
struct rule;
struct rule_action;

struct dispatcher_cfg {
    int threads;           /* worker threads (default 2) */
    size_t queue_cap;      /* calls waiting per worker (default 10000); more are dropped, counted */
    const char *redis_url; /* where the history is written */
    const char *prefix;    /* key prefix */
    int64_t timeout_ms;    /* default deadline per attempt (default 30 s) */
    int64_t keep_ms;       /* how long idempotency keys live (default 7 days) */
    int64_t backoff_ms;    /* first retry's back-off (default 500 ms; doubles, jittered) */
};

/* Counters of the dispatcher. */
struct dispatcher_counts {
    uint64_t done;      /* calls finished ok */
    uint64_t failed;    /* calls finished with a failure (step handed to a person) */
    uint64_t dropped;   /* calls refused by a full queue or left at shutdown */
    uint64_t deduped;   /* calls skipped: their idempotency key was taken already */
    uint64_t retried;   /* attempts after a first one */
    uint64_t abandoned; /* calls that did not return by their deadline */
    uint64_t limited;   /* calls delayed by their rate limit */
    uint64_t skipped;   /* calls not run: step not applicable or done, or below min_severity */
    uint64_t rejected;  /* event values refused by vg_value_check() */
};

/* Register the dispatcher's Redis scripts (once, before any connection is opened). */
void action_init(void);

/* Start the pool; NULL with a sentence in err on failure. */
struct dispatcher *dispatcher_new(const struct dispatcher_cfg *cfg, char *err, size_t err_len);
/*
 * Queue the call of action a (its instance, step, timeout, retries, rate limit)
 * for one transition of an incident. record is the lifecycle record, trigger
 * the event behind it (a JSON object, or NULL); the call's JSON is the record
 * with the event as its "trigger" member. Strings are copied. Returns 0, or -1
 * when the queue is full (the call is dropped, counted, logged).
 */
int dispatcher_submit(struct dispatcher *d, const struct rule_action *a, int transition,
                      const char *incident_id, const char *record, size_t record_len,
                      const char *trigger, size_t trigger_len);
/*
 * Queue the inverses of the actions of rule r that succeeded for incident_id
 * (an operator closed it), fired by the claimed deadline "@undo.ID" of key
 * (key_len bytes) with lease; the claim is released when they are done.
 * Returns 0, or -1 when the queue is full.
 */
int dispatcher_submit_undo(struct dispatcher *d, const struct rule *r, const char *incident_id,
                           const char *key, size_t key_len, int64_t lease);
/* The worker (lane) that runs the calls of an incident, in the order they came. */
size_t dispatcher_lane(const struct dispatcher *d, const char *incident_id);
/* Wait until every queued call has finished (replay's end). */
void dispatcher_drain(struct dispatcher *d);
/*
 * Stop the threads and free. Queued calls still run for up to 10 s (plus the
 * running calls' deadlines); the rest are counted as dropped and logged. NULL is
 * ignored. Returns the number of abandoned calls still running after a 2 s
 * wait: then d is left allocated (their threads use it) and the caller must not
 * free the plugin instances either (the process is about to exit).
 */
int dispatcher_free(struct dispatcher *d);
/* The counters. */
void dispatcher_counts(struct dispatcher *d, struct dispatcher_counts *out);

/* Accessors for the host table (any thread; call is the running call). */
enum vg_transition action_call_transition(const struct vg_action_call *call);
struct vg_str action_call_incident_json(const struct vg_action_call *call);
struct vg_str action_call_incident_id(const struct vg_action_call *call);
int64_t action_call_deadline_ms(const struct vg_action_call *call);
int action_call_attempt(const struct vg_action_call *call);
struct vg_str action_call_field(const struct vg_action_call *call, const char *path);
struct vg_str action_call_prior(const struct vg_action_call *call, const char *name);
/* Record a named result of the running call (host table). */
void action_call_result(struct vg_ctx *ctx, const char *name, const char *value);
/* Count a value refused by vg_value_check() against the call's dispatcher. */
void action_call_count_rejected(struct vg_ctx *ctx);

#endif /* VG_CORE_ACTION_H */
