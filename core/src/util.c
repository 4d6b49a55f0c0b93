/* SPDX-License-Identifier: MIT */
/*
 * Core utilities: OOM-aborting allocation, string buffers, diagnostics, the
 * daemon log, clocks, durations, hashing and CIDR matching. Nothing here keeps
 * state except the log level.
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int log_level = 6;

static void oom(size_t size)
{
    fprintf(stderr, "vigil: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL) {
        oom(n * size);
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (p == NULL) {
        oom(size);
    }
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    struct sbuf b = {0};
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return xstrdup("");
    }
    sbuf_reserve(&b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b.buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return b.buf;
}

void sbuf_reserve(struct sbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;

    if (need <= b->cap) {
        return;
    }
    sbuf_grow(b, need);
}

void sbuf_grow(struct sbuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    b->buf = xrealloc(b->buf, cap);
    b->cap = cap;
}

void sbuf_add(struct sbuf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        sbuf_grow(b, b->len + len + 1);
    }
    if (len > 0) {
        memcpy(b->buf + b->len, data, len);
    }
    b->len += len;
    b->buf[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
    if (b->len + 2 > b->cap) {
        sbuf_grow(b, b->len + 2);
    }
    b->buf[b->len++] = c;
    b->buf[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    sbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/*
 * What the JSON writer does with each byte: 0 copy, 1 escape (controls, '"',
 * '\\', DEL), 2 the lead of a UTF-8 sequence to check (invalid bytes: U+FFFD).
 */
static const unsigned char json_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    size_t i;
    unsigned lo = 0x80;
    unsigned hi = 0xbf;

    if (n == 0) {
        return 0;
    }
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return len;
}

void text_clean(struct sbuf *out, const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, used = 0;

    while (i < len) {
        size_t n = utf8_seq_len(u + i, len - i);
        int ctl = n == 1 ? (u[i] < 0x20 || u[i] == 0x7f)
                         : (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) ||
                               (n == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
                                (u[i + 2] == 0xa8 || u[i + 2] == 0xa9));

        if (n == 0 || ctl) {
            if (used + 1 > max) {
                break;
            }
            sbuf_addc(out, n == 0 ? '?' : ' ');
            used++;
            i += n == 0 ? 1 : n;
            continue;
        }
        if (used + n > max) {
            break;
        }
        sbuf_add(out, s + i, n);
        used += n;
        i += n;
    }
}

void sbuf_add_json_str(struct sbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i;
    size_t run = 0;

    sbuf_reserve(b, len + 2);
    for (i = 0; i < len; i++) {
        unsigned char c = u[i];

        if (json_esc[c] == 0) {
            continue;
        }
        if (json_esc[c] == 2) {
            size_t n = utf8_seq_len(u + i, len - i);

            if (n > 0) {
                i += n - 1;
                continue;
            }
            /* JSON must be UTF-8: an invalid byte becomes U+FFFD, the original keeps it. */
            sbuf_add(b, s + run, i - run);
            run = i + 1;
            sbuf_add(b, "\\ufffd", 6);
            continue;
        }
        sbuf_add(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            sbuf_add(b, "\\\"", 2);
            break;
        case '\\':
            sbuf_add(b, "\\\\", 2);
            break;
        case '\n':
            sbuf_add(b, "\\n", 2);
            break;
        case '\r':
            sbuf_add(b, "\\r", 2);
            break;
        case '\t':
            sbuf_add(b, "\\t", 2);
            break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

            sbuf_add(b, e, 6);
            break;
        }
        }
    }
    sbuf_add(b, s + run, len - run);
}

void sbuf_reset(struct sbuf *b)
{
    b->len = 0;
    if (b->buf != NULL) {
        b->buf[0] = '\0';
    }
}

void sbuf_free(struct sbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
}

char *file_read_all(const char *file, size_t max, size_t *len)
{
    FILE *f = fopen(file, "rb");
    struct sbuf b = {0};
    char chunk[8192];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            sbuf_free(&b);
            errno = EFBIG;
            return NULL;
        }
        sbuf_add(&b, chunk, n);
    }
    if (ferror(f)) {
        int e = errno != 0 ? errno : EIO;

        fclose(f);
        sbuf_free(&b);
        errno = e;
        return NULL;
    }
    fclose(f);
    if (b.buf == NULL) {
        sbuf_add(&b, "", 0);
    }
    *len = b.len;
    return b.buf;
}

#define LINE_BLOCK 65536

