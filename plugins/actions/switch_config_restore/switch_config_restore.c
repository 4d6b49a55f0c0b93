/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "switch_config_restore": put a device's last good configuration
 * back. Backend "snmp" (default) drives CISCO-CONFIG-COPY-MIB: one SET creates a
 * ccCopyTable row (protocol, server, file, destination, createAndGo), ccCopyState
 * is polled until the copy succeeds or fails (then ccCopyFailCause is read), and
 * the row is destroyed. Server and file come from the params or the inventory
 * device's "config" object (tftp_server, last_good). Backend "exec" runs a
 * program (RANCID, Oxidized, Ansible) without a shell, its argv expanded from the
 * incident with checked values, killed with its process group at the deadline.
 * Either way the results say which configuration was restored.
 */
#define _GNU_SOURCE /* nanosleep, getrandom */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include <vigil/plugin.h>

#include "snmp_common.h"
#include "spawn_common.h"

#define CC_ENTRY_LEN 13  /* sub-ids of ccCopyEntry; column and row follow */
#define FILE_MAX     256 /* longest ccCopyFileName sent */
#define CMD_MAX      512 /* the exec command line as recorded */

const struct vg_host_api *vg_host;

struct scr_config {
    const char *backend;     /* "snmp" or "exec" */
    const char *device;      /* fixed device name, or NULL: from host_field */
    const char *host_field;  /* incident member naming the device */
    const char *protocol;    /* tftp, ftp, rcp, scp, sftp */
    const char *server;      /* file server address, or NULL: config.tftp_server */
    const char *file;        /* file name template, or NULL: config.last_good */
    const char *destination; /* "running-config" or "startup-config" */
    const char *username;    /* ftp/rcp/scp/sftp user */
    const char *password;    /* secret reference of the user's password */
    int address_rev1;        /* 1: ccCopyServerAddressType/Rev1 for IPv4 too */
    int64_t poll_ms;         /* between two reads of ccCopyState */
    int64_t try_ms;          /* wait for one SNMP answer */
    int64_t retries;         /* SNMP re-sends after a timeout */
    struct vg_strlist argv;  /* exec backend: program and arguments */
};

