/* Unit tests of common/config: `key = value` parsing (comments, blank lines, trimming, bad lines
 * and keys named by line number), AIFB_* environment overrides, config_get_int's range and garbage
 * errors, config_load of a missing file and of a real temporary file, and the keys listed with their
 * lines (config_entry). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char errbuf[256];

static void clear_env(void)
{
    unsetenv("AIFB_DB_DSN");
    unsetenv("AIFB_FOO_BAR");
    unsetenv("AIFB_WORKERS");
    errbuf[0] = '\0';
}

static struct config *parse_ok(const char *text)
{
    struct config *c = config_parse(text, errbuf, sizeof(errbuf));
    ck_assert_msg(c != NULL, "config_parse refused %s: %s", text, errbuf);
    return c;
}

static void parse_fails(const char *text, const char *want)
{
    errbuf[0] = '\0';
    struct config *c = config_parse(text, errbuf, sizeof(errbuf));
    ck_assert_msg(c == NULL, "config_parse took %s", text);
    ck_assert_msg(strstr(errbuf, want) != NULL, "error for '%s' is '%s', wanted '%s'", text, errbuf, want);
}

START_TEST(test_parse_pairs)
{
    struct config *c = parse_ok("a = 1\nb.c=two\nlog-level = debug\nx_y=3");
    ck_assert_str_eq(config_get(c, "a", NULL), "1");
    ck_assert_str_eq(config_get(c, "b.c", NULL), "two");
    ck_assert_str_eq(config_get(c, "log-level", NULL), "debug");
    ck_assert_str_eq(config_get(c, "x_y", NULL), "3"); /* last line without newline */
    ck_assert_ptr_null(config_get(c, "missing", NULL));
    ck_assert_str_eq(config_get(c, "missing", "def"), "def");
    config_free(c);
}
END_TEST

START_TEST(test_comments_and_blank_lines)
{
    struct config *c = parse_ok("# a comment\n\n   \n\t# indented comment\nk = v\n\n#last = no\n");
    ck_assert_str_eq(config_get(c, "k", NULL), "v");
    ck_assert_ptr_null(config_get(c, "last", NULL));
    ck_assert_ptr_null(config_get(c, "# a comment", NULL));
    config_free(c);
}
END_TEST

START_TEST(test_whitespace_trimmed)
{
    struct config *c = parse_ok("   key   =   value with  spaces \t\r\nempty =\r\ncrlf=yes\r\n");
    ck_assert_str_eq(config_get(c, "key", NULL), "value with  spaces");
    ck_assert_str_eq(config_get(c, "empty", "def"), "");
    ck_assert_str_eq(config_get(c, "crlf", NULL), "yes");
    config_free(c);
}
END_TEST

START_TEST(test_value_with_equals)
{
    struct config *c = parse_ok("db.dsn = host=/tmp port=5432 dbname=aifb\n");
    ck_assert_str_eq(config_get(c, "db.dsn", NULL), "host=/tmp port=5432 dbname=aifb");
    config_free(c);
}
END_TEST

START_TEST(test_later_line_wins)
{
    struct config *c = parse_ok("k = first\nk = second\n");
    ck_assert_str_eq(config_get(c, "k", NULL), "second");
    config_free(c);
}
END_TEST

START_TEST(test_empty_text)
{
    struct config *c = parse_ok("");
    ck_assert_str_eq(config_get(c, "anything", "def"), "def");
    config_free(c);
}
END_TEST

START_TEST(test_bad_line_names_line)
{
    parse_fails("a = 1\nnonsense\n", "line 2");
    parse_fails("# comment\n\nalso nonsense", "line 3");
    parse_fails("just words", "line 1");
}
END_TEST

START_TEST(test_bad_keys)
{
    parse_fails("Upper = 1\n", "line 1: bad key");
    parse_fails("ok = 1\na b = 1\n", "line 2: bad key");
    parse_fails("= value\n", "line 1: bad key");
    parse_fails("a\nb = 1\n", "line 1");
    parse_fails("k$ = 1\n", "bad key");
    parse_fails("key/x = 1\n", "bad key");
}
END_TEST

