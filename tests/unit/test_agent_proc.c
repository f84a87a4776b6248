/* Unit tests of remote-agent/agent/proc: exit statuses and signals, stdout and stderr captured apart,
 * output over the cap dropped but read to the end, a program that outlives its deadline killed with
 * what it started, a program that closes its output but keeps running, and one not on PATH. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "proc.h"

static struct arena *arena;

static void setup(void)
{
    arena = arena_new(1 << 16);
}

static void teardown(void)
{
    arena_free(arena);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct proc_result sh(const char *script, int timeout_ms, size_t cap)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    struct proc_result r;
    ck_assert_int_eq(proc_run(arena, argv, timeout_ms, cap, cap, &r), 0);
    return r;
}

START_TEST(test_status_and_streams)
{
    struct proc_result r = sh("echo out; echo err >&2; exit 3", 5000, 1024);
    ck_assert_int_eq(r.status, 3);
    ck_assert(!r.timed_out);
    ck_assert_str_eq(r.out, "out\n");
    ck_assert_str_eq(r.err, "err\n");
    r = sh("true", 5000, 1024);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "");
    ck_assert_uint_eq(r.out_len, 0);
    r = sh("kill -TERM $$", 5000, 1024);
    ck_assert_int_eq(r.status, 128 + 15);
    r = sh("read x; echo \"[$x]\"", 5000, 1024); /* stdin is /dev/null */
    ck_assert_str_eq(r.out, "[]\n");
}
END_TEST

START_TEST(test_caps)
{
    struct proc_result r = sh("head -c 300000 /dev/zero | tr '\\0' x; echo done >&2", 10000, 1000);
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(r.out_len, 1000);
    ck_assert(r.out_truncated);
    ck_assert(!r.err_truncated);
    ck_assert_str_eq(r.err, "done\n");
    ck_assert_uint_eq(strspn(r.out, "x"), 1000);
}
END_TEST

START_TEST(test_timeout_kills_the_group)
{
    double t0 = now_s();
    /* the grandchild holds stdout open: killing only sh would leave the read waiting */
    struct proc_result r = sh("sleep 30 & echo started; wait", 300, 1024);
    double took = now_s() - t0;
    ck_assert(r.timed_out);
    ck_assert_int_eq(r.status, 128 + 9);
    ck_assert_str_eq(r.out, "started\n");
    ck_assert_msg(took < 3, "took %.1f s", took);
}
END_TEST

START_TEST(test_closed_output_still_running)
{
    double t0 = now_s();
    struct proc_result r = sh("exec >/dev/null 2>&1; sleep 30", 300, 1024);
    ck_assert(r.timed_out);
    ck_assert(now_s() - t0 < 3);
    r = sh("exec >/dev/null 2>&1; sleep 0.2; exit 4", 5000, 1024);
    ck_assert(!r.timed_out);
    ck_assert_int_eq(r.status, 4);
}
END_TEST

START_TEST(test_not_found)
{
    const char *argv[] = {"aifb-no-such-program-here", NULL};
    struct proc_result r;
    ck_assert_int_eq(proc_run(arena, argv, 1000, 1024, 1024, &r), -1);
    ck_assert_int_eq(r.exec_errno, ENOENT);
    ck_assert_int_eq(r.status, -1);
    ck_assert_str_eq(r.out, "");
}
END_TEST

static Suite *proc_suite(void)
{
    Suite *s = suite_create("agent_proc");
    TCase *tc = tcase_create("proc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_status_and_streams);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_timeout_kills_the_group);
    tcase_add_test(tc, test_closed_output_still_running);
    tcase_add_test(tc, test_not_found);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(proc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
