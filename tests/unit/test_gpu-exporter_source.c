/* Unit tests of aifb-gpu-exporter's live sources: an empty reading is all NAN; NVML either loads (on a
 * GPU node: a real sample) or is refused with a why naming libnvidia-ml.so.1; and nvidia-smi, played
 * by small shell scripts: a two-GPU answer with units converted, the argv the source passes, the
 * fallback to the old "throttle" field name, and a missing program, a failing one (its message kept),
 * one that lists nothing, one that prints garbage and one that hangs (killed at the deadline). */
#include <check.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../remote-agent/gpu-exporter/source.h"

#define UUID "GPU-24ed5512-1c52-cc5f-1ef3-80a906fc33ae"
#define FIELDS                                                                                                         \
    "index,name,uuid,utilization.gpu,utilization.memory,memory.total,memory.used,power.draw,temperature.gpu,"          \
    "clocks.current.sm,clocks.current.memory,"
/* Two GPUs as nvidia-smi --format=csv,noheader,nounits prints them. */
#define TWO_GPUS                                                                                                       \
    "printf '%s\\n' '0, NVIDIA H200, " UUID ", 100, 23, 143771, 20085, 305.64, 54, 1515, 3201, 0x0000000000000004' "   \
    "'1, NVIDIA H200, GPU-2, 0, 0, 143771, 0, 86.63, 39, 345, 3201, 0x0000000000000001'\n"

static char dir[PATH_MAX];
static char program[PATH_MAX + 32];
static char why[256];
static struct gpu_sample got;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aifb-smi-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(program, sizeof(program), "%s/nvidia-smi", dir);
    why[0] = '\0';
}

static void teardown(void)
{
    unlink(program);
    rmdir(dir);
}

