/* SPDX-License-Identifier: MIT */
/*
 * Rule plugin "hacker_attack": the procedure's 5.2.1 (hacker attack). Each rule of
 * the class feeds it one kind of evidence, keyed as the rule says: brute force
 * (authentication failures of one source counted in a window), a successful
 * login of that source soon after the brute force (a sequence failure, login in
 * Redis, then the brute-force mark), IDS/IPS signatures, SNMP authentication-
 * failure storms (counted per agent), port scans (distinct destination ports)
 * and configuration changes from an address outside `admin_networks`. The
 * incident names the source, the attacked target and, from the inventory, its
 * switch port: 5.2.1.1 (isolate the attacked host) is for the port_isolate action
 * when the target is an inventory host with a switch port, else for a person.
 * Serious (severity critical, 5.2.1.4 to the leadership group with the authority
 * report): a login after brute force, a target of criticality high or critical,
 * or an IDS signature of severity `ids_serious` or more; a key found serious
 * stays so for `serious_memory`, which is also how long its incident waits for
 * people to resolve it (after its last reported evidence, and after each attack
 * event while it is serious). Other incidents resolve after `quiet` without
 * attack events of their key; the rule's hold-down then closes them.
 *
 * Depths (docs/plugin-abi.md: a batch runs the operations of all its jobs depth
 * by depth, so only calls at one depth keep the order of the events): on_event
 * queues the counts, the login sequence and the test of the key's serious
 * context; the "quiet" heartbeat (its window chosen by that test) and the tests
 * before a report come at the second depth; every incident call comes from the
 * third: the reports, and the resolution of a key fallen quiet, which is made
 * where its deadline fires (in the heartbeat, so it is dated by the deadline).
 * A deadline the timer fires (no event came) resolves in a job of its own one
 * depth earlier: before the reports of the events queued after it, as it should.
 * Event values reach notes and findings cleaned (control characters and bytes
 * that are not UTF-8 replaced) and cut short; contexts are named by a hash of
 * the whole key, so any key (long, or holding a NUL) has its own.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <libfastjson/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/plugin.h>

#include "class_common.h"

const struct vg_host_api *vg_host;

#define NETS_MAX     64                       /* admin networks at most */
#define CTX_SERIOUS  "hacker_attack.serious." /* + the key's hash: the key was found serious */
#define CTX_BRUTE    "hacker_attack.brute."   /* + the key's hash: brute force, in login_window */
#define COUNT_MAX    0xffffff                 /* counts carried in a cookie */
#define SHOW_MAX     64                       /* bytes of one event or inventory value in a note */
#define KEEP_MAX     255                      /* bytes of one such value in the findings */
#define NOTE_MAX     512                      /* bytes of a note the core takes */
#define FINDINGS_MAX 16384                    /* bytes of findings the core takes (16 KiB) */
#define WAS_SERIOUS  0x100u                   /* ST_BEATEN: the key was serious before */

/* What a state result is for: the low four bits of its cookie. */
enum {
    ST_NONE = 0,   /* a deadline, or a result nothing waits for */
    ST_BRUTE = 1,  /* the count of authentication failures */
    ST_LOGIN = 2,  /* the sequence failure, then a successful login */
    ST_SNMP = 3,   /* the count of SNMP authentication failures */
    ST_SCAN = 4,   /* the distinct destination ports */
    ST_REPORT = 5, /* the serious context of the key, before an incident call */
    ST_AFTER = 6,  /* the brute-force context, after a successful login */
    ST_BEAT = 7,   /* the serious context before the quiet beat (bits 4-7: a kind to report) */
    ST_BEATEN = 8, /* the quiet beat (bits 4-7: a kind to report, WAS_SERIOUS) */
};

/* Kinds of evidence, carried in bits 4-7 of an ST_REPORT cookie; bits 8-31 carry a count. */
enum ha_kind {
    K_BRUTE = 1,  /* authentication failures from one source */
    K_LOGIN = 2,  /* a successful login after them */
    K_IDS = 3,    /* an IDS/IPS signature */
    K_SNMP = 4,   /* an SNMP authentication-failure storm */
    K_SCAN = 5,   /* a port scan */
    K_CONFIG = 6, /* a configuration change from outside the admin networks */
};

static const char *const kind_names[] = {
    "",
    "brute_force",
    "login_after_brute_force",
    "ids_signature",
    "snmp_auth_storm",
    "port_scan",
    "config_from_unknown_address",
};

static const char *const level_names[] = {"unknown", "info", "low", "medium", "high", "critical"};

