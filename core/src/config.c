/* SPDX-License-Identifier: MIT */
/*
 * Configuration: built-in defaults, then the JSON file, then command-line
 * options. Unknown keys and wrong types in the file are errors naming the key.
 */
#include "config.h"

#include <errno.h>
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void strvec_push(struct strvec *v, const char *s)
{
    if (v->n < CONFIG_MAX_PATHS) {
        v->v[v->n++] = xstrdup(s);
    }
}

void strvec_clear(struct strvec *v)
{
    size_t i;

    for (i = 0; i < v->n; i++) {
        free(v->v[i]);
    }
    v->n = 0;
}

void strvec_set(struct strvec *v, const char *s, int *replaced)
{
    if (!*replaced) {
        strvec_clear(v);
        *replaced = 1;
    }
    strvec_push(v, s);
}

static int is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s != NULL ? xstrdup(s) : NULL;
}

void config_defaults(struct vg_config *c)
{
    const char *env;
    char *p;

    memset(c, 0, sizeof(*c));
    /* Run from a build tree: the source tree's rules and the freshly built plugins. */
    p = xasprintf("%s/rules", VG_SOURCE_DIR);
    strvec_push(&c->rules, is_dir(p) ? p : "/etc/vigil/rules");
    free(p);
    p = xasprintf("%s/rules/normalize", VG_SOURCE_DIR);
    strvec_push(&c->normalize, is_dir(p) ? p : "/etc/vigil/rules/normalize");
    free(p);
    env = getenv("VIGIL_PLUGIN_DIR");
    if (env != NULL && env[0] != '\0') {
        strvec_push(&c->plugin_dirs, env);
    } else {
        strvec_push(&c->plugin_dirs,
                    is_dir(VG_PLUGIN_DIR_BUILD) ? VG_PLUGIN_DIR_BUILD : VG_PLUGIN_DIR_INSTALL);
    }
    strvec_push(&c->udp, "127.0.0.1:5514");
    strvec_push(&c->tcp, "127.0.0.1:5514");
    c->prefix = xstrdup("vigil:");
    env = getenv("VIGIL_STATE_DIR");
    if (env != NULL && env[0] != '\0') {
        c->state_dir = xstrdup(env);
    } else if (geteuid() == 0) {
        c->state_dir = xstrdup("/var/lib/vigil");
    } else {
        const char *home = getenv("HOME");

        c->state_dir = xasprintf("%s/.local/state/vigil", home ? home : "/tmp");
    }
    c->workers = 2;
    c->action_threads = 2;
    c->action_timeout_ms = 30000;
    c->retention_ms = 30LL * 86400000;
    c->max_msg = 8192;
    c->queue_size = 65536;
    c->pending_max = 10000;
    c->max_clients = 1024;
    c->log_level = 6;
}

void config_free(struct vg_config *c)
{
    strvec_clear(&c->rules);
    strvec_clear(&c->normalize);
    strvec_clear(&c->plugin_dirs);
    strvec_clear(&c->udp);
    strvec_clear(&c->tcp);
    free(c->file);
    free(c->redis_url);
    free(c->prefix);
    free(c->state_dir);
    free(c->events_out);
    memset(c, 0, sizeof(*c));
}

static int get_list(fjson_object *v, struct strvec *out, const char *file, const char *key,
                    struct diag *diag)
{
    size_t i;
    size_t n;

    if (fjson_object_get_type(v) == fjson_type_string) {
        strvec_clear(out);
        strvec_push(out, fjson_object_get_string(v));
        return 0;
    }
    if (fjson_object_get_type(v) != fjson_type_array) {
        diag_add(diag, "%s: $.%s: must be a string or an array of strings", file, key);
        return -1;
    }
    strvec_clear(out);
    n = fjson_object_array_length(v);
    if (n > CONFIG_MAX_PATHS) {
        diag_add(diag, "%s: $.%s: at most %d entries, not %zu", file, key, CONFIG_MAX_PATHS, n);
        return -1;
    }
    for (i = 0; i < n; i++) {
        fjson_object *e = fjson_object_array_get_idx(v, i);

        if (fjson_object_get_type(e) != fjson_type_string) {
            diag_add(diag, "%s: $.%s[%zu]: must be a string", file, key, i);
            return -1;
        }
        strvec_push(out, fjson_object_get_string(e));
    }
    return 0;
}

static int get_int(fjson_object *v, int64_t min, int64_t max, int64_t *out, const char *file,
                   const char *key, struct diag *diag)
{
    int64_t x;

    if (fjson_object_get_type(v) != fjson_type_int) {
        diag_add(diag, "%s: $.%s: must be an integer", file, key);
        return -1;
    }
    x = fjson_object_get_int64(v);
    if (x < min || x > max) {
        diag_add(diag, "%s: $.%s: %lld is outside %lld..%lld", file, key, (long long)x,
                 (long long)min, (long long)max);
        return -1;
    }
    *out = x;
    return 0;
}

