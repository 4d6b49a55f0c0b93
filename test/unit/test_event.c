/* SPDX-License-Identifier: MIT */
/* Unit tests of the event: fields, nesting in JSON, atoms, round trip through JSON. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "event.h"
#include "util.h"

static void to_json(struct vg_event *ev, struct sbuf *b)
{
    sbuf_reset(b);
    event_to_json(ev, b);
}

static void test_nesting(void)
{
    struct vg_event *ev = event_new();
    struct sbuf b = {0};

    event_set_strz(ev, "log.syslog.hostname", "r1");
    event_set_int(ev, "log.syslog.priority", 189);
    event_set_strz(ev, "message", "hi \"there\"\n");
    event_set_strz(ev, "log.level", "notice");
    event_set_strz(ev, "log.syslog-x", "dash");
    event_set_int(ev, "log.syslog.facility.code", 23);
    to_json(ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf,
                           "{\"log\":{\"level\":\"notice\",\"syslog\":{\"facility\":{\"code\":23},"
                           "\"hostname\":\"r1\",\"priority\":189},\"syslog-x\":\"dash\"},"
                           "\"message\":\"hi \\\"there\\\"\\n\"}");
    sbuf_free(&b);
    event_unref(ev);
}

static void test_atom_and_replace(void)
{
    struct vg_event *ev = event_new();
    struct sbuf b = {0};
    struct vg_str v;

    event_set_atom(ev, "log.syslog.structured_data", "junos@2636.1.1", 14, "src", 3, "1.2.3.4", 7);
    event_set_strz(ev, "a", "1");
    event_set_strz(ev, "a", "2");
    to_json(ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "{\"a\":\"2\",\"log\":{\"syslog\":{\"structured_data\":"
                                  "{\"junos@2636.1.1\":{\"src\":\"1.2.3.4\"}}}}}");
    v = event_get(ev, "log.syslog.structured_data.junos@2636.1.1.src");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.ptr);
    CU_ASSERT_STRING_EQUAL(v.ptr, "1.2.3.4");
    CU_ASSERT_PTR_NULL(event_get(ev, "nope").ptr);
    sbuf_free(&b);
    event_unref(ev);
}

static void test_conflict_leaf_and_object(void)
{
    struct vg_event *ev = event_new();
    struct sbuf b = {0};

    event_set_strz(ev, "x", "leaf");
    event_set_strz(ev, "x.y", "child");
    to_json(ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, "{\"x\":\"leaf\"}");
    sbuf_free(&b);
    event_unref(ev);
}

static void test_round_trip(void)
{
    const char *in = "{\"@timestamp\":\"2024-05-09T12:49:27.098Z\",\"event\":{\"action\":"
                     "\"link.down\",\"category\":[\"network\"]},\"process\":{\"pid\":42}}";
    char err[128];
    struct vg_event *ev = event_from_json(in, strlen(in), err, sizeof(err));
    struct sbuf b = {0};
    int64_t pid;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->ts_ms, 1715258967098LL);
    CU_ASSERT_EQUAL(event_get_int(ev, "process.pid", &pid), 0);
    CU_ASSERT_EQUAL(pid, 42);
    to_json(ev, &b);
    CU_ASSERT_STRING_EQUAL(b.buf, in);
    sbuf_free(&b);
    event_unref(ev);
    CU_ASSERT_PTR_NULL(event_from_json("[1]", 3, err, sizeof(err)));
    CU_ASSERT_PTR_NULL(event_from_json("{\"a\":", 5, err, sizeof(err)));
}

static void test_time(void)
{
    char buf[40];
    int64_t ms;

    time_format_ms(0, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00.000Z");
    CU_ASSERT_EQUAL(time_parse_rfc3339("2003-10-11T22:14:15.003-07:00", 29, &ms), 0);
    time_format_ms(ms, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "2003-10-12T05:14:15.003Z");
    CU_ASSERT_EQUAL(time_parse_rfc3339("2003-13-11T22:14:15Z", 20, &ms), -1);
    CU_ASSERT_EQUAL(time_parse_duration("30s"), 30000);
    CU_ASSERT_EQUAL(time_parse_duration("5m"), 300000);
    CU_ASSERT_EQUAL(time_parse_duration("x"), -1);
}

static void test_cidr(void)
{
    struct cidr c;

    CU_ASSERT_EQUAL(cidr_parse("10.1.0.0/16", &c), 0);
    CU_ASSERT_TRUE(cidr_contains_str(&c, "10.1.200.3", 10));
    CU_ASSERT_FALSE(cidr_contains_str(&c, "10.2.0.1", 8));
    CU_ASSERT_TRUE(cidr_contains_str(&c, "::ffff:10.1.2.3", 15));
    CU_ASSERT_EQUAL(cidr_parse("2001:db8::/32", &c), 0);
    CU_ASSERT_TRUE(cidr_contains_str(&c, "2001:db8::1", 11));
    CU_ASSERT_EQUAL(cidr_parse("10.0.0.0/33", &c), -1);
    CU_ASSERT_EQUAL(cidr_parse("nonsense", &c), -1);
}

/* text_clean: controls to spaces, broken UTF-8 to '?', cut on a character boundary. */
static void test_text_clean(void)
{
    static const struct {
        const char *in;
        size_t max;
        const char *out;
    } cases[] = {
        {"plain", 100, "plain"},
        {"a\tb\nc\x7f", 100, "a b c "},
        {"x\xc2\x85y", 100, "x y"},                          /* NEL, a C1 control */
        {"x\xe2\x80\xa8y", 100, "x y"},                      /* U+2028 */
        {"bad\xffok\xc3", 100, "bad?ok?"},                   /* invalid byte, truncated sequence */
        {"\xc3\xa9\xc3\xa9\xc3\xa9", 5, "\xc3\xa9\xc3\xa9"}, /* not cut inside a character */
        {"abcdef", 3, "abc"},
        {"", 10, ""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sbuf b = {0};

        text_clean(&b, cases[i].in, strlen(cases[i].in), cases[i].max);
        CU_ASSERT_EQUAL(b.len, strlen(cases[i].out));
        CU_ASSERT_EQUAL(memcmp(b.buf != NULL ? b.buf : "", cases[i].out, b.len), 0);
        sbuf_free(&b);
    }
}

void suite_event(void);
void suite_event(void)
{
    CU_pSuite s = CU_add_suite("event", NULL, NULL);

    CU_add_test(s, "nesting", test_nesting);
    CU_add_test(s, "atom_and_replace", test_atom_and_replace);
    CU_add_test(s, "conflict_leaf_and_object", test_conflict_leaf_and_object);
    CU_add_test(s, "round_trip", test_round_trip);
    CU_add_test(s, "time", test_time);
    CU_add_test(s, "cidr", test_cidr);
    CU_add_test(s, "text_clean", test_text_clean);
}
