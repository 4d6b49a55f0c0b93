/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the snmptrapd handler input parser (traphandle.c): the lines
 * snmptrapd writes, named and numeric, quoted values over several lines, CRLF,
 * the agent address of the transport line, and refusals (no trap OID, too
 * short, too many varbinds); random bytes never crash it.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traphandle.h"

static int parse(const char *in, struct th_trap *t, char *err, size_t err_len)
{
    return traphandle_parse(in, strlen(in), t, err, err_len);
}

/* What snmptrapd 5.9 wrote for a v2c linkDown (names, enum label, DisplayString). */
static void test_named(void)
{
    struct th_trap t;
    char err[256];
    const char *in = "localhost\n"
                     "UDP: [127.0.0.5]:41000->[127.0.0.1]:162\n"
                     "SNMPv2-MIB::sysUpTime.0 0:0:00:04.00\n"
                     "SNMPv2-MIB::snmpTrapOID.0 IF-MIB::linkDown\n"
                     "IF-MIB::ifIndex.9 9\n"
                     "IF-MIB::ifAdminStatus.9 down\n"
                     "IF-MIB::ifDescr.9 Gi0/9 uplink\n";

    CU_ASSERT_EQUAL_FATAL(parse(in, &t, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(t.host, "localhost");
    CU_ASSERT_STRING_EQUAL(t.agent_ip, "127.0.0.5");
    CU_ASSERT_EQUAL(t.n, 5);
    CU_ASSERT_STRING_EQUAL(t.varbinds[1].oid, "SNMPv2-MIB::snmpTrapOID.0");
    CU_ASSERT_STRING_EQUAL(t.varbinds[1].value, "IF-MIB::linkDown");
    CU_ASSERT_STRING_EQUAL(t.varbinds[4].value, "Gi0/9 uplink");
    CU_ASSERT_EQUAL(t.varbinds[4].quoted, 0);
    traphandle_free(&t);
}

/* Numeric OIDs (outputOption n), CRLF, IPv6 transport, quoted strings with escapes over lines. */
static void test_numeric_quoted(void)
{
    struct th_trap t;
    char err[256];
    const char *in = "router\r\n"
                     "UDP/IPv6: [2001:db8::7]:161->[::1]:162\r\n"
                     ".1.3.6.1.2.1.1.3.0 0:0:00:01.00\r\n"
                     ".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.6.3.1.1.5.3\r\n"
                     ".1.3.6.1.2.1.2.2.1.2.3 \"a \\\"quoted\\\" name\"\r\n"
                     ".1.3.6.1.2.1.2.2.1.6.3 \"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n"
                     "01 02 \"\n"
                     ".1.3.6.1.2.1.2.2.1.1.3 3\n";

    CU_ASSERT_EQUAL_FATAL(parse(in, &t, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(t.host, "router");
    CU_ASSERT_STRING_EQUAL(t.agent_ip, "2001:db8::7");
    CU_ASSERT_EQUAL_FATAL(t.n, 5);
    CU_ASSERT_STRING_EQUAL(t.varbinds[2].value, "a \"quoted\" name");
    CU_ASSERT_EQUAL(t.varbinds[2].quoted, 1);
    CU_ASSERT_STRING_EQUAL(t.varbinds[3].value,
                           "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n01 02 ");
    CU_ASSERT_STRING_EQUAL(t.varbinds[4].oid, ".1.3.6.1.2.1.2.2.1.1.3");
    CU_ASSERT_STRING_EQUAL(t.varbinds[4].value, "3");
    traphandle_free(&t);
}

/* A transport line without a numeric address leaves agent_ip unset (no DNS). */
static void test_no_agent(void)
{
    struct th_trap t;
    char err[256];
    const char *in = "sw1\n<UNKNOWN>\nSNMPv2-MIB::snmpTrapOID.0 SNMPv2-MIB::coldStart\n";

    CU_ASSERT_EQUAL_FATAL(parse(in, &t, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(t.agent_ip);
    CU_ASSERT_EQUAL(t.n, 1);
    traphandle_free(&t);
}

/* A varbind line ending at the input's last byte with a space (no value, no newline). */
static void test_ends_in_space(void)
{
    static const char in[] = "h\na\nSNMPv2-MIB::snmpTrapOID.0 x\nIF-MIB::ifDescr.1 ";
    char *copy = malloc(sizeof(in) - 1);
    struct th_trap t;
    char err[256];

    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, in, sizeof(in) - 1);
    CU_ASSERT_EQUAL_FATAL(traphandle_parse(copy, sizeof(in) - 1, &t, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(t.n, 2);
    CU_ASSERT_STRING_EQUAL(t.varbinds[1].value, "");
    traphandle_free(&t);
    free(copy);
}

static void test_refused(void)
{
    struct th_trap t;
    char err[256];
    size_t big_len = 64 + (TH_VARBINDS_MAX + 2) * 24;
    char *big;
    size_t i;
    size_t off;

    CU_ASSERT_EQUAL(parse("host\n", &t, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected host, address, varbinds"));
    CU_ASSERT_EQUAL(parse("host\naddr\nIF-MIB::ifIndex.1 1\n", &t, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "no snmpTrapOID.0 among the varbinds");
    CU_ASSERT_EQUAL(parse("", &t, err, sizeof(err)), -1);

    big = malloc(big_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    off = (size_t)snprintf(big, big_len, "h\na\nSNMPv2-MIB::snmpTrapOID.0 x\n");
    for (i = 0; i < TH_VARBINDS_MAX + 1; i++) {
        off += (size_t)snprintf(big + off, big_len - off, ".1.3.6.1.4.%zu 1\n", i);
    }
    CU_ASSERT_EQUAL(traphandle_parse(big, off, &t, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than"));
    free(big);
}

/* Random bytes and cut-off real input: parsed or refused, never a crash or a leak (ASan). */
static void test_random(void)
{
    const char *real = "localhost\nUDP: [127.0.0.5]:41000->[127.0.0.1]:162\n"
                       "SNMPv2-MIB::snmpTrapOID.0 IF-MIB::linkDown\n"
                       "IF-MIB::ifDescr.9 \"a \\\"b\\\" \n c\"\n";
    unsigned seed = 12345;
    char buf[512];
    int i;

    for (i = 0; i < 20000; i++) {
        struct th_trap t;
        char err[256];
        char *copy;
        size_t n;
        size_t k;

        seed = seed * 1103515245u + 12345u;
        n = (seed >> 8) % sizeof(buf);
        if (i % 2 == 0) {
            for (k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                buf[k] = (char)(seed >> 16);
            }
        } else {
            n = n % (strlen(real) + 1);
            memcpy(buf, real, n);
            if (n > 0) {
                buf[(seed >> 3) % n] = (char)(seed >> 20);
            }
        }
        /* An exact-size heap copy, so ASan sees a read past the end. */
        copy = malloc(n > 0 ? n : 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
        memcpy(copy, buf, n);
        if (traphandle_parse(copy, n, &t, err, sizeof(err)) == 0) {
            CU_ASSERT(t.n > 0);
            traphandle_free(&t);
        } else {
            CU_ASSERT(err[0] != '\0');
        }
        free(copy);
    }
}

void suite_traphandle(void);
void suite_traphandle(void)
{
    CU_pSuite s = CU_add_suite("traphandle", NULL, NULL);

    CU_add_test(s, "named", test_named);
    CU_add_test(s, "numeric_quoted", test_numeric_quoted);
    CU_add_test(s, "no_agent", test_no_agent);
    CU_add_test(s, "ends_in_space", test_ends_in_space);
    CU_add_test(s, "refused", test_refused);
    CU_add_test(s, "random", test_random);
}
