/* Unit tests of aifb-simllm's HTTP parser and writer: complete, partial (byte by byte) and
 * pipelined requests, bodies, keep-alive rules, and each refusal: garbage, bare LF or CR, obs-fold,
 * oversized heads and bodies, duplicate or bad Content-Length, Transfer-Encoding, missing Host,
 * unknown HTTP versions, Expect; then response heads and chunks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/simllm/http.h"

static struct http_request req;
static int status;

static enum http_progress parse(const char *s)
{
    size_t scan = 0;
    status = 0;
    return http_parse(s, strlen(s), &scan, &req, &status);
}

/* Expects s to be refused with want. */
static void refused(const char *s, int want)
{
    ck_assert_int_eq(parse(s), HTTP_INVALID);
    ck_assert_int_eq(status, want);
}

START_TEST(test_get_complete)
{
    const char *s = "GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
    ck_assert_int_eq(parse(s), HTTP_DONE);
    ck_assert_int_eq(req.method, HTTP_GET);
    ck_assert_uint_eq(req.head_len, strlen(s));
    ck_assert_uint_eq(req.content_length, 0);
    ck_assert(req.keep_alive);
    ck_assert_int_eq(req.minor, 1);
    ck_assert(http_path_is(&req, "/v1/models"));
    ck_assert(!http_path_is(&req, "/v1/model"));
    ck_assert_uint_eq(req.target_len, strlen("/v1/models?x=1"));
}
END_TEST

START_TEST(test_post_with_body)
{
    const char *s = "POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2\r\n\r\n{}";
    ck_assert_int_eq(parse(s), HTTP_DONE);
    ck_assert_int_eq(req.method, HTTP_POST);
    ck_assert(req.has_length);
    ck_assert_uint_eq(req.content_length, 2);
    ck_assert_mem_eq(s + req.head_len, "{}", 2);
    ck_assert_uint_eq(req.content_type_len, strlen("application/json"));
    ck_assert_mem_eq(req.content_type, "application/json", req.content_type_len);
}
END_TEST

START_TEST(test_body_partial)
{
    ck_assert_int_eq(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n{\"a\":"), HTTP_HEAD_DONE);
    ck_assert_uint_eq(req.content_length, 10);
}
END_TEST

/* Fed one byte at a time, the head is partial until its last byte, with scan carried along. */
START_TEST(test_byte_by_byte)
{
    const char *s = "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    size_t n = strlen(s), scan = 0, head = strstr(s, "\r\n\r\n") + 4 - s;
    for (size_t i = 1; i <= n; i++) {
        enum http_progress p = http_parse(s, i, &scan, &req, &status);
        if (i < head)
            ck_assert_int_eq(p, HTTP_PARTIAL);
        else if (i < n)
            ck_assert_int_eq(p, HTTP_HEAD_DONE);
        else
            ck_assert_int_eq(p, HTTP_DONE);
    }
}
END_TEST

START_TEST(test_pipelined)
{
    const char *s = "GET /health HTTP/1.1\r\nHost: a\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(parse(s), HTTP_DONE);
    ck_assert(http_path_is(&req, "/health"));
    size_t scan = 0;
    const char *next = s + req.head_len;
    ck_assert_int_eq(http_parse(next, strlen(next), &scan, &req, &status), HTTP_DONE);
    ck_assert(http_path_is(&req, "/metrics"));
}
END_TEST

START_TEST(test_keep_alive_rules)
{
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), HTTP_DONE);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n"), HTTP_DONE);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_DONE);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(req.minor, 0);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), HTTP_DONE);
    ck_assert(req.keep_alive);
}
END_TEST

START_TEST(test_header_whitespace)
{
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t 1 \t\r\n\r\nx"), HTTP_DONE);
    ck_assert_uint_eq(req.content_length, 1);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost:\r\nX-Empty:\r\n\r\n"), HTTP_DONE);
}
END_TEST

START_TEST(test_garbage)
{
    refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400); /* a TLS hello */
    refused("hello\r\n\r\n", 400);
    refused("GET\r\n\r\n", 400);
    refused("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    refused("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    refused("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}
END_TEST

START_TEST(test_line_ends)
{
    refused("GET / HTTP/1.1\nHost: a\n\n", 400);
    refused("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    size_t scan = 0;
    ck_assert_int_eq(http_parse(nul, sizeof(nul) - 1, &scan, &req, &status), HTTP_INVALID);
    ck_assert_int_eq(status, 400);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n"), HTTP_PARTIAL);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r"), HTTP_PARTIAL);
}
END_TEST

START_TEST(test_bad_headers)
{
    refused("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    refused("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400); /* HTTP/1.1 needs Host */
}
END_TEST

START_TEST(test_content_length)
{
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413);
    refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413);
    refused("POST / HTTP/1.1\r\nHost: a\r\n\r\n", 411);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n"), HTTP_HEAD_DONE);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n"), HTTP_HEAD_DONE);
    ck_assert_uint_eq(req.content_length, 7);
}
END_TEST

