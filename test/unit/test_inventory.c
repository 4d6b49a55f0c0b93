/* SPDX-License-Identifier: MIT */
/*
 * Inventory suite: every lookup of test/data/inventory/valid.json (names in any
 * case, IPv4 and IPv6 addresses in any spelling, circuits by device and
 * interface, spares, products by host, roles), large inventories, every class
 * of validation error with its message, all errors of a file reported at once,
 * hostile files (truncated, deeply nested, huge strings, not UTF-8, too large),
 * the shipped example, and reloads while another thread looks up.
 */
#include <CUnit/CUnit.h>
#include <libfastjson/json.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "testutil.h"

#define VALID VG_TEST_DATA "/inventory/valid.json"

/* Write len bytes of text to a new file NAME in a temporary directory; returns its path. */
static char *write_tmp(const char *name, const char *text, size_t len)
{
    const char *dir = test_tmpdir();
    char *path;
    FILE *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path = xasprintf("%s/%s", dir, name);
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

static struct inventory *load_valid(void)
{
    struct diag diag = {0};
    struct inventory *inv = inventory_load(VALID, &diag);
    size_t i;

    for (i = 0; i < diag.n; i++) {
        fprintf(stderr, "\n%s", diag.msgs[i]);
    }
    CU_ASSERT_EQUAL(diag.n, 0);
    diag_free(&diag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    return inv;
}

/* The lookup parsed as JSON (put it), or NULL when not found. */
static fjson_object *get(const struct inventory *inv, const char *section, const char *key)
{
    char *text = inventory_get(inv, section, key);
    fjson_object *o;

    if (text == NULL) {
        return NULL;
    }
    o = fjson_tokener_parse(text);
    CU_ASSERT_PTR_NOT_NULL(o);
    free(text);
    return o;
}

/* The string member key of o, or "" when absent. */
static const char *member(fjson_object *o, const char *key)
{
    fjson_object *v;

    if (o == NULL || !fjson_object_object_get_ex(o, key, &v) ||
        fjson_object_get_type(v) != fjson_type_string) {
        return "";
    }
    return fjson_object_get_string(v);
}

/* The integer member key of o, or -1 when absent. */
static int64_t int_member(fjson_object *o, const char *key)
{
    fjson_object *v;

    if (o == NULL || !fjson_object_object_get_ex(o, key, &v) ||
        fjson_object_get_type(v) != fjson_type_int) {
        return -1;
    }
    return fjson_object_get_int64(v);
}

/* True when the lookup gives an object whose member key is want. */
static int found(const struct inventory *inv, const char *section, const char *key,
                 const char *field, const char *want)
{
    fjson_object *o = get(inv, section, key);
    int ok = o != NULL && fjson_object_get_type(o) == fjson_type_object &&
             strcmp(member(o, field), want) == 0;

    if (o != NULL) {
        fjson_object_put(o);
    }
    return ok;
}

/* The lookup as an array of the member field of each element, joined with ','; "" when NULL. */
static char *names(const struct inventory *inv, const char *section, const char *key,
                   const char *field)
{
    fjson_object *a = get(inv, section, key);
    struct sbuf b = {0};
    int i;

    sbuf_adds(&b, "");
    if (a == NULL) {
        return b.buf;
    }
    CU_ASSERT_EQUAL(fjson_object_get_type(a), fjson_type_array);
    for (i = 0; i < fjson_object_array_length(a); i++) {
        fjson_object *e = fjson_object_array_get_idx(a, i);

        sbuf_printf(&b, "%s%s", i > 0 ? "," : "",
                    field != NULL ? member(e, field) : fjson_object_get_string(e));
    }
    fjson_object_put(a);
    return b.buf;
}

#define CHECK_NAMES(inv, section, key, field, want)   \
    do {                                              \
        char *got_ = names(inv, section, key, field); \
        CU_ASSERT_STRING_EQUAL(got_, want);           \
        free(got_);                                   \
    } while (0)

static void test_devices_and_hosts(void)
{
    struct inventory *inv = load_valid();
    fjson_object *o;
    fjson_object *snmp = NULL;

    CU_ASSERT_TRUE(found(inv, "devices", "Core-SW1", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "core-sw1", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "CORE-SW1", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "10.0.0.2", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "2001:db8::2", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "2001:0DB8:0:0:0:0:0:2", "name", "Core-SW1"));
    CU_ASSERT_TRUE(found(inv, "devices", "::ffff:10.0.3.1", "name", "access-sw3"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", "core-sw"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", "10.0.0.3"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", "10.1.2.3")); /* a host's, not a device's */
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", ""));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "hosts", "Core-SW1"));

    CU_ASSERT_TRUE(found(inv, "hosts", "PACS-01", "switch", "access-sw3"));
    CU_ASSERT_TRUE(found(inv, "hosts", "10.1.2.3", "port", "GigabitEthernet1/0/12"));
    CU_ASSERT_TRUE(found(inv, "hosts", "2001:db8:1:0::3", "name", "pacs-01"));
    CU_ASSERT_TRUE(found(inv, "hosts", "his-app1", "switch", "CORE-SW1"));

    /* SNMP defaults: port 161 and the first address; explicit values kept. */
    o = get(inv, "devices", "access-sw3");
    CU_ASSERT_FATAL(o != NULL && fjson_object_object_get_ex(o, "snmp", &snmp));
    CU_ASSERT_STRING_EQUAL(member(snmp, "address"), "10.0.3.1");
    CU_ASSERT_EQUAL(int_member(snmp, "port"), 161);
    fjson_object_put(o);
    o = get(inv, "devices", "wan-r1");
    CU_ASSERT_FATAL(o != NULL && fjson_object_object_get_ex(o, "snmp", &snmp));
    CU_ASSERT_STRING_EQUAL(member(snmp, "address"), "10.0.9.11");
    CU_ASSERT_EQUAL(int_member(snmp, "port"), 1161);
    fjson_object_put(o);

    /* Whole sections, and the text kept as written (no "\/" escapes). */
    CHECK_NAMES(inv, "devices", NULL, "name", "Core-SW1,access-sw3,wan-r1");
    CHECK_NAMES(inv, "hosts", NULL, "name", "pacs-01,his-app1");
    CU_ASSERT_EQUAL(inventory_count(inv, "devices"), 3);
    CU_ASSERT_EQUAL(inventory_count(inv, "hosts"), 2);
    CU_ASSERT_EQUAL(inventory_count(inv, "cats"), 0);
    CU_ASSERT_PTR_NULL(inventory_get(inv, "cats", NULL));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "cats", "x"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, NULL, "x"));
    CU_ASSERT_PTR_NULL(inventory_get(NULL, "devices", "x"));
    inventory_free(inv);
}

static void test_circuits_spares_databases(void)
{
    struct inventory *inv = load_valid();
    char *text;

    CU_ASSERT_TRUE(found(inv, "circuits", "CT-1001", "carrier", "ChinaTel"));
    CU_ASSERT_TRUE(found(inv, "circuits", "ct-1001", "responsibility", "carrier"));
    CU_ASSERT_TRUE(found(inv, "circuits", "wan-r1|Serial0/0/0", "id", "CT-1001"));
    CU_ASSERT_TRUE(found(inv, "circuits", "WAN-R1|Serial0/0/1", "id", "CU-2002"));
    CU_ASSERT_TRUE(found(inv, "circuits", "Wan-R1|Serial0/0/1", "responsibility", "ours"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "circuits", "wan-r1|serial0/0/0")); /* interface exact */
    CU_ASSERT_PTR_NULL(inventory_get(inv, "circuits", "wan-r1|"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "circuits", "|Serial0/0/0"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "circuits", "wan-r2|Serial0/0/0"));
    text = inventory_get(inv, "circuits", "CT-1001");
    CU_ASSERT_FATAL(text != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"interface\":\"Serial0/0/0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"api\":\"https://api.carrier.example/tickets\""));
    free(text);

    CHECK_NAMES(inv, "spares", "C9300-48P", "location", "HQ store room B2,Ward B cabinet");
    CHECK_NAMES(inv, "spares", "c9300-48p", "site", "HQ,Ward B");
    CHECK_NAMES(inv, "spares", "GLC-LH-SMD", "kind", "part");
    CU_ASSERT_PTR_NULL(inventory_get(inv, "spares", "C9200-24P"));
    CU_ASSERT_EQUAL(inventory_count(inv, "spares"), 3);

    CU_ASSERT_TRUE(found(inv, "databases", "his-db", "standby", "db2"));
    CU_ASSERT_TRUE(found(inv, "databases", "DB1", "name", "his-db"));
    CU_ASSERT_TRUE(found(inv, "databases", "db2", "check_expect", "t"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "databases", "db3"));
    inventory_free(inv);
}

static void test_products_people_roles(void)
{
    struct inventory *inv = load_valid();

    CHECK_NAMES(inv, "products", "PACS viewer", "registration", "NMPA 2021-123");
    CHECK_NAMES(inv, "products", "pacs viewer", "name", "PACS viewer");
    CHECK_NAMES(inv, "products", "pacs-01", "name", "PACS viewer,HIS");
    CHECK_NAMES(inv, "products", "HIS-APP1", "name", "HIS");
    CHECK_NAMES(inv, "products", "his", "vendor", "Example Soft");
    CU_ASSERT_PTR_NULL(inventory_get(inv, "products", "db1"));

    CU_ASSERT_TRUE(found(inv, "people", "li wei", "email", "li.wei@example.com"));
    CU_ASSERT_TRUE(found(inv, "people", "CITY IT OFFICE", "organization", "Municipal IT office"));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "people", "Li"));

    CHECK_NAMES(inv, "roles", "on_duty", "name", "Li Wei,Zhang Min");
    CHECK_NAMES(inv, "roles", "On_Duty", "name", "Li Wei,Zhang Min");
    CHECK_NAMES(inv, "roles", "authority", "name", "City IT office,Police cyber unit");
    CHECK_NAMES(inv, "roles", "security_lead", "name", "Li Wei");
    CU_ASSERT_PTR_NULL(inventory_get(inv, "roles", "leadership"));
    CHECK_NAMES(inv, "roles", NULL, NULL, "security_lead,on_duty,network_lead,authority");
    CU_ASSERT_EQUAL(inventory_count(inv, "roles"), 4);
    CU_ASSERT_EQUAL(inventory_count(inv, "people"), 4);
    inventory_free(inv);
}

