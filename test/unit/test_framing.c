/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of RFC 6587 framing: octet-counted and LF frames, mixed in one
 * stream, CR LF and NUL terminators, every split of a stream giving the same
 * messages, truncation of oversize frames with bounded memory, bad counts, and
 * random garbage streams fed in random chunks.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "util.h"

/* One emitted message. */
struct got_msg {
    char *data;    /* copy of the message */
    size_t len;    /* its length */
    int truncated; /* the truncated flag */
};

/* Everything a framer emitted. */
struct got {
    struct got_msg *v;      /* messages in order */
    size_t n;               /* count */
    size_t cap;             /* allocated */
    const struct framer *f; /* the framer, to check its bound inside emit */
    int over_max;           /* messages longer than max_msg or not NUL-terminated */
};

static void collect(void *ud, const char *msg, size_t len, int truncated)
{
    struct got *g = ud;

    if (len > g->f->max_msg || msg[len] != '\0') {
        g->over_max++;
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
    }
    g->v[g->n].data = xmalloc(len + 1);
    memcpy(g->v[g->n].data, msg, len);
    g->v[g->n].data[len] = '\0';
    g->v[g->n].len = len;
    g->v[g->n].truncated = truncated;
    g->n++;
}

static void got_free(struct got *g)
{
    size_t i;

    for (i = 0; i < g->n; i++) {
        free(g->v[i].data);
    }
    free(g->v);
    memset(g, 0, sizeof(*g));
}

