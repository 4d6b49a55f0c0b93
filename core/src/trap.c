/* SPDX-License-Identifier: MIT */
/*
 * net-snmp set up for vigild and the conversion of one notification PDU into
 * the event JSON of the trap contract (see trap.h): RFC 3584 3.1 for v1 traps,
 * names from the loaded MIB tree (module, object, instance, enum labels),
 * typed values, a one-line message for the templates.
 */
#include "trap.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "event.h"

#define MAX_MIB_PROBLEMS_SHOWN 5

/* SNMPv2-MIB and SNMP-COMMUNITY-MIB objects the conversion treats specially. */
static const oid sys_uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const oid trap_address_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 3, 0};
static const oid trap_community_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 4, 0};
static const oid snmp_traps_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 5};

/* Where net-snmp's log lines are going: start-up phases are logged differently. */
enum lib_phase {
    PHASE_OFF,     /* not initialised */
    PHASE_DEFAULT, /* init_snmp: its default module list (missing modules are expected) */
    PHASE_MIBS,    /* read_all_mibs: problems in the directories' modules */
    PHASE_RUN,     /* receiving */
};

static enum lib_phase phase = PHASE_OFF;
static unsigned mib_problems;
static unsigned long scoped_pdu_errors;
static struct log_limit lib_limit;

/* net-snmp's log callback (SNMP_CALLBACK_LOGGING). */
static int lib_log(int major, int minor, void *serverarg, void *clientarg)
{
    const struct snmp_log_message *m = serverarg;
    size_t len;

    (void)major;
    (void)minor;
    (void)clientarg;
    if (m == NULL || m->msg == NULL) {
        return 0;
    }
    len = strlen(m->msg);
    while (len > 0 && (m->msg[len - 1] == '\n' || m->msg[len - 1] == '\r')) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    if (phase == PHASE_MIBS && m->priority <= LOG_WARNING) {
        mib_problems++;
        log_msg(mib_problems <= MAX_MIB_PROBLEMS_SHOWN ? VG_LOG_WARNING : VG_LOG_DEBUG,
                "MIB modules: %.*s", (int)len, m->msg);
    } else if (phase == PHASE_RUN) {
        /* snmpv3_parse says so only once the USM accepted the message (see trap.h). */
        if (strstr(m->msg, "error parsing ScopedPDU") != NULL) {
            scoped_pdu_errors++;
        }
        log_limited(&lib_limit, VG_LOG_DEBUG, "net-snmp: %.*s", (int)len, m->msg);
    } else {
        log_msg(VG_LOG_DEBUG, "net-snmp: %.*s", (int)len, m->msg);
    }
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Append dir to the ':'-separated search path unless it cannot be one. */
static void add_dir(struct sbuf *path, const char *dir, int configured)
{
    if (strchr(dir, ':') != NULL) {
        log_msg(VG_LOG_WARNING, "MIB directory \"%s\" is left out: its name contains ':'", dir);
        return;
    }
    if (!is_dir(dir)) {
        if (configured) {
            log_msg(VG_LOG_WARNING, "MIB directory %s does not exist or is not a directory", dir);
        }
        return;
    }
    if (path->len > 0) {
        sbuf_addc(path, ':');
    }
    sbuf_adds(path, dir);
}

/*
 * Configure and start net-snmp (see trap.h): library defaults first, since
 * init_snmp reads them, then the MIB search path, init_snmp and every module
 * of every directory.
 */
int trap_library_init(const struct trap_mib_cfg *mc)
{
    struct sbuf path = {0};
    size_t i;

    if (phase != PHASE_OFF) {
        return -1;
    }
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, lib_log, NULL);

    sbuf_adds(&path, "");
    if (mc->vigil_dir != NULL) {
        add_dir(&path, mc->vigil_dir, 0);
    }
    if (!mc->no_system_dirs) {
        /* net-snmp's compiled-in default (or $MIBDIRS); it expands $HOME itself. */
        const char *sys = netsnmp_get_mib_directory();

        if (sys != NULL && sys[0] != '\0') {
            if (path.len > 0) {
                sbuf_addc(&path, ':');
            }
            sbuf_adds(&path, sys);
        }
    }
    for (i = 0; i < mc->n_dirs; i++) {
        add_dir(&path, mc->dirs[i], 1);
    }
    netsnmp_set_mib_directory(path.buf);
    log_msg(VG_LOG_DEBUG, "MIB search path: %s", path.buf);
    sbuf_free(&path);

    phase = PHASE_DEFAULT;
    mib_problems = 0;
    init_snmp("vigild");
    phase = PHASE_MIBS;
    read_all_mibs();
    if (mib_problems > MAX_MIB_PROBLEMS_SHOWN) {
        log_msg(VG_LOG_WARNING, "MIB modules: %u more problems (vigild -v shows them)",
                mib_problems - MAX_MIB_PROBLEMS_SHOWN);
    }
    phase = PHASE_RUN;
    return 0;
}