struct ha_config {
    struct vg_strlist auth_failed;    /* actions counted as authentication failures */
    struct vg_strlist auth_succeeded; /* actions that are successful logins */
    int64_t brute_count;              /* failures within brute_ms: brute force */
    int64_t brute_ms;                 /* their window */
    int64_t login_ms;                 /* a login this soon after brute force: compromise */
    struct vg_strlist ids;            /* IDS/IPS signature actions */
    const char *ids_serious;          /* signature severity that is serious */
    struct vg_strlist snmp;           /* SNMP authentication-failure actions */
    int64_t snmp_count;               /* failures within snmp_ms: a storm */
    int64_t snmp_ms;                  /* their window */
    struct vg_strlist scan;           /* connection attempts carrying destination.port */
    int64_t scan_ports;               /* distinct ports within scan_ms: a scan */
    int64_t scan_ms;                  /* their window */
    struct vg_strlist config;         /* configuration change actions */
    struct vg_strlist admin_networks; /* where changes may come from (CIDR) */
    int64_t quiet_ms;                 /* no attack events this long: resolved */
    int64_t memory_ms;                /* a serious key stays serious (and open) this long */
};

static const struct vg_option ha_options[] = {
    {"auth_failed", VG_OPT_STRLIST, "[\"ssh.auth_failed\", \"login.failed\"]", 0,
     offsetof(struct ha_config, auth_failed),
     "event.action values counted as authentication failures of a source (brute force)"},
    {"auth_succeeded", VG_OPT_STRLIST, "[\"ssh.auth_succeeded\", \"login.succeeded\"]", 0,
     offsetof(struct ha_config, auth_succeeded),
     "event.action values of a successful login (serious after brute force)"},
    {"brute_force_count", VG_OPT_INT, "5", 0, offsetof(struct ha_config, brute_count),
     "authentication failures of one source within brute_force_window that are brute force"},
    {"brute_force_window", VG_OPT_DURATION, "10m", 0, offsetof(struct ha_config, brute_ms),
     "the window of brute_force_count (the source is then counted anew after it)"},
    {"login_window", VG_OPT_DURATION, "30m", 0, offsetof(struct ha_config, login_ms),
     "a successful login of the source this soon after its failures, when they were brute "
     "force, is serious"},
    {"ids", VG_OPT_STRLIST, "[\"ids.alert\"]", 0, offsetof(struct ha_config, ids),
     "event.action values of IDS/IPS signatures (each one reported)"},
    {"ids_serious", VG_OPT_STR, "\"high\"", 0, offsetof(struct ha_config, ids_serious),
     "signature severity (info, low, medium, high, critical) from which a signature is serious"},
    {"snmp_auth", VG_OPT_STRLIST, "[\"snmp.auth_failure\"]", 0, offsetof(struct ha_config, snmp),
     "event.action values of SNMP authentication failures"},
    {"snmp_count", VG_OPT_INT, "10", 0, offsetof(struct ha_config, snmp_count),
     "SNMP authentication failures of one key within snmp_window that are a storm"},
    {"snmp_window", VG_OPT_DURATION, "1m", 0, offsetof(struct ha_config, snmp_ms),
     "the window of snmp_count"},
    {"scan", VG_OPT_STRLIST, "[\"firewall.denied\"]", 0, offsetof(struct ha_config, scan),
     "event.action values of connection attempts with destination.port (port scans)"},
    {"scan_ports", VG_OPT_INT, "10", 0, offsetof(struct ha_config, scan_ports),
     "distinct destination ports of one key within scan_window that are a port scan"},
    {"scan_window", VG_OPT_DURATION, "1m", 0, offsetof(struct ha_config, scan_ms),
     "the window of scan_ports"},
    {"config", VG_OPT_STRLIST, "[\"config.changed\"]", 0, offsetof(struct ha_config, config),
     "event.action values of configuration changes (with source.ip)"},
    {"admin_networks", VG_OPT_STRLIST, "[]", 0, offsetof(struct ha_config, admin_networks),
     "networks (CIDR) configuration changes may come from; a change from elsewhere is an "
     "attack; none: changes are not checked"},
    {"quiet", VG_OPT_DURATION, "1h", 0, offsetof(struct ha_config, quiet_ms),
     "an incident resolves after this long without attack events of its key (not less than "
     "login_window)"},
    {"serious_memory", VG_OPT_DURATION, "30d", 0, offsetof(struct ha_config, memory_ms),
     "a key found serious stays serious this long (its evidence opens critical incidents), and "
     "its incident resolves only this long after its last reported evidence: people resolve it"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* One admin network. */
struct net {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network address, network byte order */
    unsigned bits;          /* prefix length */
};

struct ha_state {
    const struct ha_config *cfg; /* the core's config block (read-only) */
    struct net nets[NETS_MAX];   /* admin_networks, parsed */
    size_t n_nets;               /* entries in nets */
    int ids_serious;             /* 1..5 */
};

/* What the inventory says about an attacked target; every member cleaned (clean()). */
struct target {
    char value[256];      /* the address or name in the event */
    char name[1025];      /* its inventory name (at most 1024 bytes), or "" */
    char kind[8];         /* "host", "device" or "" */
    char sw[1025];        /* host: the switch (a device name), or "" */
    char port[256];       /* host: the switch port (or ifIndex), or "" */
    char criticality[16]; /* its criticality, or "" */
};

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address: 1 when it was one. */
static int unmap(int *family, unsigned char *a)
{
    static const unsigned char head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (*family != AF_INET6 || memcmp(a, head, sizeof(head)) != 0) {
        return 0;
    }
    memmove(a, a + sizeof(head), 4);
    memset(a + 4, 0, 12);
    *family = AF_INET;
    return 1;
}

static int parse_net(const char *s, struct net *n)
{
    char buf[80];
    char *slash;
    unsigned max;

    if (strlen(s) >= sizeof(buf)) {
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    memset(n, 0, sizeof(*n));
    n->family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
    if (inet_pton(n->family, buf, n->addr) != 1) {
        return -1;
    }
    max = n->family == AF_INET ? 32 : 128;
    n->bits = max;
    if (slash != NULL) {
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);

        if (slash[1] == '\0' || *end != '\0' || b > max) {
            return -1;
        }
        n->bits = (unsigned)b;
    }
    if (n->bits >= 96 && unmap(&n->family, n->addr)) {
        n->bits -= 96;
    }
    return 0;
}

/* 1 when the address text ip lies in one of the admin networks. */
static int in_admin(const struct ha_state *st, const char *ip)
{
    unsigned char a[16];
    int family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
    size_t i;

    if (inet_pton(family, ip, a) != 1) {
        return 0;
    }
    unmap(&family, a);
    for (i = 0; i < st->n_nets; i++) {
        const struct net *n = &st->nets[i];
        unsigned full = n->bits / 8, rest = n->bits % 8;

        if (n->family != family || memcmp(a, n->addr, full) != 0) {
            continue;
        }
        if (rest == 0 || ((a[full] ^ n->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0) {
            return 1;
        }
    }
    return 0;
}

static int create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct ha_config *cfg = config;
    const int64_t max = VG_STATE_WINDOW_MAX_MS;
    struct ha_state *st;
    size_t i;

    if (cfg->brute_ms <= 0 || cfg->login_ms <= 0 || cfg->snmp_ms <= 0 || cfg->scan_ms <= 0 ||
        cfg->quiet_ms <= 0 || cfg->memory_ms <= 0 || cfg->brute_ms > max || cfg->login_ms > max ||
        cfg->snmp_ms > max || cfg->scan_ms > max || cfg->quiet_ms > max || cfg->memory_ms > max) {
        vg_set_error(ctx, "every window (brute_force_window, login_window, snmp_window, "
                          "scan_window, quiet, serious_memory) must be longer than 0 and at "
                          "most ten years");
        return VG_EINVAL;
    }
    if (cfg->login_ms > cfg->quiet_ms) {
        /* A login after brute force must come while its incident is still open. */
        vg_set_error(ctx, "login_window must not be longer than quiet");
        return VG_EINVAL;
    }
    if (cfg->brute_count < 1 || cfg->brute_count > VG_STATE_THRESHOLD_MAX || cfg->snmp_count < 1 ||
        cfg->snmp_count > VG_STATE_THRESHOLD_MAX || cfg->scan_ports < 2 ||
        cfg->scan_ports > VG_STATE_THRESHOLD_MAX) {
        vg_set_error(ctx, "brute_force_count and snmp_count must be 1..%d, scan_ports 2..%d",
                     VG_STATE_THRESHOLD_MAX, VG_STATE_THRESHOLD_MAX);
        return VG_EINVAL;
    }
    if (cfg->admin_networks.n > NETS_MAX) {
        vg_set_error(ctx, "admin_networks: at most %d networks", NETS_MAX);
        return VG_EINVAL;
    }
    st = vg_alloc(sizeof(*st));
    if (st == NULL) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->cfg = cfg;
    if (vg_severity_option(ctx, cfg->ids_serious, &st->ids_serious) != VG_OK) {
        vg_free(st);
        return VG_EINVAL;
    }
    for (i = 0; i < cfg->admin_networks.n; i++) {
        if (parse_net(cfg->admin_networks.items[i], &st->nets[i]) != 0) {
            vg_set_error(ctx, "admin_networks[%zu] \"%.80s\" is not an address or a CIDR network",
                         i, cfg->admin_networks.items[i]);
            vg_free(st);
            return VG_EINVAL;
        }
    }
    st->n_nets = cfg->admin_networks.n;
    *state = st;
    return VG_OK;
}

static void destroy(void *state)
{
    vg_free(state);
}

/* A field usable for look-ups: present, not empty, at most 255 bytes, without NUL. */
static const char *field(const struct vg_event *ev, const char *name)
{
    struct vg_str v = vg_event_field(ev, name);

    if (v.ptr == NULL || v.len == 0 || v.len > 255 || strlen(v.ptr) != v.len) {
        return NULL;
    }
    return v.ptr;
}

/* Bytes of the well-formed UTF-8 sequence at s (n > 0 bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned lo = 0x80, hi = 0xbf;
    size_t len, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80;
        hi = s[0] == 0xed ? 0x9f : 0xbf;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return len;
}

/*
 * Copy len bytes of src into out as text the core takes in a note: a control
 * character (C0, DEL, C1, the line and paragraph separators) becomes a space, a
 * byte that is not UTF-8 a '?'; at most cap bytes (out holds cap + 1), cut on a
 * character boundary.
 */
static void clean(char *out, size_t cap, const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, o = 0;

    while (i < len) {
        size_t n = utf8_len(s + i, len - i), w = n;
        const char *put = src + i;

        if (n == 0) {
            n = w = 1;
            put = "?";
        } else if ((n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
                   (n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f) ||
                   (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
                    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))) {
            w = 1;
            put = " ";
        }
        if (o + w > cap) {
            break;
        }
        memcpy(out + o, put, w);
        o += w;
        i += n;
    }
    out[o] = '\0';
}

/* A value of the event cleaned into out (cap + 1 bytes), or NULL when absent or empty. */
static const char *value(const struct vg_event *ev, const char *name, char *out, size_t cap)
{
    struct vg_str v = vg_event_field(ev, name);

    if (v.ptr == NULL || v.len == 0) {
        return NULL;
    }
    clean(out, cap, v.ptr, v.len);
    return out;
}

/* Clean text (from clean()) cut to SHOW_MAX bytes for a note, into out (SHOW_MAX + 1 bytes). */
static const char *shown(const char *text, char *out)
{
    clean(out, SHOW_MAX, text, strlen(text));
    return out;
}

/* Cut a note built by snprintf to NOTE_MAX bytes on a character boundary. */
static void fit(char *note)
{
    size_t len = strlen(note), i = 0;

    while (i < len) {
        size_t n = utf8_len((const unsigned char *)note + i, len - i);

        if (n == 0 || i + n > NOTE_MAX) {
            break;
        }
        i += n;
    }
    note[i] = '\0';
}

/* Clean a member of struct target (size bytes, at most 1025) in place. */
static void clean_in_place(char *m, size_t size)
{
    char tmp[1025];

    clean(tmp, size - 1, m, strlen(m));
    memcpy(m, tmp, strlen(tmp) + 1);
}

/*
 * The attacked target of an event: the destination of an IDS signature or a
 * scan, else the reporting host (host.name, host.ip, or a trap's agent); then
 * the inventory's host or device of that name or address.
 */
static void find_target(struct vg_ctx *ctx, const struct vg_event *ev, enum ha_kind kind,
                        struct target *t)
{
    static const char *const own[] = {"host.name", "host.ip", "observer.ip"};
    const char *v = NULL;
    size_t i;
    int pass;

    memset(t, 0, sizeof(*t));
    if (kind == K_IDS || kind == K_SCAN) {
        v = field(ev, "destination.ip");
    }
    for (i = 0; v == NULL && i < sizeof(own) / sizeof(own[0]); i++) {
        v = field(ev, own[i]);
    }
    if (v == NULL) {
        return;
    }
    clean(t->value, sizeof(t->value) - 1, v, strlen(v));
    for (pass = 0; pass < 2 && t->kind[0] == '\0'; pass++) {
        const char *section = pass == 0 ? "hosts" : "devices";
        char *text = vg_inventory_get(ctx, section, v);
        fjson_object *o = text != NULL ? fjson_tokener_parse(text) : NULL;

        if (o != NULL) {
            snprintf(t->kind, sizeof(t->kind), "%s", pass == 0 ? "host" : "device");
            cls_member(o, "name", t->name, sizeof(t->name));
            cls_member(o, "criticality", t->criticality, sizeof(t->criticality));
            if (pass == 0) {
                cls_member(o, "switch", t->sw, sizeof(t->sw));
                cls_member(o, "port", t->port, sizeof(t->port));
                if (t->port[0] == '\0') {
                    cls_member(o, "if_index", t->port, sizeof(t->port));
                }
            }
            fjson_object_put(o);
        }
        vg_free(text);
    }
    clean_in_place(t->name, sizeof(t->name));
    clean_in_place(t->sw, sizeof(t->sw));
    clean_in_place(t->port, sizeof(t->port));
    clean_in_place(t->criticality, sizeof(t->criticality));
}

/*
 * The severity of an IDS signature, 1 (info) .. 5 (critical), 0 when unknown:
 * Cisco IOS IPS gives its alert severity rating as Sev (25 informational, 50
 * low, 75 medium, 100 high); CEF gives event.severity 0..10 (0-3 low, 4-6
 * medium, 7-8 high, 9-10 very high).
 */
static int ids_level(const struct vg_event *ev)
{
    const char *v = field(ev, "cisco.ips.severity");
    char *end;
    long n;

    if (v != NULL) {
        n = strtol(v, &end, 10);
        if (*end == '\0') {
            return n == 100 ? 4 : n == 75 ? 3 : n == 50 ? 2 : n == 25 ? 1 : 0;
        }
    }
    v = field(ev, "event.severity");
    if (v != NULL) {
        n = strtol(v, &end, 10);
        if (*end == '\0' && n >= 0 && n <= 10) {
            return n >= 9 ? 5 : n >= 7 ? 4 : n >= 4 ? 3 : 2;
        }
    }
    return 0;
}

/*
 * Queue an operation on the context prefix + the key's name (contexts are global:
 * the key names the rule's target and source). The name is the FNV-1a 64 hash of
 * every byte of the key, in hex: a key of any length, or holding a NUL, has its own.
 */
static int key_context(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op,
                       const char *prefix, int64_t lifetime_ms, uint32_t cookie)
{
    char name[64];
    struct vg_str key = vg_event_key(ctx, ev);
    struct vg_state_req req = {
        .size = sizeof(req), .op = op, .value = name, .window_ms = lifetime_ms, .cookie = cookie};
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; key.ptr != NULL && i < key.len; i++) {
        h ^= (unsigned char)key.ptr[i];
        h *= UINT64_C(0x100000001b3);
    }
    snprintf(name, sizeof(name), "%s%016" PRIx64, prefix, h);
    return vg_state_op(ctx, ev, &req);
}

/* Queue the test of the key's serious context; its result (cookie) goes on with the evidence. */
static int test_serious(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t cookie)
{
    return key_context(ctx, ev, VG_ST_CTX_TEST, CTX_SERIOUS, 0, cookie);
}

/* Report kind (with count) once the serious test of the key answered. */
static int report_later(struct vg_ctx *ctx, const struct vg_event *ev, enum ha_kind kind,
                        int64_t count)
{
    uint32_t n = count < 0 ? 0 : count > COUNT_MAX ? COUNT_MAX : (uint32_t)count;

    return test_serious(ctx, ev, ST_REPORT | (uint32_t)kind << 4 | n << 8);
}

/* Add the event's field name, cleaned and cut to KEEP_MAX bytes, as member of o when present. */
static void add_value(fjson_object *o, const char *member, const struct vg_event *ev,
                      const char *name)
{
    char buf[KEEP_MAX + 1];

    if (value(ev, name, buf, KEEP_MAX) != NULL) {
        fjson_object_object_add(o, member, fjson_object_new_string(buf));
    }
}

/*
 * The evidence of one kind, as a findings member, and a one-line summary of it
 * (each value in it cut to SHOW_MAX bytes: the line stays well under NOTE_MAX).
 */
static fjson_object *evidence(const struct ha_state *st, const struct vg_event *ev,
                              enum ha_kind kind, int64_t count, const struct target *t, char *line,
                              size_t len)
{
    const struct ha_config *cfg = st->cfg;
    fjson_object *o = fjson_object_new_object();
    char src_b[SHOW_MAX + 1], user_b[SHOW_MAX + 1], tgt_b[SHOW_MAX + 1];
    const char *src = value(ev, "source.ip", src_b, SHOW_MAX);
    const char *user = value(ev, "user.name", user_b, SHOW_MAX);
    const char *who = src != NULL ? src : "an unknown source";
    const char *tgt = t->value[0] != '\0' ? shown(t->value, tgt_b) : "an unknown target";
    char win[32];

    switch (kind) {
    case K_BRUTE:
        vg_format_duration(cfg->brute_ms, win, sizeof(win));
        fjson_object_object_add(o, "failures", fjson_object_new_int64(count));
        fjson_object_object_add(o, "window", fjson_object_new_string(win));
        snprintf(line, len, "brute force: %" PRId64 " login failures from %s on %s within %s",
                 count, who, tgt, win);
        break;
    case K_LOGIN:
        vg_format_duration(cfg->login_ms, win, sizeof(win));
        add_value(o, "method", ev, "ssh.method");
        snprintf(line, len, "a successful login%s%s from %s on %s within %s of brute force",
                 user != NULL ? " of " : "", user != NULL ? user : "", who, tgt, win);
        break;
    case K_IDS: {
        char sig_b[SHOW_MAX + 1], id_b[SHOW_MAX + 1];
        const char *sig = value(ev, "rule.name", sig_b, SHOW_MAX);
        const char *id = value(ev, "rule.id", id_b, SHOW_MAX);
        int lvl = ids_level(ev);

        add_value(o, "signature", ev, "rule.name");
        add_value(o, "id", ev, "rule.id");
        add_value(o, "destination_port", ev, "destination.port");
        fjson_object_object_add(o, "severity", fjson_object_new_string(level_names[lvl]));
        snprintf(line, len, "IDS signature %s%s%s (severity %s) from %s against %s",
                 sig != NULL ? sig : "(unnamed)", id != NULL ? " #" : "", id != NULL ? id : "",
                 level_names[lvl], who, tgt);
        break;
    }
    case K_SNMP:
        vg_format_duration(cfg->snmp_ms, win, sizeof(win));
        fjson_object_object_add(o, "failures", fjson_object_new_int64(count));
        fjson_object_object_add(o, "window", fjson_object_new_string(win));
        snprintf(line, len, "SNMP authentication storm: %" PRId64 " failures on %s within %s",
                 count, tgt, win);
        break;
    case K_SCAN:
        vg_format_duration(cfg->scan_ms, win, sizeof(win));
        fjson_object_object_add(o, "ports", fjson_object_new_int64(count));
        fjson_object_object_add(o, "window", fjson_object_new_string(win));
        snprintf(line, len, "port scan: %" PRId64 " distinct ports of %s probed by %s within %s",
                 count, tgt, who, win);
        break;
    case K_CONFIG:
        snprintf(line, len, "configuration of %s changed%s%s from %s, outside the admin networks",
                 tgt, user != NULL ? " by " : "", user != NULL ? user : "", who);
        break;
    }
    if (kind != K_SNMP && kind != K_SCAN) {
        add_value(o, "user", ev, "user.name");
    }
    fit(line);
    return o;
}

/*
 * Open or update the incident of the key with one kind of evidence; was_serious
 * says the key was found serious before (its context is set). Every note is at
 * most NOTE_MAX bytes of clean text; the findings (two inventory names of 1024
 * bytes and at most nine values of KEEP_MAX bytes, each escaped at most twice
 * over in JSON) stay well below FINDINGS_MAX.
 */
static int report(struct vg_ctx *ctx, const struct ha_state *st, const struct vg_event *ev,
                  enum ha_kind kind, int64_t count, int was_serious)
{
    struct target t;
    /* Notes that quote another note have room for it whole; fit() cuts each to NOTE_MAX. */
    char line[NOTE_MAX + 1], why[NOTE_MAX + 1], iso[NOTE_MAX + 1], analyse[2 * NOTE_MAX];
    char lead[2 * NOTE_MAX], name[SHOW_MAX + 1], sw[SHOW_MAX + 1], port[SHOW_MAX + 1];
    char tgt[SHOW_MAX + 1];
    const char *findings;
    fjson_object *f;
    int has_port, serious, rc;
    struct vg_step_req steps[3];
    size_t n = 0;

    find_target(ctx, ev, kind, &t);
    f = fjson_object_new_object();
    fjson_object_object_add(f, kind_names[kind],
                            evidence(st, ev, kind, count, &t, line, sizeof(line)));
    why[0] = '\0';
    if (kind == K_LOGIN) {
        snprintf(why, sizeof(why), "%s", line);
    } else if (strcmp(t.criticality, "high") == 0 || strcmp(t.criticality, "critical") == 0) {
        snprintf(why, sizeof(why), "the attacked %s %s is of criticality %s", t.kind,
                 shown(t.name, name), t.criticality);
    } else if (kind == K_IDS && ids_level(ev) >= st->ids_serious) {
        snprintf(why, sizeof(why), "%s", line);
    }
    serious = why[0] != '\0';
    has_port = strcmp(t.kind, "host") == 0 && t.sw[0] != '\0' && t.port[0] != '\0';
    add_value(f, "source", ev, "source.ip");
    if (t.value[0] != '\0') {
        fjson_object_object_add(f, "target", fjson_object_new_string(t.value));
    }
    if (t.kind[0] != '\0') {
        fjson_object_object_add(f, "target_host", fjson_object_new_string(t.name));
        fjson_object_object_add(f, "target_kind", fjson_object_new_string(t.kind));
    }
    if (has_port) {
        fjson_object_object_add(f, "switch", fjson_object_new_string(t.sw));
        fjson_object_object_add(f, "port", fjson_object_new_string(t.port));
    }
    if (t.criticality[0] != '\0') {
        fjson_object_object_add(f, "criticality", fjson_object_new_string(t.criticality));
    }
    fjson_object_object_add(f, "evidence", fjson_object_new_string(kind_names[kind]));
    findings = fjson_object_to_json_string_ext(f, FJSON_TO_STRING_PLAIN);
    if (strlen(findings) > FINDINGS_MAX) {
        vg_set_error(ctx, "findings of %zu bytes (at most %d)", strlen(findings), FINDINGS_MAX);
        fjson_object_put(f);
        return VG_EINVAL;
    }

    shown(t.name, name);
    if (has_port) {
        snprintf(iso, sizeof(iso), "isolate %s: port %s of %s (port_isolate)", name,
                 shown(t.port, port), shown(t.sw, sw));
    } else if (t.kind[0] != '\0') {
        snprintf(iso, sizeof(iso), "the %s %s has no switch port in the inventory: %s", t.kind,
                 name, "isolate it by hand");
    } else {
        snprintf(iso, sizeof(iso), "%s is not in the inventory: find it and isolate it by hand",
                 t.value[0] != '\0' ? shown(t.value, tgt) : "the target");
    }
    fit(iso);
    steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.1.1",
                                      has_port ? "action:port_isolate" : "person", iso};
    snprintf(analyse, sizeof(analyse), "analyse the scene and keep records: %s", line);
    fit(analyse);
    steps[n++] = (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.1.2", "security_lead",
                                      analyse};
    if (serious) {
        snprintf(lead, sizeof(lead), "serious: %s; %s", why,
                 "the leadership group reports at once to the municipal IT office and the police "
                 "(authority report)");
        fit(lead);
        steps[n++] =
            (struct vg_step_req){sizeof(steps[0]), VG_STEP_PENDING, "5.2.1.4", "leadership", lead};
    }
    {
        struct vg_incident_req req = {.size = sizeof(req),
                                      .severity = serious || was_serious ? 5 : 0,
                                      .note = line,
                                      .findings = findings,
                                      .steps = steps,
                                      .n_steps = n};

        rc = vg_incident_upsert(ctx, ev, &req);
    }
    fjson_object_put(f);
    if (rc == VG_OK && serious) {
        rc = key_context(ctx, ev, VG_ST_CTX_SET, CTX_SERIOUS, st->cfg->memory_ms, ST_NONE);
    }
    if (rc == VG_OK && (serious || was_serious)) {
        /* A serious key is left to people: its quiet deadline goes serious_memory away. */
        struct vg_state_req quiet = {.size = sizeof(quiet),
                                     .op = VG_ST_HEARTBEAT,
                                     .name = "quiet",
                                     .window_ms = st->cfg->memory_ms};

        rc = vg_state_op(ctx, ev, &quiet);
    }
    return rc;
}

static int count_op(struct vg_ctx *ctx, const struct vg_event *ev, uint32_t op, const char *name,
                    int64_t threshold, int64_t window_ms, uint32_t cookie, struct vg_str value)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = op,
                               .name = name,
                               .value = value.ptr,
                               .value_len = value.len,
                               .window_ms = window_ms,
                               .threshold = threshold,
                               .suppress_ms = window_ms,
                               .cookie = cookie};

    return vg_state_op(ctx, ev, &req);
}

