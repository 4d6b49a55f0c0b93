/* SPDX-License-Identifier: MIT */
/*
 * The embedded redis-server: a private child process with a unix socket (and,
 * for the daemon, AOF persistence) in a state directory, started when vigild has
 * no Redis URL configured and stopped when it exits.
 */
#define _GNU_SOURCE /* close_range and pipe2 for the child */
#include "redis_embed.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
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

#include "store.h"
#include "util.h"

#define EMBED_START_MS 10000 /* how long redis_embed_start waits for PING */
#define EMBED_STOP_MS  5000  /* how long redis_embed_stop waits after SIGTERM */
#define EMBED_POLL_MS  20    /* pause between PING attempts while the child starts */

struct redis_embed {
    pid_t pid;  /* the redis-server child */
    char *sock; /* its unix socket */
};

static int mkdir_p(const char *dir)
{
    char *p = xstrdup(dir);
    char *s;
    struct stat sb;
    int rc = -1;

    for (s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                goto out_free;
            }
            *s = '/';
        }
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST) {
        goto out_free;
    }
    if (stat(p, &sb) != 0) {
        goto out_free;
    }
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        goto out_free;
    }
    rc = 0;
out_free:
    free(p);
    return rc;
}

/* The executable to run: $VIGIL_REDIS_SERVER or redis-server on PATH; NULL if none. */
static char *find_server(void)
{
    const char *name = getenv("VIGIL_REDIS_SERVER");
    const char *path = getenv("PATH");
    const char *p;

    if (name == NULL || *name == '\0') {
        name = "redis-server";
    }
    if (strchr(name, '/') != NULL) {
        return xstrdup(name);
    }
    if (path == NULL || *path == '\0') {
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    }
    for (p = path; *p != '\0';) {
        size_t n = strcspn(p, ":");
        char *cand = n > 0 ? xasprintf("%.*s/%s", (int)n, p, name) : xasprintf("./%s", name);

        if (access(cand, X_OK) == 0) {
            return cand;
        }
        free(cand);
        p += n;
        if (*p == ':') {
            p++;
        }
    }
    return NULL;
}

/* 2 when a server on sock answers PONG, 1 for another reply (loading), 0 for none. */
static int ping_socket(const char *sock, int timeout_ms)
{
    redisContext *c = redisConnectUnixWithTimeout(sock, time_ms_tv(timeout_ms));
    redisReply *r;
    int rc = 0;

    if (c == NULL) {
        return 0;
    }
    if (c->err == 0 && redisSetTimeout(c, time_ms_tv(timeout_ms)) == REDIS_OK) {
        r = redisCommand(c, "PING");
        if (r != NULL) {
            rc = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0 ? 2 : 1;
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return rc;
}

/* The last lines of the server's log file joined by " | ", or "(empty)". */
static void log_tail(const char *path, char *out, size_t out_len)
{
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    ssize_t n = 0;
    char *start;
    int lines = 0;
    char *s;

    snprintf(out, out_len, "(empty)");
    if (fd < 0) {
        return;
    }
    if (fstat(fd, &sb) == 0 && sb.st_size > (off_t)sizeof(buf) - 1) {
        lseek(fd, sb.st_size - (off_t)sizeof(buf) + 1, SEEK_SET);
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';
    start = buf;
    for (s = buf + n; s > buf; s--) {
        if (s[-1] == '\n' && ++lines == 3) {
            start = s;
            break;
        }
    }
    for (s = start; *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r') {
            *s = ' ';
        }
    }
    if (*start != '\0') {
        snprintf(out, out_len, "%s", start);
    }
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void exec_child(const char *exe, char **argv, int log_fd, int report_fd, pid_t parent)
{
    struct sigaction sa;
    sigset_t none;
    int fd;
    int e;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* The server must not outlive vigild, and terminal signals are vigild's to handle. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(1);
    }
    setpgid(0, 0);
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 0);
    }
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (fd = 3; fd < 4096; fd++) {
            if (fd != report_fd) {
                close(fd);
            }
        }
    }
    execv(exe, argv);
    e = errno;
    if (write(report_fd, &e, sizeof(e)) < 0) {
        _exit(126);
    }
    _exit(127);
}

/* Fork and exec exe; the child's output goes to log_path. The pid, or -1 with err. */
static pid_t spawn(const char *exe, char **argv, const char *log_path, char *err, size_t err_len)
{
    pid_t parent = getpid();
    int pfd[2];
    int log_fd;
    int child_errno;
    ssize_t n;
    pid_t pid;

    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        snprintf(err, err_len, "cannot open %s: %s", log_path, strerror(errno));
        return -1;
    }
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, err_len, "cannot create a pipe: %s", strerror(errno));
        close(log_fd);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        exec_child(exe, argv, log_fd, pfd[1], parent);
    }
    close(pfd[1]);
    close(log_fd);
    if (pid < 0) {
        snprintf(err, err_len, "cannot fork: %s", strerror(errno));
        close(pfd[0]);
        return -1;
    }
    do {
        n = read(pfd[0], &child_errno, sizeof(child_errno));
    } while (n < 0 && errno == EINTR);
    close(pfd[0]);
    if (n == (ssize_t)sizeof(child_errno)) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        snprintf(err, err_len, "cannot execute %s: %s", exe, strerror(child_errno));
        return -1;
    }
    return pid;
}

