/* SPDX-License-Identifier: MIT */
/*
 * Redis access for the core: connecting by URL (host:port, redis://host:port/db,
 * unix:/path or a socket path), reconnecting with back-off, Lua scripts run by
 * EVALSHA with the NOSCRIPT fallback, and pipelined batches.
 * A struct store is one connection for one thread.
 */
#ifndef VG_CORE_STORE_H
#define VG_CORE_STORE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* A Lua script with its SHA1, computed once. */
struct store_script {
    const char *name; /* for log messages */
    const char *lua;  /* the script text */
    char sha[41];     /* hex SHA1 of lua, filled by store_script_init */
};

/*
 * Compute s->sha from s->lua and register the script: every new connection
 * loads the registered scripts (SCRIPT LOAD) before its first command.
 */
void store_script_init(struct store_script *s);

/*
 * Join the parts (ended by NULL) of a script longer than one C string literal
 * may portably be; the result is the caller's (scripts keep theirs for good).
 */
char *store_script_join(const char *const *parts);

/*
 * A connection to url with timeout_ms for connect and each command. Returns NULL
 * with a sentence in err when the URL is malformed; an unreachable server still
 * gives a store that reconnects with back-off (store_ok() tells).
 */
struct store *store_open(const char *url, int timeout_ms, char *err, size_t err_len);
void store_close(struct store *st);
/* Connected now, trying to reconnect first if the back-off time has come: 1 or 0. */
int store_ok(struct store *st);
/* Text of the last connection error, or "". */
const char *store_error(const struct store *st);
/* Reconnections made and commands failed since open. */
uint64_t store_n_reconnects(const struct store *st);

/*
 * Run one command (binary-safe argv). Returns the reply (free with
 * freeReplyObject) or NULL when the connection failed (it will be retried later).
 * A Redis error reply is returned as a reply of type REDIS_REPLY_ERROR.
 */
redisReply *store_cmd(struct store *st, int argc, const char **argv, const size_t *lens);
/* printf-style convenience for fixed commands (hiredis format). */
redisReply *store_cmdf(struct store *st, const char *fmt, ...);
/*
 * Run a script: EVALSHA sha nkeys args..., and on NOSCRIPT load it and retry once.
 * argv holds the keys then the arguments.
 */
redisReply *store_eval(struct store *st, struct store_script *s, int nkeys, int argc,
                       const char **argv, const size_t *lens);

/* Pipelining: queue commands, then read their replies in order. */
int store_append(struct store *st, int argc, const char **argv, const size_t *lens);
int store_append_eval(struct store *st, struct store_script *s, int nkeys, int argc,
                      const char **argv, const size_t *lens);
/*
 * Write the queued commands to the server now, without reading replies, so that
 * Redis works while the caller does something else; store_flush reads them.
 * Returns 0, or -1 when the connection failed (store_flush then fails too).
 */
int store_send(struct store *st);
/*
 * Read the replies of every queued command into replies[0..n-1] (n must equal
 * the number appended). A queued script that met NOSCRIPT (the scripts were
 * flushed meanwhile) keeps its NOSCRIPT error reply, and the script is loaded,
 * so that the caller retries it, in order, with the commands after it. Returns
 * 0, or -1 when the connection failed (every slot NULL then).
 */
int store_flush(struct store *st, redisReply **replies, size_t n);

/*
 * True when an error reply passes (BUSY, LOADING, MASTERDOWN, READONLY, TRYAGAIN,
 * CLUSTERDOWN, OOM, NOREPLICAS, NOSCRIPT): the call is retried later. Other errors
 * (WRONGTYPE, NOPERM, a script error) would fail again and are not retried.
 */
int store_reply_transient(const redisReply *rep);

#endif /* VG_CORE_STORE_H */
