/* SPDX-License-Identifier: MIT */
/*
 * The SNMP trap receiver: one thread that owns net-snmp. It binds every trap
 * address as a net-snmp server transport, reads datagrams one at a time when
 * poll says so, applies vigil's access policy (communities per source
 * network, v3 users with a minimum security level), converts each accepted
 * notification to event JSON (trap.c) for the sink and acknowledges informs.
 * Every datagram ends in exactly one counter: accepted, an engine-id
 * discovery, or a rejection by reason (what net-snmp refuses before any
 * callback is read from its statistics). Rejections are logged rate-limited.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "input.h"
#include "trap.h"
#include "util.h"

#define READS_PER_WAKE 256
#define RCVBUF_WANTED  (4 * 1024 * 1024)

/* Why a datagram was not accepted; the names are the stats fields. */
enum reason {
    R_BAD_COMMUNITY,
    R_SOURCE_DENIED,
    R_UNKNOWN_USER,
    R_UNKNOWN_ENGINE_ID,
    R_WRONG_DIGEST,
    R_DECRYPTION_ERROR,
    R_NOT_IN_TIME_WINDOW,
    R_UNSUPPORTED_SEC_LEVEL,
    R_BELOW_MIN_LEVEL,
    R_UNSUPPORTED_PDU,
    R_MALFORMED,
    R_TOO_LARGE,
    R_N,
};

/* The process-wide lock on the net-snmp library (shared with SNMP action plugins). */
static pthread_mutex_t *lib_lock;

static const char *const reason_names[R_N] = {
    "bad_community",   "source_denied",    "unknown_user",       "unknown_engine_id",
    "wrong_digest",    "decryption_error", "not_in_time_window", "unsupported_sec_level",
    "below_min_level", "unsupported_pdu",  "malformed",          "too_large",
};

/*
 * Largest event one notification may give. Real traps give 1-8 KiB; a trap of
 * long binary strings grows six-fold (hex, in varbinds and message), and the
 * input queue is bounded by count, so bigger ones are refused and counted.
 */
#define TRAP_EVENT_MAX (32 * 1024)

/* Outcomes of one datagram besides the reasons. */
#define OUT_NONE      (-1) /* no callback yet */
#define OUT_ACCEPTED  (-2) /* converted and handed to the sink (or counted as dropped) */
#define OUT_DISCOVERY (-3) /* a v3 engine-id discovery probe, answered by net-snmp */

/* Counters of one address. */
struct ep_stats {
    atomic_ullong received;      /* datagrams read */
    atomic_ullong bytes;         /* their bytes */
    atomic_ullong accepted;      /* notifications accepted (and handed to the sink) */
    atomic_ullong informs;       /* of which informs (acknowledged unless dropped) */
    atomic_ullong discovery;     /* v3 engine-id discovery probes answered */
    atomic_ullong dropped;       /* accepted but refused by the sink (queue full) */
    atomic_ullong errors;        /* receive errors, inform responses that could not be sent */
    atomic_ullong rejected[R_N]; /* datagrams rejected, by reason */
};

/* One trap address: a net-snmp session on a server transport. */
struct endpoint {
    struct snmp_trap *owner; /* the receiver */
    void *sess;              /* net-snmp single-session handle */
    netsnmp_transport *tr;   /* its transport (owned by the session) */
    int fd;                  /* the socket */
    int port;                /* the bound port */
    char where[80];          /* "udp 127.0.0.1:1162" */
    char json_name[96];      /* "snmp udp 127.0.0.1:1162", JSON-safe */
    struct ep_stats st;      /* counters */

    int (*recv)(netsnmp_transport *, void *, int, void **, int *); /* the transport's f_recv */
};

/* A v3 user as the policy needs it. */
struct user_rule {
    char *name;    /* security name */
    int min_level; /* enum snmp_trap_level */
};

/* The receiver: its thread, its addresses and the policy. */
struct snmp_trap {
    const struct snmp_trap_cfg *cfg;           /* start-up only: freed by the caller afterwards */
    struct ingest_sink sink;                   /* where events go */
    int wake_fd;                               /* eventfd written by snmp_trap_stop */
    pthread_t thread;                          /* the receiver thread */
    pthread_mutex_t lock;                      /* guards state and err during start-up */
    pthread_cond_t cond;                       /* signals state changes */
    int state;                                 /* 0 starting, 1 running, -1 failed */
    char err[512];                             /* why start-up failed */
    struct endpoint eps[SNMP_TRAP_MAX_LISTEN]; /* the addresses */
    size_t n_eps;                              /* entries in eps */
    struct snmp_trap_community *comms;         /* copies of the communities */
    size_t n_comms;                            /* entries in comms */
    struct user_rule *users;                   /* names and minimum levels */
    size_t n_users;                            /* entries in users */
};

