/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "exec": runs a program (argv, no shell) with the incident
 * record as JSON on its standard input and VIGIL_* variables in its
 * environment. Its exit status and an excerpt of its output go into the
 * incident history; a program still running at the deadline is killed with
 * its whole process group.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;
extern char **environ;

struct exec_config {
    struct vg_strlist argv; /* program and arguments */
    int64_t timeout_ms;     /* deadline for one run */
    int64_t retry_status;   /* exit status that asks for a retry (0: none) */
};

static const struct vg_option exec_options[] = {
    {"argv", VG_OPT_STRLIST, NULL, VG_OPT_REQUIRED, offsetof(struct exec_config, argv),
     "program and its arguments, run without a shell; the incident JSON arrives on stdin"},
    {"timeout", VG_OPT_DURATION, "10s", 0, offsetof(struct exec_config, timeout_ms),
     "kill the program (and its process group) if it runs longer"},
    {"retry_status", VG_OPT_INT, "75", 0, offsetof(struct exec_config, retry_status),
     "exit status meaning \"failed for now, try again\" (75 is EX_TEMPFAIL; 0: never retry)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

static int exec_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct exec_config *cfg = config;

    if (cfg->argv.n == 0 || cfg->argv.items[0][0] == '\0') {
        vg_set_error(ctx, "argv must name a program");
        return VG_EINVAL;
    }
    if (cfg->timeout_ms <= 0) {
        vg_set_error(ctx, "timeout must be positive");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* A copy of environ plus the VIGIL_* variables of this call; freed with free_env. */
static char **make_env(const struct vg_action_call *call)
{
    struct vg_str id = vg_call_incident_id(call);
    size_t n = 0;
    size_t i;
    char **env;

    while (environ[n] != NULL) {
        n++;
    }
    env = vg_alloc((n + 3) * sizeof(*env));
    if (env == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        env[i] = environ[i];
    }
    env[n] = vg_alloc(id.len + 24);
    env[n + 1] = vg_alloc(40);
    env[n + 2] = NULL;
    if (env[n] == NULL || env[n + 1] == NULL) {
        vg_free(env[n]);
        vg_free(env[n + 1]);
        vg_free(env);
        return NULL;
    }
    snprintf(env[n], id.len + 24, "VIGIL_INCIDENT_ID=%.*s", (int)id.len, id.ptr);
    snprintf(env[n + 1], 40, "VIGIL_TRANSITION=%s", tr_names[vg_call_transition(call) % 5]);
    return env;
}

static void free_env(char **env)
{
    size_t n = 0;

    while (env[n] != NULL) {
        n++;
    }
    vg_free(env[n - 1]);
    vg_free(env[n - 2]);
    vg_free(env);
}

/*
 * Feed stdin and collect stdout/stderr until both close or the deadline passes.
 * Closes *in_fdp (setting it to -1) once the input is written. Returns 0,
 * VG_ETIMEDOUT or VG_EIO.
 */
static int pump(struct vg_ctx *ctx, int *in_fdp, int out_fd, struct vg_str input, int64_t deadline)
{
    int in_fd = *in_fdp;
    size_t written = 0;
    char buf[4096];
    int open_out = 1;

    while (open_out) {
        struct pollfd p[2];
        int np = 0;
        int64_t left = deadline - vg_now_ms(ctx);
        int rc;

        if (left <= 0) {
            return VG_ETIMEDOUT;
        }
        p[np].fd = out_fd;
        p[np].events = POLLIN;
        np++;
        if (in_fd >= 0) {
            p[np].fd = in_fd;
            p[np].events = POLLOUT;
            np++;
        }
        rc = poll(p, (nfds_t)np, left > 1000 ? 1000 : (int)left);
        if (rc < 0 && errno != EINTR) {
            return VG_EIO;
        }
        if (rc <= 0) {
            continue;
        }
        if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in_fd, input.ptr + written, input.len - written);

            if (n > 0) {
                written += (size_t)n;
            }
            if (n < 0 || written == input.len) {
                close(in_fd); /* EOF for the program; EPIPE when it does not read */
                in_fd = -1;
                *in_fdp = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(out_fd, buf, sizeof(buf));

            if (n > 0) {
                vg_action_output(ctx, buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                open_out = 0;
            }
        }
    }
    return VG_OK;
}

/* Wait for pid until the deadline; 0 when reaped (status set), -1 when time ran out. */
static int reap(struct vg_ctx *ctx, pid_t pid, int64_t deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        struct timespec ts = {0, 10 * 1000000L};

        if (r == pid || (r < 0 && errno != EINTR)) {
            return 0;
        }
        if (vg_now_ms(ctx) >= deadline) {
            return -1;
        }
        nanosleep(&ts, NULL);
    }
}

static int exec_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct exec_config *cfg = state;
    int64_t deadline = vg_now_ms(ctx) + cfg->timeout_ms;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t mask;
    sigset_t defs;
    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    char status_s[32];
    char **env = NULL;
    pid_t pid;
    int status = 0;
    int rc;

    if (vg_call_deadline_ms(call) > 0 && vg_call_deadline_ms(call) < deadline) {
        deadline = vg_call_deadline_ms(call);
    }
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
        vg_set_error(ctx, "cannot create pipes: %s", strerror(errno));
        rc = VG_EAGAIN;
        goto out_close;
    }
    env = make_env(call);
    if (env == NULL) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
        goto out_close;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
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
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &defs);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    rc = posix_spawnp(&pid, cfg->argv.items[0], &fa, &attr,
                      (char *const *)(uintptr_t)cfg->argv.items, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free_env(env);
    if (rc != 0) {
        vg_set_error(ctx, "cannot run %s: %s", cfg->argv.items[0], strerror(rc));
        rc = VG_ERR;
        goto out_close;
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_pipe[0] = -1;
    out_pipe[1] = -1;
    /* vigild ignores SIGPIPE: a program that does not read its stdin gives EPIPE here. */
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    rc = pump(ctx, &in_pipe[1], out_pipe[0], vg_call_incident_json(call), deadline);
    if (rc == VG_ETIMEDOUT) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        vg_set_error(ctx, "%s did not finish within %lld ms: killed", cfg->argv.items[0],
                     (long long)cfg->timeout_ms);
        vg_action_result(ctx, "exit_status", "killed");
        goto out_close;
    }
    /* Output closed does not mean exited: the deadline holds until the program is reaped. */
    if (reap(ctx, pid, deadline, &status) != 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        vg_set_error(ctx, "%s did not exit within %lld ms: killed", cfg->argv.items[0],
                     (long long)cfg->timeout_ms);
        vg_action_result(ctx, "exit_status", "killed");
        rc = VG_ETIMEDOUT;
        goto out_close;
    }
    if (WIFEXITED(status)) {
        snprintf(status_s, sizeof(status_s), "%d", WEXITSTATUS(status));
        vg_action_result(ctx, "exit_status", status_s);
        rc = WEXITSTATUS(status) == 0 ? VG_OK : VG_ERR;
        if (cfg->retry_status != 0 && WEXITSTATUS(status) == cfg->retry_status) {
            /* The dispatcher retries it with back-off, up to the action's retries. */
            rc = VG_EAGAIN;
        }
        if (rc != VG_OK) {
            vg_set_error(ctx, "%s exited with status %d", cfg->argv.items[0], WEXITSTATUS(status));
        }
    } else {
        snprintf(status_s, sizeof(status_s), "signal %d", WTERMSIG(status));
        vg_action_result(ctx, "exit_status", status_s);
        vg_set_error(ctx, "%s was killed by signal %d", cfg->argv.items[0], WTERMSIG(status));
        rc = VG_ERR;
    }
out_close:
    if (in_pipe[0] >= 0) {
        close(in_pipe[0]);
    }
    if (in_pipe[1] >= 0) {
        close(in_pipe[1]);
    }
    if (out_pipe[0] >= 0) {
        close(out_pipe[0]);
    }
    if (out_pipe[1] >= 0) {
        close(out_pipe[1]);
    }
    return rc;
}

static const struct vg_plugin exec_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "exec",
    .version = "1.0.0",
    .description = "run a program with the incident JSON on stdin (no shell)",
    .options = exec_options,
    .config_size = sizeof(struct exec_config),
    .create = exec_create,
    .run = exec_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &exec_plugin);
}
