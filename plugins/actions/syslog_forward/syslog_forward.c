/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "syslog_forward": each incident record it is called for goes
 * to a syslog receiver (the NOC's existing pipeline) as one RFC 5424 message:
 * PRI from the incident's severity, MSGID the transition, the incident's id,
 * class, transition, rule and host as structured data, and the record as JSON (or a
 * one-line text) as the message. UDP sends one datagram per message; TCP
 * frames with octet counting (RFC 6587) or a line feed and keeps its
 * connection between calls, reconnecting after an error.
 */
#define _GNU_SOURCE /* MSG_NOSIGNAL, SOCK_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

/* The IANA private enterprise number of the structured-data element (the example one). */
#define SD_ID "vigil@32473"
/* Smallest message a receiver must accept (RFC 5424 6.1) and the largest UDP payload. */
#define SIZE_MIN     480
#define SIZE_MAX_UDP 65507
#define SIZE_MAX_TCP (1024 * 1024)

struct syslog_forward_config {
    const char *target;   /* "udp://HOST:PORT" or "tcp://HOST:PORT" */
    const char *facility; /* facility name: kern .. local7 */
    const char *app_name; /* APP-NAME of the messages */
    const char *hostname; /* HOSTNAME of the messages; NULL: this host's name */
    const char *framing;  /* TCP: "octet-counting" or "lf" */
    const char *format;   /* "json": the record; "text": one line */
    int64_t max_size;     /* bytes of one message at most */
};

static const struct vg_option syslog_forward_options[] = {
    {"target", VG_OPT_STR, "\"udp://127.0.0.1:514\"", 0,
     offsetof(struct syslog_forward_config, target),
     "receiver as udp://HOST:PORT or tcp://HOST:PORT (IPv6 as [ADDR]:PORT)"},
    {"facility", VG_OPT_STR, "\"local5\"", 0, offsetof(struct syslog_forward_config, facility),
     "syslog facility name (kern, user, daemon, auth, ..., local0 .. local7)"},
    {"app_name", VG_OPT_STR, "\"vigil\"", 0, offsetof(struct syslog_forward_config, app_name),
     "APP-NAME of the messages (printable ASCII, at most 48 bytes)"},
    {"hostname", VG_OPT_STR, NULL, 0, offsetof(struct syslog_forward_config, hostname),
     "HOSTNAME of the messages; unset: this host's name"},
    {"framing", VG_OPT_STR, "\"octet-counting\"", 0,
     offsetof(struct syslog_forward_config, framing),
     "TCP framing: octet-counting (RFC 6587) or lf (one message per line)"},
    {"format", VG_OPT_STR, "\"json\"", 0, offsetof(struct syslog_forward_config, format),
     "MSG: json (the incident record) or text (TRANSITION incident ID CLASS SEVERITY TITLE)"},
    {"max_size", VG_OPT_INT, "8192", 0, offsetof(struct syslog_forward_config, max_size),
     "bytes of one message at most; a longer MSG is cut and the cut counted"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* One instance: the parsed options and the connection kept between calls. */
struct syslog_forward_state {
    const struct syslog_forward_config *cfg; /* the options */
    int tcp;                                 /* 1: TCP, 0: UDP */
    int lf;                                  /* TCP: frame with a line feed */
    int text;                                /* MSG as one line of text */
    int facility;                            /* 0 .. 23 */
    char host[256];                          /* receiver host or address */
    char port[8];                            /* receiver port */
    char hostname[256];                      /* HOSTNAME field */
    pthread_mutex_t lock;                    /* guards fd and the counters */
    int fd;                                  /* connected socket, or -1 */
    unsigned long n_truncated;               /* messages cut to max_size */
};

static const char *const facilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
};

static const char *const transitions[] = {"open", "update", "escalate", "resolve", "close"};

/* RFC 5424 PRINTUSASCII, 1..max bytes. */
static int printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > max) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) {
            return 0;
        }
    }
    return 1;
}

