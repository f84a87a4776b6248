/* Unit tests of aifb-loadgen's arrival schedule and random numbers: known xoshiro256** outputs,
 * determinism, the gap distributions' mean and coefficient of variation (Poisson 1, gamma with
 * burstiness b 1/sqrt(b), constant 0), stage boundaries, the end of the schedule, and the
 * concurrency of closed-loop stages. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "../../remote-agent/loadgen/arrival.h"

#define GAPS 20000

static struct workload open_loop(enum wl_arrival arrival, double rate, double burstiness, uint64_t seed)
{
    return (struct workload){
        .mode = WL_OPEN, .rate = rate, .arrival = arrival, .burstiness = burstiness, .seed = seed, .requests = GAPS};
}

/* Mean and coefficient of variation (population std / mean) of GAPS gaps of w's schedule. */
static void gap_stats(const struct workload *w, double *mean, double *cv)
{
    struct arrival a;
    arrival_init(&a, w);
    double prev = 0, sum = 0, sq = 0;
    for (int i = 0; i < GAPS; i++) {
        double t = arrival_next(&a);
        ck_assert(t >= prev);
        sum += t - prev;
        sq += (t - prev) * (t - prev);
        prev = t;
    }
    *mean = sum / GAPS;
    *cv = sqrt(sq / GAPS - *mean * *mean) / *mean;
}

START_TEST(test_rng_known_values)
{
    /* xoshiro256** seeded by splitmix64, as its authors' reference code gives them */
    struct rng r;
    rng_seed(&r, 0);
    ck_assert(rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
    ck_assert(rng_next(&r) == 0xbf6e1f784956452aULL);
    ck_assert(rng_next(&r) == 0x1a5f849d4933e6e0ULL);
    rng_seed(&r, 42);
    ck_assert(rng_next(&r) == 0x15780b2e0c2ec716ULL);
}
END_TEST

START_TEST(test_rng_ranges)
{
    struct rng r, again;
    rng_seed(&r, 7);
    rng_seed(&again, 7);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform(&r);
        ck_assert(u >= 0 && u < 1);
        ck_assert(u == rng_uniform(&again));
        sum += u;
    }
    ck_assert_double_eq_tol(sum / 100000, 0.5, 0.01);
    double esum = 0, gsum = 0;
    for (int i = 0; i < 100000; i++) {
        double e = rng_exp(&r, 2.0), g = rng_gamma(&r, 0.3, 2.0);
        ck_assert(e >= 0 && isfinite(e) && g >= 0 && isfinite(g));
        esum += e;
        gsum += g;
    }
    ck_assert_double_eq_tol(esum / 100000, 2.0, 0.04);
    ck_assert_double_eq_tol(gsum / 100000, 0.6, 0.02); /* mean of gamma: shape * scale */
}
END_TEST

START_TEST(test_poisson)
{
    struct workload w = open_loop(WL_POISSON, 10, 1, 1);
    double mean, cv;
    gap_stats(&w, &mean, &cv);
    ck_assert_msg(fabs(mean - 0.1) < 0.002, "mean gap %g", mean);
    ck_assert_msg(fabs(cv - 1) < 0.03, "cv %g", cv);
    struct arrival a;
    arrival_init(&a, &w);
    ck_assert(arrival_next(&a) > 0); /* after one drawn gap */
}
END_TEST

START_TEST(test_gamma)
{
    struct workload w = open_loop(WL_GAMMA, 10, 0.5, 2);
    double mean, cv;
    gap_stats(&w, &mean, &cv);
    ck_assert_msg(fabs(mean - 0.1) < 0.003, "mean gap %g", mean);
    ck_assert_msg(fabs(cv - sqrt(2)) < 0.04 * sqrt(2), "cv %g, want sqrt(2)", cv);
    w = open_loop(WL_GAMMA, 10, 4, 3);
    gap_stats(&w, &mean, &cv);
    ck_assert_msg(fabs(mean - 0.1) < 0.002, "mean gap %g", mean);
    ck_assert_msg(fabs(cv - 0.5) < 0.02, "cv %g, want 0.5", cv);
    w = open_loop(WL_GAMMA, 10, 1, 4); /* shape 1 is Poisson */
    gap_stats(&w, &mean, &cv);
    ck_assert_msg(fabs(cv - 1) < 0.03, "cv %g", cv);
}
END_TEST

