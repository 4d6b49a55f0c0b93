/* SPDX-License-Identifier: MIT */
/*
 * The syslog parser's entry point. One forward pass of hand-written scanners over
 * the bytes: the PRI, then either the RFC 5424 header (its ABNF and structured
 * data, here) or the RFC 3164 family as devices really send it (syslog_bsd.c);
 * timestamps are read by syslog_time.c. Header results are kept as spans into the
 * input and written to the event at the end, so a relay's own header can be
 * dropped; nothing is allocated outside the event API and every read is bounded
 * by the length given.
 */
#include "syslog.h"

#include <stdio.h>
#include <string.h>

#include "syslog_int.h"

#define DEFAULT_PRI 13 /* user.notice, RFC 3164 section 4.3.3 */
#define MAX_RELAYS  8  /* relay headers peeled off one line at most */
#define SD_PREFIX   "log.syslog.structured_data"

/* clang-format off */
static const char *const facility_names[24] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const severity_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
/* clang-format on */

/* ---- PRI and the RFC 5424 header ---- */

/* "<PRI>" with 1..3 digits and a value up to 191 (see syslog_int.h). */
size_t syslog_parse_pri(const char *s, size_t n, size_t i, int *pri)
{
    size_t j;

    if (i >= n || s[i] != '<') {
        return 0;
    }
    j = num(s, n, i + 1, 1, 3, pri);
    if (j == 0 || j >= n || s[j] != '>' || *pri > 191) {
        return 0;
    }
    return j + 1;
}

/* One RFC 5424 header field (NILVALUE or 1..max PRINTUSASCII) and its SP. */
static int parse_field(struct hdr *h, size_t *i, size_t max, const char *name, struct span *out)
{
    const char *s = h->s;
    size_t n = h->n;
    size_t e = *i;

    while (e < n && s[e] != ' ' && is_print(s[e])) {
        e++;
    }
    if (e == *i || e - *i > max || (e < n && s[e] != ' ')) {
        h->warn |= W_HDR;
        h->bad_field = name;
        h->msg.p = s + *i;
        h->msg.n = n - *i;
        return -1;
    }
    if (!(e - *i == 1 && s[*i] == '-')) {
        out->p = s + *i;
        out->n = e - *i;
    }
    if (e >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        h->msg.n = 0;
        return -1;
    }
    *i = e + 1;
    return 0;
}

static int sd_name_char(char c)
{
    return is_print(c) && c != '=' && c != ']' && c != '"';
}

/*
 * Store one SD-PARAM. An escaped value (\" \\ \], rare) is unescaped into a
 * scratch buffer first; a backslash before any other byte stays, both bytes.
 */
static void store_param(struct hdr *h, struct span id, struct span name, struct span val,
                        int escaped)
{
    struct sbuf u = {0};
    size_t r;

    if (!escaped) {
        event_set_atom(h->ev, SD_PREFIX, id.p, id.n, name.p, name.n, val.p, val.n);
        return;
    }
    sbuf_reserve(&u, val.n);
    for (r = 0; r < val.n; r++) {
        if (val.p[r] == '\\' && r + 1 < val.n &&
            (val.p[r + 1] == '"' || val.p[r + 1] == '\\' || val.p[r + 1] == ']')) {
            r++;
        }
        sbuf_addc(&u, val.p[r]);
    }
    event_set_atom(h->ev, SD_PREFIX, id.p, id.n, name.p, name.n, u.buf, u.len);
    sbuf_free(&u);
}

