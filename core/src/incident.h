/* SPDX-License-Identifier: MIT */
/*
 * Incidents in Redis: one hash per incident, the last events and the history as
 * lists, an index of open incidents and a stream of lifecycle records. Every
 * key of one (rule, key) pair shares one hash tag, so the upsert script runs on
 * Redis Cluster unchanged. Incident ids are "<16 hex of the tag>-<n>", so an id
 * names its keys and two replays of one input give the same ids.
 */
#ifndef VG_CORE_INCIDENT_H
#define VG_CORE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rule.h"
#include "store.h"
#include "util.h"

/* Limits of what one incident keeps. */
#define INCIDENT_EVENTS_KEPT  10  /* last events kept per incident */
#define INCIDENT_HISTORY_MAX  200 /* history entries kept per incident */
#define STREAM_MAXLEN         100000
#define INCIDENT_TAG_PROBES   4 /* tags tried when a crafted key collides with another's */
#define INCIDENT_POST_MAX     4 /* commands an upsert queues after its script, at most */
#define UPSERT_NKEYS          4
#define INCIDENT_STEPS_MAX    32    /* playbook changes in one request */
#define INCIDENT_NOTE_MAX     512   /* bytes of a step's note */
#define INCIDENT_FINDINGS_MAX 16384 /* bytes of a request's findings */
#define UPSERT_ARGC           29    /* keys and arguments of the upsert script */

/* What an incident call does (incident_args.mode). */
enum incident_mode {
    INCIDENT_UPSERT = 0,   /* open, update, escalate by severity, re-open in the hold-down */
    INCIDENT_RESOLVE = 1,  /* resolve the open incident (a pair's resolution, a rate's clear) */
    INCIDENT_CLOSE = 2,    /* the hold-down deadline: close a resolved incident */
    INCIDENT_ESCALATE = 3, /* the escalation deadline: raise the severity of a lasting one */
};

/* The result of one upsert. */
struct incident_rec {
    int transition;   /* enum vg_transition, or -1 when nothing happened */
    char id[48];      /* incident id */
    struct sbuf json; /* the lifecycle record, one JSON object (no newline) */
};

/* Initialize the scripts (once, before any thread uses them). */
void incident_init(void);

/* What one upsert is about. */
struct incident_args {
    const char *prefix;        /* Redis key prefix */
    const struct rule *r;      /* the rule */
    const struct vg_event *ev; /* the event, kept as evidence */
    const char *key;           /* the rule's key of ev */
    size_t key_len;            /* bytes of key */
    int64_t now_ms;            /* correlation time */
    int severity;              /* 0: the rule's; else 1..5 (higher escalates) */
    const char *note;          /* text for the record, or NULL */
    const char *job_id;        /* unique per (event, rule): a retried job is not counted twice */
    const char *steps_json;    /* playbook changes, a JSON array (ABI 1.3), or NULL */
    const char *findings_json; /* findings to merge, a JSON object (ABI 1.3), or NULL */
    int64_t retention_ms;      /* keys expire this long after the last event (0: never) */
    int mode;                  /* enum incident_mode */
};

/*
 * Open the incident of (rule, key) or update the open one. Fills rec (reset
 * first). Returns 0; VG_EIO when Redis is unreachable or answers with a passing
 * error (BUSY, LOADING, ...), so the caller holds the job and retries it (the
 * script recognizes the job id and answers as the first time); VG_ERR for other
 * failures.
 */
int incident_upsert(struct store *st, const struct incident_args *a, struct incident_rec *rec);

/*
 * One upsert split up for pipelining many of them: incident_begin queues the
 * script; the caller flushes the pipeline; incident_finish reads the script's
 * reply (probing other tags synchronously in the rare collision case, so call it
 * for every upsert of a batch before queueing anything else) and fills rec;
 * incident_append_post queues n_post follow-up writes, which the caller flushes
 * and checks with incident_check_post. rc ends as VG_OK, VG_EIO (retry the job)
 * or VG_ERR.
 */
