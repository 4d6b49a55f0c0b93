/* SPDX-License-Identifier: MIT */
/*
 * A session: one run of the engine with its Redis, shared by vigild (daemon,
 * replay, --check) and vigilctl rule test. It picks the Redis (the configured
 * one; a throw-away key prefix in it for a replay; else a private redis-server,
 * throw-away for a replay), builds the engine from the configuration, replays
 * files, and cleans up what it created.
 */
#define _XOPEN_SOURCE 700
#include "session.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "store.h"

/* Longest replay line kept: a syslog message or a JSON event with its original. */
#define REPLAY_LINE_MAX (256 * 1024)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Delete every key under prefix (replay clean-up in a shared Redis). */
static void drop_prefix(const char *url, const char *prefix)
{
    char err[256];
    struct store *st = store_open(url, 2000, err, sizeof(err));
    char *match = xasprintf("%s*", prefix);
    char cursor[32] = "0";

    if (st == NULL) {
        free(match);
        return;
    }
    do {
        const char *a[] = {"SCAN", cursor, "MATCH", match, "COUNT", "1000"};
        redisReply *r = store_cmd(st, 6, a, NULL);
        size_t i;

        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r != NULL) {
                freeReplyObject(r);
            }
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        if (r->element[1]->elements > 0) {
            /* One UNLINK per page of keys, not one round trip per key. */
            size_t n = r->element[1]->elements;
            const char **d = xcalloc(n + 1, sizeof(*d));
            size_t *dl = xcalloc(n + 1, sizeof(*dl));
            redisReply *x;

            d[0] = "UNLINK";
            dl[0] = 6;
            for (i = 0; i < n; i++) {
                d[i + 1] = r->element[1]->element[i]->str;
                dl[i + 1] = r->element[1]->element[i]->len;
            }
            x = store_cmd(st, (int)(n + 1), d, dl);
            if (x != NULL) {
                freeReplyObject(x);
            }
            free(d);
            free(dl);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    free(match);
    store_close(st);
}

static void print_diag(const char *prog, const struct diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        fprintf(stderr, "%s: %s\n", prog, d->msgs[i]);
    }
}

/* Choose the Redis: s->url, s->prefix and, for a private one, s->embed. */
static int pick_redis(struct session *s, const struct vg_config *c, const struct session_opts *o)
{
    char buf[600];
    char err[1024];
    const char *dir;
    char *sub = NULL;

    s->prefix = xstrdup(c->prefix);
    if (o->check) {
        s->url = xstrdup("");
        return 0;
    }
    if (c->redis_url != NULL && !o->private_redis) {
        s->url = xstrdup(c->redis_url);
        if (o->replay && !o->keep_state) {
            free(s->prefix);
            s->prefix =
                xasprintf("%sreplay:%d.%lld:", c->prefix, (int)getpid(), (long long)time_now_ms());
            s->drop_prefix = 1;
        }
        return 0;
    }
    if (o->replay && !o->keep_state) {
        snprintf(s->tmpdir, sizeof(s->tmpdir), "/tmp/vigil-replay.XXXXXX");
        if (mkdtemp(s->tmpdir) == NULL) {
            fprintf(stderr, "%s: cannot create a temporary directory: %s\n", o->prog,
                    strerror(errno));
            return -1;
        }
        s->is_tmp = 1;
        dir = s->tmpdir;
    } else {
        sub = xasprintf("%s/redis", c->state_dir);
        dir = sub;
    }
    s->embed = redis_embed_start(dir, !s->is_tmp, buf, sizeof(buf), err, sizeof(err));
    free(sub);
    if (s->embed == NULL) {
        fprintf(stderr, "%s: cannot start the embedded redis-server: %s\n", o->prog, err);
        return -1;
    }
    s->url = xstrdup(buf);
    return 0;
}

