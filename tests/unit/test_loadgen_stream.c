/* Unit tests of aifb-loadgen's reading of answers: vLLM's completion and chat streams fed whole,
 * byte by byte and cut at every byte, CRLF and CR line ends, comments, multi-line data and a BOM;
 * the TTFT and ITL points; usage or estimated tokens; [DONE] or finish_reason; error objects,
 * non-2xx answers, cut streams and the transport's verdicts; whole JSON answers; and the JSON
 * scanner against jansson's rules (escapes, duplicates, depth, numbers, UTF-8). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/loadgen/stream.h"

static struct stream st;
static struct record rec;

#define CMPL(text, finish)                                                                                             \
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":3,\"model\":\"m\",\"choices\":[{\"index\":0," \
    "\"text\":\"" text "\",\"logprobs\":null,\"finish_reason\":" finish ",\"stop_reason\":null}]}\n\n"
#define USAGE                                                                                                          \
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":3,\"model\":\"m\",\"choices\":[],"            \
    "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":6,\"completion_tokens\":3}}\n\n"
#define DONE "data: [DONE]\n\n"

/* A stream of three tokens, the last with finish_reason, usage and [DONE]. */
static const char full[] = CMPL(" tok0", "null") CMPL(" tok1", "null") CMPL(" tok2", "\"length\"") USAGE DONE;

static void begin(bool sse, int status, const char *type)
{
    stream_reset(&st, sse);
    stream_head(&st, status, type);
}

static void setup(void)
{
    stream_init(&st, true);
    memset(&rec, 0, sizeof(rec));
}

static void teardown(void)
{
    stream_free(&st);
}

/* Feeds s whole at t and returns what stream_feed did. */
static int feed(const char *s, int64_t t)
{
    return stream_feed(&st, s, strlen(s), t);
}

static void finish(enum stream_end how)
{
    stream_finish(&st, how, 9, &rec);
}

START_TEST(test_completion_stream)
{
    begin(true, 200, "text/event-stream; charset=utf-8");
    ck_assert_int_eq(feed(CMPL(" tok0", "null"), 1000), 1);
    ck_assert_int_eq(feed(CMPL(" tok1", "null"), 1010), 1);
    ck_assert_int_eq(feed(CMPL(" tok2", "\"length\"") USAGE DONE, 1025), 1);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.http_status, 200);
    ck_assert_int_eq(rec.first_chunk_us, 1000);
    ck_assert_int_eq(rec.last_chunk_us, 1025);
    ck_assert_uint_eq(rec.n_itl, 2);
    ck_assert_int_eq(rec.itl_us[0], 10);
    ck_assert_int_eq(rec.itl_us[1], 15);
    ck_assert_int_eq(rec.prompt_tokens, 3);
    ck_assert_int_eq(rec.completion_tokens, 3);
    ck_assert(!rec.tokens_estimated);
    ck_assert(st.done && st.finished);
}
END_TEST

/* vLLM's chat stream: the role chunk (empty content) is the first chunk with choices, as vllm bench
 * serve counts it, but not a chunk with text. */
START_TEST(test_chat_stream)
{
    const char *role = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                       "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}"
                       "\n\n";
    const char *tok = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok0\"},"
                      "\"finish_reason\":\"stop\"}]}\n\n";
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed(role, 500), 0);
    ck_assert_int_eq(feed(tok, 700), 1);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class); /* finish_reason without [DONE] is a whole answer */
    ck_assert_int_eq(rec.first_chunk_us, 500);
    ck_assert_uint_eq(rec.n_itl, 1);
    ck_assert_int_eq(rec.itl_us[0], 200);
    ck_assert_int_eq(rec.completion_tokens, 1); /* no usage: estimated */
    ck_assert_int_eq(rec.prompt_tokens, 9);
    ck_assert(rec.tokens_estimated);
}
END_TEST

