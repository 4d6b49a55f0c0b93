/* SPDX-License-Identifier: MIT */
/*
 * The syslog header parser. One forward pass of hand-written scanners over the
 * bytes: the PRI, then either the RFC 5424 header (its ABNF, structured data) or
 * the RFC 3164 family as devices really send it (Cisco IOS/IOS-XE/IOS-XR and NX-OS
 * prefixes, Huawei/H3C info-center tags, relays, zone abbreviations, missing
 * hostnames). Header results are kept as spans into the input and written to the
 * event at the end, so a relay's own header can be dropped; nothing is allocated
 * outside the event API and every read is bounded by the length given.
 */
#include "syslog.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_PRI  13                /* user.notice, RFC 3164 section 4.3.3 */
#define MAX_RELAYS   8                 /* relay headers peeled off one line at most */
#define MAX_ROUNDS   8                 /* tokens tried before or after a hostname */
#define DAY_MS       86400000LL        /* one day in ms */
#define MAX_EPOCH_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define SD_PREFIX    "log.syslog.structured_data"

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

/* clang-format off */
static const char *const facility_names[24] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const severity_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* Zone abbreviations and their offsets east of UTC in minutes. Where a name is
 * ambiguous the most common meaning in network gear wins (CST: US Central, IST: India). */
static const struct {
    char name[8]; /* upper case */
    short off;    /* minutes east of UTC */
} zones[] = {
    {"UTC", 0},     {"GMT", 0},     {"UT", 0},      {"WET", 0},
    {"WEST", 60},   {"BST", 60},    {"CET", 60},    {"MET", 60},    {"MEZ", 60},
    {"WAT", 60},    {"CEST", 120},  {"MEST", 120},  {"MESZ", 120},  {"EET", 120},
    {"CAT", 120},   {"SAST", 120},  {"IST", 330},   {"EEST", 180},  {"MSK", 180},
    {"EAT", 180},   {"GST", 240},   {"PKT", 300},   {"ICT", 420},   {"WIB", 420},
    {"HKT", 480},   {"SGT", 480},   {"AWST", 480},  {"JST", 540},   {"KST", 540},
    {"ACST", 570},  {"ACDT", 630},  {"AEST", 600},  {"AEDT", 660},  {"NZST", 720},
    {"NZDT", 780},  {"HST", -600},  {"AKST", -540}, {"AKDT", -480}, {"PST", -480},
    {"PDT", -420},  {"MST", -420},  {"MDT", -360},  {"CST", -360},  {"CDT", -300},
    {"EST", -300},  {"EDT", -240},  {"AST", -240},  {"ADT", -180},  {"NST", -210},
    {"NDT", -150},  {"BRT", -180},  {"ART", -180},
};
/* clang-format on */

/* ---- character classes and small scanners ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/* PRINTUSASCII of RFC 5424: %d33-126. */
static int is_print(char c)
{
    return c >= 33 && c <= 126;
}

static char to_upper(char c)
{
    if (c >= 'a' && c <= 'z') {
        return (char)(unsigned char)((unsigned char)c - 32u);
    }
    return c;
}

static size_t skip_sp(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ') {
        i++;
    }
    return i;
}

/* True when position i ends a token: end of input or a space. */
static int at_end(const char *s, size_t n, size_t i)
{
    return i >= n || s[i] == ' ';
}

/*
 * Read min..max digits at s[i] into *out; the run of digits must end there.
 * Returns the index after them, or 0 (a match always consumes a byte).
 */
static size_t num(const char *s, size_t n, size_t i, size_t min, size_t max, int *out)
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

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in a month; year 0 (unknown) allows February 29. */
static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && (y == 0 || is_leap(y))) {
        return 29;
    }
    return days[m - 1];
}

/* A three-letter English month name (any case) followed by a space: 1..12, or 0. */
static int month3(const char *s, size_t n, size_t i)
{
    static const char names[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    char a;
    char b;
    char c;
    size_t m;

    if (i + 4 > n || s[i + 3] != ' ') {
        return 0;
    }
    a = to_upper(s[i]);
    b = to_upper(s[i + 1]);
    c = to_upper(s[i + 2]);
    for (m = 0; m < 12; m++) {
        if (names[3 * m] == a && names[3 * m + 1] == b && names[3 * m + 2] == c) {
            return (int)m + 1;
        }
    }
    return 0;
}

/* ---- timestamps ---- */

static void stamp_init(struct stamp *t)
{
    memset(t, 0, sizeof(*t));
    t->valid = 1;
}

static void stamp_check(struct stamp *t)
{
    if (t->mon < 1 || t->mon > 12 || t->day < 1 || t->day > month_days(t->year, t->mon) ||
        t->hour > 23 || t->min > 59 || t->sec > 60) {
        t->valid = 0;
    }
}

/*
 * "hh:mm:ss" with an optional fraction: ".f..." (more than max_frac digits makes
 * the stamp invalid) or H3C's ":fff". Returns the end or 0.
 */
static size_t parse_hms(const char *s, size_t n, size_t i, size_t max_frac, struct stamp *t)
{
    size_t j = num(s, n, i, 1, 2, &t->hour);

    if (j == 0 || j >= n || s[j] != ':') {
        return 0;
    }
    j = num(s, n, j + 1, 2, 2, &t->min);
    if (j == 0 || j >= n || s[j] != ':') {
        return 0;
    }
    j = num(s, n, j + 1, 2, 2, &t->sec);
    if (j == 0) {
        return 0;
    }
    if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        int scale = 100;
        size_t k = j + 1;

        while (k < n && is_digit(s[k])) {
            t->msec += (s[k] - '0') * scale;
            scale /= 10;
            k++;
        }
        if (k - (j + 1) > max_frac) {
            t->valid = 0;
        }
        j = k;
    } else if (j + 4 <= n && s[j] == ':' && is_digit(s[j + 1]) && is_digit(s[j + 2]) &&
               is_digit(s[j + 3]) && (j + 4 == n || !is_digit(s[j + 4]))) {
        t->msec = (s[j + 1] - '0') * 100 + (s[j + 2] - '0') * 10 + (s[j + 3] - '0');
        j += 4;
    }
    return j;
}