int session_open(struct session *s, const struct vg_config *c, const struct session_opts *o)
{
    struct engine_cfg ec = {0};
    struct diag diag = {0};

    memset(s, 0, sizeof(*s));
    s->prog = o->prog;
    s->workers = o->workers;
    if (pick_redis(s, c, o) != 0) {
        return -1;
    }
    if (c->events_out != NULL) {
        s->events = strcmp(c->events_out, "-") == 0 ? stdout : fopen(c->events_out, "a");
        if (s->events == NULL) {
            fprintf(stderr, "%s: cannot open %s: %s\n", o->prog, c->events_out, strerror(errno));
            return -1;
        }
    }
    if (c->inventory != NULL) {
        if (inventory_reload(c->inventory, &diag) != 0) {
            print_diag(o->prog, &diag);
            fprintf(stderr, "%s: inventory %s: %zu error(s): not starting\n", o->prog, c->inventory,
                    diag.n);
            diag_free(&diag);
            return -1;
        }
        diag_free(&diag);
    }
    if (o->rules_only != NULL) {
        ec.rule_paths = &o->rules_only;
        ec.n_rule_paths = 1;
    } else {
        ec.rule_paths = (const char *const *)c->rules.v;
        ec.n_rule_paths = c->rules.n;
    }
    ec.normalize_paths = (const char *const *)c->normalize.v;
    ec.n_normalize_paths = c->normalize.n;
    ec.plugin_dirs = (const char *const *)c->plugin_dirs.v;
    ec.n_plugin_dirs = c->plugin_dirs.n;
    ec.redis_url = s->url;
    ec.prefix = s->prefix;
    ec.workers = c->workers;
    ec.replay_workers = o->workers;
    ec.queue_cap = c->queue_size;
    ec.pending_max = c->pending_max;
    ec.replay = o->replay;
    ec.action_threads = c->action_threads;
    ec.action_timeout_ms = c->action_timeout_ms;
    ec.events_out = s->events;
    ec.records_out = o->records_out != NULL ? o->records_out : stdout;
    ec.default_tz_min = c->default_tz_min;
    ec.offline = o->check;
    ec.retention_ms = c->retention_ms;
    /* Trying rules on old logs must not page anyone: replay runs actions only on request. */
    ec.no_actions = o->replay && !o->actions;
    if (o->year != 0) {
        /* The last second of that year: every month of a stamp without a year falls in it. */
        ec.ref_ms = (time_days_from_civil(o->year, 12, 31) * 86400 + 86399) * 1000;
    }
    s->eng = engine_new(&ec, &diag);
    if (s->eng == NULL) {
        print_diag(o->prog, &diag);
        fprintf(stderr, "%s: %zu error(s): not starting\n", o->prog, diag.n);
        diag_free(&diag);
        return -1;
    }
    diag_free(&diag);
    return 0;
}

static int run_replay(struct engine *eng, const char *path, size_t max_line, const char *prog)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    struct line_reader lr;
    const char *line;
    size_t len;
    int truncated;
    int r;
    int rc;

    if (f == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    line_reader_init(&lr, f, max_line);
    while ((r = line_reader_next(&lr, &line, &len, &truncated)) == 1) {
        if (len > 0) {
            engine_process_line(eng, line, len, truncated);
        }
        if (engine_failed(eng)) {
            break; /* nothing more can be correlated */
        }
    }
    if (r < 0) {
        fprintf(stderr, "%s: error reading %s: %s\n", prog, path, strerror(errno));
    }
    line_reader_free(&lr);
    if (f != stdin) {
        fclose(f);
    }
    rc = engine_finish(eng);
    if (engine_failed(eng)) {
        fprintf(stderr, "%s: replay of %s failed: Redis failed, %llu event(s) not correlated\n",
                prog, path, (unsigned long long)atomic_load(&engine_stats(eng)->lost));
    }
    return r < 0 ? -1 : rc;
}

int session_replay(struct session *s, const char *path)
{
    int rc;

    /* With several workers, each key's events stay in order; keys interleave freely. */
    if (s->workers > 1 && engine_start(s->eng) != 0) {
        return -1;
    }
    rc = run_replay(s->eng, path, REPLAY_LINE_MAX, s->prog);

    if (log_get_level() >= 6) {
        struct sbuf b = {0};

        engine_stats_json(s->eng, &b);
        log_msg(6, "replay done: %s", b.buf);
        sbuf_free(&b);
    }
    return rc;
}

void session_close(struct session *s)
{
    engine_free(s->eng);
    s->eng = NULL;
    inventory_current_free();
    fflush(stdout);
    if (s->events != NULL && s->events != stdout) {
        fclose(s->events);
    }
    if (s->drop_prefix && s->url != NULL) {
        drop_prefix(s->url, s->prefix);
    }
    redis_embed_stop(s->embed);
    if (s->is_tmp) {
        nftw(s->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(s->url);
    free(s->prefix);
    memset(s, 0, sizeof(*s));
}
