/* Unit tests of aifb-simllm's vLLM-named metrics: bucket placement at and between bounds, cumulative
 * buckets with +Inf, counters and gauges, label escaping, and numbers written as prometheus_client
 * writes them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/simllm/vmetrics.h"

static struct vmetrics m;
static struct buf out;

static void setup(void)
{
    vmetrics_init(&m);
    buf_init(&out, 1 << 20);
}

static void teardown(void)
{
    buf_free(&out);
}

static void has(const char *line)
{
    ck_assert_msg(strstr(buf_cstr(&out), line), "missing: %s", line);
}

START_TEST(test_buckets)
{
    vmetrics_first_token(&m, 0.05, 7); /* in (0.04, 0.06] */
    vmetrics_first_token(&m, 0.06, 3); /* on a bound: counted in it */
    vmetrics_first_token(&m, 5000, 0); /* only +Inf */
    ck_assert_int_eq(vmetrics_render(&m, &out, "m", 0, 0), 0);
    has("vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"0.04\"} 0.0\n");
    has("vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"0.06\"} 2.0\n");
    has("vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"2560.0\"} 2.0\n");
    has("vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 3.0\n");
    has("vllm:time_to_first_token_seconds_count{model_name=\"m\"} 3.0\n");
    has("vllm:time_to_first_token_seconds_sum{model_name=\"m\"} 5000.11\n");
    has("vllm:prompt_tokens_total{model_name=\"m\"} 10.0\n");
    has("vllm:generation_tokens_total{model_name=\"m\"} 3.0\n");
}
END_TEST

START_TEST(test_tokens_and_finish)
{
    vmetrics_first_token(&m, 0.02, 1);
    vmetrics_next_token(&m, 0.01);
    vmetrics_next_token(&m, 0.012);
    vmetrics_finished(&m, VMETRICS_LENGTH, 0.4);
    vmetrics_finished(&m, VMETRICS_ABORT, 0);
    ck_assert_int_eq(vmetrics_render(&m, &out, "m", 3, 4), 0);
    has("# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 3.0\n");
    has("vllm:num_requests_waiting{model_name=\"m\"} 4.0\n");
    has("vllm:generation_tokens_total{model_name=\"m\"} 3.0\n");
    has("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"0.01\"} 1.0\n");
    has("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"0.025\"} 2.0\n");
    has("vllm:time_per_output_token_seconds_count{model_name=\"m\"} 2.0\n");
    has("vllm:e2e_request_latency_seconds_bucket{model_name=\"m\",le=\"0.3\"} 0.0\n");
    has("vllm:e2e_request_latency_seconds_bucket{model_name=\"m\",le=\"0.5\"} 1.0\n");
    has("vllm:e2e_request_latency_seconds_count{model_name=\"m\"} 1.0\n");
    has("# TYPE vllm:request_success_total counter\n");
    has("vllm:request_success_total{model_name=\"m\",finished_reason=\"length\"} 1.0\n");
    has("vllm:request_success_total{model_name=\"m\",finished_reason=\"abort\"} 1.0\n");
    has("vllm:request_success_total{model_name=\"m\",finished_reason=\"stop\"} 0.0\n");
}
END_TEST

START_TEST(test_label_escaping)
{
    ck_assert_int_eq(vmetrics_render(&m, &out, "a\"b\\c\nd", 0, 0), 0);
    has("{model_name=\"a\\\"b\\\\c\\nd\"}");
}
END_TEST

/* Every family has HELP and TYPE, and every histogram all of vLLM's bounds. */
START_TEST(test_families)
{
    ck_assert_int_eq(vmetrics_render(&m, &out, "m", 0, 0), 0);
    const char *names[] = {
        "vllm:num_requests_running",        "vllm:num_requests_waiting",          "vllm:prompt_tokens_total",
        "vllm:generation_tokens_total",     "vllm:request_success_total",         "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds", "vllm:e2e_request_latency_seconds"};
    char line[256];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(line, sizeof(line), "# HELP %s ", names[i]);
        has(line);
    }
    has("le=\"0.001\"");
    has("le=\"640.0\"");
    has("le=\"0.075\"");
    has("le=\"80.0\"");
    has("le=\"7680.0\"");
    has("vllm:e2e_request_latency_seconds_sum{model_name=\"m\"} 0.0\n");
}
END_TEST

START_TEST(test_cap)
{
    struct buf small;
    buf_init(&small, 100);
    ck_assert_int_eq(vmetrics_render(&m, &small, "m", 0, 0), -1);
    buf_free(&small);
}
END_TEST

static Suite *vmetrics_suite(void)
{
    Suite *s = suite_create("simllm_vmetrics");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_buckets);
    tcase_add_test(tc, test_tokens_and_finish);
    tcase_add_test(tc, test_label_escaping);
    tcase_add_test(tc, test_families);
    tcase_add_test(tc, test_cap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vmetrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
