/* Unit tests of aifb-loadgen's files: the per-second timeline counts output tokens (each request's
 * count placed at its chunks) with the chunks and the measured tokens beside them, every second from the start to the
 * end, quiet ones too; the records file has one line per request; the summary is written whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../remote-agent/loadgen/output.h"

#define T 1700000000000000LL /* a whole epoch second, in microseconds */

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aifb-test-output.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    const char *names[] = {"records-0.csv", "timeline-0.csv", "summary-0.json"};
    char path[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The whole of DIR/name (the caller frees it). */
static char *slurp(const char *name)
{
    char path[128], *text = NULL;
    size_t cap = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    ck_assert_int_ge(n, 0);
    return text;
}

/* 150 answers of 16 tokens in chunks of 4 (the simulator's --tokens-per-chunk 4) in second T, a
 * chat answer of 4 tokens whose role chunk comes first (5 chunks: 4 in T with 3 tokens, 1 in T + 1),
 * and a failed request: 2403 tokens in 604 chunks in T (the old timeline counted chunks as tokens),
 * 1 in 1 in T + 1, and second T + 2 quiet up to the end. */
START_TEST(test_timeline_tokens)
{
    struct output o;
    const char *detail = NULL;
    int32_t four[] = {1000, 1000, 1000}, chat[] = {0, 300000, 300000, 300000};
    ck_assert_int_eq(output_open(&o, dir, 0, &detail), ERR_OK);
    output_begin(&o, T);
    for (int i = 0; i < 150; i++) {
        struct record r = {.seq = (uint64_t)i,
                           .phase = i < 100 ? PHASE_WARMUP : PHASE_MEASURE,
                           .sent_us = T + 1000,
                           .first_chunk_us = T + 10000,
                           .last_chunk_us = T + 13000,
                           .done_us = T + 14000,
                           .itl_us = four,
                           .n_itl = 3,
                           .completion_tokens = 16};
        output_started(&o, r.sent_us);
        output_record(&o, &r);
    }
    struct record c = {.seq = 150,
                       .phase = PHASE_MEASURE,
                       .sent_us = T + 100000,
                       .first_chunk_us = T + 200000,
                       .done_us = T + 1200000,
                       .itl_us = chat,
                       .n_itl = 4,
                       .completion_tokens = 4};
    struct record f = {.seq = 151, .sent_us = T + 200000, .done_us = T + 300000, .error_class = "connect"};
    output_started(&o, c.sent_us);
    output_started(&o, f.sent_us);
    output_record(&o, &c);
    output_record(&o, &f);
    json_t *summary = json_pack("{s:i}", "completed", 151);
    ck_assert_int_eq(output_close(&o, summary, T + 2500000, &detail), ERR_OK);
    json_decref(summary);
    output_free(&o);
    char *tl = slurp("timeline-0.csv");
    /* the warm-up's 100 answers count in the tokens, not in the measured ones (50 x 16 + 3) */
    ck_assert_str_eq(tl, "0,1700000000,152,150,1,2403,1,604,803\n"
                         "0,1700000001,0,1,0,1,0,1,1\n"
                         "0,1700000002,0,0,0,0,0,0,0\n");
    free(tl);
    char *recs = slurp("records-0.csv");
    int lines = 0;
    for (const char *p = recs; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 152);
    free(recs);
    char *sum = slurp("summary-0.json");
    ck_assert_ptr_nonnull(strstr(sum, "\"completed\": 151"));
    free(sum);
}
END_TEST

static Suite *output_suite(void)
{
    Suite *s = suite_create("loadgen_output");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_timeline_tokens);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(output_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