static int login_step(struct vg_ctx *ctx, const struct vg_event *ev, const struct ha_config *cfg,
                      uint32_t step, uint32_t cookie)
{
    struct vg_state_req req = {.size = sizeof(req),
                               .op = VG_ST_SEQUENCE,
                               .name = "login",
                               .window_ms = cfg->login_ms,
                               .step = step,
                               .n_steps = 2,
                               .cookie = cookie};

    return vg_state_op(ctx, ev, &req);
}

/*
 * Every attack event first tests the key's serious context (on_event), then beats
 * the key's "quiet" heartbeat with the answer (second depth): serious_memory for
 * a serious key, so that no event of a serious key brings its incident back to
 * quiet; else quiet. A quiet deadline that passed before the event fires in the
 * beat, and its resolution (third depth) comes before the event's incident call.
 * kind: the evidence the beat's result reports (K_IDS, K_CONFIG), or 0.
 */
static int beat_test(struct vg_ctx *ctx, const struct vg_event *ev, enum ha_kind kind)
{
    return test_serious(ctx, ev, ST_BEAT | (uint32_t)kind << 4);
}

/* The beat after beat_test's answer (cookie: its ST_BEAT cookie). */
static int beat(struct vg_ctx *ctx, const struct vg_event *ev, const struct ha_config *cfg,
                uint32_t cookie, int serious)
{
    uint32_t kind = cookie >> 4 & 0xf;
    struct vg_state_req req = {
        .size = sizeof(req),
        .op = VG_ST_HEARTBEAT,
        .name = "quiet",
        .window_ms = serious ? cfg->memory_ms : cfg->quiet_ms,
        .cookie = kind == 0 ? ST_NONE : ST_BEATEN | kind << 4 | (serious ? WAS_SERIOUS : 0)};

    return vg_state_op(ctx, ev, &req);
}

