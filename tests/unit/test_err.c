/* Unit tests of common/err: every code of err.def has an HTTP status, a unique stable string and
 * a hint; the strings scripts match on stay as published; out-of-range codes read as internal. */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

START_TEST(test_status_in_range)
{
    for (int e = 0; e < ERR__COUNT; e++) {
        int st = err_status((enum err)e);
        ck_assert_msg(st >= 100 && st <= 599, "%s has status %d", err_string((enum err)e), st);
    }
    ck_assert_int_eq(err_status(ERR_OK), 200);
}
END_TEST

START_TEST(test_strings_nonempty_snake_case)
{
    for (int e = 0; e < ERR__COUNT; e++) {
        const char *s = err_string((enum err)e);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(*s, "code %d has an empty string", e);
        for (const char *p = s; *p; p++)
            ck_assert_msg(islower((unsigned char)*p) || *p == '_', "%s: not lower_snake", s);
    }
}
END_TEST

START_TEST(test_strings_unique)
{
    for (int e = 0; e < ERR__COUNT; e++)
        for (int f = e + 1; f < ERR__COUNT; f++)
            ck_assert_msg(strcmp(err_string((enum err)e), err_string((enum err)f)) != 0,
                          "codes %d and %d share the string %s", e, f, err_string((enum err)e));
}
END_TEST

START_TEST(test_hints)
{
    ck_assert_str_eq(err_hint(ERR_OK), "");
    for (int e = 1; e < ERR__COUNT; e++) {
        const char *h = err_hint((enum err)e);
        ck_assert_ptr_nonnull(h);
        ck_assert_msg(strlen(h) > 5, "%s has no hint", err_string((enum err)e));
    }
}
END_TEST

/* The published codes: err.def is append-only, so these never change. */
static const struct {
    enum err e;
    int status;
    const char *string;
} published[] = {
    {ERR_OK, 200, "ok"},
    {ERR_NOT_FOUND, 404, "not_found"},
    {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
    {ERR_BODY_TOO_LARGE, 413, "body_too_large"},
    {ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
    {ERR_INVALID_JSON, 400, "invalid_json"},
    {ERR_INVALID_INPUT, 400, "invalid_input"},
    {ERR_UNAUTHORIZED, 401, "unauthorized"},
    {ERR_FORBIDDEN, 403, "forbidden"},
    {ERR_DB_UNAVAILABLE, 503, "db_unavailable"},
    {ERR_SCHEMA_OUTDATED, 503, "schema_outdated"},
    {ERR_DB_ERROR, 500, "db_error"},
    {ERR_CONFLICT, 409, "conflict"},
    {ERR_INTERNAL, 500, "internal"},
    {ERR_TOKEN_NOT_FOUND, 404, "token_not_found"},
    {ERR_SERVICE_NOT_FOUND, 404, "service_not_found"},
    {ERR_RUN_NOT_FOUND, 404, "run_not_found"},
    {ERR_TARGET_NOT_FOUND, 404, "target_not_found"},
    {ERR_LOG_FILE_NOT_FOUND, 404, "log_file_not_found"},
    {ERR_SESSION_NOT_FOUND, 404, "session_not_found"},
    {ERR_RESPONSE_TOO_LARGE, 500, "response_too_large"},
    {ERR_UPSTREAM_UNAVAILABLE, 502, "upstream_unavailable"},
};

START_TEST(test_stable_strings)
{
    size_t n = sizeof(published) / sizeof(published[0]);
    ck_assert_int_ge(ERR__COUNT, (int)n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(published[i].e, (int)i); /* append-only: positions too */
        ck_assert_str_eq(err_string(published[i].e), published[i].string);
        ck_assert_int_eq(err_status(published[i].e), published[i].status);
    }
}
END_TEST

START_TEST(test_out_of_range_is_internal)
{
    enum err bad[] = {ERR__COUNT, (enum err)(ERR__COUNT + 1), (enum err)1000, (enum err) - 1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(err_status(bad[i]), 500);
        ck_assert_str_eq(err_string(bad[i]), "internal");
        ck_assert_str_eq(err_hint(bad[i]), err_hint(ERR_INTERNAL));
    }
}
END_TEST

static Suite *err_suite(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_status_in_range);
    tcase_add_test(tc, test_strings_nonempty_snake_case);
    tcase_add_test(tc, test_strings_unique);
    tcase_add_test(tc, test_hints);
    tcase_add_test(tc, test_stable_strings);
    tcase_add_test(tc, test_out_of_range_is_internal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(err_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