/* The live token count: a chunk's usage (vLLM's continuous_usage_stats) gives its tokens at once,
 * four per chunk here, the role chunk none; without it a chunk with text counts one and the final
 * usage chunk brings the rest. */
START_TEST(test_live_tokens)
{
#define CHAT(content, usage)                                                                                           \
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{" content "},\"finish_reason\":null}]" usage "}\n\n"
#define CU(n) ",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":" #n ",\"completion_tokens\":" #n "}"
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed(CHAT("\"role\":\"assistant\",\"content\":\"\"", CU(0)), 10), 0);
    ck_assert_int_eq(feed(CHAT("\"content\":\" a b c d\"", CU(4)), 20), 4);
    ck_assert_int_eq(feed(CHAT("\"content\":\" e f g h\"", CU(8)) CHAT("\"content\":\" i j\"", CU(10)), 30), 6);
    ck_assert_int_eq(feed("data: {\"id\":\"c\",\"choices\":[]" CU(10) "}\n\n" DONE, 40), 0);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.completion_tokens, 10);
    ck_assert_int_eq(st.live_tokens, 10);
    ck_assert_uint_eq(rec.n_itl, 3); /* four chunks with choices */
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed(CHAT("\"content\":\" a b c d\"", ""), 10), 1);
    ck_assert_int_eq(feed(CHAT("\"content\":\" e f\"", "") "data: {\"id\":\"c\",\"choices\":[]" CU(6) "}\n\n", 20), 5);
    finish(STREAM_END_CUT);
    ck_assert_int_eq(rec.completion_tokens, 6);
#undef CHAT
#undef CU
}
END_TEST

/* Whatever the reads, the same record: byte by byte, and cut in two at every byte. */
START_TEST(test_split_anywhere)
{
    size_t n = strlen(full);
    begin(true, 200, "text/event-stream");
    int tokens = 0;
    for (size_t i = 0; i < n; i++)
        tokens += stream_feed(&st, full + i, 1, (int64_t)i + 1);
    ck_assert_int_eq(tokens, 3);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_uint_eq(rec.n_itl, 2);
    ck_assert_int_eq(rec.completion_tokens, 3);
    for (size_t cut = 0; cut <= n; cut++) {
        begin(true, 200, "text/event-stream");
        ck_assert_int_ge(stream_feed(&st, full, cut, 1), 0);
        ck_assert_int_ge(stream_feed(&st, full + cut, n - cut, 2), 0);
        finish(STREAM_END_OK);
        ck_assert_ptr_null(rec.error_class);
        ck_assert_uint_eq(rec.n_itl, 2);
        ck_assert_int_eq(rec.completion_tokens, 3);
        ck_assert(!rec.tokens_estimated);
    }
}
END_TEST

/* Line ends CRLF and CR (a CR at the end of one read and its LF at the start of the next), a
 * comment, other fields, data split over two lines, "data:" without a space, and a BOM. */
START_TEST(test_framing)
{
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed("\xEF\xBB\xBF: keep-alive\r\nevent: message\r\nid: 1\r\n"
                          "data:{\"choices\":[{\"text\":\"a\"}]}\r",
                          10),
                     0);
    ck_assert_int_eq(feed("\n\r\n", 20), 1); /* the CR, LF pair, then the blank line */
    ck_assert_int_eq(feed("data: {\"choices\":\r", 30), 0);
    ck_assert_int_eq(feed("data: [{\"text\":\"b\",\"finish_reason\":\"stop\"}]}\r\r", 40), 1);
    ck_assert_int_eq(feed("data: [DONE]\n\n", 50), 0);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.first_chunk_us, 20);
    ck_assert_int_eq(rec.last_chunk_us, 40);
    ck_assert_int_eq(rec.completion_tokens, 2);
}
END_TEST

/* The last event need not be followed by its blank line when the answer ends properly. */
START_TEST(test_last_event_unterminated)
{
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed(CMPL("x", "\"stop\"") "data: [DONE]", 5), 1);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert(st.done);
}
END_TEST