/* One SD-ELEMENT "[id name="value" ...]" at s[i], storing its params. Returns the end or 0. */
static size_t parse_sd_element(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    struct span id;
    size_t j = i + 1;

    while (j < n && sd_name_char(s[j]) && s[j] != ' ') {
        j++;
    }
    if (j == i + 1 || j - (i + 1) > 32) {
        return 0;
    }
    id.p = s + i + 1;
    id.n = j - (i + 1);
    for (;;) {
        struct span name;
        struct span val;
        int escaped = 0;
        size_t k;

        if (j < n && s[j] == ']') {
            return j + 1;
        }
        if (j >= n || s[j] != ' ') {
            return 0;
        }
        j = skip_sp(s, n, j);
        if (j < n && s[j] == ']') {
            return j + 1;
        }
        k = j;
        while (k < n && sd_name_char(s[k]) && s[k] != ' ') {
            k++;
        }
        if (k == j || k - j > 32 || k + 1 >= n || s[k] != '=' || s[k + 1] != '"') {
            return 0;
        }
        name.p = s + j;
        name.n = k - j;
        k += 2;
        val.p = s + k;
        while (k < n && s[k] != '"') {
            if (s[k] == '\\' && k + 1 < n) {
                escaped = 1;
                k++;
            }
            k++;
        }
        if (k >= n) {
            return 0;
        }
        val.n = (size_t)(s + k - val.p);
        store_param(h, id, name, val, escaped);
        j = k + 1;
    }
}

/* The RFC 5424 header after "VERSION SP" at i: TIMESTAMP through MSG. */
static void parse_5424(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    size_t e = token_end(s, n, i);

    if (!(e - i == 1 && s[i] == '-')) {
        syslog_time_take_5424(h, i, e);
    }
    if (e >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        return;
    }
    i = e + 1;
    if (parse_field(h, &i, 255, "HOSTNAME", &h->host) != 0 ||
        parse_field(h, &i, 48, "APP-NAME", &h->app) != 0 ||
        parse_field(h, &i, 128, "PROCID", &h->procid) != 0 ||
        parse_field(h, &i, 32, "MSGID", &h->msgid) != 0) {
        return;
    }
    if (i >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        return;
    }
    if (s[i] == '-' && at_end(s, n, i + 1)) {
        i++;
    } else if (s[i] == '[') {
        while (i < n && s[i] == '[') {
            size_t end = parse_sd_element(h, i);

            if (end == 0) {
                break;
            }
            i = end;
        }
    } else {
        h->warn |= W_SD; /* no STRUCTURED-DATA at all: all of it is the message */
        i = skip_sp(s, n, i);
        h->msg.p = s + i;
        h->msg.n = n - i;
        return;
    }
    if (i >= n) {
        h->msg.p = s + n;
        return;
    }
    if (s[i] != ' ') {
        h->warn |= W_SD; /* keep what parsed; the rest is the message */
        h->msg.p = s + i;
        h->msg.n = n - i;
        return;
    }
    i++;
    h->msg.p = s + i;
    h->msg.n = n - i;
}

/* One header from i; returns 1 with *relay_at when a relay header was peeled off. */
static int parse_line(struct hdr *h, size_t i, int allow_relay, size_t *relay_at)
{
    const char *s = h->s;
    size_t n = h->n;

    i = skip_sp(s, n, i);
    if (i < n && s[i] == '<') {
        size_t e = syslog_parse_pri(s, n, i, &h->pri);
        int v;

        if (e == 0) {
            size_t k;

            h->pri = -1;
            h->warn |= W_BAD_PRI;
            k = i + 1;
            while (k < n && k - i <= 5 && s[k] != '>') {
                k++;
            }
            e = k < n && s[k] == '>' ? k + 1 : i;
        }
        i = e;
        e = num(s, n, i, 1, 3, &v);
        if (e != 0 && s[i] != '0' && e + 1 < n && s[e] == ' ' &&
            ((s[e + 1] == '-' && at_end(s, n, e + 2)) ||
             (e + 6 <= n && is_digit(s[e + 1]) && is_digit(s[e + 2]) && is_digit(s[e + 3]) &&
              is_digit(s[e + 4]) && s[e + 5] == '-'))) {
            h->version = v;
            parse_5424(h, e + 1);
            return 0;
        }
    } else {
        h->warn |= W_NO_PRI;
    }
    return syslog_bsd_parse(h, i, allow_relay, relay_at);
}

/* ---- output ---- */

static void set_span(struct vg_event *ev, const char *name, struct span sp)
{
    if (sp.p != NULL) {
        event_set_str(ev, name, sp.p, sp.n);
    }
}

