/* SPDX-License-Identifier: MIT */
/*
 * CEF/LEEF suite: header and extension escapes, values with spaces, custom
 * labels, LEEF 1.0 tabs and LEEF 2.0 delimiters, the syslog tag and relay
 * prefix cases, malformed headers, selection by "product", and 20,000 random
 * and mutated records that must parse without a crash or an unbounded event.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cef.h"
#include "normalize.h"
#include "syslog.h"

static struct vg_event *parse_line(const char *line)
{
    struct syslog_opts o = {.recv_ms = 1772500000000LL};
    struct vg_event *ev = event_new();

    syslog_parse(line, strlen(line), &o, ev);
    cef_parse_event(ev);
    return ev;
}

/* The field's text, or "(absent)", so a failed assertion shows something. */
static const char *get(const struct vg_event *ev, const char *name)
{
    struct vg_str v = event_get(ev, name);

    return v.ptr != NULL ? v.ptr : "(absent)";
}

static void test_cef_header_and_escapes(void)
{
    struct vg_event *ev = parse_line(
        "<134>Mar  3 10:00:00 sepm01 CEF:0|Sym\\|antec|Endpoint Protection|14.3|5|Virus \\\\ "
        "found|Very-High|src=10.0.0.1 msg=two words a\\=b\\nnext\\\\end dpt=445");
    int64_t sev;

    CU_ASSERT_STRING_EQUAL(get(ev, "cef.version"), "0");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.vendor"), "Sym|antec");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.product"), "Endpoint Protection");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.version"), "14.3");
    CU_ASSERT_STRING_EQUAL(get(ev, "event.code"), "5");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.name"), "Virus \\ found");
    CU_ASSERT_EQUAL(event_get_int(ev, "event.severity", &sev), 0);
    CU_ASSERT_EQUAL(sev, 10);
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.msg"), "two words a=b\nnext\\end");
    CU_ASSERT_STRING_EQUAL(get(ev, "event.reason"), "two words a=b\nnext\\end");
    CU_ASSERT_STRING_EQUAL(get(ev, "source.ip"), "10.0.0.1");
    CU_ASSERT_EQUAL(event_get_int(ev, "destination.port", &sev), 0);
    CU_ASSERT_EQUAL(sev, 445);
    CU_ASSERT_PTR_NULL(event_get(ev, "event.action").ptr);
    /* The message keeps the record as sent, so templates see header and extension. */
    CU_ASSERT_EQUAL(strncmp(get(ev, "message"), "CEF:0|Sym\\|antec|", 17), 0);
    event_unref(ev);
}

static void test_cef_values_and_labels(void)
{
    struct vg_event *ev = parse_line(
        "<134>Mar  3 10:00:00 h CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar|6|"
        "cn1=1 cn1Label=Host ID dvchost=ws 07 filePath=C:\\\\Program Files\\\\a b.exe "
        "cs1Label=Scan Type cs1=Real time  act=Quarantine proto=TCP shost=pc1 "
        "fileHash=44D88612FEA8A8F36DE82E1278ABB02F duser=CORP\\\\ann spt=x12 src=not-an-ip");

    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.filePath"), "C:\\Program Files\\a b.exe");
    CU_ASSERT_STRING_EQUAL(get(ev, "file.path"), "C:\\Program Files\\a b.exe");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.dvchost"), "ws 07");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.hostname"), "ws 07");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.cs1"), "Real time");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.label.Scan_Type"), "Real time");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.label.Host_ID"), "1");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.act"), "Quarantine");
    CU_ASSERT_STRING_EQUAL(get(ev, "network.transport"), "tcp");
    CU_ASSERT_STRING_EQUAL(get(ev, "source.domain"), "pc1");
    CU_ASSERT_STRING_EQUAL(get(ev, "file.hash.md5"), "44D88612FEA8A8F36DE82E1278ABB02F");
    CU_ASSERT_STRING_EQUAL(get(ev, "user.name"), "CORP\\ann");
    CU_ASSERT_PTR_NULL(event_get(ev, "source.port").ptr);
    CU_ASSERT_PTR_NULL(event_get(ev, "source.ip").ptr);
    CU_ASSERT_PTR_NULL(event_get(ev, "event.action").ptr);
    event_unref(ev);
}

static void test_cef_severity_words(void)
{
    static const struct {
        const char *sev; /* header severity */
        int64_t want;    /* event.severity, -1: absent */
    } cases[] = {{"Low", 3}, {"medium", 6},   {"High", 8}, {"Very-High", 10},
                 {"7", 7},   {"Unknown", -1}, {"11", -1},  {"", -1}};
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rec[128];
        struct vg_event *ev = event_new();
        int64_t v = -1;
        int n = snprintf(rec, sizeof(rec), "CEF:0|V|P|1|id|name|%s|a=b", cases[i].sev);

        CU_ASSERT_EQUAL(cef_parse(rec, (size_t)n, ev), CEF_CEF);
        event_get_int(ev, "event.severity", &v);
        CU_ASSERT_EQUAL(v, cases[i].want);
        CU_ASSERT_STRING_EQUAL(get(ev, "cef.severity"),
                               cases[i].sev[0] ? cases[i].sev : "(absent)");
        event_unref(ev);
    }
}

