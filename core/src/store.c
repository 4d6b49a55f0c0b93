/* SPDX-License-Identifier: MIT */
/*
 * Redis access (see store.h): URL parsing, connections that reconnect with
 * exponential back-off instead of making callers wait on a dead server, Lua
 * scripts run by EVALSHA with the NOSCRIPT fallback, pipelined batches, a small
 * SHA-1 for script digests, and the embedded redis-server child process.
 * Writing to a connection the server closed raises SIGPIPE: the process must
 * ignore SIGPIPE (vigild does), so that the write fails with EPIPE instead.
 */

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sha1.h"
#include "util.h"

#define BACKOFF_MIN_MS     100  /* first reconnect delay */
#define BACKOFF_MAX_MS     5000 /* the delay doubles up to this */
#define DEFAULT_TIMEOUT_MS 2000 /* when store_open gets timeout_ms <= 0 */

/* A command queued by store_append or store_append_eval. */
struct pending {
    struct store_script *script; /* the script of a queued EVALSHA, NULL otherwise */
    int argc;                    /* number of saved arguments (evals only) */
    const char **argv;           /* saved EVALSHA arguments, pointing into data */
    size_t *lens;                /* their lengths */
    char *data;                  /* the copied argument bytes */
};

struct store {
    char *url;               /* the URL as given, for log messages */
    char *where;             /* "host:port" or the socket path, for error texts */
    char *host;              /* TCP host, NULL for a unix socket */
    int port;                /* TCP port */
    char *path;              /* unix socket path, NULL for TCP */
    int db;                  /* database selected after each connect */
    int timeout_ms;          /* connect and command timeout */
    redisContext *ctx;       /* the connection, NULL while broken */
    int is_down;             /* a failure was logged and no recovery yet */
    int was_connected;       /* connected once, so the next connect is a reconnect */
    int64_t next_try_ms;     /* monotonic time before which no reconnect is tried */
    int64_t backoff_ms;      /* upper bound of the delay after the next failed try */
    uint64_t n_reconnects;   /* successful reconnections since open */
    uint64_t rng;            /* xorshift state for the back-off jitter */
    char err[256];           /* last connection error, "" while connected */
    struct pending *pending; /* commands queued for store_flush */
    size_t n_pending;        /* number queued */
    size_t cap_pending;      /* entries allocated in pending */
    int pipe_failed;         /* a queued command could not be sent */
};


/*
 * Fill s->sha with the lowercase hex SHA-1 of s->lua, the digest Redis gives
 * the script. Call once before the script is used; any thread.
 */
/*
 * The text of every script initialized in this process (copies, by SHA1), loaded
 * on each new connection. The copies live as long as the process.
 */
static pthread_mutex_t scripts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char sha[41]; /* hex SHA1 */
    char *lua;    /* owned copy of the text */
} scripts[32];
static size_t n_scripts;

static void free_scripts(void)
{
    while (n_scripts > 0) {
        free(scripts[--n_scripts].lua);
    }
}

char *store_script_join(const char *const *parts)
{
    struct sbuf b = {0};
    size_t i;

    for (i = 0; parts[i] != NULL; i++) {
        sbuf_adds(&b, parts[i]);
    }
    return b.buf != NULL ? b.buf : xstrdup("");
}

void store_script_init(struct store_script *s)
{
    size_t i;

    sha1_hex(s->lua, strlen(s->lua), s->sha);
    pthread_mutex_lock(&scripts_lock);
    for (i = 0; i < n_scripts && strcmp(scripts[i].sha, s->sha) != 0; i++) {
    }
    if (i == n_scripts && n_scripts < ARRAY_SIZE(scripts)) {
        if (n_scripts == 0) {
            atexit(free_scripts);
        }
        memcpy(scripts[n_scripts].sha, s->sha, sizeof(s->sha));
        scripts[n_scripts].lua = xstrdup(s->lua);
        n_scripts++;
    }
    pthread_mutex_unlock(&scripts_lock);
}

/*
 * SCRIPT LOAD every known script on a fresh connection, so that pipelined
 * EVALSHAs do not meet NOSCRIPT after a Redis restart. 0, or -1 on an I/O error.
 */
