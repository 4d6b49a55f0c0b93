/* SPDX-License-Identifier: MIT */
/*
 * Action plugins "port_isolate" and "port_restore" (this file, built twice: with
 * PORT_RESTORE defined it is port_restore). The incident's host is looked up in
 * the inventory (its switch, port name and/or ifIndex); IF-MIB ifAdminStatus of
 * that switch port is SET to down(2) or up(1) over SNMP v1, v2c or v3 and read
 * back with ifOperStatus. A port given by name is found by its exact ifName or
 * ifDescr; hosts that are themselves devices with a protected role (core
 * switches, routers, firewalls) are never cut off. port_restore prefers the
 * port port_isolate recorded for the same incident, so it undoes exactly that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/plugin.h>

#include "snmp_common.h"

#ifdef PORT_RESTORE
#define PORT_PLUGIN  "port_restore"
#define PORT_WANT    1 /* ifAdminStatus up */
#define PORT_VERB    "restore"
#define PORT_INVERSE NULL
#else
#define PORT_PLUGIN  "port_isolate"
#define PORT_WANT    2 /* ifAdminStatus down */
#define PORT_VERB    "isolate"
#define PORT_INVERSE "port_restore"
#endif

#define HOST_MAX    256   /* a checked host name or address, with its NUL */
#define PORT_MAX    128   /* an interface name from the inventory or the switch */
#define WALK_MAX    20000 /* interfaces read at most while looking for a port name */
#define IF_COLUMNS  10    /* sub-ids of an IF-MIB column OID below */
#define IFX_COLUMNS 11    /* sub-ids of an IF-MIB ifXTable column OID below */

const struct vg_host_api *vg_host;

struct port_config {
    const char *host_field;          /* incident member naming the host */
    struct vg_strlist ip_fields;     /* members tried for its address when there is no name */
    struct vg_strlist protect_roles; /* device roles that are never cut off */
    int64_t try_ms;                  /* wait for one SNMP answer */
    int64_t retries;                 /* re-sends after a timeout, within the deadline */
};

