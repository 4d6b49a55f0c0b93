/* SPDX-License-Identifier: MIT */
/*
 * SNMP notifications as events: the net-snmp library set up for vigild (no
 * config files, no persistent state, its log routed to vigil's, the MIB
 * modules loaded) and the conversion of one received trap or inform PDU into
 * the event JSON of the trap contract (v1 mapped to v2 per RFC 3584 3.1, OIDs
 * kept numeric and named from the MIBs, values typed). net-snmp is not
 * thread-safe: every function here runs on the one thread that owns it.
 */
#ifndef VG_CORE_TRAP_H
#define VG_CORE_TRAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

struct snmp_pdu; /* net-snmp's netsnmp_pdu */

/* Where MIB modules come from; later directories override earlier ones per module. */
struct trap_mib_cfg {
    const char *vigil_dir;   /* vigil's own modules (contrib/mibs); NULL or absent: none */
    int no_system_dirs;      /* 1: leave out net-snmp's default directories (tests) */
    const char *const *dirs; /* further directories (config snmp.mib_dirs), searched last */
    size_t n_dirs;           /* entries in dirs */
};

/* trap_to_json results besides 0. */
#define TRAP_ERR_NOT_NOTIFICATION (-1) /* not a Trap, SNMPv2-Trap or InformRequest PDU */
#define TRAP_ERR_NO_TRAP_OID      (-2) /* a v2 notification without snmpTrapOID.0 */

/*
 * Set up net-snmp for vigild: no snmp.conf, no persistent files, its log
 * lines through log_msg (debug level, rate-limited), then load every MIB module
 * of vigil_dir, net-snmp's default directories and dirs, in that order (a module
 * found in a later directory replaces an earlier one of the same name). Missing
 * configured directories and parser problems are logged. Call on the thread
 * that will own net-snmp, before any other net-snmp call; pair with
 * trap_library_shutdown. Returns 0, or -1 when already initialised.
 */
int trap_library_init(const struct trap_mib_cfg *mc);
/*
 * How many SNMPv3 messages so far passed the USM (user, digest) but had a
 * scoped PDU that did not parse: with privacy, the sign of a wrong privacy key.
 * net-snmp counts these only with all ASN.1 parse errors, so this is read from
 * its log line. Same thread.
 */
unsigned long trap_library_scoped_pdu_errors(void);
/* Free everything net-snmp holds (sessions, users, the MIB tree). Same thread. */
void trap_library_shutdown(void);

/*
 * Append the event JSON of one notification PDU (a v1 Trap, a v2c/v3 Trap or
 * Inform) received at recv_ms from peer (may be NULL) over transport ("udp").
 * Pure apart from reading the loaded MIB tree: never sends, never resolves
 * names. The community string never appears in the output (snmpTrapCommunity.0
 * varbinds are left out too). Returns 0, TRAP_ERR_NOT_NOTIFICATION or
 * TRAP_ERR_NO_TRAP_OID (out is then unchanged).
 */
int trap_to_json(const struct snmp_pdu *pdu, const struct sockaddr *peer, const char *transport,
                 int64_t recv_ms, struct sbuf *out);

#endif /* VG_CORE_TRAP_H */