/* Split "udp://HOST:PORT" into the state; VG_EINVAL with the error set. */
static int parse_target(struct vg_ctx *ctx, struct syslog_forward_state *st, const char *target)
{
    const char *hp;
    const char *colon;
    const char *host;
    size_t host_len;

    if (strncmp(target, "udp://", 6) == 0) {
        st->tcp = 0;
    } else if (strncmp(target, "tcp://", 6) == 0) {
        st->tcp = 1;
    } else {
        vg_set_error(ctx, "target \"%s\" is not udp://HOST:PORT or tcp://HOST:PORT", target);
        return VG_EINVAL;
    }
    hp = target + 6;
    if (hp[0] == '[') {
        const char *end = strchr(hp, ']');

        if (end == NULL || (end[1] != ':' && end[1] != '\0')) {
            vg_set_error(ctx, "target \"%s\": malformed [IPv6 address]", target);
            return VG_EINVAL;
        }
        host = hp + 1;
        host_len = (size_t)(end - host);
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strrchr(hp, ':');
        host = hp;
        host_len = colon != NULL ? (size_t)(colon - hp) : strlen(hp);
    }
    if (host_len == 0 || host_len >= sizeof(st->host)) {
        vg_set_error(ctx, "target \"%s\" names no host", target);
        return VG_EINVAL;
    }
    memcpy(st->host, host, host_len);
    st->host[host_len] = '\0';
    if (colon == NULL) {
        snprintf(st->port, sizeof(st->port), "514");
    } else {
        char *end;
        long port = strtol(colon + 1, &end, 10);

        if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
            vg_set_error(ctx, "target \"%s\": the port is not 1..65535", target);
            return VG_EINVAL;
        }
        snprintf(st->port, sizeof(st->port), "%ld", port);
    }
    return VG_OK;
}

static int check_options(struct vg_ctx *ctx, struct syslog_forward_state *st,
                         const struct syslog_forward_config *cfg)
{
    size_t i;

    st->facility = -1;
    for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strcmp(cfg->facility, facilities[i]) == 0) {
            st->facility = (int)i;
        }
    }
    if (st->facility < 0) {
        vg_set_error(ctx, "facility \"%s\" is not a syslog facility name (kern .. local7)",
                     cfg->facility);
        return VG_EINVAL;
    }
    if (!printable(cfg->app_name, 48)) {
        vg_set_error(ctx, "app_name must be 1..48 printable ASCII characters without spaces");
        return VG_EINVAL;
    }
    if (strcmp(cfg->framing, "octet-counting") != 0 && strcmp(cfg->framing, "lf") != 0) {
        vg_set_error(ctx, "framing \"%s\" is not octet-counting or lf", cfg->framing);
        return VG_EINVAL;
    }
    st->lf = strcmp(cfg->framing, "lf") == 0;
    if (strcmp(cfg->format, "json") != 0 && strcmp(cfg->format, "text") != 0) {
        vg_set_error(ctx, "format \"%s\" is not json or text", cfg->format);
        return VG_EINVAL;
    }
    st->text = strcmp(cfg->format, "text") == 0;
    if (cfg->max_size < SIZE_MIN || cfg->max_size > (st->tcp ? SIZE_MAX_TCP : SIZE_MAX_UDP)) {
        vg_set_error(ctx, "max_size %lld is not %d..%d for %s", (long long)cfg->max_size, SIZE_MIN,
                     st->tcp ? SIZE_MAX_TCP : SIZE_MAX_UDP, st->tcp ? "TCP" : "UDP");
        return VG_EINVAL;
    }
    if (cfg->hostname != NULL) {
        snprintf(st->hostname, sizeof(st->hostname), "%s", cfg->hostname);
    } else if (gethostname(st->hostname, sizeof(st->hostname) - 1) != 0 ||
               st->hostname[0] == '\0') {
        snprintf(st->hostname, sizeof(st->hostname), "-");
    }
    if (!printable(st->hostname, 255)) {
        vg_set_error(ctx, "hostname must be 1..255 printable ASCII characters without spaces");
        return VG_EINVAL;
    }
    return VG_OK;
}

static int syslog_forward_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct syslog_forward_config *cfg = config;
    struct syslog_forward_state *st = vg_alloc(sizeof(*st));

    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->cfg = cfg;
    st->fd = -1;
    if (parse_target(ctx, st, cfg->target) != VG_OK || check_options(ctx, st, cfg) != VG_OK) {
        vg_free(st);
        return VG_EINVAL;
    }
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return VG_OK;
}