static const struct vg_option scr_options[] = {
    {"backend", VG_OPT_STR, "\"snmp\"", 0, offsetof(struct scr_config, backend),
     "snmp (CISCO-CONFIG-COPY-MIB ccCopyTable) or exec (run argv: RANCID, Oxidized, Ansible)"},
    {"device", VG_OPT_STR, NULL, 0, offsetof(struct scr_config, device),
     "inventory device to restore; default: the one host_field names"},
    {"host_field", VG_OPT_STR, "\"incident.key.host.name\"", 0,
     offsetof(struct scr_config, host_field),
     "incident member (vg_call_field path) naming the device when device is not set"},
    {"protocol", VG_OPT_STR, "\"tftp\"", 0, offsetof(struct scr_config, protocol),
     "file transfer protocol of the copy: tftp, ftp, rcp, scp or sftp"},
    {"server", VG_OPT_STR, NULL, 0, offsetof(struct scr_config, server),
     "IP address of the file server; default: the device's config.tftp_server"},
    {"file", VG_OPT_STR, NULL, 0, offsetof(struct scr_config, file),
     "file to copy, ${path} expanded from the incident as names; default: config.last_good"},
    {"destination", VG_OPT_STR, "\"running-config\"", 0, offsetof(struct scr_config, destination),
     "running-config (merged into the running configuration) or startup-config"},
    {"username", VG_OPT_STR, NULL, 0, offsetof(struct scr_config, username),
     "user on the file server (ftp, rcp, scp, sftp)"},
    {"password", VG_OPT_STR, NULL, 0, offsetof(struct scr_config, password),
     "secret reference (file:/PATH or env:NAME) of that user's password"},
    {"address_rev1", VG_OPT_BOOL, "false", 0, offsetof(struct scr_config, address_rev1),
     "send an IPv4 server as ccCopyServerAddressType/Rev1 (IPv6 always is) instead of .5"},
    {"poll_interval", VG_OPT_DURATION, "1s", 0, offsetof(struct scr_config, poll_ms),
     "time between two reads of ccCopyState"},
    {"timeout", VG_OPT_DURATION, "2s", 0, offsetof(struct scr_config, try_ms),
     "wait for one SNMP answer (bounded by the call's deadline)"},
    {"retries", VG_OPT_INT, "1", 0, offsetof(struct scr_config, retries),
     "SNMP re-sends after a timeout, as far as the call's deadline allows"},
    {"argv", VG_OPT_STRLIST, NULL, 0, offsetof(struct scr_config, argv),
     "exec backend: program and arguments, no shell; ${path} expanded as checked names"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* CISCO-CONFIG-COPY-MIB ccCopyEntry; the column and the row index are appended. */
static const oid cc_entry[CC_ENTRY_LEN] = {1, 3, 6, 1, 4, 1, 9, 9, 96, 1, 1, 1, 1};

enum cc_column {
    CC_PROTOCOL = 2,     /* ConfigCopyProtocol */
    CC_SRC_TYPE = 3,     /* ConfigFileType of the source */
    CC_DST_TYPE = 4,     /* ConfigFileType of the destination */
    CC_SERVER = 5,       /* IpAddress (deprecated, IPv4 only) */
    CC_FILE = 6,         /* DisplayString */
    CC_USER = 7,         /* DisplayString */
    CC_PASSWORD = 8,     /* DisplayString */
    CC_STATE = 10,       /* ConfigCopyState */
    CC_FAIL_CAUSE = 13,  /* ConfigCopyFailCause */
    CC_ROW_STATUS = 14,  /* RowStatus */
    CC_SERVER_TYPE = 15, /* InetAddressType */
    CC_SERVER_ADDR = 16, /* InetAddress */
};

enum cc_value {
    CC_NETWORK_FILE = 1,  /* ConfigFileType networkFile */
    CC_STARTUP = 3,       /* ConfigFileType startupConfig */
    CC_RUNNING = 4,       /* ConfigFileType runningConfig */
    CC_CREATE_AND_GO = 4, /* RowStatus createAndGo */
    CC_DESTROY = 6,       /* RowStatus destroy */
    CC_SUCCESSFUL = 3,    /* ConfigCopyState successful */
    CC_FAILED = 4,        /* ConfigCopyState failed */
};

static const char *const protocols[] = {"tftp", "ftp", "rcp", "scp", "sftp"};

struct scr_state {
    const struct scr_config *cfg; /* the core's config block */
    long protocol;                /* ConfigCopyProtocol value */
    long destination;             /* ConfigFileType of the destination */
    int exec;                     /* 1: exec backend */
};

static int scr_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct scr_config *cfg = config;
    struct scr_state *st;
    long proto = 0;
    size_t i;

    if (strcmp(cfg->backend, "snmp") != 0 && strcmp(cfg->backend, "exec") != 0) {
        vg_set_error(ctx, "backend \"%s\" is not snmp or exec", cfg->backend);
        return VG_EINVAL;
    }
    if (strcmp(cfg->backend, "exec") == 0) {
        if (cfg->argv.n == 0 || cfg->argv.items[0][0] == '\0' ||
            strchr(cfg->argv.items[0], '$') != NULL) {
            vg_set_error(ctx, "the exec backend needs argv, whose program is a fixed name");
            return VG_EINVAL;
        }
    } else if (cfg->argv.n > 0) {
        vg_set_error(ctx, "argv is for the exec backend only");
        return VG_EINVAL;
    }
    for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (strcmp(cfg->protocol, protocols[i]) == 0) {
            proto = (long)i + 1;
        }
    }
    if (proto == 0) {
        vg_set_error(ctx, "protocol \"%s\" is not tftp, ftp, rcp, scp or sftp", cfg->protocol);
        return VG_EINVAL;
    }
    if (proto != 1 && cfg->username == NULL) {
        vg_set_error(ctx, "protocol %s needs username", cfg->protocol);
        return VG_EINVAL;
    }
    if (cfg->password != NULL && cfg->username == NULL) {
        vg_set_error(ctx, "password without username");
        return VG_EINVAL;
    }
    if (cfg->server != NULL && !snmpc_is_ip(cfg->server)) {
        vg_set_error(ctx, "server \"%s\" is not an IP address", cfg->server);
        return VG_EINVAL;
    }
    if (strcmp(cfg->destination, "running-config") != 0 &&
        strcmp(cfg->destination, "startup-config") != 0) {
        vg_set_error(ctx, "destination \"%s\" is not running-config or startup-config",
                     cfg->destination);
        return VG_EINVAL;
    }
    if (cfg->poll_ms <= 0 || cfg->try_ms <= 0) {
        vg_set_error(ctx, "poll_interval and timeout must be positive");
        return VG_EINVAL;
    }
    if (cfg->retries < 0 || cfg->retries > 10) {
        vg_set_error(ctx, "retries must be 0 to 10");
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    st->cfg = cfg;
    st->protocol = proto;
    st->destination = strcmp(cfg->destination, "startup-config") == 0 ? CC_STARTUP : CC_RUNNING;
    st->exec = strcmp(cfg->backend, "exec") == 0;
    *state = st;
    return VG_OK;
}

static void scr_destroy(void *state)
{
    vg_free(state);
}

/*
 * A file name the device may be asked to fetch: 1..255 bytes of
 * [A-Za-z0-9._/+-], no "..", not starting with '-'.
 */
static int file_name_ok(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n >= FILE_MAX || s[0] == '-' || strstr(s, "..") != NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '/' || c == '+' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

/* The device named by the params or the incident, checked, into out. */
static int find_device(struct vg_ctx *ctx, const struct scr_config *cfg,
                       const struct vg_action_call *call, char *out, size_t cap)
{
    struct vg_str v;

    if (cfg->device != NULL) {
        snprintf(out, cap, "%s", cfg->device);
        return VG_OK;
    }
    v = vg_call_field(call, cfg->host_field);
    if (v.ptr == NULL || v.len == 0) {
        vg_set_error(ctx, "the incident has no %s naming the device", cfg->host_field);
        return VG_EINVAL;
    }
    if (snmpc_check_host(ctx, cfg->host_field, v) != VG_OK) {
        return VG_EINVAL;
    }
    if (v.len >= cap) {
        vg_set_error(ctx, "device name too long");
        return VG_EINVAL;
    }
    memcpy(out, v.ptr, v.len);
    out[v.len] = '\0';
    return VG_OK;
}

/* What to copy: server and file from the params, else the inventory's config object. */
struct copy_job {
    char server[64];     /* file server address */
    char file[FILE_MAX]; /* file name on it */
    char *password;      /* secret (vg_alloc), zeroed after use */
    long row;            /* ccCopyIndex */
    long state;          /* last ccCopyState read (0: none) */
    long fail_cause;     /* ccCopyFailCause (0: not read) */
};

static int pick_copy(struct vg_ctx *ctx, const struct scr_config *cfg,
                     const struct vg_action_call *call, const char *device,
                     struct fjson_object *dev, struct copy_job *job)
{
    struct fjson_object *conf = NULL;
    const char *server = cfg->server;
    const char *file = NULL;
    char *expanded = NULL;

    if (fjson_object_object_get_ex(dev, "config", &conf) &&
        !fjson_object_is_type(conf, fjson_type_object)) {
        conf = NULL;
    }
    if (server == NULL) {
        server = snmpc_json_str(conf, "tftp_server");
    }
    if (server == NULL || !snmpc_is_ip(server) || strlen(server) >= sizeof(job->server)) {
        vg_set_error(ctx,
                     "no file server address for device %s: set params.server or the "
                     "inventory's config.tftp_server to an IP address",
                     device);
        return VG_EINVAL;
    }
    snprintf(job->server, sizeof(job->server), "%s", server);
    if (cfg->file != NULL) {
        expanded = vg_call_format(ctx, call, cfg->file, VG_VAL_NAME);
        if (expanded == NULL) {
            return VG_EINVAL;
        }
        file = expanded;
    } else {
        file = snmpc_json_str(conf, "last_good");
    }
    if (file == NULL || !file_name_ok(file)) {
        if (file == NULL) {
            vg_set_error(ctx,
                         "no file for device %s: set params.file or the inventory's "
                         "config.last_good",
                         device);
        } else {
            vg_set_error(ctx,
                         "file name \"%.64s\" for device %s is not 1-255 characters of "
                         "A-Z a-z 0-9 . _ / + - (no \"..\", no leading -)",
                         file, device);
        }
        vg_free(expanded);
        return VG_EINVAL;
    }
    snprintf(job->file, sizeof(job->file), "%s", file);
    vg_free(expanded);
    if (cfg->password != NULL) {
        job->password = vg_secret_get(ctx, cfg->password);
        if (job->password == NULL) {
            return VG_ERR;
        }
    }
    return VG_OK;
}

static long random_row(struct vg_ctx *ctx)
{
    uint32_t r = 0;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        r = (uint32_t)vg_now_ms(ctx) ^ (uint32_t)(uintptr_t)&r;
    }
    return (long)(r % 2147483646u) + 1;
}

static void cc_name(oid *name, int column, long row)
{
    memcpy(name, cc_entry, sizeof(cc_entry));
    name[CC_ENTRY_LEN] = (oid)column;
    name[CC_ENTRY_LEN + 1] = (oid)row;
}

static void add_int(netsnmp_pdu *pdu, int column, long row, long value)
{
    oid name[CC_ENTRY_LEN + 2];

    cc_name(name, column, row);
    snmp_pdu_add_variable(pdu, name, CC_ENTRY_LEN + 2, ASN_INTEGER, &value, sizeof(value));
}

static void add_bytes(netsnmp_pdu *pdu, int column, long row, u_char type, const void *p,
                      size_t len)
{
    oid name[CC_ENTRY_LEN + 2];

    cc_name(name, column, row);
    snmp_pdu_add_variable(pdu, name, CC_ENTRY_LEN + 2, type, p, len);
}

/* One SET creating the row with everything the copy needs, createAndGo last. */
static int create_row(struct snmpc_sess *s, const struct scr_state *st, const char *username,
                      struct copy_job *job)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
    netsnmp_pdu *resp = NULL;
    unsigned char addr[16];
    int v6 = strchr(job->server, ':') != NULL;
    int rc;

    if (pdu == NULL) {
        vg_set_error(s->ctx, "out of memory");
        return VG_ENOMEM;
    }
    inet_pton(v6 ? AF_INET6 : AF_INET, job->server, addr);
    add_int(pdu, CC_PROTOCOL, job->row, st->protocol);
    add_int(pdu, CC_SRC_TYPE, job->row, CC_NETWORK_FILE);
    add_int(pdu, CC_DST_TYPE, job->row, st->destination);
    if (v6 || st->cfg->address_rev1) {
        add_int(pdu, CC_SERVER_TYPE, job->row, v6 ? 2 : 1);
        add_bytes(pdu, CC_SERVER_ADDR, job->row, ASN_OCTET_STR, addr, v6 ? 16 : 4);
    } else {
        add_bytes(pdu, CC_SERVER, job->row, ASN_IPADDRESS, addr, 4);
    }
    add_bytes(pdu, CC_FILE, job->row, ASN_OCTET_STR, job->file, strlen(job->file));
    if (username != NULL) {
        add_bytes(pdu, CC_USER, job->row, ASN_OCTET_STR, username, strlen(username));
    }
    if (job->password != NULL) {
        add_bytes(pdu, CC_PASSWORD, job->row, ASN_OCTET_STR, job->password, strlen(job->password));
    }
    add_int(pdu, CC_ROW_STATUS, job->row, CC_CREATE_AND_GO);
    rc = snmpc_request(s, pdu, "the SET creating the ccCopyTable row", &resp);
    if (resp != NULL) {
        snmp_free_pdu(resp);
    }
    return rc;
}

