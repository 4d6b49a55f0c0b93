/* SPDX-License-Identifier: MIT */
/*
 * How the action plugins that run programs (exec, db_failover, the exec backend of
 * switch_config_restore) run them, compiled into each: posix_spawn with an argv, never a
 * shell; nothing of vigild's (descriptors beyond 0-2, blocked or ignored signals) reaches
 * the program; its own process group, killed whole at the deadline; standard input from a
 * buffer or /dev/null; standard output and error through one pipe, the first bytes kept and,
 * when asked, everything copied to the action output.
 */
#ifndef VG_PLUGINS_SPAWN_COMMON_H
#define VG_PLUGINS_SPAWN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

/* Bytes of a program's output kept in struct spawnc_proc; the rest is read and counted. */
#define SPAWNC_OUT_MAX 2048

/* One variable set in a program's environment, over one of that name vigild has. */
struct spawnc_var {
    const char *name;  /* variable name */
    const char *value; /* its value */
};

/* A program to run and how. */
struct spawnc_req {
    char *const *argv;            /* program (searched in PATH without a slash), arguments, NULL */
    const struct spawnc_var *env; /* variables added to vigild's environment, or NULL */
    size_t n_env;                 /* entries of env */
    const char *input;            /* its standard input, or NULL: /dev/null */
    size_t input_len;             /* bytes of input */
    int64_t deadline_ms;          /* the clock of vg_now_ms(): its process group is killed then */
    int until_eof;                /* 1: done once its output closed and it exited; 0: exited */
    int stream;                   /* 1: all output also goes to vg_action_output() */
};

/* What became of one program run. */
struct spawnc_proc {
    int exited;                   /* 1: exited normally; code holds its status */
    int code;                     /* exit status, or the signal that ended it */
    int killed;                   /* 1: killed at the deadline (code is SIGKILL) */
    int out_open;                 /* 1: killed while its output was still open */
    char out[SPAWNC_OUT_MAX + 1]; /* first bytes of stdout and stderr, NUL-terminated */
    size_t out_len;               /* bytes in out */
    size_t out_total;             /* bytes the program wrote in all */
};

/*
 * Run req->argv and wait for it until req->deadline_ms, when its process group is killed. With
 * until_eof the run lasts until the program exited and its output closed (something it started
 * holding the output keeps it going); without, until it exited, and what is left in the pipe
 * then is read. Called on an action worker thread; blocks until the program is reaped.
 * @return VG_OK when the program ran to its end (whatever its status), VG_ETIMEDOUT when it was
 * killed, VG_ERR when it could not be started or was lost, VG_EAGAIN when no pipe could be
 * made, VG_ENOMEM (all but VG_OK and VG_ETIMEDOUT with the error set)
 */
int spawnc_run(struct vg_ctx *ctx, const struct spawnc_req *req, struct spawnc_proc *proc);

/*
 * Record how a run of `program` ended as the result "exit_status": its status, "signal N" or
 * "killed". @return VG_OK for status 0; VG_ETIMEDOUT when it was killed at the deadline (no
 * error set: the caller says what ran out); VG_ERR with the error set otherwise
 */
int spawnc_report(struct vg_ctx *ctx, const struct spawnc_proc *proc, const char *program);

#endif /* VG_PLUGINS_SPAWN_COMMON_H */
