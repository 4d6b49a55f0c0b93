/* SPDX-License-Identifier: MIT */
/*
 * Describing loaded plugins: their option tables as JSON Schema (for
 * schemas/plugins/) or as text for people (vigild --describe-plugins).
 */
#ifndef VG_CORE_DESCRIBE_H
#define VG_CORE_DESCRIBE_H

#include "loader.h"
#include "util.h"

/* "rule" or "action". */
const char *describe_kind(const struct plugin_mod *m);
/* Append the JSON Schema of the plugin's "params" object (pretty, newline-ended). */
void describe_schema(const struct plugin_mod *m, struct sbuf *b);
/* Append a few lines naming the plugin and each option with its type, help and default. */
void describe_text(const struct plugin_mod *m, struct sbuf *b);

#endif /* VG_CORE_DESCRIBE_H */
