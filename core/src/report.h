/* SPDX-License-Identifier: MIT */
/*
 * Reports for people and machines (vigilctl report and check): the risk review of
 * procedure 5.1 (the incidents of a period, read from Redis: by class and severity,
 * times to acknowledge and resolve, top devices and sources, action success rates,
 * steps still open, incidents under 5.3) and the preparedness check of an inventory
 * (5.2.3.1 backups, 5.2.4.1 database pairs, 5.2.6.1 spares, carrier contacts).
 * Output is Markdown or JSON; docs/operations.md describes both.
 */
#ifndef VG_CORE_REPORT_H
#define VG_CORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "store.h"
#include "util.h"

#define REPORT_TOP_DEFAULT 10  /* devices and sources listed by default */
#define REPORT_BATCH       128 /* incidents read from Redis per pipelined batch */
#define REPORT_STREAM_PAGE 1000
#define REPORT_MAX_MS      253402300799999LL /* 9999-12-31T23:59:59.999Z: later is no time */

/* Output formats. */
enum report_format {
    REPORT_MD = 0,   /* Markdown tables for people */
    REPORT_JSON = 1, /* one JSON object for machines */
};

/* What a risk review covers. */
struct report_opts {
    int64_t from_ms; /* incidents first seen at or after this (ms since the epoch) */
    int64_t to_ms;   /* and before this */
    int64_t now_ms;  /* the time the report is made (its "generated" member) */
    size_t top;      /* devices and sources listed; 0: REPORT_TOP_DEFAULT */
};

/* The incidents of one period with their tallies; owned by the caller of report_collect. */
struct report;

/*
 * Read the incidents first seen in [from_ms, to_ms) under prefix: every incident
 * named by the lifecycle stream (prefix "stream") or the open index (prefix
 * "open"), from its hash, history and last events; an incident whose hash has
 * expired is taken from its last record in the stream (no history then). On
 * success *out is a new report (free with report_free). Returns 0, or VG_EIO
 * when Redis failed (*out NULL). One thread; st is used synchronously.
 */
int report_collect(struct store *st, const char *prefix, const struct report_opts *o,
                   struct report **out);

/* Append the report in format (enum report_format) to out. */
void report_write(const struct report *r, int format, struct sbuf *out);

/* Free a report (NULL is fine). */
void report_free(struct report *r);

/*
 * The preparedness check of inv (loaded from the file called name): database
 * pairs without a standby or without promote or check commands, devices whose
 * model has no spare in stock (spares of that model with count > 0), systems
 * (hosts, devices whose role contains "server", database pairs) without a backup
 * interval, circuits without a carrier contact (phone, e-mail, URL or API).
 * Appends the findings in format to out and returns how many were found (0:
 * nothing is missing). Any thread.
 */
size_t report_check(const struct inventory *inv, const char *name, int format, struct sbuf *out);

/*
 * Parse a report time: RFC 3339 ("2026-03-01T00:00:00Z"), a date ("2026-03-01",
 * midnight UTC), "now", or a duration before now_ms ("30d", "12h"). Returns 0
 * with *ms set, or -1.
 */
int report_parse_time(const char *s, int64_t now_ms, int64_t *ms);

#endif /* VG_CORE_REPORT_H */
