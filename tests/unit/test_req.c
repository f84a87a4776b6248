/* Unit tests of common/req: the JSON reply helpers (status, content type, valid JSON ending in a
 * newline, the reply cap), the one error document (exactly error/hint/detail/request_id, even for a
 * detail that is not UTF-8), reply_header's refusals, and the req_* parameter accessors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "req.h"

static struct arena *arena;
static struct req r;

static void setup(void)
{
    arena = arena_new(4096);
    req_init(&r, arena, NULL, 1 << 20);
}

static void teardown(void)
{
    arena_free(arena);
}

/* The reply body parsed; the caller decrefs. Fails the test unless it is one valid JSON document
 * followed by exactly one newline. */
static json_t *reply_doc(void)
{
    const char *body = buf_cstr(&r.reply.body);
    size_t len = r.reply.body.len;
    ck_assert_msg(len > 1 && body[len - 1] == '\n', "body does not end in a newline: '%s'", body);
    ck_assert_msg(memchr(body, '\n', len - 1) == NULL, "body has more than one line: '%s'", body);
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    ck_assert_msg(j != NULL, "body is not JSON (%s): '%s'", jerr.text, body);
    return j;
}

/* Checks the reply is e's error document with this detail and request id. */
static void check_error_doc(enum err e, const char *want_detail, const char *want_id)
{
    ck_assert_int_eq(r.reply.status, err_status(e));
    ck_assert_str_eq(r.reply.content_type, "application/json");
    json_t *j = reply_doc();
    ck_assert(json_is_object(j));
    ck_assert_uint_eq(json_object_size(j), 4);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), err_string(e));
    ck_assert_str_eq(json_string_value(json_object_get(j, "hint")), err_hint(e));
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), want_detail);
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), want_id);
    json_decref(j);
}

START_TEST(test_init_defaults)
{
    ck_assert_ptr_eq(r.arena, arena);
    ck_assert_int_eq(r.route_index, -1);
    ck_assert_int_eq(r.content_length, -1);
    ck_assert_str_eq(r.query, "");
    ck_assert_int_eq(r.reply.status, 0);
    ck_assert_uint_eq(r.reply.body.max, 1 << 20);
    ck_assert_ptr_null(r.body);
    ck_assert_ptr_null(r.detail);
}
END_TEST

START_TEST(test_reply_json)
{
    json_t *j = req_own_json(&r, json_pack("{s:i, s:s, s:[b]}", "id", 42, "name", "x", "flags", 1));
    ck_assert_int_eq(reply_json(&r, 201, j), ERR_OK);
    ck_assert_int_eq(r.reply.status, 201);
    ck_assert_str_eq(r.reply.content_type, "application/json");
    json_t *doc = reply_doc();
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "id")), 42);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "name")), "x");
    ck_assert(json_is_true(json_array_get(json_object_get(doc, "flags"), 0)));
    json_decref(doc);
}
END_TEST

START_TEST(test_reply_json_null_is_empty_object)
{
    ck_assert_int_eq(reply_json(&r, 200, NULL), ERR_OK);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{}\n");
}
END_TEST

START_TEST(test_reply_json_replaces)
{
    reply_json(&r, 200, req_own_json(&r, json_pack("{s:s}", "first", "a long first value")));
    ck_assert_int_eq(reply_json(&r, 202, req_own_json(&r, json_pack("[i]", 1))), ERR_OK);
    ck_assert_int_eq(r.reply.status, 202);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "[1]\n");
}
END_TEST

START_TEST(test_reply_json_unicode)
{
    ck_assert_int_eq(reply_json(&r, 200, req_own_json(&r, json_pack("{s:s}", "s", "caf\xc3\xa9 \"q\" \n"))), ERR_OK);
    json_t *doc = reply_doc();
    ck_assert_str_eq(json_string_value(json_object_get(doc, "s")), "caf\xc3\xa9 \"q\" \n");
    json_decref(doc);
}
END_TEST

START_TEST(test_reply_cap)
{
    arena_reset(arena);
    req_init(&r, arena, NULL, 8);
    /* {"a":1} and the newline are 8 bytes: just fits. */
    ck_assert_int_eq(reply_json(&r, 200, req_own_json(&r, json_pack("{s:i}", "a", 1))), ERR_OK);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{\"a\":1}\n");
    ck_assert_int_eq(reply_json(&r, 200, req_own_json(&r, json_pack("{s:i}", "a", 10))), ERR_RESPONSE_TOO_LARGE);
    ck_assert_int_eq(reply_json(&r, 200, req_own_json(&r, json_pack("{s:s}", "key", "a value well over the cap"))),
                     ERR_RESPONSE_TOO_LARGE);
    ck_assert_int_eq(reply_data(&r, 200, "text/plain", "123456789", 9), ERR_RESPONSE_TOO_LARGE);
}
END_TEST

START_TEST(test_reply_data)
{
    ck_assert_int_eq(reply_data(&r, 200, "text/plain; version=0.0.4", "a\0b", 3), ERR_OK);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_str_eq(r.reply.content_type, "text/plain; version=0.0.4");
    ck_assert_uint_eq(r.reply.body.len, 3);
    ck_assert_mem_eq(r.reply.body.data, "a\0b", 3);
}
END_TEST