static void test_leef(void)
{
    struct vg_event *ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:1.0|IBM|QRadar|7.5|Login|"
                                     "src=10.1.1.1\tusrName=bob smith\tsrcPort=4444\tsev=7");
    int64_t v;

    CU_ASSERT_STRING_EQUAL(get(ev, "leef.version"), "1.0");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.vendor"), "IBM");
    CU_ASSERT_STRING_EQUAL(get(ev, "event.code"), "Login");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.usrName"), "bob smith");
    CU_ASSERT_STRING_EQUAL(get(ev, "user.name"), "bob smith");
    CU_ASSERT_EQUAL(event_get_int(ev, "source.port", &v), 0);
    CU_ASSERT_EQUAL(v, 4444);
    CU_ASSERT_EQUAL(event_get_int(ev, "event.severity", &v), 0);
    CU_ASSERT_EQUAL(v, 7);
    event_unref(ev);

    /* LEEF 2.0 with a character, a hex and a 0x-hex delimiter. */
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:2.0|V|P|1|E|^|src=10.1.1.2^dst=10.1.1.3^a=x y");
    CU_ASSERT_STRING_EQUAL(get(ev, "destination.ip"), "10.1.1.3");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.a"), "x y");
    event_unref(ev);
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:2.0|V|P|1|E|x5E|src=10.1.1.2^dstPort=53");
    CU_ASSERT_STRING_EQUAL(get(ev, "source.ip"), "10.1.1.2");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.dstPort"), "53");
    event_unref(ev);
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:2.0|V|P|1|E|0x7C|src=10.1.1.4|proto=UDP");
    CU_ASSERT_STRING_EQUAL(get(ev, "source.ip"), "10.1.1.4");
    CU_ASSERT_STRING_EQUAL(get(ev, "network.transport"), "udp");
    event_unref(ev);
    /* LEEF 2.0 without the delimiter field: TAB, the sixth field is the extension. */
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:2.0|V|P|1|E|cat=Anti-Malware\tname=Eicar");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.cat"), "Anti-Malware");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.name"), "Eicar");
    event_unref(ev);
    /* LEEF 1.0 with spaces instead of TABs: split the CEF way. */
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF:1.0|V|P|1|E|src=10.0.0.9 usrName=ann lee sev=3");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.ext.usrName"), "ann lee");
    CU_ASSERT_STRING_EQUAL(get(ev, "source.ip"), "10.0.0.9");
    event_unref(ev);
}

static void test_tag_and_prefix_cases(void)
{
    /* RFC 3164 parser takes "CEF:" as the tag: process.name CEF, message "0|...". */
    struct vg_event *ev = parse_line("<134>Mar  3 10:00:00 fw1 CEF: 0|A|B|1|sig|N|5|src=1.2.3.4");

    CU_ASSERT_STRING_EQUAL(get(ev, "cef.version"), "0");
    CU_ASSERT_STRING_EQUAL(get(ev, "observer.vendor"), "A");
    CU_ASSERT_STRING_EQUAL(get(ev, "message"), "CEF:0|A|B|1|sig|N|5|src=1.2.3.4");
    CU_ASSERT_PTR_NULL(event_get(ev, "process.name").ptr);
    event_unref(ev);
    ev = parse_line("<13>Mar  3 10:00:00 qr LEEF: 1.0|V|P|1|E|src=10.1.1.1");
    CU_ASSERT_STRING_EQUAL(get(ev, "leef.version"), "1.0");
    CU_ASSERT_STRING_EQUAL(get(ev, "message"), "LEEF:1.0|V|P|1|E|src=10.1.1.1");
    event_unref(ev);
    /* RFC 5424 with a relayed BSD header inside the message. */
    ev = parse_line("<134>1 2026-03-03T10:00:00Z relay app - - - Mar  3 10:00:00 h2 "
                    "CEF:0|A|B|1|sig|N|5|dhost=victim");
    CU_ASSERT_STRING_EQUAL(get(ev, "destination.domain"), "victim");
    CU_ASSERT_STRING_EQUAL(get(ev, "message"), "CEF:0|A|B|1|sig|N|5|dhost=victim");
    CU_ASSERT_STRING_EQUAL(get(ev, "process.name"), "app");
    event_unref(ev);
    /* A program tag that is not CEF: the record is the message. */
    ev = parse_line("<134>Mar  3 10:00:00 h McAfee_ePO: CEF:0|McAfee|ePO|5|1|N|5|a=b");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.a"), "b");
    CU_ASSERT_STRING_EQUAL(get(ev, "process.name"), "McAfee_ePO");
    event_unref(ev);
    /* Plain syslog is untouched. */
    ev = parse_line("<134>Mar  3 10:00:00 h sshd[1]: CEF is not here|a|b");
    CU_ASSERT_PTR_NULL(event_get(ev, "cef.version").ptr);
    CU_ASSERT_PTR_NULL(event_get(ev, "vigil.parse_warning").ptr);
    event_unref(ev);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "<134>Mar  3 10:00:00 h CEF:0|A|B|1|sig|N",
        "<134>Mar  3 10:00:00 h CEF:0|A|B|1|sig|N\\|5\\|x=y",
        "<134>Mar  3 10:00:00 h CEF:|A|B|1|sig|N|5|x=y",
        "<134>Mar  3 10:00:00 h CEF:zero|A|B|1|sig|N|5|x=y",
        "<134>Mar  3 10:00:00 h LEEF:1.0|A|B",
        "<134>Mar  3 10:00:00 h LEEF:abc|A|B|1|E|x=y",
        "<134>Mar  3 10:00:00 h CEF:0",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_event *ev = parse_line(bad[i]);

        CU_ASSERT_PTR_NULL(event_get(ev, "cef.version").ptr);
        CU_ASSERT_PTR_NULL(event_get(ev, "leef.version").ptr);
        CU_ASSERT_PTR_NULL(event_get(ev, "observer.vendor").ptr);
        CU_ASSERT_PTR_NOT_NULL(strstr(get(ev, "vigil.parse_warning"), "malformed"));
        CU_ASSERT_STRING_EQUAL(get(ev, "host.name"), "h");
        event_unref(ev);
    }
}