/*
 * A numeric offset "+hh:mm", "+hhmm", "-hh" or, when loose, "+h": minutes east of
 * UTC in *off. Returns the end or 0.
 */
static size_t parse_off(const char *s, size_t n, size_t i, int loose, int *off)
{
    size_t j = i + 1;
    int two = 0;
    int h;
    int m = 0;

    if (i >= n || (s[i] != '+' && s[i] != '-')) {
        return 0;
    }
    if (j + 2 <= n && is_digit(s[j]) && is_digit(s[j + 1])) {
        h = (s[j] - '0') * 10 + (s[j + 1] - '0');
        j += 2;
        two = 1;
    } else if (loose && j < n && is_digit(s[j])) {
        h = s[j] - '0';
        j++;
    } else {
        return 0;
    }
    if (j + 3 <= n && s[j] == ':' && is_digit(s[j + 1]) && is_digit(s[j + 2])) {
        m = (s[j + 1] - '0') * 10 + (s[j + 2] - '0');
        j += 3;
    } else if (two && j + 2 <= n && is_digit(s[j]) && is_digit(s[j + 1])) {
        m = (s[j] - '0') * 10 + (s[j + 1] - '0');
        j += 2;
    }
    if ((j < n && is_digit(s[j])) || h > 23 || m > 59) {
        return 0;
    }
    *off = (h * 60 + m) * (s[i] == '-' ? -1 : 1);
    return j;
}

/* The offset of a zone abbreviation (letters only, any case), or -1 when unknown. */
static int zone_lookup(const char *s, size_t len, int *off)
{
    size_t z;
    size_t k;

    for (z = 0; z < ARRAY_SIZE(zones); z++) {
        for (k = 0; k < len && zones[z].name[k] != '\0'; k++) {
            if (zones[z].name[k] != to_upper(s[k])) {
                break;
            }
        }
        if (k == len && zones[z].name[k] == '\0') {
            *off = zones[z].off;
            return 0;
        }
    }
    return -1;
}

/*
 * A zone abbreviation after a space at s[i] ("UTC", "CEST", "UTC+1", "GMT-05:00").
 * Known uppercase names are taken anywhere; other names only before a Cisco ':'
 * (in a Cisco context or before a "%" tag), as unknown zones read as UTC.
 * Returns the end or i when there is none.
 */
static size_t parse_zone(const char *s, size_t n, size_t i, int cisco, struct stamp *t)
{
    size_t a = i + 1;
    size_t k = a;
    int base = 0;
    int suffix = 0;
    int known;
    int upper = 1;

    while (k < n && is_alpha(s[k]) && k - a < 7) {
        upper &= is_upper(s[k]);
        k++;
    }
    if (k - a < 2 || k - a > 6) {
        return i;
    }
    known = zone_lookup(s + a, k - a, &base) == 0;
    if (k < n && (s[k] == '+' || s[k] == '-')) {
        size_t e = parse_off(s, n, k, 1, &suffix);

        if (e == 0 || !known || base != 0) {
            return i; /* only UTC/GMT/UT take an offset suffix */
        }
        k = e;
    }
    if (k < n && s[k] != ' ' && s[k] != ':') {
        return i;
    }
    if (!(known && upper)) {
        size_t next = skip_sp(s, n, k + 1);
        int colon = k < n && s[k] == ':' && at_end(s, n, k + 1);

        if (!colon || !(cisco || (next < n && s[next] == '%'))) {
            return i;
        }
    }
    t->zone.p = s + a;
    t->zone.n = k - a;
    t->has_off = 1;
    t->off_min = known ? base + suffix : 0;
    t->zone_unknown = !known;
    return k;
}

/* What may follow the time of a BSD or NX-OS stamp: year, offset, zone, Cisco ':'. */
static size_t parse_suffix(const char *s, size_t n, size_t j, int cisco, struct stamp *t)
{
    int y;
    size_t e;

    if (t->year == 0 && j + 5 <= n && s[j] == ' ' && (e = num(s, n, j + 1, 4, 4, &y)) != 0 &&
        at_end(s, n, e) && y >= 1970) {
        t->year = y; /* H3C: "Jun  6 21:10:21:451 2013" */
        j = e;
    }
    if (j < n && s[j] == 'Z' && (j + 1 == n || s[j + 1] == ' ' || s[j + 1] == ':')) {
        t->has_off = 1;
        j++;
    } else if (j < n && (s[j] == '+' || s[j] == '-') &&
               (e = parse_off(s, n, j, 0, &t->off_min)) != 0) {
        t->has_off = 1;
        j = e;
    } else if (j < n && s[j] == ' ') {
        j = parse_zone(s, n, j, cisco, t);
    }
    if (j < n && s[j] == ':' && (j + 1 == n || s[j + 1] == ' ')) {
        t->colon = 1;
        j++;
    } else if (cisco && j + 1 < n && s[j] == ' ' && s[j + 1] == ':' &&
               (j + 2 == n || s[j + 2] == ' ')) {
        t->colon = 1; /* IOS-XR: "10:22:38.120 : ifmgr[163]: ..." */
        j += 2;
    }
    stamp_check(t);
    return j;
}

