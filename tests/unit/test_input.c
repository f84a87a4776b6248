/* Unit tests of common/input: input_scalar for each field type (bounds, garbage, overflow,
 * inf/nan, length, pattern, enum, bool), input_object (unknown, required, null, wrong types, nested
 * objects, arrays, maps), input_query's splitting and decoding, and input_pct_decode. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "input.h"

static struct arena *arena;
static const char *detail;
static struct slot p;

static void setup(void)
{
    arena = arena_new(4096);
    detail = NULL;
}

static void teardown(void)
{
    arena_free(arena);
}

static enum err scalar(const struct field *f, const char *raw)
{
    memset(&p, 0, sizeof(p));
    detail = NULL;
    return input_scalar(f, raw, &p, arena, &detail);
}

static void scalar_ok(const struct field *f, const char *raw)
{
    enum err e = scalar(f, raw);
    ck_assert_msg(e == ERR_OK, "%s='%s' refused: %s", f->name, raw, detail ? detail : "(no detail)");
    ck_assert_ptr_eq(p.decl, f);
    ck_assert_str_eq(p.raw, raw);
}

static void scalar_bad(const struct field *f, const char *raw, const char *want)
{
    enum err e = scalar(f, raw);
    ck_assert_msg(e == ERR_INVALID_INPUT, "%s='%s' taken", f->name, raw);
    ck_assert_ptr_nonnull(detail);
    ck_assert_str_eq(detail, want);
}

static const struct field f_limit = F_INT("limit", F_OPT, 1, 1000);
static const struct field f_id = F_ID("id");
static const struct field f_ratio = F_NUM("ratio", F_OPT, 0, 1);
static const struct field f_any_num = F_NUM("x", F_OPT, -INFINITY, INFINITY);
static const struct field f_name = F_STR("name", F_REQ, 1, 8, NULL);
static const struct field f_free = F_STR("text", F_OPT, 0, 0, NULL);
static const struct field f_recipe = F_STR("recipe", F_OPT, 1, 64, "^[a-z0-9][a-z0-9_-]*$");
static const char *const prio_values[] = {"low", "high", NULL};
static const struct field f_prio = F_ENUM("prio", F_OPT, prio_values);
static const struct field f_on = F_BOOL("on", F_OPT);

START_TEST(test_int_bounds)
{
    scalar_ok(&f_limit, "1");
    ck_assert_int_eq(p.i, 1);
    scalar_ok(&f_limit, "1000");
    ck_assert_int_eq(p.i, 1000);
    scalar_bad(&f_limit, "0", "field=limit: must be an integer in [1, 1000]");
    scalar_bad(&f_limit, "1001", "field=limit: must be an integer in [1, 1000]");
    scalar_bad(&f_limit, "-5", "field=limit: must be an integer in [1, 1000]");
    scalar_ok(&f_id, "9223372036854775807");
    ck_assert(p.i == INT64_MAX);
    scalar_bad(&f_id, "0", "field=id: must be an integer in [1, 9223372036854775807]");
}
END_TEST

START_TEST(test_int_garbage)
{
    static const char *const bad[] = {"",    "abc", "12abc", "1.5", "1e3", "0x10", "5 ",
                                      "--1", "1 2", " 5",    "+5",  "\t7", "-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        scalar_bad(&f_limit, bad[i], "field=limit: must be a whole number");
}
END_TEST

START_TEST(test_int_overflow)
{
    scalar_bad(&f_id, "99999999999999999999", "field=id: must be a whole number");
    scalar_bad(&f_limit, "-99999999999999999999", "field=limit: must be a whole number");
    scalar_bad(&f_id, "9223372036854775808", "field=id: must be a whole number");
}
END_TEST

START_TEST(test_num)
{
    scalar_ok(&f_ratio, "0.5");
    ck_assert_double_eq(p.d, 0.5);
    scalar_ok(&f_ratio, "1");
    ck_assert_double_eq(p.d, 1.0);
    scalar_ok(&f_ratio, "0");
    scalar_bad(&f_ratio, "1.01", "field=ratio: must be a number in [0, 1]");
    scalar_bad(&f_ratio, "-0.1", "field=ratio: must be a number in [0, 1]");
    scalar_bad(&f_ratio, "abc", "field=ratio: must be a number");
    scalar_bad(&f_ratio, "0.5x", "field=ratio: must be a number");
    scalar_bad(&f_ratio, "", "field=ratio: must be a number");
    scalar_bad(&f_any_num, "1e999", "field=x: must be a number");
}
END_TEST

START_TEST(test_num_decimal_only)
{
    static const struct field f = F_NUM("rate", F_OPT, -1e9, 1e9);
    static const char *const bad[] = {"0x10", " 1", "infinity", "nan", "1.5x", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        scalar_bad(&f, bad[i], "field=rate: must be a number");
    scalar_ok(&f, "-2.5e3");
}
END_TEST

START_TEST(test_num_inf_nan_refused)
{
    /* The range is unbounded here, so only the finiteness check can refuse these. */
    static const char *const bad[] = {"inf", "-inf", "INF", "infinity", "nan", "NAN", "-nan", "nan(1)"};
    scalar_ok(&f_any_num, "-1.5e300");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(scalar(&f_any_num, bad[i]) == ERR_INVALID_INPUT, "'%s' taken", bad[i]);
        ck_assert_ptr_nonnull(detail);
        ck_assert_msg(strncmp(detail, "field=x: ", 9) == 0, "detail '%s'", detail);
    }
}
END_TEST