static int on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    const struct ha_state *st = state;
    const struct ha_config *cfg = st->cfg;
    struct vg_str act = vg_event_field(ev, "event.action");
    struct vg_str none = {NULL, 0};
    struct vg_str port = vg_event_field(ev, "destination.port");
    const char *src = field(ev, "source.ip");
    int rc;

    if (cls_listed(&cfg->auth_succeeded, act)) {
        return src == NULL ? VG_OK : login_step(ctx, ev, cfg, 1, ST_LOGIN);
    }
    if (cls_listed(&cfg->auth_failed, act) && src != NULL) {
        rc = beat_test(ctx, ev, 0);
        if (rc == VG_OK) {
            /* Every failure starts the sequence anew; the login's result asks for brute force. */
            rc = login_step(ctx, ev, cfg, 0, ST_NONE);
        }
        return rc == VG_OK ? count_op(ctx, ev, VG_ST_COUNT, "brute", cfg->brute_count,
                                      cfg->brute_ms, ST_BRUTE, none)
                           : rc;
    }
    if (cls_listed(&cfg->ids, act)) {
        return beat_test(ctx, ev, K_IDS);
    }
    if (cls_listed(&cfg->snmp, act)) {
        rc = beat_test(ctx, ev, 0);
        return rc == VG_OK ? count_op(ctx, ev, VG_ST_COUNT, "snmp", cfg->snmp_count, cfg->snmp_ms,
                                      ST_SNMP, none)
                           : rc;
    }
    if (cls_listed(&cfg->scan, act) && port.ptr != NULL) {
        rc = beat_test(ctx, ev, 0);
        return rc == VG_OK ? count_op(ctx, ev, VG_ST_DISTINCT, "scan", cfg->scan_ports,
                                      cfg->scan_ms, ST_SCAN, port)
                           : rc;
    }
    if (cls_listed(&cfg->config, act) && st->n_nets > 0 && src != NULL && !in_admin(st, src)) {
        return beat_test(ctx, ev, K_CONFIG);
    }
    return VG_OK;
}