struct incident_pending {
    struct incident_args a;   /* the request; job_id and note point at the copies below */
    char *job_id;             /* owned copy */
    char *note;               /* owned copy, or NULL */
    char *steps;              /* owned copy of a.steps_json, or NULL */
    char *findings;           /* owned copy of a.findings_json, or NULL */
    struct sbuf pb_now;       /* the playbook after this call's changes (reply), or empty */
    struct sbuf fd_now;       /* the findings after this call's changes (reply), or empty */
    struct sbuf kjson;        /* the key as a JSON object */
    struct sbuf evjson;       /* the event */
    struct sbuf pb;           /* the playbook */
    struct sbuf title;        /* the rendered title */
    char now_s[24];           /* now, ms */
    char now_iso[40];         /* now, RFC 3339 */
    char sev_s[8];            /* requested severity */
    char ttl_s[24];           /* retention, seconds */
    char tag[17];             /* the hash tag in use */
    char extra[7][24];        /* script arguments 15-21 as text (mode, lifecycle options) */
    char *kstr;               /* argument 22: the key as text (owned copy) */
    struct incident_rec rec;  /* the result */
    struct incident_rec rec2; /* the close of the previous incident, printed before rec */
    size_t n_recs;            /* 1, or 2 when rec2 is set; 0 when nothing happened */
    int64_t set_due;          /* > 0: a deadline (hold-down close or escalation) to index */
    char due_name[12];        /* its name: "@close" or "@escalate" */
    char prev_n[24];          /* the previous incident closed by this call, or "" */
    size_t n_post;            /* follow-up writes queued by incident_finish */
    int rc;                   /* VG_OK, VG_EIO or VG_ERR */
};

/* Prepare p for a (the event must outlive p); free with incident_pending_free. */
void incident_pending_init(struct incident_pending *p, const struct incident_args *a);
void incident_pending_free(struct incident_pending *p);
/* Queue the script. VG_OK or VG_EIO. */
int incident_begin(struct store *st, struct incident_pending *p);
/* Take the script's reply (NULL: the connection failed); see above. */
void incident_finish(struct store *st, struct incident_pending *p, const redisReply *reply);
/* Queue the follow-up writes of a successful upsert; returns how many (p->n_post). */
size_t incident_append_post(struct store *st, struct incident_pending *p);
/* Check the n follow-up replies of incident id: VG_OK, or VG_EIO when one was lost. */
int incident_check_post(redisReply **reps, size_t n, const char *id);

/* Append ms as a quoted RFC 3339 time / s as a quoted JSON string (record writers). */
void incident_json_time(struct sbuf *b, int64_t ms);
void incident_json_str(struct sbuf *b, const char *s, size_t len);
/* Register the operator script (incident_init calls it). */
void incident_admin_init(void);

/* The Redis key of an incident's hash from its id ("" on a malformed id): prefix{tag}:inc:n. */
int incident_hash_key(const char *prefix, const char *id, struct sbuf *out);

/*
 * Append an entry (a JSON object) to an incident's history list, capped at
 * INCIDENT_HISTORY_MAX. Returns 0 or VG_EIO.
 */
int incident_add_history(struct store *st, const char *prefix, const char *id, const char *json,
                         size_t len);

/*
 * Print an incident (hash, events, history) as one JSON object into out.
 * Returns 0, VG_ENOENT for an unknown id, or VG_EIO.
 */
int incident_show(struct store *st, const char *prefix, const char *id, struct sbuf *out);
/* One JSON line per open incident (newest first, at most limit) into out. */
int incident_list(struct store *st, const char *prefix, size_t limit, struct sbuf *out);

/*
 * An operator's action: op "ack" (status acknowledged), "note" (text only) or
 * "close" (status closed; the incident leaves the open index and the next event
 * of its (rule, key) opens a new one), each recorded in the history with by and
 * text (may be NULL). Returns 0, VG_ENOENT (no such incident), VG_EINVAL (it is
 * closed) or VG_EIO.
 */
int incident_operate(struct store *st, const char *prefix, const char *id, const char *op,
                     const char *by, const char *text, int64_t now_ms);

/* The playbook steps of a procedure section, as a JSON array, appended to out. */
void procedure_playbook_json(const char *section, struct sbuf *out);
/* The text of a procedure step ("5.2.5.4", "5.3.1"), or NULL when there is no such step. */
const char *procedure_step_text(const char *id);

#endif /* VG_CORE_INCIDENT_H */