/* What the receive hook and the callback learn about the datagram being read. */
struct dgram {
    int got;                      /* 1: a datagram was read */
    int outcome;                  /* OUT_* or an enum reason */
    size_t len;                   /* its bytes */
    struct sockaddr_storage peer; /* its sender */
    int v3;                       /* 1: an SNMPv3 message (by its header) */
    unsigned flags;               /* v3 msgFlags */
    size_t engine_id_len;         /* v3 msgAuthoritativeEngineID length */
    unsigned char engine_id[32];  /* its bytes (when engine_id_len <= 32) */
    char user[40];                /* v3 msgUserName, printable, for log lines */
    char user_raw[33];            /* v3 msgUserName as sent (when at most 32 bytes) */
    size_t user_len;              /* its length */
    int is_inform;                /* the callback saw an inform */
};

/* The receiver thread's state; there is one receiver per process. */
static struct dgram cur;
static struct endpoint *cur_ep;
static atomic_int running;
static struct log_limit reason_limits[R_N];

/* ---- a peek at the SNMPv3 header, to name rejections ---- */

/* One BER element: returns its content and sets tag and len, or NULL. */
static const unsigned char *ber(const unsigned char *p, const unsigned char *end,
                                unsigned char *tag, size_t *len)
{
    size_t n;

    if (p == NULL || end - p < 2) {
        return NULL;
    }
    *tag = *p++;
    n = *p++;
    if (n & 0x80) {
        size_t k = n & 0x7f;

        if (k == 0 || k > 4 || (size_t)(end - p) < k) {
            return NULL;
        }
        n = 0;
        while (k-- > 0) {
            n = (n << 8) | *p++;
        }
    }
    if ((size_t)(end - p) < n) {
        return NULL;
    }
    *len = n;
    return p;
}

/* Fill cur.v3, flags, engine_id_len and user from the message header, if it is v3. */
static void peek_v3(const unsigned char *buf, size_t size)
{
    const unsigned char *end = buf + size;
    const unsigned char *p;
    const unsigned char *g;
    const unsigned char *s;
    unsigned char tag;
    size_t len;
    size_t i;

    p = ber(buf, end, &tag, &len);
    if (p == NULL || tag != 0x30) {
        return;
    }
    end = p + len;
    g = ber(p, end, &tag, &len); /* msgVersion: an INTEGER of 1 to 4 bytes (leading zeros) */
    if (g == NULL || tag != 0x02 || len == 0 || len > 4) {
        return;
    }
    for (i = 0; i + 1 < len; i++) {
        if (g[i] != 0) {
            return;
        }
    }
    if (g[len - 1] != 3) {
        return;
    }
    cur.v3 = 1;
    p = ber(g + len, end, &tag, &len); /* msgGlobalData */
    if (p == NULL || tag != 0x30) {
        return;
    }
    s = p + len;
    g = p;
    for (i = 0; i < 3; i++) { /* msgID, msgMaxSize, msgFlags */
        g = ber(g, s, &tag, &len);
        if (g == NULL) {
            return;
        }
        if (i == 2 && tag == 0x04 && len >= 1) {
            cur.flags = g[0];
        }
        g += len;
    }
    p = ber(s, end, &tag, &len); /* msgSecurityParameters */
    if (p == NULL || tag != 0x04) {
        return;
    }
    end = p + len;
    p = ber(p, end, &tag, &len); /* UsmSecurityParameters */
    if (p == NULL || tag != 0x30) {
        return;
    }
    end = p + len;
    for (i = 0; i < 4; i++) { /* engine id, boots, time, user name */
        p = ber(p, end, &tag, &len);
        if (p == NULL) {
            return;
        }
        if (i == 0) {
            cur.engine_id_len = len;
            if (len <= sizeof(cur.engine_id)) {
                memcpy(cur.engine_id, p, len);
            }
        } else if (i == 3) {
            size_t k;
            size_t n = len < sizeof(cur.user) - 1 ? len : sizeof(cur.user) - 1;

            cur.user_len = len;
            if (len < sizeof(cur.user_raw)) {
                memcpy(cur.user_raw, p, len);
                cur.user_raw[len] = '\0';
            }

            for (k = 0; k < n; k++) {
                cur.user[k] = p[k] >= 0x20 && p[k] < 0x7f && p[k] != '"' ? (char)p[k] : '?';
            }
            cur.user[n] = '\0';
        }
        p += len;
    }
}

/*
 * Refuse a v3 message whose (engine id, user) pair is not a configured user
 * before net-snmp parses it: net-snmp keeps a record for every engine id that
 * sends a non-reportable message (a trap) until shutdown, so forged traps with
 * random engine ids would otherwise grow memory and slow every lookup. Engine
 * discovery (no engine id) goes through. Sets cur.outcome and marks the
 * datagram empty for net-snmp; returns 1 when refused.
 */
static int v3_refused(netsnmp_transport *t)
{
    if (cur.engine_id_len == 0) {
        return 0;
    }
    if (cur.engine_id_len > sizeof(cur.engine_id) || cur.user_len >= sizeof(cur.user_raw)) {
        cur.outcome =
            cur.engine_id_len > sizeof(cur.engine_id) ? R_UNKNOWN_ENGINE_ID : R_UNKNOWN_USER;
    } else if (usm_get_user(cur.engine_id, cur.engine_id_len, cur.user_raw) != NULL) {
        return 0;
    } else if (cur.user_len == 0) {
        cur.outcome = R_UNKNOWN_ENGINE_ID;
    } else {
        /* A configured name from an engine it is not configured for counts as unknown too. */
        cur.outcome = R_UNKNOWN_USER;
    }
    t->flags |= NETSNMP_TRANSPORT_FLAG_EMPTY_PKT;
    return 1;
}