static int preload_scripts(redisContext *c)
{
    size_t i;
    size_t n;
    int rc = 0;

    pthread_mutex_lock(&scripts_lock);
    n = n_scripts;
    for (i = 0; i < n; i++) {
        const char *argv[] = {"SCRIPT", "LOAD", scripts[i].lua};

        redisAppendCommandArgv(c, 3, argv, NULL);
    }
    pthread_mutex_unlock(&scripts_lock);
    for (i = 0; i < n; i++) {
        void *r = NULL;

        if (redisGetReply(c, &r) != REDIS_OK) {
            rc = -1;
            break;
        }
        freeReplyObject(r);
    }
    return rc;
}

/* URL parsing. */

static int url_error(const char *url, const char *why, char *err, size_t err_len)
{
    snprintf(err, err_len, "invalid Redis URL \"%s\": %s", url, why);
    return -1;
}

static int parse_uint(const char *s, size_t len, long long max, long long *out)
{
    long long v = 0;
    size_t i;

    if (len == 0 || len > 10) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int set_socket_path(struct store *st, const char *url, const char *path, char *err,
                           size_t err_len)
{
    struct sockaddr_un sun;

    if (*path == '\0') {
        return url_error(url, "the socket path is empty", err, err_len);
    }
    if (strlen(path) >= sizeof(sun.sun_path)) {
        return url_error(url, "the socket path is too long for a unix socket", err, err_len);
    }
    st->path = xstrdup(path);
    st->where = xstrdup(path);
    return 0;
}

/*
 * Fill st->host/port/path/db from url: "host:port", "[v6]:port",
 * "redis://host[:port][/db]", "unix:/path", "unix:///path" or "/path".
 */
static int parse_url(struct store *st, const char *url, char *err, size_t err_len)
{
    const char *p = url;
    const char *host;
    size_t host_len;
    int is_redis = 0;
    int is_v6 = 0;
    long long v;

    if (strncmp(p, "unix:", 5) == 0) {
        p += 5;
        if (strncmp(p, "//", 2) == 0) {
            p += 2;
            if (*p != '/') {
                return url_error(url, "unix:// must be followed by an absolute path", err, err_len);
            }
        }
        return set_socket_path(st, url, p, err, err_len);
    }
    if (*p == '/') {
        return set_socket_path(st, url, p, err, err_len);
    }
    if (strncmp(p, "redis://", 8) == 0) {
        is_redis = 1;
        p += 8;
    } else if (strstr(p, "://") != NULL) {
        return url_error(url, "only redis:// and unix: URLs are supported", err, err_len);
    }
    if (strchr(p, '@') != NULL) {
        return url_error(url, "user names and passwords in the URL are not supported", err,
                         err_len);
    }
    if (*p == '[') {
        const char *end = strchr(p, ']');

        if (end == NULL) {
            return url_error(url, "the IPv6 address lacks its closing bracket", err, err_len);
        }
        host = p + 1;
        host_len = (size_t)(end - host);
        p = end + 1;
        is_v6 = 1;
    } else {
        host = p;
        host_len = strcspn(p, ":/");
        p += host_len;
    }
    if (host_len == 0) {
        return url_error(url, "the host is missing", err, err_len);
    }
    st->port = 6379;
    if (*p == ':') {
        size_t n = strcspn(p + 1, "/");

        if (parse_uint(p + 1, n, 65535, &v) != 0 || v == 0) {
            return url_error(url, "the port must be a number from 1 to 65535", err, err_len);
        }
        st->port = (int)v;
        p += 1 + n;
    } else if (!is_redis) {
        return url_error(url, "expected host:port, redis://host:port/db, unix:/path or /path", err,
                         err_len);
    }
    if (*p == '/' && is_redis) {
        size_t n = strlen(p + 1);

        if (n > 0 && parse_uint(p + 1, n, INT_MAX, &v) != 0) {
            return url_error(url, "the database must be a non-negative number", err, err_len);
        }
        st->db = n > 0 ? (int)v : 0;
        p += 1 + n;
    }
    if (*p != '\0') {
        return url_error(url, "unexpected text after the host and port", err, err_len);
    }
    st->host = xstrndup(host, host_len);
    st->where =
        is_v6 ? xasprintf("[%s]:%d", st->host, st->port) : xasprintf("%s:%d", st->host, st->port);
    return 0;
}

/* Connections and back-off. */


static uint64_t next_rand(struct store *st)
{
    st->rng ^= st->rng << 13;
    st->rng ^= st->rng >> 7;
    st->rng ^= st->rng << 17;
    return st->rng;
}

static void set_err(struct store *st, const char *msg)
{
    snprintf(st->err, sizeof(st->err), "%s: %s", st->where, msg);
}

/* Connect, set the timeouts and select the database; NULL with st->err set on failure. */
static redisContext *dial(struct store *st)
{
    struct timeval tv = time_ms_tv(st->timeout_ms);
    redisContext *c;
    redisReply *r;

    if (st->path != NULL) {
        c = redisConnectUnixWithTimeout(st->path, tv);
    } else {
        c = redisConnectWithTimeout(st->host, st->port, tv);
    }
    if (c == NULL) {
        set_err(st, "cannot allocate a connection");
        return NULL;
    }
    if (c->err != 0) {
        set_err(st, c->errstr);
        goto out_free;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK ||
        (st->host != NULL && redisEnableKeepAlive(c) != REDIS_OK)) {
        set_err(st, c->errstr[0] != '\0' ? c->errstr : "cannot set socket options");
        goto out_free;
    }
    /* A round trip proves the server answers, not just that the kernel accepted. */
    r = st->db != 0 ? redisCommand(c, "SELECT %d", st->db) : redisCommand(c, "PING");
    if (r == NULL) {
        set_err(st, c->errstr);
        goto out_free;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        char msg[200];

        /* LOADING, BUSY, MASTERDOWN...: not usable yet; the back-off retries later. */
        if (st->db != 0) {
            snprintf(msg, sizeof(msg), "SELECT %d failed: %s", st->db, r->str);
        } else {
            snprintf(msg, sizeof(msg), "PING failed: %s", r->str);
        }
        set_err(st, msg);
        freeReplyObject(r);
        goto out_free;
    }
    freeReplyObject(r);
    if (preload_scripts(c) != 0) {
        set_err(st, c->errstr);
        goto out_free;
    }
    /* Programs that action plugins start must not inherit the connection. */
    fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    return c;

out_free:
    redisFree(c);
    return NULL;
}

static void schedule_retry(struct store *st)
{
    int64_t half = st->backoff_ms / 2;

    st->next_try_ms = time_mono_ms() + half + (int64_t)(next_rand(st) % (uint64_t)(half + 1));
    st->backoff_ms *= 2;
    if (st->backoff_ms > BACKOFF_MAX_MS) {
        st->backoff_ms = BACKOFF_MAX_MS;
    }
}

/* Drop a connection that failed (st->err says why); the next call may reconnect at once. */
static void drop(struct store *st)
{
    if (!st->is_down) {
        log_msg(4, "redis %s: connection lost: %s", st->url, st->err);
        st->is_down = 1;
    }
    redisFree(st->ctx);
    st->ctx = NULL;
    st->next_try_ms = 0;
    st->backoff_ms = BACKOFF_MIN_MS;
}

static void conn_failed(struct store *st)
{
    set_err(st, st->ctx->errstr[0] != '\0' ? st->ctx->errstr : "connection failed");
    drop(st);
}

/* Connected (reconnecting first when the back-off time has come): 0, or -1 at once. */
static int ensure(struct store *st)
{
    redisContext *c;

    if (st->ctx != NULL) {
        return 0;
    }
    if (time_mono_ms() < st->next_try_ms) {
        return -1;
    }
    c = dial(st);
    if (c == NULL) {
        schedule_retry(st);
        if (!st->is_down) {
            log_msg(4, "redis %s: cannot connect, retrying with back-off: %s", st->url, st->err);
            st->is_down = 1;
        }
        return -1;
    }
    st->ctx = c;
    st->err[0] = '\0';
    st->backoff_ms = BACKOFF_MIN_MS;
    if (st->was_connected) {
        st->n_reconnects++;
    }
    st->was_connected = 1;
    if (st->is_down) {
        log_msg(5, "redis %s: connection restored", st->url);
        st->is_down = 0;
    }
    return 0;
}

/* False when the server closed the connection or it failed (no round trip). */
static int still_open(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char c;
    ssize_t n;

    if (poll(&pfd, 1, 0) <= 0) {
        return 1;
    }
    if (pfd.revents & (POLLERR | POLLNVAL)) {
        return 0;
    }
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
        return 0;
    }
    return n > 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/*
 * Open a store for url. Returns NULL with one sentence in err when the URL is
 * malformed; otherwise a store (connected or retrying with back-off) that the
 * caller frees with store_close. One thread at a time may use it.
 */
struct store *store_open(const char *url, int timeout_ms, char *err, size_t err_len)
{
    struct store *st = xcalloc(1, sizeof(*st));

    if (url == NULL || parse_url(st, url, err, err_len) != 0) {
        if (url == NULL) {
            snprintf(err, err_len, "no Redis URL was given");
        }
        free(st->host);
        free(st->path);
        free(st->where);
        free(st);
        return NULL;
    }
    st->url = xstrdup(url);
    st->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    st->backoff_ms = BACKOFF_MIN_MS;
    st->rng = (uint64_t)time_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)st;
    if (st->rng == 0) {
        st->rng = 0x9e3779b97f4a7c15u;
    }
    ensure(st);
    return st;
}

