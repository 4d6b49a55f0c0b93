/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the pieces of the syslog parser: syslog.c (entry point, PRI,
 * RFC 5424, output), syslog_bsd.c (RFC 3164 and vendor headers) and syslog_time.c
 * (timestamps). Holds the per-line header state, the byte scanners all three use
 * and the calls between them. Not for use outside those files.
 */
#ifndef VG_CORE_SYSLOG_INT_H
#define VG_CORE_SYSLOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "syslog.h"

enum warn_bit {
    W_NO_PRI = 1 << 0,  /* no PRI at all */
    W_BAD_PRI = 1 << 1, /* a PRI out of range or not a number */
    W_BAD_TS = 1 << 2,  /* a timestamp with impossible values */
    W_NO_TS = 1 << 3,   /* no timestamp found */
    W_ZONE = 1 << 4,    /* a zone abbreviation not in the table */
    W_SD = 1 << 5,      /* RFC 5424 structured data broken off */
    W_HDR = 1 << 6,     /* an RFC 5424 header field breaks the ABNF */
    W_TRUNC = 1 << 7,   /* the RFC 5424 header ends early */
};

struct span {
    const char *p; /* first byte, inside the input; NULL when unset */
    size_t n;      /* bytes */
};

/* A timestamp as the text gave it, before the year guess and the zone. */
struct stamp {
    int year;         /* 0 when the text has none */
    int mon;          /* 1..12 */
    int day;          /* 1..31 */
    int hour;         /* 0..23 */
    int min;          /* 0..59 */
    int sec;          /* 0..60 */
    int msec;         /* 0..999, from a fraction of any length */
    int off_min;      /* offset east of UTC when has_off */
    int has_off;      /* 1 when the text carried a zone or an offset */
    int valid;        /* 0 when the shape matched but a value is out of range */
    int colon;        /* 1 when a Cisco-style ':' ended it */
    int year_first;   /* 1 for NX-OS "2018 Apr 20 13:15:07" */
    int zone_unknown; /* 1 when zone is not in the table (taken as UTC) */
    struct span zone; /* the abbreviation, e.g. "CEST" or "UTC+1" */
};

/* A Cisco "%FACILITY-SEVERITY-MNEMONIC:" tag. */
struct mnem {
    struct span fac; /* facility, may contain '-' (IOS-XR "PKT_INFRA-LINK") */
    struct span mn;  /* mnemonic */
    int sev;         /* 0..7 */
};

/* A Huawei VRP / H3C Comware "%%01MODULE/SEVERITY/BRIEF(l)[0]:" tag. */
struct vrp {
    struct span mod;   /* module, e.g. "IFNET" */
    struct span brief; /* brief name, e.g. "IF_STATE" */
    int sev;           /* 0..7 */
};

/* Everything found in one line; reset when a relay header is peeled off. */
struct hdr {
    const char *s;                  /* the input */
    size_t n;                       /* its length without trailing CR/LF/NUL */
    const struct syslog_opts *opts; /* receive time, default zone */
    struct vg_event *ev;            /* where structured data goes as it is parsed */
    int pri;                        /* -1 until a valid PRI is seen */
    int version;                    /* RFC 5424 VERSION, 0 for RFC 3164 */
    int has_ts;                     /* 1 when ts_ms came from the text */
    int64_t ts_ms;                  /* the timestamp, ms since the epoch */
    int uptime;                     /* 1 when the device sent an uptime, not a date */
    int year_first;                 /* 1 when the timestamp was NX-OS style */
    int cisco;                      /* 1 after a Cisco-only construct (sequence, ": ", ...) */
    int has_seq;                    /* 1 when seq is set */
    int64_t seq;                    /* Cisco sequence number */
    int has_mnem;                   /* 1 when mnem is set */
    struct mnem mnem;               /* Cisco message tag */
    int has_vrp;                    /* 1 when vrp is set */
    struct vrp vrp;                 /* Huawei/H3C message tag */
    struct span host;               /* HOSTNAME */
    struct span relay;              /* the host of a relay header peeled off */
    struct span app;                /* APP-NAME or the TAG's program */
    struct span procid;             /* PROCID or the TAG's pid */
    struct span msgid;              /* MSGID */
    struct span flag;               /* Cisco clock flag "*" or "." */
    struct span zone;               /* zone abbreviation of the timestamp used */
    struct span msg;                /* the free text */
    const char *bad_field;          /* the RFC 5424 field named by W_HDR */
    unsigned warn;                  /* enum warn_bit */
};

