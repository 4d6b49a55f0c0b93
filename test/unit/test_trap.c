/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the trap conversion (trap.c): PDUs built with net-snmp's API
 * and turned into event JSON. RFC 3584 3.1 for each generic v1 trap and an
 * enterprise-specific one, snmpTrapAddress and the v1 agent address as
 * observer.ip, names with instances and enum labels from a test MIB module,
 * every value type (hex strings, non-UTF-8 octets, display hints), the
 * message's quoting, and no community string anywhere in the output.
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <libfastjson/json.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "testutil.h"
#include "trap.h"
#include "util.h"

/* A self-contained module (no imports): a port table, an enum, a hinted MAC, a notification. */
static const char test_mib[] =
    "VIGIL-TEST-MIB DEFINITIONS ::= BEGIN\n"
    "vigilTest OBJECT IDENTIFIER ::= { iso 3 6 1 4 1 99999 }\n"
    "vtNotifications OBJECT IDENTIFIER ::= { vigilTest 0 }\n"
    "vtObjects OBJECT IDENTIFIER ::= { vigilTest 1 }\n"
    "VtMac ::= TEXTUAL-CONVENTION DISPLAY-HINT \"1x:\" STATUS current DESCRIPTION \"mac\"\n"
    "    SYNTAX OCTET STRING (SIZE (6))\n"
    "vtPortTable OBJECT-TYPE SYNTAX SEQUENCE OF VtPortEntry MAX-ACCESS not-accessible\n"
    "    STATUS current DESCRIPTION \"ports\" ::= { vtObjects 1 }\n"
    "vtPortEntry OBJECT-TYPE SYNTAX VtPortEntry MAX-ACCESS not-accessible STATUS current\n"
    "    DESCRIPTION \"a port\" INDEX { vtPortIndex } ::= { vtPortTable 1 }\n"
    "VtPortEntry ::= SEQUENCE { vtPortIndex INTEGER, vtPortName OCTET STRING,\n"
    "    vtPortState INTEGER, vtPortMac VtMac, vtPortSpeed Unsigned32 }\n"
    "vtPortIndex OBJECT-TYPE SYNTAX INTEGER (1..2147483647) MAX-ACCESS read-only\n"
    "    STATUS current DESCRIPTION \"index\" ::= { vtPortEntry 1 }\n"
    "vtPortName OBJECT-TYPE SYNTAX OCTET STRING MAX-ACCESS read-only STATUS current\n"
    "    DESCRIPTION \"name\" ::= { vtPortEntry 2 }\n"
    "vtPortState OBJECT-TYPE SYNTAX INTEGER { up(1), down(2), testing(3) }\n"
    "    MAX-ACCESS read-only STATUS current DESCRIPTION \"state\" ::= { vtPortEntry 3 }\n"
    "vtPortMac OBJECT-TYPE SYNTAX VtMac MAX-ACCESS read-only STATUS current\n"
    "    DESCRIPTION \"mac\" ::= { vtPortEntry 4 }\n"
    "vtPortSpeed OBJECT-TYPE SYNTAX Unsigned32 MAX-ACCESS read-only STATUS current\n"
    "    DESCRIPTION \"speed\" ::= { vtPortEntry 5 }\n"
    "vtPortDown NOTIFICATION-TYPE OBJECTS { vtPortIndex, vtPortState } STATUS current\n"
    "    DESCRIPTION \"a port went down\" ::= { vtNotifications 1 }\n"
    "END\n";

static const oid ent_oid[] = {1, 3, 6, 1, 4, 1, 99999};
static const oid port_index[] = {1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 1, 7};
static const oid port_name[] = {1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 2, 7};
static const oid port_state[] = {1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 3, 7};
static const oid port_mac[] = {1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 4, 7};
static const oid port_speed[] = {1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 5, 7};
static const oid unknown_obj[] = {1, 3, 6, 1, 4, 1, 424242, 5, 1};
static const oid uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid trapoid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const oid trapaddr_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 3, 0};
static const oid trapcomm_oid[] = {1, 3, 6, 1, 6, 3, 18, 1, 4, 0};
static const oid link_down[] = {1, 3, 6, 1, 6, 3, 1, 1, 5, 3};
static const oid port_down[] = {1, 3, 6, 1, 4, 1, 99999, 0, 1};

