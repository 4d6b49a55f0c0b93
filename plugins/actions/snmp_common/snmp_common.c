/* SPDX-License-Identifier: MIT */
/*
 * SNMP manager helpers of the network action plugins (see snmp_common.h):
 * inventory device to net-snmp session, requests bounded by the call's
 * deadline, net-snmp's outcomes mapped onto vigil statuses with messages that
 * name the device and the object, walks, and JSON readers.
 */
#include "snmp_common.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MIN_TRY_MS   50 /* a shorter wait for an answer is not worth sending */
#define BULK_REPEATS 24 /* variables asked for per GETBULK of a walk */

/*
 * net-snmp keeps global state (transports, USM users, engine times) and this
 * build of it is not reentrant: it is started once per process, and the
 * plugin's sessions take turns. The only mutable statics of the plugin.
 */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/*
 * Take the process-wide "net-snmp" lock (vigild's trap receiver and every SNMP
 * plugin share the library), waiting until the wall-clock deadline at most: 0,
 * or -1 when it passed.
 */
static int lock_until(int64_t deadline_ms)
{
    return vg_lock(NULL, "net-snmp", deadline_ms) == VG_OK ? 0 : -1;
}

static void unlock_lib(void)
{
    vg_unlock(NULL, "net-snmp");
}

/* When vigild's trap receiver has started net-snmp already, init_snmp does nothing. */
static void lib_init(void)
{
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    init_snmp("vigild");
}

/* Zero len bytes at p (see snmp_common.h). */
void snmpc_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        explicit_bzero(p, len);
    }
}

static void free_secret(char **s)
{
    if (*s != NULL) {
        snmpc_wipe(*s, strlen(*s));
        vg_free(*s);
        *s = NULL;
    }
}

/* Reset t, zeroing its secrets (see snmp_common.h). */
void snmpc_target_clear(struct snmpc_target *t)
{
    free_secret(&t->community);
    free_secret(&t->auth_key);
    free_secret(&t->priv_key);
    if (t->user != NULL) {
        vg_free(t->user);
    }
    memset(t, 0, sizeof(*t));
}

/* The string member name of obj, or NULL (see snmp_common.h). */
const char *snmpc_json_str(struct fjson_object *obj, const char *name)
{
    struct fjson_object *v;

    if (obj == NULL || !fjson_object_object_get_ex(obj, name, &v) ||
        !fjson_object_is_type(v, fjson_type_string)) {
        return NULL;
    }
    return fjson_object_get_string(v);
}

/* The integer member name of obj: 1 present, 0 absent, -1 malformed (see snmp_common.h). */
int snmpc_json_int(struct fjson_object *obj, const char *name, int64_t *out)
{
    struct fjson_object *v;
    const char *s;
    char *end;

    if (obj == NULL || !fjson_object_object_get_ex(obj, name, &v) || v == NULL) {
        return 0;
    }
    if (fjson_object_is_type(v, fjson_type_int)) {
        *out = fjson_object_get_int64(v);
        return 1;
    }
    if (!fjson_object_is_type(v, fjson_type_string)) {
        return -1;
    }
    s = fjson_object_get_string(v);
    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }
    *out = strtoll(s, &end, 10);
    return *end == '\0' ? 1 : -1;
}

/* An inventory entry parsed (see snmp_common.h). */
struct fjson_object *snmpc_inventory(struct vg_ctx *ctx, const char *section, const char *key,
                                     int *bad)
{
    char *text = vg_inventory_get(ctx, section, key);
    struct fjson_object *obj;

    *bad = 0;
    if (text == NULL) {
        return NULL;
    }
    obj = fjson_tokener_parse(text);
    vg_free(text);
    if (obj == NULL || !fjson_object_is_type(obj, fjson_type_object)) {
        if (obj != NULL) {
            fjson_object_put(obj);
        }
        vg_set_error(ctx, "the inventory's %s entry \"%s\" is not a JSON object", section, key);
        *bad = 1;
        return NULL;
    }
    return obj;
}