/* Empty and absent sections: whole-section lookups give NULL, never "[]". */
static void test_empty(void)
{
    static const char text[] = "{\"devices\": [], \"notes\": \"nothing yet\"}";
    char *path = write_tmp("empty.json", text, sizeof(text) - 1);
    struct diag diag = {0};
    struct inventory *inv = inventory_load(path, &diag);

    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    CU_ASSERT_EQUAL(diag.n, 0);
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", NULL));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "people", NULL));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "roles", NULL));
    CU_ASSERT_PTR_NULL(inventory_get(inv, "devices", "x"));
    CU_ASSERT_EQUAL(inventory_count(inv, "devices"), 0);
    inventory_free(inv);
    free(path);
}

/* Thousands of entries: every one found through the indexes after they grew. */
static void test_large(void)
{
    struct sbuf b = {0};
    struct diag diag = {0};
    struct inventory *inv;
    char key[64];
    char *path;
    int n = 5000;
    int i;

    sbuf_adds(&b, "{\"devices\": [");
    for (i = 0; i < n; i++) {
        sbuf_printf(&b, "%s{\"name\": \"SW-%d\", \"addresses\": [\"10.%d.%d.1\", \"fd00::%x\"]}",
                    i > 0 ? "," : "", i, i / 256, i % 256, i);
    }
    sbuf_adds(&b, "], \"people\": [");
    for (i = 0; i < n; i++) {
        sbuf_printf(&b, "%s{\"name\": \"p%d\", \"roles\": [\"r%d\", \"all\"]}", i > 0 ? "," : "", i,
                    i % 7);
    }
    sbuf_adds(&b, "]}");
    path = write_tmp("large.json", b.buf, b.len);
    inv = inventory_load(path, &diag);
    CU_ASSERT_EQUAL(diag.n, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    for (i = 0; i < n; i++) {
        char want[32];
        int ok;

        snprintf(want, sizeof(want), "SW-%d", i);
        snprintf(key, sizeof(key), "sw-%d", i);
        ok = found(inv, "devices", key, "name", want);
        snprintf(key, sizeof(key), "10.%d.%d.1", i / 256, i % 256);
        ok = ok && found(inv, "devices", key, "name", want);
        snprintf(key, sizeof(key), "fd00:0::%x", i);
        ok = ok && found(inv, "devices", key, "name", want);
        snprintf(key, sizeof(key), "p%d", i);
        ok = ok && found(inv, "people", key, "name", key);
        if (!ok) {
            CU_FAIL("an entry of the large inventory was not found");
            break;
        }
    }
    CU_ASSERT_EQUAL(inventory_count(inv, "roles"), 8);
    {
        fjson_object *all = get(inv, "roles", "ALL");

        CU_ASSERT_FATAL(all != NULL);
        CU_ASSERT_EQUAL(fjson_object_array_length(all), n);
        fjson_object_put(all);
    }
    inventory_free(inv);
    sbuf_free(&b);
    free(path);
}

/* One invalid inventory and a message its load must give. */
struct bad_case {
    const char *json; /* the whole file */
    const char *msg;  /* expected after "FILE: " in one of the messages */
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
    /* the top level and sections */
    {"[]", "$: must be an object, not an array"},
    {"{\"device\": []}", "$: unknown key \"device\""},
    {"{\"devices\": {}}", "$.devices: must be an array, not an object"},
    {"{\"devices\": null}", "$.devices: must be an array, not null"},
    {"{\"devices\": [1]}", "$.devices[0]: must be an object, not a number"},
    {"{\"$schema\": 3}", "$.$schema: must be a string, not a number"},
    /* required members, unknown members, types */
    {"{\"devices\": [{\"addresses\": []}]}", "$.devices[0]: missing required key \"name\""},
    {"{\"devices\": [{\"name\": \"a\", \"colour\": \"red\"}]}",
     "$.devices[0]: unknown key \"colour\""},
    {"{\"devices\": [{\"name\": \"a\", \"support\": {\"fax\": \"1\"}}]}",
     "$.devices[0].support: unknown key \"fax\""},
    {"{\"devices\": [{\"name\": \"a\", \"config\": {\"tftp\": \"1\"}}]}",
     "$.devices[0].config: unknown key \"tftp\""},
    {"{\"devices\": [{\"name\": 1}]}", "$.devices[0].name: must be a string, not a number"},
    {"{\"devices\": [{\"name\": \"\"}]}", "$.devices[0].name: must not be empty"},
    {"{\"devices\": [{\"name\": \"a\\u0001b\"}]}",
     "$.devices[0].name: must not contain control characters"},
    {"{\"devices\": [{\"name\": \"a\\u0000b\"}]}",
     "$.devices[0].name: must not contain a NUL character"},
    {"{\"devices\": [{\"name\": \"a\", \"notes\": 5}]}",
     "$.devices[0].notes: must be a string, not a number"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": \"10.0.0.1\"}]}",
     "$.devices[0].addresses: must be an array, not a string"},
    /* addresses */
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.256\"]}]}",
     "$.devices[0].addresses[0]: not an IPv4 or IPv6 address: \"10.0.0.256\""},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.0/8\"]}]}",
     "$.devices[0].addresses[0]: not an IPv4 or IPv6 address: \"10.0.0.0/8\""},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"2001:db8::g\"]}]}",
     "$.devices[0].addresses[0]: not an IPv4 or IPv6 address"},
    {"{\"devices\": [{\"name\": \"a\", \"config\": {\"tftp_server\": \"tftp.example\"}}]}",
     "$.devices[0].config.tftp_server: not an IPv4 or IPv6 address"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\", \"::ffff:10.0.0.1\"]}]}",
     "$.devices[0].addresses[1]: address 10.0.0.1 is listed twice"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"2001:db8::1\"]},"
     " {\"name\": \"b\", \"addresses\": [\"2001:DB8:0::1\"]}]}",
     "$.devices[1].addresses[0]: address 2001:db8::1 is also an address of $.devices[0]"},
    /* enums */
    {"{\"devices\": [{\"name\": \"a\", \"criticality\": \"urgent\"}]}",
     "$.devices[0].criticality: must be one of low, medium, high, critical"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"4\"}}]}",
     "$.devices[0].snmp.version: must be one of 1, 2c, 3"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": 2}}]}",
     "$.devices[0].snmp.version: must be one of 1, 2c, 3"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"noAuthNoPriv\"}}]}",
     "$.devices[0].snmp.level: must be one of authNoPriv, authPriv"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authNoPriv\", \"auth_protocol\": \"SHA1\", \"auth_key\": \"env:K\"}}]}",
     "$.devices[0].snmp.auth_protocol: must be one of SHA, SHA-256, SHA-512, MD5"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"env:K\","
     " \"priv_protocol\": \"3DES\", \"priv_key\": \"env:P\"}}]}",
     "$.devices[0].snmp.priv_protocol: must be one of AES, AES-256, DES"},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"c\", \"device\": \"r\","
     " \"interface\": \"s0\", \"carrier\": \"x\", \"responsibility\": \"them\"}]}",
     "$.circuits[0].responsibility: must be one of ours, carrier"},
    /* SNMP versions and levels */
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"community\": \"env:C\"}}]}",
     "$.devices[0].snmp: missing required key \"version\""},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\"}}]}",
     "$.devices[0].snmp: missing required key \"community\" (SNMP versions 1 and 2c)"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"1\","
     " \"community\": \"env:C\", \"user\": \"u\"}}]}",
     "$.devices[0].snmp.user: only for SNMP version 3"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\"}}]}",
     "$.devices[0].snmp: missing required key \"user\" (SNMP version 3)"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authNoPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"env:K\","
     " \"community\": \"env:C\"}}]}",
     "$.devices[0].snmp.community: only for SNMP versions 1 and 2c"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authNoPriv\", \"auth_protocol\": \"SHA\"}}]}",
     "$.devices[0].snmp: missing required key \"auth_key\" (level authNoPriv)"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authNoPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"env:K\","
     " \"priv_key\": \"env:P\"}}]}",
     "$.devices[0].snmp.priv_key: only with level authPriv"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"env:K\"}}]}",
     "$.devices[0].snmp: missing required key \"priv_protocol\" (level authPriv)"},
    {"{\"devices\": [{\"name\": \"a\", \"snmp\": {\"version\": \"2c\", \"community\": \"env:C\"}}]}",
     "$.devices[0].snmp: missing required key \"address\" (the device has no addresses)"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"env:C\", \"port\": 70000}}]}",
     "$.devices[0].snmp.port: must be an integer from 1 to 65535, not 70000"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"env:C\", \"port\": \"161\"}}]}",
     "$.devices[0].snmp.port: must be an integer from 1 to 65535, not a string"},
    /* secret references */
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"s3cret\"}}]}",
     "$.devices[0].snmp.community: an inline secret is refused: use a reference, \"file:/path\""},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authNoPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"s3cret\"}}]}",
     "$.devices[0].snmp.auth_key: an inline secret is refused"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"3\","
     " \"user\": \"u\", \"level\": \"authPriv\", \"auth_protocol\": \"SHA\", \"auth_key\": \"env:K\","
     " \"priv_protocol\": \"AES\", \"priv_key\": \"s3cret\"}}]}",
     "$.devices[0].snmp.priv_key: an inline secret is refused"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"file:secrets/s3cret\"}}]}",
     "$.devices[0].snmp.community: a file: reference needs an absolute path"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"env:1s3cret\"}}]}",
     "$.devices[0].snmp.community: an env: reference needs a variable name"},
    {"{\"devices\": [{\"name\": \"a\", \"addresses\": [\"10.0.0.1\"], \"snmp\": {\"version\": \"2c\","
     " \"community\": \"env:\"}}]}",
     "$.devices[0].snmp.community: an env: reference needs a variable name"},
    /* duplicates, naming both places */
    {"{\"devices\": [{\"name\": \"core\"}, {\"name\": \"x\"}, {\"name\": \"CORE\"}]}",
     "$.devices[2].name: duplicate name \"CORE\" (also at $.devices[0])"},
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"switch\": \"s\", \"port\": \"p\"},"
     " {\"name\": \"H\", \"switch\": \"s\", \"port\": \"q\"}]}",
     "$.hosts[1].name: duplicate name \"H\" (also at $.hosts[0])"},
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"switch\": \"s\", \"port\": \"p\","
     " \"addresses\": [\"10.0.0.1\"]}, {\"name\": \"i\", \"switch\": \"s\", \"port\": \"q\","
     " \"addresses\": [\"10.0.0.1\"]}]}",
     "$.hosts[1].addresses[0]: address 10.0.0.1 is also an address of $.hosts[0]"},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"C1\", \"device\": \"r\","
     " \"interface\": \"s0\", \"carrier\": \"x\", \"responsibility\": \"ours\"}, {\"id\": \"c1\","
     " \"device\": \"r\", \"interface\": \"s1\", \"carrier\": \"x\", \"responsibility\": \"ours\"}]}",
     "$.circuits[1].id: duplicate id \"c1\" (also at $.circuits[0])"},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"C1\", \"device\": \"r\","
     " \"interface\": \"s0\", \"carrier\": \"x\", \"responsibility\": \"ours\"}, {\"id\": \"C2\","
     " \"device\": \"R\", \"interface\": \"s0\", \"carrier\": \"x\", \"responsibility\": \"ours\"}]}",
     "$.circuits[1].interface: interface \"s0\" of R already has a circuit: $.circuits[0]"},
    {"{\"people\": [{\"name\": \"Li Wei\", \"roles\": []}, {\"name\": \"li wei\", \"roles\": []}]}",
     "$.people[1].name: duplicate name \"li wei\" (also at $.people[0])"},
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"a\", \"standby\": \"b\"},"
     " {\"name\": \"D\", \"primary\": \"c\", \"standby\": \"e\"}]}",
     "$.databases[1].name: duplicate name \"D\" (also at $.databases[0])"},
    /* hosts */
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"port\": \"p\"}]}",
     "$.hosts[0]: missing required key \"switch\""},
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"switch\": \"s9\", \"port\": \"p\"}]}",
     "$.hosts[0].switch: \"s9\" is not the name of a device in $.devices"},
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"switch\": \"s\"}]}",
     "$.hosts[0]: missing required key \"port\" or \"if_index\""},
    {"{\"devices\": [{\"name\": \"s\"}], \"hosts\": [{\"name\": \"h\", \"switch\": \"s\", \"if_index\": 0}]}",
     "$.hosts[0].if_index: must be an integer from 1 to 2147483647, not 0"},
    /* circuits */
    {"{\"circuits\": [{\"id\": \"C1\", \"device\": \"r9\", \"interface\": \"s0\", \"carrier\": \"x\","
     " \"responsibility\": \"ours\"}]}",
     "$.circuits[0].device: \"r9\" is not the name of a device in $.devices"},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"C1\", \"device\": \"r\","
     " \"interface\": \"s0\", \"responsibility\": \"ours\"}]}",
     "$.circuits[0]: missing required key \"carrier\""},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"C1\", \"device\": \"r\","
     " \"interface\": \"s0\", \"carrier\": \"x\"}]}",
     "$.circuits[0]: missing required key \"responsibility\""},
    {"{\"devices\": [{\"name\": \"r\"}], \"circuits\": [{\"id\": \"C1\", \"device\": \"r\","
     " \"interface\": \"s0\", \"carrier\": \"x\", \"responsibility\": \"ours\", \"contact\": []}]}",
     "$.circuits[0].contact: must be an object, not an array"},
    /* spares */
    {"{\"spares\": [{\"model\": \"m\", \"location\": \"l\", \"count\": -1}]}",
     "$.spares[0].count: must be an integer from 0 to 1000000, not -1"},
    {"{\"spares\": [{\"model\": \"m\", \"location\": \"l\", \"count\": 1.5}]}",
     "$.spares[0].count: must be an integer from 0 to 1000000, not a number"},
    {"{\"spares\": [{\"model\": \"m\", \"count\": 1}]}",
     "$.spares[0]: missing required key \"location\""},
    {"{\"spares\": [{\"location\": \"l\", \"count\": 1}]}",
     "$.spares[0]: missing required key \"model\""},
    /* databases */
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"a\"}]}",
     "$.databases[0]: missing required key \"standby\""},
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"db1\", \"standby\": \"DB1\"}]}",
     "$.databases[0].standby: must not be the primary"},
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"a\", \"standby\": \"b\", \"method\": \"promote\"}]}",
     "$.databases[0]: missing required key \"promote\" (method \"promote\")"},
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"a\", \"standby\": \"b\", \"promote\": [\"ssh\"]}]}",
     "$.databases[0].promote[0]: must be an absolute path"},
    {"{\"databases\": [{\"name\": \"d\", \"primary\": \"a\", \"standby\": \"b\", \"check\": []}]}",
     "$.databases[0].check: must have 1 to 64 elements, not 0"},
    /* products */
    {"{\"products\": [{\"name\": \"p\", \"registered\": \"yes\", \"hosts\": []}]}",
     "$.products[0].registered: must be true or false, not a string"},
    {"{\"products\": [{\"name\": \"p\", \"registered\": true}]}",
     "$.products[0]: missing required key \"hosts\""},
    {"{\"products\": [{\"name\": \"p\", \"hosts\": [\"h\"]}]}",
     "$.products[0]: missing required key \"registered\""},
    {"{\"products\": [{\"name\": \"p\", \"registered\": true, \"hosts\": [\"h\", 3]}]}",
     "$.products[0].hosts[1]: must be a string, not a number"},
    /* people */
    {"{\"people\": [{\"name\": \"p\", \"roles\": \"dba\"}]}",
     "$.people[0].roles: must be an array, not a string"},
    {"{\"people\": [{\"name\": \"p\"}]}", "$.people[0]: missing required key \"roles\""},
    {"{\"people\": [{\"name\": \"p\", \"roles\": [\"\"]}]}",
     "$.people[0].roles[0]: must not be empty"},
};
/* clang-format on */

