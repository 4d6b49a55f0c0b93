/* SPDX-License-Identifier: MIT */
/*
 * The db_failover plugin's way of running a program: posix_spawn with an
 * argv (no shell), standard input from /dev/null, no inherited descriptors,
 * default signal state, its own process group, the first bytes of its
 * output kept, and the whole group killed at a deadline.
 */
#ifndef VG_PLUGINS_DB_FAILOVER_SPAWN_H
#define VG_PLUGINS_DB_FAILOVER_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

/* Bytes of a program's output kept; the rest is read and counted. */
#define DB_FAILOVER_OUT_MAX 2048

/* What became of one program run. */
struct db_failover_proc {
    int exited;                        /* 1: exited normally; code holds its status */
    int code;                          /* exit status, or the signal that ended it */
    int killed;                        /* 1: killed at the deadline */
    char out[DB_FAILOVER_OUT_MAX + 1]; /* first bytes of stdout and stderr, NUL-terminated */
    size_t out_len;                    /* bytes in out */
    size_t out_total;                  /* bytes the program wrote in all */
};

/*
 * Run argv (argv[0] searched in PATH when it has no slash) with envp, standard
 * input /dev/null, standard output and error into one pipe, and wait for it
 * until deadline_ms (the clock of vg_now_ms()); at the deadline its process
 * group is killed. Called on an action worker thread; blocks until the program
 * is reaped. Returns VG_OK when the program ran to its end (whatever its
 * status), VG_ETIMEDOUT when it was killed, VG_ERR when it could not be started
 * and VG_EAGAIN when no pipe could be made (both with the error set).
 */
int db_failover_spawn(struct vg_ctx *ctx, char *const argv[], char *const envp[],
                      int64_t deadline_ms, struct db_failover_proc *proc);

#endif /* VG_PLUGINS_DB_FAILOVER_SPAWN_H */
