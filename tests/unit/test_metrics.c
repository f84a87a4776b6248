/* Unit tests of common/metrics: request, error and restart counters as rendered in the Prometheus
 * text, cumulative histogram buckets, the slot for unmatched requests, out-of-range statuses, the
 * render cap, and counters shared with a forked child. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"
#include "route.h"

static enum err h_dummy(struct req *r)
{
    (void)r;
    return ERR_OK;
}

static const struct route routes[] = {
    {HTTP_GET, "/v1/a", h_dummy, ROLE_PUBLIC, 0, NULL, NULL},
    {HTTP_POST, "/v1/b", h_dummy, ROLE_OPERATE, 16, NULL, NULL},
};
static const struct route_table table = {"/api/x", routes, 2};

#define A_LABELS "route=\"/api/x/v1/a\",method=\"GET\""
#define B_LABELS "route=\"/api/x/v1/b\",method=\"POST\""
#define U_LABELS "route=\"unmatched\",method=\"any\""

static struct metrics *m;
static struct buf text;

static void setup(void)
{
    m = metrics_new(2);
    ck_assert_ptr_nonnull(m);
    buf_init(&text, 1 << 20);
}

static void teardown(void)
{
    buf_free(&text);
}

static void render(void)
{
    buf_clear(&text);
    ck_assert_int_eq(metrics_render(m, &text, "server", &table, 4), 0);
}

/* The value of the series written exactly as given, or -1 when absent. */
static double value(const char *series)
{
    char key[512];
    snprintf(key, sizeof(key), "\n%s ", series);
    const char *p = strstr(buf_cstr(&text), key);
    if (!p)
        return -1;
    char *end;
    double v = strtod(p + strlen(key), &end);
    ck_assert_msg(end != p + strlen(key) && (*end == '\n' || *end == '\0'), "%s: not a number", series);
    return v;
}

static bool has(const char *s)
{
    return strstr(buf_cstr(&text), s) != NULL;
}

START_TEST(test_fresh)
{
    render();
    ck_assert(has("# TYPE aifb_http_requests_total counter\n"));
    ck_assert(has("# TYPE aifb_http_request_duration_seconds histogram\n"));
    ck_assert_double_eq(value("aifb_build_info{app=\"server\"}"), 1);
    ck_assert_double_eq(value("aifb_workers"), 4);
    ck_assert_double_eq(value("aifb_worker_restarts_total"), 0);
    ck_assert(value("aifb_start_time_seconds") > 1.6e9);
    ck_assert(!has("aifb_http_requests_total{"));
    ck_assert_double_eq(value("aifb_http_request_duration_seconds_count{" A_LABELS "}"), 0);
    ck_assert_double_eq(value("aifb_errors_total{code=\"not_found\"}"), 0);
}
END_TEST

START_TEST(test_requests_counted)
{
    metrics_observe(m, 0, 200, 0.001);
    metrics_observe(m, 0, 200, 0.002);
    metrics_observe(m, 0, 404, 0.003);
    metrics_observe(m, 1, 201, 0.004);
    render();
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"200\"}"), 2);
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"404\"}"), 1);
    ck_assert_double_eq(value("aifb_http_requests_total{" B_LABELS ",status=\"201\"}"), 1);
    ck_assert_double_eq(value("aifb_http_requests_total{" B_LABELS ",status=\"200\"}"), -1);
}
END_TEST

START_TEST(test_unmatched_slot)
{
    metrics_observe(m, -1, 404, 0.001);
    metrics_observe(m, 2, 405, 0.001); /* one past the table */
    metrics_observe(m, 99, 404, 0.001);
    render();
    ck_assert_double_eq(value("aifb_http_requests_total{" U_LABELS ",status=\"404\"}"), 2);
    ck_assert_double_eq(value("aifb_http_requests_total{" U_LABELS ",status=\"405\"}"), 1);
    ck_assert_double_eq(value("aifb_http_request_duration_seconds_count{" U_LABELS "}"), 3);
}
END_TEST

START_TEST(test_status_out_of_range)
{
    metrics_observe(m, 0, 42, 0.001);
    metrics_observe(m, 0, 600, 0.001);
    metrics_observe(m, 0, -1, 0.001);
    metrics_observe(m, 0, 100, 0.001);
    metrics_observe(m, 0, 599, 0.001);
    render();
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"500\"}"), 3);
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"100\"}"), 1);
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"599\"}"), 1);
    ck_assert(!has("status=\"42\""));
    ck_assert(!has("status=\"600\""));
}
END_TEST