START_TEST(test_stream_cut)
{
    begin(true, 200, "text/event-stream");
    feed(CMPL(" tok0", "null") CMPL(" tok1", "null"), 5);
    finish(STREAM_END_OK); /* the body ended properly but the generation did not */
    ck_assert_str_eq(rec.error_class, "stream_cut");
    ck_assert_int_eq(rec.completion_tokens, 2);
    begin(true, 200, "text/event-stream");
    feed(CMPL(" tok0", "null"), 5);
    finish(STREAM_END_CUT); /* the connection broke */
    ck_assert_str_eq(rec.error_class, "stream_cut");
    ck_assert_int_eq(rec.first_chunk_us, 5);
}
END_TEST

/* An error object in a 2xx stream: http_error with its code, or protocol without one. */
START_TEST(test_error_event)
{
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(
        feed("data: {\"error\":{\"object\":\"error\",\"message\":\"boom\",\"type\":\"InternalServerError\","
             "\"param\":null,\"code\":500}}\n\n" DONE,
             5),
        0);
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "http_error");
    ck_assert_int_eq(rec.http_status, 500);
    begin(true, 200, "text/event-stream");
    feed("data: {\"object\":\"error\",\"message\":\"x\",\"code\":\"bad\"}\n\n", 5);
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "protocol");
    ck_assert_int_eq(rec.http_status, 200);
}
END_TEST

START_TEST(test_not_json)
{
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed("data: {\"choices\":[}\n\n", 5), -1);
    ck_assert_int_eq(feed(DONE, 6), -1); /* nothing more is read */
    finish(STREAM_END_BROKEN);           /* the caller aborted the transfer */
    ck_assert_str_eq(rec.error_class, "protocol");
}
END_TEST

START_TEST(test_http_error)
{
    begin(true, 500, "application/json");
    ck_assert_int_eq(feed("{\"object\":\"error\",\"message\":\"x\",\"code\":500}", 5), 0);
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "http_error");
    ck_assert_int_eq(rec.http_status, 500);
    ck_assert_int_eq(rec.first_chunk_us, 0);
    begin(true, 429, NULL); /* no body at all */
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "http_error");
    ck_assert_int_eq(rec.http_status, 429);
    begin(true, 503, "text/plain"); /* a non-2xx wins over how the transfer ended */
    finish(STREAM_END_TIMEOUT);
    ck_assert_str_eq(rec.error_class, "http_error");
}
END_TEST

START_TEST(test_transport_verdicts)
{
    stream_reset(&st, true); /* no head: nothing came */
    finish(STREAM_END_CONNECT);
    ck_assert_str_eq(rec.error_class, "connect");
    ck_assert_int_eq(rec.http_status, 0);
    ck_assert_int_eq(rec.completion_tokens, 0);
    ck_assert_int_eq(rec.prompt_tokens, 9);
    begin(true, 200, "text/event-stream");
    feed(CMPL(" tok0", "null"), 5);
    finish(STREAM_END_TIMEOUT);
    ck_assert_str_eq(rec.error_class, "timeout");
    begin(true, 200, "text/event-stream");
    feed(CMPL(" tok0", "null"), 5);
    finish(STREAM_END_CANCELLED);
    ck_assert_str_eq(rec.error_class, "cancelled");
    begin(true, 200, "text/event-stream");
    finish(STREAM_END_BROKEN);
    ck_assert_str_eq(rec.error_class, "protocol");
    stream_reset(&st, true);
    finish(STREAM_END_OK); /* a transfer that ended well but had no status line */
    ck_assert_str_eq(rec.error_class, "protocol");
}
END_TEST