/* Authenticated v3 messages whose scoped PDU did not parse, so far (see trap.h). */
unsigned long trap_library_scoped_pdu_errors(void)
{
    return scoped_pdu_errors;
}

/* Shut net-snmp down (see trap.h); a later trap_library_init starts it afresh. */
void trap_library_shutdown(void)
{
    if (phase == PHASE_OFF) {
        return;
    }
    snmp_shutdown("vigild");
    phase = PHASE_OFF;
}

/* ---- names from the MIB tree ---- */

/* A MIB node matched by an OID: the node and how many sub-ids of the OID it covers. */
struct match {
    struct tree *node; /* the deepest node on the OID's path; NULL: none */
    size_t depth;      /* sub-ids of the OID the node stands for */
};

static struct match lookup(const oid *o, size_t len)
{
    struct match m = {NULL, 0};
    struct tree *t;

    if (len == 0 || phase == PHASE_OFF) {
        return m;
    }
    m.node = get_tree(o, len, get_tree_head());
    for (t = m.node; t != NULL; t = t->parent) {
        m.depth++;
    }
    /* get_tree answers with its start node when even the first sub-id differs. */
    if (m.node != NULL && (m.depth > len || m.node->subid != o[m.depth - 1])) {
        m.node = NULL;
        m.depth = 0;
    }
    return m;
}

/*
 * The node names the OID when it is the OID itself, or an object (a leaf with
 * a syntax) of which the rest of the OID is the instance.
 */
static int names(const struct match *m, size_t len)
{
    if (m->node == NULL) {
        return 0;
    }
    if (m->depth == len) {
        return 1;
    }
    return m->node->child_list == NULL && m->node->type != TYPE_OTHER;
}

static void add_oid(struct sbuf *b, const oid *o, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        sbuf_printf(b, i == 0 ? "%lu" : ".%lu", (unsigned long)o[i]);
    }
}

/* "IF-MIB::ifIndex.3" (with_module) or "ifIndex.3". */
static void add_name(struct sbuf *b, const struct match *m, const oid *o, size_t len,
                     int with_module)
{
    if (with_module) {
        char mod[256];

        module_name(m->node->modid, mod);
        sbuf_adds(b, mod);
        sbuf_add(b, "::", 2);
    }
    sbuf_adds(b, m->node->label);
    if (m->depth < len) {
        sbuf_addc(b, '.');
        add_oid(b, o + m->depth, len - m->depth);
    }
}

/* ---- values ---- */

/* One varbind's value classified and rendered. */
struct value {
    const char *type;  /* contract type name */
    int numeric;       /* 1: text is a JSON number */
    int quoted;        /* 1: message shows it in double quotes (octet strings) */
    const char *label; /* enum label, or NULL */
    struct sbuf text;  /* the value as text (unescaped) */
};

/* Valid UTF-8 without control characters other than TAB, LF and CR. */
static int is_text(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        size_t k;

        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                return 0;
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len) {
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f)) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

static void add_hex(struct sbuf *b, const unsigned char *s, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        if (i > 0) {
            sbuf_addc(b, ':');
        }
        sbuf_addc(b, digits[s[i] >> 4]);
        sbuf_addc(b, digits[s[i] & 0xf]);
    }
}