/* The transport's receive function, wrapped: count the datagram, keep its sender. */
static int recv_hook(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen)
{
    struct endpoint *ep = cur_ep;
    int n = ep->recv(t, buf, size, opaque, olen);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            atomic_fetch_add_explicit(&ep->st.errors, 1, memory_order_relaxed);
        }
        return n;
    }
    cur.got = 1;
    cur.len = (size_t)n;
    /* UDP transports hand back an address pair that starts with the sender. */
    if (*opaque != NULL && (size_t)*olen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr *sa = *opaque;
        size_t sl =
            sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

        if ((sa->sa_family == AF_INET || sa->sa_family == AF_INET6) && (size_t)*olen >= sl) {
            memcpy(&cur.peer, sa, sl);
        }
    }
    peek_v3(buf, (size_t)n);
    if (cur.v3 && v3_refused(t)) {
        return 0; /* read and counted; net-snmp is told the datagram was empty */
    }
    return n;
}

/* ---- policy ---- */

static int community_outcome(const struct snmp_trap *t, const netsnmp_pdu *pdu, const char *ip)
{
    int known = 0;
    size_t i;
    size_t k;

    for (i = 0; i < t->n_comms; i++) {
        const struct snmp_trap_community *c = &t->comms[i];

        if (pdu->community == NULL || strlen(c->community) != pdu->community_len ||
            memcmp(c->community, pdu->community, pdu->community_len) != 0) {
            continue;
        }
        known = 1;
        for (k = 0; k < c->n_nets; k++) {
            if (cidr_contains_str(&c->nets[k], ip, strlen(ip))) {
                return OUT_ACCEPTED;
            }
        }
    }
    return known ? R_SOURCE_DENIED : R_BAD_COMMUNITY;
}

static int user_outcome(const struct snmp_trap *t, const netsnmp_pdu *pdu)
{
    size_t i;

    for (i = 0; i < t->n_users; i++) {
        if (pdu->securityName != NULL && strlen(t->users[i].name) == pdu->securityNameLen &&
            memcmp(t->users[i].name, pdu->securityName, pdu->securityNameLen) == 0) {
            return pdu->securityLevel >= t->users[i].min_level ? OUT_ACCEPTED : R_BELOW_MIN_LEVEL;
        }
    }
    return R_UNKNOWN_USER;
}

/* Acknowledge an inform: the same PDU back as a Response. */
static void respond(struct endpoint *ep, netsnmp_pdu *pdu)
{
    netsnmp_pdu *r = snmp_clone_pdu(pdu);

    if (r == NULL) {
        atomic_fetch_add_explicit(&ep->st.errors, 1, memory_order_relaxed);
        return;
    }
    r->command = SNMP_MSG_RESPONSE;
    r->errstat = 0;
    r->errindex = 0;
    if (snmp_sess_send(ep->sess, r) == 0) {
        snmp_free_pdu(r);
        atomic_fetch_add_explicit(&ep->st.errors, 1, memory_order_relaxed);
    }
}

/* Convert and deliver an accepted notification; informs are acknowledged once taken. */
static void deliver(struct endpoint *ep, netsnmp_pdu *pdu)
{
    const struct sockaddr *peer = (const struct sockaddr *)&cur.peer;
    struct sbuf json = {0};
    struct raw_msg *m;
    int64_t now = time_now_ms();
    int rc = trap_to_json(pdu, cur.peer.ss_family != 0 ? peer : NULL, "udp", now, &json);

    if (rc != 0) {
        cur.outcome = rc == TRAP_ERR_NOT_NOTIFICATION ? R_UNSUPPORTED_PDU : R_MALFORMED;
        sbuf_free(&json);
        return;
    }
    if (json.len > TRAP_EVENT_MAX) {
        cur.outcome = R_TOO_LARGE;
        sbuf_free(&json);
        return;
    }
    cur.outcome = OUT_ACCEPTED;
    cur.is_inform = pdu->command == SNMP_MSG_INFORM;
    m = raw_msg_new(json.buf, json.len, RAW_SNMP);
    sbuf_free(&json);
    m->recv_ms = now;
    memcpy(&m->peer, &cur.peer, sizeof(m->peer));
    if (ep->owner->sink.submit(ep->owner->sink.ud, m) != 0) {
        /* An inform left unanswered is sent again by its agent: better than lost. */
        free(m);
        atomic_fetch_add_explicit(&ep->st.dropped, 1, memory_order_relaxed);
        return;
    }
    if (cur.is_inform) {
        respond(ep, pdu);
    }
}

