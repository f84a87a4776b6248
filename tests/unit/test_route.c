/* Unit tests of common/route: path matching (literals, {params}, trailing slash, segment counts,
 * empty segments), route_find (index, 404 vs 405 with the allowed methods, HEAD finding GET, the
 * prefix boundary), method names and lists, and route_table_check's refusals. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "route.h"

static struct route_capture caps[ROUTE_MAX_PARAMS];
static size_t ncaps;
static char scratch[1024];

static bool match(const char *pattern, const char *path)
{
    ncaps = 99;
    return route_match(pattern, path, caps, &ncaps, scratch, sizeof(scratch));
}

/* Whether capture i is called name and holds value. */
static bool cap_is(size_t i, const char *name, const char *value)
{
    return i < ncaps && caps[i].name_len == strlen(name) && memcmp(caps[i].name, name, caps[i].name_len) == 0 &&
           strcmp(caps[i].value, value) == 0;
}

START_TEST(test_match_literal)
{
    ck_assert(match("/v1/health", "/v1/health"));
    ck_assert_uint_eq(ncaps, 0);
    ck_assert(!match("/v1/health", "/v1/healthz"));
    ck_assert(!match("/v1/health", "/v1/healt"));
    ck_assert(!match("/v1/health", "/v2/health"));
    ck_assert(!match("/v1/health", "/V1/health"));
    ck_assert(!match("/v1/health", ""));
    ck_assert(!match("/v1/health", "v1/health"));
}
END_TEST

START_TEST(test_match_trailing_slash)
{
    ck_assert(match("/v1/health", "/v1/health/"));
    ck_assert(!match("/v1/health", "/v1/health//"));
    ck_assert(match("/v1/services/{id}", "/v1/services/42/"));
    ck_assert(cap_is(0, "id", "42"));
}
END_TEST

START_TEST(test_match_params)
{
    ck_assert(match("/v1/services/{id}", "/v1/services/42"));
    ck_assert_uint_eq(ncaps, 1);
    ck_assert(cap_is(0, "id", "42"));
    ck_assert(match("/v1/services/{id}/runs/{run}", "/v1/services/7/runs/abc-9"));
    ck_assert_uint_eq(ncaps, 2);
    ck_assert(cap_is(0, "id", "7"));
    ck_assert(cap_is(1, "run", "abc-9"));
    /* A literal segment after a param still has to match. */
    ck_assert(!match("/v1/services/{id}/runs/{run}", "/v1/services/7/jobs/9"));
}
END_TEST

START_TEST(test_match_segment_counts)
{
    ck_assert(!match("/v1/services", "/v1/services/42"));
    ck_assert(!match("/v1/services/{id}", "/v1/services"));
    ck_assert(!match("/v1/services/{id}", "/v1/services/42/runs"));
    ck_assert(!match("/v1/services/{id}/runs", "/v1/services/42"));
    ck_assert(!match("/v1/a/b/c", "/v1/a/b"));
}
END_TEST

START_TEST(test_match_empty_param)
{
    ck_assert(!match("/v1/services/{id}", "/v1/services/"));
    ck_assert(!match("/v1/services/{id}", "/v1/services//"));
    ck_assert(!match("/v1/services/{id}/runs", "/v1/services//runs"));
}
END_TEST

START_TEST(test_match_long_value_fits_scratch)
{
    char path[600];
    snprintf(path, sizeof(path), "/v1/x/%0500d", 1);
    ck_assert(match("/v1/x/{v}", path));
    ck_assert_uint_eq(strlen(caps[0].value), 500);
    /* More than the scratch space: no match rather than an overrun. */
    char small[8];
    ck_assert(!route_match("/v1/x/{v}", path, caps, &ncaps, small, sizeof(small)));
}
END_TEST

static enum err h_dummy(struct req *r)
{
    (void)r;
    return ERR_OK;
}

static const struct field id_params[] = {F_ID("id"), F_END};