/* ---- character classes and small scanners ---- */

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* PRINTUSASCII of RFC 5424: %d33-126. */
static inline int is_print(char c)
{
    return c >= 33 && c <= 126;
}

static inline size_t skip_sp(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ') {
        i++;
    }
    return i;
}

/* True when position i ends a token: end of input or a space. */
static inline int at_end(const char *s, size_t n, size_t i)
{
    return i >= n || s[i] == ' ';
}

/*
 * Read min..max digits at s[i] into *out; the run of digits must end there.
 * Returns the index after them, or 0 (a match always consumes a byte).
 */
static inline size_t num(const char *s, size_t n, size_t i, size_t min, size_t max, int *out)
{
    size_t j = i;
    int v = 0;

    while (j < n && j - i < max && is_digit(s[j])) {
        v = v * 10 + (s[j] - '0');
        j++;
    }
    if (j - i < min || (j < n && is_digit(s[j]))) {
        return 0;
    }
    *out = v;
    return j;
}

/* The index of the first space at or after i, or n. */
static inline size_t token_end(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != ' ') {
        i++;
    }
    return i;
}

/* ---- calls between the pieces ---- */

/*
 * "<PRI>" at s[i] with 1..3 digits and a value up to 191: sets *pri and returns
 * the index after the '>', or 0 (syslog.c).
 */
size_t syslog_parse_pri(const char *s, size_t n, size_t i, int *pri);

/*
 * An RFC 3164 style line in h from i (after the PRI), with the Cisco, NX-OS,
 * Huawei/H3C and relay variants. Returns 1 with *relay_at set when a relay header
 * was found (allowed only when allow_relay) and the line must be parsed again
 * from there; else 0 with h filled in (syslog_bsd.c).
 */
int syslog_bsd_parse(struct hdr *h, size_t i, int allow_relay, size_t *relay_at);

/*
 * Any timestamp form a BSD-style line may carry at s[i] (RFC 3339 with a T or a
 * space, "Mmm dd [yyyy ]hh:mm:ss", NX-OS "yyyy Mmm dd hh:mm:ss", each with an
 * optional year, offset, zone and Cisco ':'); cisco admits zone names not in the
 * table. Fills *t and returns the end, or 0 when there is no timestamp at s[i]
 * (syslog_time.c).
 */
size_t syslog_time_parse(const char *s, size_t n, size_t i, int cisco, struct stamp *t);

/*
 * A Cisco uptime stamp ending in ':' at s[i] ("00:00:46:", "1w2d:"). Returns the
 * end (after the ':') or 0 (syslog_time.c).
 */
size_t syslog_time_parse_uptime(const char *s, size_t n, size_t i);

/*
 * Adopt a parsed stamp as the line's time (the last valid one wins): sets
 * h->ts_ms, has_ts, year_first and zone, or W_BAD_TS when t is invalid or names a
 * day its year lacks; W_ZONE for an unknown zone (syslog_time.c).
 */
void syslog_time_take(struct hdr *h, const struct stamp *t);

/*
 * The RFC 5424 TIMESTAMP token h->s[i..e) (not NILVALUE): a strict RFC 3339
 * stamp with at most 6 fraction digits, adopted as by syslog_time_take; anything
 * else sets W_BAD_TS (syslog_time.c).
 */
void syslog_time_take_5424(struct hdr *h, size_t i, size_t e);

#endif /* VG_CORE_SYSLOG_INT_H */