START_TEST(test_transfer_encoding)
{
    refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 411);
    refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400);
}
END_TEST

START_TEST(test_versions)
{
    refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    refused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
    refused("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400);
    refused("GET / HTTP/11\r\nHost: a\r\n\r\n", 400);
}
END_TEST

START_TEST(test_expect)
{
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n"),
                     HTTP_HEAD_DONE);
    ck_assert(req.expect_continue);
    refused("POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\nContent-Length: 5\r\n\r\n", 417);
}
END_TEST

START_TEST(test_unknown_method)
{
    ck_assert_int_eq(parse("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
    ck_assert_int_eq(req.method, 0);
    ck_assert_uint_eq(req.method_len, 4);
    ck_assert_int_eq(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
    ck_assert_int_eq(req.method, HTTP_HEAD);
    refused("get / HTTP/1.1\r\nHost: a\r\nX: y\r\nContent-Length: z\r\n\r\n", 400);
}
END_TEST

START_TEST(test_oversized_head)
{
    size_t n = HTTP_HEAD_MAX + 100;
    char *s = malloc(n + 1);
    memcpy(s, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ", 33);
    memset(s + 33, 'a', n - 33);
    s[n] = '\0';
    size_t scan = 0;
    ck_assert_int_eq(http_parse(s, HTTP_HEAD_MAX - 1, &scan, &req, &status), HTTP_PARTIAL);
    ck_assert_int_eq(http_parse(s, n, &scan, &req, &status), HTTP_INVALID);
    ck_assert_int_eq(status, 431);
    free(s);
}
END_TEST

START_TEST(test_too_many_headers)
{
    char s[4096];
    size_t k = (size_t)snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_HEADERS_MAX; i++)
        k += (size_t)snprintf(s + k, sizeof(s) - k, "X%d: v\r\n", i);
    snprintf(s + k, sizeof(s) - k, "\r\n");
    refused(s, 431);
}
END_TEST

START_TEST(test_write_head_and_chunks)
{
    struct buf b;
    buf_init(&b, 4096);
    char date[HTTP_DATE_LEN];
    http_date(784111777, date);
    ck_assert_str_eq(date, "Sun, 06 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(http_write_head(&b, 200, "text/event-stream", HTTP_LENGTH_CHUNKED, true, date, "x-a: 1\r\n"), 0);
    ck_assert_str_eq(buf_cstr(&b), "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\nserver: aifb-simllm\r\n"
                                   "content-type: text/event-stream\r\ntransfer-encoding: chunked\r\nx-a: 1\r\n\r\n");
    buf_clear(&b);
    ck_assert_int_eq(http_write_head(&b, 404, NULL, 0, false, date, NULL), 0);
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "HTTP/1.1 404 Not Found\r\n"));
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "content-length: 0\r\nconnection: close\r\n\r\n"));
    ck_assert_ptr_null(strstr(buf_cstr(&b), "content-type"));
    buf_clear(&b);
    ck_assert_int_eq(http_write_chunk(&b, "data: [DONE]\n\n", 14), 0);
    ck_assert_int_eq(http_write_last_chunk(&b), 0);
    ck_assert_str_eq(buf_cstr(&b), "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n");
    buf_free(&b);
}
END_TEST

START_TEST(test_write_cap)
{
    struct buf b;
    buf_init(&b, 16);
    ck_assert_int_eq(http_write_head(&b, 200, NULL, 0, true, "d", NULL), -1);
    ck_assert(b.overflow);
    buf_free(&b);
    ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_reason(299), "Unknown");
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("simllm_http");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_get_complete);
    tcase_add_test(tc, test_post_with_body);
    tcase_add_test(tc, test_body_partial);
    tcase_add_test(tc, test_byte_by_byte);
    tcase_add_test(tc, test_pipelined);
    tcase_add_test(tc, test_keep_alive_rules);
    tcase_add_test(tc, test_header_whitespace);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_line_ends);
    tcase_add_test(tc, test_bad_headers);
    tcase_add_test(tc, test_content_length);
    tcase_add_test(tc, test_transfer_encoding);
    tcase_add_test(tc, test_versions);
    tcase_add_test(tc, test_expect);
    tcase_add_test(tc, test_unknown_method);
    tcase_add_test(tc, test_oversized_head);
    tcase_add_test(tc, test_too_many_headers);
    tcase_add_test(tc, test_write_head_and_chunks);
    tcase_add_test(tc, test_write_cap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