static const struct route routes[] = {
    {.method = HTTP_GET, .path = "/v1/health", .handler = h_dummy, .role = ROLE_PUBLIC},
    {.method = HTTP_GET, .path = "/v1/services", .handler = h_dummy, .role = ROLE_READ},
    {.method = HTTP_POST, .path = "/v1/services", .handler = h_dummy, .role = ROLE_OPERATE, .body_limit = 1024},
    {.method = HTTP_GET, .path = "/v1/services/{id}", .handler = h_dummy, .role = ROLE_READ, .params = id_params},
    {.method = HTTP_DELETE, .path = "/v1/services/{id}", .handler = h_dummy, .role = ROLE_OPERATE, .params = id_params},
    {.method = HTTP_PUT,
     .path = "/v1/things/{id}",
     .handler = h_dummy,
     .role = ROLE_OPERATE,
     .body_limit = 1024,
     .params = id_params},
};
static const struct route_table table = {"/api/server", routes, sizeof(routes) / sizeof(routes[0])};

static int find(const char *path, enum http_method m, unsigned *allowed)
{
    *allowed = 0xdead;
    return route_find(&table, path, m, allowed);
}

START_TEST(test_find_index)
{
    unsigned allowed;
    ck_assert_int_eq(find("/api/server/v1/health", HTTP_GET, &allowed), 0);
    ck_assert_int_eq(find("/api/server/v1/services", HTTP_GET, &allowed), 1);
    ck_assert_int_eq(find("/api/server/v1/services", HTTP_POST, &allowed), 2);
    ck_assert_int_eq(find("/api/server/v1/services/5", HTTP_GET, &allowed), 3);
    ck_assert_int_eq(find("/api/server/v1/services/5", HTTP_DELETE, &allowed), 4);
    ck_assert_int_eq(find("/api/server/v1/services/5/", HTTP_DELETE, &allowed), 4);
    ck_assert_int_eq(find("/api/server/v1/things/5", HTTP_PUT, &allowed), 5);
}
END_TEST

