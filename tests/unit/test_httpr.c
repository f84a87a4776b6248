/* Unit tests of common/httpr: HTTP/1.x replies read incrementally, by Content-Length, by chunks
 * and until close, fed whole or a byte at a time, and the malformed ones refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "httpr.h"

static struct buf body;
static int heads;

static int on_head(void *ctx, const struct httpr *h)
{
    (void)ctx;
    (void)h;
    heads++;
    return 0;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    return buf_append(&body, data, len);
}

/* Feeds text in pieces of step bytes (0: all at once) and returns the reader. */
static struct httpr *feed(const char *text, size_t step, int *rc)
{
    static struct httpr h;
    buf_free(&body);
    buf_init(&body, 1 << 20);
    heads = 0;
    httpr_init(&h, on_head, on_body, NULL);
    size_t len = strlen(text);
    *rc = 0;
    for (size_t i = 0; i < len && *rc == 0; i += step ? step : len)
        *rc = httpr_feed(&h, text + i, step && len - i > step ? step : len - i);
    return &h;
}

static const char CHUNKED[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "7\r\ndata: 1\r\n"
                              "a;ext=1\r\n\n\ndata: 22\r\n"
                              "0\r\n\r\n";

START_TEST(test_content_length)
{
    for (size_t step = 0; step < 4; step++) {
        int rc;
        struct httpr *h = feed("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
                               "{\"a\":1}trailing junk",
                               step, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(h->status, 201);
        ck_assert_str_eq(h->content_type, "application/json");
        ck_assert_int_eq(h->state, HTTPR_DONE);
        ck_assert_str_eq(buf_cstr(&body), "{\"a\":1}");
        ck_assert_int_eq(heads, 1);
        ck_assert_int_eq(httpr_end(h), 0);
    }
}
END_TEST

START_TEST(test_chunked)
{
    for (size_t step = 0; step < 5; step++) {
        int rc;
        struct httpr *h = feed(CHUNKED, step, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(h->state, HTTPR_DONE);
        ck_assert_str_eq(buf_cstr(&body), "data: 1\n\ndata: 22");
        ck_assert(h->chunked);
    }
}
END_TEST

START_TEST(test_interim_heads_skipped)
{
    int rc;
    struct httpr *h = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                           3, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(h->status, 200);
    ck_assert_int_eq(heads, 1);
    ck_assert_str_eq(buf_cstr(&body), "ok");
    h = feed("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, &rc);
    ck_assert_int_eq(rc, -1);
}
END_TEST

START_TEST(test_until_close)
{
    int rc;
    struct httpr *h = feed("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc", 1, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(h->state, HTTPR_BODY);
    ck_assert_int_eq(httpr_end(h), 0);
    ck_assert_str_eq(buf_cstr(&body), "abc");
}
END_TEST

START_TEST(test_cut_short)
{
    int rc;
    struct httpr *h = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(httpr_end(h), -1);
    h = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, &rc);
    ck_assert_int_eq(httpr_end(h), -1);
    h = feed("HTTP/1.1 200 OK\r\nContent-", 0, &rc);
    ck_assert_int_eq(httpr_end(h), -1);
}
END_TEST

START_TEST(test_malformed)
{
    static const char *const bad[] = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 99 Too low\r\n\r\n",
        "HTTP/1.1 abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc;
        struct httpr *h = feed(bad[i], 0, &rc);
        ck_assert_msg(rc == -1 && h->state == HTTPR_ERROR && h->error, "taken: %s", bad[i]);
    }
}
END_TEST

START_TEST(test_head_cap)
{
    size_t n = HTTPR_HEAD_MAX + 100;
    char *big = malloc(n + 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', n - 20);
    big[n] = '\0';
    int rc;
    struct httpr *h = feed(big, 0, &rc);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(h->state, HTTPR_ERROR);
    free(big);
}
END_TEST

static int stop_body(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return -1;
}

START_TEST(test_reader_stops)
{
    struct httpr h;
    httpr_init(&h, NULL, stop_body, NULL);
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    ck_assert_int_eq(httpr_feed(&h, t, strlen(t)), -1);
    ck_assert_int_eq(h.state, HTTPR_ERROR);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("httpr");
    TCase *tc = tcase_create("httpr");
    tcase_add_test(tc, test_content_length);
    tcase_add_test(tc, test_chunked);
    tcase_add_test(tc, test_interim_heads_skipped);
    tcase_add_test(tc, test_until_close);
    tcase_add_test(tc, test_cut_short);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_head_cap);
    tcase_add_test(tc, test_reader_stops);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    buf_free(&body);
    return failed ? 1 : 0;
}
