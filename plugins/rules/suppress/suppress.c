/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "suppress": behaves like "single" (every matching event opens or
 * updates the incident of its key) except while a named context is set, e.g. a
 * maintenance window: events whose event.action is in `start` set the context
 * named by `context` (with ${field} references filled from the event) for
 * `lifetime`, events in `end` delete it, and every other event is muted while it
 * is set. SEC's Suppress rule with contexts (create/delete, a context lifetime).
 * Contexts live in Redis (VG_ST_CTX_*) under their names alone, so rules share
 * them as SEC's do; the plugin holds no per-key state.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

#define SUPPRESS_NAME_MAX  256 /* bytes of an expanded context name; longer ones are cut */
#define SUPPRESS_FIELD_MAX 128 /* bytes of a field name inside ${...} */

enum suppress_cookie {
    SUPPRESS_COOKIE_SET = 1,  /* a start event's VG_ST_CTX_SET */
    SUPPRESS_COOKIE_DEL = 2,  /* an end event's VG_ST_CTX_DEL */
    SUPPRESS_COOKIE_TEST = 3, /* any other event's VG_ST_CTX_TEST */
};

struct suppress_config {
    const char *context;     /* context name template with ${field} references */
    struct vg_strlist start; /* event.action values that set the context */
    struct vg_strlist end;   /* event.action values that delete it */
    int64_t lifetime_ms;     /* how long a set context lasts; 0: until deleted */
    const char *severity;    /* "info".."critical", or NULL for the rule's */
};

struct suppress_state {
    const struct suppress_config *cfg; /* the core's config block (read-only) */
    int severity;                      /* 0: the rule's; else 1..5 */
};