static void octets(struct value *v, const struct match *m, const unsigned char *s, size_t len)
{
    size_t text_len = len;
    int hex_hint =
        m != NULL && m->node != NULL && m->node->hint != NULL && strchr(m->node->hint, 'x') != NULL;

    /* Many agents send C strings with their NUL. */
    while (text_len > 0 && s[text_len - 1] == '\0') {
        text_len--;
    }
    if (!hex_hint && is_text(s, text_len)) {
        v->type = "octet_string";
        v->quoted = 1;
        sbuf_add(&v->text, s, text_len);
        return;
    }
    v->type = "hex_string";
    add_hex(&v->text, s, len);
}

static const char *enum_label(const struct match *m, long x)
{
    const struct enum_list *e;

    if (m == NULL || m->node == NULL) {
        return NULL;
    }
    for (e = m->node->enums; e != NULL; e = e->next) {
        if (e->value == x) {
            return e->label;
        }
    }
    return NULL;
}

/* Classify and render the value of vb; m is the MIB match of its name (when named). */
static void value_of(const netsnmp_variable_list *vb, const struct match *m, struct value *v)
{
    memset(v, 0, sizeof(*v));
    sbuf_adds(&v->text, "");
    switch (vb->type) {
    case ASN_INTEGER:
        v->type = "integer";
        v->numeric = 1;
        sbuf_printf(&v->text, "%ld", *vb->val.integer);
        v->label = enum_label(m, *vb->val.integer);
        break;
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
        v->type = vb->type == ASN_COUNTER                                              ? "counter32"
                  : vb->type == ASN_TIMETICKS                                          ? "timeticks"
                  : (m != NULL && m->node != NULL && m->node->type == TYPE_UNSIGNED32) ? "unsigned"
                                                                                       : "gauge32";
        v->numeric = 1;
        sbuf_printf(&v->text, "%lu", (unsigned long)*vb->val.integer & 0xffffffffUL);
        break;
    case ASN_COUNTER64:
    case ASN_OPAQUE_COUNTER64:
    case ASN_OPAQUE_U64: {
        uint64_t u = ((uint64_t)(vb->val.counter64->high & 0xffffffffUL) << 32) |
                     (vb->val.counter64->low & 0xffffffffUL);

        v->type = vb->type == ASN_COUNTER64 ? "counter64" : "opaque";
        /* JSON readers (libfastjson too) clamp integers to int64: larger ones as text. */
        v->numeric = u <= INT64_MAX;
        sbuf_printf(&v->text, "%" PRIu64, u);
        break;
    }
    case ASN_OPAQUE_I64: {
        uint64_t u = ((uint64_t)(vb->val.counter64->high & 0xffffffffUL) << 32) |
                     (vb->val.counter64->low & 0xffffffffUL);

        v->type = "opaque";
        v->numeric = 1;
        sbuf_printf(&v->text, "%" PRId64, (int64_t)u);
        break;
    }
    case ASN_OPAQUE_FLOAT:
        v->type = "opaque";
        sbuf_printf(&v->text, "%g", (double)*vb->val.floatVal);
        break;
    case ASN_OPAQUE_DOUBLE:
        v->type = "opaque";
        sbuf_printf(&v->text, "%g", *vb->val.doubleVal);
        break;
    case ASN_OCTET_STR:
        octets(v, m, vb->val.string, vb->val_len);
        break;
    case ASN_IPADDRESS:
        if (vb->val_len == 4) {
            char ip[INET_ADDRSTRLEN];

            v->type = "ip_address";
            inet_ntop(AF_INET, vb->val.string, ip, sizeof(ip));
            sbuf_adds(&v->text, ip);
        } else {
            v->type = "hex_string";
            add_hex(&v->text, vb->val.string, vb->val_len);
        }
        break;
    case ASN_OBJECT_ID:
        v->type = "oid";
        add_oid(&v->text, vb->val.objid, vb->val_len / sizeof(oid));
        break;
    case ASN_OPAQUE:
    case ASN_BIT_STR:
    case ASN_NSAP:
        v->type = vb->type == ASN_OPAQUE ? "opaque" : "hex_string";
        add_hex(&v->text, vb->val.string, vb->val_len);
        break;
    default: /* NULL and the v2 exceptions (noSuchObject, ...) */
        v->type = "null";
        break;
    }
}