static void syslog_forward_destroy(void *state)
{
    struct syslog_forward_state *st = state;

    if (st->fd >= 0) {
        close(st->fd);
    }
    pthread_mutex_destroy(&st->lock);
    vg_free(st);
}

/* ---- the message ---- */

/* A growable byte buffer from vg_alloc; oom set on a failed allocation. */
struct buf {
    char *p;    /* bytes, NUL-terminated when len > 0 */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
    int oom;    /* an allocation failed; p stays as it was */
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = vg_alloc(cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        if (b->len > 0) {
            memcpy(p, b->p, b->len);
        }
        vg_free(b->p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_s(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* An SD-PARAM: NAME="VALUE" with ", \ and ] escaped (RFC 5424 6.3.3). */
static void put_param(struct buf *b, const char *name, const char *v, size_t n)
{
    size_t i;

    put_s(b, " ");
    put_s(b, name);
    put_s(b, "=\"");
    for (i = 0; i < n; i++) {
        if (v[i] == '"' || v[i] == '\\' || v[i] == ']') {
            put(b, "\\", 1);
        }
        put(b, v + i, 1);
    }
    put_s(b, "\"");
}

/* PRI severity of an incident severity name. */
static int pri_severity(const char *sev)
{
    static const char *const names[] = {"critical", "high", "medium", "low", "info"};
    int i;

    for (i = 0; sev != NULL && i < 5; i++) {
        if (strcmp(sev, names[i]) == 0) {
            return 2 + i;
        }
    }
    return 5;
}

/* The record's @timestamp when it has RFC 3339 shape, else now, with milliseconds. */
static void timestamp(struct vg_ctx *ctx, const struct vg_action_call *call, char *out, size_t len)
{
    struct vg_str t = vg_call_field(call, "@timestamp");
    int64_t now = vg_now_ms(ctx);
    time_t secs = (time_t)(now / 1000);
    struct tm tm;

    if (t.ptr != NULL && t.len >= 20 && t.len < len && t.ptr[4] == '-' && t.ptr[10] == 'T' &&
        printable(t.ptr, 40)) {
        memcpy(out, t.ptr, t.len + 1);
        return;
    }
    gmtime_r(&secs, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now % 1000));
}

/* Cut n bytes of s back to a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}

/* A field of the record for the SD element: checked as text. */
static int sd_value(struct vg_ctx *ctx, const struct vg_action_call *call, const char *path,
                    struct vg_str *v)
{
    *v = vg_call_field(call, path);
    if (v->ptr == NULL) {
        v->ptr = "";
        v->len = 0;
        return VG_OK;
    }
    return vg_value_check(ctx, VG_VAL_TEXT, path, v->ptr, v->len);
}

/*
 * Build the message (without framing) into b. Sets *cut to the bytes of MSG
 * left out to keep the message within max_size. VG_EINVAL for a refused value.
 */
static int build(struct vg_ctx *ctx, struct syslog_forward_state *st,
                 const struct vg_action_call *call, struct buf *b, size_t *cut)
{
    static const char *const sd_paths[] = {"incident.id", "incident.class", "rule.name",
                                           "incident.key.host.name"};
    struct vg_str sev = vg_call_field(call, "incident.severity");
    const char *tr = transitions[(unsigned)vg_call_transition(call) % 5];
    struct vg_str sd[4];
    struct buf msg = {NULL, 0, 0, 0};
    char sev_s[16];
    char head[600];
    char ts[48];
    size_t room;
    size_t mark;
    int i;

    for (i = 0; i < 4; i++) {
        if (sd_value(ctx, call, sd_paths[i], &sd[i]) != VG_OK) {
            return VG_EINVAL;
        }
    }
    snprintf(sev_s, sizeof(sev_s), "%.*s", sev.ptr != NULL ? (int)sev.len : 0,
             sev.ptr != NULL ? sev.ptr : "");
    if (!printable(sev_s, sizeof(sev_s) - 1)) {
        snprintf(sev_s, sizeof(sev_s), "-");
    }
    timestamp(ctx, call, ts, sizeof(ts));
    snprintf(head, sizeof(head), "<%d>1 %s %s %s %d %s [" SD_ID,
             st->facility * 8 + pri_severity(sev_s), ts, st->hostname, st->cfg->app_name,
             (int)getpid(), tr);
    put_s(b, head);
    put_param(b, "id", sd[0].ptr, sd[0].len);
    put_param(b, "class", sd[1].ptr, sd[1].len);
    put_param(b, "transition", tr, strlen(tr));
    put_param(b, "rule", sd[2].ptr, sd[2].len);
    if (sd[3].len > 0) {
        put_param(b, "host", sd[3].ptr, sd[3].len); /* event text: escaped */
    }
    mark = b->len; /* a truncated="N" parameter goes here */
    if (st->text) {
        struct vg_str title = vg_call_field(call, "incident.title");

        if (title.ptr != NULL &&
            vg_value_check(ctx, VG_VAL_TEXT, "incident.title", title.ptr, title.len) != VG_OK) {
            return VG_EINVAL;
        }
        put_s(&msg, tr);
        put_s(&msg, " incident ");
        put(&msg, sd[0].ptr, sd[0].len);
        put_s(&msg, " ");
        put(&msg, sd[1].len > 0 ? sd[1].ptr : "-", sd[1].len > 0 ? sd[1].len : 1);
        put_s(&msg, " ");
        put_s(&msg, sev_s[0] != '\0' ? sev_s : "-");
        put_s(&msg, " ");
        if (title.ptr != NULL) {
            put(&msg, title.ptr, title.len);
        }
    } else {
        struct vg_str json = vg_call_incident_json(call);

        /* The core's JSON escapes every control character: no line feed can end up here. */
        put(&msg, json.ptr, json.len);
    }
    *cut = 0;
    /* 2 for "] ", 40 for a truncated="N" parameter. */
    room = (size_t)st->cfg->max_size > b->len + 42 ? (size_t)st->cfg->max_size - b->len - 42 : 0;
    if (msg.len > room) {
        size_t keep = utf8_cut(msg.p, room);
        char note[48];

        *cut = msg.len - keep;
        msg.len = keep;
        snprintf(note, sizeof(note), "%zu", keep + *cut);
        b->len = mark;
        put_param(b, "truncated", note, strlen(note));
    }
    put_s(b, "] ");
    put(b, msg.p, msg.len);
    vg_free(msg.p);
    if (b->oom || msg.oom) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    return VG_OK;
}

/* ---- the connection ---- */

static int wait_fd(int fd, short events, int64_t deadline_ms, struct vg_ctx *ctx)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int64_t left = deadline_ms - vg_now_ms(ctx);
        int rc;

        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        rc = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (rc > 0) {
            return 0;
        }
        if (rc < 0 && errno != EINTR) {
            return -1;
        }
    }
}

/* Connect to the target before the deadline; the socket, or -1 with the error set. */
static int dial(struct vg_ctx *ctx, struct syslog_forward_state *st, int64_t deadline_ms)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    int err = 0;
    int fd = -1;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = st->tcp ? SOCK_STREAM : SOCK_DGRAM;
    rc = getaddrinfo(st->host, st->port, &hints, &res);
    if (rc != 0) {
        vg_set_error(ctx, "cannot resolve %s: %s", st->host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        socklen_t len = sizeof(err);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        if (err == EINPROGRESS && wait_fd(fd, POLLOUT, deadline_ms, ctx) == 0 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
            break;
        }
        if (err == EINPROGRESS) {
            err = ETIMEDOUT;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        vg_set_error(ctx, "cannot connect to %s: %s", st->cfg->target, strerror(err));
    }
    return fd;
}

/* A kept TCP connection the receiver has closed (or sent something on) is not reused. */
static int still_open(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    if (poll(&p, 1, 0) <= 0) {
        return 1;
    }
    if (p.revents & (POLLERR | POLLHUP)) {
        return 0;
    }
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Send all of p before the deadline; 0, or -1 with errno. */
static int send_all(struct vg_ctx *ctx, int fd, const char *p, size_t n, int64_t deadline_ms)
{
    size_t off = 0;

    while (off < n) {
        ssize_t w = send(fd, p + off, n - off, MSG_NOSIGNAL);

        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline_ms, ctx) != 0) {
                return -1;
            }
            continue;
        }
        return -1;
    }
    return 0;
}

