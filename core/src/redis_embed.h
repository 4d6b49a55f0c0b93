/* SPDX-License-Identifier: MIT */
/*
 * The private redis-server vigild starts when no Redis URL is configured (and
 * replay uses as a throw-away store).
 */
#ifndef VG_CORE_REDIS_EMBED_H
#define VG_CORE_REDIS_EMBED_H

#include <stddef.h>

/* A private redis-server child process. */
struct redis_embed;

/*
 * Start `redis-server` (found on PATH, or the path in $VIGIL_REDIS_SERVER) with a
 * unix socket in state_dir (created 0700 if missing), AOF there when persist is
 * 1 (a throw-away replay store needs none), no TCP port, and
 * wait until it answers PING (up to 10 s). Writes the URL ("unix:/.../redis.sock")
 * to url. Returns NULL with a sentence in err on failure.
 */
struct redis_embed *redis_embed_start(const char *state_dir, int persist, char *url, size_t url_len,
                                      char *err, size_t err_len);
/* Ask the server to shut down (SIGTERM, then SIGKILL after 5 s) and reap it. */
void redis_embed_stop(struct redis_embed *e);
/* The child's pid. */
int redis_embed_pid(const struct redis_embed *e);

#endif /* VG_CORE_REDIS_EMBED_H */
