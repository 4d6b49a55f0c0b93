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

/* DESIGN.md: traps on 127.0.0.1:1162, community public accepted from loopback only. */
static void snmp_defaults(struct vg_snmp_config *s)
{
    struct snmp_trap_community *pub;
    const char *env;
    char *p;

    strvec_push(&s->listen, "udp:127.0.0.1:1162");
    pub = xcalloc(1, sizeof(*pub));
    pub->community = xstrdup("public");
    pub->nets = xcalloc(2, sizeof(*pub->nets));
    cidr_parse("127.0.0.0/8", &pub->nets[0]);
    cidr_parse("::1", &pub->nets[1]);
    pub->n_nets = 2;
    s->communities = pub;
    s->n_communities = 1;
    env = getenv("VIGIL_MIB_DIR");
    p = xasprintf("%s/contrib/mibs", VG_SOURCE_DIR);
    if (env != NULL && env[0] != '\0') {
        s->vigil_mib_dir = xstrdup(env);
    } else {
        s->vigil_mib_dir = xstrdup(is_dir(p) ? p : VG_MIB_DIR_INSTALL);
    }
    free(p);
}

static void free_communities(struct vg_snmp_config *s)
{
    size_t i;

    for (i = 0; i < s->n_communities; i++) {
        free(s->communities[i].community);
        free(s->communities[i].nets);
    }
    free(s->communities);
    s->communities = NULL;
    s->n_communities = 0;
}

/* Free a string that holds a secret, wiping it first. */
static void free_secret(char *p)
{
    if (p != NULL) {
        memset(p, 0, strlen(p));
        free(p);
    }
}

static void free_users(struct vg_snmp_config *s)
{
    size_t i;
    size_t k;

    for (i = 0; i < s->n_users; i++) {
        struct snmp_trap_user *u = &s->users[i];

        free(u->name);
        free(u->auth);
        free_secret(u->auth_key);
        free(u->priv);
        free_secret(u->priv_key);
        for (k = 0; k < u->n_engine_ids; k++) {
            free(u->engine_ids[k]);
        }
        free(u->engine_ids);
    }
    free(s->users);
    s->users = NULL;
    s->n_users = 0;
}

