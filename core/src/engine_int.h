/* SPDX-License-Identifier: MIT */
/*
 * The engine's insides, shared by engine.c (set-up, routing, the parse thread)
 * and correlate.c (the correlation workers). Not for any other file.
 */
#ifndef VG_CORE_ENGINE_INT_H
#define VG_CORE_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "engine.h"
#include "incident.h"
#include "loader.h"
#include "normalize.h"
#include "rule.h"
#include "state.h"
#include "store.h"

#define ROUTE_SIZE 512u
#define BATCH_MAX  512 /* jobs correlated per pipelined round trip to Redis */
#define STAGES_MAX 4   /* rounds of state results and the calls they lead to, per batch */

/* A deadline a job fires instead of handling an event. */
struct job_timer {
    char *name;    /* state name, or "@close" / "@escalate" for the incident's own */
    int64_t due;   /* when it fell due (the correlation clock of the call) */
    int64_t now;   /* the clock of the claim: deadlines due up to it fire */
    int64_t lease; /* the claim's lease score */
};

enum op_kind {
    OP_INCIDENT = 1, /* an incident upsert or lifecycle call */
    OP_STATE = 2,    /* a state operation or a deadline firing */
};

/* One Redis call of a batch. */
struct op {
    enum op_kind kind;           /* which member below is in use */
    struct job *job;             /* the job that asked for it */
    struct vg_event *ev;         /* the event to hand on_state with its results (a reference) */
    struct incident_pending inc; /* OP_INCIDENT */
    struct state_pending st;     /* OP_STATE */
};

/* One (event, rule) pair waiting for a correlation worker. */
struct job {
    struct vg_event *ev;     /* a reference */
    struct rule *rule;       /* the matching rule */
    char *key;               /* the event's key for this rule */
    size_t key_len;          /* bytes of key */
    uint64_t seq;            /* number of the job in this process, for its id */
    struct job_timer *timer; /* a deadline to fire (ev is NULL then), or NULL */
    size_t *ops;             /* private to the batch: indices of its calls in worker.ops */
    size_t n_ops;            /* entries in ops */
    size_t cap_ops;          /* entries allocated */
    unsigned n_ids;          /* private to the batch: call ids handed out */
    int retry;               /* 1 once the job was held: its calls may have reached Redis */
    int rc;                  /* private to the batch: what on_event returned */
    char err[512];           /* private to the batch: the plugin's error text */
};

struct worker {
    struct engine *eng;            /* owner */
    struct store *st;              /* this thread's Redis connection */
    struct queue *q;               /* jobs for this worker (live) */
    pthread_t thread;              /* the thread (live) */
    int started;                   /* 1 once the thread runs */
    struct job **held;             /* ring of jobs held while Redis is unreachable */
    size_t held_head;              /* index of the oldest held job */
    size_t held_n;                 /* jobs held */
    struct job *batch[BATCH_MAX];  /* jobs of the batch being collected or run */
    size_t n_batch;                /* entries in batch */
    int batch_from_held;           /* 1: the batch was taken from the hold ring */
    struct job *flight[BATCH_MAX]; /* the batch sent to Redis, replies not read yet */
    size_t n_flight;               /* entries in flight */
    int flight_from_held;          /* 1: the flight came from the hold ring */
    int flight_failed;             /* 1: Redis was unreachable when it was to be sent */
    struct op *ops;                /* Redis calls of the batch, in the order sent */
    size_t n_ops;                  /* entries in ops */
    size_t cap_ops;                /* entries allocated */
    int depth;                     /* stage whose results are being handed out */
    struct job *running;           /* the job whose on_event is running */
    int64_t last_loss_log;         /* monotonic ms of the last loss log line */
    atomic_int redis_failed;       /* replay: Redis failed at least once (read by the reader) */
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
    struct store *timer_st;           /* the timer loop's connection */
    pthread_t timer_thread;           /* live deadline claims */
    int timer_started;                /* 1 once it runs */
    atomic_llong last_ts;             /* replay: the latest event time read */
    atomic_llong last_drop_log;       /* monotonic ms of the last "queue full" log line */
};

/* Write one line to f under the output lock (flushed at once in live mode). */
void engine_write_line(struct engine *eng, FILE *f, const char *s, size_t len);

/* Free a job and its event reference. */
void correlate_job_free(struct job *j);
/*
 * Hand a job to worker w on the calling thread (replay, or a worker thread):
 * it joins the batch, which runs when full. Takes ownership of j.
 */
void correlate_add(struct worker *w, struct job *j);
/* Finish the batch in flight and run what the batch holds now (replay's end). */
void correlate_flush(struct worker *w);
/* The live worker thread: pops jobs, runs them in batches, retries held ones. */
void *correlate_main(void *arg);
/* Free the calls of the batch (after it completed, or at shutdown). */
void correlate_ops_free(struct worker *w);
/* Drop every held job, counting each as lost (shutdown). */
void correlate_drop_held(struct worker *w);
/* The worker that owns (rule, key): events and deadlines of a key go to one worker. */
struct worker *engine_worker_for(struct engine *eng, const struct rule *r, const char *key,
                                 size_t key_len);
/*
 * Claim the deadlines due up to now_ms and hand each to its key's worker as a
 * timer job (live: through the queues; replay: inline). Returns how many, or -1.
 */
int engine_claim_timers(struct engine *eng, int64_t now_ms);

#endif /* VG_CORE_ENGINE_INT_H */
