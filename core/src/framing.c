/* SPDX-License-Identifier: MIT */
/*
 * RFC 6587 frame splitting for syslog over TCP, decided frame by frame as
 * rsyslog's imtcp does: a frame starting with 1-9 is octet-counted, anything else
 * runs to LF, CR LF or NUL. The parser is a byte-driven state machine whose only
 * buffer is the max_msg bytes of the current message, so any split of the input
 * gives the same messages and memory never grows with the input.
 */
#include "framing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEFAULT_MAX_MSG 8192
/* An octet count of more digits than this is not believed (rsyslog's limit). */
#define MAX_COUNT_DIGITS 9

enum {
    ST_START = 0, /* at the first byte of a frame */
    ST_COUNT,     /* reading the digits of an octet count (kept in want) */
    ST_OCTETS,    /* reading the want remaining bytes of an octet-counted frame */
    ST_LF,        /* reading an LF-terminated frame */
    ST_LF_CR,     /* an LF-terminated frame just saw a CR that may start CR LF */
};

/*
 * Prepare f for a new stream. max_msg is the longest message kept (0 means the
 * default of 8192); the buffer of max_msg + 1 bytes is the framer's only
 * allocation. Free with framer_free.
 */
void framer_init(struct framer *f, size_t max_msg)
{
    memset(f, 0, sizeof(*f));
    f->max_msg = max_msg ? max_msg : DEFAULT_MAX_MSG;
    f->buf = xmalloc(f->max_msg + 1);
    f->state = ST_START;
}

/* Release the buffer of f; the counters stay readable. */
void framer_free(struct framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
}

/* Keep what fits of n message bytes; the rest marks the message truncated. */
static void keep(struct framer *f, const char *p, size_t n)
{
    size_t room = f->max_msg - f->len;

    if (n > room) {
        f->truncating = 1;
        n = room;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static void emit_msg(struct framer *f, framer_emit_fn emit, void *ud)
{
    f->buf[f->len] = '\0';
    f->n_frames++;
    if (f->truncating) {
        f->n_truncated++;
    }
    emit(ud, f->buf, f->len, f->truncating);
    f->len = 0;
    f->truncating = 0;
    f->want = 0;
    f->state = ST_START;
}

/* End an LF-framed message; empty lines (blank lines, LF after a frame) are skipped. */
static void end_line(struct framer *f, framer_emit_fn emit, void *ud)
{
    if (f->len == 0 && !f->truncating) {
        f->state = ST_START;
        return;
    }
    emit_msg(f, emit, ud);
}

/*
 * The digits read so far were not an octet count: count it and make them the
 * start of an LF-framed message. A count never has a leading zero, so its
 * digits are exactly the decimal form of want.
 */
static void count_fallback(struct framer *f)
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)f->want);

    f->n_bad_count++;
    f->want = 0;
    f->len = 0;
    f->truncating = 0;
    keep(f, digits, (size_t)n);
    f->state = ST_LF;
}

static int is_term(char c)
{
    return c == '\n' || c == '\r' || c == '\0';
}

/* Consume bytes of an LF-framed message from p; returns how many were used. */
static size_t feed_line(struct framer *f, const char *p, size_t n, framer_emit_fn emit, void *ud)
{
    size_t run = 0;

    while (run < n && !is_term(p[run])) {
        run++;
    }
    keep(f, p, run);
    if (run == n) {
        return run;
    }
    if (p[run] == '\r') {
        f->state = ST_LF_CR;
    } else {
        end_line(f, emit, ud);
    }
    return run + 1;
}

/* Consume bytes of an octet-counted body from p; returns how many were used. */
static size_t feed_octets(struct framer *f, const char *p, size_t n, framer_emit_fn emit, void *ud)
{
    size_t take = n;

    if ((uint64_t)take > f->want) {
        take = (size_t)f->want;
    }
    keep(f, p, take);
    f->want -= take;
    if (f->want == 0) {
        emit_msg(f, emit, ud);
    }
    return take;
}

/*
 * Feed len bytes of the stream, in any split. Each complete message is passed
 * to emit (borrowed for the call, NUL-terminated at msg[len]) on the calling
 * thread. A framer is used by one thread at a time.
 */
void framer_feed(struct framer *f, const char *data, size_t len, framer_emit_fn emit, void *ud)
{
    size_t i = 0;

    while (i < len) {
        char c = data[i];

        switch (f->state) {
        case ST_START:
            if (c >= '1' && c <= '9') {
                f->want = (uint64_t)(c - '0');
                f->state = ST_COUNT;
                i++;
            } else {
                f->state = ST_LF;
            }
            break;
        case ST_COUNT:
            if (c == ' ') {
                f->state = ST_OCTETS;
                i++;
            } else if (c >= '0' && c <= '9' && f->want < 100000000ULL) {
                /* want < 10^8 means fewer than MAX_COUNT_DIGITS digits so far. */
                f->want = f->want * 10 + (uint64_t)(c - '0');
                i++;
            } else {
                /* Not a count (or an absurd one): c is reread as part of the line. */
                count_fallback(f);
            }
            break;
        case ST_OCTETS:
            i += feed_octets(f, data + i, len - i, emit, ud);
            break;
        case ST_LF:
            i += feed_line(f, data + i, len - i, emit, ud);
            break;
        case ST_LF_CR:
            if (c == '\n') {
                end_line(f, emit, ud);
                i++;
            } else {
                /* A lone CR is message content; c is reread in ST_LF. */
                keep(f, "\r", 1);
                f->state = ST_LF;
            }
            break;
        default:
            abort();
        }
    }
}

/*
 * End of stream. A partial LF-framed message is emitted (a trailing CR dropped);
 * a count with no body yet is a bad count and its digits are emitted as a line;
 * a partial octet-counted body is emitted marked truncated, so that no received
 * byte disappears without a count. The framer is then ready for a new stream.
 */
void framer_finish(struct framer *f, framer_emit_fn emit, void *ud)
{
    switch (f->state) {
    case ST_COUNT:
        count_fallback(f);
        end_line(f, emit, ud);
        break;
    case ST_OCTETS:
        if (f->len > 0) {
            f->truncating = 1;
            emit_msg(f, emit, ud);
        }
        break;
    case ST_LF:
    case ST_LF_CR:
        end_line(f, emit, ud);
        break;
    default:
        break;
    }
    f->len = 0;
    f->want = 0;
    f->truncating = 0;
    f->state = ST_START;
}