static void snmp_free(struct vg_snmp_config *s)
{
    strvec_clear(&s->listen);
    strvec_clear(&s->mib_dirs);
    free_communities(s);
    free_users(s);
    free(s->engine_id);
    free(s->vigil_mib_dir);
    memset(s, 0, sizeof(*s));
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
    snmp_defaults(&c->snmp);
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
    free(c->inventory);
    free(c->events_out);
    snmp_free(&c->snmp);
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

/* ---- the "snmp" section ---- */

#define SNMP_MAX_ENTRIES 4096

/* An SNMP engine id: "0x" (optional) and 5 to 32 bytes of hex. */
static int is_engine_id(const char *s)
{
    size_t n;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    n = strlen(s);
    if (n % 2 != 0 || n < 10 || n > 64) {
        return 0;
    }
    return strspn(s, "0123456789abcdefABCDEF") == n;
}

static const char *const auth_names[] = {"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"};
static const char *const priv_names[] = {"DES", "AES", "AES-192", "AES-256"};

static int one_of(const char *s, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The array at v (a lone string counts as one entry); NULL after a diagnostic. */
static fjson_object *entries(fjson_object *v, const char *file, const char *key, fjson_type want,
                             struct diag *diag)
{
    size_t n;

    if (want == fjson_type_string && fjson_object_get_type(v) == fjson_type_string) {
        return v;
    }
    if (fjson_object_get_type(v) != fjson_type_array) {
        diag_add(diag, "%s: $.%s: must be an array", file, key);
        return NULL;
    }
    n = fjson_object_array_length(v);
    if (n > SNMP_MAX_ENTRIES) {
        diag_add(diag, "%s: $.%s: at most %d entries, not %zu", file, key, SNMP_MAX_ENTRIES, n);
        return NULL;
    }
    return v;
}

static size_t n_entries(fjson_object *v)
{
    return fjson_object_get_type(v) == fjson_type_array ? fjson_object_array_length(v) : 1;
}

static fjson_object *entry(fjson_object *v, size_t i)
{
    return fjson_object_get_type(v) == fjson_type_array ? fjson_object_array_get_idx(v, i) : v;
}

static int parse_community(fjson_object *o, struct snmp_trap_community *out, const char *file,
                           const char *at, struct diag *diag)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(o);
    struct fjson_object_iterator end = fjson_object_iter_end(o);
    size_t before = diag->n;
    int have_nets = 0;

    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);

        if (strcmp(k, "community") == 0) {
            if (fjson_object_get_type(v) != fjson_type_string ||
                fjson_object_get_string_len(v) == 0) {
                diag_add(diag, "%s: %s.community: must be a non-empty string", file, at);
                continue;
            }
            free(out->community);
            out->community = xstrdup(fjson_object_get_string(v));
        } else if (strcmp(k, "networks") == 0) {
            char key[96];
            fjson_object *list;
            size_t i;

            snprintf(key, sizeof(key), "%s.networks", at + 2);
            list = entries(v, file, key, fjson_type_string, diag);
            if (list == NULL) {
                continue;
            }
            have_nets = 1;
            out->n_nets = 0;
            free(out->nets);
            out->nets = xcalloc(n_entries(list) + 1, sizeof(*out->nets));
            for (i = 0; i < n_entries(list); i++) {
                fjson_object *e = entry(list, i);

                if (fjson_object_get_type(e) != fjson_type_string ||
                    cidr_parse(fjson_object_get_string(e), &out->nets[out->n_nets]) != 0) {
                    diag_add(diag, "%s: %s.networks[%zu]: not an address or address/prefix", file,
                             at, i);
                    continue;
                }
                out->n_nets++;
            }
        } else {
            diag_add(diag, "%s: %s.%s: unknown key", file, at, k);
        }
    }
    if (out->community == NULL && diag->n == before) {
        diag_add(diag, "%s: %s: \"community\" is required", file, at);
    }
    if (!have_nets && diag->n == before) {
        diag_add(diag, "%s: %s: \"networks\" is required (the sources it is accepted from)", file,
                 at);
    }
    return diag->n == before ? 0 : -1;
}

static int user_str(fjson_object *v, char **dst, const char *file, const char *at, const char *k,
                    struct diag *diag)
{
    if (fjson_object_get_type(v) != fjson_type_string) {
        diag_add(diag, "%s: %s.%s: must be a string", file, at, k);
        return -1;
    }
    free_secret(*dst);
    *dst = xstrdup(fjson_object_get_string(v));
    return 0;
}

static void user_engine_ids(fjson_object *v, struct snmp_trap_user *u, const char *file,
                            const char *at, struct diag *diag)
{
    char key[96];
    fjson_object *list;
    size_t i;

    snprintf(key, sizeof(key), "%s.engine_id", at + 2);
    list = entries(v, file, key, fjson_type_string, diag);
    if (list == NULL) {
        return;
    }
    u->engine_ids = xcalloc(n_entries(list) + 1, sizeof(*u->engine_ids));
    for (i = 0; i < n_entries(list); i++) {
        fjson_object *e = entry(list, i);

        if (fjson_object_get_type(e) != fjson_type_string ||
            !is_engine_id(fjson_object_get_string(e))) {
            char idx[32] = "";

            if (fjson_object_get_type(list) == fjson_type_array) {
                snprintf(idx, sizeof(idx), "[%zu]", i);
            }
            diag_add(diag, "%s: %s.engine_id%s: not 5 to 32 bytes of hex such as \"0x80000009...\"",
                     file, at, idx);
            continue;
        }
        u->engine_ids[u->n_engine_ids++] = xstrdup(fjson_object_get_string(e));
    }
}