static int lock_until(pthread_mutex_t *m, int64_t deadline_ms)
{
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};

    return pthread_mutex_timedlock(m, &ts);
}

/*
 * Send one framed message over the kept connection, dialling when there is none
 * and once more when the kept one failed. Called with the lock held.
 */
static int deliver(struct vg_ctx *ctx, struct syslog_forward_state *st, const char *frame,
                   size_t len, int64_t deadline_ms)
{
    int tries;

    if (st->fd >= 0 && st->tcp && !still_open(st->fd)) {
        close(st->fd);
        st->fd = -1;
    }
    for (tries = 0; tries < 2; tries++) {
        int fresh = st->fd < 0;

        if (fresh) {
            st->fd = dial(ctx, st, deadline_ms);
            if (st->fd < 0) {
                return VG_EAGAIN;
            }
        }
        if (send_all(ctx, st->fd, frame, len, deadline_ms) == 0) {
            return VG_OK;
        }
        vg_set_error(ctx, "cannot send to %s: %s", st->cfg->target, strerror(errno));
        /* A stream cut mid-frame cannot be continued: start a new one. */
        close(st->fd);
        st->fd = -1;
        if (fresh || vg_now_ms(ctx) >= deadline_ms) {
            break;
        }
    }
    return VG_EAGAIN;
}

