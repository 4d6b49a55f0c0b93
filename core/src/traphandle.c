/* SPDX-License-Identifier: MIT */
/*
 * snmptrapd traphandle input back into an SNMPv2c trap for vigild (see
 * traphandle.h). snmptrapd prints varbinds for handlers in its quick form
 * ("IF-MIB::ifIndex.3 3", "SNMPv2-MIB::snmpTrapOID.0 IF-MIB::linkDown"), so
 * types come from the MIB where it names the object, else from the value's shape.
 */
#include "traphandle.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const oid uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const oid trap_addr_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 3, 0};
static const oid community_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 4, 0};

void traphandle_free(struct th_trap *t)
{
    size_t i;

    free(t->host);
    free(t->agent_ip);
    for (i = 0; i < t->n; i++) {
        free(t->varbinds[i].oid);
        free(t->varbinds[i].value);
    }
    memset(t, 0, sizeof(*t));
}

/* The address between the first brackets of "UDP: [192.0.2.1]:1234->[...]:162", if numeric. */
static char *transport_ip(const char *line, size_t len)
{
    const char *open = memchr(line, '[', len);
    const char *close = open != NULL ? memchr(open, ']', len - (size_t)(open - line)) : NULL;
    char buf[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    size_t n;

    if (close == NULL || (n = (size_t)(close - open - 1)) == 0 || n >= sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, open + 1, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1) {
        return NULL;
    }
    return xstrdup(buf);
}

/* A value as printed: a quoted string loses its quotes and escapes. */
static char *value_text(const char *v, size_t len, int *quoted)
{
    struct sbuf b = {0};
    size_t i;

    *quoted = len >= 2 && v[0] == '"' && v[len - 1] == '"';
    if (!*quoted) {
        return xstrndup(v, len);
    }
    sbuf_add(&b, "", 0);
    for (i = 1; i + 1 < len; i++) {
        if (v[i] == '\\' && i + 2 < len) {
            i++;
        }
        sbuf_addc(&b, v[i]);
    }
    return b.buf;
}

/*
 * The closing quote of a quoted value that starts at q (after its opening
 * quote): an unescaped '"' at the end of a line or of the input; NULL if none.
 */
static const char *quoted_end(const char *q, const char *end)
{
    for (; q < end; q++) {
        if (*q == '\\' && q + 1 < end) {
            q++;
        } else if (*q == '"' && (q + 1 == end || q[1] == '\n' || q[1] == '\r')) {
            return q;
        }
    }
    return NULL;
}

int traphandle_parse(const char *input, size_t len, struct th_trap *t, char *err, size_t err_len)
{
    const char *p = input;
    const char *end = input + len;
    int line_no = 0;
    int has_trap_oid = 0;

    memset(t, 0, sizeof(*t));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        size_t n = (size_t)(stop - p);

        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        line_no++;
        if (line_no == 1) {
            t->host = xstrndup(p, n);
        } else if (line_no == 2) {
            t->agent_ip = transport_ip(p, n);
        } else if (n > 0) {
            const char *sp = memchr(p, ' ', n);
            struct th_varbind *vb;

            if (sp != NULL && sp + 1 < p + n && sp[1] == '"') {
                /* A quoted value may run over lines (long hex strings do). */
                const char *q = quoted_end(sp + 2, end);

                if (q != NULL && q >= stop) {
                    stop = q + 1;
                    nl = stop < end ? stop : NULL;
                    n = (size_t)(stop - p);
                }
            }

            if (t->n == TH_VARBINDS_MAX) {
                snprintf(err, err_len, "more than %d varbinds", TH_VARBINDS_MAX);
                goto out_fail;
            }
            vb = &t->varbinds[t->n++];
            vb->oid = xstrndup(p, sp != NULL ? (size_t)(sp - p) : n);
            vb->value = sp != NULL ? value_text(sp + 1, n - (size_t)(sp + 1 - p), &vb->quoted)
                                   : xstrdup("");
            if (strstr(vb->oid, "snmpTrapOID.0") != NULL ||
                strcmp(vb->oid, "1.3.6.1.6.3.1.1.4.1.0") == 0 ||
                strcmp(vb->oid, ".1.3.6.1.6.3.1.1.4.1.0") == 0) {
                has_trap_oid = 1;
            }
        }
        p = stop + (nl != NULL);
    }
    if (line_no < 3) {
        snprintf(err, err_len, "handler input has %d line(s); expected host, address, varbinds",
                 line_no);
        goto out_fail;
    }
    if (!has_trap_oid) {
        snprintf(err, err_len, "no snmpTrapOID.0 among the varbinds");
        goto out_fail;
    }
    return 0;
out_fail:
    traphandle_free(t);
    return -1;
}

