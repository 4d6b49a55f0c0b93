/* SPDX-License-Identifier: MIT */
/* Test helpers: temporary directories and fixture files (see testutil.h). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char **tmpdirs;
static size_t n_tmpdirs;

static void remove_tmpdirs(void)
{
    size_t i;

    for (i = 0; i < n_tmpdirs; i++) {
        char *cmd = xasprintf("rm -rf '%s'", tmpdirs[i]);

        if (system(cmd) != 0) {
            fprintf(stderr, "cannot remove %s\n", tmpdirs[i]);
        }
        free(cmd);
        free(tmpdirs[i]);
    }
    free(tmpdirs);
}

const char *test_tmpdir(void)
{
    char tmpl[] = "/tmp/vg_test.XXXXXX";

    if (mkdtemp(tmpl) == NULL) {
        return NULL;
    }
    if (n_tmpdirs == 0) {
        atexit(remove_tmpdirs);
    }
    tmpdirs = xrealloc(tmpdirs, (n_tmpdirs + 1) * sizeof(*tmpdirs));
    tmpdirs[n_tmpdirs] = xstrdup(tmpl);
    return tmpdirs[n_tmpdirs++];
}

char *test_read_file(const char *path, size_t *len)
{
    size_t n;
    char *data = file_read_all(path, (size_t)1 << 30, &n);

    if (data != NULL && len != NULL) {
        *len = n;
    }
    return data;
}