/*
 * RFC 3339 "YYYY-MM-DDThh:mm:ss[.f][Z|+hh:mm]" at s[i]; in BSD lines a space may
 * stand for the T. Returns the end or 0.
 */
static size_t parse_3339(const char *s, size_t n, size_t i, size_t max_frac, int bsd,
                         struct stamp *t)
{
    size_t j = num(s, n, i, 4, 4, &t->year);
    size_t e;

    if (j == 0 || j >= n || s[j] != '-') {
        return 0;
    }
    j = num(s, n, j + 1, 2, 2, &t->mon);
    if (j == 0 || j >= n || s[j] != '-') {
        return 0;
    }
    j = num(s, n, j + 1, 2, 2, &t->day);
    if (j == 0 || j >= n || !(s[j] == 'T' || s[j] == 't' || (bsd && s[j] == ' '))) {
        return 0;
    }
    j = parse_hms(s, n, j + 1, max_frac, t);
    if (j == 0) {
        return 0;
    }
    if (j < n && (s[j] == 'Z' || s[j] == 'z')) {
        t->has_off = 1;
        j++;
    } else if ((e = parse_off(s, n, j, 0, &t->off_min)) != 0) {
        t->has_off = 1;
        j = e;
    }
    if (t->year == 0) {
        t->valid = 0;
    }
    stamp_check(t);
    return j;
}

/* "Mmm dd [yyyy ]hh:mm:ss..." (day may be space-padded). Returns the end or 0. */
static size_t parse_bsd(const char *s, size_t n, size_t i, int cisco, struct stamp *t)
{
    size_t j;
    size_t e;

    t->mon = month3(s, n, i);
    if (t->mon == 0) {
        return 0;
    }
    j = skip_sp(s, n, i + 4);
    j = num(s, n, j, 1, 2, &t->day);
    if (j == 0 || j >= n || s[j] != ' ') {
        return 0;
    }
    j = skip_sp(s, n, j);
    e = num(s, n, j, 4, 4, &t->year);
    if (e != 0 && e < n && s[e] == ' ') {
        j = skip_sp(s, n, e); /* Cisco/ASA/Huawei "Jan  6 2022 20:52:12" */
    } else {
        t->year = 0;
    }
    j = parse_hms(s, n, j, 9, t);
    if (j == 0) {
        return 0;
    }
    if (t->year != 0 && t->year < 1970) {
        t->valid = 0;
    }
    return parse_suffix(s, n, j, cisco, t);
}

/* NX-OS "YYYY Mmm dd hh:mm:ss[.f]". Returns the end or 0. */
static size_t parse_nxos(const char *s, size_t n, size_t i, int cisco, struct stamp *t)
{
    size_t j = num(s, n, i, 4, 4, &t->year);

    if (j == 0 || j >= n || s[j] != ' ') {
        return 0;
    }
    t->mon = month3(s, n, j + 1);
    if (t->mon == 0) {
        return 0;
    }
    j = skip_sp(s, n, j + 5);
    j = num(s, n, j, 1, 2, &t->day);
    if (j == 0 || j >= n || s[j] != ' ') {
        return 0;
    }
    j = parse_hms(s, n, skip_sp(s, n, j), 9, t);
    if (j == 0) {
        return 0;
    }
    t->year_first = 1;
    if (t->year < 1970) {
        t->valid = 0;
    }
    return parse_suffix(s, n, j, cisco, t);
}

/* Any timestamp form a BSD-style line may carry at s[i]. Returns the end or 0. */
static size_t parse_ts(const char *s, size_t n, size_t i, int cisco, struct stamp *t)
{
    stamp_init(t);
    if (i >= n) {
        return 0;
    }
    if (is_digit(s[i])) {
        if (i + 4 < n && s[i + 4] == '-') {
            return parse_3339(s, n, i, 9, 1, t);
        }
        return parse_nxos(s, n, i, cisco, t);
    }
    return parse_bsd(s, n, i, cisco, t);
}

/*
 * A Cisco uptime stamp ending in ':': "00:00:46:", "00:00:46.123:", "1w2d:",
 * "2d03h:". Returns the end (after the ':') or 0.
 */
static size_t parse_uptime(const char *s, size_t n, size_t i)
{
    struct stamp t;
    size_t j;
    int v;
    int units = 0;

    stamp_init(&t);
    j = parse_hms(s, n, i, 9, &t);
    if (j != 0 && j < n && s[j] == ':' && at_end(s, n, j + 1)) {
        return j + 1;
    }
    j = i;
    while (units < 4) {
        size_t e = num(s, n, j, 1, 3, &v);

        if (e == 0 || e >= n ||
            !(s[e] == 'y' || s[e] == 'w' || s[e] == 'd' || s[e] == 'h' || s[e] == 'm')) {
            break;
        }
        j = e + 1;
        units++;
    }
    if (units > 0 && j < n && s[j] == ':' && at_end(s, n, j + 1)) {
        return j + 1;
    }
    return 0;
}

static int64_t local_ms(int y, const struct stamp *t)
{
    int64_t days = time_days_from_civil(y, (unsigned)t->mon, (unsigned)t->day);
    int64_t secs = days * 86400 + (int64_t)t->hour * 3600 + (int64_t)t->min * 60 + t->sec;

    return secs * 1000 + t->msec;
}

