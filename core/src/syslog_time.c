/* SPDX-License-Identifier: MIT */
/*
 * Timestamps of the syslog parser: RFC 3339 (strict for RFC 5424, loose for BSD
 * lines), BSD "Mmm dd hh:mm:ss" and NX-OS "yyyy Mmm dd" stamps with their optional
 * years, offsets, zone abbreviations and Cisco ':' endings, Cisco uptimes, and the
 * conversion to ms since the epoch (the year guessed from the receive time when
 * the text has none, the default zone when it names none).
 */
#include <string.h>

#include "syslog_int.h"

#define DAY_MS       86400000LL        /* one day in ms */
#define MAX_EPOCH_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* clang-format off */
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

/* ---- characters and the calendar ---- */

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static char to_upper(char c)
{
    if (c >= 'a' && c <= 'z') {
        return (char)(unsigned char)((unsigned char)c - 32u);
    }
    return c;
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

/* Any timestamp form a BSD-style line may carry (see syslog_int.h). */
size_t syslog_time_parse(const char *s, size_t n, size_t i, int cisco, struct stamp *t)
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
size_t syslog_time_parse_uptime(const char *s, size_t n, size_t i)
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

/* ---- to ms since the epoch ---- */

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

/* Adopt a parsed stamp as the line's time (see syslog_int.h). */
void syslog_time_take(struct hdr *h, const struct stamp *t)
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

/* The RFC 5424 TIMESTAMP token h->s[i..e) (see syslog_int.h). */
void syslog_time_take_5424(struct hdr *h, size_t i, size_t e)
{
    struct stamp t;

    stamp_init(&t);
    if (parse_3339(h->s, e, i, 6, 0, &t) != e) {
        t.valid = 0;
    }
    syslog_time_take(h, &t);
}