/* The session callback: every PDU net-snmp parsed and authenticated. */
static int on_pdu(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    struct endpoint *ep = magic;
    char ip[INET6_ADDRSTRLEN] = "";
    int out;

    (void)s;
    (void)reqid;
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || cur.outcome != OUT_NONE) {
        return 1;
    }
    if (pdu->command != SNMP_MSG_TRAP && pdu->command != SNMP_MSG_TRAP2 &&
        pdu->command != SNMP_MSG_INFORM) {
        cur.outcome = R_UNSUPPORTED_PDU;
        return 1;
    }
    if (cur.peer.ss_family != 0) {
        sockaddr_ip_str((const struct sockaddr *)&cur.peer, ip, sizeof(ip));
    }
    if (pdu->version == SNMP_VERSION_3) {
        out = user_outcome(ep->owner, pdu);
    } else if (pdu->version == SNMP_VERSION_1 || pdu->version == SNMP_VERSION_2c) {
        out = community_outcome(ep->owner, pdu, ip);
    } else {
        out = R_MALFORMED;
    }
    if (out != OUT_ACCEPTED) {
        cur.outcome = out;
        return 1;
    }
    deliver(ep, pdu);
    return 1;
}

/* ---- counting and logging each datagram ---- */

/* net-snmp statistics that name a rejection it made before any callback. */
static const int watched[] = {
    STAT_USMSTATSUNKNOWNENGINEIDS, STAT_USMSTATSUNKNOWNUSERNAMES, STAT_USMSTATSWRONGDIGESTS,
    STAT_USMSTATSDECRYPTIONERRORS, STAT_USMSTATSNOTINTIMEWINDOWS, STAT_USMSTATSUNSUPPORTEDSECLEVELS,
};
#define N_WATCHED (sizeof(watched) / sizeof(watched[0]))

static int grew(const unsigned *before, int stat)
{
    size_t i;

    for (i = 0; i < N_WATCHED; i++) {
        if (watched[i] == stat) {
            return snmp_get_statistic(stat) != before[i];
        }
    }
    return 0;
}

/* The one outcome of the datagram just read; scoped is the count of scoped PDU errors before. */
static int classify(const unsigned *before, unsigned long scoped)
{
    if (grew(before, STAT_USMSTATSUNKNOWNENGINEIDS)) {
        return cur.v3 && cur.engine_id_len == 0 ? OUT_DISCOVERY : R_UNKNOWN_ENGINE_ID;
    }
    if (grew(before, STAT_USMSTATSUNKNOWNUSERNAMES)) {
        return R_UNKNOWN_USER;
    }
    if (grew(before, STAT_USMSTATSWRONGDIGESTS)) {
        return R_WRONG_DIGEST;
    }
    if (grew(before, STAT_USMSTATSDECRYPTIONERRORS)) {
        return R_DECRYPTION_ERROR;
    }
    if (grew(before, STAT_USMSTATSNOTINTIMEWINDOWS)) {
        return R_NOT_IN_TIME_WINDOW;
    }
    if (grew(before, STAT_USMSTATSUNSUPPORTEDSECLEVELS)) {
        return R_UNSUPPORTED_SEC_LEVEL;
    }
    if (cur.outcome != OUT_NONE) {
        return cur.outcome;
    }
    /* Authenticated, yet the decrypted scoped PDU did not parse: the privacy key differs. */
    if (cur.v3 && (cur.flags & 0x3) == 0x3 && trap_library_scoped_pdu_errors() != scoped) {
        return R_DECRYPTION_ERROR;
    }
    return R_MALFORMED;
}

static void log_rejection(const struct endpoint *ep, int r)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    const char *user = cur.user[0] != '\0' ? cur.user : "?";

    if (cur.peer.ss_family != 0) {
        sockaddr_ip_str((const struct sockaddr *)&cur.peer, ip, sizeof(ip));
    }
    switch (r) {
    case R_BAD_COMMUNITY:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a notification from %s on %s: unknown community", ip,
                    ep->where);
        break;
    case R_SOURCE_DENIED:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a notification from %s on %s: its community is not "
                    "accepted from that address",
                    ip, ep->where);
        break;
    case R_UNKNOWN_USER:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: unknown user \"%s\" (or not "
                    "configured for its engine id)",
                    ip, ep->where, user);
        break;
    case R_UNKNOWN_ENGINE_ID:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: unknown engine id", ip, ep->where);
        break;
    case R_WRONG_DIGEST:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: wrong authentication digest "
                    "for user \"%s\" (authentication key or protocol differ)",
                    ip, ep->where, user);
        break;
    case R_DECRYPTION_ERROR:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: cannot decrypt it for user "
                    "\"%s\" (privacy key or protocol differ)",
                    ip, ep->where, user);
        break;
    case R_NOT_IN_TIME_WINDOW:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: not in the time window", ip,
                    ep->where);
        break;
    case R_UNSUPPORTED_SEC_LEVEL:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: user \"%s\" is not configured "
                    "for its security level",
                    ip, ep->where, user);
        break;
    case R_BELOW_MIN_LEVEL:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a v3 message from %s on %s: security level below the "
                    "minimum of user \"%s\"",
                    ip, ep->where, user);
        break;
    case R_UNSUPPORTED_PDU:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a message from %s on %s: not a trap or inform", ip, ep->where);
        break;
    case R_TOO_LARGE:
        log_limited(&reason_limits[r], VG_LOG_WARNING,
                    "SNMP: rejected a notification from %s on %s: its event would exceed %d "
                    "bytes",
                    ip, ep->where, TRAP_EVENT_MAX);
        break;
    default:
        log_limited(&reason_limits[R_MALFORMED], VG_LOG_WARNING,
                    "SNMP: rejected a malformed datagram of %zu bytes from %s on %s", cur.len, ip,
                    ep->where);
        break;
    }
}

