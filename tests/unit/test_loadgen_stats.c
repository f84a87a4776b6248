/* Unit tests of aifb-loadgen's stats against figures computed by hand the way numpy and vllm bench
 * serve compute them: linear percentiles, population std, TTFT/TPOT/ITL/E2EL from hand-made records,
 * throughputs, goodput under each SLO, errors by class, warm-up and cool-down left out, the most
 * tokens (not chunks) in one second and the most requests in flight, the aiperf and guidellm
 * variants, null (not NaN) for metrics without values, and the self-check's verdict: the client
 * against its own schedule (lag, sent vs scheduled rate), not the nominal rate. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/loadgen/stats.h"

#define T 1700000000000000LL /* a whole epoch second, in microseconds */
#define TOL 1e-9

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

static void is_null(const json_t *o, const char *key)
{
    ck_assert_msg(json_is_null(json_object_get(o, key)), "%s is not null", key);
}

START_TEST(test_percentile)
{
    const double v[] = {1, 2, 3, 4};
    ck_assert_double_eq_tol(stats_percentile(v, 4, 50), 2.5, TOL);
    ck_assert_double_eq_tol(stats_percentile(v, 4, 90), 3.7, TOL);
    ck_assert_double_eq_tol(stats_percentile(v, 4, 99), 3.97, TOL);
    ck_assert_double_eq(stats_percentile(v, 4, 100), 4);
    ck_assert_double_eq(stats_percentile(v, 4, 0), 1);
    ck_assert_double_eq(stats_percentile(v, 1, 99.9), 1);
    ck_assert(isnan(stats_percentile(v, 0, 50)));
}
END_TEST

/* Five measured requests (three completed, two failed) and one each of warm-up and cool-down that
 * would change every figure if they counted.
 *   A: ttft 100 ms, chunks at 100, 120, 140, 160 ms; 10 + 4 tokens   tpot 20, e2el 160
 *   B: waited 1 ms in the client; ttft 300, chunks at 500, 550; 20 + 2 tokens (estimated)  tpot 50, e2el 350
 *   C: ttft 100, one chunk; 5 + 1 tokens                               no tpot, e2el 100
 *   D: HTTP 500 at 700 ms; E: timeout at 900 ms                        duration 0.9 s */
static int32_t itl_a[] = {20000, 20000, 20000}, itl_b[] = {50000}, itl_x[] = {1, 1};
static const struct record recs[] = {
    {.seq = 0,
     .phase = PHASE_WARMUP,
     .scheduled_us = T - 5000000,
     .sent_us = T - 5000000,
     .first_chunk_us = T - 1000000,
     .last_chunk_us = T - 999998,
     .done_us = T - 999990,
     .itl_us = itl_x,
     .n_itl = 2,
     .prompt_tokens = 1000,
     .completion_tokens = 3,
     .http_status = 200},
    {.seq = 1,
     .phase = PHASE_MEASURE,
     .scheduled_us = T,
     .sent_us = T,
     .first_chunk_us = T + 100000,
     .last_chunk_us = T + 160000,
     .done_us = T + 161000,
     .itl_us = itl_a,
     .n_itl = 3,
     .prompt_tokens = 10,
     .completion_tokens = 4,
     .http_status = 200},
    {.seq = 2,
     .phase = PHASE_MEASURE,
     .scheduled_us = T + 199000,
     .sent_us = T + 200000,
     .first_chunk_us = T + 500000,
     .last_chunk_us = T + 550000,
     .done_us = T + 551000,
     .itl_us = itl_b,
     .n_itl = 1,
     .prompt_tokens = 20,
     .completion_tokens = 2,
     .tokens_estimated = true,
     .http_status = 200},
    {.seq = 3,
     .phase = PHASE_MEASURE,
     .scheduled_us = T + 300000,
     .sent_us = T + 300000,
     .first_chunk_us = T + 400000,
     .last_chunk_us = T + 400000,
     .done_us = T + 400500,
     .prompt_tokens = 5,
     .completion_tokens = 1,
     .http_status = 200},
    {.seq = 4,
     .phase = PHASE_MEASURE,
     .scheduled_us = T + 600000,
     .sent_us = T + 600000,
     .done_us = T + 700000,
     .prompt_tokens = -1,
     .completion_tokens = -1,
     .http_status = 500,
     .error_class = "http_error"},
    {.seq = 5,
     .phase = PHASE_MEASURE,
     .scheduled_us = T + 650000,
     .sent_us = T + 650000,
     .done_us = T + 900000,
     .prompt_tokens = -1,
     .completion_tokens = -1,
     .error_class = "timeout"},
    {.seq = 6,
     .phase = PHASE_COOLDOWN,
     .scheduled_us = T + 800000,
     .sent_us = T + 890000,
     .first_chunk_us = T + 2000000,
     .last_chunk_us = T + 2000000,
     .done_us = T + 9000000,
     .prompt_tokens = 7,
     .completion_tokens = 1,
     .http_status = 200,
     .error_class = NULL},
};
#define NRECS (sizeof(recs) / sizeof(recs[0]))

