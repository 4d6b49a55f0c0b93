/* SPDX-License-Identifier: MIT */
/* The fake host of host_mock.h. */
#include "host_mock.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((format(printf, 3, 0))) static void mock_log(struct vg_ctx *ctx, int level,
                                                           const char *fmt, va_list ap)
{
    size_t len = strlen(ctx->log);

    if (len + 8 < sizeof(ctx->log)) {
        snprintf(ctx->log + len, sizeof(ctx->log) - len, "<%d>", level);
        len = strlen(ctx->log);
        vsnprintf(ctx->log + len, sizeof(ctx->log) - len, fmt, ap);
        len = strlen(ctx->log);
        if (len + 1 < sizeof(ctx->log)) {
            ctx->log[len] = '\n';
            ctx->log[len + 1] = '\0';
        }
    }
}

__attribute__((format(printf, 2, 0))) static void mock_set_error(struct vg_ctx *ctx,
                                                                 const char *fmt, va_list ap)
{
    vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
}

static int64_t mock_now_ms(struct vg_ctx *ctx)
{
    struct timespec ts;

    if (ctx != NULL && ctx->now_ms != 0) {
        return ctx->now_ms;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *mock_alloc(size_t size)
{
    return malloc(size);
}

static void mock_free(void *p)
{
    free(p);
}

static struct vg_str mock_event_field(const struct vg_event *ev, const char *name)
{
    struct vg_str s = {NULL, 0};
    size_t i;

    for (i = 0; i < ev->n; i++) {
        if (strcmp(ev->names[i], name) == 0) {
            s.ptr = ev->values[i];
            s.len = strlen(ev->values[i]);
        }
    }
    return s;
}

static struct vg_str mock_event_key(struct vg_ctx *ctx, const struct vg_event *ev)
{
    struct vg_str s = {ctx->key ? ctx->key : "", ctx->key ? strlen(ctx->key) : 0};

    (void)ev;
    return s;
}

static int64_t mock_event_time_ms(const struct vg_event *ev)
{
    return ev->ts_ms;
}

static int mock_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                                const struct vg_incident_req *req)
{
    (void)ev;
    ctx->n_upserts++;
    ctx->last_severity = req != NULL ? req->severity : 0;
    return VG_OK;
}

static int mock_incident_resolve(struct vg_ctx *ctx, const struct vg_event *ev,
                                 const struct vg_resolve_req *req)
{
    (void)ev;
    (void)req;
    ctx->n_resolves++;
    return VG_OK;
}

static int mock_state_op(struct vg_ctx *ctx, const struct vg_event *ev,
                         const struct vg_state_req *req)
{
    (void)ev;
    ctx->n_state_ops++;
    ctx->last_req = *req;
    return VG_OK;
}

static int mock_call_transition(const struct vg_action_call *call)
{
    return call->transition;
}

static struct vg_str mock_call_json(const struct vg_action_call *call)
{
    struct vg_str s = {call->json, strlen(call->json)};

    return s;
}

static struct vg_str mock_call_id(const struct vg_action_call *call)
{
    struct vg_str s = {call->id, strlen(call->id)};

    return s;
}

static void mock_action_output(struct vg_ctx *ctx, const char *buf, size_t len)
{
    size_t room = sizeof(ctx->output) - 1 - ctx->output_len;

    len = len < room ? len : room;
    memcpy(ctx->output + ctx->output_len, buf, len);
    ctx->output_len += len;
    ctx->output[ctx->output_len] = '\0';
}

static int64_t mock_call_deadline(const struct vg_action_call *call)
{
    return call->deadline_ms;
}

static void mock_action_result(struct vg_ctx *ctx, const char *name, const char *value)
{
    size_t len = strlen(ctx->results);

    snprintf(ctx->results + len, sizeof(ctx->results) - len, "%s=%s;", name, value);
}

const struct vg_host_api mock_host = {
    .abi_major = VG_PLUGIN_ABI_MAJOR,
    .abi_minor = VG_PLUGIN_ABI_MINOR,
    .size = sizeof(struct vg_host_api),
    .log = mock_log,
    .set_error = mock_set_error,
    .now_ms = mock_now_ms,
    .alloc = mock_alloc,
    .free = mock_free,
    .event_field = mock_event_field,
    .event_key = mock_event_key,
    .event_time_ms = mock_event_time_ms,
    .incident_upsert = mock_incident_upsert,
    .call_transition = mock_call_transition,
    .call_incident_json = mock_call_json,
    .call_incident_id = mock_call_id,
    .action_output = mock_action_output,
    .call_deadline_ms = mock_call_deadline,
    .action_result = mock_action_result,
    .state_op = mock_state_op,
    .incident_resolve = mock_incident_resolve,
};

const struct vg_plugin *mock_load(const char *path, void **dl)
{
    vg_plugin_entry_fn entry;
    void *sym;

    *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*dl == NULL) {
        fprintf(stderr, "mock: %s\n", dlerror());
        return NULL;
    }
    sym = dlsym(*dl, "vg_plugin_entry");
    if (sym == NULL) {
        return NULL;
    }
    memcpy(&entry, &sym, sizeof(entry));
    return entry(&mock_host);
}