void line_reader_init(struct line_reader *r, FILE *f, size_t max)
{
    memset(r, 0, sizeof(*r));
    r->f = f;
    r->max = max;
    r->buf = xmalloc(LINE_BLOCK);
}

void line_reader_free(struct line_reader *r)
{
    free(r->buf);
    sbuf_free(&r->line);
}

int line_reader_next(struct line_reader *r, const char **line, size_t *len, int *truncated)
{
    int cut = 0;

    sbuf_reset(&r->line);
    sbuf_reserve(&r->line, 0);
    for (;;) {
        const char *nl;
        size_t n;

        if (r->start == r->end) {
            if (r->eof) {
                break;
            }
            r->start = 0;
            r->end = fread(r->buf, 1, LINE_BLOCK, r->f);
            if (r->end < LINE_BLOCK) {
                r->eof = 1;
                if (ferror(r->f)) {
                    return -1;
                }
            }
            continue;
        }
        nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        n = (nl != NULL ? (size_t)(nl - r->buf) : r->end) - r->start;
        if (r->line.len < r->max) {
            size_t room = r->max - r->line.len;

            sbuf_add(&r->line, r->buf + r->start, n < room ? n : room);
            cut |= n > room;
        } else {
            cut |= n > 0;
        }
        r->start += n;
        if (nl != NULL) {
            r->start++;
            goto done;
        }
    }
    if (r->line.len == 0 && !cut) {
        return 0;
    }
done:
    if (r->line.len > 0 && r->line.buf[r->line.len - 1] == '\r') {
        r->line.buf[--r->line.len] = '\0';
    }
    *line = r->line.buf;
    *len = r->line.len;
    *truncated = cut;
    return 1;
}

void diag_add(struct diag *d, const char *fmt, ...)
{
    struct sbuf b = {0};
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sbuf_reserve(&b, n > 0 ? (size_t)n : 0);
    va_start(ap, fmt);
    vsnprintf(b.buf, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    d->msgs = xrealloc(d->msgs, (d->n + 1) * sizeof(*d->msgs));
    d->msgs[d->n++] = b.buf;
}

void diag_free(struct diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        free(d->msgs[i]);
    }
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
}

void log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int log_get_level(void)
{
    return atomic_load(&log_level);
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                        "warning", "notice", "info", "debug"};
    char line[2048];
    char ts[32];
    int n;

    if (level > atomic_load(&log_level)) {
        return;
    }
    if (level < 0 || level > 7) {
        level = 3;
    }
    time_format_ms(time_now_ms(), ts, sizeof(ts));
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0) {
        return;
    }
    /* One write per line so concurrent threads never interleave inside a line. */
    fprintf(stderr, "<%d>%s vigil %s: %s\n", level, ts, names[level], line);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

void log_limited(struct log_limit *l, int level, const char *fmt, ...)
{
    long long now = time_mono_ms();
    long long last = atomic_load(&l->last_ms);
    unsigned long long skipped;
    char line[1024];
    va_list ap;

    if (last != 0 && now - last < 10000) {
        atomic_fetch_add(&l->skipped, 1);
        return;
    }
    if (!atomic_compare_exchange_strong(&l->last_ms, &last, now)) {
        atomic_fetch_add(&l->skipped, 1);
        return;
    }
    skipped = atomic_exchange(&l->skipped, 0);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (skipped > 0) {
        log_msg(level, "%s (and %llu similar in the last 10 s)", line, skipped);
    } else {
        log_msg(level, "%s", line);
    }
}

int64_t time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timeval time_ms_tv(int ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil, valid for the proleptic Gregorian calendar. */
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Write v as exactly width decimal digits (zero-padded). */
static void put_digits(char *out, int v, int width)
{
    while (width-- > 0) {
        out[width] = (char)('0' + v % 10);
        v /= 10;
    }
}

size_t time_format_ms(int64_t ms, char *out, size_t out_len)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int n;

    y += m <= 2;
    if (y < 0 || y > 9999 || out_len < 25) {
        n = snprintf(out, out_len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), millis);
        return n < 0 ? 0 : (size_t)n;
    }
    /* The common case by hand: this runs for every event and record. */
    {
        int h = (int)(rem / 3600);
        int mi = (int)(rem / 60 % 60);
        int s = (int)(rem % 60);
        int yy = (int)y;

        put_digits(out, yy, 4);
        out[4] = '-';
        put_digits(out + 5, (int)m, 2);
        out[7] = '-';
        put_digits(out + 8, (int)d, 2);
        out[10] = 'T';
        put_digits(out + 11, h, 2);
        out[13] = ':';
        put_digits(out + 14, mi, 2);
        out[16] = ':';
        put_digits(out + 17, s, 2);
        out[19] = '.';
        put_digits(out + 20, millis, 3);
        out[23] = 'Z';
        out[24] = '\0';
        return 24;
    }
}

