/* Unit tests of common/openapi: the translation of the tables' POSIX patterns into anchored ECMA-262
 * ones (classes, brackets, braces, escapes, anchors, refusals), the document of a hand-built table
 * (paths, methods, security by role, parameters, bodies, the error shape) and the served document
 * (h_system.c), through the dispatcher, equal to the printed one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "dispatch.h"
#include "h_system.h"
#include "metrics.h"
#include "openapi.h"
#include "req.h"

/* The translation of posix, or "(refused)". */
static const char *ecma(const char *posix)
{
    static char out[512];
    return openapi_pattern(posix, out, sizeof(out)) == 0 ? out : "(refused)";
}

START_TEST(test_pattern_anchors)
{
    ck_assert_str_eq(ecma("^[a-z]+$"), "^[a-z]+$");
    ck_assert_str_eq(ecma("[a-z]+"), "^(?:[a-z]+)$");
    ck_assert_str_eq(ecma("^[a-z]+"), "^(?:^[a-z]+)$");
    ck_assert_str_eq(ecma("[a-z]+$"), "^(?:[a-z]+$)$");
    /* each alternative is anchored at one end only */
    ck_assert_str_eq(ecma("^a|b$"), "^(?:^a|b$)$");
    ck_assert_str_eq(ecma("^(a|b)$"), "^(a|b)$");
    /* an escaped dollar is a literal one */
    ck_assert_str_eq(ecma("^a\\$"), "^(?:^a\\$)$");
    /* a dollar inside brackets is no anchor */
    ck_assert_str_eq(ecma("^a[$]"), "^(?:^a[$])$");
    ck_assert_str_eq(ecma(""), "^(?:)$");
}
END_TEST

START_TEST(test_pattern_classes)
{
    ck_assert_str_eq(ecma("^[[:print:]]+$"), "^[\\x20-\\x7E]+$");
    ck_assert_str_eq(ecma("^[^[:cntrl:]]+$"), "^[^\\x00-\\x1F\\x7F]+$");
    ck_assert_str_eq(ecma("[[:alnum:][:space:]_]"), "^(?:[0-9A-Za-z\\t-\\r _])$");
    ck_assert_str_eq(ecma("[[:alpha:][:digit:]]"), "^(?:[A-Za-z0-9])$");
    ck_assert_str_eq(ecma("[[:upper:][:lower:][:xdigit:]]"), "^(?:[A-Za-z0-9A-Fa-f])$");
    ck_assert_str_eq(ecma("[[:blank:]]"), "^(?:[ \\t])$");
    ck_assert_str_eq(ecma("[[:graph:]]"), "^(?:[\\x21-\\x7E])$");
    ck_assert_str_eq(ecma("[[:punct:]]"), "^(?:[\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E])$");
    ck_assert_str_eq(ecma("[[=a=][.-.]]"), "^(?:[a-])$");
}
END_TEST

START_TEST(test_pattern_brackets)
{
    /* ']' first is a member; '\' and '[' are members as they are in POSIX */
    ck_assert_str_eq(ecma("[]a]"), "^(?:[\\]a])$");
    ck_assert_str_eq(ecma("[^]a]"), "^(?:[^\\]a])$");
    ck_assert_str_eq(ecma("[\\]"), "^(?:[\\\\])$");
    ck_assert_str_eq(ecma("[a[b]"), "^(?:[a\\[b])$");
    ck_assert_str_eq(ecma("[._-]"), "^(?:[._-])$");
    ck_assert_str_eq(ecma("[-a^]"), "^(?:[-a^])$");
}
END_TEST