static void clear_pending(struct store *st)
{
    size_t i;

    for (i = 0; i < st->n_pending; i++) {
        free(st->pending[i].argv);
        free(st->pending[i].lens);
        free(st->pending[i].data);
    }
    st->n_pending = 0;
    st->pipe_failed = 0;
}

/* Close the connection and free st (NULL is ignored); queued commands are dropped. */
void store_close(struct store *st)
{
    if (st == NULL) {
        return;
    }
    clear_pending(st);
    free(st->pending);
    if (st->ctx != NULL) {
        redisFree(st->ctx);
    }
    free(st->url);
    free(st->where);
    free(st->host);
    free(st->path);
    free(st);
}

/*
 * 1 when connected. A connection the server closed is noticed here without a
 * round trip, and a reconnect is tried when the back-off time has come; it
 * blocks at most for that one attempt (connect and PING, each within the timeout).
 */
int store_ok(struct store *st)
{
    if (st->n_pending > 0) {
        return st->ctx != NULL && !st->pipe_failed;
    }
    if (st->ctx != NULL && !still_open(st->ctx->fd)) {
        set_err(st, "connection closed by the server");
        drop(st);
    }
    return ensure(st) == 0;
}

/* The last connection error ("where: why"), or "" while connected. */
const char *store_error(const struct store *st)
{
    return st->err;
}