/* "0:0:00:01.23" (days:hours:minutes:seconds.hundredths) or "(123) ..." into hundredths. */
static int parse_ticks(const char *v, unsigned long *out)
{
    unsigned long d = 0, h = 0, m = 0, s = 0, c = 0;

    if (v[0] == '(') {
        return sscanf(v, "(%lu)", out) == 1 ? 0 : -1;
    }
    if (sscanf(v, "%lu:%lu:%lu:%lu.%lu", &d, &h, &m, &s, &c) == 5) {
        *out = (((d * 24 + h) * 60 + m) * 60 + s) * 100 + c;
        return 0;
    }
    return sscanf(v, "%lu", out) == 1 ? 0 : -1;
}

/* The type letter snmp_add_var understands, guessed from the value's shape. */
static char guess_type(const struct th_varbind *vb)
{
    const char *v = vb->value;
    unsigned char bin[16];
    size_t i;
    int dots = 0;

    if (vb->quoted || v[0] == '\0') {
        return 's';
    }
    if (inet_pton(AF_INET, v, bin) == 1) {
        return 'a';
    }
    for (i = (v[0] == '-'); v[i] != '\0' && isdigit((unsigned char)v[i]); i++) {
    }
    if (v[i] == '\0' && i > (size_t)(v[0] == '-')) {
        return 'i';
    }
    for (i = 0; v[i] != '\0'; i++) {
        if (v[i] == '.') {
            dots++;
        } else if (!isdigit((unsigned char)v[i])) {
            break;
        }
    }
    if ((v[i] == '\0' && dots >= 2) || strstr(v, "::") != NULL) {
        return 'o';
    }
    return 's';
}

/*
 * 1 if v is net-snmp's hex form of an octet string ("00 1A 2B ": two hex
 * digits and a space per byte), which it prints for strings that are not text.
 */
static int is_hex_form(const char *v)
{
    size_t i;

    if (v[0] == '\0') {
        return 0;
    }
    for (i = 0; v[i] != '\0';) {
        if (v[i] == ' ' || v[i] == '\n' || v[i] == '\r') {
            i++;
            continue;
        }
        if (!isxdigit((unsigned char)v[i]) || !isxdigit((unsigned char)v[i + 1]) ||
            (v[i + 2] != ' ' && v[i + 2] != '\n' && v[i + 2] != '\0')) {
            return 0;
        }
        i += 2;
    }
    return 1;
}

/*
 * Add one varbind: the MIB's type first ('=', which also takes enum labels),
 * then a TimeTicks or hex form, then the type the value's shape suggests, else
 * a string.
 */