/* Append s as a double-quoted string for the message: \" \\ and \n \r \t escaped. */
static void add_quoted(struct sbuf *b, const char *s, size_t len)
{
    size_t i;

    sbuf_addc(b, '"');
    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '"':
            sbuf_add(b, "\\\"", 2);
            break;
        case '\\':
            sbuf_add(b, "\\\\", 2);
            break;
        case '\n':
            sbuf_add(b, "\\n", 2);
            break;
        case '\r':
            sbuf_add(b, "\\r", 2);
            break;
        case '\t':
            sbuf_add(b, "\\t", 2);
            break;
        default:
            sbuf_addc(b, s[i]);
        }
    }
    sbuf_addc(b, '"');
}

static void add_json_str(struct sbuf *b, const char *s, size_t len)
{
    sbuf_addc(b, '"');
    sbuf_add_json_str(b, s, len);
    sbuf_addc(b, '"');
}

static int oid_is(const oid *o, size_t len, const oid *want, size_t want_len)
{
    return len == want_len && memcmp(o, want, len * sizeof(oid)) == 0;
}

/* ---- the event ---- */

/* What the conversion collects before it writes the event. */
struct conv {
    struct sbuf trap_oid;            /* numeric snmpTrapOID */
    struct sbuf trap_name;           /* "IF-MIB::linkDown", or empty */
    struct sbuf varbinds;            /* the JSON array */
    struct sbuf message;             /* the one-line rendering, after the trap name */
    char observer[INET6_ADDRSTRLEN]; /* snmpTrapAddress.0 or v1 agent-addr, or empty */
    int64_t uptime;                  /* sysUpTime.0, or -1 */
    size_t n_varbinds;               /* entries in varbinds */
};

static void add_varbind(struct conv *c, const netsnmp_variable_list *vb)
{
    struct match m = lookup(vb->name, vb->name_length);
    int named = names(&m, vb->name_length);
    struct value v;

    value_of(vb, named ? &m : NULL, &v);
    sbuf_adds(&c->varbinds, c->n_varbinds++ > 0 ? ",{\"oid\":\"" : "{\"oid\":\"");
    add_oid(&c->varbinds, vb->name, vb->name_length);
    sbuf_addc(&c->varbinds, '"');
    if (named) {
        struct sbuf n = {0};

        add_name(&n, &m, vb->name, vb->name_length, 1);
        sbuf_adds(&c->varbinds, ",\"name\":");
        add_json_str(&c->varbinds, n.buf, n.len);
        sbuf_free(&n);
    }
    sbuf_printf(&c->varbinds, ",\"type\":\"%s\",\"value\":", v.type);
    if (v.numeric) {
        sbuf_add(&c->varbinds, v.text.buf, v.text.len);
    } else {
        add_json_str(&c->varbinds, v.text.buf, v.text.len);
    }
    if (v.label != NULL) {
        sbuf_adds(&c->varbinds, ",\"label\":");
        add_json_str(&c->varbinds, v.label, strlen(v.label));
    }
    sbuf_addc(&c->varbinds, '}');

    sbuf_addc(&c->message, ' ');
    if (named) {
        add_name(&c->message, &m, vb->name, vb->name_length, 0);
    } else {
        add_oid(&c->message, vb->name, vb->name_length);
    }
    sbuf_addc(&c->message, '=');
    if (v.label != NULL) {
        sbuf_adds(&c->message, v.label);
    } else if (v.quoted) {
        add_quoted(&c->message, v.text.buf, v.text.len);
    } else {
        sbuf_add(&c->message, v.text.buf, v.text.len);
    }
    sbuf_free(&v.text);
}