/* Load text from a file; returns the messages (free with diag_free) and checks the load failed. */
static void load_bad(const char *text, size_t len, struct diag *diag, char **path)
{
    struct inventory *inv;

    *path = write_tmp("bad.json", text, len);
    inv = inventory_load(*path, diag);
    CU_ASSERT_PTR_NULL(inv);
    CU_ASSERT_TRUE(diag->n > 0);
    inventory_free(inv);
}

/* True when one of the messages is "PATH" then rest. */
static int has_msg(const struct diag *diag, const char *path, const char *sep, const char *rest)
{
    size_t plen = strlen(path);
    size_t slen = strlen(sep);
    size_t i;

    for (i = 0; i < diag->n; i++) {
        const char *m = diag->msgs[i];

        if (strncmp(m, path, plen) == 0 && strncmp(m + plen, sep, slen) == 0 &&
            strncmp(m + plen + slen, rest, strlen(rest)) == 0) {
            return 1;
        }
    }
    return 0;
}

static void test_validation_errors(void)
{
    size_t c;
    size_t i;

    for (c = 0; c < ARRAY_SIZE(bad_cases); c++) {
        struct diag diag = {0};
        char *path;
        int ok;

        load_bad(bad_cases[c].json, strlen(bad_cases[c].json), &diag, &path);
        ok = has_msg(&diag, path, ": ", bad_cases[c].msg);
        if (!ok) {
            fprintf(stderr, "\ncase %zu: want \"%s\", got:", c, bad_cases[c].msg);
            for (i = 0; i < diag.n; i++) {
                fprintf(stderr, "\n  %s", diag.msgs[i]);
            }
        }
        CU_ASSERT_TRUE(ok);
        /* Secrets given inline never appear in a message. */
        for (i = 0; i < diag.n; i++) {
            CU_ASSERT_PTR_NULL(strstr(diag.msgs[i], "s3cret"));
        }
        diag_free(&diag);
        free(path);
    }
}

