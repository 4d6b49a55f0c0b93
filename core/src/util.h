/* SPDX-License-Identifier: MIT */
/*
 * Small core utilities shared by every subsystem: allocation that aborts on OOM,
 * a growable string buffer, a diagnostics list for file loaders, the daemon's
 * log, clocks and RFC 3339 formatting, hashing and CIDR matching.
 */
#ifndef VG_CORE_UTIL_H
#define VG_CORE_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define UTIL_VPRINTF(a)   __attribute__((format(printf, a, 0))) /* takes a va_list */
#else
#define UTIL_PRINTF(a, b)
#define UTIL_VPRINTF(a)
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation helpers: log and abort on out-of-memory (STYLE 4.6). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Print into a new allocated string. */
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* A growable byte buffer, always NUL-terminated after any append. */
struct sbuf {
    char *buf;  /* NULL until the first append */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
};

void sbuf_reserve(struct sbuf *b, size_t extra);
/* Grow the allocation to at least need bytes (the slow path of the appends). */
void sbuf_grow(struct sbuf *b, size_t need);
void sbuf_add(struct sbuf *b, const void *data, size_t len);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/*
 * Append s as the body of a JSON string (no quotes), escaping as RFC 8259 asks;
 * bytes that are not well-formed UTF-8 become U+FFFD, so the output is always valid.
 */
void sbuf_add_json_str(struct sbuf *b, const char *s, size_t len);
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);

/*
 * A line reader with bounded memory: lines longer than max bytes are cut to max
 * (the rest is skipped and the line flagged), embedded NULs are kept, CR LF and
 * LF both end a line.
 */
struct line_reader {
    FILE *f;          /* the stream, read with fread */
    size_t max;       /* longest line kept */
    char *buf;        /* read-ahead block */
    size_t start;     /* first unread byte in buf */
    size_t end;       /* bytes in buf */
    struct sbuf line; /* the current line */
    int eof;          /* fread reached the end or an error */
};

void line_reader_init(struct line_reader *r, FILE *f, size_t max);
void line_reader_free(struct line_reader *r);
/*
 * The next line (without its end) in line and len, valid until the next call;
 * *truncated is 1 when it was cut. Returns 1, 0 at the end, -1 on a read error.
 */
int line_reader_next(struct line_reader *r, const char **line, size_t *len, int *truncated);

/*
 * Read a whole file of at most max bytes into a new NUL-terminated buffer (free
 * it); NULL with errno set on failure (EFBIG when longer than max).
 */
char *file_read_all(const char *file, size_t max, size_t *len);

/* A list of human-readable error sentences collected by a loader. */
struct diag {
    size_t n;    /* number of messages */
    char **msgs; /* owned strings */
};

void diag_add(struct diag *d, const char *fmt, ...) UTIL_PRINTF(2, 3);
void diag_free(struct diag *d);

/* Daemon log: "LEVEL message" lines on stderr; levels are syslog severities. */
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) UTIL_PRINTF(2, 3);
void log_vmsg(int level, const char *fmt, va_list ap) UTIL_VPRINTF(2);

/*
 * Bytes of the well-formed UTF-8 sequence at s (at most n; RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF): 1 for ASCII, 0 when not valid.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/*
 * Append s (len bytes) to out as text any reader takes: C0 and C1 controls, DEL
 * and the line and paragraph separators become a space, bytes that are not
 * well-formed UTF-8 a '?'; at most max bytes, cut on a character boundary.
 */
void text_clean(struct sbuf *out, const char *s, size_t len, size_t max);

/*
 * The process-wide mutex called name (created on first use, never freed; at
 * most 16 names of up to 31 bytes): shared by the core and plugins, e.g.
 * "net-snmp" around calls into that library. NULL when the table is full.
 */
pthread_mutex_t *named_lock(const char *name);

/* The 1-based line and column of byte off of text (for "FILE:LINE:COL:" messages). */
void text_line_col(const char *text, size_t off, size_t *line, size_t *col);

/* A rate limit for one kind of log line (static storage, shared by threads). */
struct log_limit {
    atomic_llong last_ms;  /* monotonic ms of the last line written */
    atomic_ullong skipped; /* lines suppressed since */
};

/* log_msg at most once per 10 s per limit; the next line says how many were suppressed. */
void log_limited(struct log_limit *l, int level, const char *fmt, ...) UTIL_PRINTF(3, 4);

/* Clocks in milliseconds: wall clock since the epoch, and monotonic. */
int64_t time_now_ms(void);
int64_t time_mono_ms(void);
/*
 * Format ms since the epoch as RFC 3339 UTC with milliseconds
 * ("2024-05-09T12:49:27.098Z") into out (at least 32 bytes); returns the length.
 */
size_t time_format_ms(int64_t ms, char *out, size_t out_len);
/*
 * Parse an RFC 3339 timestamp ("2024-05-09T12:49:27.098Z", "...+02:00"; a space
 * may stand for the T; fraction of any length, kept to ms) of len bytes. The whole
 * text must be consumed. Returns 0 and ms since the epoch, or -1.
 */
int time_parse_rfc3339(const char *s, size_t len, int64_t *ms);
/* A struct timeval of ms milliseconds (for socket and hiredis timeouts). */
struct timeval time_ms_tv(int ms);
/* Days since 1970-01-01 for a proleptic Gregorian date (no time zone). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Parse "250ms", "30s", "5m", "2h", "1d" or a bare number of ms; -1 on error. */
int64_t time_parse_duration(const char *s);

/* 64-bit FNV-1a hash. */
uint64_t hash_fnv1a(const void *data, size_t len);

/* An IPv4 or IPv6 network, e.g. from "10.0.0.0/8" or "::1". */
struct cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned prefix;        /* prefix length in bits */
    unsigned char addr[16]; /* network address, in network byte order */
};

/* Parse "addr" or "addr/len"; 0 or -1. */
int cidr_parse(const char *s, struct cidr *out);
/* True when the textual address s (len bytes) lies inside c. */
int cidr_contains_str(const struct cidr *c, const char *s, size_t len);
/* Format a socket address as text (no port) into out; returns out. */
const char *sockaddr_ip_str(const struct sockaddr *sa, char *out, size_t out_len);
/* The value of one hex digit (0-9, a-f, A-F), or -1. */
int hex_digit_value(char c);
/* The local port a bound socket got (port 0 asks the kernel for one); -1 on error. */
int socket_bound_port(int fd);

#endif /* VG_CORE_UTIL_H */