START_TEST(test_find_not_found)
{
    unsigned allowed;
    ck_assert_int_eq(find("/api/server/v1/nope", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/api/server/v1/services/5/runs", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/api/server/v1/services/", HTTP_GET, &allowed), 1); /* trailing slash */
    ck_assert_int_eq(find("/api/server", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/api/server/", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/v1/health", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
}
END_TEST

START_TEST(test_find_prefix_boundary)
{
    unsigned allowed;
    ck_assert_int_eq(find("/api/serverx/v1/health", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/api/serve/v1/health", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
    ck_assert_int_eq(find("/api/client/v1/health", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, 0);
}
END_TEST

START_TEST(test_find_method_not_allowed)
{
    unsigned allowed;
    ck_assert_int_eq(find("/api/server/v1/services", HTTP_DELETE, &allowed), -1);
    ck_assert_uint_eq(allowed, HTTP_GET | HTTP_HEAD | HTTP_POST);
    ck_assert_int_eq(find("/api/server/v1/services/5", HTTP_PATCH, &allowed), -1);
    ck_assert_uint_eq(allowed, HTTP_GET | HTTP_HEAD | HTTP_DELETE);
    ck_assert_int_eq(find("/api/server/v1/health", HTTP_POST, &allowed), -1);
    ck_assert_uint_eq(allowed, HTTP_GET | HTTP_HEAD);
    ck_assert_int_eq(find("/api/server/v1/things/5", HTTP_GET, &allowed), -1);
    ck_assert_uint_eq(allowed, HTTP_PUT);
}
END_TEST

START_TEST(test_find_head_finds_get)
{
    unsigned allowed;
    ck_assert_int_eq(find("/api/server/v1/health", HTTP_HEAD, &allowed), 0);
    ck_assert_int_eq(find("/api/server/v1/services/9", HTTP_HEAD, &allowed), 3);
    /* but not a PUT */
    ck_assert_int_eq(find("/api/server/v1/things/9", HTTP_HEAD, &allowed), -1);
    ck_assert_uint_eq(allowed, HTTP_PUT);
}
END_TEST

START_TEST(test_methods_list)
{
    char out[64];
    route_methods_list(HTTP_GET | HTTP_HEAD, out, sizeof(out));
    ck_assert_str_eq(out, "GET, HEAD");
    route_methods_list(HTTP_DELETE | HTTP_POST | HTTP_HEAD | HTTP_GET, out, sizeof(out));
    ck_assert_str_eq(out, "GET, HEAD, POST, DELETE");
    route_methods_list(HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE, out, sizeof(out));
    ck_assert_str_eq(out, "GET, HEAD, POST, PUT, PATCH, DELETE");
    route_methods_list(HTTP_PUT, out, sizeof(out));
    ck_assert_str_eq(out, "PUT");
    route_methods_list(0, out, sizeof(out));
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_methods_list_small_buffer)
{
    char out[8];
    memset(out, 'Z', sizeof(out));
    route_methods_list(HTTP_GET | HTTP_HEAD | HTTP_POST, out, 6);
    ck_assert_uint_lt(strlen(out), 6);
    ck_assert(strncmp("GET, HEAD, POST", out, strlen(out)) == 0);
    ck_assert_int_eq(out[6], 'Z');
}
END_TEST

START_TEST(test_method_names)
{
    ck_assert_str_eq(route_method_name(HTTP_GET), "GET");
    ck_assert_str_eq(route_method_name(HTTP_DELETE), "DELETE");
    ck_assert_str_eq(route_method_name((enum http_method)0), "OTHER");
    ck_assert_int_eq(route_method_parse("GET"), HTTP_GET);
    ck_assert_int_eq(route_method_parse("PATCH"), HTTP_PATCH);
    ck_assert_int_eq(route_method_parse("get"), 0);
    ck_assert_int_eq(route_method_parse("OPTIONS"), 0);
    ck_assert_int_eq(route_method_parse(""), 0);
    ck_assert_int_eq(route_method_parse(NULL), 0);
}
END_TEST

static char errbuf[256];

static int check_table(const struct route *r, size_t n)
{
    struct route_table t = {"/api/test", r, n};
    errbuf[0] = '\0';
    return route_table_check(&t, errbuf, sizeof(errbuf));
}

START_TEST(test_check_accepts_good_table)
{
    ck_assert_msg(route_table_check(&table, errbuf, sizeof(errbuf)) == 0, "refused: %s", errbuf);
}
END_TEST

START_TEST(test_check_undeclared_param)
{
    static const struct field other[] = {F_ID("other"), F_END};
    const struct route r[] = {
        {.method = HTTP_GET, .path = "/v1/x/{id}", .handler = h_dummy, .role = ROLE_READ, .params = other}};
    ck_assert_int_eq(check_table(r, 1), -1);
    ck_assert_msg(strstr(errbuf, "id") != NULL, "error is '%s'", errbuf);
    const struct route r2[] = {{.method = HTTP_GET, .path = "/v1/x/{id}", .handler = h_dummy, .role = ROLE_READ}};
    ck_assert_int_eq(check_table(r2, 1), -1);
}
END_TEST

START_TEST(test_check_optional_path_param)
{
    static const struct field opt[] = {F_INT("id", F_OPT, 1, 10), F_END};
    const struct route r[] = {
        {.method = HTTP_GET, .path = "/v1/x/{id}", .handler = h_dummy, .role = ROLE_READ, .params = opt}};
    ck_assert_int_eq(check_table(r, 1), -1);
}
END_TEST

START_TEST(test_check_bad_pattern)
{
    static const struct field bad_param[] = {F_STR("q", F_OPT, 0, 10, "[a-"), F_END};
    const struct route r[] = {
        {.method = HTTP_GET, .path = "/v1/x", .handler = h_dummy, .role = ROLE_READ, .params = bad_param}};
    ck_assert_int_eq(check_table(r, 1), -1);
    ck_assert_msg(strstr(errbuf, "q") && strstr(errbuf, "pattern"), "error is '%s'", errbuf);

    static const struct field inner[] = {F_STR("name", F_REQ, 1, 10, "(unclosed"), F_END};
    static const struct field body[] = {F_OBJ("outer", F_OPT, inner), F_END};
    const struct route r2[] = {{.method = HTTP_POST,
                                .path = "/v1/x",
                                .handler = h_dummy,
                                .role = ROLE_OPERATE,
                                .body_limit = 1024,
                                .body = body}};
    ck_assert_int_eq(check_table(r2, 1), -1);
    ck_assert_msg(strstr(errbuf, "name") != NULL, "error is '%s'", errbuf);

    static const struct field map[] = {F_MAP("labels", F_OPT, 8, "([a-z]"), F_END};
    const struct route r3[] = {{.method = HTTP_POST,
                                .path = "/v1/x",
                                .handler = h_dummy,
                                .role = ROLE_OPERATE,
                                .body_limit = 1024,
                                .body = map}};
    ck_assert_int_eq(check_table(r3, 1), -1);
}
END_TEST

START_TEST(test_check_duplicate)
{
    const struct route r[] = {
        {.method = HTTP_GET, .path = "/v1/x", .handler = h_dummy, .role = ROLE_READ},
        {.method = HTTP_POST, .path = "/v1/x", .handler = h_dummy, .role = ROLE_READ},
        {.method = HTTP_GET, .path = "/v1/x", .handler = h_dummy, .role = ROLE_READ},
    };
    ck_assert_int_eq(check_table(r, 2), 0);
    ck_assert_int_eq(check_table(r, 3), -1);
    ck_assert_msg(strstr(errbuf, "GET /v1/x") != NULL, "error is '%s'", errbuf);
}
END_TEST

START_TEST(test_check_other_mistakes)
{
    static const struct field body[] = {F_STR("name", F_REQ, 1, 10, NULL), F_END};
    const struct route no_limit[] = {
        {.method = HTTP_POST, .path = "/v1/x", .handler = h_dummy, .role = ROLE_OPERATE, .body = body}};
    ck_assert_int_eq(check_table(no_limit, 1), -1);
    const struct route no_handler[] = {{.method = HTTP_GET, .path = "/v1/x", .handler = NULL, .role = ROLE_READ}};
    ck_assert_int_eq(check_table(no_handler, 1), -1);
    static const struct field no_values[] = {{.name = "kind", .type = FIELD_ENUM}, F_END};
    const struct route enum_route[] = {
        {.method = HTTP_GET, .path = "/v1/x", .handler = h_dummy, .role = ROLE_READ, .params = no_values}};
    ck_assert_int_eq(check_table(enum_route, 1), -1);
}
END_TEST

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_match_literal);
    tcase_add_test(tc, test_match_trailing_slash);
    tcase_add_test(tc, test_match_params);
    tcase_add_test(tc, test_match_segment_counts);
    tcase_add_test(tc, test_match_empty_param);
    tcase_add_test(tc, test_match_long_value_fits_scratch);
    suite_add_tcase(s, tc);
    tc = tcase_create("find");
    tcase_add_test(tc, test_find_index);
    tcase_add_test(tc, test_find_not_found);
    tcase_add_test(tc, test_find_prefix_boundary);
    tcase_add_test(tc, test_find_method_not_allowed);
    tcase_add_test(tc, test_find_head_finds_get);
    tcase_add_test(tc, test_methods_list);
    tcase_add_test(tc, test_methods_list_small_buffer);
    tcase_add_test(tc, test_method_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("check");
    tcase_add_test(tc, test_check_accepts_good_table);
    tcase_add_test(tc, test_check_undeclared_param);
    tcase_add_test(tc, test_check_optional_path_param);
    tcase_add_test(tc, test_check_bad_pattern);
    tcase_add_test(tc, test_check_duplicate);
    tcase_add_test(tc, test_check_other_mistakes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(route_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