/* Read one datagram of ep and count its outcome; 0 when there was none. */
static int read_one(struct endpoint *ep, netsnmp_large_fd_set *fds)
{
    unsigned before[N_WATCHED];
    unsigned long scoped = trap_library_scoped_pdu_errors();
    size_t i;
    int out;

    memset(&cur, 0, sizeof(cur));
    cur.outcome = OUT_NONE;
    cur_ep = ep;
    for (i = 0; i < N_WATCHED; i++) {
        before[i] = snmp_get_statistic(watched[i]);
    }
    netsnmp_large_fd_setfd(ep->fd, fds);
    /* net-snmp is not thread-safe: SNMP action plugins use it on their threads too. */
    pthread_mutex_lock(lib_lock);
    snmp_sess_read2(ep->sess, fds);
    pthread_mutex_unlock(lib_lock);
    netsnmp_large_fd_clr(ep->fd, fds);
    if (!cur.got) {
        return 0;
    }
    atomic_fetch_add_explicit(&ep->st.received, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&ep->st.bytes, cur.len, memory_order_relaxed);
    out = classify(before, scoped);
    if (out == OUT_ACCEPTED) {
        atomic_fetch_add_explicit(&ep->st.accepted, 1, memory_order_relaxed);
        if (cur.is_inform) {
            atomic_fetch_add_explicit(&ep->st.informs, 1, memory_order_relaxed);
        }
    } else if (out == OUT_DISCOVERY) {
        atomic_fetch_add_explicit(&ep->st.discovery, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&ep->st.rejected[out], 1, memory_order_relaxed);
        log_rejection(ep, out);
    }
    return 1;
}

/* ---- start-up, run, stop ---- */

/* Decode "0x8000..." (or bare hex) into out; the length, or 0 when it is not 5..32 bytes. */
static size_t hex_decode(const char *s, unsigned char *out, size_t cap)
{
    size_t n = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    while (s[0] != '\0') {
        int hi = hex_digit_value(s[0]);
        int lo = hex_digit_value(s[1]);

        if (hi < 0 || lo < 0 || n == cap) {
            return 0;
        }
        out[n++] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    return n >= 5 && n <= 32 ? n : 0;
}

/* vigild's engine id: the configured one, or 0x80001f8804 "vigil@" + host name (stable). */
static int set_engine_id(struct snmp_trap *t)
{
    unsigned char id[32];
    size_t n;

    if (t->cfg->engine_id != NULL) {
        n = hex_decode(t->cfg->engine_id, id, sizeof(id));
        if (n == 0) {
            snprintf(t->err, sizeof(t->err),
                     "snmp.engine_id \"%s\" is not 5 to 32 bytes of hex such as 0x8000...",
                     t->cfg->engine_id);
            return -1;
        }
    } else {
        char host[64] = "";
        const unsigned char head[] = {0x80, 0x00, 0x1f, 0x88, 0x04};

        gethostname(host, sizeof(host) - 1);
        memcpy(id, head, sizeof(head));
        n = sizeof(head);
        n += (size_t)snprintf((char *)id + n, sizeof(id) - n, "vigil@%s", host);
        if (n > sizeof(id)) {
            n = sizeof(id);
        }
    }
    /* init_snmp registered boots and time for the engine id it made up: again for ours. */
    if (set_exact_engineID(id, n) != SNMPERR_SUCCESS ||
        set_enginetime(id, (u_int)n, snmpv3_local_snmpEngineBoots(), snmpv3_local_snmpEngineTime(),
                       TRUE) != SNMPERR_SUCCESS) {
        snprintf(t->err, sizeof(t->err), "cannot set the SNMP engine id");
        return -1;
    }
    {
        struct sbuf hex = {0};
        size_t i;

        sbuf_adds(&hex, "0x");
        for (i = 0; i < n; i++) {
            sbuf_printf(&hex, "%02x", id[i]);
        }
        log_msg(VG_LOG_INFO, "SNMP engine id %s (for SNMPv3 informs)", hex.buf);
        sbuf_free(&hex);
    }
    return 0;
}

/* Append s as one quoted word of a net-snmp config line. */
static void add_word(struct sbuf *line, const char *s)
{
    sbuf_adds(line, line->len > 0 ? " \"" : "\"");
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            sbuf_addc(line, '\\');
        }
        sbuf_addc(line, *s);
    }
    sbuf_addc(line, '"');
}