static int get_cc(struct snmpc_sess *s, int column, long row, long *value, const char *what)
{
    oid name[CC_ENTRY_LEN + 2];
    const oid *names[1] = {name};
    const size_t lens[1] = {CC_ENTRY_LEN + 2};

    cc_name(name, column, row);
    return snmpc_get_ints(s, names, lens, 1, value, what);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0) {
        return;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * Poll ccCopyState until the copy ends or until the deadline less a reserve kept
 * for destroying the row. An unanswered poll is tolerated until then.
 */
static int poll_copy(struct snmpc_sess *s, const struct scr_config *cfg, struct copy_job *job)
{
    int64_t deadline = s->deadline_ms;
    int64_t reserve = (deadline - vg_now_ms(s->ctx)) / 4;
    int rc = VG_OK;

    if (reserve > cfg->try_ms) {
        reserve = cfg->try_ms;
    }
    s->deadline_ms = deadline - reserve;
    for (;;) {
        rc = get_cc(s, CC_STATE, job->row, &job->state, "the GET of ccCopyState");
        if (rc == VG_OK && (job->state == CC_SUCCESSFUL || job->state == CC_FAILED)) {
            break;
        }
        if (rc != VG_OK && rc != VG_EAGAIN) {
            break;
        }
        if (vg_now_ms(s->ctx) + cfg->poll_ms >= s->deadline_ms) {
            if (rc == VG_OK) {
                vg_set_error(s->ctx, "the copy to device %s was still %s at the deadline",
                             s->device, job->state == 1 ? "waiting" : "running");
            }
            rc = VG_ETIMEDOUT;
            break;
        }
        sleep_ms(cfg->poll_ms);
    }
    s->deadline_ms = deadline;
    if (rc == VG_OK && job->state == CC_FAILED) {
        rc = get_cc(s, CC_FAIL_CAUSE, job->row, &job->fail_cause, "the GET of ccCopyFailCause");
        if (rc != VG_OK) {
            job->fail_cause = 0;
        }
        rc = VG_ERR;
    }
    return rc;
}

static const char *state_name(long v)
{
    static const char *const names[] = {"waiting", "running", "successful", "failed"};

    return v >= 1 && v <= 4 ? names[v - 1] : "unknown";
}

static const char *cause_name(long v)
{
    static const char *const names[] = {"unknown",
                                        "badFileName",
                                        "timeout",
                                        "noMem",
                                        "noConfig",
                                        "unsupportedProtocol",
                                        "someConfigApplyFailed",
                                        "systemNotReady",
                                        "requestAborted"};

    return v >= 1 && v <= 9 ? names[v - 1] : "unknown";
}

/* Destroy the row; a failure is only noted (the device ages rows out itself). */
static void destroy_row(struct snmpc_sess *s, long row)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
    netsnmp_pdu *resp = NULL;

    if (pdu == NULL) {
        return;
    }
    add_int(pdu, CC_ROW_STATUS, row, CC_DESTROY);
    if (snmpc_request(s, pdu, "the SET destroying the ccCopyTable row", &resp) == VG_OK) {
        vg_action_result(s->ctx, "row_destroyed", "yes");
    } else {
        vg_action_result(s->ctx, "row_destroyed", "no");
        vg_log(s->ctx, VG_LOG_WARNING,
               "device %s: ccCopyTable row %ld left for the device to "
               "age out",
               s->device, row);
    }
    if (resp != NULL) {
        snmp_free_pdu(resp);
    }
}