START_TEST(test_pattern_braces_and_escapes)
{
    ck_assert_str_eq(ecma("a{2}b{1,}c{1,3}"), "^(?:a{2}b{1,}c{1,3})$");
    ck_assert_str_eq(ecma("a{,3}"), "^(?:a{0,3})$");
    /* literal braces and brackets outside an interval or a class */
    ck_assert_str_eq(ecma("a{b}"), "^(?:a\\{b\\})$");
    ck_assert_str_eq(ecma("a{}"), "^(?:a\\{\\})$");
    ck_assert_str_eq(ecma("a]"), "^(?:a\\])$");
    ck_assert_str_eq(ecma("\\.\\(\\)\\|\\*\\+\\?\\{\\}\\[\\]\\^\\$\\\\/"),
                     "^(?:\\.\\(\\)\\|\\*\\+\\?\\{\\}\\[\\]\\^\\$\\\\/)$");
    /* escapes ECMA's unicode mode refuses become the character; GNU's word edges \b */
    ck_assert_str_eq(ecma("\\-\\ \\:"), "^(?:- :)$");
    ck_assert_str_eq(ecma("\\<a\\>"), "^(?:\\ba\\b)$");
    ck_assert_str_eq(ecma("\\w+\\s"), "^(?:\\w+\\s)$");
}
END_TEST

START_TEST(test_pattern_refused)
{
    ck_assert_str_eq(ecma("[[:bogus:]]"), "(refused)");
    ck_assert_str_eq(ecma("[[.ch.]]"), "(refused)");
    ck_assert_str_eq(ecma("[abc"), "(refused)");
    ck_assert_str_eq(ecma("[[:alpha:]"), "(refused)");
    ck_assert_str_eq(ecma("a\\"), "(refused)");
    char small[8];
    ck_assert_int_eq(openapi_pattern("[a-z]+", small, sizeof(small)), -1);
    ck_assert_int_eq(openapi_pattern("^a$", small, 4), 0);
    ck_assert_str_eq(small, "^a$");
    ck_assert_int_eq(openapi_pattern("^a$", small, 3), -1);
}
END_TEST

static enum err h_any(struct req *r)
{
    return reply_json(r, 200, NULL);
}

static const char *const colours[] = {"red", "green", NULL};
static const struct field id_params[] = {F_ID("id"), F_END};
static const struct field list_params[] = {F_INT("limit", F_OPT, 1, 1000), F_ENUM("colour", F_OPT, colours),
                                           F_STR("q", F_REQ, 1, 64, "[[:print:]]+"), F_BOOL("all", F_OPT), F_END};
static const struct field inner_fields[] = {F_INT("port", F_REQ, 1, 65535), F_END};
static const struct field create_body[] = {
    F_STR("name", F_REQ, 1, 16, "^[a-z]+$"),
    F_NUM("ratio", F_OPT, 0.5, 2),
    F_OBJ("inner", F_OPT, inner_fields),
    F_OBJ("any", F_OPT, NULL),
    F_ARR("list", F_OPT, 1, 8),
    F_MAP("labels", F_OPT, 4, "^[a-z]+$"),
    F_END,
};

static const struct route routes[] = {
    {.method = HTTP_GET, .path = "/v1/openapi.json", .handler = h_system_openapi, .role = ROLE_PUBLIC},
    {.method = HTTP_GET, .path = "/v1/items", .handler = h_any, .role = ROLE_READ, .params = list_params},
    {.method = HTTP_POST,
     .path = "/v1/items",
     .handler = h_any,
     .role = ROLE_OPERATE,
     .body_limit = 64,
     .body = create_body},
    {.method = HTTP_DELETE, .path = "/v1/items/{id}", .handler = h_any, .role = ROLE_ADMIN, .params = id_params},
    {.method = HTTP_POST,
     .path = "/v1/items/{id}/echo",
     .handler = h_any,
     .role = ROLE_PUBLIC,
     .body_limit = 32,
     .params = id_params},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct app_def def = {.name = "test", .table = {"/api/test", routes, NROUTES}};

static json_t *doc;

static void setup(void)
{
    doc = openapi_document(&def);
    ck_assert_ptr_nonnull(doc);
}

static void teardown(void)
{
    json_decref(doc);
}

/* The member of doc at a path of keys, "/"-separated (array members by index); keys holding '/'
 * (the paths) are read with json_object_get. */
static json_t *at(const char *path)
{
    json_t *j = doc;
    char key[128];
    for (const char *p = path; j && *p;) {
        size_t k = strcspn(p, "/");
        snprintf(key, sizeof(key), "%.*s", (int)k, p);
        char *end;
        long i = strtol(key, &end, 10);
        j = json_is_array(j) && *end == '\0' ? json_array_get(j, (size_t)i) : json_object_get(j, key);
        p += k + (p[k] == '/');
    }
    return j;
}

static const char *str_at(const char *path)
{
    const char *s = json_string_value(at(path));
    return s ? s : "(none)";
}

START_TEST(test_document_head)
{
    ck_assert_str_eq(str_at("openapi"), "3.1.0");
    ck_assert_str_eq(str_at("info/title"), "aifb-test");
    ck_assert_str_eq(str_at("servers/0/url"), "/api/test");
    ck_assert_uint_eq(json_object_size(at("paths")), 4);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(at("paths"), "/v1/items"), "get"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(at("paths"), "/v1/items"), "post"));
}
END_TEST

