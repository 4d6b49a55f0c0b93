/* SPDX-License-Identifier: MIT */
/*
 * The host table: the core side of every service a plugin may use. Each
 * member is a static host_<name> function; plugins reach them only through
 * the table (STYLE 3.2), never by linking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "action_safety.h"
#include "engine.h"
#include "host.h"
#include "inventory.h"
#include "loader.h"

void host_ctx_init(struct vg_ctx *ctx, struct plugin_inst *inst, const char *label)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->inst = inst;
    ctx->label = label;
}

UTIL_VPRINTF(3) static void host_log(struct vg_ctx *ctx, int level, const char *fmt, va_list ap)
{
    char line[1024];

    if (level > log_get_level()) {
        return;
    }
    vsnprintf(line, sizeof(line), fmt, ap);
    log_msg(level, "[%s] %s", ctx != NULL && ctx->label ? ctx->label : "plugin", line);
}

UTIL_VPRINTF(2) static void host_set_error(struct vg_ctx *ctx, const char *fmt, va_list ap)
{
    if (ctx != NULL) {
        vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
    }
}

static int64_t host_now_ms(struct vg_ctx *ctx)
{
    return ctx != NULL && ctx->has_now ? ctx->now_ms : time_now_ms();
}

static void *host_alloc(size_t size)
{
    return malloc(size ? size : 1);
}

static void host_free(void *ptr)
{
    free(ptr);
}

static struct vg_str host_event_field(const struct vg_event *ev, const char *name)
{
    struct vg_str none = {NULL, 0};

    if (ev == NULL || name == NULL) {
        return none;
    }
    return event_get(ev, name);
}

static struct vg_str host_event_key(struct vg_ctx *ctx, const struct vg_event *ev)
{
    struct vg_str s = {"", 0};

    (void)ev;
    if (ctx != NULL && ctx->key != NULL) {
        s.ptr = ctx->key;
        s.len = ctx->key_len;
    }
    return s;
}

static int64_t host_event_time_ms(const struct vg_event *ev)
{
    return ev != NULL ? ev->ts_ms : 0;
}

static int host_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                                const struct vg_incident_req *req)
{
    if (ctx == NULL || ctx->wk == NULL || ev == NULL) {
        if (ctx != NULL) {
            snprintf(ctx->err, sizeof(ctx->err), "incident_upsert outside on_event");
        }
        return VG_EINVAL;
    }
    return engine_incident_upsert(ctx, ev, req);
}

static int host_incident_resolve(struct vg_ctx *ctx, const struct vg_event *ev,
                                 const struct vg_resolve_req *req)
{
    if (ctx == NULL || ctx->wk == NULL || ev == NULL) {
        if (ctx != NULL) {
            snprintf(ctx->err, sizeof(ctx->err), "incident_resolve outside on_event/on_state");
        }
        return VG_EINVAL;
    }
    return engine_incident_resolve(ctx, ev, req);
}

static int host_state_op(struct vg_ctx *ctx, const struct vg_event *ev,
                         const struct vg_state_req *req)
{
    if (ctx == NULL || ctx->wk == NULL || ev == NULL) {
        if (ctx != NULL) {
            snprintf(ctx->err, sizeof(ctx->err), "state_op outside on_event/on_state");
        }
        return VG_EINVAL;
    }
    return engine_state_op(ctx, ev, req);
}

static int host_call_transition(const struct vg_action_call *call)
{
    return (int)action_call_transition(call);
}

static struct vg_str host_call_incident_json(const struct vg_action_call *call)
{
    return action_call_incident_json(call);
}

static struct vg_str host_call_incident_id(const struct vg_action_call *call)
{
    return action_call_incident_id(call);
}

static int64_t host_call_deadline_ms(const struct vg_action_call *call)
{
    return action_call_deadline_ms(call);
}

static void host_action_output(struct vg_ctx *ctx, const char *buf, size_t len)
{
    if (ctx != NULL && ctx->output != NULL && buf != NULL) {
        /* Keep an excerpt only: the history must stay bounded. */
        size_t room =
            ctx->output->len < ACTION_OUTPUT_MAX ? ACTION_OUTPUT_MAX - ctx->output->len : 0;

        sbuf_add(ctx->output, buf, len < room ? len : room);
    }
}

static void host_action_result(struct vg_ctx *ctx, const char *name, const char *value)
{
    action_call_result(ctx, name, value);
}

static char *host_inventory_get(struct vg_ctx *ctx, const char *section, const char *key)
{
    (void)ctx;
    if (section == NULL) {
        return NULL;
    }
    return inventory_current_get(section, key);
}

static char *host_secret_get(struct vg_ctx *ctx, const char *ref)
{
    char err[512];
    char *v = secret_read(ref, err, sizeof(err));

    if (v == NULL && ctx != NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "%s", err);
    }
    return v;
}