static int got_equal(const struct got *a, const struct got *b)
{
    size_t i;

    if (a->n != b->n) {
        return 0;
    }
    for (i = 0; i < a->n; i++) {
        if (a->v[i].len != b->v[i].len || a->v[i].truncated != b->v[i].truncated ||
            memcmp(a->v[i].data, b->v[i].data, a->v[i].len) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Frame a whole stream given as chunks split at the (sorted) offsets in cuts. */
static void run_split(const char *s, size_t len, size_t max_msg, const size_t *cuts, size_t n_cuts,
                      struct got *g, struct framer *out)
{
    struct framer f;
    size_t prev = 0;
    size_t i;

    memset(g, 0, sizeof(*g));
    framer_init(&f, max_msg);
    g->f = &f;
    for (i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;

        framer_feed(&f, s + prev, end - prev, collect, g);
        prev = end;
    }
    framer_finish(&f, collect, g);
    g->f = NULL;
    framer_free(&f);
    if (out != NULL) {
        *out = f;
    }
}

static void run_whole(const char *s, size_t len, size_t max_msg, struct got *g, struct framer *out)
{
    run_split(s, len, max_msg, NULL, 0, g, out);
}

static void assert_msg(const struct got *g, size_t i, const char *want, size_t want_len,
                       int truncated)
{
    CU_ASSERT_FATAL(i < g->n);
    CU_ASSERT_EQUAL(g->v[i].len, want_len);
    CU_ASSERT(g->v[i].len == want_len && memcmp(g->v[i].data, want, want_len) == 0);
    CU_ASSERT_EQUAL(g->v[i].truncated, truncated);
}

#define ASSERT_MSG(g, i, lit, tr) assert_msg((g), (i), (lit), sizeof(lit) - 1, (tr))

static void test_octet_counted(void)
{
    const char s[] = "5 hello11 hello world3 a\nb";
    struct got g;
    struct framer f;

    run_whole(s, sizeof(s) - 1, 0, &g, &f);
    CU_ASSERT_EQUAL(g.n, 3);
    ASSERT_MSG(&g, 0, "hello", 0);
    ASSERT_MSG(&g, 1, "hello world", 0);
    ASSERT_MSG(&g, 2, "a\nb", 0);
    CU_ASSERT_EQUAL(f.n_frames, 3);
    CU_ASSERT_EQUAL(f.n_bad_count, 0);
    CU_ASSERT_EQUAL(f.n_truncated, 0);
    got_free(&g);
}

static void test_lf(void)
{
    const char s[] = "<13>first line\nsecond\n\n\nlast without LF";
    struct got g;
    struct framer f;

    run_whole(s, sizeof(s) - 1, 0, &g, &f);
    CU_ASSERT_EQUAL(g.n, 3);
    ASSERT_MSG(&g, 0, "<13>first line", 0);
    ASSERT_MSG(&g, 1, "second", 0);
    ASSERT_MSG(&g, 2, "last without LF", 0);
    CU_ASSERT_EQUAL(f.n_frames, 3);
    got_free(&g);
}

static void test_terminators(void)
{
    const char s[] = "one\r\ntwo\0three\nfour\rfive\r\r\nsix\r";
    struct got g;

    run_whole(s, sizeof(s) - 1, 0, &g, NULL);
    CU_ASSERT_EQUAL(g.n, 5);
    ASSERT_MSG(&g, 0, "one", 0);
    ASSERT_MSG(&g, 1, "two", 0);
    ASSERT_MSG(&g, 2, "three", 0);
    ASSERT_MSG(&g, 3, "four\rfive\r", 0);
    ASSERT_MSG(&g, 4, "six", 0);
    got_free(&g);
}

static void test_mixed(void)
{
    const char s[] = "5 hello<14>lf one\n9 with\r\nLF\r\n0 zero start\n3 abc\n<15>lf two\0"
                     "7 a\0b\0c\0x";
    struct got g;
    struct framer f;

    run_whole(s, sizeof(s) - 1, 0, &g, &f);
    CU_ASSERT_EQUAL(g.n, 7);
    ASSERT_MSG(&g, 0, "hello", 0);
    ASSERT_MSG(&g, 1, "<14>lf one", 0);
    ASSERT_MSG(&g, 2, "with\r\nLF\r", 0);
    ASSERT_MSG(&g, 3, "0 zero start", 0);
    ASSERT_MSG(&g, 4, "abc", 0);
    ASSERT_MSG(&g, 5, "<15>lf two", 0);
    ASSERT_MSG(&g, 6, "a\0b\0c\0x", 0);
    CU_ASSERT_EQUAL(f.n_bad_count, 0);
    got_free(&g);
}

/* A stream with every kind of frame; max_msg 12 makes some of them truncate. */
static const char split_stream[] = "5 hello<1>line\r\n12 exactly12!!!20 this is truncated..."
                                   "twelve chars\nlonger than twelve bytes\r\nx\0"
                                   "12ab\n1234567890 absurd\n3 a\rb\r\n\n\r\ntail\r";

static void test_every_split(void)
{
    size_t len = sizeof(split_stream) - 1;
    struct got ref;
    struct got g;
    size_t cuts[2];
    size_t bad = 0;
    size_t i;
    size_t j;

    run_whole(split_stream, len, 12, &ref, NULL);
    CU_ASSERT_EQUAL(ref.n, 11);
    ASSERT_MSG(&ref, 0, "hello", 0);
    ASSERT_MSG(&ref, 1, "<1>line", 0);
    ASSERT_MSG(&ref, 2, "exactly12!!!", 0);
    ASSERT_MSG(&ref, 3, "this is trun", 1);
    ASSERT_MSG(&ref, 4, "twelve chars", 0);
    ASSERT_MSG(&ref, 5, "longer than ", 1);
    ASSERT_MSG(&ref, 6, "x", 0);
    ASSERT_MSG(&ref, 7, "12ab", 0);
    ASSERT_MSG(&ref, 8, "1234567890 a", 1);
    ASSERT_MSG(&ref, 9, "a\rb", 0);
    ASSERT_MSG(&ref, 10, "tail", 0);
    for (i = 0; i <= len; i++) {
        for (j = i; j <= len; j++) {
            cuts[0] = i;
            cuts[1] = j;
            run_split(split_stream, len, 12, cuts, 2, &g, NULL);
            bad += !got_equal(&ref, &g) || g.over_max != 0;
            got_free(&g);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Byte by byte. */
    {
        size_t *all = xmalloc(len * sizeof(*all));

        for (i = 0; i < len; i++) {
            all[i] = i;
        }
        run_split(split_stream, len, 12, all, len, &g, NULL);
        CU_ASSERT(got_equal(&ref, &g));
        got_free(&g);
        free(all);
    }
    got_free(&ref);
}

static void test_oversize(void)
{
    const size_t max = 16;
    char chunk[4096];
    struct framer f;
    struct got g = {0};
    const char *buf0;
    size_t i;
    int bounded = 1;

    /* Octet-counted: 40 bytes cut to 16, the next frame intact. */
    run_whole("40 0123456789abcdef0123456789abcdef012345673 abc16 0123456789abcdef", 67, max, &g,
              &f);
    CU_ASSERT_EQUAL(g.n, 3);
    ASSERT_MSG(&g, 0, "0123456789abcdef", 1);
    ASSERT_MSG(&g, 1, "abc", 0);
    ASSERT_MSG(&g, 2, "0123456789abcdef", 0);
    CU_ASSERT_EQUAL(f.n_truncated, 1);
    got_free(&g);

    /* LF-framed: 17+ bytes are cut, exactly 16 (even before CR LF) are not. */
    run_whole("0123456789abcdefX\n0123456789abcdef\n0123456789abcdef\r\n", 53, max, &g, &f);
    CU_ASSERT_EQUAL(g.n, 3);
    ASSERT_MSG(&g, 0, "0123456789abcdef", 1);
    ASSERT_MSG(&g, 1, "0123456789abcdef", 0);
    ASSERT_MSG(&g, 2, "0123456789abcdef", 0);
    CU_ASSERT_EQUAL(f.n_truncated, 1);
    got_free(&g);

    /* 16 MiB without a terminator, then one: memory stays at max_msg. */
    memset(chunk, 'x', sizeof(chunk));
    framer_init(&f, max);
    g.f = &f;
    buf0 = f.buf;
    for (i = 0; i < 4096; i++) {
        framer_feed(&f, chunk, sizeof(chunk), collect, &g);
        bounded &= f.len <= max && f.buf == buf0;
    }
    framer_feed(&f, "\n", 1, collect, &g);
    CU_ASSERT(bounded);
    CU_ASSERT_EQUAL(g.n, 1);
    ASSERT_MSG(&g, 0, "xxxxxxxxxxxxxxxx", 1);

    /* The same through a (believable) 9-digit octet count. */
    framer_feed(&f, "999999999 ", 10, collect, &g);
    for (i = 0; i < 4096; i++) {
        framer_feed(&f, chunk, sizeof(chunk), collect, &g);
        bounded &= f.len <= max && f.buf == buf0;
    }
    CU_ASSERT(bounded);
    CU_ASSERT_EQUAL(g.n, 1);
    framer_finish(&f, collect, &g);
    CU_ASSERT_EQUAL(g.n, 2);
    ASSERT_MSG(&g, 1, "xxxxxxxxxxxxxxxx", 1);
    CU_ASSERT_EQUAL(f.n_truncated, 2);
    CU_ASSERT_EQUAL(g.over_max, 0);
    framer_free(&f);
    got_free(&g);
}

static void test_bad_counts(void)
{
    const char s[] = "12abc\n1234567890 ten digits\n5\n0 count zero\n00 x\n"
                     "123456789 short body";
    struct got g;
    struct framer f;

    run_whole(s, sizeof(s) - 1, 0, &g, &f);
    CU_ASSERT_EQUAL(g.n, 6);
    ASSERT_MSG(&g, 0, "12abc", 0);
    ASSERT_MSG(&g, 1, "1234567890 ten digits", 0);
    ASSERT_MSG(&g, 2, "5", 0);
    ASSERT_MSG(&g, 3, "0 count zero", 0);
    ASSERT_MSG(&g, 4, "00 x", 0);
    /* A huge count cut short by the end of the stream: delivered, flagged. */
    ASSERT_MSG(&g, 5, "short body", 1);
    CU_ASSERT_EQUAL(f.n_bad_count, 3);
    CU_ASSERT_EQUAL(f.n_truncated, 1);
    got_free(&g);

    /* Digits alone at the end of the stream; a bad count longer than max_msg. */
    run_whole("42", 2, 0, &g, &f);
    CU_ASSERT_EQUAL(g.n, 1);
    ASSERT_MSG(&g, 0, "42", 0);
    CU_ASSERT_EQUAL(f.n_bad_count, 1);
    got_free(&g);
    run_whole("123456789x\n7 abcdefg", 20, 4, &g, &f);
    CU_ASSERT_EQUAL(g.n, 2);
    ASSERT_MSG(&g, 0, "1234", 1);
    ASSERT_MSG(&g, 1, "abcd", 1);
    CU_ASSERT_EQUAL(f.n_bad_count, 1);
    CU_ASSERT_EQUAL(f.n_truncated, 2);
    got_free(&g);
}

/* xorshift64*: a deterministic PRNG so failures are reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Garbage biased towards the bytes the framer cares about. */
static char garbage_byte(uint64_t *rng)
{
    static const char special[] = "0123456789 \n\r\0";
    uint64_t r = rng_next(rng);

    if (r % 3 == 0) {
        return special[(r >> 8) % (sizeof(special) - 1)];
    }
    return (char)(r >> 16);
}

static void test_garbage(void)
{
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    char *s = xmalloc(4096);
    size_t *cuts = xmalloc(4096 * sizeof(*cuts));
    size_t mismatches = 0;
    size_t over = 0;
    size_t emitted = 0;
    int k;

    for (k = 0; k < 2000; k++) {
        size_t len = (size_t)(rng_next(&rng) % 4097);
        size_t max_msg = 1 + (size_t)(rng_next(&rng) % 300);
        size_t n_cuts = 0;
        size_t pos = 0;
        struct got ref;
        struct got g;
        size_t i;

        for (i = 0; i < len; i++) {
            s[i] = garbage_byte(&rng);
        }
        for (;;) {
            pos += 1 + (size_t)(rng_next(&rng) % 700);
            if (pos >= len) {
                break;
            }
            cuts[n_cuts++] = pos;
        }
        run_whole(s, len, max_msg, &ref, NULL);
        run_split(s, len, max_msg, cuts, n_cuts, &g, NULL);
        mismatches += !got_equal(&ref, &g);
        over += (size_t)ref.over_max + (size_t)g.over_max;
        emitted += ref.n;
        got_free(&ref);
        got_free(&g);
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT_EQUAL(over, 0);
    CU_ASSERT(emitted > 2000);
    free(cuts);
    free(s);
}

void suite_framing(void);
void suite_framing(void)
{
    CU_pSuite s = CU_add_suite("framing", NULL, NULL);

    CU_add_test(s, "octet_counted", test_octet_counted);
    CU_add_test(s, "lf", test_lf);
    CU_add_test(s, "terminators", test_terminators);
    CU_add_test(s, "mixed", test_mixed);
    CU_add_test(s, "every_split", test_every_split);
    CU_add_test(s, "oversize", test_oversize);
    CU_add_test(s, "bad_counts", test_bad_counts);
    CU_add_test(s, "garbage", test_garbage);
}