/* The ccCopyTable exchange with the device; results and output recorded. */
static int copy_config(struct vg_ctx *ctx, const struct scr_state *st,
                       const struct vg_action_call *call, const struct snmpc_target *t,
                       struct copy_job *job)
{
    const struct scr_config *cfg = st->cfg;
    struct snmpc_sess s;
    int64_t start = vg_now_ms(ctx);
    int64_t deadline = vg_call_deadline_ms(call);
    char buf[600];
    int failed_rc = VG_OK;
    int n;
    int rc;

    if (deadline <= 0) {
        deadline = start + 60000;
    }
    job->row = random_row(ctx);
    snprintf(buf, sizeof(buf), "%ld", job->row);
    vg_action_result(ctx, "row", buf);
    rc = snmpc_open(ctx, t, deadline, cfg->try_ms, (int)cfg->retries, &s);
    if (rc == VG_OK) {
        rc = create_row(&s, st, cfg->username, job);
        if (job->password != NULL) {
            snmpc_wipe(job->password, strlen(job->password));
        }
        if (rc == VG_OK) {
            rc = poll_copy(&s, cfg, job);
            failed_rc = rc;
            destroy_row(&s, job->row);
        }
    }
    snmpc_close(&s);
    snprintf(buf, sizeof(buf), "%lld", (long long)(vg_now_ms(ctx) - start));
    vg_action_result(ctx, "duration_ms", buf);
    if (job->state != 0) {
        vg_action_result(ctx, "state", state_name(job->state));
    }
    if (job->state == CC_FAILED) {
        const char *cause = job->fail_cause != 0 ? cause_name(job->fail_cause) : "unread";

        vg_action_result(ctx, "fail_cause", cause);
        vg_set_error(ctx, "device %s could not restore %s from %s: ccCopyFailCause %s", t->name,
                     job->file, job->server, cause);
        /* A busy device or an unreachable server may do better on the next attempt. */
        rc = job->fail_cause == 3 || job->fail_cause == 8 ? VG_EAGAIN : VG_ERR;
    } else if (failed_rc != VG_OK) {
        rc = failed_rc;
    }
    n = snprintf(buf, sizeof(buf), "%s (%s): %s://%s/%s -> %s, row %ld, ccCopyState %s\n", t->name,
                 t->peer, protocols[st->protocol - 1], job->server, job->file, cfg->destination,
                 job->row, job->state != 0 ? state_name(job->state) : "unread");
    vg_action_output(ctx, buf, n > 0 && (size_t)n < sizeof(buf) ? (size_t)n : strlen(buf));
    return rc;
}