/* Successful reconnections (connects after the first) since open. */
uint64_t store_n_reconnects(const struct store *st)
{
    return st->n_reconnects;
}

/* Commands. */

static int batch_open(struct store *st)
{
    if (st->n_pending > 0) {
        log_msg(3, "redis %s: a command was run while a pipelined batch is queued", st->url);
        return 1;
    }
    return 0;
}

static redisReply *run_argv(struct store *st, int argc, const char **argv, const size_t *lens)
{
    redisReply *r;

    if (ensure(st) != 0) {
        return NULL;
    }
    r = redisCommandArgv(st->ctx, argc, argv, lens);
    if (r == NULL) {
        conn_failed(st);
    }
    return r;
}

/*
 * Run one command and return its reply (the caller frees it with
 * freeReplyObject), an error reply for a Redis error, or NULL at once when the
 * connection is down. lens may be NULL for NUL-terminated arguments. Not while
 * a pipelined batch is queued.
 */
redisReply *store_cmd(struct store *st, int argc, const char **argv, const size_t *lens)
{
    if (batch_open(st)) {
        return NULL;
    }
    return run_argv(st, argc, argv, lens);
}

/* As store_cmd, with a hiredis format ("SET %s %b"). */
redisReply *store_cmdf(struct store *st, const char *fmt, ...)
{
    redisReply *r;
    va_list ap;

    if (batch_open(st) || ensure(st) != 0) {
        return NULL;
    }
    va_start(ap, fmt);
    r = redisvCommand(st->ctx, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        conn_failed(st);
    }
    return r;
}

/* Scripts. */