/* Create one USM user for one engine id (NULL: vigild's own), as snmptrapd's createUser. */
static int create_user(struct snmp_trap *t, const struct snmp_trap_user *u, const char *engine_id)
{
    struct sbuf line = {0};
    unsigned char id[32];
    size_t id_len;
    size_t i;
    int rc = 0;

    if (engine_id != NULL) {
        id_len = hex_decode(engine_id, id, sizeof(id));
        if (id_len == 0) {
            snprintf(t->err, sizeof(t->err),
                     "SNMPv3 user \"%s\": engine id \"%s\" is not 5 to 32 bytes of hex", u->name,
                     engine_id);
            return -1;
        }
        sbuf_adds(&line, "-e 0x");
        for (i = 0; i < id_len; i++) {
            sbuf_printf(&line, "%02x", id[i]);
        }
    } else {
        id_len = snmpv3_get_engineID(id, sizeof(id));
        sbuf_adds(&line, "");
    }
    add_word(&line, u->name);
    sbuf_printf(&line, " %s", u->auth);
    add_word(&line, u->auth_key);
    if (u->priv != NULL) {
        sbuf_printf(&line, " %s", u->priv);
        add_word(&line, u->priv_key != NULL ? u->priv_key : "");
    }
    usm_parse_create_usmUser("createUser", line.buf);
    /* The line holds the keys: wipe it before it goes back to the allocator. */
    memset(line.buf, 0, line.cap);
    sbuf_free(&line);
    if (usm_get_user(id, id_len, u->name) == NULL) {
        snprintf(t->err, sizeof(t->err),
                 "cannot create SNMPv3 user \"%s\" (auth %s, priv %s): check the protocols and "
                 "that both keys have at least 8 characters",
                 u->name, u->auth, u->priv != NULL ? u->priv : "none");
        rc = -1;
    }
    return rc;
}