static int init_trap(void)
{
    const char *dir = test_tmpdir();
    char *path = xasprintf("%s/VIGIL-TEST-MIB.txt", dir);
    FILE *f = fopen(path, "w");
    const char *dirs[1];
    struct trap_mib_cfg mc = {.no_system_dirs = 1, .n_dirs = 1};

    free(path);
    if (f == NULL || fputs(test_mib, f) < 0 || fclose(f) != 0) {
        return 1;
    }
    dirs[0] = dir;
    mc.dirs = dirs;
    return trap_library_init(&mc) == 0 ? 0 : 1;
}

static int clean_trap(void)
{
    trap_library_shutdown();
    return 0;
}

static struct sockaddr_in peer4(const char *ip, int port)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static netsnmp_pdu *v1_pdu(long generic, long specific, const char *agent)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP);

    pdu->version = SNMP_VERSION_1;
    pdu->enterprise = snmp_duplicate_objid(ent_oid, OID_LENGTH(ent_oid));
    pdu->enterprise_length = OID_LENGTH(ent_oid);
    pdu->trap_type = generic;
    pdu->specific_type = specific;
    pdu->time = 4242;
    inet_pton(AF_INET, agent, pdu->agent_addr);
    pdu->community = (u_char *)xstrdup("s3cr3t-comm");
    pdu->community_len = strlen("s3cr3t-comm");
    return pdu;
}

/* A v2c notification with sysUpTime.0 and snmpTrapOID.0 first, as agents send them. */
static netsnmp_pdu *v2_pdu(int command, const oid *trap, size_t trap_len)
{
    netsnmp_pdu *pdu = snmp_pdu_create(command);
    long up = 98765;

    pdu->version = SNMP_VERSION_2c;
    pdu->community = (u_char *)xstrdup("s3cr3t-comm");
    pdu->community_len = strlen("s3cr3t-comm");
    snmp_pdu_add_variable(pdu, uptime_oid, OID_LENGTH(uptime_oid), ASN_TIMETICKS, &up, sizeof(up));
    if (trap != NULL) {
        snmp_pdu_add_variable(pdu, trapoid_oid, OID_LENGTH(trapoid_oid), ASN_OBJECT_ID, trap,
                              trap_len * sizeof(oid));
    }
    return pdu;
}

static void add_int(netsnmp_pdu *pdu, const oid *o, size_t len, u_char type, long v)
{
    snmp_pdu_add_variable(pdu, o, len, type, &v, sizeof(v));
}

static void add_bytes(netsnmp_pdu *pdu, const oid *o, size_t len, u_char type, const void *v,
                      size_t vlen)
{
    snmp_pdu_add_variable(pdu, o, len, type, v, vlen);
}

/* Convert, check the text is one valid JSON object, and return it as an event. */
static struct vg_event *convert(netsnmp_pdu *pdu, const struct sockaddr *peer, struct sbuf *json)
{
    struct fjson_tokener *tok = fjson_tokener_new();
    fjson_object *o;
    char err[128];
    struct vg_event *ev;