static json_t *summary(const struct workload *w)
{
    struct run_facts f = {.started_us = T, .ended_us = T + 1000000};
    json_t *s = stats_summary(recs, NRECS, w, &f);
    ck_assert_ptr_nonnull(s);
    char *text = json_dumps(s, JSON_ALLOW_NUL);
    ck_assert_ptr_nonnull(text); /* jansson refuses NaN: it dumps only when there is none */
    free(text);
    return s;
}

START_TEST(test_totals)
{
    struct workload w = {.mode = WL_CLOSED, .concurrency = 2};
    json_t *s = summary(&w);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "completed")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "failed")), 2);
    ck_assert_double_eq_tol(num(s, "duration"), 0.9, TOL);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "total_input_tokens")), 35);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "total_output_tokens")), 7);
    ck_assert_double_eq_tol(num(s, "request_throughput"), 3 / 0.9, TOL);
    ck_assert_double_eq_tol(num(s, "output_throughput"), 7 / 0.9, TOL);
    ck_assert_double_eq_tol(num(s, "total_token_throughput"), 42 / 0.9, TOL);
    is_null(s, "request_goodput");                             /* no SLO set, as vllm */
    ck_assert_double_eq(num(s, "max_output_tokens_per_s"), 7); /* every chunk within second T */
    ck_assert_int_eq(json_integer_value(json_object_get(s, "max_concurrent_requests")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "tokens_estimated")), 1);
    const json_t *errors = json_object_get(s, "errors");
    ck_assert_uint_eq(json_object_size(errors), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(errors, "http_error")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(errors, "timeout")), 1);
    const json_t *wait = json_object_get(s, "client_wait_ms");
    ck_assert_double_eq_tol(num(wait, "mean"), 0.2, TOL);
    ck_assert_double_eq_tol(num(wait, "median"), 0, TOL);
    ck_assert_double_eq_tol(num(wait, "p99"), 0.96, TOL);
    ck_assert_double_eq_tol(num(wait, "max"), 1, TOL);
    json_decref(s);
}
END_TEST

START_TEST(test_latencies)
{
    struct workload w = {.npercentiles = 2, .percentiles = {50, 99.9}};
    json_t *s = summary(&w);
    ck_assert_double_eq_tol(num(s, "mean_ttft_ms"), 500.0 / 3, TOL);
    ck_assert_double_eq_tol(num(s, "median_ttft_ms"), 100, TOL);
    ck_assert_double_eq_tol(num(s, "std_ttft_ms"), 94.28090415820634, 1e-9);
    ck_assert_double_eq_tol(num(s, "p50_ttft_ms"), 100, TOL);
    ck_assert_double_eq_tol(num(s, "p99.9_ttft_ms"), 299.6, TOL);
    ck_assert_ptr_null(json_object_get(s, "p99_ttft_ms")); /* only the workload's percentiles */
    ck_assert_double_eq_tol(num(s, "mean_tpot_ms"), 35, TOL);
    ck_assert_double_eq_tol(num(s, "std_tpot_ms"), 15, TOL);
    ck_assert_double_eq_tol(num(s, "p99.9_tpot_ms"), 49.97, TOL);
    ck_assert_double_eq_tol(num(s, "mean_itl_ms"), 27.5, TOL);
    ck_assert_double_eq_tol(num(s, "median_itl_ms"), 20, TOL);
    ck_assert_double_eq_tol(num(s, "std_itl_ms"), 12.99038105676658, 1e-9);
    ck_assert_double_eq_tol(num(s, "p99.9_itl_ms"), 49.91, TOL);
    ck_assert_double_eq_tol(num(s, "mean_e2el_ms"), 610.0 / 3, TOL);
    ck_assert_double_eq_tol(num(s, "median_e2el_ms"), 160, TOL);
    ck_assert_double_eq_tol(num(s, "std_e2el_ms"), 106.56244908763854, 1e-9);
    ck_assert_double_eq_tol(num(s, "p99.9_e2el_ms"), 349.62, TOL);
    json_decref(s);
    /* vllm's default percentiles when the workload gives none */
    w.npercentiles = 0;
    s = summary(&w);
    ck_assert_double_eq_tol(num(s, "p99_ttft_ms"), 296, TOL);
    ck_assert_double_eq_tol(num(s, "p90_tpot_ms"), 47, TOL);
    ck_assert_double_eq_tol(num(s, "p95_itl_ms"), 45.5, TOL);
    json_decref(s);
}
END_TEST