static int create_users(struct snmp_trap *t)
{
    size_t i;
    size_t k;

    for (i = 0; i < t->cfg->n_users; i++) {
        const struct snmp_trap_user *u = &t->cfg->users[i];

        if (create_user(t, u, NULL) != 0) {
            return -1;
        }
        for (k = 0; k < u->n_engine_ids; k++) {
            if (create_user(t, u, u->engine_ids[k]) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* "udp:127.0.0.1:1162", "udp6:[::1]:162" or "127.0.0.1:1162" into net-snmp's spec and ours. */
static int parse_listen(const char *s, char *spec, size_t spec_len, char *where, size_t where_len,
                        char *err, size_t err_len)
{
    const char *rest = s;
    int v6 = 0;
    char host[INET6_ADDRSTRLEN];
    const char *colon;
    size_t hlen;
    unsigned char a[16];
    char *end;
    long port;

    if (strncmp(s, "udp:", 4) == 0) {
        rest = s + 4;
    } else if (strncmp(s, "udp6:", 5) == 0) {
        rest = s + 5;
        v6 = 1;
    } else if (strncmp(s, "tcp:", 4) == 0 || strncmp(s, "tcp6:", 5) == 0) {
        snprintf(err, err_len, "SNMP listen address \"%s\": only UDP is supported", s);
        return -1;
    }
    if (rest[0] == '[') {
        const char *rb = strchr(rest, ']');

        if (rb == NULL || rb[1] != ':') {
            goto bad;
        }
        hlen = (size_t)(rb - rest - 1);
        if (hlen >= sizeof(host)) {
            goto bad;
        }
        memcpy(host, rest + 1, hlen);
        colon = rb + 1;
    } else {
        colon = strrchr(rest, ':');
        if (colon == NULL || (size_t)(colon - rest) >= sizeof(host)) {
            goto bad;
        }
        hlen = (size_t)(colon - rest);
        memcpy(host, rest, hlen);
    }
    host[hlen] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535) {
        goto bad;
    }
    if (inet_pton(AF_INET, host, a) == 1 && !v6) {
        snprintf(spec, spec_len, "udp:%s:%ld", host, port);
        snprintf(where, where_len, "udp %s", host);
        return 0;
    }
    if (inet_pton(AF_INET6, host, a) == 1) {
        snprintf(spec, spec_len, "udp6:[%s]:%ld", host, port);
        snprintf(where, where_len, "udp [%s]", host);
        return 0;
    }
bad:
    snprintf(err, err_len,
             "SNMP listen address \"%s\" is not udp:ADDRESS:PORT or udp6:[ADDRESS]:PORT with a "
             "numeric address",
             s);
    return -1;
}

/* Check a listen address without binding it (see input.h). */
int snmp_trap_check_listen(const char *s, char *err, size_t err_len)
{
    char spec[128];
    char where[64];

    return parse_listen(s, spec, sizeof(spec), where, sizeof(where), err, err_len);
}

static int open_endpoint(struct snmp_trap *t, const char *addr)
{
    struct endpoint *ep = &t->eps[t->n_eps];
    netsnmp_session s;
    char spec[128];
    char host[64];
    int rcvbuf = RCVBUF_WANTED;
    int fl;

    if (parse_listen(addr, spec, sizeof(spec), host, sizeof(host), t->err, sizeof(t->err)) != 0) {
        return -1;
    }
    errno = 0;
    ep->tr = netsnmp_transport_open_server("vigild", spec);
    if (ep->tr == NULL) {
        snprintf(t->err, sizeof(t->err), "cannot listen for SNMP traps on %s:%s: %s", host,
                 strrchr(spec, ':') + 1, errno != 0 ? strerror(errno) : "net-snmp refused it");
        return -1;
    }
    snmp_sess_init(&s);
    s.callback = on_pdu;
    s.callback_magic = ep;
    s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
    ep->sess = snmp_sess_add(&s, ep->tr, NULL, NULL);
    if (ep->sess == NULL) {
        snprintf(t->err, sizeof(t->err), "cannot start an SNMP session on %s:%s", host,
                 strrchr(spec, ':') + 1);
        return -1;
    }
    ep->owner = t;
    ep->fd = ep->tr->sock;
    ep->recv = ep->tr->f_recv;
    ep->tr->f_recv = recv_hook;
    fl = fcntl(ep->fd, F_GETFL);
    fcntl(ep->fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(ep->fd, F_SETFD, FD_CLOEXEC);
    /* The kernel caps SO_RCVBUF at net.core.rmem_max; that is the best we can do. */
    setsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    ep->port = socket_bound_port(ep->fd);
    snprintf(ep->where, sizeof(ep->where), "%s:%d", host, ep->port);
    snprintf(ep->json_name, sizeof(ep->json_name), "snmp %s:%d", host, ep->port);
    t->n_eps++;
    return 0;
}

static void close_endpoints(struct snmp_trap *t)
{
    size_t i;

    pthread_mutex_lock(lib_lock);
    for (i = 0; i < t->n_eps; i++) {
        snmp_sess_close(t->eps[i].sess);
        t->eps[i].sess = NULL;
    }
    pthread_mutex_unlock(lib_lock);
}

/* Set up net-snmp, users and sockets on this thread; 0, or -1 with t->err set. */
static int setup(struct snmp_trap *t)
{
    const struct snmp_trap_cfg *c = t->cfg;
    struct trap_mib_cfg mc = {
        .vigil_dir = c->vigil_mib_dir, .dirs = c->mib_dirs, .n_dirs = c->n_mib_dirs};
    size_t i;

    if (trap_library_init(&mc) != 0) {
        snprintf(t->err, sizeof(t->err), "net-snmp is already set up in this process");
        return -1;
    }
    if (set_engine_id(t) != 0 || create_users(t) != 0) {
        return -1;
    }
    for (i = 0; i < c->n_listen; i++) {
        if (open_endpoint(t, c->listen[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static void set_state(struct snmp_trap *t, int state)
{
    pthread_mutex_lock(&t->lock);
    t->state = state;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void *run(void *arg)
{
    struct snmp_trap *t = arg;
    struct pollfd pfd[SNMP_TRAP_MAX_LISTEN + 1];
    netsnmp_large_fd_set fds;
    size_t i;
    int rc;

    /* Named for top -H and the benchmark's CPU accounting. */
    prctl(PR_SET_NAME, "vigil-snmp", 0, 0, 0);
    pthread_mutex_lock(lib_lock);
    rc = setup(t);
    pthread_mutex_unlock(lib_lock);
    if (rc != 0) {
        close_endpoints(t);
        pthread_mutex_lock(lib_lock);
        trap_library_shutdown();
        pthread_mutex_unlock(lib_lock);
        set_state(t, -1);
        return NULL;
    }
    set_state(t, 1);
    netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
    for (i = 0; i < t->n_eps; i++) {
        pfd[i].fd = t->eps[i].fd;
        pfd[i].events = POLLIN;
    }
    pfd[t->n_eps].fd = t->wake_fd;
    pfd[t->n_eps].events = POLLIN;
    for (;;) {
        int n = poll(pfd, t->n_eps + 1, -1);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_msg(VG_LOG_ERR, "cannot poll the SNMP trap sockets: %s", strerror(errno));
            break;
        }
        if (pfd[t->n_eps].revents != 0) {
            break;
        }
        for (i = 0; i < t->n_eps; i++) {
            int k;

            if (pfd[i].revents == 0) {
                continue;
            }
            /* Bounded, so a flood on one address cannot starve the others or a stop. */
            for (k = 0; k < READS_PER_WAKE && read_one(&t->eps[i], &fds); k++) {
            }
        }
    }
    netsnmp_large_fd_set_cleanup(&fds);
    close_endpoints(t);
    pthread_mutex_lock(lib_lock);
    trap_library_shutdown();
    pthread_mutex_unlock(lib_lock);
    return NULL;
}

static void free_copies(struct snmp_trap *t)
{
    size_t i;

    for (i = 0; i < t->n_comms; i++) {
        free(t->comms[i].community);
        free(t->comms[i].nets);
    }
    free(t->comms);
    for (i = 0; i < t->n_users; i++) {
        free(t->users[i].name);
    }
    free(t->users);
}

/* Copy what the callback needs for the receiver's lifetime. */
static void copy_policy(struct snmp_trap *t, const struct snmp_trap_cfg *c)
{
    size_t i;

    t->comms = xcalloc(c->n_communities + 1, sizeof(*t->comms));
    for (i = 0; i < c->n_communities; i++) {
        t->comms[i].community = xstrdup(c->communities[i].community);
        t->comms[i].nets = xcalloc(c->communities[i].n_nets + 1, sizeof(struct cidr));
        memcpy(t->comms[i].nets, c->communities[i].nets,
               c->communities[i].n_nets * sizeof(struct cidr));
        t->comms[i].n_nets = c->communities[i].n_nets;
    }
    t->n_comms = c->n_communities;
    t->users = xcalloc(c->n_users + 1, sizeof(*t->users));
    for (i = 0; i < c->n_users; i++) {
        t->users[i].name = xstrdup(c->users[i].name);
        t->users[i].min_level = c->users[i].min_level;
    }
    t->n_users = c->n_users;
}

/*
 * Start the receiver thread and wait until it listens or gives up (see
 * input.h). Runs on the caller's thread; cfg is only read until it returns.
 */
struct snmp_trap *snmp_trap_start(const struct snmp_trap_cfg *cfg, struct ingest_sink sink,
                                  char *err, size_t err_len)
{
    struct snmp_trap *t;
    int expected = 0;
    int rc;

    lib_lock = named_lock("net-snmp");
    if (cfg->n_listen == 0 || cfg->n_listen > SNMP_TRAP_MAX_LISTEN || sink.submit == NULL) {
        snprintf(err, err_len, "SNMP traps: between 1 and %d listen addresses and a sink needed",
                 SNMP_TRAP_MAX_LISTEN);
        return NULL;
    }
    if (!atomic_compare_exchange_strong(&running, &expected, 1)) {
        snprintf(err, err_len, "an SNMP trap receiver is already running in this process");
        return NULL;
    }
    t = xcalloc(1, sizeof(*t));
    t->cfg = cfg;
    t->sink = sink;
    copy_policy(t, cfg);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->wake_fd < 0) {
        snprintf(err, err_len, "cannot create the wake-up fd of the SNMP trap receiver: %s",
                 strerror(errno));
        goto out_free;
    }
    rc = pthread_create(&t->thread, NULL, run, t);
    if (rc != 0) {
        snprintf(err, err_len, "cannot start the SNMP trap receiver thread: %s", strerror(rc));
        close(t->wake_fd);
        goto out_free;
    }
    pthread_mutex_lock(&t->lock);
    while (t->state == 0) {
        pthread_cond_wait(&t->cond, &t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    t->cfg = NULL;
    if (t->state < 0) {
        pthread_join(t->thread, NULL);
        snprintf(err, err_len, "%s", t->err);
        close(t->wake_fd);
        goto out_free;
    }
    return t;

out_free:
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free_copies(t);
    free(t);
    atomic_store(&running, 0);
    return NULL;
}

/* Addresses the receiver listens on; any thread. */
size_t snmp_trap_count(const struct snmp_trap *t)
{
    return t->n_eps;
}

/* "udp 127.0.0.1:1162" of address i (i < snmp_trap_count); valid while t is. */
const char *snmp_trap_name(const struct snmp_trap *t, size_t i)
{
    return t->eps[i].where;
}

/* The bound port of address i (the kernel's choice when 0 was asked for). */
int snmp_trap_port(const struct snmp_trap *t, size_t i)
{
    return t->eps[i].port;
}

static unsigned long long get(atomic_ullong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Listener objects with every counter of every address (see input.h); any thread. */
void snmp_trap_stats_json(struct snmp_trap *t, struct sbuf *out, int first)
{
    size_t i;
    int r;

    for (i = 0; i < t->n_eps; i++) {
        struct ep_stats *s = &t->eps[i].st;
        unsigned long long rejected = 0;

        for (r = 0; r < R_N; r++) {
            rejected += get(&s->rejected[r]);
        }
        sbuf_printf(out,
                    "%s{\"listener\":\"%s\",\"received\":%llu,\"bytes\":%llu,\"accepted\":%llu,"
                    "\"informs\":%llu,\"discovery\":%llu,\"dropped\":%llu,\"rejected\":%llu",
                    first && i == 0 ? "" : ",", t->eps[i].json_name, get(&s->received),
                    get(&s->bytes), get(&s->accepted), get(&s->informs), get(&s->discovery),
                    get(&s->dropped), rejected);
        for (r = 0; r < R_N; r++) {
            sbuf_printf(out, ",\"%s\":%llu", reason_names[r], get(&s->rejected[r]));
        }
        sbuf_printf(out, ",\"errors\":%llu}", get(&s->errors));
    }
}

/* Wake the thread, join it (it closes the sessions and shuts net-snmp down), free t. */
void snmp_trap_stop(struct snmp_trap *t)
{
    uint64_t one = 1;
    ssize_t n;

    if (t == NULL) {
        return;
    }
    do {
        n = write(t->wake_fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    pthread_join(t->thread, NULL);
    close(t->wake_fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free_copies(t);
    free(t);
    atomic_store(&running, 0);
}