static int on_state(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res)
{
    const struct ha_state *st = state;
    int fired = res->verdict == VG_SV_FIRED;
    uint32_t kind = res->cookie >> 4 & 0xf;
    char quiet[32], note[160];
    int rc;

    if (res->deadline) {
        if (res->op != VG_ST_HEARTBEAT || res->verdict != VG_SV_EXPIRED) {
            return VG_OK;
        }
        /*
         * The key fell quiet: resolved here, dated by the deadline (so a later attack
         * opens a new incident), at the depth of the reports when the deadline fires
         * in an event's beat.
         */
        vg_format_duration(res->since_ms > 0 && vg_now_ms(ctx) > res->since_ms
                               ? vg_now_ms(ctx) - res->since_ms
                               : st->cfg->quiet_ms,
                           quiet, sizeof(quiet));
        snprintf(note, sizeof(note), "no attack events for %s", quiet);
        {
            struct vg_resolve_req req = {.size = sizeof(req), .note = note};

            return vg_incident_resolve(ctx, ev, &req);
        }
    }
    switch (res->cookie & 0xf) {
    case ST_BEAT:
        return beat(ctx, ev, st->cfg, res->cookie, res->verdict == VG_SV_TRUE);
    case ST_BEATEN:
        if (kind != K_IDS && kind != K_CONFIG) {
            return VG_OK;
        }
        return report(ctx, st, ev, (enum ha_kind)kind, 0, (res->cookie & WAS_SERIOUS) != 0);
    case ST_BRUTE:
        if (!fired) {
            return VG_OK;
        }
        /*
         * Marked before a login of the same batch tests it: that login's test is queued
         * later in this same round.
         */
        rc = key_context(ctx, ev, VG_ST_CTX_SET, CTX_BRUTE, st->cfg->login_ms, ST_NONE);
        return rc == VG_OK ? report_later(ctx, ev, K_BRUTE, res->count) : rc;
    case ST_LOGIN:
        return fired ? key_context(ctx, ev, VG_ST_CTX_TEST, CTX_BRUTE, 0, ST_AFTER) : VG_OK;
    case ST_AFTER:
        /* A login after brute force is serious whatever the key was: no serious test. */
        return res->verdict == VG_SV_TRUE ? report(ctx, st, ev, K_LOGIN, 0, 0) : VG_OK;
    case ST_SNMP:
        return fired ? report_later(ctx, ev, K_SNMP, res->count) : VG_OK;
    case ST_SCAN:
        return fired ? report_later(ctx, ev, K_SCAN, res->count) : VG_OK;
    case ST_REPORT:
        if (kind < K_BRUTE || kind > K_CONFIG) {
            return VG_OK;
        }
        return report(ctx, st, ev, (enum ha_kind)kind, (int64_t)(res->cookie >> 8),
                      res->verdict == VG_SV_TRUE);
    default:
        return VG_OK;
    }
}

static const struct vg_plugin ha_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "hacker_attack",
    .version = "1.0.0",
    .description = "5.2.1 hacker attack: brute force and a login after it, IDS signatures, SNMP "
                   "authentication storms, port scans, changes from unknown addresses",
    .options = ha_options,
    .config_size = sizeof(struct ha_config),
    .create = create,
    .destroy = destroy,
    .on_event = on_event,
    .on_state = on_state,
};

/* The plugin's entry point: the descriptor for a host of ABI 1.3 or newer, else NULL. */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &ha_plugin);
}
