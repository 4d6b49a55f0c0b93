/* SPDX-License-Identifier: MIT */
/*
 * The state API's Redis side: one Lua script per state operation on the keys of
 * one (rule, key) pair, all under one hash tag, with the correlation clock passed
 * in; deadlines kept in the pair's hash and indexed in sharded sorted sets that
 * timer loops claim atomically. A deadline that passed before the next operation
 * on its key fires inside that operation's script, ahead of it, so event order
 * holds per key even when a batch of events is in flight.
 */
#ifndef VG_CORE_STATE_H
#define VG_CORE_STATE_H

#include <stddef.h>
#include <stdint.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "store.h"
#include "util.h"

#define STATE_TIMER_SHARDS 16    /* sorted sets the deadlines are spread over */
#define STATE_CLAIM_MAX    256   /* deadlines one claim takes from one shard */
#define STATE_LEASE_MS     30000 /* a claimed deadline returns to the pool after this */
#define STATE_NAME_MAX     64    /* bytes of a state name */

/* One outcome read from a state script's reply. */
struct state_out {
    uint32_t op;        /* enum vg_state_op: the call's, or the one that armed the deadline */
    int verdict;        /* enum vg_state_verdict */
    int deadline;       /* 1: a deadline passed (the event is the armed one) */
    int64_t count;      /* events, values or steps */
    int64_t since_ms;   /* first event of the window, or the arming event's time */
    int64_t due_ms;     /* a deadline's time, or 0 */
    struct sbuf evjson; /* the arming event as JSON, or empty */
};

/* One queued state operation (or deadline firing) and, once read, its outcomes. */
struct state_pending {
    uint32_t op;                   /* enum vg_state_op, or 0 for a deadline firing */
    uint32_t cookie;               /* the request's cookie */
    char name[STATE_NAME_MAX + 1]; /* state name */
    char tag[17];                  /* hash tag of (rule, key) */
    char *member;                  /* the deadline's member in its shard (rule, name, key) */
    size_t member_len;             /* bytes of member (the key may hold NULs) */
    int64_t lease;                 /* deadline firing: the claim's lease score, to unclaim */
    struct state_out *out;         /* outcomes, in order (deadlines first) */
    size_t n_out;                  /* entries in out */
    int64_t set_due;               /* > 0: a deadline to index at this time */
    size_t n_post;                 /* follow-up commands queued by state_append_post */
    int rc;                        /* VG_OK, VG_EIO (retry the job) or VG_ERR */
};

/* Register the scripts (once, before any thread uses them). */
void state_init(void);

/*
 * Check a plugin's request: VG_OK, or VG_EINVAL with a sentence in err naming the
 * member at fault.
 */
int state_check(const struct vg_state_req *req, char *err, size_t err_len);

/*
 * Queue the script of req for (rule_name, key) on st's pipeline. now_ms is the
 * correlation clock, job_id identifies this operation so a retried job gets the
 * first answer, evjson is the event (kept by ARM with VG_STF_KEEP_EVENT and by
 * HEARTBEAT) and ttl_ms the lifetime of the keys; retry says the job ran before
 * (its answer, if kept, is given again). Fills p (free with
 * state_pending_free). Returns VG_OK or VG_EIO.
 */
int state_begin(struct store *st, const char *prefix, const char *rule_name, const char *key,
                size_t key_len, const struct vg_state_req *req, int64_t now_ms, const char *job_id,
                const char *evjson, size_t evjson_len, int64_t ttl_ms, int retry,
                struct state_pending *p);

/*
 * Queue the firing of the deadline `name` of (rule_name, key), claimed with
 * lease score lease, if it has passed at now_ms. Returns VG_OK or VG_EIO.
 */
int state_fire_begin(struct store *st, const char *prefix, const char *rule_name, const char *key,
                     size_t key_len, const char *name, int64_t now_ms, int64_t lease,
                     const char *job_id, struct state_pending *p);

/* Read the script's reply (NULL: the connection failed) into p->out and p->rc. */
void state_finish(struct state_pending *p, const redisReply *reply);

/*
 * Queue the follow-ups of a finished operation: the new deadline's index entry,
 * and for a deadline firing the release of its claim. Returns how many.
 */
size_t state_append_post(struct store *st, const char *prefix, struct state_pending *p);

/*
 * Queue the release of a claimed deadline (rule, name, key) that held lease: it
 * leaves its shard unless a newer deadline re-scored it. Returns 1 (commands queued).
 */
size_t state_append_unclaim(struct store *st, const char *prefix, const char *rule_name,
                            const char *name, const char *key, size_t key_len, int64_t lease);

void state_pending_free(struct state_pending *p);

/* The deadline member of (rule, name, key) and its shard key, appended to member / shard. */
void state_timer_member(const char *prefix, const char *rule_name, const char *name,
                        const char *key, size_t key_len, struct sbuf *member, struct sbuf *shard);

/* Index a deadline directly (incident hold-down and escalation): ZADD shard due member. */
size_t state_append_timer(struct store *st, const char *prefix, const char *rule_name,
                          const char *name, const char *key, size_t key_len, int64_t due);

/* One deadline taken by state_claim. */
struct state_claim {
    char *rule;     /* rule name */
    char *name;     /* state or timer name */
    char *key;      /* the key */
    size_t key_len; /* bytes of key */
    int64_t due;    /* when it fell due */
    int64_t lease;  /* the score it holds while claimed */
};

/*
 * Claim up to STATE_CLAIM_MAX deadlines due at or before now_ms from shard i:
 * they are re-scored to now_ms + lease_ms so that no other instance takes them
 * until the lease passes. Appends to *out (grown with xrealloc) and returns how
 * many were taken, or -1 when Redis failed.
 */
int state_claim(struct store *st, const char *prefix, int shard, int64_t now_ms, int64_t lease_ms,
                struct state_claim **out, size_t *n_out);
/* state_claim for every shard in one pipelined round trip: the total taken, or -1. */
int state_claim_all(struct store *st, const char *prefix, int64_t now_ms, int64_t lease_ms,
                    struct state_claim **out, size_t *n_out);
void state_claims_free(struct state_claim *c, size_t n);

#endif /* VG_CORE_STATE_H */
