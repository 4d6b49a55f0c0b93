/* SPDX-License-Identifier: MIT */
/*
 * The pipeline: raw messages in, parse, normalize, route by event.action to the
 * interested rules, correlate on worker threads sharded by (rule, key) so that
 * events of one key stay in order, store incidents in Redis, print lifecycle
 * records and hand transitions to the action dispatcher. Replay runs the same
 * stages inline on the caller's thread, in event time.
 */
#ifndef VG_CORE_ENGINE_H
#define VG_CORE_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "event.h"
#include "input.h"
#include "util.h"

struct engine_cfg {
    const char *const *rule_paths;      /* rule files or directories */
    size_t n_rule_paths;                /* entries in rule_paths */
    const char *const *normalize_paths; /* template files or directories */
    size_t n_normalize_paths;           /* entries in normalize_paths */
    const char *const *plugin_dirs;     /* directories of vg_*.so */
    size_t n_plugin_dirs;               /* entries in plugin_dirs */
    const char *redis_url;              /* Redis to use (required) */
    const char *prefix;                 /* key prefix, e.g. "vigil:" */
    int workers;                        /* correlation threads (live; default 2) */
    size_t queue_cap;                   /* raw message queue (default 65536) */
    size_t pending_max;        /* jobs held per worker while Redis is down (default 10000) */
    int replay;                /* 1: event time, inline processing */
    int action_threads;        /* action worker threads (default 2) */
    int64_t action_timeout_ms; /* deadline per action call (default 30 s) */
    FILE *events_out;          /* every normalized event as a JSON line, or NULL */
    FILE *records_out;         /* incident lifecycle records, or NULL */
    int default_tz_min;        /* zone for timestamps without one, minutes east */
    int offline;               /* 1: load and check only; no Redis, no threads */
    int64_t retention_ms;      /* incidents expire this long after their last event */
    int replay_workers; /* replay: correlation threads (0 or 1: inline, output in input order) */
    int no_actions;     /* 1: transitions call no action plugins (replay by default) */
    int64_t ref_ms;     /* replay: "now" for stamps without a year (0: the clock) */
};

/* Counters, readable at any time. */
struct engine_stats {
    atomic_ullong raw_in;         /* messages received */
    atomic_ullong raw_dropped;    /* refused: the raw queue was full */
    atomic_ullong truncated;      /* messages longer than the maximum size */
    atomic_ullong parse_warnings; /* events with vigil.parse_warning */
    atomic_ullong json_errors;    /* replay lines that looked like JSON but were not */
    atomic_ullong normalized;     /* events a template matched */
    atomic_ullong unmatched;      /* events no template matched */
    atomic_ullong routed;         /* (event, rule) pairs handed to rules */
    atomic_ullong rule_errors;    /* on_event failures other than Redis */
    atomic_ullong opened;         /* incidents opened */
    atomic_ullong timers;         /* deadlines claimed and handed to the workers */
    atomic_ullong updated;        /* incident updates and escalations */
    atomic_ullong held;           /* jobs held while Redis was unreachable */
    atomic_ullong lost;           /* jobs dropped: the hold queue overflowed */
};

struct engine;
struct vg_ctx;
struct vg_incident_req;

/*
 * Load plugins, rules and templates and connect to Redis. Every problem goes to
 * diag ("FILE: $.path: reason"); returns NULL if there was any.
 */
struct engine *engine_new(const struct engine_cfg *cfg, struct diag *diag);
/*
 * Live mode: start the parse and correlation threads. Replay with replay_workers
 * > 1: start the correlation threads (the caller still parses). 0 or -1.
 */
int engine_start(struct engine *eng);
/* The sink listeners deliver to (live mode). */
struct ingest_sink engine_sink(struct engine *eng);
/*
 * Process one line inline (replay, or a file reader): a syslog line or a JSON
 * event; truncated says the reader cut it. In replay the correlation clock is the
 * event's @timestamp.
 */
void engine_process_line(struct engine *eng, const char *line, size_t len, int truncated);
/* Replay: 1 once Redis has failed (the rest of the input cannot be correlated). */
int engine_failed(const struct engine *eng);
/* Replay: wait for the actions; returns 0, or -1 when Redis failed during the run. */
int engine_finish(struct engine *eng);
/* Stop threads (draining queues) and free everything. NULL is ignored. */
void engine_free(struct engine *eng);
struct engine_stats *engine_stats(struct engine *eng);
/* Append the counters as one JSON object. */
void engine_stats_json(struct engine *eng, struct sbuf *out);
/* Rules and templates loaded. */
size_t engine_n_rules(const struct engine *eng);

/* Build an event from a raw message: parse, normalize, sender fields. Never NULL. */
struct vg_event *engine_build_event(struct engine *eng, const char *data, size_t len,
                                    int64_t recv_ms, const struct sockaddr *peer, int transport,
                                    int truncated);

/* Check the samples of every template (see normalize_check_samples). */
int engine_check_samples(struct engine *eng, struct diag *diag, size_t *n_samples);

/* Host table back end of vg_incident_upsert(). */
int engine_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                           const struct vg_incident_req *req);
/* Host table back end of vg_incident_resolve(). */
int engine_incident_resolve(struct vg_ctx *ctx, const struct vg_event *ev,
                            const struct vg_resolve_req *req);
/* Host table back end of vg_state_op(). */
int engine_state_op(struct vg_ctx *ctx, const struct vg_event *ev, const struct vg_state_req *req);

#endif /* VG_CORE_ENGINE_H */