/* 1 when s is a literal IPv4 or IPv6 address (see snmp_common.h). */
int snmpc_is_ip(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Check a host name or address from the incident (see snmp_common.h). */
int snmpc_check_host(struct vg_ctx *ctx, const char *what, struct vg_str v)
{
    uint32_t kind = memchr(v.ptr, ':', v.len) != NULL ? VG_VAL_IP : VG_VAL_NAME;

    return vg_value_check(ctx, kind, what, v.ptr, v.len);
}

/* A host name for net-snmp's peer syntax: letters, digits, '.', '-'. */
static int plain_host_name(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-')) {
            return 0;
        }
    }
    return n > 0 && n < 254;
}

/* Read the secret named by the string member name of snmp into *out. */
static int load_secret(struct vg_ctx *ctx, struct fjson_object *snmp, const char *name,
                       const char *device, char **out)
{
    const char *ref = snmpc_json_str(snmp, name);

    if (ref == NULL) {
        vg_set_error(ctx,
                     "device %s: snmp.%s (a secret reference, \"file:...\" or \"env:...\") "
                     "is missing",
                     device, name);
        return VG_EINVAL;
    }
    *out = vg_secret_get(ctx, ref);
    return *out != NULL ? VG_OK : VG_ERR;
}

struct proto_name {
    const char *name; /* as the inventory writes it */
    oid *proto;       /* net-snmp's OID table */
    size_t len;       /* sub-ids */
};

static int find_proto(const struct proto_name *tab, size_t n, const char *name, oid **proto,
                      size_t *len)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(tab[i].name, name) == 0) {
            *proto = tab[i].proto;
            *len = tab[i].len;
            return 0;
        }
    }
    return -1;
}

static int load_v3(struct vg_ctx *ctx, struct fjson_object *snmp, struct snmpc_target *t)
{
    const struct proto_name auths[] = {
        {"MD5", usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol)},
        {"SHA", usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol)},
        {"SHA-224", usmHMAC128SHA224AuthProtocol, OID_LENGTH(usmHMAC128SHA224AuthProtocol)},
        {"SHA-256", usmHMAC192SHA256AuthProtocol, OID_LENGTH(usmHMAC192SHA256AuthProtocol)},
        {"SHA-384", usmHMAC256SHA384AuthProtocol, OID_LENGTH(usmHMAC256SHA384AuthProtocol)},
        {"SHA-512", usmHMAC384SHA512AuthProtocol, OID_LENGTH(usmHMAC384SHA512AuthProtocol)},
    };
    const struct proto_name privs[] = {
        {"AES", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)},
        {"AES-128", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)},
        {"AES-192", usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol)},
        {"AES-256", usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol)},
        {"DES", usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol)},
    };
    const char *user = snmpc_json_str(snmp, "user");
    const char *level = snmpc_json_str(snmp, "level");
    const char *auth = snmpc_json_str(snmp, "auth_protocol");
    const char *priv = snmpc_json_str(snmp, "priv_protocol");
    int rc;

    if (user == NULL || user[0] == '\0' || strlen(user) >= SNMPC_NAME_MAX) {
        vg_set_error(ctx, "device %s: SNMPv3 needs snmp.user", t->name);
        return VG_EINVAL;
    }
    if (level == NULL || strcmp(level, "authPriv") == 0) {
        t->level = SNMP_SEC_LEVEL_AUTHPRIV;
    } else if (strcmp(level, "authNoPriv") == 0) {
        t->level = SNMP_SEC_LEVEL_AUTHNOPRIV;
    } else {
        vg_set_error(ctx, "device %s: snmp.level \"%s\" is not authNoPriv or authPriv", t->name,
                     level);
        return VG_EINVAL;
    }
    if (find_proto(auths, sizeof(auths) / sizeof(auths[0]), auth != NULL ? auth : "SHA",
                   &t->auth_proto, &t->auth_proto_len) != 0) {
        vg_set_error(ctx,
                     "device %s: snmp.auth_protocol \"%s\" is not one of MD5, SHA, SHA-224, "
                     "SHA-256, SHA-384, SHA-512",
                     t->name, auth);
        return VG_EINVAL;
    }
    t->user = vg_alloc(strlen(user) + 1);
    if (t->user == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    memcpy(t->user, user, strlen(user) + 1);
    rc = load_secret(ctx, snmp, "auth_key", t->name, &t->auth_key);
    if (rc != VG_OK) {
        return rc;
    }
    if (strlen(t->auth_key) < 8) {
        vg_set_error(ctx, "device %s: the snmp.auth_key secret is shorter than 8 characters",
                     t->name);
        return VG_EINVAL;
    }
    if (t->level != SNMP_SEC_LEVEL_AUTHPRIV) {
        return VG_OK;
    }
    if (find_proto(privs, sizeof(privs) / sizeof(privs[0]), priv != NULL ? priv : "AES",
                   &t->priv_proto, &t->priv_proto_len) != 0) {
        vg_set_error(ctx,
                     "device %s: snmp.priv_protocol \"%s\" is not one of AES, AES-192, "
                     "AES-256, DES",
                     t->name, priv);
        return VG_EINVAL;
    }
    rc = load_secret(ctx, snmp, "priv_key", t->name, &t->priv_key);
    if (rc != VG_OK) {
        return rc;
    }
    if (strlen(t->priv_key) < 8) {
        vg_set_error(ctx, "device %s: the snmp.priv_key secret is shorter than 8 characters",
                     t->name);
        return VG_EINVAL;
    }
    return VG_OK;
}

