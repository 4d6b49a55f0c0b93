/* SPDX-License-Identifier: MIT */
/*
 * A third-party action plugin built out of tree against the installed vigil
 * SDK: "ticket_file" keeps a ticket queue as a file, one tab-separated line
 * per incident transition (time, ticket, transition, queue, severity, class,
 * summary). The open call assigns the ticket id and records it; later calls
 * for the same incident find it again with vg_call_prior(). It shows what an
 * action plugin does: declared options, event text checked before use, the
 * deadline kept, results and output recorded, transient errors retried.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, fsync under -std=c11 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vigil/plugin.h>

/* Set by vg_plugin_accept(); hidden visibility keeps it private to this .so. */
const struct vg_host_api *vg_host;

/* Longest line written; the summary is cut to fit. */
#define LINE_MAX_BYTES 2048

/* The options, written by the core from the action's "params" object. */
struct ticket_file_config {
    const char *path;    /* the queue file, appended to */
    const char *queue;   /* queue name written on each line */
    const char *prefix;  /* ticket ids are PREFIX-<incident id> */
    const char *summary; /* template of the summary: ${path} expands incident fields */
    int sync;            /* fsync after each line */
};

static const struct vg_option ticket_file_options[] = {
    {"path", VG_OPT_STR, NULL, VG_OPT_REQUIRED, offsetof(struct ticket_file_config, path),
     "absolute path of the queue file the ticket lines are appended to"},
    {"queue", VG_OPT_STR, "\"noc\"", 0, offsetof(struct ticket_file_config, queue),
     "queue name written on each line ([A-Za-z0-9._-])"},
    {"prefix", VG_OPT_STR, "\"VG\"", 0, offsetof(struct ticket_file_config, prefix),
     "ticket ids are PREFIX-<incident id>"},
    {"summary", VG_OPT_STR, "\"${incident.title}\"", 0,
     offsetof(struct ticket_file_config, summary),
     "summary template; ${path} expands a field of the incident record"},
    {"sync", VG_OPT_BOOL, "false", 0, offsetof(struct ticket_file_config, sync),
     "fsync the file after each line"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

static int word_ok(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-')) {
            return 0;
        }
    }
    return 1;
}

/* Called once per configured use, on the main thread: check the options, keep them. */
static int ticket_file_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct ticket_file_config *cfg = config;

    if (cfg->path[0] != '/') {
        vg_set_error(ctx, "path must be absolute, not \"%s\"", cfg->path);
        return VG_EINVAL;
    }
    if (!word_ok(cfg->queue) || !word_ok(cfg->prefix)) {
        vg_set_error(ctx, "queue and prefix may hold only letters, digits, '.', '_' and '-'");
        return VG_EINVAL;
    }
    /* The config block stays valid until destroy(): it can serve as the state. */
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

/* A tab in the summary template would split the line's columns: spaces instead. */
static void untab(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\t') {
            *s = ' ';
        }
    }
}

/*
 * Called on an action worker thread, never on the ingest path. Calls of one
 * instance are not concurrent (no VG_PLUGIN_CONCURRENT), and each line goes out
 * in one write() to a file opened with O_APPEND, so lines never interleave.
 */
static int ticket_file_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct ticket_file_config *cfg = state;
    enum vg_transition tr = vg_call_transition(call);
    struct vg_str prior = vg_call_prior(call, "ticket_file.ticket_id");
    struct vg_str id = vg_call_incident_id(call);
    struct vg_str sev = vg_call_field(call, "incident.severity");
    struct vg_str cls = vg_call_field(call, "incident.class");
    struct vg_str at = vg_call_field(call, "@timestamp");
    char ticket[160];
    char line[LINE_MAX_BYTES];
    char *summary;
    int fd;
    int n;
    int rc = VG_OK;

    /* Everything from the incident is checked before it goes into the file. */
    if (vg_value_check(ctx, VG_VAL_ID, "incident.id", id.ptr, id.len) != VG_OK ||
        vg_value_check(ctx, VG_VAL_NAME, "incident.severity", sev.ptr, sev.len) != VG_OK ||
        vg_value_check(ctx, VG_VAL_NAME, "incident.class", cls.ptr, cls.len) != VG_OK ||
        vg_value_check(ctx, VG_VAL_ID, "@timestamp", at.ptr, at.len) != VG_OK) {
        return VG_EINVAL;
    }
    /* A later transition updates the ticket the open call created. */
    if (prior.ptr != NULL) {
        snprintf(ticket, sizeof(ticket), "%s", prior.ptr);
    } else {
        snprintf(ticket, sizeof(ticket), "%s-%s", cfg->prefix, id.ptr);
    }
    summary = vg_call_format(ctx, call, cfg->summary, VG_VAL_TEXT);
    if (summary == NULL) {
        return VG_EINVAL; /* a refused value: the error is set */
    }
    untab(summary);
    n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s\t%s\t%s", at.ptr, ticket,
                 tr_names[(unsigned)tr % 5], cfg->queue, sev.ptr, cls.ptr, summary);
    vg_free(summary);
    if (n < 0) {
        vg_set_error(ctx, "cannot format the ticket line");
        return VG_ERR;
    }
    if ((size_t)n >= sizeof(line) - 1) {
        n = (int)sizeof(line) - 2; /* cut: a summary that long is no summary */
    }
    line[n++] = '\n';
    fd = open(cfg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        vg_set_error(ctx, "cannot open %s: %s", cfg->path, strerror(errno));
        return VG_EAGAIN; /* a full disk or a missing mount comes back: the core retries */
    }
    if (write(fd, line, (size_t)n) != n || (cfg->sync && fsync(fd) != 0)) {
        vg_set_error(ctx, "cannot write %s: %s", cfg->path, strerror(errno));
        rc = VG_EAGAIN;
    }
    if (close(fd) != 0 && rc == VG_OK) {
        vg_set_error(ctx, "cannot write %s: %s", cfg->path, strerror(errno));
        rc = VG_EAGAIN;
    }
    if (rc != VG_OK) {
        return rc;
    }
    vg_action_result(ctx, "ticket_id", ticket);
    vg_action_output(ctx, line, (size_t)n);
    return VG_OK;
}

static const struct vg_plugin ticket_file_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = 0, /* calls of one instance are serialized */
    .name = "ticket_file",
    .version = "1.0.0",
    .description = "append a ticket line per incident transition to a queue file (example)",
    .options = ticket_file_options,
    .config_size = sizeof(struct ticket_file_config),
    .create = ticket_file_create,
    .run = ticket_file_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &ticket_file_plugin);
}