START_TEST(test_str_length)
{
    scalar_ok(&f_name, "a");
    scalar_ok(&f_name, "abcdefgh");
    scalar_bad(&f_name, "", "field=name: length must be in [1, 8]");
    scalar_bad(&f_name, "abcdefghi", "field=name: length must be in [1, 8]");
    /* max 0: no upper bound */
    char long_text[5000];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    scalar_ok(&f_free, long_text);
    scalar_ok(&f_free, "");
}
END_TEST

START_TEST(test_str_pattern)
{
    scalar_ok(&f_recipe, "abc-1");
    scalar_ok(&f_recipe, "0_x");
    scalar_bad(&f_recipe, "Abc", "field=recipe: must match ^[a-z0-9][a-z0-9_-]*$");
    scalar_bad(&f_recipe, "a b", "field=recipe: must match ^[a-z0-9][a-z0-9_-]*$");
    scalar_bad(&f_recipe, "-abc", "field=recipe: must match ^[a-z0-9][a-z0-9_-]*$");
    /* Same pattern a second time: answered from the compiled cache. */
    scalar_bad(&f_recipe, "ABC", "field=recipe: must match ^[a-z0-9][a-z0-9_-]*$");
    scalar_ok(&f_recipe, "zz");
}
END_TEST

/* route.h: "pattern, if set, is a POSIX extended regex that the WHOLE value must match". */
START_TEST(test_str_pattern_whole_value)
{
    static const struct field f = F_STR("code", F_OPT, 0, 0, "[a-z]+");
    scalar_ok(&f, "abc");
    scalar_bad(&f, "abc!", "field=code: must match [a-z]+");
    scalar_bad(&f, "1abc", "field=code: must match [a-z]+");
}
END_TEST

START_TEST(test_enum)
{
    scalar_ok(&f_prio, "low");
    scalar_ok(&f_prio, "high");
    scalar_bad(&f_prio, "medium", "field=prio: must be one of: low, high");
    scalar_bad(&f_prio, "LOW", "field=prio: must be one of: low, high");
    scalar_bad(&f_prio, "", "field=prio: must be one of: low, high");
    scalar_bad(&f_prio, "low ", "field=prio: must be one of: low, high");
}
END_TEST

