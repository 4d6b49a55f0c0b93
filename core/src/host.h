/* SPDX-License-Identifier: MIT */
/*
 * The call context (struct vg_ctx) the core passes to every plugin callback, and
 * the core functions the host table forwards to. Only the core sees inside.
 */
#ifndef VG_CORE_HOST_H
#define VG_CORE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "util.h"

struct plugin_inst;
struct rule;
struct worker;
struct action_job;

struct vg_ctx {
    struct plugin_inst *inst; /* the instance called */
    const char *label;        /* log prefix, e.g. "rule:single/ssh-auth" */
    struct worker *wk;        /* correlation worker (rule callbacks), else NULL */
    const struct rule *rule;  /* the rule (rule callbacks), else NULL */
    const char *key;          /* the event's key for this rule */
    size_t key_len;           /* bytes of key */
    int64_t now_ms;           /* the correlation clock for this call */
    int has_now;              /* 1: now_ms is set (0 is a valid time in replay) */
    const char *job_id;       /* unique id of the (event, rule) job being run */
    struct vg_event *ev;      /* the event of this call (on_state: possibly a deadline's) */
    int64_t event_at_ms;      /* > 0: incidents of ev are dated then (a deadline's arming) */
    struct action_job *job;   /* the action call (action callbacks), else NULL */
    struct sbuf *output;      /* where action output is collected, or NULL */
    char err[512];            /* text set by vg_set_error() */
};

/* Set up ctx for a callback of inst; every other member zero. */
void host_ctx_init(struct vg_ctx *ctx, struct plugin_inst *inst, const char *label);

#endif /* VG_CORE_HOST_H */