static void pause_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void describe_status(int status, char *out, size_t out_len)
{
    if (WIFEXITED(status)) {
        snprintf(out, out_len, "exit status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(out, out_len, "signal %d", WTERMSIG(status));
    } else {
        snprintf(out, out_len, "status %d", status);
    }
}

/* Wait until the child answers PONG on sock: 0, or -1 with err (the child is reaped). */
static int await_ping(pid_t pid, const char *sock, const char *log_path, char *err, size_t err_len)
{
    int64_t deadline = time_mono_ms() + EMBED_START_MS;
    char tail[1024];
    char how[64];
    int status;
    pid_t w;

    for (;;) {
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            describe_status(status, how, sizeof(how));
            log_tail(log_path, tail, sizeof(tail));
            snprintf(err, err_len, "redis-server exited with %s before answering on %s; %s: %s",
                     how, sock, log_path, tail);
            return -1;
        }
        if (ping_socket(sock, 500) == 2) {
            return 0;
        }
        if (time_mono_ms() >= deadline) {
            break;
        }
        pause_ms(EMBED_POLL_MS);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    log_tail(log_path, tail, sizeof(tail));
    snprintf(err, err_len, "redis-server did not answer on %s within %d s; %s: %s", sock,
             EMBED_START_MS / 1000, log_path, tail);
    return -1;
}

/* Check the socket path is free: remove a stale socket, refuse a live server. */
static int claim_socket(const char *sock, char *err, size_t err_len)
{
    struct stat sb;

    if (lstat(sock, &sb) != 0) {
        return 0;
    }
    if (!S_ISSOCK(sb.st_mode)) {
        snprintf(err, err_len,
                 "%s exists and is not a socket; remove it or use another state "
                 "directory",
                 sock);
        return -1;
    }
    if (ping_socket(sock, 1000) > 0) {
        snprintf(err, err_len,
                 "a redis-server that this process did not start already runs on "
                 "%s; stop it or use another state directory",
                 sock);
        return -1;
    }
    if (unlink(sock) != 0 && errno != ENOENT) {
        snprintf(err, err_len, "cannot remove the stale socket %s: %s", sock, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Start a private redis-server (unix socket and, when persist, AOF in state_dir;
 * no TCP port)
 * and wait until it answers PING. The child gets SIGTERM when the calling
 * thread exits (PR_SET_PDEATHSIG), so call it from a thread that lives as long
 * as the server should. Returns the handle (free it with redis_embed_stop) and
 * "unix:<dir>/redis.sock" in url, or NULL with one sentence in err.
 */
struct redis_embed *redis_embed_start(const char *state_dir, int persist, char *url, size_t url_len,
                                      char *err, size_t err_len)
{
    struct redis_embed *e = NULL;
    char *dir = NULL;
    char *sock = NULL;
    char *log_path = NULL;
    char *exe = NULL;
    pid_t pid;
    int n;

    if (mkdir_p(state_dir) != 0) {
        snprintf(err, err_len, "cannot create the state directory %s: %s", state_dir,
                 strerror(errno));
        return NULL;
    }
    dir = realpath(state_dir, NULL);
    if (dir == NULL) {
        snprintf(err, err_len, "cannot resolve the state directory %s: %s", state_dir,
                 strerror(errno));
        return NULL;
    }
    sock = xasprintf("%s/redis.sock", dir);
    log_path = xasprintf("%s/redis.log", dir);
    if (strlen(sock) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
        snprintf(err, err_len,
                 "the socket path %s is too long for a unix socket; use a shorter "
                 "state directory",
                 sock);
        goto out_free;
    }
    n = snprintf(url, url_len, "unix:%s", sock);
    if (n < 0 || (size_t)n >= url_len) {
        snprintf(err, err_len, "the URL buffer is too small for unix:%s", sock);
        goto out_free;
    }
    if (claim_socket(sock, err, err_len) != 0) {
        goto out_free;
    }
    exe = find_server();
    if (exe == NULL) {
        snprintf(err, err_len,
                 "cannot find redis-server on PATH; install it or set "
                 "VIGIL_REDIS_SERVER");
        goto out_free;
    }
    {
        char *argv[] = {exe,
                        "--port",
                        "0",
                        "--unixsocket",
                        sock,
                        "--unixsocketperm",
                        "700",
                        "--dir",
                        dir,
                        "--appendonly",
                        persist ? "yes" : "no",
                        "--appendfsync",
                        "everysec",
                        "--save",
                        "",
                        "--daemonize",
                        "no",
                        "--logfile",
                        log_path,
                        NULL};

        pid = spawn(exe, argv, log_path, err, err_len);
    }
    if (pid < 0 || await_ping(pid, sock, log_path, err, err_len) != 0) {
        goto out_free;
    }
    e = xcalloc(1, sizeof(*e));
    e->pid = pid;
    e->sock = sock;
    sock = NULL;
out_free:
    free(exe);
    free(log_path);
    free(sock);
    free(dir);
    return e;
}

/*
 * Stop the server: SIGTERM (it writes its AOF and exits), SIGKILL after 5 s,
 * then reap it and free e. NULL is ignored.
 */
void redis_embed_stop(struct redis_embed *e)
{
    int64_t deadline;
    pid_t w = 0;

    if (e == NULL) {
        return;
    }
    if (kill(e->pid, SIGTERM) == 0) {
        deadline = time_mono_ms() + EMBED_STOP_MS;
        for (;;) {
            w = waitpid(e->pid, NULL, WNOHANG);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w != 0 || time_mono_ms() >= deadline) {
                break;
            }
            pause_ms(10);
        }
        if (w == 0) {
            log_msg(4, "redis-server %d did not stop within %d s; killing it", (int)e->pid,
                    EMBED_STOP_MS / 1000);
            kill(e->pid, SIGKILL);
            while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR) {
            }
            unlink(e->sock);
        }
    }
    free(e->sock);
    free(e);
}

/* The server's process id. */
int redis_embed_pid(const struct redis_embed *e)
{
    return (int)e->pid;
}