int config_load(struct vg_config *c, const char *file, struct diag *diag)
{
    struct fjson_object_iterator it;
    struct fjson_object_iterator end;
    fjson_object *root = fjson_object_from_file(file);
    size_t before = diag->n;

    if (root == NULL) {
        diag_add(diag, "%s: cannot read or parse as JSON: %s", file,
                 access(file, R_OK) != 0 ? strerror(errno) : "JSON syntax error");
        return -1;
    }
    if (fjson_object_get_type(root) != fjson_type_object) {
        diag_add(diag, "%s: $: must be an object", file);
        fjson_object_put(root);
        return -1;
    }
    set_str(&c->file, file);
    it = fjson_object_iter_begin(root);
    end = fjson_object_iter_end(root);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);
        int is_str = fjson_object_get_type(v) == fjson_type_string;
        int64_t x;

        if (strcmp(k, "$schema") == 0) {
            continue;
        } else if (strcmp(k, "rules") == 0) {
            get_list(v, &c->rules, file, k, diag);
        } else if (strcmp(k, "normalize") == 0) {
            get_list(v, &c->normalize, file, k, diag);
        } else if (strcmp(k, "plugin_dirs") == 0) {
            get_list(v, &c->plugin_dirs, file, k, diag);
        } else if (strcmp(k, "syslog_udp") == 0) {
            get_list(v, &c->udp, file, k, diag);
        } else if (strcmp(k, "syslog_tcp") == 0) {
            get_list(v, &c->tcp, file, k, diag);
        } else if (strcmp(k, "redis_url") == 0 && is_str) {
            set_str(&c->redis_url, fjson_object_get_string(v));
        } else if (strcmp(k, "redis_prefix") == 0 && is_str) {
            set_str(&c->prefix, fjson_object_get_string(v));
        } else if (strcmp(k, "state_dir") == 0 && is_str) {
            set_str(&c->state_dir, fjson_object_get_string(v));
        } else if (strcmp(k, "events_out") == 0 && is_str) {
            set_str(&c->events_out, fjson_object_get_string(v));
        } else if (strcmp(k, "action_timeout") == 0 && is_str) {
            c->action_timeout_ms = time_parse_duration(fjson_object_get_string(v));
            if (c->action_timeout_ms <= 0) {
                diag_add(diag, "%s: $.%s: not a duration such as \"30s\"", file, k);
            }
        } else if (strcmp(k, "incident_retention") == 0 && is_str) {
            c->retention_ms = time_parse_duration(fjson_object_get_string(v));
            if (c->retention_ms < 60000) {
                diag_add(diag, "%s: $.%s: not a duration of at least \"1m\" such as \"30d\"", file,
                         k);
            }
        } else if (strcmp(k, "workers") == 0) {
            if (get_int(v, 1, 64, &x, file, k, diag) == 0) {
                c->workers = (int)x;
            }
        } else if (strcmp(k, "action_threads") == 0) {
            if (get_int(v, 1, 64, &x, file, k, diag) == 0) {
                c->action_threads = (int)x;
            }
        } else if (strcmp(k, "max_message_size") == 0) {
            if (get_int(v, 480, 65535, &x, file, k, diag) == 0) {
                c->max_msg = (size_t)x;
            }
        } else if (strcmp(k, "queue_size") == 0) {
            if (get_int(v, 16, 10000000, &x, file, k, diag) == 0) {
                c->queue_size = (size_t)x;
            }
        } else if (strcmp(k, "redis_hold_max") == 0) {
            if (get_int(v, 1, 10000000, &x, file, k, diag) == 0) {
                c->pending_max = (size_t)x;
            }
        } else if (strcmp(k, "max_tcp_clients") == 0) {
            if (get_int(v, 1, 100000, &x, file, k, diag) == 0) {
                c->max_clients = (int)x;
            }
        } else if (strcmp(k, "log_level") == 0) {
            if (get_int(v, 3, 7, &x, file, k, diag) == 0) {
                c->log_level = (int)x;
            }
        } else if (strcmp(k, "default_timezone_minutes") == 0) {
            if (get_int(v, -900, 900, &x, file, k, diag) == 0) {
                c->default_tz_min = (int)x;
            }
        } else if (strcmp(k, "redis_url") == 0 || strcmp(k, "redis_prefix") == 0 ||
                   strcmp(k, "state_dir") == 0 || strcmp(k, "events_out") == 0 ||
                   strcmp(k, "action_timeout") == 0 || strcmp(k, "incident_retention") == 0) {
            diag_add(diag, "%s: $.%s: must be a string", file, k);
        } else {
            diag_add(diag, "%s: $.%s: unknown key", file, k);
        }
    }
    fjson_object_put(root);
    return diag->n == before ? 0 : -1;
}

int config_split_hostport(const char *s, char *host, size_t host_len, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    char *end;
    long p;

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');

        if (rb == NULL || rb[1] != ':') {
            return -1;
        }
        h = s + 1;
        hlen = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            return -1;
        }
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= host_len) {
        return -1;
    }
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || p < 0 || p > 65535) {
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

char *config_embedded_url(const char *state_dir)
{
    return xasprintf("unix:%s/redis/redis.sock", state_dir);
}
