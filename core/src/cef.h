/* SPDX-License-Identifier: MIT */
/*
 * ArcSight CEF and IBM QRadar LEEF (1.0 and 2.0) records inside syslog messages:
 * the header becomes observer.vendor/product/version, event.code and
 * event.severity, every extension cef.ext.KEY or leef.ext.KEY, and well-known
 * extension keys their ECS fields (source.ip, file.path, ...). The parser never
 * sets event.action: templates selected by "product" do. Bounded: at most
 * CEF_MAX_EXT extensions, keys of CEF_MAX_KEY bytes, values cut at CEF_MAX_VALUE.
 */
#ifndef VG_CORE_CEF_H
#define VG_CORE_CEF_H

#include <stddef.h>

#include "event.h"

#define CEF_MAX_EXT    128  /* extensions kept per record; later ones are dropped */
#define CEF_MAX_KEY    63   /* longest extension key */
#define CEF_MAX_VALUE  4096 /* longest extension value kept (longer ones are cut) */
#define CEF_MAX_HEADER 255  /* longest header field kept (longer ones are cut) */

enum cef_kind {
    CEF_MALFORMED = -1, /* "CEF:"/"LEEF:" but the header is incomplete: nothing was set */
    CEF_NONE = 0,       /* not a CEF or LEEF record */
    CEF_CEF = 1,        /* an ArcSight CEF record */
    CEF_LEEF = 2,       /* a QRadar LEEF record */
};

/*
 * Parse the record rec[0..len) (starting with "CEF:" or "LEEF:"; need not be
 * NUL-terminated) and set its fields on ev. Returns an enum cef_kind; on
 * CEF_MALFORMED or CEF_NONE ev is unchanged. Any bytes are safe. Thread-safe.
 */
int cef_parse(const char *rec, size_t len, struct vg_event *ev);

/*
 * Find a CEF/LEEF record in a syslog-parsed event: its message starts with
 * "CEF:"/"LEEF:", or the RFC 3164 parser took "CEF"/"LEEF" for the tag (so the
 * message starts with the version), or a relayed BSD/ISO timestamp and host
 * precede it. Costs one or two byte comparisons on other messages. On success
 * the fields are set, message becomes the record from "CEF:"/"LEEF:" on, and a
 * process.name of "CEF"/"LEEF" is removed. A malformed header adds a
 * vigil.parse_warning and leaves the rest alone. Does nothing when cef.version
 * or leef.version is already set (a replayed event). Returns an enum cef_kind.
 */
int cef_parse_event(struct vg_event *ev);

#endif /* VG_CORE_CEF_H */
