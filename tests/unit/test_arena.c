/* Unit tests of common/arena: alignment, growth past the first block, big allocations, the
 * string helpers, cleanups (reverse order, at reset and at free, deferring more) and arena_used
 * across many reset cycles. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"

#define ALIGN (alignof(max_align_t))

static bool aligned(const void *p)
{
    return (uintptr_t)p % ALIGN == 0;
}

START_TEST(test_alloc_alignment)
{
    struct arena *a = arena_new(256);
    for (size_t n = 0; n < 200; n++) {
        void *p = arena_alloc(a, n);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(aligned(p), "arena_alloc(%zu) gave %p, not aligned to %zu", n, p, ALIGN);
    }
    arena_free(a);
}
END_TEST

START_TEST(test_alloc_zero_gives_distinct_pointers)
{
    struct arena *a = arena_new(256);
    void *p = arena_alloc(a, 0), *q = arena_alloc(a, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(p, q);
    arena_free(a);
}
END_TEST

START_TEST(test_growth_past_first_block)
{
    /* 200 blocks of 100 bytes from a 256-byte first block: every one must stay intact. */
    struct arena *a = arena_new(256);
    unsigned char *p[200];
    for (size_t i = 0; i < 200; i++) {
        p[i] = arena_alloc(a, 100);
        ck_assert(aligned(p[i]));
        memset(p[i], (int)(i & 0xff), 100);
    }
    for (size_t i = 0; i < 200; i++)
        for (size_t k = 0; k < 100; k++)
            ck_assert_uint_eq(p[i][k], i & 0xff);
    arena_free(a);
}
END_TEST

START_TEST(test_big_allocations)
{
    struct arena *a = arena_new(256);
    size_t big = 4u << 20;
    unsigned char *b1 = arena_alloc(a, big);
    memset(b1, 0xab, big);
    char *small = arena_strdup(a, "after the big one");
    unsigned char *b2 = arena_alloc(a, big + 1);
    memset(b2, 0xcd, big + 1);
    ck_assert(aligned(b1));
    ck_assert(aligned(b2));
    ck_assert_uint_eq(b1[0], 0xab);
    ck_assert_uint_eq(b1[big - 1], 0xab);
    ck_assert_uint_eq(b2[big], 0xcd);
    ck_assert_str_eq(small, "after the big one");
    ck_assert_uint_ge(arena_used(a), 2 * big + 1);
    arena_free(a);
}
END_TEST

/* Runs fn in a child process; true when the child was killed by SIGABRT. */
static bool aborts(void (*fn)(void))
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO); /* the expected out-of-memory line */
        fn();
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void alloc_near_size_max(void)
{
    arena_alloc(arena_new(256), SIZE_MAX - 15);
}

static void calloc_overflow(void)
{
    arena_calloc(arena_new(256), SIZE_MAX / 2, 3);
}

/* arena.h: "Allocation never fails: on out-of-memory the process aborts." A size whose block
 * header would wrap size_t must abort too, not hand out a block smaller than asked for. */
START_TEST(test_alloc_near_size_max_aborts)
{
    ck_assert_msg(aborts(alloc_near_size_max),
                  "arena_alloc(SIZE_MAX - 15) returned instead of aborting (block size wraps in block_new)");
}
END_TEST

START_TEST(test_calloc_overflow_aborts)
{
    ck_assert_msg(aborts(calloc_overflow), "arena_calloc(SIZE_MAX / 2, 3) returned instead of aborting");
}
END_TEST

START_TEST(test_calloc_zeroed)
{
    struct arena *a = arena_new(256);
    /* Dirty the first block, reset, then calloc over the same bytes. */
    memset(arena_alloc(a, 200), 0xff, 200);
    arena_reset(a);
    unsigned char *p = arena_calloc(a, 50, 4);
    for (size_t i = 0; i < 200; i++)
        ck_assert_uint_eq(p[i], 0);
    ck_assert_ptr_nonnull(arena_calloc(a, 0, 8));
    arena_free(a);
}
END_TEST

START_TEST(test_strdup_strndup)
{
    struct arena *a = arena_new(256);
    const char *src = "hello";
    char *d = arena_strdup(a, src);
    ck_assert_ptr_ne(d, src);
    ck_assert_str_eq(d, "hello");
    ck_assert_str_eq(arena_strdup(a, ""), "");
    ck_assert_ptr_null(arena_strdup(a, NULL));
    ck_assert_str_eq(arena_strndup(a, "hello", 3), "hel");
    ck_assert_str_eq(arena_strndup(a, "hello", 0), "");
    ck_assert_ptr_null(arena_strndup(a, NULL, 3));
    /* strndup copies exactly n bytes: the source need not be terminated. */
    char raw[4] = {'a', 'b', 'c', 'd'};
    ck_assert_str_eq(arena_strndup(a, raw, 4), "abcd");
    arena_free(a);
}
END_TEST