/* The year of ms since the epoch (clamped to 1970..9999). */
static int year_of(int64_t ms)
{
    int64_t z;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;

    if (ms < 0) {
        ms = 0;
    } else if (ms > MAX_EPOCH_MS) {
        ms = MAX_EPOCH_MS;
    }
    z = ms / DAY_MS + 719468;
    doe = z % 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    return (int)(yoe + z / 146097 * 400 + (mp >= 10));
}

/*
 * ms since the epoch for a valid stamp: a missing year is the receiver's, one
 * less when that would put the stamp more than a day in the future; a missing
 * zone is opts->default_tz_min. Returns 0, or -1 for a day the year lacks.
 */
static int stamp_ms(const struct stamp *t, const struct syslog_opts *o, int64_t *out)
{
    int off = t->has_off ? t->off_min : o->default_tz_min;
    int y = t->year;
    int64_t ms;

    if (off < -1440 || off > 1440) {
        off = 0;
    }
    if (y == 0) {
        y = year_of(o->recv_ms);
        if (t->mon == 2 && t->day == 29 && !is_leap(y)) {
            y--;
        }
    }
    if (t->day > month_days(y, t->mon)) {
        return -1;
    }
    ms = local_ms(y, t) - (int64_t)off * 60000;
    if (t->year == 0 && o->recv_ms < MAX_EPOCH_MS && ms > o->recv_ms + DAY_MS) {
        y--;
        if (t->day > month_days(y, t->mon)) {
            return -1;
        }
        ms = local_ms(y, t) - (int64_t)off * 60000;
    }
    *out = ms;
    return 0;
}

/* Adopt a parsed stamp as the line's time (the last valid one wins). */
static void take_stamp(struct hdr *h, const struct stamp *t)
{
    int64_t ms;

    if (!t->valid || stamp_ms(t, h->opts, &ms) != 0) {
        h->warn |= W_BAD_TS;
        return;
    }
    h->ts_ms = ms;
    h->has_ts = 1;
    h->year_first = t->year_first;
    h->zone = t->zone;
    if (t->zone_unknown) {
        h->warn |= W_ZONE;
    }
}

/* ---- tags ---- */

/* Cisco "%FAC-SEV-MNEMONIC:" (IOS-XR puts a space before the ':'). Returns the end or 0. */
static size_t parse_mnemonic(const char *s, size_t n, size_t i, struct mnem *m)
{
    size_t j = i + 1;
    size_t k;
    size_t q;

    if (i >= n || s[i] != '%') {
        return 0;
    }
    while (j < n && j - i <= 128 && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-')) {
        j++;
    }
    k = j;
    while (k < n && s[k] == ' ' && k - j < 2) {
        k++;
    }
    if (k >= n || s[k] != ':' || !is_alpha(s[i + 1])) {
        return 0;
    }
    /* The severity is the last "-D-" group: facilities may contain dashes themselves. */
    for (q = j - 1; q >= i + 4; q--) {
        if (s[q] == '-' && s[q - 1] >= '0' && s[q - 1] <= '7' && s[q - 2] == '-' && q + 1 < j) {
            m->fac.p = s + i + 1;
            m->fac.n = q - 2 - (i + 1);
            m->sev = s[q - 1] - '0';
            m->mn.p = s + q + 1;
            m->mn.n = j - (q + 1);
            return k + 1;
        }
    }
    return 0;
}

/* Skip a "(x)" or "[n]" group of up to 16 bytes at s[j]; returns the index after it. */
static size_t skip_group(const char *s, size_t n, size_t j, char open, char close)
{
    size_t k = j + 1;

    if (j >= n || s[j] != open) {
        return j;
    }
    while (k < n && k - j <= 16 && s[k] != close) {
        k++;
    }
    return k < n && s[k] == close ? k + 1 : j;
}

/* Huawei/H3C "%%01IFNET/4/IF_STATE(l)[0]:". Returns the end or 0. */
static size_t parse_vrp(const char *s, size_t n, size_t i, struct vrp *v)
{
    size_t j = i + 4;
    size_t m = j;
    size_t b;

    if (i + 4 > n || s[i] != '%' || s[i + 1] != '%' || !is_digit(s[i + 2]) || !is_digit(s[i + 3])) {
        return 0;
    }
    while (j < n && j - m < 64 && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-')) {
        j++;
    }
    if (j == m || j + 3 > n || s[j] != '/' || !is_digit(s[j + 1]) || s[j + 2] != '/') {
        return 0;
    }
    v->sev = s[j + 1] - '0';
    b = j + 3;
    j = b;
    while (j < n && j - b < 64 && (is_alnum(s[j]) || s[j] == '_')) {
        j++;
    }
    if (j == b) {
        return 0;
    }
    v->mod.p = s + m;
    v->mod.n = b - 3 - m;
    v->brief.p = s + b;
    v->brief.n = j - b;
    j = skip_group(s, n, j, '(', ')');
    j = skip_group(s, n, j, '[', ']');
    if (j >= n || s[j] != ':') {
        return 0;
    }
    return j + 1;
}

/* A TAG "prog[pid]:" or "prog:" ending the token. Returns the end or 0. */
static size_t parse_tag(const char *s, size_t n, size_t i, struct span *prog, struct span *pid)
{
    size_t j = i;

    while (j < n && j - i < 128 && is_print(s[j]) && s[j] != '[' && s[j] != ']' && s[j] != ':') {
        j++;
    }
    if (j == i || j >= n) {
        return 0;
    }
    prog->p = s + i;
    prog->n = j - i;
    pid->p = NULL;
    pid->n = 0;
    if (s[j] == '[') {
        size_t k = j + 1;

        while (k < n && k - j <= 32 && is_print(s[k]) && s[k] != ']') {
            k++;
        }
        if (k >= n || s[k] != ']') {
            return 0;
        }
        pid->p = s + j + 1;
        pid->n = k - (j + 1);
        j = k + 1;
    }
    if (j >= n || s[j] != ':' || !at_end(s, n, j + 1)) {
        return 0;
    }
    return j + 1;
}