static int is_noscript(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL &&
           strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/*
 * SCRIPT LOAD s: 0, or -1 with *fail set to Redis's error reply (a script that
 * does not compile) or NULL (connection failed).
 */
static int load_script(struct store *st, struct store_script *s, redisReply **fail)
{
    const char *argv[3] = {"SCRIPT", "LOAD", s->lua};
    redisReply *r = run_argv(st, 3, argv, NULL);

    *fail = NULL;
    if (r == NULL) {
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log_msg(3, "redis %s: cannot load script %s: %s", st->url, s->name, r->str);
        *fail = r;
        return -1;
    }
    if (r->type == REDIS_REPLY_STRING && strcmp(r->str, s->sha) != 0) {
        log_msg(3, "redis %s: script %s has SHA1 %s in Redis but %s here", st->url, s->name, r->str,
                s->sha);
    }
    freeReplyObject(r);
    return 0;
}

/* The EVALSHA argument vector for s (new arrays; nk is the caller's number buffer). */
static void eval_argv(struct store_script *s, int nkeys, int argc, const char **argv,
                      const size_t *lens, char nk[16], const char ***out_argv, size_t **out_lens)
{
    const char **av = xmalloc((size_t)(argc + 3) * sizeof(*av));
    size_t *al = xmalloc((size_t)(argc + 3) * sizeof(*al));
    int i;

    if (s->sha[0] == '\0') {
        store_script_init(s);
    }
    snprintf(nk, 16, "%d", nkeys);
    av[0] = "EVALSHA";
    al[0] = 7;
    av[1] = s->sha;
    al[1] = 40;
    av[2] = nk;
    al[2] = strlen(nk);
    for (i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        al[i + 3] = lens != NULL ? lens[i] : strlen(argv[i]);
    }
    *out_argv = av;
    *out_lens = al;
}

/*
 * Run script s with nkeys keys followed by the other arguments in argv: EVALSHA,
 * and after a NOSCRIPT error SCRIPT LOAD and EVALSHA once more. Returns the
 * reply as store_cmd does. s stays the caller's; its sha is filled if empty.
 */
redisReply *store_eval(struct store *st, struct store_script *s, int nkeys, int argc,
                       const char **argv, const size_t *lens)
{
    const char **av;
    size_t *al;
    char nk[16];
    redisReply *r;

    if (batch_open(st)) {
        return NULL;
    }
    eval_argv(s, nkeys, argc, argv, lens, nk, &av, &al);
    r = run_argv(st, argc + 3, av, al);
    if (is_noscript(r)) {
        freeReplyObject(r);
        if (load_script(st, s, &r) == 0) {
            r = run_argv(st, argc + 3, av, al);
        }
    }
    free(av);
    free(al);
    return r;
}

/* Pipelining. */

static struct pending *push_pending(struct store *st)
{
    struct pending *p;

    if (st->n_pending == 0) {
        st->pipe_failed = ensure(st) != 0;
    }
    if (st->n_pending == st->cap_pending) {
        st->cap_pending = st->cap_pending ? st->cap_pending * 2 : 64;
        st->pending = xrealloc(st->pending, st->cap_pending * sizeof(*st->pending));
    }
    p = &st->pending[st->n_pending++];
    memset(p, 0, sizeof(*p));
    return p;
}

static int append_argv(struct store *st, int argc, const char **argv, const size_t *lens)
{
    if (st->pipe_failed) {
        return -1;
    }
    if (redisAppendCommandArgv(st->ctx, argc, argv, lens) != REDIS_OK) {
        conn_failed(st);
        st->pipe_failed = 1;
        return -1;
    }
    return 0;
}

/*
 * Queue one command for store_flush. Returns 0, or -1 when the connection is
 * down; either way the command counts as appended, and the flush of a batch with
 * a failed append returns -1. Nothing is sent before store_flush.
 */
int store_append(struct store *st, int argc, const char **argv, const size_t *lens)
{
    push_pending(st);
    return append_argv(st, argc, argv, lens);
}

/*
 * Queue script s as store_append does. The arguments are copied (for the
 * NOSCRIPT re-run); s itself must stay valid until store_flush returns.
 */
int store_append_eval(struct store *st, struct store_script *s, int nkeys, int argc,
                      const char **argv, const size_t *lens)
{
    struct pending *p = push_pending(st);
    const char **av;
    size_t *al;
    char nk[16];
    size_t total = 0;
    char *at;
    int i;
    int rc;

    eval_argv(s, nkeys, argc, argv, lens, nk, &av, &al);
    rc = append_argv(st, argc + 3, av, al);
    if (rc == 0) {
        for (i = 0; i < argc + 3; i++) {
            total += al[i] + 1;
        }
        p->script = s;
        p->argc = argc + 3;
        p->argv = av;
        p->lens = al;
        p->data = xmalloc(total);
        at = p->data;
        for (i = 0; i < argc + 3; i++) {
            memcpy(at, av[i], al[i]);
            at[al[i]] = '\0';
            av[i] = at;
            at += al[i] + 1;
        }
    } else {
        free(av);
        free(al);
    }
    return rc;
}

/* Replace NOSCRIPT replies of queued evals by the results of synchronous re-runs. */
/*
 * Load the scripts whose queued EVALSHA met NOSCRIPT (someone flushed the
 * scripts while this connection was up), once each. The NOSCRIPT replies stay
 * in their slots: re-running those evals now would put them after the later
 * commands of the batch, so the caller retries them in order instead.
 */
static int reload_noscript(struct store *st, redisReply **replies, size_t n)
{
    struct store_script **loaded = NULL;
    size_t n_loaded = 0;
    size_t i;
    size_t k;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        struct pending *p = &st->pending[i];
        redisReply *fail = NULL;

        if (p->script == NULL || !is_noscript(replies[i])) {
            continue;
        }
        for (k = 0; k < n_loaded && loaded[k] != p->script; k++) {
        }
        if (k < n_loaded) {
            continue;
        }
        if (load_script(st, p->script, &fail) != 0) {
            rc = fail != NULL ? 0 : -1;
        }
        if (fail != NULL) {
            freeReplyObject(fail);
        }
        loaded = xrealloc(loaded, (n_loaded + 1) * sizeof(*loaded));
        loaded[n_loaded++] = p->script;
    }
    free(loaded);
    return rc;
}

