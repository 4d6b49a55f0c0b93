/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the risk review (report.c) and the preparedness check
 * (report_check.c): growing arrays, reading libfastjson objects, writing JSON
 * strings and Markdown table cells. Pure functions: any thread.
 */
#ifndef VG_CORE_REPORT_INT_H
#define VG_CORE_REPORT_INT_H

#include <libfastjson/json.h>
#include <stddef.h>

#include "util.h"

/* v (n used of *cap elements of size bytes) with room for one more; *cap updated. */
void *report_grow(void *v, size_t n, size_t *cap, size_t size);
/* Member k of object o (borrowed), or NULL when o is no object or lacks it. */
fjson_object *report_jget(fjson_object *o, const char *k);
/* String member k of o (borrowed), or NULL when absent or not a string. */
const char *report_jstr(fjson_object *o, const char *k);
/* len bytes of s parsed as JSON (new reference), or NULL when empty or not JSON. */
fjson_object *report_parse_json(const char *s, size_t len);
/* s as a JSON string to b ("null" for NULL). */
void report_json_s(struct sbuf *b, const char *s);
/* s as the text of a Markdown table cell to b ('|' escaped, line breaks as spaces). */
void report_md_cell(struct sbuf *b, const char *s);

#endif /* VG_CORE_REPORT_INT_H */