/* The device's address: snmp.address, else addresses[0]. */
static const char *device_address(struct fjson_object *dev, struct fjson_object *snmp)
{
    const char *a = snmpc_json_str(snmp, "address");
    struct fjson_object *list;
    struct fjson_object *first;

    if (a != NULL) {
        return a;
    }
    if (!fjson_object_object_get_ex(dev, "addresses", &list) ||
        !fjson_object_is_type(list, fjson_type_array) || fjson_object_array_length(list) < 1) {
        return NULL;
    }
    first = fjson_object_array_get_idx(list, 0);
    return first != NULL && fjson_object_is_type(first, fjson_type_string)
               ? fjson_object_get_string(first)
               : NULL;
}

/* Fill t from the inventory's device entry (see snmp_common.h). */
int snmpc_target_load(struct vg_ctx *ctx, const char *device, struct snmpc_target *t,
                      struct fjson_object **devp)
{
    struct fjson_object *dev;
    struct fjson_object *snmp = NULL;
    const char *name;
    const char *addr;
    const char *version;
    int64_t port = 161;
    int bad;
    int rc = VG_EINVAL;

    memset(t, 0, sizeof(*t));
    if (devp != NULL) {
        *devp = NULL;
    }
    dev = snmpc_inventory(ctx, "devices", device, &bad);
    if (dev == NULL) {
        if (!bad) {
            vg_set_error(ctx, "device %s is not in the inventory", device);
        }
        return bad ? VG_EINVAL : VG_ENOENT;
    }
    name = snmpc_json_str(dev, "name");
    snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : device);
    if (!fjson_object_object_get_ex(dev, "snmp", &snmp) ||
        !fjson_object_is_type(snmp, fjson_type_object)) {
        vg_set_error(ctx, "device %s has no snmp settings in the inventory", t->name);
        goto out_put;
    }
    addr = device_address(dev, snmp);
    if (addr == NULL || (!snmpc_is_ip(addr) && !plain_host_name(addr))) {
        vg_set_error(ctx, "device %s has no usable address (snmp.address or addresses[0])",
                     t->name);
        goto out_put;
    }
    if (snmpc_json_int(snmp, "port", &port) < 0 || port < 1 || port > 65535) {
        vg_set_error(ctx, "device %s: snmp.port is not a port number", t->name);
        goto out_put;
    }
    snprintf(t->address, sizeof(t->address), "%s", addr);
    if (strchr(addr, ':') != NULL) {
        snprintf(t->peer, sizeof(t->peer), "udp6:[%s]:%d", addr, (int)port);
    } else {
        snprintf(t->peer, sizeof(t->peer), "udp:%s:%d", addr, (int)port);
    }
    version = snmpc_json_str(snmp, "version");
    if (version == NULL || strcmp(version, "2c") == 0) {
        t->version = SNMP_VERSION_2c;
    } else if (strcmp(version, "1") == 0) {
        t->version = SNMP_VERSION_1;
    } else if (strcmp(version, "3") == 0) {
        t->version = SNMP_VERSION_3;
    } else {
        vg_set_error(ctx, "device %s: snmp.version \"%s\" is not 1, 2c or 3", t->name, version);
        goto out_put;
    }
    if (t->version == SNMP_VERSION_3) {
        rc = load_v3(ctx, snmp, t);
    } else {
        rc = load_secret(ctx, snmp, "community", t->name, &t->community);
    }
    if (rc == VG_OK && devp != NULL) {
        *devp = dev;
        return VG_OK;
    }