/* Good: every SLO set is met (at most the value); no TPOT (one token) passes the TPOT SLO. */
START_TEST(test_goodput)
{
    struct workload w = {.slo = {.ttft_ms = 200}};
    json_t *s = summary(&w); /* A, C */
    ck_assert_double_eq_tol(num(s, "request_goodput"), 2 / 0.9, TOL);
    json_decref(s);
    w.slo = (struct wl_slo){.tpot_ms = 30}; /* A (20), C (none) */
    s = summary(&w);
    ck_assert_double_eq_tol(num(s, "request_goodput"), 2 / 0.9, TOL);
    json_decref(s);
    w.slo = (struct wl_slo){.e2el_ms = 160}; /* A (160: at most), C */
    s = summary(&w);
    ck_assert_double_eq_tol(num(s, "request_goodput"), 2 / 0.9, TOL);
    json_decref(s);
    w.slo = (struct wl_slo){.ttft_ms = 200, .e2el_ms = 150}; /* C only */
    s = summary(&w);
    ck_assert_double_eq_tol(num(s, "request_goodput"), 1 / 0.9, TOL);
    json_decref(s);
    w.slo = (struct wl_slo){.ttft_ms = 50}; /* none */
    s = summary(&w);
    ck_assert_double_eq_tol(num(s, "request_goodput"), 0, TOL);
    json_decref(s);
}
END_TEST

START_TEST(test_variants)
{
    struct workload w = {0};
    json_t *s = summary(&w);
    const json_t *aiperf = json_object_get(s, "aiperf"), *guidellm = json_object_get(s, "guidellm");
    const json_t *itl = json_object_get(aiperf, "inter_token_latency_ms");
    ck_assert_double_eq_tol(num(itl, "mean"), 35, TOL); /* aiperf's ITL is vllm's TPOT */
    ck_assert_double_eq_tol(num(itl, "min"), 20, TOL);
    ck_assert_double_eq_tol(num(itl, "max"), 50, TOL);
    const json_t *user = json_object_get(aiperf, "output_token_throughput_per_user");
    ck_assert_double_eq_tol(num(user, "mean"), 35, TOL); /* 1000 / 20 and 1000 / 50 tokens/s */
    ck_assert_double_eq_tol(num(user, "p99"), 49.7, TOL);
    const json_t *tpot = json_object_get(guidellm, "time_per_output_token_ms");
    ck_assert_double_eq_tol(num(tpot, "mean"), 105, TOL); /* 160 / 4, 350 / 2, 100 / 1 */
    ck_assert_double_eq_tol(num(tpot, "median"), 100, TOL);
    ck_assert_double_eq_tol(num(tpot, "std"), 55.226805085936306, 1e-9);
    ck_assert_double_eq_tol(num(json_object_get(guidellm, "inter_token_latency_ms"), "mean"), 35, TOL);
    ck_assert_double_eq_tol(num(json_object_get(guidellm, "request_latency_ms"), "p99"), 346.2, TOL);
    json_decref(s);
}
END_TEST

START_TEST(test_empty)
{
    struct workload w = {.slo = {.ttft_ms = 1}};
    struct run_facts f = {0};
    json_t *s = stats_summary(recs, 1, &w, &f); /* the warm-up record only */
    ck_assert_int_eq(json_integer_value(json_object_get(s, "completed")), 0);
    is_null(s, "duration");
    is_null(s, "request_throughput");
    is_null(s, "request_goodput");
    is_null(s, "mean_ttft_ms");
    is_null(s, "std_itl_ms");
    is_null(s, "p99_e2el_ms");
    is_null(s, "max_output_tokens_per_s");
    ck_assert_int_eq(json_integer_value(json_object_get(s, "max_concurrent_requests")), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(s, "errors")), 0);
    is_null(json_object_get(s, "client_wait_ms"), "max");
    is_null(json_object_get(json_object_get(s, "aiperf"), "inter_token_latency_ms"), "mean");
    char *text = json_dumps(s, 0);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_null(strstr(text, "nan"));
    free(text);
    json_decref(s);
    s = stats_summary(NULL, 0, &w, NULL);
    is_null(s, "duration");
    json_decref(s);
}
END_TEST