    CU_ASSERT_EQUAL_FATAL(trap_to_json(pdu, peer, "udp", 1700000000123LL, json), 0);
    o = fjson_tokener_parse_ex(tok, json->buf, (int)json->len);
    CU_ASSERT_PTR_NOT_NULL(o);
    CU_ASSERT_EQUAL(fjson_tokener_get_error(tok), fjson_tokener_success);
    if (o != NULL) {
        CU_ASSERT_EQUAL(fjson_object_get_type(o), fjson_type_object);
        fjson_object_put(o);
    }
    fjson_tokener_free(tok);
    /* The community never leaves the receiver. */
    CU_ASSERT_PTR_NULL(strstr(json->buf, "s3cr3t"));
    ev = event_from_json(json->buf, json->len, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    return ev;
}

static int field_is(const struct vg_event *ev, const char *name, const char *want)
{
    struct vg_str v = event_get(ev, name);

    if (v.ptr == NULL) {
        return want == NULL;
    }
    if (want == NULL || strlen(want) != v.len || memcmp(v.ptr, want, v.len) != 0) {
        fprintf(stderr, "\n  %s: got \"%.*s\", want \"%s\"\n", name, (int)v.len, v.ptr,
                want ? want : "(absent)");
        return 0;
    }
    return 1;
}

/* Varbind i of the event as a JSON object (release with fjson_object_put on the array). */
static fjson_object *varbinds(const struct vg_event *ev)
{
    struct vg_str v = event_get(ev, "snmp.varbinds");
    fjson_object *a;

    CU_ASSERT_PTR_NOT_NULL_FATAL(v.ptr);
    a = fjson_tokener_parse(v.ptr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(fjson_object_get_type(a), fjson_type_array);
    return a;
}

static const char *vb_str(fjson_object *a, size_t i, const char *key)
{
    fjson_object *e = fjson_object_array_get_idx(a, i);
    fjson_object *v;

    if (e == NULL || !fjson_object_object_get_ex(e, key, &v)) {
        return NULL;
    }
    return fjson_object_get_string(v);
}

static int vb_is(fjson_object *a, size_t i, const char *key, const char *want)
{
    const char *got = vb_str(a, i, key);

    if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0)) {
        fprintf(stderr, "\n  varbind %zu %s: got %s, want %s\n", i, key, got ? got : "(absent)",
                want ? want : "(absent)");
        return 0;
    }
    return 1;
}

static void test_v1_generic(void)
{
    long g;

    for (g = 0; g <= 5; g++) {
        struct sockaddr_in p = peer4("198.51.100.9", 40001);
        netsnmp_pdu *pdu = v1_pdu(g, 0, "192.0.2.1");
        struct sbuf json = {0};
        struct vg_event *ev;
        char want[64];
        int64_t x;

        add_int(pdu, port_index, OID_LENGTH(port_index), ASN_INTEGER, 7);
        ev = convert(pdu, (struct sockaddr *)&p, &json);
        snprintf(want, sizeof(want), "1.3.6.1.6.3.1.1.5.%ld", g + 1);
        CU_ASSERT(field_is(ev, "snmp.trap_oid", want));
        /* No SNMPv2-MIB loaded: the code is the numeric OID and there is no name. */
        CU_ASSERT(field_is(ev, "event.code", want));
        CU_ASSERT(field_is(ev, "snmp.trap_name", NULL));
        CU_ASSERT(field_is(ev, "snmp.version", "1"));
        CU_ASSERT(field_is(ev, "snmp.v1.enterprise", "1.3.6.1.4.1.99999"));
        CU_ASSERT(field_is(ev, "snmp.v1.agent_addr", "192.0.2.1"));
        CU_ASSERT(event_get_int(ev, "snmp.v1.generic", &x) == 0 && x == g);
        CU_ASSERT(event_get_int(ev, "snmp.v1.specific", &x) == 0 && x == 0);
        CU_ASSERT(event_get_int(ev, "snmp.uptime", &x) == 0 && x == 4242);
        /* v1: the agent is the PDU's agent-addr, the sender stays in source.*. */
        CU_ASSERT(field_is(ev, "observer.ip", "192.0.2.1"));
        CU_ASSERT(field_is(ev, "source.ip", "198.51.100.9"));
        CU_ASSERT(event_get_int(ev, "source.port", &x) == 0 && x == 40001);
        CU_ASSERT(field_is(ev, "network.protocol", "snmp"));
        CU_ASSERT(field_is(ev, "network.transport", "udp"));
        CU_ASSERT(field_is(ev, "process.name", "snmptrap"));
        CU_ASSERT(field_is(ev, "event.kind", "event"));
        CU_ASSERT(field_is(ev, "@timestamp", "2023-11-14T22:13:20.123Z"));
        CU_ASSERT(field_is(ev, "event.ingested", "2023-11-14T22:13:20.123Z"));
        snprintf(want, sizeof(want), "1.3.6.1.6.3.1.1.5.%ld vtPortIndex.7=7", g + 1);
        CU_ASSERT(field_is(ev, "message", want));
        event_unref(ev);
        sbuf_free(&json);
        snmp_free_pdu(pdu);
    }
}

