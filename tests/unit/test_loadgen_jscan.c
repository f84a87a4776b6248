/* Unit tests of aifb-loadgen's JSON scanner (jscan) on its own: the values it reports (types,
 * integers, decoded string lengths, array counts), keys with escapes, duplicate members in order,
 * objects and arrays walked by callbacks or skipped, a callback's refusal, jansson's refusals, and
 * the depth limit. stream_scan's reading of chunks is in test_loadgen_stream.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/loadgen/jscan.h"

#define SEEN_MAX 16

/* What the callbacks saw: each top-level member's key (one of names, else "?") and value. */
struct seen {
    size_t n;
    struct jscan_val v[SEEN_MAX];
    const char *key[SEEN_MAX];
    int64_t inner; /* members or elements handed to the nested callbacks */
    int refuse_at; /* a member index the callback refuses; -1 none */
};

static const char *const names[] = {"a", "b", "choices", NULL};

static const char *name_of(const struct jscan_str *key)
{
    for (const char *const *n = names; *n; n++)
        if (jscan_str_is(key, *n))
            return *n;
    return "?";
}

static int count_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    struct seen *s = ctx;
    struct jscan_val v;
    (void)key;
    s->inner++;
    return jscan_value(sc, depth, &v);
}

static int count_element(struct jscan *sc, int depth, int64_t i, void *ctx)
{
    struct seen *s = ctx;
    struct jscan_val v;
    (void)i;
    s->inner++;
    return jscan_value(sc, depth, &v);
}

/* Members "a" walked as objects, "b" as arrays, the others as plain values. */
static int top_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    struct seen *s = ctx;
    int rc;
    if (s->n >= SEEN_MAX || (int)s->n == s->refuse_at)
        return -1;
    const char *name = name_of(key);
    struct jscan_val *v = &s->v[s->n];
    if (strcmp(name, "a") == 0)
        rc = jscan_object(sc, depth, count_member, s, v);
    else if (strcmp(name, "b") == 0)
        rc = jscan_array(sc, depth, count_element, s, v);
    else
        rc = jscan_value(sc, depth, v);
    s->key[s->n++] = name;
    return rc;
}

static struct seen seen;

/* Scans n bytes of doc, the member refuse_at refused (-1: none). */
static int scan_n(const char *doc, size_t n, int refuse_at)
{
    memset(&seen, 0, sizeof(seen));
    seen.refuse_at = refuse_at;
    return jscan_document(doc, n, top_member, &seen);
}

static int scan(const char *doc)
{
    return scan_n(doc, strlen(doc), -1);
}

START_TEST(test_values)
{
    ck_assert_int_eq(scan(" \t\r\n{\"x\":null,\"x\":true,\"x\":false,\"x\":-42,\"x\":1.5e3,\"x\":\"h\\u00e9\\n\","
                          "\"x\":[1,[2]],\"x\":{\"y\":{}}}\n"),
                     0);
    ck_assert_uint_eq(seen.n, 8);
    static const enum jscan_type want[] = {JSCAN_NULL, JSCAN_BOOL,   JSCAN_BOOL,  JSCAN_INT,
                                           JSCAN_REAL, JSCAN_STRING, JSCAN_ARRAY, JSCAN_OBJECT};
    for (size_t i = 0; i < 8; i++)
        ck_assert_int_eq(seen.v[i].type, want[i]);
    ck_assert_int_eq(seen.v[3].i, -42);
    ck_assert_int_eq(seen.v[5].s.len, 4); /* h, é in two bytes, \n */
    ck_assert(seen.v[5].s.escaped);
    ck_assert_uint_eq(seen.v[5].s.raw_len, 9);
    ck_assert_int_eq(seen.v[6].i, 2); /* elements of the outer array */
    ck_assert_int_eq(scan("{\"x\":\"\\ud83d\\ude00\xe2\x82\xac\",\"x\":9223372036854775807,"
                          "\"x\":-9223372036854775808}"),
                     0);
    ck_assert_int_eq(seen.v[0].s.len, 4 + 3);
    ck_assert(seen.v[0].s.escaped);
    ck_assert_int_eq(seen.v[1].i, INT64_MAX);
    ck_assert_int_eq(seen.v[2].i, INT64_MIN);
    ck_assert_int_eq(scan("{}"), 0);
    ck_assert_uint_eq(seen.n, 0);
}
END_TEST

START_TEST(test_keys)
{
    ck_assert_int_eq(scan("{\"\\u0061\":1,\"\\u0063hoices\":2,\"ch\\u006fices\":3,\"caf\\u00e9\":4,\"caf\xc3\xa9\":5,"
                          "\"\\ud83d\\ude00\":6,\"a\\u0000\":7}"),
                     -1); /* \u0000 is refused even in a key */
    ck_assert_int_eq(scan("{\"\\u0061\":{},\"\\u0063hoices\":2,\"ch\\u006fices\":3,\"caf\\u00e9\":4,\"caf\xc3\xa9\":5,"
                          "\"\\ud83d\\ude00\":6,\"ab\":7,\"\":8,\"\\/\":9}"),
                     0);
    static const char *const want[] = {"a", "choices", "choices", "?", "?", "?", "?", "?", "?"};
    ck_assert_uint_eq(seen.n, 9);
    for (size_t i = 0; i < 9; i++)
        ck_assert_msg(strcmp(seen.key[i], want[i]) == 0, "key %zu: %s, want %s", i, seen.key[i], want[i]);
}
END_TEST

