/* SPDX-License-Identifier: MIT */
/*
 * `vigilctl trap-handle`: snmptrapd's traphandle input (the sender's host name,
 * its transport address, then one "OID VALUE" line per varbind) turned back into
 * an SNMPv2c trap sent to vigild's trap port, with snmpTrapAddress.0 set to the
 * original agent, so traps that reach Debian's snmptrapd first go through
 * vigild's own receiver, policy and templates.
 */
#ifndef VG_CORE_TRAPHANDLE_H
#define VG_CORE_TRAPHANDLE_H

#include <stddef.h>

#define TH_VARBINDS_MAX 128   /* varbinds taken from one trap */
#define TH_INPUT_MAX    65536 /* bytes of handler input read */

/* One varbind as snmptrapd printed it. */
struct th_varbind {
    char *oid;   /* name or numeric OID, with its instance */
    char *value; /* the value text (quotes removed from strings, escapes resolved) */
    int quoted;  /* 1: the value was a quoted string */
};

/* One trap read from the handler input. */
struct th_trap {
    char *host;                                  /* first line: the sender's name */
    char *agent_ip;                              /* the source address of line two, or NULL */
    struct th_varbind varbinds[TH_VARBINDS_MAX]; /* in order */
    size_t n;                                    /* entries in varbinds */
};

/*
 * Parse handler input. Returns 0, or -1 with a sentence in err (too short, no
 * snmpTrapOID.0, a line without a value). Free with traphandle_free.
 */
int traphandle_parse(const char *input, size_t len, struct th_trap *t, char *err, size_t err_len);
void traphandle_free(struct th_trap *t);

/*
 * Send t as an SNMPv2c trap to target ("udp:127.0.0.1:1162") with community,
 * adding snmpTrapAddress.0 (the agent of line two) unless the trap has one;
 * an IPv6 agent cannot be carried there (the type is IPv4 only), so its trap
 * names the sender of this trap instead (the caller warns).
 * Call trap_library_init first, so MIB names and enum labels resolve. Returns
 * 0, or -1 with a sentence in err.
 */
int traphandle_send(const struct th_trap *t, const char *target, const char *community, char *err,
                    size_t err_len);

#endif /* VG_CORE_TRAPHANDLE_H */