/* Set name to the integer in sp when it is 1..18 digits; other text is not set. */
static void set_int_span(struct vg_event *ev, const char *name, struct span sp)
{
    int64_t v = 0;
    size_t k;

    if (sp.p == NULL || sp.n == 0 || sp.n > 18) {
        return;
    }
    for (k = 0; k < sp.n; k++) {
        if (!is_digit(sp.p[k])) {
            return;
        }
        v = v * 10 + (sp.p[k] - '0');
    }
    event_set_int(ev, name, v);
}

/* Append "; " (unless first), a and bn bytes of b to the warning text, if they fit. */
static void add_warn(char *buf, size_t cap, size_t *len, const char *a, const char *b, size_t bn)
{
    int w;

    if (bn > 64) {
        bn = 64;
    }
    w = snprintf(buf + *len, cap - *len, "%s%s%.*s", *len > 0 ? "; " : "", a, (int)bn,
                 b != NULL ? b : "");
    if (w > 0 && (size_t)w < cap - *len) {
        *len += (size_t)w;
    } else {
        buf[*len] = '\0';
    }
}

static void emit_warnings(struct hdr *h)
{
    char buf[256];
    size_t len = 0;

    if (h->warn & W_NO_PRI) {
        add_warn(buf, sizeof(buf), &len, "missing PRI", NULL, 0);
    }
    if (h->warn & W_BAD_PRI) {
        add_warn(buf, sizeof(buf), &len, "invalid PRI", NULL, 0);
    }
    if (h->warn & W_BAD_TS) {
        add_warn(buf, sizeof(buf), &len, "invalid timestamp", NULL, 0);
    }
    if (h->warn & W_NO_TS) {
        add_warn(buf, sizeof(buf), &len, "missing timestamp", NULL, 0);
    }
    if (h->warn & W_ZONE) {
        add_warn(buf, sizeof(buf), &len, "unknown time zone, UTC assumed: ", h->zone.p, h->zone.n);
    }
    if (h->warn & W_HDR) {
        add_warn(buf, sizeof(buf), &len, "invalid RFC 5424 ", h->bad_field, strlen(h->bad_field));
    }
    if (h->warn & W_TRUNC) {
        add_warn(buf, sizeof(buf), &len, "truncated RFC 5424 header", NULL, 0);
    }
    if (h->warn & W_SD) {
        add_warn(buf, sizeof(buf), &len, "malformed structured data", NULL, 0);
    }
    if (len > 0) {
        event_set_str(h->ev, "vigil.parse_warning", buf, len);
    }
}

