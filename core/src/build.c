/* SPDX-License-Identifier: MIT */
/* Event building: parse, sender fields, normalization (see build.h). */
#include "build.h"

#include "input.h"
#include "syslog.h"

struct vg_event *build_event(const struct normalizer *nz, const struct build_opts *o,
                             const char *data, size_t len, int64_t recv_ms,
                             const struct sockaddr *peer, int transport, int truncated,
                             unsigned *flags)
{
    struct syslog_opts so = {
        .recv_ms = recv_ms, .default_tz_min = o->default_tz_min, .keep_original = 1};
    struct vg_event *ev;

    *flags = 0;
    /* Replay lines may be JSON events; the trap receiver hands over nothing else. */
    if (len > 0 && data[0] == '{' && (transport == RAW_FILE || transport == RAW_SNMP)) {
        char err[256];

        ev = event_from_json(data, len, err, sizeof(err));
        if (ev != NULL) {
            struct vg_str ts = event_get(ev, "@timestamp");
            int64_t ms;

            if (ts.ptr == NULL) {
                event_set_time(ev, recv_ms);
            } else if (time_parse_rfc3339(ts.ptr, ts.len, &ms) != 0) {
                /* Keep the schema's promise: an RFC 3339 @timestamp, the reason noted. */
                event_set_strz(ev, "vigil.parse_warning", "invalid @timestamp in JSON event");
                event_set_time(ev, recv_ms);
                *flags |= BUILD_WARNING;
            }
            if (event_get(ev, "event.action").ptr != NULL || normalize_event(nz, ev)) {
                *flags |= BUILD_NORMALIZED;
            }
            return ev;
        }
        *flags |= BUILD_JSON_ERROR;
    }
    ev = event_new();
    syslog_parse(data, len, &so, ev);
    /* Replay output must not depend on when it ran. */
    event_set_ingested(ev, o->replay ? ev->ts_ms : recv_ms);
    if (peer != NULL && (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)) {
        char ip[64];

        event_set_strz(ev, "observer.ip", sockaddr_ip_str(peer, ip, sizeof(ip)));
    }
    if (transport == RAW_UDP) {
        event_set_strz(ev, "network.transport", "udp");
    } else if (transport == RAW_TCP) {
        event_set_strz(ev, "network.transport", "tcp");
    }
    if (transport == RAW_SNMP) {
        /* Not JSON after all (cannot happen with trap.c's output): keep what is known. */
        event_set_strz(ev, "network.transport", "udp");
        event_set_strz(ev, "network.protocol", "snmp");
    } else if (transport != RAW_FILE) {
        event_set_strz(ev, "network.protocol", "syslog");
    }
    if (truncated) {
        event_set_raw(ev, "vigil.truncated", "true", 4);
        *flags |= BUILD_TRUNCATED;
    }
    event_set_strz(ev, "event.kind", "event");
    if (normalize_event(nz, ev)) {
        *flags |= BUILD_NORMALIZED;
    }
    /* After normalization: a malformed CEF/LEEF header is noted there. */
    if (event_get(ev, "vigil.parse_warning").ptr != NULL) {
        *flags |= BUILD_WARNING;
    }
    return ev;
}
