/* SPDX-License-Identifier: MIT */
/*
 * RFC 3164 headers as devices really send them: optional timestamps and hostnames,
 * Cisco IOS/IOS-XE/IOS-XR and NX-OS prefixes (sequence numbers, origin hosts,
 * clock flags, uptimes, "%FAC-SEV-MNEMONIC:" tags), Huawei VRP / H3C Comware
 * "%%01MOD/4/BRIEF:" tags, relays that prepend their own header, and the TAG
 * "prog[pid]:". Results are spans into the input kept in struct hdr.
 */
#include "syslog_int.h"

#define MAX_ROUNDS 8 /* tokens tried before or after a hostname */

static int is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/* ---- tags ---- */

/* Cisco "%FAC-SEV-MNEMONIC:" (IOS-XR puts a space before the ':'). Returns the end or 0. */
static size_t parse_mnemonic(const char *s, size_t n, size_t i, struct mnem *m)
{
    size_t j = i + 1;
    size_t k;
    size_t q;

    if (i >= n || s[i] != '%') {
        return 0;
    }
    while (j < n && j - i <= 128 && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-')) {
        j++;
    }
    k = j;
    while (k < n && s[k] == ' ' && k - j < 2) {
        k++;
    }
    if (k >= n || s[k] != ':' || !is_alpha(s[i + 1])) {
        return 0;
    }
    /* The severity is the last "-D-" group: facilities may contain dashes themselves. */
    for (q = j - 1; q >= i + 4; q--) {
        if (s[q] == '-' && s[q - 1] >= '0' && s[q - 1] <= '7' && s[q - 2] == '-' && q + 1 < j) {
            m->fac.p = s + i + 1;
            m->fac.n = q - 2 - (i + 1);
            m->sev = s[q - 1] - '0';
            m->mn.p = s + q + 1;
            m->mn.n = j - (q + 1);
            return k + 1;
        }
    }
    return 0;
}

/* Skip a "(x)" or "[n]" group of up to 16 bytes at s[j]; returns the index after it. */
static size_t skip_group(const char *s, size_t n, size_t j, char open, char close)
{
    size_t k = j + 1;

    if (j >= n || s[j] != open) {
        return j;
    }
    while (k < n && k - j <= 16 && s[k] != close) {
        k++;
    }
    return k < n && s[k] == close ? k + 1 : j;
}

/* Huawei/H3C "%%01IFNET/4/IF_STATE(l)[0]:". Returns the end or 0. */
static size_t parse_vrp(const char *s, size_t n, size_t i, struct vrp *v)
{
    size_t j = i + 4;
    size_t m = j;
    size_t b;

    if (i + 4 > n || s[i] != '%' || s[i + 1] != '%' || !is_digit(s[i + 2]) || !is_digit(s[i + 3])) {
        return 0;
    }
    while (j < n && j - m < 64 && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-')) {
        j++;
    }
    if (j == m || j + 3 > n || s[j] != '/' || !is_digit(s[j + 1]) || s[j + 2] != '/') {
        return 0;
    }
    v->sev = s[j + 1] - '0';
    b = j + 3;
    j = b;
    while (j < n && j - b < 64 && (is_alnum(s[j]) || s[j] == '_')) {
        j++;
    }
    if (j == b) {
        return 0;
    }
    v->mod.p = s + m;
    v->mod.n = b - 3 - m;
    v->brief.p = s + b;
    v->brief.n = j - b;
    j = skip_group(s, n, j, '(', ')');
    j = skip_group(s, n, j, '[', ']');
    if (j >= n || s[j] != ':') {
        return 0;
    }
    return j + 1;
}

/* A TAG "prog[pid]:" or "prog:" ending the token. Returns the end or 0. */
static size_t parse_tag(const char *s, size_t n, size_t i, struct span *prog, struct span *pid)
{
    size_t j = i;

    while (j < n && j - i < 128 && is_print(s[j]) && s[j] != '[' && s[j] != ']' && s[j] != ':') {
        j++;
    }
    if (j == i || j >= n) {
        return 0;
    }
    prog->p = s + i;
    prog->n = j - i;
    pid->p = NULL;
    pid->n = 0;
    if (s[j] == '[') {
        size_t k = j + 1;

        while (k < n && k - j <= 32 && is_print(s[k]) && s[k] != ']') {
            k++;
        }
        if (k >= n || s[k] != ']') {
            return 0;
        }
        pid->p = s + j + 1;
        pid->n = k - (j + 1);
        j = k + 1;
    }
    if (j >= n || s[j] != ':' || !at_end(s, n, j + 1)) {
        return 0;
    }
    return j + 1;
}

/* A plausible HOSTNAME token s[i..e): a name, an IPv4 or IPv6 address. */
static int host_ok(const char *s, size_t i, size_t e)
{
    size_t k;

    if (e == i || e - i > 255) {
        return 0;
    }
    for (k = i; k < e; k++) {
        if (!is_alnum(s[k]) && s[k] != '.' && s[k] != '-' && s[k] != '_' && s[k] != ':' &&
            s[k] != '@') {
            return 0;
        }
    }
    return 1;
}

/* ---- the header ---- */

/*
 * Cisco and NX-OS material up to the timestamp: sequence numbers "117: ", an
 * origin hostname "r1: ", a clock flag, then a timestamp or an uptime. Origins
 * are taken only before the hostname position (after_host 0). *got is 0 when
 * neither a timestamp nor an uptime was found, 1 for a timestamp in *t, 2 for an
 * uptime. Returns the position after what was consumed.
 */