static int run_snmp(struct vg_ctx *ctx, const struct scr_state *st,
                    const struct vg_action_call *call)
{
    const struct scr_config *cfg = st->cfg;
    struct snmpc_target t;
    struct fjson_object *dev = NULL;
    struct copy_job job;
    char device[SNMPC_NAME_MAX];
    int rc;

    memset(&job, 0, sizeof(job));
    rc = find_device(ctx, cfg, call, device, sizeof(device));
    if (rc != VG_OK) {
        return rc;
    }
    rc = snmpc_target_load(ctx, device, &t, &dev);
    if (rc == VG_OK) {
        vg_action_result(ctx, "device", t.name);
        rc = pick_copy(ctx, cfg, call, t.name, dev, &job);
    }
    if (rc == VG_OK) {
        vg_action_result(ctx, "protocol", protocols[st->protocol - 1]);
        vg_action_result(ctx, "server", job.server);
        vg_action_result(ctx, "file", job.file);
        vg_action_result(ctx, "destination", cfg->destination);
        rc = copy_config(ctx, st, call, &t, &job);
    }
    if (job.password != NULL) {
        snmpc_wipe(job.password, strlen(job.password));
        vg_free(job.password);
    }
    if (dev != NULL) {
        fjson_object_put(dev);
    }
    snmpc_target_clear(&t);
    return rc;
}