/* v2c/v3: sysUpTime.0 and snmpTrapOID.0 as fields, the rest as varbinds. */
static int convert_v2(const netsnmp_pdu *pdu, struct conv *c)
{
    const netsnmp_variable_list *vb;
    int have_oid = 0;

    for (vb = pdu->variables; vb != NULL; vb = vb->next_variable) {
        if (oid_is(vb->name, vb->name_length, sys_uptime_oid, OID_LENGTH(sys_uptime_oid)) &&
            vb->type == ASN_TIMETICKS && c->uptime < 0) {
            c->uptime = (int64_t)((unsigned long)*vb->val.integer & 0xffffffffUL);
            continue;
        }
        if (oid_is(vb->name, vb->name_length, trap_oid_oid, OID_LENGTH(trap_oid_oid)) &&
            vb->type == ASN_OBJECT_ID && !have_oid) {
            add_oid(&c->trap_oid, vb->val.objid, vb->val_len / sizeof(oid));
            have_oid = 1;
            continue;
        }
        if (oid_is(vb->name, vb->name_length, trap_community_oid, OID_LENGTH(trap_community_oid))) {
            continue; /* a forwarder's copy of the community: never in the event */
        }
        if (oid_is(vb->name, vb->name_length, trap_address_oid, OID_LENGTH(trap_address_oid)) &&
            vb->type == ASN_IPADDRESS && vb->val_len == 4 && c->observer[0] == '\0') {
            inet_ntop(AF_INET, vb->val.string, c->observer, sizeof(c->observer));
        }
        add_varbind(c, vb);
    }
    return have_oid ? 0 : TRAP_ERR_NO_TRAP_OID;
}

/* v1 (RFC 3584 3.1): the trap OID from generic/specific trap and enterprise. */
static void convert_v1(const netsnmp_pdu *pdu, struct conv *c, struct vg_event *ev)
{
    const netsnmp_variable_list *vb;
    struct sbuf ent = {0};

    if (pdu->trap_type >= 0 && pdu->trap_type <= 5) {
        add_oid(&c->trap_oid, snmp_traps_oid, OID_LENGTH(snmp_traps_oid));
        sbuf_printf(&c->trap_oid, ".%ld", pdu->trap_type + 1);
    } else {
        add_oid(&c->trap_oid, pdu->enterprise, pdu->enterprise_length);
        sbuf_printf(&c->trap_oid, "%s0.%lu", pdu->enterprise_length > 0 ? "." : "",
                    (unsigned long)pdu->specific_type & 0xffffffffUL);
        if (pdu->trap_type != 6) {
            event_set_strz(ev, "vigil.parse_warning", "SNMPv1 generic-trap out of 0..6");
        }
    }
    c->uptime = (int64_t)(pdu->time & 0xffffffffUL);
    inet_ntop(AF_INET, pdu->agent_addr, c->observer, sizeof(c->observer));
    if (strcmp(c->observer, "0.0.0.0") == 0) {
        c->observer[0] = '\0';
    }
    event_set_strz(ev, "snmp.v1.agent_addr", c->observer[0] ? c->observer : "0.0.0.0");
    add_oid(&ent, pdu->enterprise, pdu->enterprise_length);
    event_set_str(ev, "snmp.v1.enterprise", ent.buf != NULL ? ent.buf : "", ent.len);
    sbuf_free(&ent);
    event_set_int(ev, "snmp.v1.generic", pdu->trap_type);
    event_set_int(ev, "snmp.v1.specific", pdu->specific_type);
    for (vb = pdu->variables; vb != NULL; vb = vb->next_variable) {
        if (!oid_is(vb->name, vb->name_length, trap_community_oid,
                    OID_LENGTH(trap_community_oid))) {
            add_varbind(c, vb);
        }
    }
}

/* The trap OID's name when a module defines it exactly. */
static void name_trap(struct conv *c)
{
    oid o[MAX_OID_LEN];
    size_t len = 0;
    const char *p = c->trap_oid.buf;
    struct match m;

    while (p != NULL && *p != '\0' && len < MAX_OID_LEN) {
        char *end;

        o[len++] = (oid)strtoul(p, &end, 10);
        p = *end == '.' ? end + 1 : end;
    }
    m = lookup(o, len);
    if (m.node != NULL && m.depth == len) {
        add_name(&c->trap_name, &m, o, len, 1);
    }
}

