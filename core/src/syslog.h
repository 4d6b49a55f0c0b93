/* SPDX-License-Identifier: MIT */
/*
 * Syslog header parser: RFC 5424 (full ABNF, structured data, NILVALUE, BOM) and
 * RFC 3164 with the variants real gear sends (Cisco IOS/NX-OS, relays, no PRI).
 * A line is never rejected: what cannot be parsed gets defaults and a
 * vigil.parse_warning field. The parser writes ECS fields straight into an event.
 */
#ifndef VG_CORE_SYSLOG_H
#define VG_CORE_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct syslog_opts {
    int64_t recv_ms;    /* receive time, ms since the epoch: default timestamp, year guess */
    int default_tz_min; /* offset east of UTC in minutes for stamps without a zone */
    int keep_original;  /* 1: set event.original to the whole input */
};

/*
 * Parse one syslog message (without framing; a trailing CR/LF/NUL is ignored)
 * of len bytes into ev, which should be empty. Sets, where present:
 *   @timestamp (ev->ts_ms; recv_ms when absent or unparsable), event.original,
 *   message, host.name, log.syslog.priority, log.syslog.facility.code/.name,
 *   log.syslog.severity.code/.name, log.syslog.version, log.syslog.hostname,
 *   log.syslog.appname, log.syslog.procid, log.syslog.msgid,
 *   log.syslog.structured_data.<SD-ID>.<PARAM> (unescaped), log.syslog.format
 *   ("rfc5424", "rfc3164", "cisco", "nxos"), process.name, process.pid,
 *   event.code (Cisco "%FAC-SEV-MNEMONIC" as "FAC-SEV-MNEMONIC"), event.sequence
 *   (Cisco sequence number), cisco.facility, cisco.severity, cisco.mnemonic,
 *   cisco.clock_flag ("*" or "."), log.syslog.timezone (an abbreviation seen),
 *   log.syslog.relay (the relay nearest the device when relays prepended headers),
 *   vrp.module, vrp.severity, vrp.brief (Huawei VRP / H3C "%%01MOD/4/BRIEF(l)",
 *   with event.code "MOD/4/BRIEF"), vigil.parse_warning ("; "-joined reasons).
 * Always returns 0: the event is usable whatever the input was.
 */
int syslog_parse(const char *buf, size_t len, const struct syslog_opts *opts, struct vg_event *ev);

/* The facility name of code 0..23 ("kern", ..., "local7"), or "unknown". */
const char *syslog_facility_name(int code);
/* The severity name of code 0..7 ("emerg", ..., "debug"), or "unknown". */
const char *syslog_severity_name(int code);

#endif /* VG_CORE_SYSLOG_H */