out_put:
    fjson_object_put(dev);
    return rc;
}

/* Numeric dotted form of an OID, cut short to fit. */
static void fmt_oid(const oid *o, size_t len, char *buf, size_t cap)
{
    size_t used = 0;
    size_t i;

    buf[0] = '\0';
    for (i = 0; i < len && used + 1 < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%lu", i > 0 ? "." : "", (unsigned long)o[i]);

        if (n < 0 || (size_t)n >= cap - used) {
            break;
        }
        used += (size_t)n;
    }
}

/* Map a net-snmp library error (snmp_errno) onto a vigil status. */
static int lib_status(int snmperr)
{
    switch (snmperr) {
    case SNMPERR_TIMEOUT:
    case SNMPERR_BAD_SENDTO:
    case SNMPERR_BAD_RECVFROM:
    case SNMPERR_NOT_IN_TIME_WINDOW:
        return VG_EAGAIN;
    default:
        return VG_ERR;
    }
}

/* Fit the session's wait per send and re-sends into the time left; 0, or -1 when none is. */
static int fit_timeout(struct snmpc_sess *s, netsnmp_session *ns, int64_t *wait_ms)
{
    int64_t left = s->deadline_ms - vg_now_ms(s->ctx);
    int64_t tries = s->retries + 1;
    int64_t per = s->try_ms;

    while (tries > 1 && per * tries > left) {
        tries--;
    }
    if (per * tries > left) {
        per = left / tries;
    }
    if (per < MIN_TRY_MS) {
        return -1;
    }
    ns->timeout = (long)(per * 1000);
    ns->retries = (int)(tries - 1);
    *wait_ms = per * tries;
    return 0;
}

/* 1 when the keys k (Ku of ns's auth protocol) localized for the engine differ from kul. */
static int key_differs(netsnmp_session *ns, const u_char *k, size_t k_len, const u_char *kul,
                       size_t kul_len)
{
    u_char mine[USM_AUTH_KU_LEN];
    size_t len = sizeof(mine);
    int differs;

    if (kul == NULL ||
        generate_kul(ns->securityAuthProto, (u_int)ns->securityAuthProtoLen, ns->securityEngineID,
                     ns->securityEngineIDLen, k, k_len, mine, &len) != SNMPERR_SUCCESS) {
        return 1;
    }
    /* Privacy keys may be longer (extended for AES-192/256) or cut (DES, AES-128). */
    differs = memcmp(mine, kul, len < kul_len ? len : kul_len) != 0;
    snmpc_wipe(mine, sizeof(mine));
    return differs;
}

/* 1 when u, the process's user for ns's engine and name, does not hold ns's protocols and keys. */
static int user_stale(netsnmp_session *ns, const struct usmUser *u)
{
    if (snmp_oid_compare(u->authProtocol, u->authProtocolLen, ns->securityAuthProto,
                         ns->securityAuthProtoLen) != 0 ||
        key_differs(ns, ns->securityAuthKey, ns->securityAuthKeyLen, u->authKey, u->authKeyLen)) {
        return 1;
    }
    if (ns->securityLevel != SNMP_SEC_LEVEL_AUTHPRIV) {
        return 0;
    }
    return snmp_oid_compare(u->privProtocol, u->privProtocolLen, ns->securityPrivProto,
                            ns->securityPrivProtoLen) != 0 ||
           key_differs(ns, ns->securityPrivKey, ns->securityPrivKeyLen, u->privKey, u->privKeyLen);
}