START_TEST(test_document_security)
{
    ck_assert_str_eq(str_at("components/securitySchemes/bearer/scheme"), "bearer");
    const json_t *paths = at("paths");
    json_t *get = json_object_get(json_object_get(paths, "/v1/items"), "get");
    json_t *del = json_object_get(json_object_get(paths, "/v1/items/{id}"), "delete");
    json_t *spec = json_object_get(json_object_get(paths, "/v1/openapi.json"), "get");
    ck_assert_str_eq(json_string_value(json_object_get(get, "x-aifb-role")), "read");
    ck_assert_str_eq(json_string_value(json_object_get(del, "x-aifb-role")), "admin");
    ck_assert_ptr_nonnull(json_object_get(json_array_get(json_object_get(get, "security"), 0), "bearer"));
    ck_assert_ptr_null(json_object_get(spec, "security"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(get, "responses"), "401"));
    ck_assert_ptr_null(json_object_get(json_object_get(spec, "responses"), "401"));
    /* static handlers have no exported name: the route names them */
    ck_assert_str_eq(json_string_value(json_object_get(del, "operationId")), "delete_v1_items_id");
    ck_assert_str_eq(json_string_value(json_object_get(del, "summary")), "DELETE /v1/items/{id}");
}
END_TEST

START_TEST(test_document_parameters)
{
    const json_t *paths = at("paths");
    json_t *get = json_object_get(json_object_get(paths, "/v1/items"), "get");
    json_t *params = json_object_get(get, "parameters");
    ck_assert_uint_eq(json_array_size(params), 4);
    json_t *limit = json_array_get(params, 0), *colour = json_array_get(params, 1), *q = json_array_get(params, 2);
    ck_assert_str_eq(json_string_value(json_object_get(limit, "in")), "query");
    ck_assert(json_is_false(json_object_get(limit, "required")));
    json_t *ls = json_object_get(limit, "schema");
    ck_assert_str_eq(json_string_value(json_object_get(ls, "type")), "integer");
    ck_assert_int_eq(json_integer_value(json_object_get(ls, "minimum")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ls, "maximum")), 1000);
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(colour, "schema"), "enum")), 2);
    ck_assert(json_is_true(json_object_get(q, "required")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(q, "schema"), "pattern")),
                     "^(?:[\\x20-\\x7E]+)$");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(params, 3), "schema"), "type")),
                     "boolean");
    json_t *del = json_object_get(json_object_get(paths, "/v1/items/{id}"), "delete");
    json_t *id = json_array_get(json_object_get(del, "parameters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(id, "in")), "path");
    ck_assert(json_is_true(json_object_get(id, "required")));
    json_t *is = json_object_get(id, "schema");
    ck_assert_str_eq(json_string_value(json_object_get(is, "format")), "int64");
    ck_assert_ptr_null(json_object_get(is, "maximum"));
    ck_assert_ptr_null(json_object_get(del, "requestBody"));
}
END_TEST

START_TEST(test_document_body)
{
    json_t *post = json_object_get(json_object_get(at("paths"), "/v1/items"), "post");
    json_t *body = json_object_get(post, "requestBody");
    ck_assert(json_is_true(json_object_get(body, "required")));
    json_t *s = json_object_get(json_object_get(json_object_get(body, "content"), "application/json"), "schema");
    ck_assert(json_is_false(json_object_get(s, "additionalProperties")));
    ck_assert_uint_eq(json_array_size(json_object_get(s, "required")), 1);
    json_t *props = json_object_get(s, "properties");
    ck_assert_uint_eq(json_object_size(props), 6);
    json_t *ratio = json_object_get(props, "ratio"), *inner = json_object_get(props, "inner");
    ck_assert(json_real_value(json_object_get(ratio, "minimum")) == 0.5);
    ck_assert_str_eq(json_string_value(json_object_get(inner, "type")), "object");
    ck_assert(json_is_false(json_object_get(inner, "additionalProperties")));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(inner, "properties"), "port"));
    ck_assert_ptr_null(json_object_get(json_object_get(props, "any"), "properties"));
    json_t *list = json_object_get(props, "list"), *labels = json_object_get(props, "labels");
    ck_assert_int_eq(json_integer_value(json_object_get(list, "minItems")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(list, "maxItems")), 8);
    ck_assert_int_eq(json_integer_value(json_object_get(labels, "maxProperties")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(labels, "additionalProperties"), "maxLength")),
                     1024);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(labels, "propertyNames"), "pattern")),
                     "^[a-z]+$");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(post, "responses"), "413"));
    /* a body without declared members: optional, any object */
    json_t *echo = json_object_get(json_object_get(at("paths"), "/v1/items/{id}/echo"), "post");
    ck_assert(json_is_false(json_object_get(json_object_get(echo, "requestBody"), "required")));
}
END_TEST