static const char *version_name(long v)
{
    switch (v) {
    case SNMP_VERSION_1:
        return "1";
    case SNMP_VERSION_2c:
        return "2c";
    default:
        return "3";
    }
}

/* Convert one notification PDU into its event JSON (see trap.h). */
int trap_to_json(const struct snmp_pdu *pdu, const struct sockaddr *peer, const char *transport,
                 int64_t recv_ms, struct sbuf *out)
{
    struct conv c;
    struct vg_event *ev;
    const char *code;
    int rc = 0;

    if (pdu->command != SNMP_MSG_TRAP && pdu->command != SNMP_MSG_TRAP2 &&
        pdu->command != SNMP_MSG_INFORM) {
        return TRAP_ERR_NOT_NOTIFICATION;
    }
    memset(&c, 0, sizeof(c));
    c.uptime = -1;
    sbuf_adds(&c.trap_oid, "");
    sbuf_adds(&c.trap_name, "");
    sbuf_adds(&c.message, "");
    sbuf_addc(&c.varbinds, '[');
    ev = event_new();
    if (pdu->command == SNMP_MSG_TRAP) {
        convert_v1(pdu, &c, ev);
    } else {
        rc = convert_v2(pdu, &c);
    }
    if (rc != 0) {
        goto out;
    }
    sbuf_addc(&c.varbinds, ']');
    name_trap(&c);
    code = c.trap_name.len > 0 ? c.trap_name.buf : c.trap_oid.buf;

    event_set_time(ev, recv_ms);
    event_set_ingested(ev, recv_ms);
    event_set_strz(ev, "event.kind", "event");
    event_set_strz(ev, "event.code", code);
    event_set_strz(ev, "process.name", "snmptrap");
    event_set_strz(ev, "network.protocol", "snmp");
    event_set_strz(ev, "network.transport", transport);
    if (peer != NULL && (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)) {
        char ip[INET6_ADDRSTRLEN];
        int port = peer->sa_family == AF_INET
                       ? ntohs(((const struct sockaddr_in *)(const void *)peer)->sin_port)
                       : ntohs(((const struct sockaddr_in6 *)(const void *)peer)->sin6_port);

        sockaddr_ip_str(peer, ip, sizeof(ip));
        event_set_strz(ev, "source.ip", ip);
        event_set_int(ev, "source.port", port);
        if (c.observer[0] == '\0') {
            snprintf(c.observer, sizeof(c.observer), "%s", ip);
        }
    }
    if (c.observer[0] != '\0') {
        event_set_strz(ev, "observer.ip", c.observer);
        /*
         * The host the trap is about is its agent. Named by its address: no
         * reverse DNS on the receive path; rules keyed on host.name (as the
         * syslog ones are) then keep devices apart.
         */
        event_set_strz(ev, "host.name", c.observer);
    }
    event_set_strz(ev, "snmp.version", version_name(pdu->version));
    event_set_strz(ev, "snmp.trap_oid", c.trap_oid.buf);
    if (c.trap_name.len > 0) {
        event_set_strz(ev, "snmp.trap_name", c.trap_name.buf);
    }
    if (c.uptime >= 0) {
        event_set_int(ev, "snmp.uptime", c.uptime);
    }
    if (pdu->version == SNMP_VERSION_3 && pdu->securityName != NULL) {
        event_set_str(ev, "snmp.security_name", pdu->securityName, pdu->securityNameLen);
    }
    event_set_raw(ev, "snmp.varbinds", c.varbinds.buf, c.varbinds.len);
    {
        struct sbuf msg = {0};

        sbuf_adds(&msg, code);
        sbuf_add(&msg, c.message.buf, c.message.len);
        event_set_str(ev, "message", msg.buf, msg.len);
        sbuf_free(&msg);
    }
    event_to_json(ev, out);
out:
    event_unref(ev);
    sbuf_free(&c.trap_oid);
    sbuf_free(&c.trap_name);
    sbuf_free(&c.varbinds);
    sbuf_free(&c.message);
    return rc;
}