/*
 * Discover the engine id of the session's device (a request without
 * authentication, answered by a Report) and set up the process's USM user for
 * it. net-snmp keeps one user per (engine id, user name) for the whole process
 * and never changes the keys of one it has, so after a key change, or beside
 * another inventory entry with other keys for the same device and user, every
 * session would use the old keys: a user created by sessions (ST_READONLY; the
 * trap receiver's configured users are not) whose protocols or keys differ
 * from this session's is replaced first. Under lib_lock.
 */
static int discover(struct snmpc_sess *s, int64_t wait_ms)
{
    netsnmp_session *ns = snmp_sess_session(s->handle);
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
    netsnmp_pdu *resp = NULL;
    struct usmUser *u;
    int st;

    if (pdu == NULL || ns == NULL) {
        if (pdu != NULL) {
            snmp_free_pdu(pdu);
        }
        vg_set_error(s->ctx, "out of memory");
        return VG_ENOMEM;
    }
    pdu->version = SNMP_VERSION_3;
    pdu->securityModel = SNMP_SEC_MODEL_USM;
    pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    st = snmp_sess_synch_response(s->handle, pdu, &resp);
    if (resp != NULL) {
        snmp_free_pdu(resp);
    }
    if (ns->securityEngineIDLen == 0) {
        vg_set_error(s->ctx, "%s from device %s (%s) to SNMPv3 engine discovery within %lld ms",
                     st == STAT_TIMEOUT ? "no answer" : "no engine id", s->device, ns->peername,
                     (long long)wait_ms);
        return st == STAT_TIMEOUT ? VG_EAGAIN : VG_ERR;
    }
    u = usm_get_user(ns->securityEngineID, ns->securityEngineIDLen, ns->securityName);
    if (u != NULL && u->userStorageType == ST_READONLY && user_stale(ns, u)) {
        usm_remove_user(u);
        u->next = NULL;
        u->prev = NULL;
        usm_free_user(u);
        vg_log(s->ctx, VG_LOG_INFO, "device %s: SNMPv3 keys of user %s renewed", s->device,
               ns->securityName);
    }
    ns->flags &= ~SNMP_FLAGS_USER_CREATED;
    if (usm_create_user_from_session(ns) != SNMPERR_SUCCESS) {
        vg_set_error(s->ctx, "device %s: cannot set up SNMPv3 user %s", s->device,
                     ns->securityName);
        return VG_ERR;
    }
    return VG_OK;
}