/* ---- exec backend ---- */

static void free_argv(char **argv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        vg_free(argv[i]);
    }
    vg_free(argv);
}

/* argv with each element expanded from the incident (values checked as names). */
static char **expand_argv(struct vg_ctx *ctx, const struct scr_config *cfg,
                          const struct vg_action_call *call)
{
    char **argv = vg_alloc((cfg->argv.n + 1) * sizeof(*argv));
    size_t i;

    if (argv == NULL) {
        vg_set_error(ctx, "out of memory");
        return NULL;
    }
    for (i = 0; i < cfg->argv.n; i++) {
        argv[i] = vg_call_format(ctx, call, cfg->argv.items[i], VG_VAL_NAME);
        if (argv[i] == NULL) {
            free_argv(argv, i);
            return NULL;
        }
    }
    argv[cfg->argv.n] = NULL;
    return argv;
}

/* The command as recorded: arguments separated by spaces, cut short. */
static void join_argv(char **argv, char *buf, size_t cap)
{
    size_t used = 0;
    size_t i;

    buf[0] = '\0';
    for (i = 0; argv[i] != NULL && used + 1 < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i > 0 ? " " : "", argv[i]);

        if (n < 0 || (size_t)n >= cap - used) {
            break;
        }
        used += (size_t)n;
    }
}

