/* Unit tests of aifb-loadgen's record lines: PostgreSQL COPY csv exactly (NULL as an empty field,
 * the ITL array quoted, booleans t/f, phases as words, the connect time last), a write error
 * reported, and how a record's output tokens are placed at its chunks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../remote-agent/loadgen/record.h"

/* The line record_write_csv writes for r (the caller frees it). */
static char *line_of(const struct record *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(record_write_csv(f, r), 0);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

static void line_is(const struct record *r, const char *want)
{
    char *got = line_of(r);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_success)
{
    int32_t itl[] = {10000, 9500, 12000};
    struct record r = {.rank = 0,
                       .seq = 7,
                       .phase = PHASE_MEASURE,
                       .scheduled_us = 1700000000000000,
                       .sent_us = 1700000000000100,
                       .first_chunk_us = 1700000000050100,
                       .last_chunk_us = 1700000000081600,
                       .done_us = 1700000000081700,
                       .itl_us = itl,
                       .n_itl = 3,
                       .prompt_tokens = 12,
                       .completion_tokens = 4,
                       .tokens_estimated = false,
                       .http_status = 200,
                       .connect_us = 412};
    line_is(&r, "0,7,measure,1700000000000000,1700000000000100,1700000000050100,1700000000081600,1700000000081700,"
                "\"{10000,9500,12000}\",12,4,f,200,,412\n");
    r.connect_us = 0;
    r.n_itl = 1;
    r.phase = PHASE_WARMUP;
    r.tokens_estimated = true;
    r.rank = 3;
    r.seq = UINT64_MAX >> 1;
    line_is(&r, "3,9223372036854775807,warmup,1700000000000000,1700000000000100,1700000000050100,1700000000081600,"
                "1700000000081700,\"{10000}\",12,4,t,200,,0\n");
}
END_TEST

START_TEST(test_failures)
{
    /* no answer at all: every unknown is NULL, the ITL array empty */
    struct record r = {.rank = 1,
                       .seq = 8,
                       .phase = PHASE_MEASURE,
                       .scheduled_us = 1000,
                       .sent_us = 1100,
                       .done_us = 1900,
                       .prompt_tokens = -1,
                       .completion_tokens = -1,
                       .tokens_estimated = true,
                       .error_class = "connect"};
    line_is(&r, "1,8,measure,1000,1100,,,1900,\"{}\",,,t,,connect,0\n");
    /* an HTTP error with the prompt counted */
    r = (struct record){.rank = 0,
                        .seq = 9,
                        .phase = PHASE_COOLDOWN,
                        .scheduled_us = 5,
                        .sent_us = 6,
                        .done_us = 70,
                        .prompt_tokens = 3,
                        .completion_tokens = 0,
                        .http_status = 503,
                        .error_class = "http_error"};
    line_is(&r, "0,9,cooldown,5,6,,,70,\"{}\",3,0,f,503,http_error,0\n");
    /* a stream cut after two chunks; cancelled before an end: done NULL */
    int32_t itl[] = {-3};
    r = (struct record){.rank = 2,
                        .seq = 0,
                        .phase = PHASE_MEASURE,
                        .scheduled_us = 10,
                        .sent_us = 10,
                        .first_chunk_us = 20,
                        .last_chunk_us = 17,
                        .itl_us = itl,
                        .n_itl = 1,
                        .prompt_tokens = 1,
                        .completion_tokens = 2,
                        .http_status = 200,
                        .error_class = "cancelled"};
    line_is(&r, "2,0,measure,10,10,20,17,,\"{-3}\",1,2,f,200,cancelled,0\n");
    /* a class outside the promised words is quoted rather than breaking the line */
    r.error_class = "bad,\"x\"";
    line_is(&r, "2,0,measure,10,10,20,17,,\"{-3}\",1,2,f,200,\"bad,\"\"x\"\"\",0\n");
}
END_TEST

/* Tokens spread over chunks in whole tokens: one per chunk; a chat role chunk first takes none; four
 * per chunk; a count that does not divide; none when the count is unknown or there is no chunk. */
START_TEST(test_chunk_tokens)
{
    int32_t itl[5] = {0};
    struct record r = {.first_chunk_us = 1, .itl_us = itl, .n_itl = 4, .completion_tokens = 5};
    ck_assert_uint_eq(record_chunks(&r), 5);
    for (uint32_t k = 0; k < 5; k++)
        ck_assert_int_eq(record_chunk_tokens(&r, k), 1);
    r.completion_tokens = 4; /* role chunk + 4 tokens */
    ck_assert_int_eq(record_chunk_tokens(&r, 0), 0);
    for (uint32_t k = 1; k < 5; k++)
        ck_assert_int_eq(record_chunk_tokens(&r, k), 1);
    r.completion_tokens = 20;
    for (uint32_t k = 0; k < 5; k++)
        ck_assert_int_eq(record_chunk_tokens(&r, k), 4);
    r.completion_tokens = 7; /* 1 1 2 1 2 */
    int64_t sum = 0;
    for (uint32_t k = 0; k < 5; k++)
        sum += record_chunk_tokens(&r, k);
    ck_assert_int_eq(sum, 7);
    ck_assert_int_eq(record_chunk_tokens(&r, 2), 2);
    ck_assert_int_eq(record_chunk_tokens(&r, 5), 0);
    r.completion_tokens = -1;
    ck_assert_int_eq(record_chunk_tokens(&r, 0), 0);
    r.first_chunk_us = 0;
    ck_assert_uint_eq(record_chunks(&r), 0);
}
END_TEST

START_TEST(test_write_error)
{
    if (access("/dev/full", W_OK) != 0)
        return;
    FILE *f = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(f);
    setvbuf(f, NULL, _IONBF, 0);
    struct record r = {.seq = 1, .error_class = "timeout"};
    ck_assert_int_eq(record_write_csv(f, &r), -1);
    fclose(f);
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("loadgen_record");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_success);
    tcase_add_test(tc, test_failures);
    tcase_add_test(tc, test_chunk_tokens);
    tcase_add_test(tc, test_write_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(record_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