/* Open a session (see snmp_common.h). */
int snmpc_open(struct vg_ctx *ctx, const struct snmpc_target *t, int64_t deadline_ms,
               int64_t try_ms, int retries, struct snmpc_sess *s)
{
    netsnmp_session ns;
    char peer[SNMPC_NAME_MAX];
    char user[SNMPC_NAME_MAX];
    int64_t wait_ms = 0;
    int rc = VG_OK;

    memset(s, 0, sizeof(*s));
    s->ctx = ctx;
    s->device = t->name;
    s->deadline_ms = deadline_ms;
    s->try_ms = try_ms;
    s->retries = retries;
    s->bulk = t->version != SNMP_VERSION_1;
    s->v3 = t->version == SNMP_VERSION_3;
    if (lock_until(deadline_ms) != 0) {
        vg_set_error(ctx, "no time left to reach device %s: the SNMP library is busy", t->name);
        return VG_EAGAIN;
    }
    pthread_once(&lib_once, lib_init);
    unlock_lib();

    snmp_sess_init(&ns);
    snprintf(peer, sizeof(peer), "%s", t->peer);
    ns.peername = peer;
    ns.version = t->version;
    if (t->version == SNMP_VERSION_3) {
        ns.flags |= SNMP_FLAGS_DONT_PROBE; /* discover() does it, minding stale users */
    }
    if (t->version != SNMP_VERSION_3) {
        ns.community = (u_char *)t->community;
        ns.community_len = strlen(t->community);
    } else {
        snprintf(user, sizeof(user), "%s", t->user);
        ns.securityName = user;
        ns.securityNameLen = strlen(user);
        ns.securityLevel = t->level;
        ns.securityAuthProto = t->auth_proto;
        ns.securityAuthProtoLen = t->auth_proto_len;
        ns.securityAuthKeyLen = USM_AUTH_KU_LEN;
        if (generate_Ku(t->auth_proto, (u_int)t->auth_proto_len, (u_char *)t->auth_key,
                        strlen(t->auth_key), ns.securityAuthKey,
                        &ns.securityAuthKeyLen) != SNMPERR_SUCCESS) {
            vg_set_error(ctx, "device %s: cannot derive the SNMPv3 authentication key", t->name);
            rc = VG_EINVAL;
            goto out_wipe;
        }
        if (t->level == SNMP_SEC_LEVEL_AUTHPRIV) {
            ns.securityPrivProto = t->priv_proto;
            ns.securityPrivProtoLen = t->priv_proto_len;
            ns.securityPrivKeyLen = USM_PRIV_KU_LEN;
            if (generate_Ku(t->auth_proto, (u_int)t->auth_proto_len, (u_char *)t->priv_key,
                            strlen(t->priv_key), ns.securityPrivKey,
                            &ns.securityPrivKeyLen) != SNMPERR_SUCCESS) {
                vg_set_error(ctx, "device %s: cannot derive the SNMPv3 privacy key", t->name);
                rc = VG_EINVAL;
                goto out_wipe;
            }
        }
    }
    if (lock_until(deadline_ms) != 0) {
        vg_set_error(ctx,
                     "no time left to reach device %s: other SNMP calls of this plugin took it",
                     t->name);
        rc = VG_EAGAIN;
        goto out_wipe;
    }
    if (fit_timeout(s, &ns, &wait_ms) != 0) {
        unlock_lib();
        vg_set_error(ctx, "no time left to reach device %s", t->name);
        rc = VG_ETIMEDOUT;
        goto out_wipe;
    }
    s->handle = snmp_sess_open(&ns);
    if (s->handle == NULL) {
        int liberr = 0;
        int snmperr = 0;
        char *msg = NULL;

        snmp_error(&ns, &liberr, &snmperr, &msg);
        unlock_lib();
        rc = lib_status(snmperr);
        if (rc == VG_EAGAIN && t->version == SNMP_VERSION_3) {
            vg_set_error(ctx,
                         "no answer from device %s (%s) to SNMPv3 engine discovery within %lld "
                         "ms",
                         t->name, t->peer, (long long)wait_ms);
        } else {
            vg_set_error(ctx, "cannot open an SNMP session to device %s (%s): %s", t->name, t->peer,
                         msg != NULL ? msg : "unknown error");
        }
        free(msg);
    } else {
        if (s->v3) {
            rc = discover(s, wait_ms);
        }
        unlock_lib();
    }
out_wipe:
    snmpc_wipe(ns.securityAuthKey, sizeof(ns.securityAuthKey));
    snmpc_wipe(ns.securityPrivKey, sizeof(ns.securityPrivKey));
    return rc;
}

/* Close a session (see snmp_common.h). */
void snmpc_close(struct snmpc_sess *s)
{
    if (s->handle != NULL) {
        (void)lock_until(INT64_MAX);
        snmp_sess_close(s->handle);
        unlock_lib();
        s->handle = NULL;
    }
}