static void test_v1_enterprise_specific(void)
{
    struct sockaddr_in p = peer4("198.51.100.9", 162);
    netsnmp_pdu *pdu = v1_pdu(6, 1, "0.0.0.0");
    struct sbuf json = {0};
    struct vg_event *ev;
    fjson_object *a;
    int64_t x;

    add_int(pdu, port_index, OID_LENGTH(port_index), ASN_INTEGER, 7);
    add_int(pdu, port_state, OID_LENGTH(port_state), ASN_INTEGER, 2);
    ev = convert(pdu, (struct sockaddr *)&p, &json);
    /* RFC 3584 3.1 (2): enterprise, then 0, then the specific trap. */
    CU_ASSERT(field_is(ev, "snmp.trap_oid", "1.3.6.1.4.1.99999.0.1"));
    CU_ASSERT(field_is(ev, "snmp.trap_name", "VIGIL-TEST-MIB::vtPortDown"));
    CU_ASSERT(field_is(ev, "event.code", "VIGIL-TEST-MIB::vtPortDown"));
    CU_ASSERT(event_get_int(ev, "snmp.v1.specific", &x) == 0 && x == 1);
    /* agent-addr 0.0.0.0 names nobody: the sender is the agent. */
    CU_ASSERT(field_is(ev, "snmp.v1.agent_addr", "0.0.0.0"));
    CU_ASSERT(field_is(ev, "observer.ip", "198.51.100.9"));
    CU_ASSERT(field_is(ev, "message",
                       "VIGIL-TEST-MIB::vtPortDown vtPortIndex.7=7 "
                       "vtPortState.7=down"));
    a = varbinds(ev);
    CU_ASSERT_EQUAL(fjson_object_array_length(a), 2);
    CU_ASSERT(vb_is(a, 0, "oid", "1.3.6.1.4.1.99999.1.1.1.1.7"));
    CU_ASSERT(vb_is(a, 0, "name", "VIGIL-TEST-MIB::vtPortIndex.7"));
    CU_ASSERT(vb_is(a, 0, "type", "integer"));
    CU_ASSERT(vb_is(a, 0, "value", "7"));
    CU_ASSERT(vb_is(a, 0, "label", NULL));
    CU_ASSERT(vb_is(a, 1, "name", "VIGIL-TEST-MIB::vtPortState.7"));
    CU_ASSERT(vb_is(a, 1, "value", "2"));
    CU_ASSERT(vb_is(a, 1, "label", "down"));
    {
        fjson_object *v = NULL;

        /* Numbers stay JSON numbers. */
        CU_ASSERT(fjson_object_object_get_ex(fjson_object_array_get_idx(a, 1), "value", &v));
        CU_ASSERT_EQUAL(fjson_object_get_type(v), fjson_type_int);
    }
    fjson_object_put(a);
    event_unref(ev);
    sbuf_free(&json);
    snmp_free_pdu(pdu);
}

