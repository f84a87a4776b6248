/* Unit tests of common/buf: append, puts and printf, the hard cap (refused appends set overflow
 * and leave the contents as they were), clear, cstr of an empty buffer, and growth. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

START_TEST(test_append_puts_printf)
{
    struct buf b;
    buf_init(&b, 1024);
    ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
    ck_assert_int_eq(buf_puts(&b, "-def"), 0);
    ck_assert_int_eq(buf_printf(&b, "-%d-%s", 42, "x"), 0);
    ck_assert_uint_eq(b.len, strlen("abc-def-42-x"));
    ck_assert_str_eq(buf_cstr(&b), "abc-def-42-x");
    ck_assert(!b.overflow);
    buf_free(&b);
}
END_TEST

START_TEST(test_append_binary)
{
    struct buf b;
    buf_init(&b, 64);
    ck_assert_int_eq(buf_append(&b, "a\0b", 3), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_mem_eq(b.data, "a\0b", 3);
    ck_assert_int_eq(b.data[3], '\0'); /* kept terminated */
    buf_free(&b);
}
END_TEST

START_TEST(test_append_nothing)
{
    struct buf b;
    buf_init(&b, 16);
    ck_assert_int_eq(buf_append(&b, "", 0), 0);
    ck_assert_int_eq(buf_puts(&b, ""), 0);
    ck_assert_int_eq(buf_printf(&b, "%s", ""), 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_free(&b);
}
END_TEST

START_TEST(test_cap_append_refused)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_puts(&b, "12345"), 0);
    ck_assert_int_eq(buf_puts(&b, "6789"), -1);
    ck_assert(b.overflow);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_str_eq(buf_cstr(&b), "12345");
    /* A smaller append that fits is still taken, up to the cap exactly. */
    ck_assert_int_eq(buf_puts(&b, "678"), 0);
    ck_assert_str_eq(buf_cstr(&b), "12345678");
    ck_assert_int_eq(buf_append(&b, "9", 1), -1);
    ck_assert_str_eq(buf_cstr(&b), "12345678");
    ck_assert(b.overflow);
    buf_free(&b);
}
END_TEST

START_TEST(test_cap_printf_refused)
{
    struct buf b;
    buf_init(&b, 10);
    ck_assert_int_eq(buf_printf(&b, "%s", "abc"), 0);
    ck_assert_int_eq(buf_printf(&b, "%08d", 1), -1);
    ck_assert(b.overflow);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_str_eq(buf_cstr(&b), "abc");
    ck_assert_int_eq(buf_printf(&b, "%07d", 1), 0);
    ck_assert_str_eq(buf_cstr(&b), "abc0000001");
    buf_free(&b);
}
END_TEST

START_TEST(test_cap_zero)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_puts(&b, "x"), -1);
    ck_assert(b.overflow);
    ck_assert_str_eq(buf_cstr(&b), "");
    ck_assert_int_eq(buf_append(&b, "", 0), 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_growth)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    char chunk[100];
    for (int i = 0; i < 1000; i++) {
        memset(chunk, 'a' + i % 26, sizeof(chunk));
        ck_assert_int_eq(buf_append(&b, chunk, sizeof(chunk)), 0);
    }
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_uint_ge(b.cap, b.len + 1);
    for (size_t i = 0; i < b.len; i++)
        ck_assert_int_eq(b.data[i], 'a' + (int)(i / 100) % 26);
    ck_assert_uint_eq(strlen(buf_cstr(&b)), 100000);
    buf_free(&b);
}
END_TEST

START_TEST(test_clear)
{
    struct buf b;
    buf_init(&b, 8);
    buf_puts(&b, "1234567");
    buf_puts(&b, "too long");
    ck_assert(b.overflow);
    const char *data = b.data;
    size_t cap = b.cap;
    buf_clear(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert(!b.overflow);
    ck_assert_str_eq(buf_cstr(&b), "");
    ck_assert_ptr_eq(b.data, data); /* memory kept */
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_int_eq(buf_puts(&b, "again"), 0);
    ck_assert_str_eq(buf_cstr(&b), "again");
    buf_free(&b);
}
END_TEST

START_TEST(test_cstr_empty)
{
    struct buf b;
    buf_init(&b, 100);
    ck_assert_ptr_null(b.data); /* nothing allocated yet */
    const char *s = buf_cstr(&b);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    buf_clear(&b);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_free(&b);
}
END_TEST

START_TEST(test_free_and_reuse)
{
    struct buf b;
    buf_init(&b, 100);
    buf_puts(&b, "first");
    buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_init(&b, 100);
    buf_puts(&b, "second");
    ck_assert_str_eq(buf_cstr(&b), "second");
    buf_free(&b);
}
END_TEST

START_TEST(test_free_cb_with_arena)
{
    /* The arena frees the buffer: a leak would show under LeakSanitizer. */
    struct arena *a = arena_new(256);
    struct buf *b = arena_alloc(a, sizeof(*b));
    buf_init(b, 1 << 16);
    arena_defer(a, buf_free_cb, b);
    buf_printf(b, "%4000d", 1);
    ck_assert_uint_eq(b->len, 4000);
    arena_free(a);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_append_puts_printf);
    tcase_add_test(tc, test_append_binary);
    tcase_add_test(tc, test_append_nothing);
    tcase_add_test(tc, test_cap_append_refused);
    tcase_add_test(tc, test_cap_printf_refused);
    tcase_add_test(tc, test_cap_zero);
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_clear);
    tcase_add_test(tc, test_cstr_empty);
    tcase_add_test(tc, test_free_and_reuse);
    tcase_add_test(tc, test_free_cb_with_arena);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(buf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