/* Send pdu and wait; *resp is the answer whatever its error-status. */
static int exchange(struct snmpc_sess *s, netsnmp_pdu *pdu, const char *what, netsnmp_pdu **resp)
{
    netsnmp_session *ns = snmp_sess_session(s->handle);
    int64_t wait_ms = 0;
    int snmperr = 0;
    char *msg = NULL;
    int st;

    *resp = NULL;
    if (lock_until(s->deadline_ms) != 0) {
        snmp_free_pdu(pdu);
        vg_set_error(s->ctx,
                     "no time left for %s on device %s: other SNMP calls of this plugin "
                     "took it",
                     what, s->device);
        return VG_EAGAIN;
    }
    if (ns == NULL || fit_timeout(s, ns, &wait_ms) != 0) {
        unlock_lib();
        snmp_free_pdu(pdu);
        vg_set_error(s->ctx, "no time left for %s on device %s", what, s->device);
        return VG_ETIMEDOUT;
    }
    st = snmp_sess_synch_response(s->handle, pdu, resp);
    if (st != STAT_SUCCESS && st != STAT_TIMEOUT) {
        int liberr = 0;

        snmp_sess_error(s->handle, &liberr, &snmperr, &msg);
    }
    unlock_lib();
    if (st == STAT_SUCCESS && *resp != NULL) {
        return VG_OK;
    }
    if (*resp != NULL) {
        snmp_free_pdu(*resp);
        *resp = NULL;
    }
    if (st == STAT_TIMEOUT || snmperr == SNMPERR_TIMEOUT) {
        free(msg);
        /* An agent drops a wrong community, or a v3 message it cannot decrypt, without a word. */
        vg_set_error(s->ctx, "no answer from device %s (%s) to %s within %lld ms%s", s->device,
                     ns->peername, what, (long long)wait_ms,
                     s->v3 ? " (unreachable, or a wrong privacy key)"
                           : " (unreachable, or a wrong community)");
        return VG_EAGAIN;
    }
    vg_set_error(s->ctx, "%s on device %s failed: %s", what, s->device,
                 msg != NULL ? msg : "unknown error");
    free(msg);
    return lib_status(snmperr);
}

/* The varbind at 1-based index i of resp, or NULL. */
static netsnmp_variable_list *var_at(netsnmp_pdu *resp, long i)
{
    netsnmp_variable_list *v = resp->variables;

    for (; v != NULL && i > 1; i--) {
        v = v->next_variable;
    }
    return i == 1 ? v : NULL;
}

/* Send and wait; an error-status is a failure (see snmp_common.h). */
int snmpc_request(struct snmpc_sess *s, netsnmp_pdu *pdu, const char *what, netsnmp_pdu **resp)
{
    netsnmp_variable_list *v;
    char name[256] = "?";
    long errstat;
    int rc = exchange(s, pdu, what, resp);

    if (rc != VG_OK || (*resp)->errstat == SNMP_ERR_NOERROR) {
        return rc;
    }
    errstat = (*resp)->errstat;
    v = var_at(*resp, (*resp)->errindex);
    if (v != NULL) {
        fmt_oid(v->name, v->name_length, name, sizeof(name));
    }
    vg_set_error(s->ctx, "device %s refused %s: %s (variable %ld, %s)", s->device, what,
                 snmp_errstring((int)errstat), (*resp)->errindex, name);
    snmp_free_pdu(*resp);
    *resp = NULL;
    return errstat == SNMP_ERR_RESOURCEUNAVAILABLE ? VG_EAGAIN : VG_ERR;
}

/* GET integers (see snmp_common.h). */
int snmpc_get_ints(struct snmpc_sess *s, const oid *const *names, const size_t *lens, size_t n,
                   long *vals, const char *what)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
    netsnmp_pdu *resp = NULL;
    netsnmp_variable_list *v;
    size_t i;
    int rc;

    if (pdu == NULL) {
        vg_set_error(s->ctx, "out of memory");
        return VG_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        snmp_add_null_var(pdu, names[i], lens[i]);
    }
    rc = snmpc_request(s, pdu, what, &resp);
    if (rc != VG_OK) {
        return rc;
    }
    for (i = 0, v = resp->variables; i < n; i++, v = v->next_variable) {
        char name[256];

        fmt_oid(names[i], lens[i], name, sizeof(name));
        if (v == NULL || snmp_oid_compare(v->name, v->name_length, names[i], lens[i]) != 0) {
            vg_set_error(s->ctx, "device %s answered %s with other variables than asked for",
                         s->device, what);
            rc = VG_ERR;
            break;
        }
        if (v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE ||
            v->type == SNMP_ENDOFMIBVIEW) {
            vg_set_error(s->ctx, "device %s has no %s (%s: %s)", s->device, name, what,
                         v->type == SNMP_NOSUCHOBJECT ? "noSuchObject" : "noSuchInstance");
            rc = VG_ERR;
            break;
        }
        if (v->type != ASN_INTEGER || v->val.integer == NULL) {
            vg_set_error(s->ctx, "device %s: %s is not an INTEGER (%s)", s->device, name, what);
            rc = VG_ERR;
            break;
        }
        vals[i] = *v->val.integer;
    }
    snmp_free_pdu(resp);
    return rc;
}