/* Check a user once every key is read; keys are never part of a message. */
static void check_user(struct snmp_trap_user *u, int min_set, const char *file, const char *at,
                       struct diag *diag)
{
    if (u->name == NULL || u->name[0] == '\0' || strlen(u->name) > 32) {
        diag_add(diag, "%s: %s.name: required, 1 to 32 characters", file, at);
    }
    if (u->auth == NULL || !one_of(u->auth, auth_names, ARRAY_SIZE(auth_names))) {
        diag_add(diag, "%s: %s.auth: required, one of MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512",
                 file, at);
    }
    if (u->auth_key == NULL || strlen(u->auth_key) < 8) {
        diag_add(diag, "%s: %s.auth_key: required, at least 8 characters", file, at);
    }
    if (u->priv != NULL && strcmp(u->priv, "none") == 0) {
        free(u->priv);
        u->priv = NULL;
    }
    if (u->priv != NULL && !one_of(u->priv, priv_names, ARRAY_SIZE(priv_names))) {
        diag_add(diag, "%s: %s.priv: one of DES, AES, AES-192, AES-256 or none", file, at);
    }
    if (u->priv != NULL && (u->priv_key == NULL || strlen(u->priv_key) < 8)) {
        diag_add(diag, "%s: %s.priv_key: required with priv, at least 8 characters", file, at);
    }
    if (u->priv == NULL && u->priv_key != NULL) {
        diag_add(diag, "%s: %s.priv_key: given without priv", file, at);
    }
    if (!min_set) {
        u->min_level = u->priv != NULL ? SNMP_TRAP_PRIV : SNMP_TRAP_AUTH;
    } else if (u->min_level == SNMP_TRAP_PRIV && u->priv == NULL) {
        diag_add(diag, "%s: %s.min_level: authPriv needs priv and priv_key", file, at);
    }
}

static int parse_user(fjson_object *o, struct snmp_trap_user *u, const char *file, const char *at,
                      struct diag *diag)
{
    struct fjson_object_iterator it = fjson_object_iter_begin(o);
    struct fjson_object_iterator end = fjson_object_iter_end(o);
    size_t before = diag->n;
    int min_set = 0;

    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);

        if (strcmp(k, "name") == 0) {
            user_str(v, &u->name, file, at, k, diag);
        } else if (strcmp(k, "auth") == 0) {
            user_str(v, &u->auth, file, at, k, diag);
        } else if (strcmp(k, "auth_key") == 0) {
            user_str(v, &u->auth_key, file, at, k, diag);
        } else if (strcmp(k, "priv") == 0) {
            user_str(v, &u->priv, file, at, k, diag);
        } else if (strcmp(k, "priv_key") == 0) {
            user_str(v, &u->priv_key, file, at, k, diag);
        } else if (strcmp(k, "engine_id") == 0) {
            user_engine_ids(v, u, file, at, diag);
        } else if (strcmp(k, "min_level") == 0) {
            const char *l = fjson_object_get_string(v);

            min_set = 1;
            if (fjson_object_get_type(v) == fjson_type_string && strcmp(l, "authNoPriv") == 0) {
                u->min_level = SNMP_TRAP_AUTH;
            } else if (fjson_object_get_type(v) == fjson_type_string &&
                       strcmp(l, "authPriv") == 0) {
                u->min_level = SNMP_TRAP_PRIV;
            } else {
                diag_add(diag, "%s: %s.min_level: \"authNoPriv\" or \"authPriv\"", file, at);
            }
        } else {
            diag_add(diag, "%s: %s.%s: unknown key", file, at, k);
        }
    }
    if (diag->n == before) {
        check_user(u, min_set, file, at, diag);
    }
    return diag->n == before ? 0 : -1;
}

static void parse_communities(struct vg_snmp_config *s, fjson_object *v, const char *file,
                              struct diag *diag)
{
    fjson_object *list = entries(v, file, "snmp.communities", fjson_type_array, diag);
    size_t i;

    if (list == NULL) {
        return;
    }
    free_communities(s);
    s->communities = xcalloc(n_entries(list) + 1, sizeof(*s->communities));
    for (i = 0; i < n_entries(list); i++) {
        fjson_object *e = entry(list, i);
        char at[64];

        snprintf(at, sizeof(at), "$.snmp.communities[%zu]", i);
        if (fjson_object_get_type(e) != fjson_type_object) {
            diag_add(diag, "%s: %s: must be an object", file, at);
            continue;
        }
        /* Counted even when invalid, so config_free frees what it allocated. */
        parse_community(e, &s->communities[s->n_communities++], file, at, diag);
    }
}