static int add_varbind(netsnmp_pdu *pdu, const struct th_varbind *vb, char *err, size_t err_len)
{
    oid name[MAX_OID_LEN];
    size_t name_len = MAX_OID_LEN;
    char guessed;

    int known = read_objid(vb->oid, name, &name_len);

    if (!known && strstr(vb->oid, "sysUpTime") != NULL) {
        /* Whatever module snmptrapd named it by (DISMAN-EVENT-MIB::sysUpTimeInstance). */
        memcpy(name, uptime_oid, sizeof(uptime_oid));
        name_len = OID_LENGTH(uptime_oid);
        known = 1;
    }
    if (!known) {
        snprintf(err, err_len,
                 "unknown OID %.200s (give snmptrapd 'outputOption n' for numeric OIDs)", vb->oid);
        return -1;
    }
    if (snmp_oid_compare(name, name_len, community_oid, OID_LENGTH(community_oid)) == 0) {
        return 0; /* the community of a v1 trap snmptrapd converted: never passed on */
    }
    if (snmp_oid_compare(name, name_len, uptime_oid, OID_LENGTH(uptime_oid)) == 0) {
        unsigned long ticks;
        char buf[24];

        if (parse_ticks(vb->value, &ticks) != 0) {
            snprintf(err, err_len, "sysUpTime.0 value %.100s is not a time", vb->value);
            return -1;
        }
        snprintf(buf, sizeof(buf), "%lu", ticks);
        return snmp_add_var(pdu, name, name_len, 't', buf) == 0 ? 0 : -1;
    }
    if (snmp_oid_compare(name, name_len, trap_oid_oid, OID_LENGTH(trap_oid_oid)) == 0) {
        if (snmp_add_var(pdu, name, name_len, 'o', vb->value) != 0) {
            snprintf(err, err_len, "trap OID %.200s is unknown (numeric OIDs always work)",
                     vb->value);
            return -1;
        }
        return 0;
    }
    if (!vb->quoted && snmp_add_var(pdu, name, name_len, '=', vb->value) == 0) {
        return 0;
    }
    if (!vb->quoted && strchr(vb->value, ':') != NULL) {
        unsigned long ticks;
        char buf[24];

        if (parse_ticks(vb->value, &ticks) == 0) {
            snprintf(buf, sizeof(buf), "%lu", ticks);
            return snmp_add_var(pdu, name, name_len, 't', buf) == 0 ? 0 : -1;
        }
    }
    if (vb->quoted && is_hex_form(vb->value) &&
        snmp_add_var(pdu, name, name_len, 'x', vb->value) == 0) {
        return 0;
    }
    guessed = guess_type(vb);
    if (snmp_add_var(pdu, name, name_len, guessed, vb->value) == 0) {
        return 0;
    }
    return snmp_add_var(pdu, name, name_len, 's', vb->value) == 0 ? 0 : -1;
}

int traphandle_send(const struct th_trap *t, const char *target, const char *community, char *err,
                    size_t err_len)
{
    netsnmp_session sess;
    netsnmp_pdu *pdu;
    void *ss;
    char *peer;
    char *comm;
    size_t i;
    int has_addr = 0;

    err[0] = '\0';
    pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
    for (i = 0; i < t->n; i++) {
        if (add_varbind(pdu, &t->varbinds[i], err, err_len) != 0) {
            if (err[0] == '\0') {
                snprintf(err, err_len, "cannot encode varbind %.200s", t->varbinds[i].oid);
            }
            snmp_free_pdu(pdu);
            return -1;
        }
        has_addr |= strstr(t->varbinds[i].oid, "snmpTrapAddress.0") != NULL ||
                    strcmp(t->varbinds[i].oid, "1.3.6.1.6.3.18.1.3.0") == 0;
    }
    /*
     * The agent as snmptrapd saw it, unless the trap was forwarded with one
     * already. snmpTrapAddress.0 is an IpAddress (IPv4 only): an IPv6 agent
     * cannot be named, so vigild sees this handler as the agent (see
     * traphandle.h).
     */
    if (!has_addr && t->agent_ip != NULL && strchr(t->agent_ip, ':') == NULL) {
        snmp_add_var(pdu, trap_addr_oid, OID_LENGTH(trap_addr_oid), 'a', t->agent_ip);
    }
    snmp_sess_init(&sess);
    sess.version = SNMP_VERSION_2c;
    peer = xstrdup(target);
    comm = xstrdup(community);
    sess.peername = peer;
    sess.community = (u_char *)comm;
    sess.community_len = strlen(comm);
    ss = snmp_sess_open(&sess);
    free(peer);
    free(comm);
    if (ss == NULL) {
        snprintf(err, err_len, "cannot open a session to %s", target);
        snmp_free_pdu(pdu);
        return -1;
    }
    if (snmp_sess_send(ss, pdu) == 0) {
        snprintf(err, err_len, "cannot send the trap to %s", target);
        snmp_free_pdu(pdu);
        snmp_sess_close(ss);
        return -1;
    }
    snmp_sess_close(ss);
    return 0;
}