/* A plausible HOSTNAME token s[i..e): a name, an IPv4 or IPv6 address. */
static int host_ok(const char *s, size_t i, size_t e)
{
    size_t k;

    if (e == i || e - i > 255) {
        return 0;
    }
    for (k = i; k < e; k++) {
        if (!is_alnum(s[k]) && s[k] != '.' && s[k] != '-' && s[k] != '_' && s[k] != ':' &&
            s[k] != '@') {
            return 0;
        }
    }
    return 1;
}

static size_t token_end(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != ' ') {
        i++;
    }
    return i;
}

/* ---- PRI and the two header grammars ---- */

/* "<PRI>" with 1..3 digits and a value up to 191: the end, or 0. */
static size_t parse_pri(const char *s, size_t n, size_t i, int *pri)
{
    size_t j;

    if (i >= n || s[i] != '<') {
        return 0;
    }
    j = num(s, n, i + 1, 1, 3, pri);
    if (j == 0 || j >= n || s[j] != '>' || *pri > 191) {
        return 0;
    }
    return j + 1;
}

/*
 * Cisco and NX-OS material up to the timestamp: sequence numbers "117: ", an
 * origin hostname "r1: ", a clock flag, then a timestamp or an uptime. Origins
 * are taken only before the hostname position (after_host 0). *got is 0 when
 * neither a timestamp nor an uptime was found, 1 for a timestamp in *t, 2 for an
 * uptime. Returns the position after what was consumed.
 */
static size_t parse_prefix(struct hdr *h, size_t i, int after_host, int *got, struct stamp *t)
{
    const char *s = h->s;
    size_t n = h->n;
    int round;

    *got = 0;
    for (round = 0; round < MAX_ROUNDS; round++) {
        struct stamp look;
        size_t k;
        size_t e;
        int64_t seq = 0;

        i = skip_sp(s, n, i);
        k = i;
        if (k < n && (s[k] == '*' || s[k] == '.')) {
            k++;
        }
        if ((e = parse_ts(s, n, k, h->cisco, t)) != 0) {
            *got = 1;
        } else if ((e = parse_uptime(s, n, k)) != 0) {
            *got = 2;
            h->cisco = 1;
        }
        if (*got != 0) {
            if (k > i) {
                h->flag.p = s + i;
                h->flag.n = 1;
                h->cisco = 1;
            }
            return e;
        }
        if (k > i) {
            break; /* a flag must precede a stamp */
        }
        for (e = i; e < n && e - i < 18 && is_digit(s[e]); e++) {
            seq = seq * 10 + (s[e] - '0');
        }
        if (e > i && e < n && s[e] == ':' && at_end(s, n, e + 1)) {
            h->seq = seq;
            h->has_seq = 1;
            h->cisco = 1;
            i = e + 1;
            continue;
        }
        if (after_host) {
            break;
        }
        /* Origin: "rt401: Aug 18 ..." (IOS-XR: "RP/0/RSP0/CPU0:Aug 18 ..."). */
        e = i;
        while (e < n && e - i < 256 && is_print(s[e]) && s[e] != ':') {
            e++;
        }
        if (e == i || e >= n || s[e] != ':') {
            break;
        }
        k = skip_sp(s, n, e + 1);
        if (k < n && (s[k] == '*' || s[k] == '.')) {
            k++;
        }
        if (parse_ts(s, n, k, 1, &look) == 0 && parse_uptime(s, n, k) == 0) {
            break;
        }
        if (host_ok(s, i, e) && h->host.p == NULL) {
            h->host.p = s + i;
            h->host.n = e - i;
        }
        h->cisco = 1;
        i = e + 1;
    }
    return i;
}

/* The text after the header: a Cisco or Huawei tag, a TAG, then the message. */
static void parse_content(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    struct span prog;
    struct span pid;
    size_t e;

    i = skip_sp(s, n, i);
    if ((e = parse_mnemonic(s, n, i, &h->mnem)) != 0) {
        h->has_mnem = 1;
        i = e;
    } else if ((e = parse_vrp(s, n, i, &h->vrp)) != 0) {
        h->has_vrp = 1;
        i = e;
    } else if ((e = parse_tag(s, n, i, &prog, &pid)) != 0) {
        size_t m = parse_mnemonic(s, n, skip_sp(s, n, e), &h->mnem);

        i = e;
        if (m != 0) {
            h->has_mnem = 1;
            i = m;
        }
        if (m != 0 && pid.p == NULL && h->host.p == NULL && host_ok(prog.p, 0, prog.n)) {
            h->host = prog; /* "r1: %LINK-3-UPDOWN: ..." names the device, not a program */
        } else {
            h->app = prog;
            h->procid = pid;
        }
    }
    i = skip_sp(s, n, i);
    h->msg.p = s + i;
    h->msg.n = n - i;
}

/*
 * An RFC 3164 style line from i (after the PRI). Returns 1 with *relay_at set
 * when a relay header was found and the line must be parsed again from there.
 */