/* Tokens per whole wall-clock second, and requests in flight with ends before starts on ties. */
START_TEST(test_peaks)
{
    int32_t gaps[] = {400000, 300000, 100000, 100000, 500000}; /* chunks at .5 .9 1.2 1.3 1.4 1.9 */
    struct record r[] = {
        {.phase = PHASE_MEASURE,
         .scheduled_us = T,
         .sent_us = T,
         .first_chunk_us = T + 500000,
         .last_chunk_us = T + 1900000,
         .done_us = T + 2000000,
         .itl_us = gaps,
         .n_itl = 5,
         .completion_tokens = 6},
        {.phase = PHASE_MEASURE,
         .scheduled_us = T + 2000000,
         .sent_us = T + 2000000,
         .first_chunk_us = T + 2100000,
         .last_chunk_us = T + 2100000,
         .done_us = T + 2200000,
         .completion_tokens = 1},
        {.phase = PHASE_MEASURE,
         .scheduled_us = T + 2100000,
         .sent_us = T + 2100000,
         .done_us = T + 2300000,
         .error_class = "connect"},
    };
    struct workload w = {0};
    json_t *s = stats_summary(r, 3, &w, NULL);
    ck_assert_double_eq(num(s, "max_output_tokens_per_s"), 4); /* second T+1: 1.2 1.3 1.4 1.9 */
    /* the first ends as the second starts; the failed third overlaps the second */
    ck_assert_int_eq(json_integer_value(json_object_get(s, "max_concurrent_requests")), 2);
    json_decref(s);
    r[2].sent_us = T + 2200000;
    s = stats_summary(r, 3, &w, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "max_concurrent_requests")), 1);
    json_decref(s);
}
END_TEST

/* Tokens, not chunks, and the measure phase only: a chat answer's role chunk carries none (4 tokens
 * over 5 chunks), chunks of 4 tokens count 4, a warm-up request in a busier second does not count,
 * nor does a failed one. The old count of chunks gave 5 + 3 = 8. */
START_TEST(test_peak_tokens)
{
    int32_t chat[] = {0, 10000, 10000, 10000}, four[] = {20000, 20000}, warm[12] = {0};
    struct record r[] = {
        {.phase = PHASE_MEASURE, /* role + 4 one-token chunks, at T + .1 s */
         .sent_us = T,
         .first_chunk_us = T + 100000,
         .done_us = T + 200000,
         .itl_us = chat,
         .n_itl = 4,
         .completion_tokens = 4},
        {.phase = PHASE_MEASURE, /* 3 chunks of 4 tokens: 12 */
         .sent_us = T,
         .first_chunk_us = T + 300000,
         .done_us = T + 400000,
         .itl_us = four,
         .n_itl = 2,
         .completion_tokens = 12},
        {.phase = PHASE_WARMUP, /* 13 chunks, 13 tokens in second T + 1, left out */
         .sent_us = T,
         .first_chunk_us = T + 1000000,
         .done_us = T + 1100000,
         .itl_us = warm,
         .n_itl = 12,
         .completion_tokens = 13},
        {.phase = PHASE_MEASURE, /* failed: left out */
         .sent_us = T,
         .first_chunk_us = T + 1000000,
         .done_us = T + 1100000,
         .itl_us = warm,
         .n_itl = 12,
         .completion_tokens = 13,
         .error_class = "stream_cut"},
    };
    struct workload w = {0};
    json_t *s = stats_summary(r, 4, &w, NULL);
    ck_assert_double_eq(num(s, "max_output_tokens_per_s"), 16);
    json_decref(s);
}
END_TEST

/* n open-loop requests scheduled every 100 ms, each sent lag_us late except every 50th, late by
 * spike_us, and the last one late by last_us more. */