static const struct vg_option port_options[] = {
    {"host_field", VG_OPT_STR, "\"incident.key.host.name\"", 0,
     offsetof(struct port_config, host_field),
     "incident member (vg_call_field path) naming the host whose switch port is changed"},
    {"ip_fields", VG_OPT_STRLIST, "[\"incident.key.host.ip\", \"event.host.ip\"]", 0,
     offsetof(struct port_config, ip_fields),
     "members tried in order for the host's IP address when host_field is absent"},
    {"protect_roles", VG_OPT_STRLIST, "[\"core-switch\", \"router\", \"firewall\"]", 0,
     offsetof(struct port_config, protect_roles),
     "refuse a host that is itself an inventory device with one of these roles"},
    {"timeout", VG_OPT_DURATION, "2s", 0, offsetof(struct port_config, try_ms),
     "wait for one SNMP answer (bounded by the call's deadline)"},
    {"retries", VG_OPT_INT, "1", 0, offsetof(struct port_config, retries),
     "SNMP re-sends after a timeout, as far as the call's deadline allows"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* IF-MIB columns; the instance (ifIndex) is appended. */
static const oid if_descr[IF_COLUMNS] = {1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
static const oid if_admin[IF_COLUMNS] = {1, 3, 6, 1, 2, 1, 2, 2, 1, 7};
static const oid if_oper[IF_COLUMNS] = {1, 3, 6, 1, 2, 1, 2, 2, 1, 8};
static const oid if_name[IFX_COLUMNS] = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1};

/* Where the host's port is. */
struct port_loc {
    char device[SNMPC_NAME_MAX]; /* the switch's inventory name */
    char port[PORT_MAX];         /* interface name ("" unknown) */
    long if_index;               /* ifIndex (0 unknown) */
    int from_prior;              /* 1: taken from port_isolate's results of this incident */
};

static int port_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct port_config *cfg = config;

    if (cfg->host_field == NULL || cfg->host_field[0] == '\0') {
        vg_set_error(ctx, "host_field must name an incident member");
        return VG_EINVAL;
    }
    if (cfg->try_ms <= 0) {
        vg_set_error(ctx, "timeout must be positive");
        return VG_EINVAL;
    }
    if (cfg->retries < 0 || cfg->retries > 10) {
        vg_set_error(ctx, "retries must be 0 to 10");
        return VG_EINVAL;
    }
    *state = (void *)(uintptr_t)config;
    return VG_OK;
}

static const char *admin_name(long v)
{
    static const char *const names[] = {"up", "down", "testing"};

    return v >= 1 && v <= 3 ? names[v - 1] : "invalid";
}

static const char *oper_name(long v)
{
    static const char *const names[] = {"up",      "down",       "testing",       "unknown",
                                        "dormant", "notPresent", "lowerLayerDown"};

    return v >= 1 && v <= 7 ? names[v - 1] : "invalid";
}

/* The host from the incident, checked, into key: its name, else an address. */
static int find_host(struct vg_ctx *ctx, const struct port_config *cfg,
                     const struct vg_action_call *call, char *key, size_t cap)
{
    struct vg_str v = vg_call_field(call, cfg->host_field);
    int rc;
    size_t i;

    if (v.ptr != NULL && v.len > 0) {
        rc = snmpc_check_host(ctx, cfg->host_field, v);
    } else {
        for (i = 0; i < cfg->ip_fields.n; i++) {
            v = vg_call_field(call, cfg->ip_fields.items[i]);
            if (v.ptr != NULL && v.len > 0) {
                break;
            }
        }
        if (i == cfg->ip_fields.n) {
            vg_set_error(ctx, "the incident names no host (%s, nor any of ip_fields)",
                         cfg->host_field);
            return VG_EINVAL;
        }
        rc = vg_value_check(ctx, VG_VAL_IP, cfg->ip_fields.items[i], v.ptr, v.len);
    }
    if (rc != VG_OK) {
        return VG_EINVAL;
    }
    if (v.len >= cap) {
        vg_set_error(ctx, "host name too long");
        return VG_EINVAL;
    }
    memcpy(key, v.ptr, v.len);
    key[v.len] = '\0';
    return VG_OK;
}

static int role_listed(const struct port_config *cfg, const char *role)
{
    size_t i;

    for (i = 0; role != NULL && i < cfg->protect_roles.n; i++) {
        if (strcmp(cfg->protect_roles.items[i], role) == 0) {
            return 1;
        }
    }
    return 0;
}

/* VG_OK unless the host is a device with a protected role (then VG_EINVAL, error set). */
static int check_protected(struct vg_ctx *ctx, const struct port_config *cfg, const char *key)
{
    struct fjson_object *dev;
    const char *role;
    int bad;
    int rc = VG_OK;

    dev = snmpc_inventory(ctx, "devices", key, &bad);
    if (dev == NULL) {
        return bad ? VG_EINVAL : VG_OK;
    }
    role = snmpc_json_str(dev, "role");
    if (role_listed(cfg, role)) {
        vg_set_error(ctx, "refusing to %s %s: it is an inventory device with the protected role %s",
                     PORT_VERB, key, role);
        rc = VG_EINVAL;
    }
    fjson_object_put(dev);
    return rc;
}

/* A name from the inventory or a prior result, used in messages and results. */
static int plain_name(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e || s[n] == '"' ||
            s[n] == '\\') {
            return 0;
        }
    }
    return n > 0 && n < max;
}

#ifdef PORT_RESTORE
/* The port port_isolate shut for this incident, when it recorded one: 1, else 0. */
static int prior_port(struct vg_ctx *ctx, const struct vg_action_call *call, struct port_loc *loc)
{
    struct vg_str dev = vg_call_prior(call, "port_isolate.device");
    struct vg_str idx = vg_call_prior(call, "port_isolate.if_index");
    struct vg_str port = vg_call_prior(call, "port_isolate.port");
    char *end;
    long n;

    if (dev.ptr == NULL || idx.ptr == NULL || dev.len == 0 ||
        !plain_name(dev.ptr, sizeof(loc->device))) {
        return 0;
    }
    n = strtol(idx.ptr, &end, 10);
    if (*end != '\0' || n < 1 || n > 2147483647L) {
        return 0;
    }
    snprintf(loc->device, sizeof(loc->device), "%s", dev.ptr);
    loc->if_index = n;
    if (port.ptr != NULL && plain_name(port.ptr, sizeof(loc->port))) {
        snprintf(loc->port, sizeof(loc->port), "%s", port.ptr);
    }
    loc->from_prior = 1;
    vg_log(ctx, VG_LOG_INFO,
           "restoring the port port_isolate shut for this incident: %s ifIndex %ld", loc->device,
           loc->if_index);
    return 1;
}
#endif