static int parse_3164(struct hdr *h, size_t i, int allow_relay, size_t *relay_at)
{
    const char *s = h->s;
    size_t n = h->n;
    struct stamp t;
    int got;
    int round;
    int pri;

    if (i < n && s[i] == ':' && at_end(s, n, i + 1)) {
        h->cisco = 1; /* "<191>: rt401: ..." and NX-OS "<46>: 2024 Aug 27 ..." */
        i++;
    }
    i = parse_prefix(h, i, 0, &got, &t);
    if (got == 1) {
        take_stamp(h, &t);
    } else if (got == 2) {
        h->uptime = 1;
    }
    for (round = 0; got != 0 && !(got == 1 && t.colon) && got != 2 && round < MAX_ROUNDS; round++) {
        struct mnem m;
        struct vrp v;
        struct span prog;
        struct span pid;
        size_t e;

        i = skip_sp(s, n, i);
        if (allow_relay && parse_pri(s, n, i, &pri) != 0) {
            *relay_at = i;
            return 1;
        }
        e = token_end(s, n, i);
        if (e == i || parse_mnemonic(s, n, i, &m) != 0 || parse_vrp(s, n, i, &v) != 0 ||
            parse_tag(s, n, i, &prog, &pid) != 0 || !host_ok(s, i, e)) {
            break;
        }
        h->host.p = s + i;
        h->host.n = e - i;
        i = skip_sp(s, n, e);
        if (allow_relay && parse_pri(s, n, i, &pri) != 0) {
            h->relay = h->host;
            *relay_at = i;
            return 1;
        }
        if (i < n && s[i] == ':' && at_end(s, n, i + 1)) {
            i++; /* ASA "asa1 : %ASA-..." */
        }
        i = parse_prefix(h, i, 1, &got, &t);
        if (got == 1) {
            take_stamp(h, &t);
        } else if (got == 2) {
            h->uptime = 1;
        }
        if (got == 1 && !t.colon) {
            /* A second full header: a relay that kept no PRI; the device follows. */
            h->relay = h->host;
            h->host.p = NULL;
            h->host.n = 0;
        }
    }
    parse_content(h, i);
    return 0;
}

/* One RFC 5424 header field (NILVALUE or 1..max PRINTUSASCII) and its SP. */
static int parse_field(struct hdr *h, size_t *i, size_t max, const char *name, struct span *out)
{
    const char *s = h->s;
    size_t n = h->n;
    size_t e = *i;

    while (e < n && s[e] != ' ' && is_print(s[e])) {
        e++;
    }
    if (e == *i || e - *i > max || (e < n && s[e] != ' ')) {
        h->warn |= W_HDR;
        h->bad_field = name;
        h->msg.p = s + *i;
        h->msg.n = n - *i;
        return -1;
    }
    if (!(e - *i == 1 && s[*i] == '-')) {
        out->p = s + *i;
        out->n = e - *i;
    }
    if (e >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        h->msg.n = 0;
        return -1;
    }
    *i = e + 1;
    return 0;
}

static int sd_name_char(char c)
{
    return is_print(c) && c != '=' && c != ']' && c != '"';
}

/*
 * Store one SD-PARAM. An escaped value (\" \\ \], rare) is unescaped into a
 * scratch buffer first; a backslash before any other byte stays, both bytes.
 */
static void store_param(struct hdr *h, struct span id, struct span name, struct span val,
                        int escaped)
{
    struct sbuf u = {0};
    size_t r;

    if (!escaped) {
        event_set_atom(h->ev, SD_PREFIX, id.p, id.n, name.p, name.n, val.p, val.n);
        return;
    }
    sbuf_reserve(&u, val.n);
    for (r = 0; r < val.n; r++) {
        if (val.p[r] == '\\' && r + 1 < val.n &&
            (val.p[r + 1] == '"' || val.p[r + 1] == '\\' || val.p[r + 1] == ']')) {
            r++;
        }
        sbuf_addc(&u, val.p[r]);
    }
    event_set_atom(h->ev, SD_PREFIX, id.p, id.n, name.p, name.n, u.buf, u.len);
    sbuf_free(&u);
}

/* One SD-ELEMENT "[id name="value" ...]" at s[i], storing its params. Returns the end or 0. */
static size_t parse_sd_element(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    struct span id;
    size_t j = i + 1;

    while (j < n && sd_name_char(s[j]) && s[j] != ' ') {
        j++;
    }
    if (j == i + 1 || j - (i + 1) > 32) {
        return 0;
    }
    id.p = s + i + 1;
    id.n = j - (i + 1);
    for (;;) {
        struct span name;
        struct span val;
        int escaped = 0;
        size_t k;

        if (j < n && s[j] == ']') {
            return j + 1;
        }
        if (j >= n || s[j] != ' ') {
            return 0;
        }
        j = skip_sp(s, n, j);
        if (j < n && s[j] == ']') {
            return j + 1;
        }
        k = j;
        while (k < n && sd_name_char(s[k]) && s[k] != ' ') {
            k++;
        }
        if (k == j || k - j > 32 || k + 1 >= n || s[k] != '=' || s[k + 1] != '"') {
            return 0;
        }
        name.p = s + j;
        name.n = k - j;
        k += 2;
        val.p = s + k;
        while (k < n && s[k] != '"') {
            if (s[k] == '\\' && k + 1 < n) {
                escaped = 1;
                k++;
            }
            k++;
        }
        if (k >= n) {
            return 0;
        }
        val.n = (size_t)(s + k - val.p);
        store_param(h, id, name, val, escaped);
        j = k + 1;
    }
}

