/* SPDX-License-Identifier: MIT */
/*
 * Message templates (rules/normalize/NAME.json, schemas/normalize.schema.json):
 * each selects lines by program name, event code or (CEF/LEEF records) the
 * "vendor|product" of the record's header, checks a literal prefilter,
 * then runs a JIT-compiled PCRE2 pattern whose named groups become ECS fields
 * ("source__ip" names source.ip) and sets fixed fields such as event.action.
 * Templates are indexed by selector, so a line is tried only against the few
 * templates of its program or code.
 */
#ifndef VG_CORE_NORMALIZE_H
#define VG_CORE_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "util.h"

struct normalizer;

/*
 * Load templates from each path (a file, or a directory of *.json in name order;
 * a later template of the same name replaces the earlier). Errors, with file,
 * JSON path and reason, go to diag. Returns the normalizer (never NULL) and sets
 * *n_errors.
 */
struct normalizer *normalize_load(const char *const *paths, size_t n_paths, struct diag *diag,
                                  int *n_errors);
void normalize_free(struct normalizer *nz);
/* Number of templates loaded. */
size_t normalize_count(const struct normalizer *nz);

/*
 * Apply the first matching template to ev (which has message, process.name and
 * event.code from the parser). A CEF/LEEF message is parsed first (cef.h), and
 * its templates selected by "product" are tried before those of its code and
 * program. Returns 1 when a template matched, 0 when none did. Safe on several
 * threads at once (on different events).
 */
int normalize_event(const struct normalizer *nz, struct vg_event *ev);

/*
 * Check every template's samples: each sample line is parsed and normalized,
 * and each expected field compared. Mismatches go to diag. Returns the number
 * of failed samples; *n_samples gets the number checked.
 */
int normalize_check_samples(const struct normalizer *nz, struct diag *diag, size_t *n_samples);

#endif /* VG_CORE_NORMALIZE_H */
