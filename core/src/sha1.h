/* SPDX-License-Identifier: MIT */
/* SHA-1 of a buffer as 40 hex digits: the names Redis gives Lua scripts (EVALSHA). */
#ifndef VG_CORE_SHA1_H
#define VG_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* Write the SHA-1 of len bytes at data as 40 lowercase hex digits and a NUL into out. */
void sha1_hex(const void *data, size_t len, char out[41]);

#endif /* VG_CORE_SHA1_H */