START_TEST(test_document_errors)
{
    json_t *codes = at("components/schemas/Error/properties/error/enum");
    ck_assert_uint_eq(json_array_size(codes), ERR__COUNT - 1);
    ck_assert_str_eq(json_string_value(json_array_get(codes, 0)), err_string(ERR_OK + 1));
    json_t *req = at("components/schemas/Error/required");
    ck_assert_uint_eq(json_array_size(req), 4);
    ck_assert(json_is_false(at("components/schemas/Error/additionalProperties")));
    ck_assert_ptr_nonnull(at("components/responses/BadRequest"));
    ck_assert_ptr_nonnull(at("components/responses/Error"));
}
END_TEST

START_TEST(test_served_equals_printed)
{
    struct app app = {.def = &def, .reply_max = 1 << 20, .workers = 1};
    app.metrics = metrics_new(NROUTES);
    struct arena *arena = arena_new(4096);
    struct req r;
    req_init(&r, arena, &app, 1 << 20);
    r.method_name = "GET";
    r.method = HTTP_GET;
    r.path = "/api/test/v1/openapi.json";
    r.query = "";
    r.request_id = "test-request-1";
    r.remote_addr = "127.0.0.1";
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_str_eq(r.reply.content_type, "application/json");
    json_error_t jerr;
    json_t *served = json_loads(buf_cstr(&r.reply.body), 0, &jerr);
    ck_assert_ptr_nonnull(served);
    ck_assert(json_equal(served, doc));
    json_decref(served);
    arena_free(arena);
    free(app.openapi); /* made by the first request, kept for the process's next ones */

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(openapi_print(&def, f), 0);
    fclose(f);
    json_t *printed = json_loads(text, 0, &jerr);
    ck_assert_ptr_nonnull(printed);
    ck_assert(json_equal(printed, doc));
    ck_assert(len > 0 && text[len - 1] == '\n');
    json_decref(printed);
    free(text);
}
END_TEST

static Suite *openapi_suite(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("pattern");
    tcase_add_test(tc, test_pattern_anchors);
    tcase_add_test(tc, test_pattern_classes);
    tcase_add_test(tc, test_pattern_brackets);
    tcase_add_test(tc, test_pattern_braces_and_escapes);
    tcase_add_test(tc, test_pattern_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("document");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_document_head);
    tcase_add_test(tc, test_document_security);
    tcase_add_test(tc, test_document_parameters);
    tcase_add_test(tc, test_document_body);
    tcase_add_test(tc, test_document_errors);
    tcase_add_test(tc, test_served_equals_printed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(openapi_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
