/* SPDX-License-Identifier: MIT */
/*
 * Running the promote and check programs of db_failover: posix_spawn, never a
 * shell; nothing of vigild's (descriptors, blocked or ignored signals) reaches
 * the program; its output is collected through a pipe while the clock runs,
 * and at the deadline its whole process group is killed.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often the child is looked at while its output stays quiet, ms. */
#define POLL_SLICE_MS 20

static void keep(struct db_failover_proc *proc, const char *buf, size_t n)
{
    size_t room = DB_FAILOVER_OUT_MAX - proc->out_len;

    if (n > room) {
        n = room;
    }
    memcpy(proc->out + proc->out_len, buf, n);
    proc->out_len += n;
    proc->out[proc->out_len] = '\0';
}

/* Read what is there without blocking; 1 when the pipe reached its end. */
static int drain(int fd, struct db_failover_proc *proc)
{
    char buf[4096];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n > 0) {
            keep(proc, buf, (size_t)n);
            proc->out_total += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

static int start(struct vg_ctx *ctx, char *const argv[], char *const envp[], int out_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t mask;
    sigset_t defs;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    sigemptyset(&mask);
    sigemptyset(&defs);
    sigaddset(&defs, SIGPIPE);
    sigaddset(&defs, SIGHUP);
    sigaddset(&defs, SIGINT);
    sigaddset(&defs, SIGTERM);
    sigaddset(&defs, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &defs);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        vg_set_error(ctx, "cannot run %s: %s", argv[0], strerror(rc));
        return VG_ERR;
    }
    return VG_OK;
}

int db_failover_spawn(struct vg_ctx *ctx, char *const argv[], char *const envp[],
                      int64_t deadline_ms, struct db_failover_proc *proc)
{
    int fds[2];
    int open_out = 1;
    int status = 0;
    int lost = 0; /* errno of a waitpid that failed */
    pid_t pid;
    int rc;

    memset(proc, 0, sizeof(*proc));
    if (pipe2(fds, O_CLOEXEC) != 0) {
        vg_set_error(ctx, "cannot create a pipe: %s", strerror(errno));
        return VG_EAGAIN;
    }
    rc = start(ctx, argv, envp, fds[1], &pid);
    close(fds[1]);
    if (rc != VG_OK) {
        close(fds[0]);
        return rc;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    /*
     * The program is reaped when it exits even if something it started still holds
     * the pipe: what is left in the pipe then is read, and the rest is not waited for.
     */
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        int64_t left = deadline_ms - vg_now_ms(ctx);
        pid_t r;

        r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            lost = r != pid ? errno : 0;
            if (open_out) {
                drain(fds[0], proc);
            }
            break;
        }
        if (left <= 0) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (open_out) {
                drain(fds[0], proc);
            }
            proc->killed = 1;
            break;
        }
        if (!open_out) {
            p.fd = -1; /* nothing to read: poll only waits the slice */
        }
        if (poll(&p, 1, left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS) > 0 &&
            (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            open_out = !drain(fds[0], proc);
        }
    }
    close(fds[0]);
    if (lost) {
        vg_set_error(ctx, "lost track of %s (pid %d): %s", argv[0], (int)pid, strerror(lost));
        return VG_ERR;
    }
    if (proc->killed) {
        proc->exited = 0;
        proc->code = SIGKILL;
        return VG_ETIMEDOUT;
    }
    if (WIFEXITED(status)) {
        proc->exited = 1;
        proc->code = WEXITSTATUS(status);
    } else {
        proc->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return VG_OK;
}
