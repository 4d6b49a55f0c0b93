/* SPDX-License-Identifier: MIT */
/*
 * An out-of-tree action plugin, the starting point for third parties: it
 * appends each incident record it is called for, as one JSON line, to a file.
 * It includes only <vigil/plugin.h> and builds with
 *     cc -shared $(pkg-config --cflags vigil-plugin) -o vg_action_file_log.so file_log.c
 * (see the Makefile beside it). Copy it, rename it, keep the shape.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

/* Set by vg_plugin_accept(); hidden visibility keeps it private to this .so. */
const struct vg_host_api *vg_host;

/* The options, written by the core from the action's "params" object. */
struct file_log_config {
    const char *path; /* file to append to (required) */
    int with_id;      /* also write the incident id on its own line first */
};

static const struct vg_option file_log_options[] = {
    {"path", VG_OPT_STR, NULL, VG_OPT_REQUIRED, offsetof(struct file_log_config, path),
     "file the incident records are appended to"},
    {"with_id", VG_OPT_BOOL, "false", 0, offsetof(struct file_log_config, with_id),
     "write \"id: <incident id>\" before each record"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Called once per configured use, on the main thread: check the options, keep them. */
static int file_log_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct file_log_config *cfg = config;

    if (cfg->path[0] != '/') {
        vg_set_error(ctx, "path must be absolute, not \"%s\"", cfg->path);
        return VG_EINVAL;
    }
    /* The config block stays valid until destroy(): it can serve as the state. */
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* Called on an action worker thread; never on the ingest path. */
static int file_log_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct file_log_config *cfg = state;
    struct vg_str json = vg_call_incident_json(call);
    struct vg_str id = vg_call_incident_id(call);
    FILE *f = fopen(cfg->path, "a");

    if (f == NULL) {
        vg_set_error(ctx, "cannot open %s: %s", cfg->path, strerror(errno));
        return VG_EAGAIN; /* the core retries with back-off */
    }
    if (cfg->with_id) {
        fprintf(f, "id: %.*s\n", (int)id.len, id.ptr);
    }
    fwrite(json.ptr, 1, json.len, f);
    fputc('\n', f);
    if (fclose(f) != 0) {
        vg_set_error(ctx, "cannot write %s: %s", cfg->path, strerror(errno));
        return VG_EIO;
    }
    vg_action_result(ctx, "file", cfg->path);
    vg_action_output(ctx, "appended\n", 9);
    return VG_OK;
}

static const struct vg_plugin file_log_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = 0, /* calls are serialized per instance: appends never interleave */
    .name = "file_log",
    .version = "1.0.0",
    .description = "append incident records to a file (out-of-tree example)",
    .options = file_log_options,
    .config_size = sizeof(struct file_log_config),
    .create = file_log_create,
    .run = file_log_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &file_log_plugin);
}
