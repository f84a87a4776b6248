/* Unit tests of aifb-simllm's request model: the token schedule (first token, per-prompt-token TTFT,
 * due times that do not drift), the ITL spread's bounds and spread, the PRNG's determinism and
 * ranges, cuts, and admission: FIFO queueing beyond max_num_seqs, scheduled times that include the
 * queue time, removal of waiting requests, and freezes. */
#include <check.h>
#include <stdlib.h>

#include "../../remote-agent/simllm/sim.h"

#define MS SIM_NS_PER_MS

static struct sim_config cfg(int64_t ttft_ms, int64_t itl_ms, int64_t spread_ms)
{
    return (struct sim_config){
        .ttft_ns = ttft_ms * MS, .itl_ns = itl_ms * MS, .itl_spread_ns = spread_ms * MS, .max_num_seqs = 4};
}

START_TEST(test_first_due)
{
    struct sim_config c = cfg(50, 10, 0);
    ck_assert_int_eq(sim_first_due(&c, 1000, 100), 1000 + 50 * MS);
    c.ttft_per_token_ns = 2 * MS / 10; /* 0.2 ms per prompt token */
    ck_assert_int_eq(sim_first_due(&c, 1000, 100), 1000 + 70 * MS);
    ck_assert_int_eq(sim_first_due(&c, 0, 0), 50 * MS);
}
END_TEST

/* Without spread, token k is due at first + k * itl exactly, however many tokens. */
START_TEST(test_schedule_no_drift)
{
    struct sim_config c = cfg(50, 10, 0);
    struct sim_rng r;
    sim_rng_seed(&r, 1);
    int64_t first = sim_first_due(&c, 123, 0), due = first;
    for (int k = 1; k <= 100000; k++)
        due = sim_next_due(&c, &r, due);
    ck_assert_int_eq(due, first + 100000 * 10 * MS);
}
END_TEST

START_TEST(test_spread_bounds)
{
    struct sim_config c = cfg(0, 10, 3);
    struct sim_rng r;
    sim_rng_seed(&r, 42);
    int64_t lo = INT64_MAX, hi = INT64_MIN, due = 0;
    double sum = 0;
    int n = 200000;
    for (int k = 0; k < n; k++) {
        int64_t next = sim_next_due(&c, &r, due);
        int64_t gap = next - due;
        ck_assert_int_ge(gap, 7 * MS);
        ck_assert_int_le(gap, 13 * MS);
        lo = gap < lo ? gap : lo;
        hi = gap > hi ? gap : hi;
        sum += (double)gap;
        due = next;
    }
    /* The whole range is used and centred on the ITL. */
    ck_assert_int_lt(lo, 7 * MS + MS / 100);
    ck_assert_int_gt(hi, 13 * MS - MS / 100);
    ck_assert_double_eq_tol(sum / n, 10.0 * MS, 0.02 * MS);
}
END_TEST

/* A spread over the ITL never makes a gap negative. */
START_TEST(test_spread_clamped)
{
    struct sim_config c = cfg(0, 1, 5);
    struct sim_rng r;
    sim_rng_seed(&r, 7);
    int64_t due = 1000;
    for (int k = 0; k < 10000; k++) {
        int64_t next = sim_next_due(&c, &r, due);
        ck_assert_int_ge(next, due);
        due = next;
    }
}
END_TEST

START_TEST(test_rng_deterministic)
{
    struct sim_rng a, b;
    sim_rng_seed(&a, 99);
    sim_rng_seed(&b, 99);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
    sim_rng_seed(&b, 100);
    ck_assert_uint_ne(sim_rng_next(&a), sim_rng_next(&b));
    ck_assert_uint_ne(sim_request_seed(1, 1), sim_request_seed(1, 2));
    ck_assert_uint_eq(sim_request_seed(5, 9), sim_request_seed(5, 9));
}
END_TEST

START_TEST(test_rng_ranges)
{
    struct sim_rng r;
    sim_rng_seed(&r, 3);
    int seen[5] = {0};
    for (int i = 0; i < 50000; i++) {
        double u = sim_rng_unit(&r);
        ck_assert(u >= 0 && u < 1);
        int64_t v = sim_rng_range(&r, -2, 2);
        ck_assert(v >= -2 && v <= 2);
        seen[v + 2]++;
    }
    for (int i = 0; i < 5; i++)
        ck_assert_int_gt(seen[i], 9000); /* about 10000 each */
    ck_assert_int_eq(sim_rng_range(&r, 7, 7), 7);
    (void)sim_rng_range(&r, INT64_MIN, INT64_MAX);
}
END_TEST

START_TEST(test_chance)
{
    struct sim_rng r;
    sim_rng_seed(&r, 11);
    int hits = 0;
    for (int i = 0; i < 100000; i++)
        hits += sim_rng_chance(&r, 0.25);
    ck_assert_int_gt(hits, 24000);
    ck_assert_int_lt(hits, 26000);
    for (int i = 0; i < 100; i++) {
        ck_assert(!sim_rng_chance(&r, 0));
        ck_assert(sim_rng_chance(&r, 1));
    }
}
END_TEST

START_TEST(test_cut_after)
{
    ck_assert_int_eq(sim_cut_after(10), 5);
    ck_assert_int_eq(sim_cut_after(11), 5);
    ck_assert_int_eq(sim_cut_after(1), 0);
}
END_TEST