/* The host's switch and port from the inventory's hosts section. */
static int locate(struct vg_ctx *ctx, const struct vg_action_call *call, const char *key,
                  struct port_loc *loc)
{
    struct fjson_object *host;
    const char *sw;
    const char *port;
    int64_t idx = 0;
    int has_idx;
    int bad;
    int rc = VG_EINVAL;

    memset(loc, 0, sizeof(*loc));
#ifdef PORT_RESTORE
    if (prior_port(ctx, call, loc)) {
        return VG_OK;
    }
#else
    (void)call;
#endif
    host = snmpc_inventory(ctx, "hosts", key, &bad);
    if (host == NULL) {
        if (!bad) {
            vg_set_error(ctx, "host %s is not in the inventory (hosts)", key);
        }
        return bad ? VG_EINVAL : VG_ENOENT;
    }
    sw = snmpc_json_str(host, "switch");
    port = snmpc_json_str(host, "port");
    has_idx = snmpc_json_int(host, "if_index", &idx);
    if (sw == NULL || !plain_name(sw, sizeof(loc->device))) {
        vg_set_error(ctx, "host %s in the inventory names no switch", key);
        goto out_put;
    }
    if (has_idx < 0 || (has_idx == 1 && (idx < 1 || idx > 2147483647))) {
        vg_set_error(ctx, "host %s in the inventory: if_index is not an ifIndex", key);
        goto out_put;
    }
    if (port != NULL && !plain_name(port, sizeof(loc->port))) {
        vg_set_error(ctx, "host %s in the inventory: port is not an interface name", key);
        goto out_put;
    }
    if (port == NULL && has_idx != 1) {
        vg_set_error(ctx, "host %s in the inventory has neither port nor if_index", key);
        goto out_put;
    }
    snprintf(loc->device, sizeof(loc->device), "%s", sw);
    snprintf(loc->port, sizeof(loc->port), "%s", port != NULL ? port : "");
    loc->if_index = has_idx == 1 ? (long)idx : 0;
    rc = VG_OK;
out_put:
    fjson_object_put(host);
    return rc;
}

static int same_name(const netsnmp_variable_list *v, const char *name)
{
    size_t n = strlen(name);

    return v->type == ASN_OCTET_STR && v->val_len == n && memcmp(v->val.string, name, n) == 0;
}

struct find_arg {
    const char *port; /* the name looked for */
    long if_index;    /* found: the last sub-id of the matching variable */
};

static int find_fn(const netsnmp_variable_list *v, void *arg)
{
    struct find_arg *f = arg;

    if (!same_name(v, f->port)) {
        return 0;
    }
    f->if_index = (long)v->name[v->name_length - 1];
    return 1;
}

/* Walk ifName, then ifDescr, for the exact name loc->port. */
static int walk_for_port(struct snmpc_sess *s, struct port_loc *loc)
{
    struct find_arg f = {loc->port, 0};
    int stopped = 0;
    int rc;

    rc = snmpc_walk(s, if_name, IFX_COLUMNS, WALK_MAX, find_fn, &f, &stopped);
    if (rc == VG_OK && !stopped) {
        rc = snmpc_walk(s, if_descr, IF_COLUMNS, WALK_MAX, find_fn, &f, &stopped);
    }
    if (rc != VG_OK) {
        return rc;
    }
    if (!stopped || f.if_index < 1) {
        vg_set_error(s->ctx, "device %s has no interface named %s (no ifName or ifDescr matches)",
                     s->device, loc->port);
        return VG_ERR;
    }
    if (loc->if_index != 0 && loc->if_index != f.if_index) {
        vg_log(s->ctx, VG_LOG_WARNING,
               "device %s: %s is ifIndex %ld now, not %ld as the inventory says", s->device,
               loc->port, f.if_index, loc->if_index);
    }
    loc->if_index = f.if_index;
    return VG_OK;
}