static int syslog_forward_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    struct syslog_forward_state *st = state;
    int64_t deadline = vg_call_deadline_ms(call);
    struct buf b = {NULL, 0, 0, 0};
    struct buf frame = {NULL, 0, 0, 0};
    unsigned long n_truncated = 0;
    char note[160];
    size_t cut = 0;
    int rc;

    if (deadline <= 0) {
        deadline = vg_now_ms(ctx) + 10000;
    }
    rc = build(ctx, st, call, &b, &cut);
    if (rc != VG_OK) {
        goto out_free;
    }
    if (st->tcp && !st->lf) {
        char n[24];

        snprintf(n, sizeof(n), "%zu ", b.len);
        put_s(&frame, n);
    }
    put(&frame, b.p, b.len);
    if (st->tcp && st->lf) {
        put(&frame, "\n", 1);
    }
    if (frame.oom) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
        goto out_free;
    }
    if (lock_until(&st->lock, deadline) != 0) {
        vg_set_error(ctx, "another call to %s held the connection until the deadline",
                     st->cfg->target);
        rc = VG_EAGAIN;
        goto out_free;
    }
    rc = deliver(ctx, st, frame.p, frame.len, deadline);
    if (rc == VG_OK && cut > 0) {
        st->n_truncated++;
    }
    n_truncated = st->n_truncated;
    pthread_mutex_unlock(&st->lock);
    if (rc != VG_OK) {
        goto out_free;
    }
    snprintf(note, sizeof(note), "sent %zu bytes to %s\n", b.len, st->cfg->target);
    vg_action_output(ctx, note, strlen(note));
    if (cut > 0) {
        snprintf(note, sizeof(note), "%zu bytes of MSG cut to keep within max_size %lld\n", cut,
                 (long long)st->cfg->max_size);
        vg_action_output(ctx, note, strlen(note));
        snprintf(note, sizeof(note), "%zu", cut);
        vg_action_result(ctx, "truncated_bytes", note);
        snprintf(note, sizeof(note), "%lu", n_truncated);
        vg_action_result(ctx, "truncated_messages", note);
    }
    vg_action_result(ctx, "target", st->cfg->target);
    snprintf(note, sizeof(note), "%zu", b.len);
    vg_action_result(ctx, "bytes", note);
out_free:
    vg_free(b.p);
    vg_free(frame.p);
    return rc;
}

static const struct vg_plugin syslog_forward_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT, /* calls share the connection under the instance's lock */
    .name = "syslog_forward",
    .version = "1.0.0",
    .description = "send incident records as RFC 5424 syslog over UDP or TCP",
    .options = syslog_forward_options,
    .config_size = sizeof(struct syslog_forward_config),
    .create = syslog_forward_create,
    .destroy = syslog_forward_destroy,
    .run = syslog_forward_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &syslog_forward_plugin);
}