START_TEST(test_too_many_keys)
{
    char text[8192];
    size_t k = 0;
    for (int i = 0; i < 200; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, "key%d = %d\n", i, i);
    errbuf[0] = '\0';
    struct config *c = config_parse(text, errbuf, sizeof(errbuf));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errbuf, "line 129: too many keys") != NULL, "error is '%s'", errbuf);
}
END_TEST

START_TEST(test_env_overrides_file)
{
    struct config *c = parse_ok("db.dsn = from-file\n");
    ck_assert_str_eq(config_get(c, "db.dsn", NULL), "from-file");
    setenv("AIFB_DB_DSN", "from-env", 1);
    ck_assert_str_eq(config_get(c, "db.dsn", NULL), "from-env");
    ck_assert_str_eq(config_get(c, "db.dsn", "def"), "from-env");
    unsetenv("AIFB_DB_DSN");
    ck_assert_str_eq(config_get(c, "db.dsn", NULL), "from-file");
    config_free(c);
}
END_TEST

START_TEST(test_env_over_default)
{
    struct config *c = parse_ok("");
    setenv("AIFB_DB_DSN", "only-env", 1);
    ck_assert_str_eq(config_get(c, "db.dsn", "def"), "only-env");
    config_free(c);
}
END_TEST

START_TEST(test_env_name_dots_and_dashes)
{
    struct config *c = parse_ok("foo.bar = dotted\nfoo-bar = dashed\n");
    setenv("AIFB_FOO_BAR", "env", 1);
    ck_assert_str_eq(config_get(c, "foo.bar", NULL), "env");
    ck_assert_str_eq(config_get(c, "foo-bar", NULL), "env");
    ck_assert_str_eq(config_get(c, "foo_bar", NULL), "env");
    config_free(c);
}
END_TEST