/*
 * Settle the ifIndex: a known one is checked against the port name (ifIndex
 * values move when line cards or stack members change), a stale or missing one
 * looked up by name; the port name is filled from ifName/ifDescr when unknown.
 */
static int resolve_port(struct snmpc_sess *s, struct port_loc *loc)
{
    oid n1[IFX_COLUMNS + 1];
    oid n2[IF_COLUMNS + 1];
    netsnmp_pdu *pdu;
    netsnmp_pdu *resp = NULL;
    netsnmp_variable_list *v;
    int match = 0;
    int rc;

    if (loc->if_index == 0) {
        return walk_for_port(s, loc);
    }
    memcpy(n1, if_name, sizeof(if_name));
    n1[IFX_COLUMNS] = (oid)loc->if_index;
    memcpy(n2, if_descr, sizeof(if_descr));
    n2[IF_COLUMNS] = (oid)loc->if_index;
    pdu = snmp_pdu_create(SNMP_MSG_GET);
    if (pdu == NULL) {
        vg_set_error(s->ctx, "out of memory");
        return VG_ENOMEM;
    }
    snmp_add_null_var(pdu, n1, IFX_COLUMNS + 1);
    snmp_add_null_var(pdu, n2, IF_COLUMNS + 1);
    rc = snmpc_request(s, pdu, "the GET of ifName and ifDescr", &resp);
    if (rc == VG_ERR && s->bulk == 0) {
        /* v1 answers noSuchName for the whole request when ifXTable is missing. */
        return loc->port[0] != '\0' ? walk_for_port(s, loc) : VG_OK;
    }
    if (rc != VG_OK) {
        return rc;
    }
    for (v = resp->variables; v != NULL; v = v->next_variable) {
        if (v->type != ASN_OCTET_STR) {
            continue;
        }
        if (loc->port[0] == '\0' && v->val_len > 0 && v->val_len < sizeof(loc->port)) {
            memcpy(loc->port, v->val.string, v->val_len);
            loc->port[v->val_len] = '\0';
            if (!plain_name(loc->port, sizeof(loc->port))) {
                loc->port[0] = '\0';
                continue;
            }
            match = 1;
        } else if (same_name(v, loc->port)) {
            match = 1;
        }
    }
    snmp_free_pdu(resp);
    if (match || loc->port[0] == '\0') {
        return VG_OK;
    }
    return walk_for_port(s, loc);
}

static int set_admin(struct snmpc_sess *s, long if_index, long value)
{
    oid name[IF_COLUMNS + 1];
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
    netsnmp_pdu *resp = NULL;
    int rc;

    if (pdu == NULL) {
        vg_set_error(s->ctx, "out of memory");
        return VG_ENOMEM;
    }
    memcpy(name, if_admin, sizeof(if_admin));
    name[IF_COLUMNS] = (oid)if_index;
    snmp_pdu_add_variable(pdu, name, IF_COLUMNS + 1, ASN_INTEGER, &value, sizeof(value));
    rc = snmpc_request(s, pdu, "the SET of ifAdminStatus", &resp);
    if (resp != NULL) {
        snmp_free_pdu(resp);
    }
    return rc;
}

/* GET ifAdminStatus and ifOperStatus of the port into st[0], st[1]. */
static int get_status(struct snmpc_sess *s, long if_index, long st[2], const char *what)
{
    oid a[IF_COLUMNS + 1];
    oid o[IF_COLUMNS + 1];
    const oid *names[2] = {a, o};
    const size_t lens[2] = {IF_COLUMNS + 1, IF_COLUMNS + 1};

    memcpy(a, if_admin, sizeof(if_admin));
    a[IF_COLUMNS] = (oid)if_index;
    memcpy(o, if_oper, sizeof(if_oper));
    o[IF_COLUMNS] = (oid)if_index;
    return snmpc_get_ints(s, names, lens, 2, st, what);
}