/* Every error of a file in one load, in a stable order, and a cap on their number. */
static void test_all_errors(void)
{
    static const char *const want[] = {
        ": $: unknown key \"colour\"",
        ": $.devices[0].criticality: must be one of low, medium, high, critical",
        ": $.devices[0].snmp.community: an inline secret is refused",
        ": $.devices[0].snmp: missing required key \"address\"",
        ": $.devices[1].addresses[0]: not an IPv4 or IPv6 address: \"10.0.0.300\"",
        ": $.devices[1].name: duplicate name \"R1\" (also at $.devices[0])",
        ": $.hosts[0].switch: \"sw9\" is not the name of a device in $.devices",
        ": $.circuits[0].responsibility: must be one of ours, carrier",
        ": $.people[0].roles: must be an array, not a string",
    };
    const char *file = VG_TEST_DATA "/inventory/errors.json";
    struct diag diag = {0};
    struct sbuf b = {0};
    char *path;
    size_t i;

    CU_ASSERT_PTR_NULL(inventory_load(file, &diag));
    CU_ASSERT_EQUAL(diag.n, ARRAY_SIZE(want));
    for (i = 0; i < diag.n && i < ARRAY_SIZE(want); i++) {
        CU_ASSERT_TRUE(strncmp(diag.msgs[i], file, strlen(file)) == 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(diag.msgs[i], want[i]));
        if (strstr(diag.msgs[i], want[i]) == NULL) {
            fprintf(stderr, "\nmessage %zu: %s", i, diag.msgs[i]);
        }
    }
    diag_free(&diag);

    /* 300 entries without a name: 200 messages, then a count of the rest. */
    sbuf_adds(&b, "{\"devices\": [{}");
    for (i = 1; i < 300; i++) {
        sbuf_adds(&b, ",{}");
    }
    sbuf_adds(&b, "]}");
    load_bad(b.buf, b.len, &diag, &path);
    CU_ASSERT_EQUAL(diag.n, 201);
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "$.devices[199]: missing required key \"name\""));
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "100 more errors not shown"));
    diag_free(&diag);
    sbuf_free(&b);
    free(path);
}

