/* SPDX-License-Identifier: MIT */
/*
 * SNMP manager helpers shared by the action plugins that talk to network devices
 * (port_isolate, port_restore, switch_config_restore). Each plugin compiles
 * snmp_common.c into its own shared object: the device's SNMP settings from the
 * inventory (secrets through vg_secret_get()), a v1/v2c/v3 session whose timeout
 * and retries fit the call's deadline, GET/SET/walk with net-snmp's statuses
 * mapped onto vigil's (a timeout is VG_EAGAIN, an error-status a permanent VG_ERR
 * with the reason), and small JSON readers for inventory entries.
 */
#ifndef VG_PLUGINS_SNMP_COMMON_H
#define VG_PLUGINS_SNMP_COMMON_H

#include <libfastjson/json.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

#define SNMPC_NAME_MAX 256 /* device names and peer specifications */

/* One device as the inventory describes it, ready for a session; clear with snmpc_target_clear. */
struct snmpc_target {
    char name[SNMPC_NAME_MAX];    /* devices[].name */
    char address[SNMPC_NAME_MAX]; /* snmp.address or addresses[0] */
    char peer[SNMPC_NAME_MAX];    /* net-snmp peer: "udp:ADDR:PORT" or "udp6:[ADDR]:PORT" */
    long version;                 /* SNMP_VERSION_1, SNMP_VERSION_2c or SNMP_VERSION_3 */
    char *community;              /* v1/v2c: the secret (vg_alloc), zeroed when cleared */
    char *user;                   /* v3: securityName (vg_alloc) */
    int level;                    /* v3: SNMP_SEC_LEVEL_AUTHNOPRIV or SNMP_SEC_LEVEL_AUTHPRIV */
    oid *auth_proto;              /* v3: net-snmp's authentication protocol OID (its table) */
    size_t auth_proto_len;        /* sub-ids of auth_proto */
    oid *priv_proto;              /* v3 authPriv: privacy protocol OID (net-snmp's table) */
    size_t priv_proto_len;        /* sub-ids of priv_proto */
    char *auth_key;               /* v3: authentication passphrase (secret, vg_alloc) */
    char *priv_key;               /* v3 authPriv: privacy passphrase (secret, vg_alloc) */
};

/* An open session bound to one call's deadline; opened by snmpc_open, closed by snmpc_close. */
struct snmpc_sess {
    void *handle;        /* net-snmp single-session handle */
    struct vg_ctx *ctx;  /* the call's context, for errors */
    const char *device;  /* device name for messages (borrowed from the target) */
    int64_t deadline_ms; /* wall-clock deadline of the call */
    int64_t try_ms;      /* longest wait for one answer */
    int retries;         /* re-sends after a timeout, within the deadline */
    int bulk;            /* 1: walks use GETBULK (v2c, v3) */
    int v3;              /* 1: SNMPv3 (no community to get wrong) */
};

/*
 * Look up device in the inventory and fill t from its "snmp" object: version,
 * port, address and the secrets, which are read through vg_secret_get(). *dev
 * receives the parsed device object (release with fjson_object_put), or NULL
 * when dev is NULL. Returns VG_OK; VG_ENOENT when the device is not in the
 * inventory; VG_EINVAL when its SNMP settings are incomplete or unknown; VG_ERR
 * when a secret cannot be read. The error is set in all failure cases. Any
 * thread; t must be cleared with snmpc_target_clear() afterwards in all cases.
 */
int snmpc_target_load(struct vg_ctx *ctx, const char *device, struct snmpc_target *t,
                      struct fjson_object **dev);

/* Zero and free the secrets of t and reset it; safe on a zeroed or cleared target. */
void snmpc_target_clear(struct snmpc_target *t);

/*
 * Open a session to t for a call whose wall-clock deadline is deadline_ms, each
 * request waiting at most try_ms per send and re-sent up to retries times as the
 * time left allows. For v3 the engine id is discovered here and the process's
 * USM user for (engine id, user) set up from t's keys, replacing one with other
 * keys that net-snmp kept from an earlier session. Each exchange with net-snmp
 * takes the plugin's lock (net-snmp is not built reentrant), waiting for it no
 * longer than the deadline. Returns VG_OK, VG_EAGAIN (no answer: the device or
 * network may come back), VG_ETIMEDOUT (the deadline passed) or VG_ERR /
 * VG_EINVAL with the error set; s must be closed with snmpc_close() in every
 * case.
 */
int snmpc_open(struct vg_ctx *ctx, const struct snmpc_target *t, int64_t deadline_ms,
               int64_t try_ms, int retries, struct snmpc_sess *s);

/* Close s (safe after a failed snmpc_open). */
void snmpc_close(struct snmpc_sess *s);

/*
 * Send pdu (consumed) and wait for the answer within the deadline. *resp is set
 * only on VG_OK (free it with snmp_free_pdu); an error-status in the answer is
 * a failure (VG_ERR, or VG_EAGAIN for resourceUnavailable) whose message names
 * what and the failed variable. Timeouts give VG_EAGAIN, or VG_ETIMEDOUT when
 * the deadline left no time.
 */
int snmpc_request(struct snmpc_sess *s, netsnmp_pdu *pdu, const char *what, netsnmp_pdu **resp);

/*
 * GET n integer objects in one request into vals. An object the agent does not
 * have (noSuchObject, noSuchInstance, endOfMibView, v1 noSuchName) or of another
 * type is a permanent VG_ERR naming it. Statuses as snmpc_request().
 */
int snmpc_get_ints(struct snmpc_sess *s, const oid *const *names, const size_t *lens, size_t n,
                   long *vals, const char *what);

/*
 * Walk the subtree under root (GETBULK, or GETNEXT for v1), calling fn for each
 * variable until fn returns non-zero (the walk stops: that value, when positive,
 * is returned as VG_OK with *stopped set to 1) or the subtree ends. Bounded by
 * the deadline and by max_rows variables. Statuses as snmpc_request().
 */
int snmpc_walk(struct snmpc_sess *s, const oid *root, size_t root_len, size_t max_rows,
               int (*fn)(const netsnmp_variable_list *v, void *arg), void *arg, int *stopped);

/* The string member name of obj, or NULL when absent or not a string. */
const char *snmpc_json_str(struct fjson_object *obj, const char *name);

/*
 * The integer member name of obj (a JSON integer, or a string of digits) into
 * *out. Returns 1 when present and valid, 0 when absent, -1 when malformed.
 */
int snmpc_json_int(struct fjson_object *obj, const char *name, int64_t *out);

/*
 * The inventory entry section/key parsed, or NULL when absent (no error set)
 * or unparsable (error set and *bad = 1). Release with fjson_object_put.
 */
struct fjson_object *snmpc_inventory(struct vg_ctx *ctx, const char *section, const char *key,
                                     int *bad);

/* 1 when s is a literal IPv4 or IPv6 address. */
int snmpc_is_ip(const char *s);

/*
 * Check a value that came from the incident before use: an IP address (it has a
 * ':' or is a dotted quad) with VG_VAL_IP, anything else with VG_VAL_NAME.
 * Returns vg_value_check()'s status.
 */
int snmpc_check_host(struct vg_ctx *ctx, const char *what, struct vg_str v);

/* Zero len bytes at p where the compiler cannot drop it (secrets). */
void snmpc_wipe(void *p, size_t len);

#endif /* VG_PLUGINS_SNMP_COMMON_H */