START_TEST(test_bool)
{
    scalar_ok(&f_on, "true");
    ck_assert(p.b);
    scalar_ok(&f_on, "1");
    ck_assert(p.b);
    scalar_ok(&f_on, "false");
    ck_assert(!p.b);
    scalar_ok(&f_on, "0");
    ck_assert(!p.b);
    static const char *const bad[] = {"yes", "no", "TRUE", "", "2", "true "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        scalar_bad(&f_on, bad[i], "field=on: must be true or false");
}
END_TEST

START_TEST(test_scalar_of_container_type)
{
    static const struct field f = F_OBJ("o", F_OPT, NULL);
    scalar_bad(&f, "{}", "field=o: cannot be given in a URL");
    static const struct field g = F_ARR("a", F_OPT, 0, 3);
    scalar_bad(&g, "1", "field=a: cannot be given in a URL");
}
END_TEST

/* Bodies. */

static const struct field inner_fields[] = {F_INT("port", F_REQ, 1, 65535), F_STR("host", F_OPT, 1, 64, NULL), F_END};
static const struct field middle_fields[] = {F_OBJ("inner", F_REQ, inner_fields), F_END};
static const struct field body_fields[] = {
    F_STR("name", F_REQ, 1, 16, "^[a-z]+$"),
    F_INT("count", F_OPT, 0, 10),
    F_NUM("ratio", F_OPT, 0, 1),
    F_BOOL("on", F_OPT),
    F_ENUM("prio", F_OPT, prio_values),
    F_ARR("tags", F_OPT, 1, 3),
    F_MAP("labels", F_OPT, 2, "^[a-z]+$"),
    F_OBJ("inner", F_OPT, inner_fields),
    F_OBJ("outer", F_OPT, middle_fields),
    F_OBJ("any", F_OPT, NULL),
    F_END,
};

static enum err object_with_prefix(const struct field *fields, const char *text, const char *prefix)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, jerr.text);
    detail = NULL;
    enum err e = input_object(fields, j, prefix, arena, &detail);
    json_decref(j);
    return e;
}

static void object_ok(const char *text)
{
    enum err e = object_with_prefix(body_fields, text, "");
    ck_assert_msg(e == ERR_OK, "%s refused: %s", text, detail ? detail : "(no detail)");
}

static void object_bad(const char *text, const char *want)
{
    enum err e = object_with_prefix(body_fields, text, "");
    ck_assert_msg(e == ERR_INVALID_INPUT, "%s taken", text);
    ck_assert_ptr_nonnull(detail);
    ck_assert_str_eq(detail, want);
}

START_TEST(test_object_valid)
{
    object_ok("{\"name\":\"abc\"}");
    object_ok("{\"name\":\"abc\",\"count\":3,\"ratio\":0.25,\"on\":false,\"prio\":\"low\",\"tags\":[1,\"x\"],"
              "\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"inner\":{\"port\":80,\"host\":\"h\"},"
              "\"outer\":{\"inner\":{\"port\":1}},\"any\":{\"whatever\":[1,{}]}}");
    object_ok("{\"name\":\"abc\",\"ratio\":1}"); /* an integer is a number */
}
END_TEST

START_TEST(test_object_unknown_member)
{
    object_bad("{\"name\":\"abc\",\"colour\":\"red\"}", "field=colour: unknown field");
    object_bad("{\"colour\":null,\"name\":\"abc\"}", "field=colour: unknown field");
}
END_TEST

