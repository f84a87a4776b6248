/* Unit tests of the GPU exporter's NVML binding against nvml_recorded.so, a stand-in library that
 * answers with an H200's recorded values (GPU 1: each + 1): every value lands in its own field, in
 * base units, a call a GPU does not support leaves only its field NAN, and a sample forks nothing.
 * The real library is exercised on a GPU by tests/device/gpu_check.sh. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../remote-agent/gpu-exporter/source.h"

static char lib[PATH_MAX + 32];

static void setup(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(lib, sizeof(lib), "%s/nvml_recorded.so", exe);
    ck_assert_msg(access(lib, R_OK) == 0, "%s missing: make builds it", lib);
    setenv("AIFB_NVML_LIBRARY", lib, 1);
}

START_TEST(test_every_field_in_its_place)
{
    char why[256];
    struct source *s = source_nvml_open(why, sizeof(why));
    ck_assert_msg(s != NULL, "%s", why);
    ck_assert_str_eq(source_kind(s), "nvml");
    static struct gpu_sample g;
    ck_assert_msg(source_read(s, &g, why, sizeof(why)) == 0, "%s", why);
    ck_assert_uint_eq(g.n, 2);
    for (int i = 0; i < 2; i++) {
        const struct gpu_reading *r = &g.gpu[i];
        ck_assert_int_eq(r->index, i);
        ck_assert_str_eq(r->name, "NVIDIA H200");
        ck_assert(strncmp(r->uuid, "GPU-24ed5512-", 13) == 0);
        ck_assert_double_eq_tol(r->util_ratio, i / 100.0, 1e-12);
        ck_assert_double_eq_tol(r->mem_util_ratio, 2 * i / 100.0, 1e-12);
        ck_assert_double_eq(r->mem_total_bytes, 150754820096.0 + i);
        ck_assert_double_eq(r->mem_used_bytes, 644939776.0 + i);
        ck_assert_double_eq_tol(r->power_watts, (86626.0 + i) / 1000, 1e-9);
        ck_assert_double_eq_tol(r->energy_joules, (2506713.0 + i) / 1000, 1e-9);
        ck_assert_double_eq(r->temp_celsius, 39.0 + i);
        ck_assert_double_eq(r->sm_clock_hz, (900.0 + i) * 1e6);
        ck_assert_double_eq(r->mem_clock_hz, (3201.0 + i) * 1e6);
    }
    ck_assert_double_eq(g.gpu[0].clock_events, 1);
    ck_assert(isnan(g.gpu[1].clock_events)); /* NOT_SUPPORTED there: that field only */
    source_close(s);
}
END_TEST

START_TEST(test_missing_library)
{
    char why[256];
    setenv("AIFB_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    ck_assert_ptr_null(source_nvml_open(why, sizeof(why)));
    ck_assert_msg(strstr(why, "cannot load /nonexistent/libnvidia-ml.so.1") != NULL, "%s", why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu-exporter_nvml");
    TCase *tc = tcase_create("nvml");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_every_field_in_its_place);
    tcase_add_test(tc, test_missing_library);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