START_TEST(test_printf)
{
    struct arena *a = arena_new(256);
    ck_assert_str_eq(arena_printf(a, "%s-%d-%.2f", "x", 42, 1.5), "x-42-1.50");
    ck_assert_str_eq(arena_printf(a, "%s", ""), "");
    ck_assert_str_eq(arena_i64(a, INT64_MIN), "-9223372036854775808");
    ck_assert_str_eq(arena_i64(a, 42), "42");
    /* Longer than the first block. */
    char *s = arena_printf(a, "%5000d|", 7);
    ck_assert_uint_eq(strlen(s), 5001);
    ck_assert_int_eq(s[4999], '7');
    ck_assert_int_eq(s[5000], '|');
    arena_free(a);
}
END_TEST

/* A log of cleanup calls: each cleanup appends its tag. */
struct trail {
    char seq[64];
    size_t n;
};

static void note(void *p, char tag)
{
    struct trail *t = p;
    if (t->n + 1 < sizeof(t->seq))
        t->seq[t->n++] = tag;
}

static void note_a(void *p)
{
    note(p, 'a');
}

static void note_b(void *p)
{
    note(p, 'b');
}

static void note_c(void *p)
{
    note(p, 'c');
}

START_TEST(test_cleanups_reverse_at_reset)
{
    struct trail t = {{0}, 0};
    struct arena *a = arena_new(256);
    arena_defer(a, note_a, &t);
    arena_defer(a, note_b, &t);
    arena_defer(a, note_c, &t);
    ck_assert_uint_eq(t.n, 0);
    arena_reset(a);
    ck_assert_str_eq(t.seq, "cba");
    /* Run once only: a second reset finds none. */
    arena_reset(a);
    ck_assert_str_eq(t.seq, "cba");
    arena_free(a);
    ck_assert_str_eq(t.seq, "cba");
}
END_TEST

START_TEST(test_cleanups_reverse_at_free)
{
    struct trail t = {{0}, 0};
    struct arena *a = arena_new(256);
    arena_defer(a, note_a, &t);
    /* Enough allocations in between to need new blocks. */
    for (int i = 0; i < 50; i++)
        arena_alloc(a, 64);
    arena_defer(a, note_b, &t);
    arena_free(a);
    ck_assert_str_eq(t.seq, "ba");
}
END_TEST

static struct arena *deferring_arena;

static void defer_more(void *p)
{
    note(p, 'x');
    arena_defer(deferring_arena, note_a, p);
}

START_TEST(test_cleanup_may_defer_more)
{
    struct trail t = {{0}, 0};
    deferring_arena = arena_new(256);
    arena_defer(deferring_arena, defer_more, &t);
    arena_reset(deferring_arena);
    ck_assert_str_eq(t.seq, "xa");
    arena_free(deferring_arena);
    ck_assert_str_eq(t.seq, "xa");
}
END_TEST

START_TEST(test_arena_free_null)
{
    arena_free(NULL);
}
END_TEST

static void count_up(void *p)
{
    (*(int *)p)++;
}

START_TEST(test_reset_many_cycles)
{
    struct arena *a = arena_new(1024);
    int runs = 0;
    for (int cycle = 0; cycle < 2000; cycle++) {
        ck_assert_uint_eq(arena_used(a), 0);
        char *s = arena_printf(a, "cycle %d", cycle);
        for (int i = 0; i < cycle % 40; i++)
            arena_alloc(a, 100);
        if (cycle % 100 == 0)
            memset(arena_alloc(a, 1 << 20), 1, 1 << 20);
        arena_defer(a, count_up, &runs);
        char want[32];
        snprintf(want, sizeof(want), "cycle %d", cycle);
        ck_assert_str_eq(s, want);
        arena_reset(a);
        ck_assert_int_eq(runs, cycle + 1);
    }
    arena_free(a);
}
END_TEST

START_TEST(test_used)
{
    struct arena *a = arena_new(256);
    ck_assert_uint_eq(arena_used(a), 0);
    arena_alloc(a, 1);
    size_t u1 = arena_used(a);
    ck_assert_uint_ge(u1, 1);
    ck_assert_uint_lt(u1, 1 + ALIGN);
    arena_alloc(a, 1000); /* past the first block */
    size_t u2 = arena_used(a);
    ck_assert_uint_ge(u2, u1 + 1000);
    ck_assert_uint_lt(u2, u1 + 1000 + ALIGN);
    arena_reset(a);
    ck_assert_uint_eq(arena_used(a), 0);
    arena_free(a);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_alloc_alignment);
    tcase_add_test(tc, test_alloc_zero_gives_distinct_pointers);
    tcase_add_test(tc, test_growth_past_first_block);
    tcase_add_test(tc, test_big_allocations);
    tcase_add_test(tc, test_calloc_zeroed);
    tcase_add_test(tc, test_alloc_near_size_max_aborts);
    tcase_add_test(tc, test_calloc_overflow_aborts);
    tcase_add_test(tc, test_strdup_strndup);
    tcase_add_test(tc, test_printf);
    tcase_add_test(tc, test_cleanups_reverse_at_reset);
    tcase_add_test(tc, test_cleanups_reverse_at_free);
    tcase_add_test(tc, test_cleanup_may_defer_more);
    tcase_add_test(tc, test_arena_free_null);
    tcase_add_test(tc, test_reset_many_cycles);
    tcase_add_test(tc, test_used);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arena_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