static const struct vg_option suppress_options[] = {
    {"context", VG_OPT_STR, NULL, VG_OPT_REQUIRED, offsetof(struct suppress_config, context),
     "context name, with ${field} filled from the event (absent: empty), e.g. "
     "\"maintenance:${host.name}\"; at most 256 bytes once filled"},
    {"start", VG_OPT_STRLIST, NULL, 0, offsetof(struct suppress_config, start),
     "event.action values that set the context (none: the rule only tests a context other "
     "rules set)"},
    {"end", VG_OPT_STRLIST, NULL, 0, offsetof(struct suppress_config, end),
     "event.action values that delete the context"},
    {"lifetime", VG_OPT_DURATION, "\"2h\"", 0, offsetof(struct suppress_config, lifetime_ms),
     "how long a set context lasts unless an end event deletes it first (default 2h; 0: until "
     "deleted)"},
    {"severity", VG_OPT_STR, NULL, 0, offsetof(struct suppress_config, severity),
     "override the incident severity of the rule (info, low, medium, high, critical)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Index of the value s (len bytes) in l, or -1. */
static long list_find(const struct vg_strlist *l, const char *s, size_t len)
{
    size_t i;

    if (s == NULL) {
        return -1;
    }
    for (i = 0; i < l->n; i++) {
        if (strlen(l->items[i]) == len && memcmp(l->items[i], s, len) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static int is_field_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@' || c == '-';
}

/*
 * Check the ${field} references of the context template: each closed, with a
 * field name of [A-Za-z0-9_.@-], 1 to SUPPRESS_FIELD_MAX - 1 bytes.
 */
static int check_template(struct vg_ctx *ctx, const char *tmpl)
{
    const char *p = tmpl;

    if (tmpl[0] == '\0') {
        vg_set_error(ctx, "context must not be empty");
        return VG_EINVAL;
    }
    while ((p = strstr(p, "${")) != NULL) {
        const char *name = p + 2;
        size_t n = 0;

        while (is_field_char(name[n])) {
            n++;
        }
        if (name[n] != '}' || n == 0 || n >= SUPPRESS_FIELD_MAX) {
            vg_set_error(ctx,
                         "context: the reference at offset %zu is not ${field} with a field "
                         "name of A-Z, a-z, 0-9, _, ., @ and - (at most %d bytes)",
                         (size_t)(p - tmpl), SUPPRESS_FIELD_MAX - 1);
            return VG_EINVAL;
        }
        p = name + n + 1;
    }
    return VG_OK;
}

/*
 * Fill the template's ${field} references from ev into out (SUPPRESS_NAME_MAX + 1
 * bytes): an absent field gives "", NUL bytes in a value become '?', and a name
 * longer than SUPPRESS_NAME_MAX bytes is cut. The template was checked in create().
 */
static void expand_name(const char *tmpl, const struct vg_event *ev, char *out)
{
    const char *p = tmpl;
    size_t n = 0;

    while (*p != '\0' && n < SUPPRESS_NAME_MAX) {
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            char field[SUPPRESS_FIELD_MAX];
            size_t flen = (size_t)(close - (p + 2));
            struct vg_str v;
            size_t i;

            memcpy(field, p + 2, flen);
            field[flen] = '\0';
            v = vg_event_field(ev, field);
            for (i = 0; v.ptr != NULL && i < v.len && n < SUPPRESS_NAME_MAX; i++) {
                out[n++] = v.ptr[i] != '\0' ? v.ptr[i] : '?';
            }
            p = close + 1;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

static int suppress_check(struct vg_ctx *ctx, const struct suppress_config *cfg)
{
    size_t i;

    if (check_template(ctx, cfg->context) != VG_OK) {
        return VG_EINVAL;
    }
    for (i = 0; i < cfg->start.n; i++) {
        const char *a = cfg->start.items[i];

        if (list_find(&cfg->end, a, strlen(a)) >= 0) {
            vg_set_error(ctx, "\"%s\" is in both start and end", a);
            return VG_EINVAL;
        }
    }
    if (cfg->lifetime_ms < 0 || cfg->lifetime_ms > VG_STATE_WINDOW_MAX_MS) {
        vg_set_error(ctx, "lifetime must be 0 .. ten years");
        return VG_EINVAL;
    }
    if (cfg->lifetime_ms == 0 && cfg->start.n > 0 && cfg->end.n == 0) {
        vg_set_error(ctx, "lifetime 0 (until deleted) needs end events to delete the context");
        return VG_EINVAL;
    }
    return VG_OK;
}

static int suppress_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct suppress_config *cfg = config;
    struct suppress_state *st;
    int severity;

    if (suppress_check(ctx, cfg) != VG_OK ||
        vg_severity_option(ctx, cfg->severity, &severity) != VG_OK) {
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->cfg = cfg;
    st->severity = severity;
    *state = st;
    return VG_OK;
}

static void suppress_destroy(void *state)
{
    vg_free(state);
}

static int suppress_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct suppress_state *st = state;
    struct vg_str action = vg_event_field(ev, "event.action");
    char name[SUPPRESS_NAME_MAX + 1];
    struct vg_state_req req = {.size = sizeof(req), .value = name};

    expand_name(st->cfg->context, ev, name);
    if (list_find(&st->cfg->start, action.ptr, action.len) >= 0) {
        req.op = VG_ST_CTX_SET;
        req.window_ms = st->cfg->lifetime_ms;
        req.cookie = SUPPRESS_COOKIE_SET;
    } else if (list_find(&st->cfg->end, action.ptr, action.len) >= 0) {
        req.op = VG_ST_CTX_DEL;
        req.cookie = SUPPRESS_COOKIE_DEL;
    } else {
        req.op = VG_ST_CTX_TEST;
        req.cookie = SUPPRESS_COOKIE_TEST;
    }
    return vg_state_op(ctx, ev, &req);
}

static int suppress_on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                             const struct vg_state_result *res)
{
    const struct suppress_state *st = state;
    struct vg_incident_req req = {.size = sizeof(req), .severity = st->severity};
    char name[SUPPRESS_NAME_MAX + 1];
    struct vg_str action;

    if (res->cookie != SUPPRESS_COOKIE_TEST) {
        return VG_OK;
    }
    if (res->verdict == VG_SV_TRUE) {
        action = vg_event_field(ev, "event.action");
        expand_name(st->cfg->context, ev, name);
        vg_log(ctx, VG_LOG_DEBUG, "muted %s: context %s is set",
               action.ptr != NULL ? action.ptr : "event", name);
        return VG_OK;
    }
    if (res->verdict == VG_SV_NONE) {
        return vg_incident_upsert(ctx, ev, &req);
    }
    return VG_OK;
}

static const struct vg_plugin suppress_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "suppress",
    .version = "1.0.0",
    .description = "like single, but events are muted while a context (e.g. a maintenance "
                   "window) set by start events is alive",
    .options = suppress_options,
    .config_size = sizeof(struct suppress_config),
    .create = suppress_create,
    .destroy = suppress_destroy,
    .on_event = suppress_on_event,
    .on_state = suppress_on_state,
};

/*
 * The plugin's entry point: hand the core the descriptor when its host table
 * is ABI 1.1 or newer (the state API), NULL otherwise.
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &suppress_plugin);
}