START_TEST(test_histogram_cumulative)
{
    metrics_observe(m, 0, 200, 0.0001); /* le 0.0005 */
    metrics_observe(m, 0, 200, 0.001);  /* le 0.001: bounds are inclusive */
    metrics_observe(m, 0, 200, 0.003);  /* le 0.005 */
    metrics_observe(m, 0, 200, 0.3);    /* le 0.5 */
    metrics_observe(m, 0, 200, 100);    /* +Inf */
    render();
#define BUCKET(le) value("aifb_http_request_duration_seconds_bucket{" A_LABELS ",le=\"" le "\"}")
    ck_assert_double_eq(BUCKET("0.0005"), 1);
    ck_assert_double_eq(BUCKET("0.001"), 2);
    ck_assert_double_eq(BUCKET("0.0025"), 2);
    ck_assert_double_eq(BUCKET("0.005"), 3);
    ck_assert_double_eq(BUCKET("0.25"), 3);
    ck_assert_double_eq(BUCKET("0.5"), 4);
    ck_assert_double_eq(BUCKET("10"), 4);
    ck_assert_double_eq(BUCKET("+Inf"), 5);
#undef BUCKET
    ck_assert_double_eq(value("aifb_http_request_duration_seconds_count{" A_LABELS "}"), 5);
    double sum = value("aifb_http_request_duration_seconds_sum{" A_LABELS "}");
    ck_assert_double_eq_tol(sum, 100.3041, 1e-6);
    /* The other route's histogram is there and empty. */
    ck_assert_double_eq(value("aifb_http_request_duration_seconds_bucket{" B_LABELS ",le=\"+Inf\"}"), 0);
}
END_TEST

START_TEST(test_histogram_monotonic)
{
    for (int i = 0; i < 200; i++)
        metrics_observe(m, 1, 200, (double)i * 0.0007);
    render();
    const char *prefix = "aifb_http_request_duration_seconds_bucket{" B_LABELS ",le=\"";
    double last = 0;
    int buckets = 0;
    for (const char *p = strstr(buf_cstr(&text), prefix); p; p = strstr(p + 1, prefix)) {
        const char *sp = strchr(p, ' ');
        char *end;
        double v = strtod(sp + 1, &end);
        ck_assert(end != sp + 1 && *end == '\n');
        ck_assert_msg(v >= last, "bucket %d went down: %g < %g", buckets, v, last);
        last = v;
        buckets++;
    }
    ck_assert_int_ge(buckets, 2);
    ck_assert_double_eq(last, 200);
}
END_TEST

START_TEST(test_errors_counted)
{
    metrics_error(m, ERR_NOT_FOUND);
    metrics_error(m, ERR_NOT_FOUND);
    metrics_error(m, ERR_FORBIDDEN);
    metrics_error(m, (enum err)ERR__COUNT); /* ignored */
    metrics_error(m, (enum err) - 1);
    render();
    ck_assert_double_eq(value("aifb_errors_total{code=\"not_found\"}"), 2);
    ck_assert_double_eq(value("aifb_errors_total{code=\"forbidden\"}"), 1);
    ck_assert_double_eq(value("aifb_errors_total{code=\"internal\"}"), 0);
    ck_assert(!has("code=\"ok\""));
    for (int e = 1; e < ERR__COUNT; e++) {
        char series[128];
        snprintf(series, sizeof(series), "aifb_errors_total{code=\"%s\"}", err_string((enum err)e));
        ck_assert_msg(value(series) >= 0, "no series for %s", err_string((enum err)e));
    }
}
END_TEST

START_TEST(test_restarts_counted)
{
    metrics_worker_restart(m);
    metrics_worker_restart(m);
    metrics_worker_restart(m);
    render();
    ck_assert_double_eq(value("aifb_worker_restarts_total"), 3);
}
END_TEST

START_TEST(test_render_cap)
{
    struct buf small;
    buf_init(&small, 100);
    ck_assert_int_eq(metrics_render(m, &small, "server", &table, 1), -1);
    ck_assert(small.overflow);
    buf_free(&small);
}
END_TEST

START_TEST(test_shared_with_child)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        metrics_observe(m, 0, 200, 0.01);
        metrics_error(m, ERR_CONFLICT);
        metrics_worker_restart(m);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    render();
    ck_assert_double_eq(value("aifb_http_requests_total{" A_LABELS ",status=\"200\"}"), 1);
    ck_assert_double_eq(value("aifb_errors_total{code=\"conflict\"}"), 1);
    ck_assert_double_eq(value("aifb_worker_restarts_total"), 1);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fresh);
    tcase_add_test(tc, test_requests_counted);
    tcase_add_test(tc, test_unmatched_slot);
    tcase_add_test(tc, test_status_out_of_range);
    tcase_add_test(tc, test_histogram_cumulative);
    tcase_add_test(tc, test_histogram_monotonic);
    tcase_add_test(tc, test_errors_counted);
    tcase_add_test(tc, test_restarts_counted);
    tcase_add_test(tc, test_render_cap);
    tcase_add_test(tc, test_shared_with_child);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