/* Installs a fake nvidia-smi whose body is script (sh, with "$1" the query and "$2" the format). */
static void fake(const char *script)
{
    FILE *f = fopen(program, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s", script);
    fclose(f);
    ck_assert_int_eq(chmod(program, 0755), 0);
}

START_TEST(test_reading_clear)
{
    struct gpu_reading r;
    memset(&r, 0x5a, sizeof(r));
    gpu_reading_clear(&r);
    ck_assert_int_eq(r.index, -1);
    ck_assert_str_eq(r.name, "");
    ck_assert_str_eq(r.uuid, "");
    const double *v[] = {&r.util_ratio,    &r.mem_util_ratio, &r.mem_used_bytes, &r.mem_total_bytes, &r.power_watts,
                         &r.energy_joules, &r.temp_celsius,   &r.sm_clock_hz,    &r.mem_clock_hz,    &r.clock_events};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert_msg(isnan(*v[i]), "field %zu", i);
}
END_TEST

/* Without a driver the library is missing and the why says so; with one, a real sample. */
START_TEST(test_nvml)
{
    void *dl = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    struct source *src = source_nvml_open(why, sizeof(why));
    if (!dl) {
        ck_assert_ptr_null(src);
        ck_assert_msg(strstr(why, "libnvidia-ml.so.1") != NULL, "%s", why);
        return;
    }
    dlclose(dl);
    if (!src) {
        ck_assert_msg(strstr(why, "NVML") != NULL, "%s", why); /* a driver without a usable GPU */
        return;
    }
    ck_assert_str_eq(source_kind(src), "nvml");
    ck_assert(!source_is_replay(src));
    ck_assert_msg(source_read(src, &got, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_ge(got.n, 1);
    ck_assert_str_ne(got.gpu[0].name, "");
    ck_assert_msg(strncmp(got.gpu[0].uuid, "GPU-", 4) == 0 || strncmp(got.gpu[0].uuid, "MIG-", 4) == 0, "%s",
                  got.gpu[0].uuid);
    ck_assert_double_gt(got.gpu[0].mem_total_bytes, 0);
    ck_assert(!(got.gpu[0].mem_used_bytes > got.gpu[0].mem_total_bytes));
    ck_assert(!(got.gpu[0].util_ratio < 0 || got.gpu[0].util_ratio > 1));
    source_close(src);
}
END_TEST

START_TEST(test_smi_two_gpus)
{
    fake("[ \"$1\" = '--query-gpu=" FIELDS "clocks_event_reasons.active' ] || { echo \"bad query $1\"; exit 2; }\n"
         "[ \"$2\" = '--format=csv,noheader,nounits' ] || { echo \"bad format $2\"; exit 2; }\n" TWO_GPUS);
    struct source *src = source_smi_open(program, why, sizeof(why));
    ck_assert_msg(src != NULL, "%s", why);
    ck_assert_str_eq(source_kind(src), "nvidia-smi");
    ck_assert(!source_is_replay(src));
    double before = (double)time(NULL);
    ck_assert_msg(source_read(src, &got, why, sizeof(why)) == 0, "%s", why);
    ck_assert_double_ge(got.taken, before);
    ck_assert_int_eq(got.n, 2);
    ck_assert_str_eq(got.gpu[0].uuid, UUID);
    ck_assert_double_eq(got.gpu[0].util_ratio, 1.0);
    ck_assert_double_eq(got.gpu[0].mem_util_ratio, 0.23);
    ck_assert_double_eq(got.gpu[0].mem_used_bytes, 21060648960.0);
    ck_assert_double_eq(got.gpu[0].mem_total_bytes, 150754820096.0);
    ck_assert_double_eq(got.gpu[0].power_watts, 305.64);
    ck_assert_double_eq(got.gpu[0].sm_clock_hz, 1515e6);
    ck_assert_double_eq(got.gpu[0].clock_events, 4);
    ck_assert(isnan(got.gpu[0].energy_joules));
    ck_assert_int_eq(got.gpu[1].index, 1);
    ck_assert_double_eq(got.gpu[1].power_watts, 86.63);
    source_close(src);
}
END_TEST

/* A driver before 535 refuses the query for a field it does not know; the old name works. */
START_TEST(test_smi_throttle_fallback)
{
    fake("case \"$1\" in *clocks_event_reasons*) echo 'Field \"clocks_event_reasons.active\" is not a valid field "
         "to query.'; exit 2;; esac\n" TWO_GPUS);
    struct source *src = source_smi_open(program, why, sizeof(why));
    ck_assert_msg(src != NULL, "%s", why);
    ck_assert_msg(source_read(src, &got, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(got.n, 2);
    ck_assert_double_eq(got.gpu[1].clock_events, 1);
    source_close(src);
}
END_TEST

START_TEST(test_smi_missing)
{
    ck_assert_ptr_null(source_smi_open("/nonexistent/nvidia-smi", why, sizeof(why)));
    ck_assert_msg(strstr(why, "/nonexistent/nvidia-smi: cannot run it: No such file") != NULL, "%s", why);
}
END_TEST

START_TEST(test_smi_refused)
{
    fake("echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9\n");
    ck_assert_ptr_null(source_smi_open(program, why, sizeof(why)));
    ck_assert_msg(strstr(why, "exit status 9: NVIDIA-SMI has failed") != NULL, "%s", why);
    fake("exit 0\n");
    ck_assert_ptr_null(source_smi_open(program, why, sizeof(why)));
    ck_assert_msg(strstr(why, "lists no GPU") != NULL, "%s", why);
    fake("echo '0, NVIDIA H200, GPU-1, 1, 2'\n");
    ck_assert_ptr_null(source_smi_open(program, why, sizeof(why)));
    ck_assert_msg(strstr(why, "line 1: 5 fields") != NULL, "%s", why);
    fake("printf '\\001\\377garbage\\n'\n");
    ck_assert_ptr_null(source_smi_open(program, why, sizeof(why)));
    ck_assert_msg(strstr(why, "line 1") != NULL, "%s", why);
}
END_TEST

/* A source that worked and then breaks fails the sample, not the process. */
START_TEST(test_smi_read_fails_later)
{
    fake(TWO_GPUS);
    struct source *src = source_smi_open(program, why, sizeof(why));
    ck_assert_msg(src != NULL, "%s", why);
    fake("echo 'Unable to determine the device handle for GPU0000:00:06.0: Unknown Error'; exit 15\n");
    ck_assert_int_eq(source_read(src, &got, why, sizeof(why)), -1);
    ck_assert_int_eq(got.n, 0);
    ck_assert_msg(strstr(why, "exit status 15: Unable to determine") != NULL, "%s", why);
    source_close(src);
}
END_TEST

START_TEST(test_smi_hangs)
{
    fake("exec sleep 30\n");
    double start = (double)time(NULL);
    ck_assert_ptr_null(source_smi_open(program, why, sizeof(why)));
    ck_assert_msg(strstr(why, "no answer within 5 s") != NULL, "%s", why);
    ck_assert_double_lt((double)time(NULL) - start, 9);
}
END_TEST

static Suite *source_suite(void)
{
    Suite *s = suite_create("gpu-exporter_source");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20); /* the hung nvidia-smi takes its 5 s deadline */
    tcase_add_test(tc, test_reading_clear);
    tcase_add_test(tc, test_nvml);
    tcase_add_test(tc, test_smi_two_gpus);
    tcase_add_test(tc, test_smi_throttle_fallback);
    tcase_add_test(tc, test_smi_missing);
    tcase_add_test(tc, test_smi_refused);
    tcase_add_test(tc, test_smi_read_fails_later);
    tcase_add_test(tc, test_smi_hangs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(source_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