static void test_bounds(void)
{
    struct sbuf rec = {0};
    struct vg_event *ev = event_new();
    size_t i;
    char name[32];

    sbuf_adds(&rec, "CEF:0|V|P|1|id|n|5|");
    for (i = 0; i < 300; i++) {
        sbuf_printf(&rec, "k%zu=v %zu ", i, i);
    }
    sbuf_adds(&rec, "long=");
    for (i = 0; i < 3 * CEF_MAX_VALUE; i++) {
        sbuf_addc(&rec, 'x');
    }
    CU_ASSERT_EQUAL(cef_parse(rec.buf, rec.len, ev), CEF_CEF);
    snprintf(name, sizeof(name), "cef.ext.k%d", CEF_MAX_EXT - 1);
    CU_ASSERT_PTR_NOT_NULL(event_get(ev, name).ptr);
    snprintf(name, sizeof(name), "cef.ext.k%d", CEF_MAX_EXT);
    CU_ASSERT_PTR_NULL(event_get(ev, name).ptr);
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.truncated"), "true");
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.k5"), "v 5");
    CU_ASSERT_TRUE(ev->n_fields < CEF_MAX_EXT + 40);
    event_unref(ev);
    /* A value longer than the bound is cut. */
    ev = event_new();
    sbuf_reset(&rec);
    sbuf_adds(&rec, "CEF:0|V|P|1|id|n|5|long=");
    for (i = 0; i < 3 * CEF_MAX_VALUE; i++) {
        sbuf_addc(&rec, 'x');
    }
    CU_ASSERT_EQUAL(cef_parse(rec.buf, rec.len, ev), CEF_CEF);
    CU_ASSERT_EQUAL(event_get(ev, "cef.ext.long").len, CEF_MAX_VALUE);
    event_unref(ev);
    sbuf_free(&rec);
}

static void test_product_selector(void)
{
    const char *path = VG_SOURCE_DIR "/rules/normalize/antivirus-cef.json";
    struct diag diag = {0};
    int n_err;
    struct normalizer *nz = normalize_load(&path, 1, &diag, &n_err);
    struct syslog_opts o = {.recv_ms = 1772500000000LL};
    static const char line[] =
        "<134>Mar  3 10:00:00 dsm01 CEF:0|Trend Micro|Deep Security Agent|20.0.1.690|4000000|"
        "Eicar_test_file|6|cn1=12 cn1Label=Host ID dvchost=web-07 filePath=/tmp/eicar.com "
        "act=Quarantine result=Quarantined msg=Realtime";
    /* The same record from another vendor: the Trend templates are not tried. */
    static const char other[] =
        "<134>Mar  3 10:00:00 dsm01 CEF:0|Other|Deep Security Agent|20.0.1.690|4000000|"
        "Eicar_test_file|6|cn1=12 cn1Label=Host ID dvchost=web-07 filePath=/tmp/eicar.com "
        "act=Quarantine result=Quarantined msg=Realtime";
    struct vg_event *ev = event_new();

    CU_ASSERT_EQUAL(n_err, 0);
    syslog_parse(line, sizeof(line) - 1, &o, ev);
    CU_ASSERT_EQUAL(normalize_event(nz, ev), 1);
    CU_ASSERT_STRING_EQUAL(get(ev, "event.action"), "malware.quarantined");
    CU_ASSERT_STRING_EQUAL(get(ev, "threat.software.name"), "Eicar_test_file");
    CU_ASSERT_STRING_EQUAL(get(ev, "file.path"), "/tmp/eicar.com");
    event_unref(ev);
    ev = event_new();
    syslog_parse(other, sizeof(other) - 1, &o, ev);
    CU_ASSERT_EQUAL(normalize_event(nz, ev), 0);
    CU_ASSERT_STRING_EQUAL(get(ev, "cef.ext.act"), "Quarantine");
    CU_ASSERT_PTR_NULL(event_get(ev, "event.action").ptr);
    event_unref(ev);
    normalize_free(nz);
    diag_free(&diag);
}