static void emit(struct hdr *h, int64_t recv_ms)
{
    struct vg_event *ev = h->ev;
    int pri = h->pri >= 0 ? h->pri : DEFAULT_PRI;
    int cisco = h->has_mnem || h->cisco;
    struct span msg = h->msg;

    if (!h->version && !h->has_ts && !h->uptime && !cisco && !(h->warn & W_BAD_TS)) {
        h->warn |= W_NO_TS;
    }
    event_set_time(ev, h->has_ts ? h->ts_ms : recv_ms);
    event_set_int(ev, "log.syslog.priority", pri);
    event_set_int(ev, "log.syslog.facility.code", pri >> 3);
    event_set_strz(ev, "log.syslog.facility.name", syslog_facility_name(pri >> 3));
    event_set_int(ev, "log.syslog.severity.code", pri & 7);
    event_set_strz(ev, "log.syslog.severity.name", syslog_severity_name(pri & 7));
    if (h->version) {
        event_set_int(ev, "log.syslog.version", h->version);
        event_set_strz(ev, "log.syslog.format", "rfc5424");
    } else if (cisco) {
        event_set_strz(ev, "log.syslog.format", h->year_first ? "nxos" : "cisco");
    } else {
        event_set_strz(ev, "log.syslog.format", "rfc3164");
    }
    set_span(ev, "host.name", h->host);
    set_span(ev, "log.syslog.hostname", h->host);
    set_span(ev, "log.syslog.relay", h->relay);
    set_span(ev, "log.syslog.appname", h->app);
    set_span(ev, "process.name", h->app);
    set_span(ev, "log.syslog.procid", h->procid);
    set_int_span(ev, "process.pid", h->procid); /* an integer in the schema */
    set_span(ev, "log.syslog.msgid", h->msgid);
    set_span(ev, "log.syslog.timezone", h->zone);
    if (h->has_seq) {
        event_set_int(ev, "event.sequence", h->seq);
    }
    set_span(ev, "cisco.clock_flag", h->flag);
    if (h->has_mnem) {
        struct span code = {h->mnem.fac.p, (size_t)(h->mnem.mn.p + h->mnem.mn.n - h->mnem.fac.p)};

        set_span(ev, "event.code", code);
        set_span(ev, "cisco.facility", h->mnem.fac);
        event_set_int(ev, "cisco.severity", h->mnem.sev);
        set_span(ev, "cisco.mnemonic", h->mnem.mn);
    } else if (h->has_vrp) {
        struct span code = {h->vrp.mod.p, (size_t)(h->vrp.brief.p + h->vrp.brief.n - h->vrp.mod.p)};

        set_span(ev, "event.code", code);
        set_span(ev, "vrp.module", h->vrp.mod);
        event_set_int(ev, "vrp.severity", h->vrp.sev);
        set_span(ev, "vrp.brief", h->vrp.brief);
    }
    if (msg.p == NULL) {
        msg.p = h->s + h->n;
        msg.n = 0;
    }
    if (msg.n >= 3 && (unsigned char)msg.p[0] == 0xEF && (unsigned char)msg.p[1] == 0xBB &&
        (unsigned char)msg.p[2] == 0xBF) {
        msg.p += 3;
        msg.n -= 3;
    }
    event_set_str(ev, "message", msg.p, msg.n);
    emit_warnings(h);
}

/* ---- public API ---- */

static void hdr_reset(struct hdr *h, const char *s, size_t n, const struct syslog_opts *o,
                      struct vg_event *ev)
{
    memset(h, 0, sizeof(*h));
    h->s = s;
    h->n = n;
    h->opts = o;
    h->ev = ev;
    h->pri = -1;
}

/*
 * Parse one syslog message into ev (see syslog.h). Relay headers are peeled off
 * and the innermost message parsed; log.syslog.relay keeps the host of the last
 * relay header. The caller owns buf and ev; nothing is kept after the return.
 */
int syslog_parse(const char *buf, size_t len, const struct syslog_opts *opts, struct vg_event *ev)
{
    struct syslog_opts dflt = {0, 0, 0};
    struct hdr h;
    size_t i = 0;
    int depth;

    if (opts == NULL) {
        dflt.recv_ms = time_now_ms();
        opts = &dflt;
    }
    if (buf == NULL) {
        len = 0;
        buf = "";
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == '\0')) {
        len--;
    }
    hdr_reset(&h, buf, len, opts, ev);
    for (depth = 0; depth < MAX_RELAYS; depth++) {
        size_t at = 0;
        struct span relay;

        if (parse_line(&h, i, depth + 1 < MAX_RELAYS, &at) == 0) {
            break;
        }
        relay = h.relay;
        hdr_reset(&h, buf, len, opts, ev);
        h.relay = relay;
        i = at;
    }
    if (opts->keep_original) {
        event_set_str(ev, "event.original", buf, len);
    }
    emit(&h, opts->recv_ms);
    return 0;
}

/* The facility name of code 0..23, or "unknown". */
const char *syslog_facility_name(int code)
{
    if (code < 0 || code >= (int)ARRAY_SIZE(facility_names)) {
        return "unknown";
    }
    return facility_names[code];
}

/* The severity name of code 0..7, or "unknown". */
const char *syslog_severity_name(int code)
{
    if (code < 0 || code >= (int)ARRAY_SIZE(severity_names)) {
        return "unknown";
    }
    return severity_names[code];
}
