/* SPDX-License-Identifier: MIT */
/*
 * One run of the engine with the Redis it needs (see session.c): vigild's
 * daemon, replay and --check modes and vigilctl rule test all start here.
 */
#ifndef VG_CORE_SESSION_H
#define VG_CORE_SESSION_H

#include <stdio.h>

#include "config.h"
#include "engine.h"
#include "redis_embed.h"

struct session_opts {
    const char *prog;       /* program name for messages */
    int replay;             /* 1: event time, inline, from empty state */
    int keep_state;         /* replay into the configured prefix (or state directory) and keep it */
    int check;              /* load and check only: no Redis */
    int actions;            /* replay: run action plugins too */
    int year;               /* replay: year of stamps without one (0: the clock's) */
    const char *rules_only; /* a rule file used instead of the configured rules, or NULL */
    int private_redis;      /* 1: a throw-away private Redis even when one is configured */
    FILE *records_out;      /* where records go (NULL: stdout) */
    int workers;            /* replay: correlation threads (0 or 1: one, inline, in input order) */
};

struct session {
    const char *prog;          /* program name for messages */
    struct engine *eng;        /* the engine */
    char *url;                 /* the Redis in use */
    char *prefix;              /* the key prefix in use */
    int drop_prefix;           /* 1: delete every key under prefix at the end */
    struct redis_embed *embed; /* the private redis-server, or NULL */
    char tmpdir[64];           /* its throw-away directory, when is_tmp */
    int is_tmp;                /* 1: remove tmpdir at the end */
    FILE *events;              /* --events-out stream, or NULL */
    int workers;               /* replay: correlation threads */
};

/*
 * Pick the Redis and build the engine from c. Problems are printed on stderr
 * prefixed with o->prog. 0, or -1 (call session_close either way).
 */
int session_open(struct session *s, const struct vg_config *c, const struct session_opts *o);
/* Replay a file ("-": stdin), print the records, wait for the actions. 0 or -1. */
int session_replay(struct session *s, const char *path);
/* Free the engine, stop or clean the Redis the session created. */
void session_close(struct session *s);

#endif /* VG_CORE_SESSION_H */