START_TEST(test_walks)
{
    /* objects and arrays handed to the callbacks; anything else scanned as a value */
    ck_assert_int_eq(scan("{\"a\":{\"p\":1,\"q\":[1,2,{}]},\"b\":[true,{\"r\":1},[]],\"a\":5,\"b\":\"s\"}"), 0);
    ck_assert_uint_eq(seen.n, 4);
    ck_assert_int_eq(seen.inner, 2 + 3);
    ck_assert_int_eq(seen.v[0].type, JSCAN_OBJECT);
    ck_assert_int_eq(seen.v[1].type, JSCAN_ARRAY);
    ck_assert_int_eq(seen.v[1].i, 3);
    ck_assert_int_eq(seen.v[2].type, JSCAN_INT);
    ck_assert_int_eq(seen.v[3].type, JSCAN_STRING);
    ck_assert_int_eq(scan("{\"b\":[]}"), 0);
    ck_assert_int_eq(seen.v[0].i, 0);
    /* a callback's refusal refuses the document */
    ck_assert_int_eq(scan_n("{\"x\":1,\"y\":2}", 13, 1), -1);
    ck_assert_int_eq(scan_n("{\"x\":1,\"y\":2}", 13, 2), 0);
    /* the length given is the document: a NUL byte inside is not its end */
    ck_assert_int_eq(scan_n("{\"x\":1}\0", 8, -1), -1);
    ck_assert_int_eq(scan_n("{\"x\":1} trailing", 7, -1), 0);
}
END_TEST

START_TEST(test_refusals)
{
    static const char *const bad[] = {"",
                                      "  ",
                                      "[]",
                                      "\"a\"",
                                      "1",
                                      "{",
                                      "{}{}",
                                      "{\"a\":1,}",
                                      "{\"b\":[1,]}",
                                      "{\"b\":[1 2]}",
                                      "{\"a\":{\"p\"}}",
                                      "{\"x\":00}",
                                      "{\"x\":1.e5}",
                                      "{\"x\":1e+}",
                                      "{\"x\":0x10}",
                                      "{\"x\":Infinity}",
                                      "{\"x\":NaN}",
                                      "{\"x\":True}",
                                      "{\"x\":\"a\tb\"}",
                                      "{\"x\":\"\\U0041\"}",
                                      "{\"x\":\"\\ud83d\"}",
                                      "{\"x\":\"\\ude00\\ud83d\"}",
                                      "{\"x\":\"\xF8\x88\x80\x80\x80\"}",
                                      "{\"x\":\"\xE0\x9F\xBF\"}",
                                      "{\"x\":\"\xF0\x8F\xBF\xBF\"}",
                                      "{\"x\":\"\x80\"}",
                                      "{\"x\":\"abc}",
                                      "{\"x\":9223372036854775808}",
                                      "{\"x\":-1e309}",
                                      "{\"x\":1" /* cut */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(scan(bad[i]) < 0, "accepted %s", bad[i]);
    ck_assert_int_eq(scan("{\"x\":1e-400,\"x\":-0.0,\"x\":0e0,\"x\":1E+2,\"x\":\"\xF4\x8F\xBF\xBF\"}"), 0);
    ck_assert_int_eq(seen.v[0].type, JSCAN_REAL);
    ck_assert_int_eq(seen.v[4].s.len, 4);
}
END_TEST

/* A document {"x": [[...[1]...]]} with n arrays. */
static char *nested(int n, char open, char close)
{
    size_t len = 5 + 2 * (size_t)n + 2;
    char *s = malloc(len + 1), *p = s;
    memcpy(p, "{\"x\":", 5);
    p += 5;
    memset(p, open, (size_t)n);
    p += n;
    *p++ = '1';
    memset(p, close, (size_t)n);
    p += n;
    *p++ = '}';
    *p = '\0';
    return s;
}

/* jansson's limit counts every value: the object is at depth 1, so 2046 arrays hold a scalar at
 * JSCAN_DEPTH and 2047 one past it. */
START_TEST(test_depth)
{
    for (int extra = 0; extra < 2; extra++) {
        char *s = nested(JSCAN_DEPTH - 2 + extra, '[', ']');
        ck_assert_int_eq(scan(s), extra ? -1 : 0);
        free(s);
    }
}
END_TEST

static Suite *jscan_suite(void)
{
    Suite *s = suite_create("loadgen_jscan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_walks);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_depth);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jscan_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