static void test_v2c_trap_address(void)
{
    struct sockaddr_in p = peer4("203.0.113.20", 50000);
    netsnmp_pdu *pdu = v2_pdu(SNMP_MSG_TRAP2, link_down, OID_LENGTH(link_down));
    unsigned char fwd[4] = {10, 9, 8, 7};
    struct sbuf json = {0};
    struct vg_event *ev;
    fjson_object *a;
    int64_t x;

    add_int(pdu, port_index, OID_LENGTH(port_index), ASN_INTEGER, 7);
    add_bytes(pdu, trapaddr_oid, OID_LENGTH(trapaddr_oid), ASN_IPADDRESS, fwd, 4);
    add_bytes(pdu, trapcomm_oid, OID_LENGTH(trapcomm_oid), ASN_OCTET_STR, "s3cr3t-fwd", 10);
    ev = convert(pdu, (struct sockaddr *)&p, &json);
    CU_ASSERT(field_is(ev, "snmp.version", "2c"));
    CU_ASSERT(field_is(ev, "snmp.trap_oid", "1.3.6.1.6.3.1.1.5.3"));
    CU_ASSERT(field_is(ev, "event.code", "1.3.6.1.6.3.1.1.5.3"));
    CU_ASSERT(event_get_int(ev, "snmp.uptime", &x) == 0 && x == 98765);
    /* A forwarded trap: the agent is snmpTrapAddress.0, the forwarder is the source. */
    CU_ASSERT(field_is(ev, "observer.ip", "10.9.8.7"));
    CU_ASSERT(field_is(ev, "source.ip", "203.0.113.20"));
    CU_ASSERT(field_is(ev, "snmp.v1.enterprise", NULL));
    CU_ASSERT(field_is(ev, "snmp.security_name", NULL));
    a = varbinds(ev);
    /* sysUpTime.0 and snmpTrapOID.0 are fields; snmpTrapCommunity.0 is dropped. */
    CU_ASSERT_EQUAL(fjson_object_array_length(a), 2);
    CU_ASSERT(vb_is(a, 1, "oid", "1.3.6.1.6.3.18.1.3.0"));
    CU_ASSERT(vb_is(a, 1, "type", "ip_address"));
    CU_ASSERT(vb_is(a, 1, "value", "10.9.8.7"));
    CU_ASSERT(vb_is(a, 1, "name", NULL));
    CU_ASSERT(field_is(ev, "message",
                       "1.3.6.1.6.3.1.1.5.3 vtPortIndex.7=7 "
                       "1.3.6.1.6.3.18.1.3.0=10.9.8.7"));
    fjson_object_put(a);
    event_unref(ev);
    sbuf_free(&json);
    snmp_free_pdu(pdu);
}

static void test_v3_inform(void)
{
    struct sockaddr_in6 p;
    netsnmp_pdu *pdu = v2_pdu(SNMP_MSG_INFORM, port_down, OID_LENGTH(port_down));
    struct sbuf json = {0};
    struct vg_event *ev;
    int64_t x;

    memset(&p, 0, sizeof(p));
    p.sin6_family = AF_INET6;
    p.sin6_port = htons(1234);
    inet_pton(AF_INET6, "2001:db8::5", &p.sin6_addr);
    pdu->version = SNMP_VERSION_3;
    pdu->securityName = xstrdup("noc-v3");
    pdu->securityNameLen = strlen("noc-v3");
    ev = convert(pdu, (struct sockaddr *)&p, &json);
    CU_ASSERT(field_is(ev, "snmp.version", "3"));
    CU_ASSERT(field_is(ev, "snmp.security_name", "noc-v3"));
    CU_ASSERT(field_is(ev, "snmp.trap_name", "VIGIL-TEST-MIB::vtPortDown"));
    CU_ASSERT(field_is(ev, "source.ip", "2001:db8::5"));
    CU_ASSERT(event_get_int(ev, "source.port", &x) == 0 && x == 1234);
    CU_ASSERT(field_is(ev, "observer.ip", "2001:db8::5"));
    CU_ASSERT(field_is(ev, "snmp.varbinds", "[]"));
    CU_ASSERT(field_is(ev, "message", "VIGIL-TEST-MIB::vtPortDown"));
    event_unref(ev);
    sbuf_free(&json);
    snmp_free_pdu(pdu);
}