/* The RFC 5424 header after "VERSION SP" at i: TIMESTAMP through MSG. */
static void parse_5424(struct hdr *h, size_t i)
{
    const char *s = h->s;
    size_t n = h->n;
    size_t e = token_end(s, n, i);
    struct stamp t;

    stamp_init(&t);
    if (!(e - i == 1 && s[i] == '-')) {
        if (parse_3339(s, e, i, 6, 0, &t) != e) {
            t.valid = 0;
        }
        take_stamp(h, &t);
    }
    if (e >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        return;
    }
    i = e + 1;
    if (parse_field(h, &i, 255, "HOSTNAME", &h->host) != 0 ||
        parse_field(h, &i, 48, "APP-NAME", &h->app) != 0 ||
        parse_field(h, &i, 128, "PROCID", &h->procid) != 0 ||
        parse_field(h, &i, 32, "MSGID", &h->msgid) != 0) {
        return;
    }
    if (i >= n) {
        h->warn |= W_TRUNC;
        h->msg.p = s + n;
        return;
    }
    if (s[i] == '-' && at_end(s, n, i + 1)) {
        i++;
    } else if (s[i] == '[') {
        while (i < n && s[i] == '[') {
            size_t end = parse_sd_element(h, i);

            if (end == 0) {
                break;
            }
            i = end;
        }
    } else {
        h->warn |= W_SD; /* no STRUCTURED-DATA at all: all of it is the message */
        i = skip_sp(s, n, i);
        h->msg.p = s + i;
        h->msg.n = n - i;
        return;
    }
    if (i >= n) {
        h->msg.p = s + n;
        return;
    }
    if (s[i] != ' ') {
        h->warn |= W_SD; /* keep what parsed; the rest is the message */
        h->msg.p = s + i;
        h->msg.n = n - i;
        return;
    }
    i++;
    h->msg.p = s + i;
    h->msg.n = n - i;
}

/* One header from i; returns 1 with *relay_at when a relay header was peeled off. */
static int parse_line(struct hdr *h, size_t i, int allow_relay, size_t *relay_at)
{
    const char *s = h->s;
    size_t n = h->n;

    i = skip_sp(s, n, i);
    if (i < n && s[i] == '<') {
        size_t e = parse_pri(s, n, i, &h->pri);
        int v;

        if (e == 0) {
            size_t k;

            h->pri = -1;
            h->warn |= W_BAD_PRI;
            k = i + 1;
            while (k < n && k - i <= 5 && s[k] != '>') {
                k++;
            }
            e = k < n && s[k] == '>' ? k + 1 : i;
        }
        i = e;
        e = num(s, n, i, 1, 3, &v);
        if (e != 0 && s[i] != '0' && e + 1 < n && s[e] == ' ' &&
            ((s[e + 1] == '-' && at_end(s, n, e + 2)) ||
             (e + 6 <= n && is_digit(s[e + 1]) && is_digit(s[e + 2]) && is_digit(s[e + 3]) &&
              is_digit(s[e + 4]) && s[e + 5] == '-'))) {
            h->version = v;
            parse_5424(h, e + 1);
            return 0;
        }
    } else {
        h->warn |= W_NO_PRI;
    }
    return parse_3164(h, i, allow_relay, relay_at);
}

/* ---- output ---- */

static void set_span(struct vg_event *ev, const char *name, struct span sp)
{
    if (sp.p != NULL) {
        event_set_str(ev, name, sp.p, sp.n);
    }
}

/* Set name to the integer in sp when it is 1..18 digits; other text is not set. */
static void set_int_span(struct vg_event *ev, const char *name, struct span sp)
{
    int64_t v = 0;
    size_t k;

    if (sp.p == NULL || sp.n == 0 || sp.n > 18) {
        return;
    }
    for (k = 0; k < sp.n; k++) {
        if (!is_digit(sp.p[k])) {
            return;
        }
        v = v * 10 + (sp.p[k] - '0');
    }
    event_set_int(ev, name, v);
}

/* Append "; " (unless first), a and bn bytes of b to the warning text, if they fit. */
static void add_warn(char *buf, size_t cap, size_t *len, const char *a, const char *b, size_t bn)
{
    int w;

    if (bn > 64) {
        bn = 64;
    }
    w = snprintf(buf + *len, cap - *len, "%s%s%.*s", *len > 0 ? "; " : "", a, (int)bn,
                 b != NULL ? b : "");
    if (w > 0 && (size_t)w < cap - *len) {
        *len += (size_t)w;
    } else {
        buf[*len] = '\0';
    }
}

static void emit_warnings(struct hdr *h)
{
    char buf[256];
    size_t len = 0;

    if (h->warn & W_NO_PRI) {
        add_warn(buf, sizeof(buf), &len, "missing PRI", NULL, 0);
    }
    if (h->warn & W_BAD_PRI) {
        add_warn(buf, sizeof(buf), &len, "invalid PRI", NULL, 0);
    }
    if (h->warn & W_BAD_TS) {
        add_warn(buf, sizeof(buf), &len, "invalid timestamp", NULL, 0);
    }
    if (h->warn & W_NO_TS) {
        add_warn(buf, sizeof(buf), &len, "missing timestamp", NULL, 0);
    }
    if (h->warn & W_ZONE) {
        add_warn(buf, sizeof(buf), &len, "unknown time zone, UTC assumed: ", h->zone.p, h->zone.n);
    }
    if (h->warn & W_HDR) {
        add_warn(buf, sizeof(buf), &len, "invalid RFC 5424 ", h->bad_field, strlen(h->bad_field));
    }
    if (h->warn & W_TRUNC) {
        add_warn(buf, sizeof(buf), &len, "truncated RFC 5424 header", NULL, 0);
    }
    if (h->warn & W_SD) {
        add_warn(buf, sizeof(buf), &len, "malformed structured data", NULL, 0);
    }
    if (len > 0) {
        event_set_str(h->ev, "vigil.parse_warning", buf, len);
    }
}