/* Eight arrivals with four slots: four run at once, four wait in order and run as slots free, each
 * scheduled when the slot freed, so that its queue time is part of its TTFT. */
START_TEST(test_admission_fifo)
{
    struct sim_admit q;
    struct sim_seq s[8];
    sim_admit_init(&q, 4);
    for (int i = 0; i < 8; i++) {
        s[i].arrival_ns = i;
        bool now = sim_admit_submit(&q, &s[i], i);
        ck_assert(now == (i < 4));
    }
    ck_assert_int_eq(q.running, 4);
    ck_assert_uint_eq(q.waiting, 4);
    ck_assert_ptr_null(sim_admit_next(&q, 100));
    struct sim_config c = cfg(50, 10, 0);
    int64_t first_done = sim_first_due(&c, 0, 0); /* one-token requests end at their first token */
    for (int i = 0; i < 4; i++) {
        sim_admit_release(&q);
        struct sim_seq *n = sim_admit_next(&q, first_done);
        ck_assert_ptr_eq(n, &s[4 + i]);
        int64_t sched = sim_admit_time(n, first_done);
        ck_assert_int_eq(sched, first_done);
        ck_assert_int_eq(sim_first_due(&c, sched, 0), 2 * first_done); /* TTFT about twice */
    }
    ck_assert_uint_eq(q.waiting, 0);
    ck_assert_int_eq(q.running, 4);
}
END_TEST

/* A newcomer does not overtake those waiting, even when a slot is free for a moment. */
START_TEST(test_admission_no_overtaking)
{
    struct sim_admit q;
    struct sim_seq a = {.arrival_ns = 0}, b = {.arrival_ns = 1}, c = {.arrival_ns = 2};
    sim_admit_init(&q, 1);
    ck_assert(sim_admit_submit(&q, &a, 0));
    ck_assert(!sim_admit_submit(&q, &b, 1));
    sim_admit_release(&q);
    ck_assert(!sim_admit_submit(&q, &c, 2));
    ck_assert_ptr_eq(sim_admit_next(&q, 3), &b);
    ck_assert_ptr_null(sim_admit_next(&q, 3));
}
END_TEST

START_TEST(test_admission_remove)
{
    struct sim_admit q;
    struct sim_seq s[4] = {{.arrival_ns = 0}, {.arrival_ns = 0}, {.arrival_ns = 0}, {.arrival_ns = 0}};
    sim_admit_init(&q, 1);
    for (int i = 0; i < 4; i++)
        sim_admit_submit(&q, &s[i], 0);
    sim_admit_remove(&q, &s[2]); /* middle */
    sim_admit_remove(&q, &s[1]); /* head */
    sim_admit_remove(&q, &s[0]); /* running: not queued, nothing happens */
    ck_assert_uint_eq(q.waiting, 1);
    sim_admit_release(&q);
    ck_assert_ptr_eq(sim_admit_next(&q, 5), &s[3]);
    sim_admit_remove(&q, &s[3]);
    ck_assert_uint_eq(q.waiting, 0);
    ck_assert_ptr_null(q.head);
    ck_assert_ptr_null(q.tail);
}
END_TEST

/* A request that arrives after the slot freed is scheduled at its arrival, not before. */
START_TEST(test_admission_time_not_before_arrival)
{
    struct sim_seq s = {.arrival_ns = 500};
    ck_assert_int_eq(sim_admit_time(&s, 100), 500);
    ck_assert_int_eq(sim_admit_time(&s, 900), 900);
}
END_TEST

START_TEST(test_admission_freeze)
{
    struct sim_admit q;
    struct sim_seq a = {.arrival_ns = 10}, b = {.arrival_ns = 20};
    sim_admit_init(&q, 8);
    sim_admit_freeze(&q, 1000);
    sim_admit_freeze(&q, 500); /* never shortens */
    ck_assert_int_eq(q.frozen_until_ns, 1000);
    ck_assert(!sim_admit_submit(&q, &a, 10));
    ck_assert(!sim_admit_submit(&q, &b, 20));
    ck_assert_ptr_null(sim_admit_next(&q, 999));
    ck_assert_ptr_eq(sim_admit_next(&q, 1000), &a);
    ck_assert_ptr_eq(sim_admit_next(&q, 1000), &b);
    ck_assert_int_eq(sim_admit_time(&b, 1000), 1000);
    struct sim_seq c = {.arrival_ns = 1001};
    ck_assert(sim_admit_submit(&q, &c, 1001));
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("simllm_sim");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_first_due);
    tcase_add_test(tc, test_schedule_no_drift);
    tcase_add_test(tc, test_spread_bounds);
    tcase_add_test(tc, test_spread_clamped);
    tcase_add_test(tc, test_rng_deterministic);
    tcase_add_test(tc, test_rng_ranges);
    tcase_add_test(tc, test_chance);
    tcase_add_test(tc, test_cut_after);
    tcase_add_test(tc, test_admission_fifo);
    tcase_add_test(tc, test_admission_no_overtaking);
    tcase_add_test(tc, test_admission_remove);
    tcase_add_test(tc, test_admission_time_not_before_arrival);
    tcase_add_test(tc, test_admission_freeze);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
