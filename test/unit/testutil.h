/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the unit suites: a private redis-server for suites that need
 * one, temporary directories, and reading fixture files.
 */
#ifndef VG_TEST_TESTUTIL_H
#define VG_TEST_TESTUTIL_H

#include <stddef.h>

/*
 * Start a private redis-server on a unix socket in a new temporary directory
 * (through the core's embedded launcher) and return its URL, or NULL when
 * redis-server cannot be started. One per process; stopped at exit.
 */
const char *test_redis_url(void);
/* A new empty temporary directory (removed at exit with its files). */
const char *test_tmpdir(void);
/* Read a whole file into a new NUL-terminated buffer; NULL on error. */
char *test_read_file(const char *path, size_t *len);

#endif /* VG_TEST_TESTUTIL_H */