static void emit(struct hdr *h, int64_t recv_ms)
{
    struct vg_event *ev = h->ev;
    int pri = h->pri >= 0 ? h->pri : DEFAULT_PRI;
    int cisco = h->has_mnem || h->cisco;
    struct span msg = h->msg;

    if (!h->version && !h->has_ts && !h->uptime && !cisco && !(h->warn & W_BAD_TS)) {
        h->warn |= W_NO_TS;
    }
    event_set_time(ev, h->has_ts ? h->ts_ms : recv_ms);
    event_set_int(ev, "log.syslog.priority", pri);
    event_set_int(ev, "log.syslog.facility.code", pri >> 3);
    event_set_strz(ev, "log.syslog.facility.name", syslog_facility_name(pri >> 3));
    event_set_int(ev, "log.syslog.severity.code", pri & 7);
    event_set_strz(ev, "log.syslog.severity.name", syslog_severity_name(pri & 7));
    if (h->version) {
        event_set_int(ev, "log.syslog.version", h->version);
        event_set_strz(ev, "log.syslog.format", "rfc5424");
    } else if (cisco) {
        event_set_strz(ev, "log.syslog.format", h->year_first ? "nxos" : "cisco");
    } else {
        event_set_strz(ev, "log.syslog.format", "rfc3164");
    }
    set_span(ev, "host.name", h->host);
    set_span(ev, "log.syslog.hostname", h->host);
    set_span(ev, "log.syslog.relay", h->relay);
    set_span(ev, "log.syslog.appname", h->app);
    set_span(ev, "process.name", h->app);
    set_span(ev, "log.syslog.procid", h->procid);
    set_int_span(ev, "process.pid", h->procid); /* an integer in the schema */
    set_span(ev, "log.syslog.msgid", h->msgid);
    set_span(ev, "log.syslog.timezone", h->zone);
    if (h->has_seq) {
        event_set_int(ev, "event.sequence", h->seq);
    }
    set_span(ev, "cisco.clock_flag", h->flag);
    if (h->has_mnem) {
        struct span code = {h->mnem.fac.p, (size_t)(h->mnem.mn.p + h->mnem.mn.n - h->mnem.fac.p)};

        set_span(ev, "event.code", code);
        set_span(ev, "cisco.facility", h->mnem.fac);
        event_set_int(ev, "cisco.severity", h->mnem.sev);
        set_span(ev, "cisco.mnemonic", h->mnem.mn);
    } else if (h->has_vrp) {
        struct span code = {h->vrp.mod.p, (size_t)(h->vrp.brief.p + h->vrp.brief.n - h->vrp.mod.p)};

        set_span(ev, "event.code", code);
        set_span(ev, "vrp.module", h->vrp.mod);
        event_set_int(ev, "vrp.severity", h->vrp.sev);
        set_span(ev, "vrp.brief", h->vrp.brief);
    }
    if (msg.p == NULL) {
        msg.p = h->s + h->n;
        msg.n = 0;
    }
    if (msg.n >= 3 && (unsigned char)msg.p[0] == 0xEF && (unsigned char)msg.p[1] == 0xBB &&
        (unsigned char)msg.p[2] == 0xBF) {
        msg.p += 3;
        msg.n -= 3;
    }
    event_set_str(ev, "message", msg.p, msg.n);
    emit_warnings(h);
}

/* ---- public API ---- */

static void hdr_reset(struct hdr *h, const char *s, size_t n, const struct syslog_opts *o,
                      struct vg_event *ev)
{
    memset(h, 0, sizeof(*h));
    h->s = s;
    h->n = n;
    h->opts = o;
    h->ev = ev;
    h->pri = -1;
}

/*
 * Parse one syslog message into ev (see syslog.h). Relay headers are peeled off
 * and the innermost message parsed; log.syslog.relay keeps the host of the last
 * relay header. The caller owns buf and ev; nothing is kept after the return.
 */
int syslog_parse(const char *buf, size_t len, const struct syslog_opts *opts, struct vg_event *ev)
{
    struct syslog_opts dflt = {0, 0, 0};
    struct hdr h;
    size_t i = 0;
    int depth;

    if (opts == NULL) {
        dflt.recv_ms = time_now_ms();
        opts = &dflt;
    }
    if (buf == NULL) {
        len = 0;
        buf = "";
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == '\0')) {
        len--;
    }
    hdr_reset(&h, buf, len, opts, ev);
    for (depth = 0; depth < MAX_RELAYS; depth++) {
        size_t at = 0;
        struct span relay;

        if (parse_line(&h, i, depth + 1 < MAX_RELAYS, &at) == 0) {
            break;
        }
        relay = h.relay;
        hdr_reset(&h, buf, len, opts, ev);
        h.relay = relay;
        i = at;
    }
    if (opts->keep_original) {
        event_set_str(ev, "event.original", buf, len);
    }
    emit(&h, opts->recv_ms);
    return 0;
}

/* The facility name of code 0..23, or "unknown". */
const char *syslog_facility_name(int code)
{
    if (code < 0 || code >= (int)ARRAY_SIZE(facility_names)) {
        return "unknown";
    }
    return facility_names[code];
}

/* The severity name of code 0..7, or "unknown". */
const char *syslog_severity_name(int code)
{
    if (code < 0 || code >= (int)ARRAY_SIZE(severity_names)) {
        return "unknown";
    }
    return severity_names[code];
}