static size_t parse_prefix(struct hdr *h, size_t i, int after_host, int *got, struct stamp *t)
{
    const char *s = h->s;
    size_t n = h->n;
    int round;

    *got = 0;
    for (round = 0; round < MAX_ROUNDS; round++) {
        struct stamp look;
        size_t k;
        size_t e;
        int64_t seq = 0;

        i = skip_sp(s, n, i);
        k = i;
        if (k < n && (s[k] == '*' || s[k] == '.')) {
            k++;
        }
        if ((e = syslog_time_parse(s, n, k, h->cisco, t)) != 0) {
            *got = 1;
        } else if ((e = syslog_time_parse_uptime(s, n, k)) != 0) {
            *got = 2;
            h->cisco = 1;
        }
        if (*got != 0) {
            if (k > i) {
                h->flag.p = s + i;
                h->flag.n = 1;
                h->cisco = 1;
            }
            return e;
        }
        if (k > i) {
            break; /* a flag must precede a stamp */
        }
        for (e = i; e < n && e - i < 18 && is_digit(s[e]); e++) {
            seq = seq * 10 + (s[e] - '0');
        }
        if (e > i && e < n && s[e] == ':' && at_end(s, n, e + 1)) {
            h->seq = seq;
            h->has_seq = 1;
            h->cisco = 1;
            i = e + 1;
            continue;
        }
        if (after_host) {
            break;
        }
        /* Origin: "rt401: Aug 18 ..." (IOS-XR: "RP/0/RSP0/CPU0:Aug 18 ..."). */
        e = i;
        while (e < n && e - i < 256 && is_print(s[e]) && s[e] != ':') {
            e++;
        }
        if (e == i || e >= n || s[e] != ':') {
            break;
        }
        k = skip_sp(s, n, e + 1);
        if (k < n && (s[k] == '*' || s[k] == '.')) {
            k++;
        }
        if (syslog_time_parse(s, n, k, 1, &look) == 0 && syslog_time_parse_uptime(s, n, k) == 0) {
            break;
        }
        if (host_ok(s, i, e) && h->host.p == NULL) {
            h->host.p = s + i;
            h->host.n = e - i;
        }
        h->cisco = 1;
        i = e + 1;
    }
    return i;
}

/* The text after the header: a Cisco or Huawei tag, a TAG, then the message. */
static void parse_content(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    struct span prog;
    struct span pid;
    size_t e;

    i = skip_sp(s, n, i);
    if ((e = parse_mnemonic(s, n, i, &h->mnem)) != 0) {
        h->has_mnem = 1;
        i = e;
    } else if ((e = parse_vrp(s, n, i, &h->vrp)) != 0) {
        h->has_vrp = 1;
        i = e;
    } else if ((e = parse_tag(s, n, i, &prog, &pid)) != 0) {
        size_t m = parse_mnemonic(s, n, skip_sp(s, n, e), &h->mnem);

        i = e;
        if (m != 0) {
            h->has_mnem = 1;
            i = m;
        }
        if (m != 0 && pid.p == NULL && h->host.p == NULL && host_ok(prog.p, 0, prog.n)) {
            h->host = prog; /* "r1: %LINK-3-UPDOWN: ..." names the device, not a program */
        } else {
            h->app = prog;
            h->procid = pid;
        }
    }
    i = skip_sp(s, n, i);
    h->msg.p = s + i;
    h->msg.n = n - i;
}

/* An RFC 3164 style line from i, after the PRI (see syslog_int.h). */
int syslog_bsd_parse(struct hdr *h, size_t i, int allow_relay, size_t *relay_at)
{
    const char *s = h->s;
    size_t n = h->n;
    struct stamp t;
    int got;
    int round;
    int pri;

    if (i < n && s[i] == ':' && at_end(s, n, i + 1)) {
        h->cisco = 1; /* "<191>: rt401: ..." and NX-OS "<46>: 2024 Aug 27 ..." */
        i++;
    }
    i = parse_prefix(h, i, 0, &got, &t);
    if (got == 1) {
        syslog_time_take(h, &t);
    } else if (got == 2) {
        h->uptime = 1;
    }
    for (round = 0; got != 0 && !(got == 1 && t.colon) && got != 2 && round < MAX_ROUNDS; round++) {
        struct mnem m;
        struct vrp v;
        struct span prog;
        struct span pid;
        size_t e;

        i = skip_sp(s, n, i);
        if (allow_relay && syslog_parse_pri(s, n, i, &pri) != 0) {
            *relay_at = i;
            return 1;
        }
        e = token_end(s, n, i);
        if (e == i || parse_mnemonic(s, n, i, &m) != 0 || parse_vrp(s, n, i, &v) != 0 ||
            parse_tag(s, n, i, &prog, &pid) != 0 || !host_ok(s, i, e)) {
            break;
        }
        h->host.p = s + i;
        h->host.n = e - i;
        i = skip_sp(s, n, e);
        if (allow_relay && syslog_parse_pri(s, n, i, &pri) != 0) {
            h->relay = h->host;
            *relay_at = i;
            return 1;
        }
        if (i < n && s[i] == ':' && at_end(s, n, i + 1)) {
            i++; /* ASA "asa1 : %ASA-..." */
        }
        i = parse_prefix(h, i, 1, &got, &t);
        if (got == 1) {
            syslog_time_take(h, &t);
        } else if (got == 2) {
            h->uptime = 1;
        }
        if (got == 1 && !t.colon) {
            /* A second full header: a relay that kept no PRI; the device follows. */
            h->relay = h->host;
            h->host.p = NULL;
            h->host.n = 0;
        }
    }
    parse_content(h, i);
    return 0;
}