/* Open the session, find the port, SET, read back; results recorded on the way. */
static int change_port(struct vg_ctx *ctx, const struct port_config *cfg,
                       const struct vg_action_call *call, struct port_loc *loc)
{
    struct snmpc_target t;
    struct snmpc_sess s;
    int64_t deadline = vg_call_deadline_ms(call);
    long before[2];
    long after[2];
    char buf[512];
    int n;
    int rc;

    if (deadline <= 0) {
        deadline = vg_now_ms(ctx) + 30000;
    }
    vg_action_result(ctx, "device", loc->device);
    vg_action_result(ctx, "located_by", loc->from_prior ? "port_isolate" : "inventory");
    rc = snmpc_target_load(ctx, loc->device, &t, NULL);
    if (rc != VG_OK) {
        snmpc_target_clear(&t);
        return rc;
    }
    vg_action_result(ctx, "address", t.address);
    rc = snmpc_open(ctx, &t, deadline, cfg->try_ms, (int)cfg->retries, &s);
    if (rc == VG_OK) {
        rc = resolve_port(&s, loc);
    }
    if (rc == VG_OK) {
        snprintf(buf, sizeof(buf), "%ld", loc->if_index);
        vg_action_result(ctx, "if_index", buf);
        if (loc->port[0] != '\0') {
            vg_action_result(ctx, "port", loc->port);
        }
        rc = get_status(&s, loc->if_index, before, "the GET of the port's status before the SET");
    }
    if (rc == VG_OK) {
        vg_action_result(ctx, "admin_status_before", admin_name(before[0]));
        rc = set_admin(&s, loc->if_index, PORT_WANT);
    }
    if (rc == VG_OK) {
        rc = get_status(&s, loc->if_index, after, "the GET of the port's status after the SET");
    }
    snmpc_close(&s);
    if (rc == VG_OK) {
        vg_action_result(ctx, "admin_status_after", admin_name(after[0]));
        vg_action_result(ctx, "oper_status", oper_name(after[1]));
        n = snprintf(buf, sizeof(buf),
                     "%s (%s) ifIndex %ld%s%s: ifAdminStatus %s -> %s, "
                     "ifOperStatus %s\n",
                     loc->device, t.peer, loc->if_index, loc->port[0] != '\0' ? " " : "", loc->port,
                     admin_name(before[0]), admin_name(after[0]), oper_name(after[1]));
        vg_action_output(ctx, buf, n > 0 && (size_t)n < sizeof(buf) ? (size_t)n : strlen(buf));
    }
    snmpc_target_clear(&t);
    if (rc != VG_OK) {
        return rc;
    }
    if (after[0] != PORT_WANT) {
        vg_set_error(ctx, "device %s accepted the SET but ifAdminStatus.%ld reads %s, not %s",
                     loc->device, loc->if_index, admin_name(after[0]), admin_name(PORT_WANT));
        return VG_ERR;
    }
    return VG_OK;
}

static int port_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    const struct port_config *cfg = state;
    struct port_loc loc;
    char key[HOST_MAX];
    int rc;

    rc = find_host(ctx, cfg, call, key, sizeof(key));
    if (rc != VG_OK) {
        return rc;
    }
    vg_action_result(ctx, "host", key);
    rc = check_protected(ctx, cfg, key);
    if (rc == VG_OK) {
        rc = locate(ctx, call, key, &loc);
    }
    if (rc == VG_OK) {
        rc = change_port(ctx, cfg, call, &loc);
    }
    return rc;
}

static const struct vg_plugin port_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = PORT_PLUGIN,
    .version = "1.0.0",
#ifdef PORT_RESTORE
    .description =
        "bring the incident host's switch port back up (SNMP SET ifAdminStatus up, checked)",
#else
    .description = "shut the incident host's switch port (SNMP SET ifAdminStatus down, checked)",
#endif
    .options = port_options,
    .config_size = sizeof(struct port_config),
    .create = port_create,
    .run = port_run,
    .inverse = PORT_INVERSE,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &port_plugin);
}