/* A small deterministic generator (xorshift), so a failure can be replayed. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_random_and_mutated(void)
{
    static const char *const seeds[] = {
        ("CEF:0|Symantec|Endpoint Protection|14.3|5|Virus found|High|dhost=ws1 cs1=Trojan.Gen "
         "cs1Label=Risk Name filePath=C:\\\\a b\\\\c.exe msg=x\\=y\\nz act=Quarantined"),
        "LEEF:1.0|IBM|QRadar|7.5|Login|src=10.1.1.1\tusrName=bob\tsev=7\tdevTime=now",
        "LEEF:2.0|V|P|1|E|x5E|src=10.1.1.2^dst=10.1.1.3^a=x y",
        "CEF:1|A\\|B|C|1|s|n|Low|k=v k2=v\\\\ k3=\\=",
    };
    static const char alphabet[] = "|\\= \t=CEFLabel0x5E^:.[]ak";
    uint32_t st = 0x9e3779b9u;
    char buf[600];
    int i;

    for (i = 0; i < 20000; i++) {
        struct vg_event *ev = event_new();
        struct sbuf json = {0};
        size_t len;
        size_t k;

        if (i % 2 == 0) {
            /* Mutated: a seed with bytes replaced, inserted or the tail cut. */
            const char *s = seeds[next_rand(&st) % 4];
            size_t n_mut = 1 + next_rand(&st) % 8;

            len = strlen(s);
            memcpy(buf, s, len);
            for (k = 0; k < n_mut; k++) {
                size_t at = next_rand(&st) % len;
                uint32_t r = next_rand(&st);

                if (r % 3 == 0) {
                    buf[at] = (char)(r >> 8);
                } else if (r % 3 == 1) {
                    buf[at] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
                } else {
                    len = at + 1;
                }
            }
        } else {
            /* Random: a CEF/LEEF prefix, then bytes biased to the syntax characters. */
            const char *p = (i % 4 == 1) ? "CEF:" : "LEEF:2.0|";

            len = strlen(p);
            memcpy(buf, p, len);
            k = next_rand(&st) % 500;
            while (k-- > 0) {
                uint32_t r = next_rand(&st);

                buf[len++] = (r & 1) ? (char)(r >> 8) : alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
            }
        }
        CU_ASSERT_TRUE(cef_parse(buf, len, ev) >= CEF_MALFORMED);
        CU_ASSERT_TRUE(ev->n_fields <= 2 * CEF_MAX_EXT + 20);
        CU_ASSERT_TRUE(ev->arena_len < 64 * 1024);
        event_to_json(ev, &json);
        CU_ASSERT_TRUE(json.len > 1);
        sbuf_free(&json);
        /* The same bytes as a syslog message, through the detection path. */
        event_clear(ev);
        event_set_str(ev, "message", buf, len);
        event_set_strz(ev, "process.name", i % 3 == 0 ? "CEF" : "LEEF");
        cef_parse_event(ev);
        event_unref(ev);
    }
}

void suite_cef(void);
void suite_cef(void)
{
    CU_pSuite s = CU_add_suite("cef", NULL, NULL);

    CU_add_test(s, "cef_header_and_escapes", test_cef_header_and_escapes);
    CU_add_test(s, "cef_values_and_labels", test_cef_values_and_labels);
    CU_add_test(s, "cef_severity_words", test_cef_severity_words);
    CU_add_test(s, "leef", test_leef);
    CU_add_test(s, "tag_and_prefix_cases", test_tag_and_prefix_cases);
    CU_add_test(s, "malformed", test_malformed);
    CU_add_test(s, "bounds", test_bounds);
    CU_add_test(s, "product_selector", test_product_selector);
    CU_add_test(s, "random_and_mutated", test_random_and_mutated);
}