static void test_syntax_errors(void)
{
    static const char comma[] = "{\n  \"devices\": [\n    {\"name\": \"a\",}\n  ]\n}\n";
    struct diag diag = {0};
    char *valid;
    char *path;
    size_t len;

    load_bad(comma, sizeof(comma) - 1, &diag, &path);
    CU_ASSERT_EQUAL(diag.n, 1);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":3:18: ", "JSON syntax error: "));
    diag_free(&diag);
    free(path);

    /* The valid fixture cut in the middle of a string. */
    valid = test_read_file(VALID, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(valid);
    load_bad(valid, 700, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":", ""));
    CU_ASSERT_PTR_NOT_NULL(strstr(diag.msgs[0], ": JSON syntax error: "));
    diag_free(&diag);
    free(path);
    /* Text after the value. */
    load_bad("{} {}", 5, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:4: ", "JSON syntax error"));
    diag_free(&diag);
    free(path);
    load_bad("", 0, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:1: ", "JSON syntax error"));
    diag_free(&diag);
    free(path);
    free(valid);
}

static void test_hostile(void)
{
    static const char not_utf8[] = "{\"devices\": [{\"name\": \"a\xff\"}]}";
    static const char overlong[] = "{\n\"devices\": [{\"name\": \"\xc0\xaf\"}]}";
    static const char surrogate[] = "{\"notes\": \"\xed\xa0\x80\"}";
    static const char nul[] = "{\"notes\": \"a\0b\"}";
    struct diag diag = {0};
    struct sbuf b = {0};
    char *path;
    char *big;
    size_t i;

    load_bad(not_utf8, sizeof(not_utf8) - 1, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:25: ", "not UTF-8 (byte 0xff)"));
    diag_free(&diag);
    free(path);
    load_bad(overlong, sizeof(overlong) - 1, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":2:23: ", "not UTF-8 (byte 0xc0)"));
    diag_free(&diag);
    free(path);
    load_bad(surrogate, sizeof(surrogate) - 1, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:12: ", "not UTF-8 (byte 0xed)"));
    diag_free(&diag);
    free(path);
    load_bad(nul, sizeof(nul) - 1, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:13: ", "NUL byte in the text"));
    diag_free(&diag);
    free(path);

    /* Nesting deeper than the parser allows. */
    sbuf_adds(&b, "{\"notes\": ");
    for (i = 0; i < 100000; i++) {
        sbuf_addc(&b, '[');
    }
    load_bad(b.buf, b.len, &diag, &path);
    CU_ASSERT_TRUE(has_msg(&diag, path, ":1:", ""));
    CU_ASSERT_PTR_NOT_NULL(strstr(diag.msgs[0], "JSON syntax error: "));
    diag_free(&diag);
    free(path);
    sbuf_reset(&b);
    /* Deep but within the parser's limit: a type error, not a crash. */
    sbuf_adds(&b, "{\"devices\": [{\"name\": \"a\", \"support\": {\"name\": ");
    for (i = 0; i < 20; i++) {
        sbuf_adds(&b, "{\"a\": ");
    }
    sbuf_adds(&b, "1");
    for (i = 0; i < 20; i++) {
        sbuf_addc(&b, '}');
    }
    sbuf_adds(&b, "}}]}");
    load_bad(b.buf, b.len, &diag, &path);
    CU_ASSERT_TRUE(
        has_msg(&diag, path, ": ", "$.devices[0].support.name: must be a string, not an object"));
    diag_free(&diag);
    free(path);

    /* A 1 MiB string as a name, as notes, and as an unknown key. */
    big = xmalloc(1u << 20);
    for (i = 0; i < (1u << 20); i++) {
        big[i] = (char)('a' + i % 26);
    }
    sbuf_reset(&b);
    sbuf_adds(&b, "{\"devices\": [{\"name\": \"");
    sbuf_add(&b, big, 1u << 20);
    sbuf_adds(&b, "\"}], \"notes\": \"");
    sbuf_add(&b, big, 1u << 20);
    sbuf_adds(&b, "\", \"");
    sbuf_add(&b, big, 1u << 20);
    sbuf_adds(&b, "\": 1}");
    free(big);
    load_bad(b.buf, b.len, &diag, &path);
    CU_ASSERT_EQUAL(diag.n, 3);
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "$.devices[0].name: longer than 1024 bytes"));
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "$.notes: longer than 65536 bytes"));
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "$: unknown key \"abcdefghijklmnopqrstuvwxyz"));
    for (i = 0; i < diag.n; i++) {
        CU_ASSERT_TRUE(strlen(diag.msgs[i]) < 1024);
    }
    diag_free(&diag);
    free(path);

    /* Larger than 16 MiB; a missing file. */
    big = xmalloc(INVENTORY_MAX_BYTES + 1);
    memset(big, ' ', INVENTORY_MAX_BYTES + 1);
    big[0] = '{';
    load_bad(big, INVENTORY_MAX_BYTES + 1, &diag, &path);
    free(big);
    CU_ASSERT_TRUE(has_msg(&diag, path, ": ", "cannot read: larger than 16 MiB"));
    diag_free(&diag);
    CU_ASSERT_PTR_NULL(inventory_load("/nonexistent/inventory.json", &diag));
    CU_ASSERT_TRUE(has_msg(&diag, "/nonexistent/inventory.json", ": ", "cannot read: "));
    diag_free(&diag);
    free(path);
    sbuf_free(&b);
}

