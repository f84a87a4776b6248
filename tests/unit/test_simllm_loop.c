/* Unit tests of aifb-simllm's event loop: timers fire in deadline order whatever order they were
 * set in, cancel and re-set move them, a shift delays them all, and a timer fires no earlier than
 * its deadline and soon after it (on the timerfd, not epoll's millisecond timeout). */
#include <check.h>
#include <stdlib.h>

#include "../../remote-agent/simllm/loop.h"

#define N 64

static struct loop *l;
static volatile sig_atomic_t stop;
static int order[N];
static int64_t fired_at[N];
static int nfired;

struct tick {
    struct loop_timer t;
    int id;
    int last; /* stops the loop */
};

static void on_tick(void *arg)
{
    struct tick *k = arg;
    fired_at[k->id] = loop_now();
    order[nfired++] = k->id;
    if (k->last)
        stop = 1;
}

static void setup(void)
{
    l = loop_new();
    ck_assert_ptr_nonnull(l);
    stop = 0;
    nfired = 0;
}

static void teardown(void)
{
    loop_free(l);
}

START_TEST(test_order)
{
    static struct tick k[N];
    int64_t base = loop_now() + 2000000;
    for (int i = 0; i < N; i++) {
        int slot = (i * 37) % N; /* set in a scrambled order */
        k[slot] = (struct tick){.id = slot, .last = slot == N - 1};
        loop_timer_init(&k[slot].t, on_tick, &k[slot]);
        loop_timer_set(l, &k[slot].t, base + slot * 10000);
    }
    ck_assert_uint_eq(loop_timer_count(l), N);
    ck_assert_int_eq(loop_run(l, &stop), 0);
    ck_assert_int_eq(nfired, N);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(order[i], i);
        ck_assert_int_ge(fired_at[i], base + i * 10000);
    }
}
END_TEST

START_TEST(test_cancel_and_move)
{
    static struct tick a, b, c;
    int64_t now = loop_now();
    a = (struct tick){.id = 0};
    b = (struct tick){.id = 1};
    c = (struct tick){.id = 2, .last = 1};
    loop_timer_init(&a.t, on_tick, &a);
    loop_timer_init(&b.t, on_tick, &b);
    loop_timer_init(&c.t, on_tick, &c);
    loop_timer_set(l, &a.t, now + 1000000);
    loop_timer_set(l, &b.t, now + 2000000);
    loop_timer_set(l, &c.t, now + 3000000);
    loop_timer_cancel(l, &a.t);
    loop_timer_cancel(l, &a.t); /* twice is fine */
    ck_assert(!loop_timer_armed(&a.t));
    /* moved after c, far enough that a loaded machine cannot make it due before c stops the loop */
    loop_timer_set(l, &b.t, now + 10000000000LL);
    loop_timer_set(l, &a.t, now + 500000);
    ck_assert_int_eq(loop_run(l, &stop), 0);
    ck_assert_int_eq(nfired, 2);
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 2);
    ck_assert(loop_timer_armed(&b.t));
    loop_timer_cancel(l, &b.t);
    ck_assert_uint_eq(loop_timer_count(l), 0);
}
END_TEST

START_TEST(test_shift)
{
    static struct tick a;
    int64_t now = loop_now();
    a = (struct tick){.id = 0, .last = 1};
    loop_timer_init(&a.t, on_tick, &a);
    loop_timer_set(l, &a.t, now + 1000000);
    loop_timers_shift(l, 20000000);
    ck_assert_int_eq(loop_run(l, &stop), 0);
    ck_assert_int_ge(fired_at[0], now + 21000000);
}
END_TEST

/* A timer 3.3 ms out fires after its deadline and well within a millisecond of it (generous, for a
 * loaded machine: the median of 20 tries). */
START_TEST(test_precision)
{
    static struct tick a;
    int64_t late[20];
    for (int i = 0; i < 20; i++) {
        stop = 0;
        nfired = 0;
        a = (struct tick){.id = 0, .last = 1};
        loop_timer_init(&a.t, on_tick, &a);
        int64_t due = loop_now() + 3300000;
        loop_timer_set(l, &a.t, due);
        ck_assert_int_eq(loop_run(l, &stop), 0);
        ck_assert_int_ge(fired_at[0], due);
        late[i] = fired_at[0] - due;
    }
    for (int i = 0; i < 20; i++)
        for (int j = i + 1; j < 20; j++)
            if (late[j] < late[i]) {
                int64_t t = late[i];
                late[i] = late[j];
                late[j] = t;
            }
    ck_assert_int_lt(late[10], 1000000);
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("simllm_loop");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_cancel_and_move);
    tcase_add_test(tc, test_shift);
    tcase_add_test(tc, test_precision);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