static int run_exec(struct vg_ctx *ctx, const struct scr_state *st,
                    const struct vg_action_call *call)
{
    const struct scr_config *cfg = st->cfg;
    int64_t start = vg_now_ms(ctx);
    struct spawnc_req req = {0};
    struct spawnc_proc *proc;
    char cmd[CMD_MAX];
    char num[32];
    char **argv;
    int rc;

    req.deadline_ms = vg_call_deadline_ms(call);
    if (req.deadline_ms <= 0) {
        req.deadline_ms = start + 60000;
    }
    req.until_eof = 1;
    req.stream = 1;
    argv = expand_argv(ctx, cfg, call);
    if (argv == NULL) {
        return VG_EINVAL;
    }
    join_argv(argv, cmd, sizeof(cmd));
    vg_action_result(ctx, "backend", "exec");
    vg_action_result(ctx, "command", cmd);
    proc = vg_alloc(sizeof(*proc));
    if (proc == NULL) {
        free_argv(argv, cfg->argv.n);
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    req.argv = argv;
    rc = spawnc_run(ctx, &req, proc);
    free_argv(argv, cfg->argv.n);
    if (rc == VG_OK) {
        snprintf(num, sizeof(num), "%lld", (long long)(vg_now_ms(ctx) - start));
        vg_action_result(ctx, "duration_ms", num);
    }
    if (rc == VG_OK || rc == VG_ETIMEDOUT) {
        rc = spawnc_report(ctx, proc, cfg->argv.items[0]);
    }
    if (rc == VG_ETIMEDOUT) {
        vg_set_error(ctx, "%s did not finish by the deadline: killed", cfg->argv.items[0]);
    }
    vg_free(proc);
    return rc;
}

static int scr_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct scr_state *st = state;

    return st->exec ? run_exec(ctx, st, call) : run_snmp(ctx, st, call);
}

static const struct vg_plugin scr_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "switch_config_restore",
    .version = "1.0.0",
    .description = "restore a device's last good configuration (CISCO-CONFIG-COPY-MIB, or a "
                   "program)",
    .options = scr_options,
    .config_size = sizeof(struct scr_config),
    .create = scr_create,
    .destroy = scr_destroy,
    .run = scr_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &scr_plugin);
}
