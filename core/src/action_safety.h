/* SPDX-License-Identifier: MIT */
/*
 * What keeps event text and secrets in their place when actions run: the
 * value checks of enum vg_value_kind, and secrets read by reference from a
 * private file or the environment.
 */
#ifndef VG_CORE_ACTION_SAFETY_H
#define VG_CORE_ACTION_SAFETY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Check value (len bytes, may hold NULs) against kind (enum vg_value_kind).
 * Returns 0, or -1 with a short reason in why ("contains a control character",
 * "longer than 253 bytes"); never copies the value into why.
 */
int value_check(uint32_t kind, const char *value, size_t len, char *why, size_t why_len);

/* The name of a value kind for messages ("host name"). */
const char *value_kind_name(uint32_t kind);

/*
 * Write value into out escaped for a log line (\xNN for bytes outside printable
 * ASCII, backslash and quote escaped), cut at max bytes of input with "..."; out
 * is always terminated.
 */
void value_excerpt(const char *value, size_t len, size_t max, char *out, size_t out_len);

/*
 * Read the secret ref names: "file:/ABSOLUTE/PATH" (a regular file owned by the
 * process's user with no group or other permission bits; at most 64 KiB; one
 * trailing newline dropped) or "env:NAME". Returns a malloc'd string the caller
 * zeroes and frees, or NULL with a sentence in err that names the reference,
 * never the value.
 */
char *secret_read(const char *ref, char *err, size_t err_len);

#endif /* VG_CORE_ACTION_SAFETY_H */