static void test_values(void)
{
    struct sockaddr_in p = peer4("192.0.2.44", 162);
    netsnmp_pdu *pdu = v2_pdu(SNMP_MSG_TRAP2, port_down, OID_LENGTH(port_down));
    struct counter64 big = {0xfffffffeUL, 0xffffffffUL};
    oid val_oid[] = {1, 3, 6, 1, 4, 1, 99999, 0, 1};
    unsigned char ip[4] = {192, 0, 2, 200};
    unsigned char binary[3] = {0x00, 0xff, 0x10};
    unsigned char opaque[2] = {0x9f, 0x78};
    struct sbuf json = {0};
    struct vg_event *ev;
    fjson_object *a;

    add_int(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_INTEGER, -5);
    add_int(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_COUNTER, 4294967295L);
    add_int(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_GAUGE, 1000);
    add_int(pdu, port_speed, OID_LENGTH(port_speed), ASN_UNSIGNED, 1000);
    add_int(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_TIMETICKS, 360000);
    add_bytes(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_COUNTER64, &big, sizeof(big));
    add_bytes(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_IPADDRESS, ip, 4);
    add_bytes(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_OBJECT_ID, val_oid, sizeof(val_oid));
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, "Gi0/1 \"core\" a\\b", 17);
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, binary, sizeof(binary));
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR,
              "\xff\xfe"
              "ab",
              4);
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, "Z\xc3\xbcrich", 7);
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, "eth0\0", 5);
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, "two\nlines", 9);
    add_bytes(pdu, port_mac, OID_LENGTH(port_mac), ASN_OCTET_STR, "ABCDEF", 6);
    add_bytes(pdu, port_name, OID_LENGTH(port_name), ASN_OCTET_STR, "", 0);
    add_bytes(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_NULL, NULL, 0);
    add_bytes(pdu, unknown_obj, OID_LENGTH(unknown_obj), ASN_OPAQUE, opaque, 2);
    ev = convert(pdu, (struct sockaddr *)&p, &json);
    a = varbinds(ev);
    CU_ASSERT_EQUAL_FATAL(fjson_object_array_length(a), 18);
    CU_ASSERT(vb_is(a, 0, "type", "integer") && vb_is(a, 0, "value", "-5"));
    CU_ASSERT(vb_is(a, 0, "name", NULL));
    CU_ASSERT(vb_is(a, 1, "type", "counter32") && vb_is(a, 1, "value", "4294967295"));
    CU_ASSERT(vb_is(a, 2, "type", "gauge32") && vb_is(a, 2, "value", "1000"));
    CU_ASSERT(vb_is(a, 3, "type", "unsigned") && vb_is(a, 3, "value", "1000"));
    CU_ASSERT(vb_is(a, 4, "type", "timeticks") && vb_is(a, 4, "value", "360000"));
    /* Above int64 (where JSON readers clamp) the exact value travels as text. */
    CU_ASSERT(vb_is(a, 5, "type", "counter64") && vb_is(a, 5, "value", "18446744069414584319"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json.buf, "\"value\":\"18446744069414584319\""));
    CU_ASSERT(vb_is(a, 6, "type", "ip_address") && vb_is(a, 6, "value", "192.0.2.200"));
    CU_ASSERT(vb_is(a, 7, "type", "oid") && vb_is(a, 7, "value", "1.3.6.1.4.1.99999.0.1"));
    CU_ASSERT(vb_is(a, 8, "type", "octet_string"));
    CU_ASSERT(vb_is(a, 8, "value", "Gi0/1 \"core\" a\\b"));
    CU_ASSERT(vb_is(a, 8, "name", "VIGIL-TEST-MIB::vtPortName.7"));
    CU_ASSERT(vb_is(a, 9, "type", "hex_string") && vb_is(a, 9, "value", "00:ff:10"));
    /* Not UTF-8: hex, so the JSON stays valid and nothing is lost. */
    CU_ASSERT(vb_is(a, 10, "type", "hex_string") && vb_is(a, 10, "value", "ff:fe:61:62"));
    CU_ASSERT(vb_is(a, 11, "type", "octet_string") && vb_is(a, 11, "value", "Z\xc3\xbcrich"));
    /* A C string's trailing NUL is not part of the text. */
    CU_ASSERT(vb_is(a, 12, "type", "octet_string") && vb_is(a, 12, "value", "eth0"));
    CU_ASSERT(vb_is(a, 13, "type", "octet_string") && vb_is(a, 13, "value", "two\nlines"));
    /* DISPLAY-HINT "1x:" asks for hex even of printable bytes. */
    CU_ASSERT(vb_is(a, 14, "type", "hex_string") && vb_is(a, 14, "value", "41:42:43:44:45:46"));
    CU_ASSERT(vb_is(a, 15, "type", "octet_string") && vb_is(a, 15, "value", ""));
    CU_ASSERT(vb_is(a, 16, "type", "null") && vb_is(a, 16, "value", ""));
    CU_ASSERT(vb_is(a, 17, "type", "opaque") && vb_is(a, 17, "value", "9f:78"));
    CU_ASSERT(field_is(ev, "message",
                       "VIGIL-TEST-MIB::vtPortDown 1.3.6.1.4.1.424242.5.1=-5 "
                       "1.3.6.1.4.1.424242.5.1=4294967295 1.3.6.1.4.1.424242.5.1=1000 "
                       "vtPortSpeed.7=1000 1.3.6.1.4.1.424242.5.1=360000 "
                       "1.3.6.1.4.1.424242.5.1=18446744069414584319 "
                       "1.3.6.1.4.1.424242.5.1=192.0.2.200 "
                       "1.3.6.1.4.1.424242.5.1=1.3.6.1.4.1.99999.0.1 "
                       "vtPortName.7=\"Gi0/1 \\\"core\\\" a\\\\b\" vtPortName.7=00:ff:10 "
                       "vtPortName.7=ff:fe:61:62 vtPortName.7=\"Z\xc3\xbcrich\" "
                       "vtPortName.7=\"eth0\" vtPortName.7=\"two\\nlines\" "
                       "vtPortMac.7=41:42:43:44:45:46 vtPortName.7=\"\" "
                       "1.3.6.1.4.1.424242.5.1= 1.3.6.1.4.1.424242.5.1=9f:78"));
    fjson_object_put(a);
    event_unref(ev);
    sbuf_free(&json);
    snmp_free_pdu(pdu);
}