/*
 * Send the queued commands and read their n replies into replies[] in order
 * (the caller frees each with freeReplyObject). A queued eval that failed with
 * NOSCRIPT is re-run alone after loading its script. Returns 0, or -1 with
 * every slot NULL when the connection failed or n is not the number queued.
 */
int store_send(struct store *st)
{
    int done = 0;

    if (st->pipe_failed || st->ctx == NULL) {
        return -1;
    }
    while (!done) {
        if (redisBufferWrite(st->ctx, &done) != REDIS_OK) {
            conn_failed(st);
            st->pipe_failed = 1;
            return -1;
        }
    }
    return 0;
}

int store_flush(struct store *st, redisReply **replies, size_t n)
{
    size_t i;
    int rc = -1;

    for (i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    if (n != st->n_pending) {
        log_msg(3, "redis %s: store_flush asked for %zu replies but %zu commands are queued",
                st->url, n, st->n_pending);
        if (st->ctx != NULL) {
            set_err(st, "pipelined batch out of step");
            drop(st);
        }
        goto out_clear;
    }
    if (st->pipe_failed || st->ctx == NULL) {
        goto out_clear;
    }
    for (i = 0; i < n; i++) {
        void *r = NULL;

        if (redisGetReply(st->ctx, &r) != REDIS_OK) {
            conn_failed(st);
            goto out_free;
        }
        replies[i] = r;
    }
    if (reload_noscript(st, replies, n) != 0) {
        goto out_free;
    }
    rc = 0;
    goto out_clear;

out_free:
    for (i = 0; i < n; i++) {
        if (replies[i] != NULL) {
            freeReplyObject(replies[i]);
            replies[i] = NULL;
        }
    }
out_clear:
    clear_pending(st);
    return rc;
}

/* Redis errors that pass (a busy script, a loading or failing-over server): retry later. */
int store_reply_transient(const redisReply *rep)
{
    static const char *const codes[] = {"BUSY",     "LOADING",    "MASTERDOWN",
                                        "READONLY", "TRYAGAIN",   "CLUSTERDOWN",
                                        "OOM",      "NOREPLICAS", "NOSCRIPT"};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(codes); i++) {
        size_t n = strlen(codes[i]);

        if (rep->len >= n && strncmp(rep->str, codes[i], n) == 0 &&
            (rep->str[n] == ' ' || rep->str[n] == '\0')) {
            return 1;
        }
    }
    return 0;
}
