/* SPDX-License-Identifier: MIT */
/*
 * From raw bytes to a normalized event: a syslog line (parsed, then
 * normalized) or a JSON event (a replay file's line, or a trap the SNMP
 * receiver converted). Shared by the daemon's
 * pipeline and vigilctl parse, so both print the same events.
 */
#ifndef VG_CORE_BUILD_H
#define VG_CORE_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "event.h"
#include "normalize.h"

struct build_opts {
    int replay;         /* 1: event.ingested is the event time, so output is repeatable */
    int default_tz_min; /* zone for timestamps without one */
};

/* What happened while building, for the counters. */
#define BUILD_NORMALIZED 0x1u /* a template matched */
#define BUILD_WARNING    0x2u /* vigil.parse_warning is set */
#define BUILD_JSON_ERROR                                                                        \
    0x4u                     /* a replay line starting with '{' was not JSON (parsed as syslog) \
                              */
#define BUILD_TRUNCATED 0x8u /* the message was cut to the maximum size */

/*
 * Build the event of one message. transport is enum raw_transport; peer may be
 * NULL. JSON events are accepted only from files (RAW_FILE) and from the trap
 * receiver (RAW_SNMP), never from the network's syslog listeners. Never NULL.
 */
struct vg_event *build_event(const struct normalizer *nz, const struct build_opts *o,
                             const char *data, size_t len, int64_t recv_ms,
                             const struct sockaddr *peer, int transport, int truncated,
                             unsigned *flags);

#endif /* VG_CORE_BUILD_H */