static void test_rejected_pdus(void)
{
    netsnmp_pdu *get = snmp_pdu_create(SNMP_MSG_GET);
    netsnmp_pdu *no_oid = v2_pdu(SNMP_MSG_TRAP2, NULL, 0);
    struct sbuf json = {0};

    sbuf_adds(&json, "");
    CU_ASSERT_EQUAL(trap_to_json(get, NULL, "udp", 0, &json), TRAP_ERR_NOT_NOTIFICATION);
    CU_ASSERT_EQUAL(trap_to_json(no_oid, NULL, "udp", 0, &json), TRAP_ERR_NO_TRAP_OID);
    CU_ASSERT_EQUAL(json.len, 0);
    sbuf_free(&json);
    snmp_free_pdu(get);
    snmp_free_pdu(no_oid);
}

/* Out-of-range v1 generic traps still make an event, with a warning. */
static void test_v1_odd_generic(void)
{
    netsnmp_pdu *pdu = v1_pdu(9, 4, "192.0.2.1");
    struct sbuf json = {0};
    struct vg_event *ev = convert(pdu, NULL, &json);

    CU_ASSERT(field_is(ev, "snmp.trap_oid", "1.3.6.1.4.1.99999.0.4"));
    CU_ASSERT(event_get(ev, "vigil.parse_warning").ptr != NULL);
    CU_ASSERT(field_is(ev, "source.ip", NULL));
    CU_ASSERT(field_is(ev, "observer.ip", "192.0.2.1"));
    event_unref(ev);
    sbuf_free(&json);
    snmp_free_pdu(pdu);
}

void suite_trap(void);
void suite_trap(void)
{
    CU_pSuite s = CU_add_suite("trap", init_trap, clean_trap);

    CU_add_test(s, "v1_generic", test_v1_generic);
    CU_add_test(s, "v1_enterprise_specific", test_v1_enterprise_specific);
    CU_add_test(s, "v1_odd_generic", test_v1_odd_generic);
    CU_add_test(s, "v2c_trap_address", test_v2c_trap_address);
    CU_add_test(s, "v3_inform", test_v3_inform);
    CU_add_test(s, "values", test_values);
    CU_add_test(s, "rejected_pdus", test_rejected_pdus);
}