START_TEST(test_constant)
{
    struct workload w = open_loop(WL_CONSTANT, 4, 1, 5);
    struct arrival a;
    arrival_init(&a, &w);
    ck_assert_double_eq(arrival_next(&a), 0); /* the first at once */
    ck_assert_double_eq_tol(arrival_next(&a), 0.25, 1e-12);
    double mean, cv;
    gap_stats(&w, &mean, &cv);
    ck_assert_double_eq_tol(mean, 0.25 * (GAPS - 1) / GAPS, 1e-9);
    w = open_loop(WL_CONSTANT, 4, 1, 5);
    arrival_init(&a, &w);
    arrival_next(&a);
    double prev = arrival_next(&a);
    for (int i = 0; i < 1000; i++) {
        double t = arrival_next(&a);
        ck_assert_double_eq_tol(t - prev, 0.25, 1e-9); /* CV 0 */
        prev = t;
    }
}
END_TEST

START_TEST(test_same_seed)
{
    struct workload w1 = open_loop(WL_GAMMA, 100, 0.7, 99), w2 = w1, w3 = open_loop(WL_GAMMA, 100, 0.7, 100);
    struct arrival a, b, c;
    arrival_init(&a, &w1);
    arrival_init(&b, &w2);
    arrival_init(&c, &w3);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        double t = arrival_next(&a);
        ck_assert(t == arrival_next(&b));
        differ += t != arrival_next(&c);
    }
    ck_assert_int_gt(differ, 990);
}
END_TEST

/* Counts arrivals of w's whole schedule in [0, 10), [10, 20), [20, 30), and checks it ends for good. */
static void count_stages(const struct workload *w, int counts[3])
{
    struct arrival a;
    arrival_init(&a, w);
    counts[0] = counts[1] = counts[2] = 0;
    double t, prev = 0;
    while ((t = arrival_next(&a)) >= 0) {
        ck_assert(t >= prev && t < 30);
        counts[(int)(t / 10)]++;
        prev = t;
    }
    ck_assert(arrival_next(&a) < 0);
    ck_assert(arrival_next(&a) < 0);
}

START_TEST(test_stages)
{
    struct wl_stage st[] = {
        {.duration_s = 10, .rate = 10}, {.duration_s = 10, .rate = 0}, {.duration_s = 10, .rate = 100}};
    struct workload w = open_loop(WL_CONSTANT, 0, 1, 6);
    w.stages = st;
    w.nstages = 3;
    int n[3];
    count_stages(&w, n);
    ck_assert_int_eq(n[0], 100); /* 0, 0.1, ..., 9.9 */
    ck_assert_int_eq(n[1], 0);   /* a stage of rate 0 sends nothing */
    ck_assert_int_ge(n[2], 999);
    ck_assert_int_le(n[2], 1000);
    w.arrival = WL_POISSON;
    count_stages(&w, n);
    ck_assert_msg(abs(n[0] - 100) < 35 && n[1] == 0 && abs(n[2] - 1000) < 110, "%d %d %d", n[0], n[1], n[2]);
    /* a first stage of rate 0: the constant schedule starts at the next stage's start */
    struct wl_stage late[] = {{.duration_s = 2, .rate = 0}, {.duration_s = 1, .rate = 2}};
    w = open_loop(WL_CONSTANT, 0, 1, 6);
    w.stages = late;
    w.nstages = 2;
    struct arrival a;
    arrival_init(&a, &w);
    ck_assert_double_eq(arrival_next(&a), 2);
    ck_assert_double_eq(arrival_next(&a), 2.5);
    ck_assert(arrival_next(&a) < 0);
}
END_TEST

/* A gap that crosses a boundary continues at the new rate: with constant gaps of one expected arrival,
 * 0.75 of a gap spent at 1/s in the first stage leaves 0.25 at 10/s in the second. */