static int digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int time_parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, sec;
    int frac_ms = 0;
    int tz_min = 0;
    size_t i = 19;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec)) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) {
        return -1;
    }
    if (s[i] == '.') {
        int scale = 100;

        i++;
        if (i >= len || s[i] < '0' || s[i] > '9') {
            return -1;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int th;
        int tm;

        if (digits(s + i + 1, 2, &th) || digits(s + i + 4, 2, &tm) || th > 23 || tm > 59) {
            return -1;
        }
        tz_min = (th * 60 + tm) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -1;
    }
    if (i != len) {
        return -1;
    }
    if (sec == 60) {
        sec = 59; /* a leap second is kept inside its minute */
    }
    *ms = ((time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
            tz_min * 60) *
           1000) +
          frac_ms;
    return 0;
}

int64_t time_parse_duration(const char *s)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    v = strtod(s, &end);
    if (end == s || v < 0) {
        return -1;
    }
    if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0) {
        return (int64_t)v;
    }
    if (strcmp(end, "s") == 0) {
        return (int64_t)(v * 1000);
    }
    if (strcmp(end, "m") == 0) {
        return (int64_t)(v * 60000);
    }
    if (strcmp(end, "h") == 0) {
        return (int64_t)(v * 3600000);
    }
    if (strcmp(end, "d") == 0) {
        return (int64_t)(v * 86400000);
    }
    return -1;
}

uint64_t hash_fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int cidr_parse(const char *s, struct cidr *out)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    unsigned max;
    unsigned i;

    if (alen == 0 || alen >= sizeof(addr)) {
        return -1;
    }
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    out->prefix = max;
    if (slash != NULL) {
        char *end;
        long n = strtol(slash + 1, &end, 10);

        if (*end != '\0' || end == slash + 1 || n < 0 || n > (long)max) {
            return -1;
        }
        out->prefix = (unsigned)n;
    }
    for (i = out->prefix; i < max; i++) {
        out->addr[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
    }
    return 0;
}

int cidr_contains_str(const struct cidr *c, const char *s, size_t len)
{
    unsigned char a[16];
    char tmp[64];
    unsigned full;
    unsigned rest;

    if (len == 0 || len >= sizeof(tmp)) {
        return 0;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(c->family, tmp, a) != 1) {
        /* An IPv4 network also matches the IPv4-mapped form "::ffff:a.b.c.d". */
        if (c->family == AF_INET && strncmp(tmp, "::ffff:", 7) == 0 &&
            inet_pton(AF_INET, tmp + 7, a) == 1) {
            goto compare;
        }
        return 0;
    }
compare:
    full = c->prefix / 8;
    rest = c->prefix % 8;
    if (memcmp(a, c->addr, full) != 0) {
        return 0;
    }
    if (rest != 0) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));

        return (a[full] & mask) == c->addr[full];
    }
    return 1;
}

const char *sockaddr_ip_str(const struct sockaddr *sa, char *out, size_t out_len)
{
    out[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)out_len);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out, (socklen_t)out_len);
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)out_len);
        }
    }
    return out;
}

int socket_bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void text_line_col(const char *text, size_t off, size_t *line, size_t *col)
{
    size_t bol = 0;
    size_t i;

    *line = 1;
    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    }
    *col = off - bol + 1;
}

pthread_mutex_t *named_lock(const char *name)
{
    static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        char name[32];         /* the lock's name */
        pthread_mutex_t mutex; /* the lock */
    } table[16];
    static size_t n;
    pthread_mutex_t *m = NULL;
    size_t i;

    if (name == NULL || strlen(name) >= sizeof(table[0].name)) {
        return NULL;
    }
    pthread_mutex_lock(&table_lock);
    for (i = 0; i < n && m == NULL; i++) {
        if (strcmp(table[i].name, name) == 0) {
            m = &table[i].mutex;
        }
    }
    if (m == NULL && n < ARRAY_SIZE(table)) {
        snprintf(table[n].name, sizeof(table[n].name), "%s", name);
        pthread_mutex_init(&table[n].mutex, NULL);
        m = &table[n++].mutex;
    }
    pthread_mutex_unlock(&table_lock);
    return m;
}