static void parse_users(struct vg_snmp_config *s, fjson_object *v, const char *file,
                        struct diag *diag)
{
    fjson_object *list = entries(v, file, "snmp.users", fjson_type_array, diag);
    size_t i;

    if (list == NULL) {
        return;
    }
    free_users(s);
    s->users = xcalloc(n_entries(list) + 1, sizeof(*s->users));
    for (i = 0; i < n_entries(list); i++) {
        fjson_object *e = entry(list, i);
        char at[64];

        snprintf(at, sizeof(at), "$.snmp.users[%zu]", i);
        if (fjson_object_get_type(e) != fjson_type_object) {
            diag_add(diag, "%s: %s: must be an object", file, at);
            continue;
        }
        parse_user(e, &s->users[s->n_users++], file, at, diag);
    }
}

static void parse_snmp(struct vg_snmp_config *s, fjson_object *obj, const char *file,
                       struct diag *diag)
{
    struct fjson_object_iterator it;
    struct fjson_object_iterator end;

    if (fjson_object_get_type(obj) != fjson_type_object) {
        diag_add(diag, "%s: $.snmp: must be an object", file);
        return;
    }
    it = fjson_object_iter_begin(obj);
    end = fjson_object_iter_end(obj);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);

        if (strcmp(k, "listen") == 0) {
            size_t i;

            get_list(v, &s->listen, file, "snmp.listen", diag);
            for (i = 0; i < s->listen.n; i++) {
                char err[256];

                if (snmp_trap_check_listen(s->listen.v[i], err, sizeof(err)) != 0) {
                    diag_add(diag, "%s: $.snmp.listen[%zu]: %s", file, i, err);
                }
            }
        } else if (strcmp(k, "mib_dirs") == 0) {
            get_list(v, &s->mib_dirs, file, "snmp.mib_dirs", diag);
        } else if (strcmp(k, "communities") == 0) {
            parse_communities(s, v, file, diag);
        } else if (strcmp(k, "users") == 0) {
            parse_users(s, v, file, diag);
        } else if (strcmp(k, "engine_id") == 0) {
            if (fjson_object_get_type(v) != fjson_type_string ||
                !is_engine_id(fjson_object_get_string(v))) {
                diag_add(diag,
                         "%s: $.snmp.engine_id: not 5 to 32 bytes of hex such as "
                         "\"0x80001f8804...\"",
                         file);
                continue;
            }
            set_str(&s->engine_id, fjson_object_get_string(v));
        } else {
            diag_add(diag, "%s: $.snmp.%s: unknown key", file, k);
        }
    }
}

void config_snmp_trap_cfg(const struct vg_config *c, struct snmp_trap_cfg *out, const char **listen)
{
    const struct vg_snmp_config *s = &c->snmp;
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < s->listen.n; i++) {
        listen[i] = s->listen.v[i];
    }
    out->listen = listen;
    out->n_listen = s->listen.n;
    out->communities = s->communities;
    out->n_communities = s->n_communities;
    out->users = s->users;
    out->n_users = s->n_users;
    out->engine_id = s->engine_id;
    out->vigil_mib_dir = s->vigil_mib_dir;
    out->mib_dirs = (const char *const *)s->mib_dirs.v;
    out->n_mib_dirs = s->mib_dirs.n;
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
        } else if (strcmp(k, "snmp") == 0) {
            c->snmp.configured = 1;
            parse_snmp(&c->snmp, v, file, diag);
        } else if (strcmp(k, "redis_url") == 0 && is_str) {
            set_str(&c->redis_url, fjson_object_get_string(v));
        } else if (strcmp(k, "redis_prefix") == 0 && is_str) {
            set_str(&c->prefix, fjson_object_get_string(v));
        } else if (strcmp(k, "state_dir") == 0 && is_str) {
            set_str(&c->state_dir, fjson_object_get_string(v));
        } else if (strcmp(k, "events_out") == 0 && is_str) {
            set_str(&c->events_out, fjson_object_get_string(v));
        } else if (strcmp(k, "inventory") == 0 && is_str) {
            set_str(&c->inventory, fjson_object_get_string(v));
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
                   strcmp(k, "inventory") == 0 || strcmp(k, "action_timeout") == 0 ||
                   strcmp(k, "incident_retention") == 0) {
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
