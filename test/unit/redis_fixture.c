/* SPDX-License-Identifier: MIT */
/*
 * The private redis-server of a test process: started on first use through the
 * core's embedded launcher in a temporary directory, stopped at exit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "redis_embed.h"
#include "store.h"
#include "testutil.h"

static pthread_mutex_t fixture_lock = PTHREAD_MUTEX_INITIALIZER;
static struct redis_embed *fixture;
static char fixture_url[256];
static int fixture_tried;

static void stop_fixture(void)
{
    redis_embed_stop(fixture);
    fixture = NULL;
}

/*
 * The URL of this process's redis-server, started on the first call; NULL (and
 * a message on stderr) when it cannot start. Writes to a server that went away
 * must fail with EPIPE rather than kill the runner, so SIGPIPE is ignored.
 */
const char *test_redis_url(void)
{
    const char *url = NULL;
    char err[512];
    const char *dir;

    pthread_mutex_lock(&fixture_lock);
    if (!fixture_tried) {
        fixture_tried = 1;
        signal(SIGPIPE, SIG_IGN);
        dir = test_tmpdir();
        if (dir == NULL) {
            fprintf(stderr, "test redis: cannot create a temporary directory\n");
        } else {
            fixture = redis_embed_start(dir, 0, fixture_url, sizeof(fixture_url), err, sizeof(err));
            if (fixture == NULL) {
                fprintf(stderr, "test redis: %s\n", err);
            } else {
                /* Registered after test_tmpdir's cleanup, so it runs before it. */
                atexit(stop_fixture);
            }
        }
    }
    if (fixture != NULL) {
        url = fixture_url;
    }
    pthread_mutex_unlock(&fixture_lock);
    return url;
}