static int host_value_check(struct vg_ctx *ctx, uint32_t kind, const char *what, const char *value,
                            size_t len)
{
    static struct log_limit limit;
    char why[160];
    char ex[200];

    if (value_check(kind, value, len, why, sizeof(why)) == 0) {
        return VG_OK;
    }
    action_call_count_rejected(ctx);
    value_excerpt(value != NULL ? value : "", value != NULL ? len : 0, 48, ex, sizeof(ex));
    if (ctx != NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "%s \"%s\" refused: as a %s it %s",
                 what != NULL ? what : "value", ex, value_kind_name(kind), why);
    }
    log_limited(&limit, VG_LOG_WARNING, "[%s] %s \"%s\" refused: as a %s it %s",
                ctx != NULL && ctx->label ? ctx->label : "plugin", what != NULL ? what : "value",
                ex, value_kind_name(kind), why);
    return VG_EINVAL;
}

static struct vg_str host_call_field(const struct vg_action_call *call, const char *path)
{
    return action_call_field(call, path);
}

/*
 * ${path} in tmpl replaced by the call's field after a check of kind; "$$" is
 * one dollar. NULL with ctx's error on a refused value or an unclosed "${".
 */
static char *host_call_format(struct vg_ctx *ctx, const struct vg_action_call *call,
                              const char *tmpl, uint32_t kind)
{
    struct sbuf out = {0};
    const char *p = tmpl;

    if (tmpl == NULL || call == NULL) {
        return NULL;
    }
    while (*p != '\0') {
        const char *end;
        char path[256];
        struct vg_str v;

        if (p[0] == '$' && p[1] == '$') {
            sbuf_addc(&out, '$');
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            sbuf_addc(&out, *p++);
            continue;
        }
        end = strchr(p + 2, '}');
        if (end == NULL || (size_t)(end - p - 2) >= sizeof(path) || end == p + 2) {
            if (ctx != NULL) {
                snprintf(ctx->err, sizeof(ctx->err), "template \"%.80s\": unclosed or empty ${",
                         tmpl);
            }
            sbuf_free(&out);
            return NULL;
        }
        memcpy(path, p + 2, (size_t)(end - p - 2));
        path[end - p - 2] = '\0';
        v = action_call_field(call, path);
        if (v.ptr != NULL && host_value_check(ctx, kind, path, v.ptr, v.len) != VG_OK) {
            sbuf_free(&out);
            return NULL;
        }
        if (v.ptr != NULL) {
            sbuf_add(&out, v.ptr, v.len);
        }
        p = end + 1;
    }
    {
        /* A copy from vg_alloc's heap, so the plugin frees it with vg_free. */
        char *r = xmalloc(out.len + 1);

        memcpy(r, out.buf != NULL ? out.buf : "", out.len);
        r[out.len] = '\0';
        sbuf_free(&out);
        return r;
    }
}

static struct vg_str host_call_prior(const struct vg_action_call *call, const char *name)
{
    return action_call_prior(call, name);
}

static int host_call_attempt(const struct vg_action_call *call)
{
    return action_call_attempt(call);
}

static int host_lock(struct vg_ctx *ctx, const char *name, int64_t deadline_ms)
{
    pthread_mutex_t *m = named_lock(name);
    struct timespec ts;

    if (m == NULL) {
        if (ctx != NULL) {
            snprintf(ctx->err, sizeof(ctx->err), "no lock named %.40s can be made",
                     name != NULL ? name : "(null)");
        }
        return VG_EINVAL;
    }
    ts.tv_sec = (time_t)(deadline_ms / 1000);
    ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
    if (pthread_mutex_timedlock(m, &ts) != 0) {
        if (ctx != NULL) {
            snprintf(ctx->err, sizeof(ctx->err), "lock %s: still held at the deadline", name);
        }
        return VG_ETIMEDOUT;
    }
    return VG_OK;
}

static void host_unlock(struct vg_ctx *ctx, const char *name)
{
    pthread_mutex_t *m = named_lock(name);

    (void)ctx;
    if (m != NULL) {
        pthread_mutex_unlock(m);
    }
}

const struct vg_host_api host_api = {
    .abi_major = VG_PLUGIN_ABI_MAJOR,
    .abi_minor = VG_PLUGIN_ABI_MINOR,
    .size = sizeof(struct vg_host_api),
    .log = host_log,
    .set_error = host_set_error,
    .now_ms = host_now_ms,
    .alloc = host_alloc,
    .free = host_free,
    .event_field = host_event_field,
    .event_key = host_event_key,
    .event_time_ms = host_event_time_ms,
    .incident_upsert = host_incident_upsert,
    .call_transition = host_call_transition,
    .call_incident_json = host_call_incident_json,
    .call_incident_id = host_call_incident_id,
    .action_output = host_action_output,
    .call_deadline_ms = host_call_deadline_ms,
    .action_result = host_action_result,
    .state_op = host_state_op,
    .incident_resolve = host_incident_resolve,
    .inventory_get = host_inventory_get,
    .secret_get = host_secret_get,
    .value_check = host_value_check,
    .call_field = host_call_field,
    .call_format = host_call_format,
    .call_prior = host_call_prior,
    .call_attempt = host_call_attempt,
    .lock = host_lock,
    .unlock = host_unlock,
};