/* The shipped example is valid and has every conventional role. */
static void test_example(void)
{
    static const char *const roles[] = {"security_lead", "network_lead", "on_duty",
                                        "leadership",    "authority",    "dba"};
    struct diag diag = {0};
    struct inventory *inv = inventory_load(VG_SOURCE_DIR "/contrib/inventory.example.json", &diag);
    char *text;
    size_t i;

    for (i = 0; i < diag.n; i++) {
        fprintf(stderr, "\n%s", diag.msgs[i]);
    }
    CU_ASSERT_EQUAL(diag.n, 0);
    diag_free(&diag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    for (i = 0; i < ARRAY_SIZE(roles); i++) {
        text = inventory_get(inv, "roles", roles[i]);
        CU_ASSERT_PTR_NOT_NULL(text);
        free(text);
    }
    CU_ASSERT_TRUE(inventory_count(inv, "devices") >= 4);
    CU_ASSERT_TRUE(inventory_count(inv, "circuits") >= 2);
    CU_ASSERT_EQUAL(inventory_count(inv, "databases"), 1);
    CU_ASSERT_EQUAL(inventory_count(inv, "products"), 2);
    inventory_free(inv);
}

/* ---------------------------------------------------------------------------------------
 * Reload while another thread looks up
 */

struct reader {
    atomic_int stop;     /* set by the test to end the loop */
    atomic_long lookups; /* lookups done */
    atomic_long errors;  /* lookups that gave neither version */
    atomic_int seen;     /* version of the last answer (1 or 2) */
};

static int version_of(const char *text)
{
    if (text == NULL) {
        return 0;
    }
    if (strstr(text, "\"email\":\"v1@example.com\"") != NULL) {
        return 1;
    }
    return strstr(text, "\"email\":\"v2@example.com\"") != NULL ? 2 : 0;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;

    while (!atomic_load(&r->stop)) {
        char *person = inventory_current_get("people", "LI WEI");
        char *role = inventory_current_get("roles", "on_duty");
        char *all = inventory_current_get("devices", NULL);
        int v = version_of(person);

        if (v == 0 || version_of(role) == 0 || all == NULL || strstr(all, "sw-1") == NULL) {
            atomic_fetch_add(&r->errors, 1);
        }
        atomic_store(&r->seen, v);
        atomic_fetch_add(&r->lookups, 1);
        free(person);
        free(role);
        free(all);
    }
    return NULL;
}

/* Wait until r has done at least n more lookups (deadline 30 s); false on timeout. */
static int wait_lookups(struct reader *r, long n)
{
    long until = atomic_load(&r->lookups) + n;
    int64_t deadline = time_mono_ms() + 30000;

    while (atomic_load(&r->lookups) < until) {
        if (time_mono_ms() > deadline) {
            return 0;
        }
        sched_yield();
    }
    return 1;
}

static char *version_file(const char *name, int v)
{
    char *text = xasprintf("{\"devices\": [{\"name\": \"sw-1\", \"addresses\": [\"10.0.0.%d\"]}],"
                           " \"people\": [{\"name\": \"Li Wei\", \"roles\": [\"on_duty\"],"
                           " \"email\": \"v%d@example.com\"}]}",
                           v, v);
    char *path = write_tmp(name, text, strlen(text));

    free(text);
    return path;
}

static void test_reload(void)
{
    static const char bad[] = "{\"people\": [{\"name\": \"Li Wei\"}]}";
    char *v1 = version_file("v1.json", 1);
    char *v2 = version_file("v2.json", 2);
    char *broken = write_tmp("broken.json", bad, sizeof(bad) - 1);
    struct reader r;
    struct diag diag = {0};
    pthread_t th;
    char *text;
    int i;

    memset(&r, 0, sizeof(r));
    inventory_current_free();
    CU_ASSERT_PTR_NULL(inventory_current_get("people", "Li Wei"));
    CU_ASSERT_EQUAL(inventory_reload(broken, &diag), -1);
    CU_ASSERT_PTR_NULL(inventory_current_get("people", "Li Wei"));
    diag_free(&diag);
    CU_ASSERT_EQUAL_FATAL(inventory_reload(v1, &diag), 0);
    CU_ASSERT_EQUAL(diag.n, 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader_main, &r), 0);
    CU_ASSERT_TRUE(wait_lookups(&r, 100));

    /* A bad file: -1, its errors, and the old inventory still answers. */
    CU_ASSERT_EQUAL(inventory_reload(broken, &diag), -1);
    CU_ASSERT_TRUE(has_msg(&diag, broken, ": ", "$.people[0]: missing required key \"roles\""));
    diag_free(&diag);
    CU_ASSERT_EQUAL(inventory_reload("/nonexistent/inventory.json", &diag), -1);
    diag_free(&diag);
    CU_ASSERT_TRUE(wait_lookups(&r, 100));
    CU_ASSERT_EQUAL(atomic_load(&r.seen), 1);
    text = inventory_current_get("people", "li wei");
    CU_ASSERT_EQUAL(version_of(text), 1);
    free(text);

    /* A good one replaces it; the reader sees the new one. */
    CU_ASSERT_EQUAL(inventory_reload(v2, &diag), 0);
    CU_ASSERT_TRUE(wait_lookups(&r, 100));
    CU_ASSERT_EQUAL(atomic_load(&r.seen), 2);
    text = inventory_current_get("devices", "10.0.0.2");
    CU_ASSERT_PTR_NOT_NULL(text);
    free(text);
    CU_ASSERT_PTR_NULL(inventory_current_get("devices", "10.0.0.1"));

    /* Many swaps under the reader: each old inventory freed only after its last lookup. */
    for (i = 0; i < 200; i++) {
        CU_ASSERT_EQUAL(inventory_reload(i % 2 == 0 ? v1 : v2, &diag), 0);
        if (i % 20 == 0) {
            CU_ASSERT_TRUE(wait_lookups(&r, 1));
        }
    }
    CU_ASSERT_TRUE(wait_lookups(&r, 10));
    atomic_store(&r.stop, 1);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&r.errors), 0);
    CU_ASSERT_EQUAL(diag.n, 0);
    diag_free(&diag);

    inventory_current_free();
    CU_ASSERT_PTR_NULL(inventory_current_get("people", "Li Wei"));
    free(v1);
    free(v2);
    free(broken);
}

void suite_inventory(void);
void suite_inventory(void)
{
    CU_pSuite s = CU_add_suite("inventory", NULL, NULL);

    CU_add_test(s, "devices_and_hosts", test_devices_and_hosts);
    CU_add_test(s, "circuits_spares_databases", test_circuits_spares_databases);
    CU_add_test(s, "products_people_roles", test_products_people_roles);
    CU_add_test(s, "empty", test_empty);
    CU_add_test(s, "large", test_large);
    CU_add_test(s, "validation_errors", test_validation_errors);
    CU_add_test(s, "all_errors", test_all_errors);
    CU_add_test(s, "syntax_errors", test_syntax_errors);
    CU_add_test(s, "hostile", test_hostile);
    CU_add_test(s, "example", test_example);
    CU_add_test(s, "reload", test_reload);
}