START_TEST(test_get_int)
{
    struct config *c = parse_ok("workers = 8\nneg = -3\nbig = 9223372036854775807\n");
    long long v = 0;
    ck_assert_int_eq(config_get_int(c, "workers", 4, 1, 64, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert_int_eq(v, 8);
    ck_assert_int_eq(config_get_int(c, "missing", 4, 1, 64, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert_int_eq(v, 4);
    ck_assert_int_eq(config_get_int(c, "neg", 0, -10, 10, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert_int_eq(v, -3);
    ck_assert_int_eq(config_get_int(c, "big", 0, 0, LLONG_MAX, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert(v == LLONG_MAX);
    setenv("AIFB_WORKERS", "16", 1);
    ck_assert_int_eq(config_get_int(c, "workers", 4, 1, 64, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert_int_eq(v, 16);
    config_free(c);
}
END_TEST

START_TEST(test_get_int_out_of_range)
{
    struct config *c = parse_ok("workers = 65\nlow = 0\n");
    long long v = 123;
    ck_assert_int_eq(config_get_int(c, "workers", 4, 1, 64, &v, errbuf, sizeof(errbuf)), -1);
    ck_assert_msg(strstr(errbuf, "workers") && strstr(errbuf, "[1, 64]"), "error is '%s'", errbuf);
    ck_assert_int_eq(config_get_int(c, "low", 4, 1, 64, &v, errbuf, sizeof(errbuf)), -1);
    ck_assert_msg(strstr(errbuf, "low") != NULL, "error is '%s'", errbuf);
    config_free(c);
}
END_TEST

START_TEST(test_get_int_garbage)
{
    static const char *const bad[] = {
        "12abc", "abc", "", " ", "1.5", "0x10", "99999999999999999999", "-99999999999999999999", "4 4"};
    struct config *c = parse_ok("");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = 0;
        setenv("AIFB_WORKERS", bad[i], 1);
        errbuf[0] = '\0';
        ck_assert_msg(config_get_int(c, "workers", 4, LLONG_MIN, LLONG_MAX, &v, errbuf, sizeof(errbuf)) == -1,
                      "'%s' was taken as %lld", bad[i], v);
        ck_assert_msg(strstr(errbuf, "workers") != NULL, "error for '%s' is '%s'", bad[i], errbuf);
    }
    config_free(c);
}
END_TEST

START_TEST(test_load_missing_file)
{
    errbuf[0] = '\0';
    struct config *c = config_load("/nonexistent/aifb-test.conf", errbuf, sizeof(errbuf));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errbuf, "/nonexistent/aifb-test.conf") != NULL, "error is '%s'", errbuf);
}
END_TEST

START_TEST(test_load_null_path)
{
    struct config *c = config_load(NULL, errbuf, sizeof(errbuf));
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(config_get(c, "db.dsn", "def"), "def");
    setenv("AIFB_DB_DSN", "env", 1);
    ck_assert_str_eq(config_get(c, "db.dsn", "def"), "env");
    config_free(c);
}
END_TEST

/* Writes text to a new temporary file and returns its name (static storage). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/aifb-test-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(test_load_temp_file)
{
    const char *path = temp_file("# aifb test\nworkers = 3\ndb.dsn = dbname=test\n");
    struct config *c = config_load(path, errbuf, sizeof(errbuf));
    unlink(path);
    ck_assert_msg(c != NULL, "config_load: %s", errbuf);
    ck_assert_str_eq(config_get(c, "db.dsn", NULL), "dbname=test");
    long long v = 0;
    ck_assert_int_eq(config_get_int(c, "workers", 1, 1, 10, &v, errbuf, sizeof(errbuf)), 0);
    ck_assert_int_eq(v, 3);
    config_free(c);
}
END_TEST

START_TEST(test_load_temp_file_bad_line)
{
    const char *path = temp_file("workers = 3\n\nthis is wrong\n");
    errbuf[0] = '\0';
    struct config *c = config_load(path, errbuf, sizeof(errbuf));
    unlink(path);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errbuf, "line 3") != NULL, "error is '%s'", errbuf);
}
END_TEST

START_TEST(test_entries_with_lines)
{
    struct config *c = parse_ok("# comment\nb = 1\n\na = 2\nb = 3\n");
    const char *key, *value;
    int line;
    ck_assert_uint_eq(config_count(c), 2);
    ck_assert_int_eq(config_entry(c, 0, &key, &value, &line), 0);
    ck_assert_str_eq(key, "b");
    ck_assert_str_eq(value, "3");
    ck_assert_int_eq(line, 5); /* the line that set it last */
    ck_assert_int_eq(config_entry(c, 1, &key, &value, &line), 0);
    ck_assert_str_eq(key, "a");
    ck_assert_int_eq(line, 4);
    ck_assert_int_eq(config_entry(c, 2, &key, &value, &line), -1);
    setenv("AIFB_A", "env", 1); /* the file's value, not the override */
    ck_assert_int_eq(config_entry(c, 1, &key, &value, &line), 0);
    ck_assert_str_eq(value, "2");
    unsetenv("AIFB_A");
    ck_assert_uint_eq(config_count(NULL), 0);
    config_free(c);
}
END_TEST

START_TEST(test_env_name)
{
    char name[32];
    config_env_name("logs.sync-interval_s", name, sizeof(name));
    ck_assert_str_eq(name, "AIFB_LOGS_SYNC_INTERVAL_S");
    config_env_name("a.very.long.key", name, 10);
    ck_assert_str_eq(name, "AIFB_A_VE"); /* cut to fit */
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, clear_env, clear_env);
    tcase_add_test(tc, test_parse_pairs);
    tcase_add_test(tc, test_comments_and_blank_lines);
    tcase_add_test(tc, test_whitespace_trimmed);
    tcase_add_test(tc, test_value_with_equals);
    tcase_add_test(tc, test_later_line_wins);
    tcase_add_test(tc, test_empty_text);
    tcase_add_test(tc, test_bad_line_names_line);
    tcase_add_test(tc, test_bad_keys);
    tcase_add_test(tc, test_too_many_keys);
    tcase_add_test(tc, test_env_overrides_file);
    tcase_add_test(tc, test_env_over_default);
    tcase_add_test(tc, test_env_name_dots_and_dashes);
    tcase_add_test(tc, test_get_int);
    tcase_add_test(tc, test_get_int_out_of_range);
    tcase_add_test(tc, test_get_int_garbage);
    tcase_add_test(tc, test_load_missing_file);
    tcase_add_test(tc, test_load_null_path);
    tcase_add_test(tc, test_load_temp_file);
    tcase_add_test(tc, test_load_temp_file_bad_line);
    tcase_add_test(tc, test_entries_with_lines);
    tcase_add_test(tc, test_env_name);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