START_TEST(test_object_prefix)
{
    ck_assert_int_eq(object_with_prefix(body_fields, "{\"name\":\"abc\",\"colour\":1}", "spec"), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=spec.colour: unknown field");
}
END_TEST

START_TEST(test_object_required)
{
    object_bad("{}", "field=name: is required");
    object_bad("{\"count\":1}", "field=name: is required");
    object_bad("{\"name\":null}", "field=name: is required");
}
END_TEST

START_TEST(test_object_null_is_absent)
{
    object_ok("{\"name\":\"abc\",\"count\":null,\"inner\":null,\"tags\":null,\"labels\":null,\"prio\":null}");
}
END_TEST

START_TEST(test_object_wrong_types)
{
    object_bad("{\"name\":5}", "field=name: must be a string");
    object_bad("{\"name\":\"abc\",\"count\":\"5\"}", "field=count: must be an integer");
    object_bad("{\"name\":\"abc\",\"count\":1.0}", "field=count: must be an integer");
    object_bad("{\"name\":\"abc\",\"count\":true}", "field=count: must be an integer");
    object_bad("{\"name\":\"abc\",\"ratio\":\"0.5\"}", "field=ratio: must be a number");
    object_bad("{\"name\":\"abc\",\"on\":\"true\"}", "field=on: must be true or false");
    object_bad("{\"name\":\"abc\",\"on\":1}", "field=on: must be true or false");
    object_bad("{\"name\":\"abc\",\"prio\":1}", "field=prio: must be a string");
    object_bad("{\"name\":\"abc\",\"tags\":{}}", "field=tags: must be an array");
    object_bad("{\"name\":\"abc\",\"labels\":[]}", "field=labels: must be an object of strings");
    object_bad("{\"name\":\"abc\",\"inner\":[]}", "field=inner: must be an object");
    object_bad("{\"name\":\"abc\",\"any\":\"x\"}", "field=any: must be an object");
}
END_TEST

START_TEST(test_object_ranges)
{
    object_bad("{\"name\":\"abc\",\"count\":11}", "field=count: must be an integer in [0, 10]");
    object_bad("{\"name\":\"abc\",\"count\":-1}", "field=count: must be an integer in [0, 10]");
    object_bad("{\"name\":\"abc\",\"ratio\":1.5}", "field=ratio: must be a number in [0, 1]");
    object_bad("{\"name\":\"ABC\"}", "field=name: must match ^[a-z]+$");
    object_bad("{\"name\":\"\"}", "field=name: length must be in [1, 16]");
    object_bad("{\"name\":\"abcdefghijklmnopq\"}", "field=name: length must be in [1, 16]");
    object_bad("{\"name\":\"abc\",\"prio\":\"mid\"}", "field=prio: must be one of: low, high");
}
END_TEST

START_TEST(test_object_string_with_nul)
{
    json_t *j = json_pack("{s:s%}", "name", "ab\0c", (size_t)4);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(input_object(body_fields, j, "", arena, &detail), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=name: must not contain NUL bytes");
    json_decref(j);
}
END_TEST

START_TEST(test_object_nested)
{
    object_bad("{\"name\":\"abc\",\"inner\":{\"port\":0}}", "field=inner.port: must be an integer in [1, 65535]");
    object_bad("{\"name\":\"abc\",\"inner\":{}}", "field=inner.port: is required");
    object_bad("{\"name\":\"abc\",\"inner\":{\"port\":1,\"x\":2}}", "field=inner.x: unknown field");
    object_bad("{\"name\":\"abc\",\"inner\":{\"port\":1,\"host\":5}}", "field=inner.host: must be a string");
    object_bad("{\"name\":\"abc\",\"outer\":{\"inner\":{\"port\":\"a\"}}}",
               "field=outer.inner.port: must be an integer");
    object_bad("{\"name\":\"abc\",\"outer\":{}}", "field=outer.inner: is required");
}
END_TEST

START_TEST(test_object_array_bounds)
{
    object_ok("{\"name\":\"abc\",\"tags\":[1]}");
    object_ok("{\"name\":\"abc\",\"tags\":[1,2,3]}");
    object_bad("{\"name\":\"abc\",\"tags\":[]}", "field=tags: must have [1, 3] elements");
    object_bad("{\"name\":\"abc\",\"tags\":[1,2,3,4]}", "field=tags: must have [1, 3] elements");
}
END_TEST

START_TEST(test_object_map)
{
    object_ok("{\"name\":\"abc\",\"labels\":{}}");
    object_ok("{\"name\":\"abc\",\"labels\":{\"a\":\"x\",\"b\":\"\"}}");
    object_bad("{\"name\":\"abc\",\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
               "field=labels: must have at most 2 members");
    object_bad("{\"name\":\"abc\",\"labels\":{\"Bad\":\"1\"}}", "field=labels[Bad]: names must match ^[a-z]+$");
    object_bad("{\"name\":\"abc\",\"labels\":{\"a\":5}}", "field=labels[a]: must be a string of at most 1024 bytes");
    object_bad("{\"name\":\"abc\",\"labels\":{\"a\":null}}", "field=labels[a]: must be a string of at most 1024 bytes");
}
END_TEST

START_TEST(test_object_map_value_length)
{
    char v[1026];
    memset(v, 'v', sizeof(v));
    v[1024] = '\0';
    json_t *j = json_pack("{s:s, s:{s:s}}", "name", "abc", "labels", "a", v);
    ck_assert_int_eq(input_object(body_fields, j, "", arena, &detail), ERR_OK);
    json_decref(j);
    v[1024] = 'v';
    v[1025] = '\0';
    j = json_pack("{s:s, s:{s:s}}", "name", "abc", "labels", "a", v);
    ck_assert_int_eq(input_object(body_fields, j, "", arena, &detail), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=labels[a]: must be a string of at most 1024 bytes");
    json_decref(j);
}
END_TEST

START_TEST(test_map_key_pattern_whole_value)
{
    static const struct field fields[] = {F_MAP("m", F_OPT, 4, "[a-z]+"), F_END};
    ck_assert_int_eq(object_with_prefix(fields, "{\"m\":{\"abc\":\"1\"}}", ""), ERR_OK);
    ck_assert_int_eq(object_with_prefix(fields, "{\"m\":{\"ab1\":\"1\"}}", ""), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=m[ab1]: names must match [a-z]+");
}
END_TEST

/* Query strings. */

static struct query_pair *pairs;
static size_t npairs;

static enum err query(const char *qs)
{
    detail = NULL;
    npairs = 99;
    return input_query(qs, arena, &pairs, &npairs, &detail);
}

static void query_bad(const char *qs, const char *want)
{
    ck_assert_msg(query(qs) == ERR_INVALID_INPUT, "query '%s' taken", qs);
    ck_assert_ptr_nonnull(detail);
    ck_assert_msg(strstr(detail, want) != NULL, "query '%s': detail '%s', wanted '%s'", qs, detail, want);
}

START_TEST(test_query_decoding)
{
    const char *qs = "a=1&b=x+y&c=%20z%2Fw&na%6De=%41";
    ck_assert_int_eq(query(qs), ERR_OK);
    ck_assert_uint_eq(npairs, 4);
    ck_assert_str_eq(pairs[0].name, "a");
    ck_assert_str_eq(pairs[0].value, "1");
    ck_assert_str_eq(pairs[1].name, "b");
    ck_assert_str_eq(pairs[1].value, "x y");
    ck_assert_str_eq(pairs[2].name, "c");
    ck_assert_str_eq(pairs[2].value, " z/w");
    ck_assert_str_eq(pairs[3].name, "name");
    ck_assert_str_eq(pairs[3].value, "A");
    ck_assert_str_eq(qs, "a=1&b=x+y&c=%20z%2Fw&na%6De=%41"); /* input untouched */
}
END_TEST

START_TEST(test_query_values)
{
    ck_assert_int_eq(query("flag"), ERR_OK);
    ck_assert_uint_eq(npairs, 1);
    ck_assert_str_eq(pairs[0].name, "flag");
    ck_assert_str_eq(pairs[0].value, "");
    ck_assert_int_eq(query("a=b=c&e="), ERR_OK);
    ck_assert_uint_eq(npairs, 2);
    ck_assert_str_eq(pairs[0].value, "b=c");
    ck_assert_str_eq(pairs[1].value, "");
}
END_TEST

START_TEST(test_query_empty)
{
    ck_assert_int_eq(query(""), ERR_OK);
    ck_assert_uint_eq(npairs, 0);
    ck_assert_int_eq(query(NULL), ERR_OK);
    ck_assert_uint_eq(npairs, 0);
    ck_assert_int_eq(query("&&&"), ERR_OK);
    ck_assert_uint_eq(npairs, 0);
}
END_TEST

START_TEST(test_query_empty_items_skipped)
{
    ck_assert_int_eq(query("&a=1&&b=2&"), ERR_OK);
    ck_assert_uint_eq(npairs, 2);
    ck_assert_str_eq(pairs[0].name, "a");
    ck_assert_str_eq(pairs[1].name, "b");
    ck_assert_str_eq(pairs[1].value, "2");
}
END_TEST

START_TEST(test_query_bad_escapes)
{
    query_bad("a=%zz", "query: bad parameter");
    query_bad("a=%2", "query: bad parameter");
    query_bad("a=%", "query: bad parameter");
    query_bad("a%=1", "query: bad parameter");
    query_bad("ok=1&b=%g1", "query: bad parameter");
}
END_TEST

START_TEST(test_query_nul_refused)
{
    query_bad("a=%00", "query: bad parameter");
    query_bad("%00=1", "query: bad parameter");
    query_bad("a=x%00y", "query: bad parameter");
}
END_TEST

START_TEST(test_query_empty_name)
{
    query_bad("=1", "query: bad parameter");
    query_bad("a=1&=2", "query: bad parameter");
}
END_TEST

START_TEST(test_query_duplicates)
{
    query_bad("a=1&a=2", "field=a: given twice");
    query_bad("a=1&b=2&%61=3", "field=a: given twice");
    query_bad("a&a", "field=a: given twice");
}
END_TEST

START_TEST(test_pct_decode)
{
    char s1[] = "a%20b+c";
    ck_assert_int_eq(input_pct_decode(s1), 0);
    ck_assert_str_eq(s1, "a b c");
    char s2[] = "%41%4a%4A%2f%25";
    ck_assert_int_eq(input_pct_decode(s2), 0);
    ck_assert_str_eq(s2, "AJJ/%");
    char s3[] = "";
    ck_assert_int_eq(input_pct_decode(s3), 0);
    ck_assert_str_eq(s3, "");
    char s4[] = "%ff%01";
    ck_assert_int_eq(input_pct_decode(s4), 0);
    ck_assert_str_eq(s4, "\xff\x01");
    char s5[] = "plain";
    ck_assert_int_eq(input_pct_decode(s5), 0);
    ck_assert_str_eq(s5, "plain");
}
END_TEST

START_TEST(test_pct_decode_bad)
{
    static const char *const bad[] = {"100%", "%", "%0", "%g0", "%0g", "%00", "a%00b", "%%41"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char s[16];
        snprintf(s, sizeof(s), "%s", bad[i]);
        ck_assert_msg(input_pct_decode(s) == -1, "'%s' decoded", bad[i]);
    }
}
END_TEST

static Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("scalar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_int_bounds);
    tcase_add_test(tc, test_int_garbage);
    tcase_add_test(tc, test_int_overflow);
    tcase_add_test(tc, test_num);
    tcase_add_test(tc, test_num_decimal_only);
    tcase_add_test(tc, test_num_inf_nan_refused);
    tcase_add_test(tc, test_str_length);
    tcase_add_test(tc, test_str_pattern);
    tcase_add_test(tc, test_str_pattern_whole_value);
    tcase_add_test(tc, test_enum);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_scalar_of_container_type);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_object_valid);
    tcase_add_test(tc, test_object_unknown_member);
    tcase_add_test(tc, test_object_prefix);
    tcase_add_test(tc, test_object_required);
    tcase_add_test(tc, test_object_null_is_absent);
    tcase_add_test(tc, test_object_wrong_types);
    tcase_add_test(tc, test_object_ranges);
    tcase_add_test(tc, test_object_string_with_nul);
    tcase_add_test(tc, test_object_nested);
    tcase_add_test(tc, test_object_array_bounds);
    tcase_add_test(tc, test_object_map);
    tcase_add_test(tc, test_object_map_value_length);
    tcase_add_test(tc, test_map_key_pattern_whole_value);
    suite_add_tcase(s, tc);
    tc = tcase_create("query");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_query_decoding);
    tcase_add_test(tc, test_query_values);
    tcase_add_test(tc, test_query_empty);
    tcase_add_test(tc, test_query_empty_items_skipped);
    tcase_add_test(tc, test_query_bad_escapes);
    tcase_add_test(tc, test_query_nul_refused);
    tcase_add_test(tc, test_query_empty_name);
    tcase_add_test(tc, test_query_duplicates);
    tcase_add_test(tc, test_pct_decode);
    tcase_add_test(tc, test_pct_decode_bad);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(input_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
