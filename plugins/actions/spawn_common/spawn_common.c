/* SPDX-License-Identifier: MIT */
/*
 * Running a program for an action plugin (see spawn_common.h): posix_spawn, never a shell;
 * its input is fed and its output collected through pipes while the clock runs, and at the
 * deadline its whole process group is killed.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "spawn_common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* How often the child is looked at while its output stays quiet, ms. */
#define POLL_SLICE_MS 20
/* Reads (4 KiB each) of the output at one time, so that the clock is looked at in between. */
#define DRAIN_READS 16

static void keep(struct spawnc_proc *proc, const char *buf, size_t n)
{
    size_t room = SPAWNC_OUT_MAX - proc->out_len;

    proc->out_total += n;
    if (n > room) {
        n = room;
    }
    memcpy(proc->out + proc->out_len, buf, n);
    proc->out_len += n;
    proc->out[proc->out_len] = '\0';
}

/* Read what the pipe holds without blocking; 1 when it reached its end (or failed). */
static int drain(struct vg_ctx *ctx, const struct spawnc_req *req, int fd, struct spawnc_proc *proc)
{
    char buf[4096];
    int reads = DRAIN_READS;

    while (reads > 0) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n > 0) {
            keep(proc, buf, (size_t)n);
            if (req->stream) {
                vg_action_output(ctx, buf, (size_t)n);
            }
            reads--;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
    return 0;
}

/* Write what the program takes of its input; *fd closed (-1) once all is written. */
static void feed(const struct spawnc_req *req, int *fd, size_t *written)
{
    ssize_t n = write(*fd, req->input + *written, req->input_len - *written);

    if (n > 0) {
        *written += (size_t)n;
    }
    /* vigild ignores SIGPIPE: a program that does not read its input gives EPIPE here. */
    if ((n < 0 && errno != EINTR && errno != EAGAIN) || *written == req->input_len) {
        close(*fd); /* EOF for the program */
        *fd = -1;
    }
}

static void free_env(char **env, size_t n_add)
{
    size_t i;

    for (i = 0; i < n_add; i++) {
        vg_free(env[i]);
    }
    vg_free(env);
}

/* req's variables, then those of environ they do not replace; NULL when out of memory. */
static char **make_env(const struct spawnc_req *req)
{
    size_t n = 0;
    size_t used;
    size_t i;
    size_t k;
    char **env;

    while (environ[n] != NULL) {
        n++;
    }
    env = vg_alloc((req->n_env + n + 1) * sizeof(*env));
    if (env == NULL) {
        return NULL;
    }
    for (i = 0; i < req->n_env; i++) {
        size_t len = strlen(req->env[i].name) + strlen(req->env[i].value) + 2;

        env[i] = vg_alloc(len);
        if (env[i] == NULL) {
            free_env(env, i);
            return NULL;
        }
        snprintf(env[i], len, "%s=%s", req->env[i].name, req->env[i].value);
    }
    used = req->n_env;
    for (i = 0; i < n; i++) {
        for (k = 0; k < req->n_env; k++) {
            size_t len = strlen(req->env[k].name);

            if (strncmp(environ[i], req->env[k].name, len) == 0 && environ[i][len] == '=') {
                break;
            }
        }
        if (k == req->n_env) {
            env[used++] = environ[i];
        }
    }
    env[used] = NULL;
    return env;
}

/* posix_spawnp with fds 0-2 set up, nothing else inherited, default signal state. */
static int start(struct vg_ctx *ctx, char *const argv[], char *const envp[], int in_fd, int out_fd,
                 pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t mask;
    sigset_t defs;
    int rc;

    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    /* Nothing of vigild's leaks into the program: no descriptors beyond 0-2 ... */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    /* ... no blocked signals, default dispositions (vigild blocks and ignores some). */
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

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/*
 * Feed, read and wait for pid until it is done (see spawnc_run) or the deadline; the status
 * into *status. Returns 0, or the errno of a waitpid that failed.
 */
static int watch(struct vg_ctx *ctx, const struct spawnc_req *req, pid_t pid, int *in_fd,
                 int out_fd, struct spawnc_proc *proc, int *status)
{
    size_t written = 0;
    int open_out = 1;
    int lost = 0;

    for (;;) {
        struct pollfd p[2] = {{out_fd, POLLIN, 0}, {*in_fd, POLLOUT, 0}};
        int64_t left = req->deadline_ms - vg_now_ms(ctx);
        pid_t r = 0;

        /* With until_eof the program is not reaped before its output closed. */
        if (!open_out || !req->until_eof) {
            r = waitpid(pid, status, WNOHANG);
        }
        if (r == pid || (r < 0 && errno != EINTR)) {
            lost = r != pid ? errno : 0;
            break;
        }
        if (left <= 0) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            proc->killed = 1;
            proc->out_open = open_out;
            break;
        }
        if (!open_out) {
            p[0].fd = -1; /* nothing to read: poll only waits the slice */
        }
        if (poll(p, 2, left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS) <= 0) {
            continue;
        }
        if (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
            feed(req, in_fd, &written);
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            open_out = !drain(ctx, req, out_fd, proc);
        }
    }
    /* What is left in the pipe once the program is gone; the rest is not waited for. */
    if (open_out) {
        drain(ctx, req, out_fd, proc);
    }
    return lost;
}

int spawnc_run(struct vg_ctx *ctx, const struct spawnc_req *req, struct spawnc_proc *proc)
{
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    int status = 0;
    char **env;
    pid_t pid;
    int lost;
    int rc;

    memset(proc, 0, sizeof(*proc));
    if ((req->input != NULL && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0) {
        vg_set_error(ctx, "cannot create a pipe: %s", strerror(errno));
        rc = VG_EAGAIN;
        goto out_close;
    }
    env = req->n_env > 0 ? make_env(req) : environ;
    if (env == NULL) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
        goto out_close;
    }
    rc = start(ctx, req->argv, env, in[0], out[1], &pid);
    if (env != environ) {
        free_env(env, req->n_env);
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    if (rc != VG_OK) {
        goto out_close;
    }
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    if (in[1] >= 0) {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    lost = watch(ctx, req, pid, &in[1], out[0], proc, &status);
    if (lost != 0) {
        vg_set_error(ctx, "lost track of %s (pid %d): %s", req->argv[0], (int)pid, strerror(lost));
        rc = VG_ERR;
    } else if (proc->killed) {
        proc->code = SIGKILL;
        rc = VG_ETIMEDOUT;
    } else if (WIFEXITED(status)) {
        proc->exited = 1;
        proc->code = WEXITSTATUS(status);
    } else {
        proc->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
out_close:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    return rc;
}

int spawnc_report(struct vg_ctx *ctx, const struct spawnc_proc *proc, const char *program)
{
    char s[32];

    if (proc->killed) {
        vg_action_result(ctx, "exit_status", "killed");
        return VG_ETIMEDOUT;
    }
    if (proc->exited) {
        snprintf(s, sizeof(s), "%d", proc->code);
        vg_action_result(ctx, "exit_status", s);
        if (proc->code == 0) {
            return VG_OK;
        }
        vg_set_error(ctx, "%s exited with status %d", program, proc->code);
        return VG_ERR;
    }
    snprintf(s, sizeof(s), "signal %d", proc->code);
    vg_action_result(ctx, "exit_status", s);
    vg_set_error(ctx, "%s was killed by signal %d", program, proc->code);
    return VG_ERR;
}