/* Non-streaming answers: one JSON object, its time the end of the answer. */
START_TEST(test_whole_answer)
{
    const char *body = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\" tok0 "
                       "tok1\",\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                       "\"total_tokens\":5}}";
    begin(false, 200, "application/json");
    ck_assert_int_eq(stream_feed(&st, body, 20, 100), 0);
    ck_assert_int_eq(stream_feed(&st, body + 20, strlen(body) - 20, 300), 0);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.first_chunk_us, 300);
    ck_assert_int_eq(rec.last_chunk_us, 300);
    ck_assert_uint_eq(rec.n_itl, 0);
    ck_assert_int_eq(rec.completion_tokens, 2);
    ck_assert(!rec.tokens_estimated);
    /* chat, no usage: ceil(bytes / 4) of the message's content */
    begin(false, 200, NULL);
    feed("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"abcdefghi\"}}]}", 7);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.completion_tokens, 3);
    ck_assert(rec.tokens_estimated);
    begin(false, 200, "application/json");
    feed("{\"choices\":[]}", 7);
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "protocol");
    begin(false, 200, "application/json");
    feed("{\"error\":{\"message\":\"x\",\"code\":404}}", 7);
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "http_error");
    ck_assert_int_eq(rec.http_status, 404);
    /* a stream was asked for but a whole answer came (the type says so) */
    begin(true, 200, "application/json");
    feed(body, 9);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.first_chunk_us, 9);
}
END_TEST

/* Events after [DONE] and empty events say nothing; a line over the cap stops the reading. */
START_TEST(test_limits)
{
    begin(true, 200, "text/event-stream");
    ck_assert_int_eq(feed(DONE CMPL("late", "null") "data:\n\n", 5), 0);
    finish(STREAM_END_OK);
    ck_assert_ptr_null(rec.error_class);
    ck_assert_int_eq(rec.first_chunk_us, 0);
    begin(true, 200, "text/event-stream");
    char *big = malloc(STREAM_EVENT_MAX + 16);
    memset(big, 'a', STREAM_EVENT_MAX + 15);
    big[STREAM_EVENT_MAX + 15] = '\0';
    ck_assert_int_eq(feed("data: ", 1), 0);
    ck_assert_int_eq(feed(big, 2), -1);
    free(big);
    finish(STREAM_END_BROKEN);
    ck_assert_str_eq(rec.error_class, "protocol");
}
END_TEST

/* The stream is reused: a reset forgets everything of the answer before. */
START_TEST(test_reset)
{
    begin(true, 200, "text/event-stream");
    feed(full, 5);
    finish(STREAM_END_OK);
    begin(true, 200, "text/event-stream");
    finish(STREAM_END_OK);
    ck_assert_str_eq(rec.error_class, "stream_cut");
    ck_assert_int_eq(rec.first_chunk_us, 0);
    ck_assert_uint_eq(rec.n_itl, 0);
    ck_assert_int_eq(rec.completion_tokens, 0);
    ck_assert(rec.tokens_estimated);
}
END_TEST

static int scan(const char *s, struct stream_chunk *c)
{
    return stream_scan(s, strlen(s), c);
}

START_TEST(test_scan_values)
{
    struct stream_chunk c;
    ck_assert_int_eq(scan(" {\"choices\":[{\"text\":\"\\u00e9\\ud83d\\ude00\\n\",\"finish_reason\":null},5],"
                          "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2.0}} ",
                          &c),
                     0);
    ck_assert_int_eq(c.choices, 2);
    ck_assert(c.text);
    ck_assert_int_eq(c.text_len, 2 + 4 + 1);
    ck_assert(!c.finish);
    ck_assert_int_eq(c.prompt_tokens, 7);
    ck_assert_int_eq(c.completion_tokens, -1); /* a real, not an integer */
    ck_assert(!c.error);
    /* escaped keys match; the last of duplicate members counts */
    ck_assert_int_eq(scan("{\"\\u0063hoices\":[{\"t\\u0065xt\":\"a\"}],\"choices\":[{\"text\":\"\"}],"
                          "\"object\":\"error\",\"object\":\"chunk\"}",
                          &c),
                     0);
    ck_assert_int_eq(c.choices, 1);
    ck_assert(!c.text);
    ck_assert(!c.error);
    ck_assert_int_eq(scan("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}],\"error\":null}", &c), 0);
    ck_assert(c.text);
    ck_assert(!c.error);
    ck_assert_int_eq(scan("{\"object\":\"\\u0065rror\",\"code\":503}", &c), 0);
    ck_assert(c.error);
    ck_assert_int_eq(c.error_code, 503);
    ck_assert_int_eq(scan("{\"error\":\"overloaded\"}", &c), 0);
    ck_assert(c.error);
    ck_assert_int_eq(c.error_code, 0);
}
END_TEST

