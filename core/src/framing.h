/* SPDX-License-Identifier: MIT */
/*
 * RFC 6587 framing for syslog over TCP, detected per frame (as rsyslog does): a
 * frame that starts with a digit 1-9 is octet-counted ("LEN SP MSG"), anything
 * else is LF-terminated (CR LF and NUL terminators are accepted too; empty lines
 * are skipped). A count of more than 9 digits or not followed by SP is counted as
 * bad and its bytes are read as an LF-terminated frame. Frames longer than
 * the maximum message size are truncated and counted, never buffered unbounded.
 */
#ifndef VG_CORE_FRAMING_H
#define VG_CORE_FRAMING_H

#include <stddef.h>
#include <stdint.h>

/* Called once per complete message; msg is borrowed for the duration of the call. */
typedef void (*framer_emit_fn)(void *ud, const char *msg, size_t len, int truncated);

struct framer {
    size_t max_msg;       /* longest message kept; longer ones are truncated */
    char *buf;            /* partial frame (at most max_msg bytes) */
    size_t len;           /* bytes in buf */
    int state;            /* private parser state */
    uint64_t want;        /* private: octets still expected in an octet-counted frame */
    int truncating;       /* private: 1 while dropping the rest of an oversize frame */
    uint64_t n_frames;    /* messages emitted */
    uint64_t n_truncated; /* messages cut to max_msg */
    uint64_t n_bad_count; /* octet counts that were not numbers (fell back to LF framing) */
};

void framer_init(struct framer *f, size_t max_msg);
void framer_free(struct framer *f);
/* Feed bytes as they arrive (any split); emits each complete message. */
void framer_feed(struct framer *f, const char *data, size_t len, framer_emit_fn emit, void *ud);
/*
 * End of stream: emit a partial LF-framed message that has no terminator; a
 * partial octet-counted body is emitted marked truncated. Ready for reuse after.
 */
void framer_finish(struct framer *f, framer_emit_fn emit, void *ud);

#endif /* VG_CORE_FRAMING_H */