static int in_subtree(const oid *root, size_t root_len, const netsnmp_variable_list *v)
{
    return v->name_length > root_len && memcmp(v->name, root, root_len * sizeof(oid)) == 0;
}

/* Walk a subtree (see snmp_common.h). */
int snmpc_walk(struct snmpc_sess *s, const oid *root, size_t root_len, size_t max_rows,
               int (*fn)(const netsnmp_variable_list *v, void *arg), void *arg, int *stopped)
{
    oid cur[MAX_OID_LEN];
    size_t cur_len = root_len;
    size_t rows = 0;
    char what[300];
    char name[256];

    *stopped = 0;
    fmt_oid(root, root_len, name, sizeof(name));
    snprintf(what, sizeof(what), "a walk of %s", name);
    memcpy(cur, root, root_len * sizeof(oid));
    while (rows < max_rows) {
        netsnmp_pdu *pdu = snmp_pdu_create(s->bulk ? SNMP_MSG_GETBULK : SNMP_MSG_GETNEXT);
        netsnmp_pdu *resp = NULL;
        netsnmp_variable_list *v;
        int rc;

        if (pdu == NULL) {
            vg_set_error(s->ctx, "out of memory");
            return VG_ENOMEM;
        }
        if (s->bulk) {
            pdu->non_repeaters = 0;
            pdu->max_repetitions = BULK_REPEATS;
        }
        snmp_add_null_var(pdu, cur, cur_len);
        rc = exchange(s, pdu, what, &resp);
        if (rc != VG_OK) {
            return rc;
        }
        if (resp->errstat == SNMP_ERR_NOSUCHNAME && !s->bulk) {
            snmp_free_pdu(resp); /* v1: the end of the agent's MIB view */
            return VG_OK;
        }
        if (resp->errstat != SNMP_ERR_NOERROR) {
            vg_set_error(s->ctx, "device %s refused %s: %s", s->device, what,
                         snmp_errstring((int)resp->errstat));
            snmp_free_pdu(resp);
            return VG_ERR;
        }
        if (resp->variables == NULL) {
            snmp_free_pdu(resp); /* nothing more: the walk cannot go on */
            return VG_OK;
        }
        for (v = resp->variables; v != NULL; v = v->next_variable) {
            int r;

            if (v->type == SNMP_ENDOFMIBVIEW || v->type == SNMP_NOSUCHOBJECT ||
                v->type == SNMP_NOSUCHINSTANCE || !in_subtree(root, root_len, v)) {
                snmp_free_pdu(resp);
                return VG_OK;
            }
            if (snmp_oid_compare(v->name, v->name_length, cur, cur_len) <= 0 ||
                v->name_length > MAX_OID_LEN) {
                vg_set_error(s->ctx, "device %s answered %s out of order", s->device, what);
                snmp_free_pdu(resp);
                return VG_ERR;
            }
            memcpy(cur, v->name, v->name_length * sizeof(oid));
            cur_len = v->name_length;
            rows++;
            r = fn(v, arg);
            if (r != 0) {
                snmp_free_pdu(resp);
                *stopped = 1;
                return r > 0 ? VG_OK : r;
            }
            if (rows >= max_rows) {
                break;
            }
        }
        snmp_free_pdu(resp);
    }
    vg_set_error(s->ctx, "device %s: %s returned more than %zu variables", s->device, what,
                 max_rows);
    return VG_ERR;
}