START_TEST(test_scan_refusals)
{
    static const char *const bad[] = {"",
                                      "[]",
                                      "{",
                                      "{}x",
                                      "{\"a\"}",
                                      "{\"a\":}",
                                      "{\"a\":1,}",
                                      "{,}",
                                      "{\"a\":01}",
                                      "{\"a\":-}",
                                      "{\"a\":1.}",
                                      "{\"a\":1e}",
                                      "{\"a\":.5}",
                                      "{\"a\":+1}",
                                      "{'a':1}",
                                      "{\"a\":tru}",
                                      "{\"a\":nul}",
                                      "{\"a\":\"\\x\"}",
                                      "{\"a\":\"\\u12\"}",
                                      "{\"a\":\"\\u0000\"}",
                                      "{\"a\":\"\\ud800\"}",
                                      "{\"a\":\"\\udc00\"}",
                                      "{\"a\":\"\\ud800\\u0041\"}",
                                      "{\"a\":\"\x01\"}",
                                      "{\"a\":\"\xC0\x80\"}",
                                      "{\"a\":\"\xED\xA0\x80\"}",
                                      "{\"a\":\"\xF4\x90\x80\x80\"}",
                                      "{\"a\":\"\xE2\x82\"}",
                                      "{\"a\":9223372036854775808}",
                                      "{\"a\":-9223372036854775809}",
                                      "{\"a\":1e400}",
                                      "{\"a\":1}\xff"};
    struct stream_chunk c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(scan(bad[i], &c) < 0, "accepted %s", bad[i]);
    ck_assert_int_eq(scan("{\"a\":-9223372036854775808,\"b\":1e-400,\"c\":-0,\"d\":[true,false,null,{}]}", &c), 0);
    ck_assert_int_eq(scan("{\"a\":\"\xF0\x9F\x98\x80\xE2\x82\xAC\"}", &c), 0);
}
END_TEST

/* jansson counts every value against a depth of 2048: a scalar in 2046 arrays inside the object
 * is at depth 2048, in 2047 at 2049. */
START_TEST(test_scan_depth)
{
    struct stream_chunk c;
    for (int extra = 0; extra < 2; extra++) {
        int n = 2046 + extra;
        size_t len = 5 + 2 * (size_t)n + 2;
        char *s = malloc(len + 1), *p = s;
        memcpy(p, "{\"a\":", 5);
        p += 5;
        memset(p, '[', (size_t)n);
        p += n;
        *p++ = '1';
        memset(p, ']', (size_t)n);
        p += n;
        *p++ = '}';
        *p = '\0';
        ck_assert_int_eq(scan(s, &c), extra ? -1 : 0);
        free(s);
    }
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("loadgen_stream");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_completion_stream);
    tcase_add_test(tc, test_chat_stream);
    tcase_add_test(tc, test_split_anywhere);
    tcase_add_test(tc, test_live_tokens);
    tcase_add_test(tc, test_framing);
    tcase_add_test(tc, test_last_event_unterminated);
    tcase_add_test(tc, test_stream_cut);
    tcase_add_test(tc, test_error_event);
    tcase_add_test(tc, test_not_json);
    tcase_add_test(tc, test_http_error);
    tcase_add_test(tc, test_transport_verdicts);
    tcase_add_test(tc, test_whole_answer);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_scan_values);
    tcase_add_test(tc, test_scan_refusals);
    tcase_add_test(tc, test_scan_depth);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stream_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