static json_t *open_run(double requested, int64_t lag_us, int64_t spike_us, int64_t last_us, enum wl_mode mode)
{
    enum { N = 200 };
    static struct record r[N];
    for (int i = 0; i < N; i++) {
        int64_t at = T + i * 100000LL, late = (i % 50 == 49 ? spike_us : lag_us) + (i == N - 1 ? last_us : 0);
        r[i] = (struct record){.seq = (uint64_t)i,
                               .phase = PHASE_MEASURE,
                               .scheduled_us = at,
                               .sent_us = at + late,
                               .first_chunk_us = at + late + 1000,
                               .last_chunk_us = at + late + 1000,
                               .done_us = at + late + 2000,
                               .completion_tokens = 1};
    }
    struct workload w = {.mode = mode, .rate = requested};
    struct run_facts f = {.requested_rate = requested, .started_us = T, .ended_us = T + N * 100000LL};
    return stats_summary(r, N, &w, &f);
}

START_TEST(test_self_check)
{
    json_t *s = open_run(10, 500, 500, 0, WL_OPEN);
    const json_t *c = json_object_get(s, "self_check");
    ck_assert_double_eq_tol(num(c, "schedule_lag_p50_ms"), 0.5, TOL);
    ck_assert_double_eq_tol(num(c, "schedule_lag_p99_ms"), 0.5, TOL);
    ck_assert_double_eq_tol(num(c, "requested_rate"), 10, TOL);
    ck_assert_double_eq_tol(num(c, "scheduled_rate"), 10, 1e-6);
    ck_assert_double_eq_tol(num(c, "achieved_rate"), 10, 1e-6);
    ck_assert_double_eq(num(c, "held_s"), 0);
    ck_assert(json_is_false(json_object_get(c, "fell_behind")));
    ck_assert(strncmp(json_string_value(json_object_get(c, "verdict")), "kept the schedule", 17) == 0);
    json_decref(s);
    /* 4 of 200 requests 20 ms late: p99 over 10 ms */
    s = open_run(10, 500, 20000, 0, WL_OPEN);
    c = json_object_get(s, "self_check");
    ck_assert_double_gt(num(c, "schedule_lag_p99_ms"), 10);
    ck_assert(json_is_true(json_object_get(c, "fell_behind")));
    ck_assert(strncmp(json_string_value(json_object_get(c, "verdict")), "fell behind", 11) == 0);
    json_decref(s);
    /* a closed loop has no schedule to fall behind */
    s = open_run(0, 20000, 20000, 0, WL_CLOSED);
    c = json_object_get(s, "self_check");
    ck_assert(json_is_false(json_object_get(c, "fell_behind")));
    is_null(c, "requested_rate");
    json_decref(s);
}
END_TEST

/* The client is judged against its own schedule, not the nominal rate: a seeded schedule that asks
 * half the nominal rate (as a short Poisson one may: seed 0 at 20/s for 3 s asks 15.78/s) and is kept
 * to the millisecond did not fall behind; the old verdict compared the sends with 95% of the nominal
 * rate and said it did. Sends that fall behind their schedule's rate do, even when few are late. */
START_TEST(test_self_check_own_schedule)
{
    json_t *s = open_run(20, 200, 200, 0, WL_OPEN);
    const json_t *c = json_object_get(s, "self_check");
    ck_assert_double_eq_tol(num(c, "requested_rate"), 20, TOL);
    ck_assert_double_eq_tol(num(c, "scheduled_rate"), 10, 1e-6);
    ck_assert_double_eq_tol(num(c, "achieved_rate"), 10, 1e-6);
    ck_assert(json_is_false(json_object_get(c, "fell_behind")));
    const char *v = json_string_value(json_object_get(c, "verdict"));
    ck_assert_msg(strstr(v, "kept the schedule") && strstr(v, "10 requests/s sent of 10 scheduled (nominal 20)"), "%s",
                  v);
    json_decref(s);
    /* only the last of 200 is late (2 s: lag p99 stays 0.2 ms), but the sends span 21.9 s where the
     * schedule spans 19.9 s: 91% of its rate */
    s = open_run(10, 200, 200, 2000000, WL_OPEN);
    c = json_object_get(s, "self_check");
    ck_assert_double_lt(num(c, "schedule_lag_p99_ms"), 10);
    ck_assert_double_eq_tol(num(c, "achieved_rate"), 199 / 21.9, 1e-6);
    ck_assert(json_is_true(json_object_get(c, "fell_behind")));
    json_decref(s);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("loadgen_stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_percentile);
    tcase_add_test(tc, test_totals);
    tcase_add_test(tc, test_latencies);
    tcase_add_test(tc, test_goodput);
    tcase_add_test(tc, test_variants);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_peaks);
    tcase_add_test(tc, test_peak_tokens);
    tcase_add_test(tc, test_self_check);
    tcase_add_test(tc, test_self_check_own_schedule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