START_TEST(test_reply_error_shape)
{
    r.request_id = "req-123";
    r.detail = "id=42";
    reply_error(&r, ERR_SERVICE_NOT_FOUND);
    check_error_doc(ERR_SERVICE_NOT_FOUND, "id=42", "req-123");
}
END_TEST

START_TEST(test_reply_error_every_code)
{
    r.request_id = "abc";
    for (int e = 1; e < ERR__COUNT; e++) {
        r.detail = "d";
        reply_error(&r, (enum err)e);
        check_error_doc((enum err)e, "d", "abc");
    }
}
END_TEST

START_TEST(test_reply_error_without_detail_or_id)
{
    reply_error(&r, ERR_INTERNAL);
    check_error_doc(ERR_INTERNAL, "", "");
}
END_TEST

START_TEST(test_reply_error_replaces_reply)
{
    r.request_id = "id1";
    reply_json(&r, 200, req_own_json(&r, json_pack("{s:s}", "partial", "answer")));
    reply_header(&r, "X-Handler", "1");
    r.detail = "boom";
    reply_error(&r, ERR_DB_ERROR);
    check_error_doc(ERR_DB_ERROR, "boom", "id1");
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "");
}
END_TEST

START_TEST(test_reply_error_invalid_utf8_detail)
{
    r.request_id = "id2";
    r.detail = "name=\xff\xfe\xc3(";
    reply_error(&r, ERR_INVALID_INPUT);
    ck_assert_int_eq(r.reply.status, 400);
    json_t *j = reply_doc();
    ck_assert_uint_eq(json_object_size(j), 4);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "invalid_input");
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "id2");
    const char *d = json_string_value(json_object_get(j, "detail"));
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_null(strchr(d, '\xff'));
    json_decref(j);
}
END_TEST

START_TEST(test_reply_error_over_cap)
{
    /* The document cannot fit: still the error's status and a body that is JSON. */
    arena_reset(arena);
    req_init(&r, arena, NULL, 40);
    r.detail = "a detail long enough to push the document over the cap";
    reply_error(&r, ERR_NOT_FOUND);
    ck_assert_int_eq(r.reply.status, 404);
    json_t *j = reply_doc();
    ck_assert(json_is_object(j));
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "not_found");
    json_decref(j);
}
END_TEST

START_TEST(test_reply_header)
{
    reply_header(&r, "Allow", "GET, HEAD");
    reply_header(&r, "X-Count", "3");
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "Allow: GET, HEAD\r\nX-Count: 3\r\n");
}
END_TEST

START_TEST(test_reply_header_refuses_crlf)
{
    reply_header(&r, "X-Ok", "1");
    reply_header(&r, "X-Bad", "a\r\nSet-Cookie: x=1");
    reply_header(&r, "X-Bad", "a\nb");
    reply_header(&r, "X-Bad", "a\rb");
    reply_header(&r, "X-Bad\r\nX-Evil", "1");
    reply_header(&r, "X-Bad\n", "1");
    reply_header(&r, "X-Bad: y", "1");
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "X-Ok: 1\r\n");
}
END_TEST

START_TEST(test_reply_json_leaves_ownership)
{
    json_t *j = req_own_json(&r, json_pack("{s:i}", "a", 1));
    ck_assert_int_eq(reply_json(&r, 200, j), ERR_OK);
    ck_assert_uint_eq(j->refcount, 1); /* read, not taken: the arena drops it */
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{\"a\":1}\n");
}
END_TEST

START_TEST(test_req_fail)
{
    enum err e = req_fail(&r, ERR_RUN_NOT_FOUND, "id=%lld name=%s", 7LL, "x");
    ck_assert_int_eq(e, ERR_RUN_NOT_FOUND);
    ck_assert_str_eq(r.detail, "id=7 name=x");
}
END_TEST

START_TEST(test_req_own_json)
{
    json_t *j = json_object();
    json_incref(j);
    ck_assert_ptr_eq(req_own_json(&r, j), j);
    ck_assert_uint_eq(j->refcount, 2);
    arena_reset(arena); /* the end of the request */
    ck_assert_uint_eq(j->refcount, 1);
    json_decref(j);
    ck_assert_ptr_null(req_own_json(&r, NULL));
    req_init(&r, arena, NULL, 1 << 20); /* for teardown */
}
END_TEST

static Suite *req_suite(void)
{
    Suite *s = suite_create("req");
    TCase *tc = tcase_create("reply");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_defaults);
    tcase_add_test(tc, test_reply_json);
    tcase_add_test(tc, test_reply_json_null_is_empty_object);
    tcase_add_test(tc, test_reply_json_replaces);
    tcase_add_test(tc, test_reply_json_unicode);
    tcase_add_test(tc, test_reply_cap);
    tcase_add_test(tc, test_reply_data);
    tcase_add_test(tc, test_reply_error_shape);
    tcase_add_test(tc, test_reply_error_every_code);
    tcase_add_test(tc, test_reply_error_without_detail_or_id);
    tcase_add_test(tc, test_reply_error_replaces_reply);
    tcase_add_test(tc, test_reply_error_invalid_utf8_detail);
    tcase_add_test(tc, test_reply_error_over_cap);
    tcase_add_test(tc, test_reply_header);
    tcase_add_test(tc, test_reply_header_refuses_crlf);
    suite_add_tcase(s, tc);
    tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reply_json_leaves_ownership);
    tcase_add_test(tc, test_req_fail);
    tcase_add_test(tc, test_req_own_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(req_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