START_TEST(test_stage_crossing)
{
    struct wl_stage st[] = {{.duration_s = 1.75, .rate = 1}, {.duration_s = 1, .rate = 10}};
    struct workload w = open_loop(WL_CONSTANT, 0, 1, 6);
    w.stages = st;
    w.nstages = 2;
    struct arrival a;
    arrival_init(&a, &w);
    ck_assert_double_eq(arrival_next(&a), 0);
    ck_assert_double_eq_tol(arrival_next(&a), 1, 1e-12);
    ck_assert_double_eq_tol(arrival_next(&a), 1.775, 1e-12);
    ck_assert_double_eq_tol(arrival_next(&a), 1.875, 1e-12);
}
END_TEST

START_TEST(test_duration_bound)
{
    struct workload w = open_loop(WL_POISSON, 10, 1, 8);
    w.duration_s = 50;
    struct arrival a;
    arrival_init(&a, &w);
    int n = 0;
    double t;
    while ((t = arrival_next(&a)) >= 0) {
        ck_assert(t < 50);
        n++;
    }
    ck_assert_msg(abs(n - 500) < 80, "%d arrivals in 50 s at 10/s", n);
    ck_assert(arrival_next(&a) < 0);
    /* no rate and no end: the schedule ends at once instead of waiting forever */
    w = open_loop(WL_POISSON, 0, 1, 8);
    arrival_init(&a, &w);
    ck_assert(arrival_next(&a) < 0);
}
END_TEST

START_TEST(test_concurrency)
{
    struct workload w = {.mode = WL_CLOSED, .concurrency = 7};
    ck_assert_int_eq(arrival_concurrency(&w, 0), 7);
    ck_assert_int_eq(arrival_concurrency(&w, 1e9), 7);
    struct wl_stage st[] = {{.duration_s = 10, .concurrency = 4},
                            {.duration_s = 5, .concurrency = 0},
                            {.duration_s = 5, .concurrency = 16}};
    w.stages = st;
    w.nstages = 3;
    ck_assert_int_eq(arrival_concurrency(&w, 0), 4);
    ck_assert_int_eq(arrival_concurrency(&w, 9.999), 4);
    ck_assert_int_eq(arrival_concurrency(&w, 10), 0);
    ck_assert_int_eq(arrival_concurrency(&w, 15), 16);
    ck_assert_int_eq(arrival_concurrency(&w, 19.999), 16);
    ck_assert_int_eq(arrival_concurrency(&w, 20), 0);
}
END_TEST

/* A ramp: 1 stream at once, then one more every ramp_s / concurrency, all of them from ramp_s on. */
START_TEST(test_ramp)
{
    struct workload w = {.mode = WL_CLOSED, .concurrency = 4, .ramp_s = 2};
    ck_assert_int_eq(arrival_concurrency(&w, 0), 1);
    ck_assert_int_eq(arrival_concurrency(&w, 0.4), 1);
    ck_assert_int_eq(arrival_concurrency(&w, 0.6), 2);
    ck_assert_int_eq(arrival_concurrency(&w, 1.9), 4);
    ck_assert_int_eq(arrival_concurrency(&w, 2), 4);
    ck_assert_int_eq(arrival_concurrency(&w, 100), 4);
    ck_assert_double_eq_tol(arrival_ramp_next(&w, 0), 0.5, 1e-12);
    ck_assert_double_eq_tol(arrival_ramp_next(&w, 0.6), 1.0, 1e-12);
    ck_assert_double_eq_tol(arrival_ramp_next(&w, 1.2), 1.5, 1e-12);
    ck_assert(arrival_ramp_next(&w, 1.6) < 0); /* at 4 already */
    ck_assert(arrival_ramp_next(&w, 3) < 0);
}
END_TEST

static Suite *arrival_suite(void)
{
    Suite *s = suite_create("loadgen_arrival");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rng_known_values);
    tcase_add_test(tc, test_rng_ranges);
    tcase_add_test(tc, test_poisson);
    tcase_add_test(tc, test_gamma);
    tcase_add_test(tc, test_constant);
    tcase_add_test(tc, test_same_seed);
    tcase_add_test(tc, test_stages);
    tcase_add_test(tc, test_stage_crossing);
    tcase_add_test(tc, test_duration_bound);
    tcase_add_test(tc, test_concurrency);
    tcase_add_test(tc, test_ramp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arrival_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
