/* Unit tests of aifb-gpu-exporter's replay source: both H200 recordings come back sample by sample in
 * their order with their values, then lap with the energy counter still rising; rows of one time
 * group into one multi-GPU sample; a cut last line is dropped while a bad line inside refuses the
 * file; and a missing file, a folder, an empty file, a header alone and a header of neither format
 * are refused with a why. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../remote-agent/gpu-exporter/source.h"

static char fixtures[PATH_MAX + 64];
static char scratch[PATH_MAX];
static char why[256];
static struct gpu_sample got;

static bool find_above(char *start)
{
    for (char *slash = strrchr(start, '/'); slash; slash = strrchr(start, '/')) {
        snprintf(fixtures, sizeof(fixtures), "%s/tests/unit/fixtures/gpu", start);
        if (access(fixtures, R_OK) == 0)
            return true;
        *slash = '\0';
    }
    return false;
}

static void setup(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    ck_assert_int_gt(n, 0);
    path[n] = '\0';
    if (!find_above(path) && !(getcwd(path, sizeof(path)) && find_above(path)))
        ck_abort_msg("tests/unit/fixtures/gpu not found");
    snprintf(scratch, sizeof(scratch), "/tmp/aifb-replay-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
    why[0] = '\0';
}

static void teardown(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/rec.csv", scratch);
    unlink(path);
    rmdir(scratch);
}

static struct source *open_fixture(const char *name)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/%s", fixtures, name);
    struct source *src = source_replay_open(path, why, sizeof(why));
    ck_assert_msg(src != NULL, "%s", why);
    return src;
}

/* Writes text to a scratch file and opens it as a replay; NULL with why[] when refused. */
static struct source *open_text(const char *text)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/rec.csv", scratch);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return source_replay_open(path, why, sizeof(why));
}

static void next(struct source *src)
{
    ck_assert_msg(source_read(src, &got, why, sizeof(why)) == 0, "%s", why);
}

/* The energy (mJ) column of nvml-load.csv, row by row. */
static const double nvml_energy_mj[] = {2506713, 2594450, 2681396, 2765249,  2849170,  2933067, 3016862, 3100771,
                                        3184588, 3491263, 4183771, 4875586,  5570869,  6262911, 6956913, 7648587,
                                        8342009, 9103656, 9794893, 10487354, 11178385, 11870490};

START_TEST(test_nvml_recording_in_order)
{
    struct source *src = open_fixture("nvml-load.csv");
    ck_assert_str_eq(source_kind(src), "replay");
    ck_assert(source_is_replay(src));
    size_t rows = sizeof(nvml_energy_mj) / sizeof(nvml_energy_mj[0]);
    ck_assert_int_eq(rows, 22);
    for (size_t i = 0; i < rows; i++) {
        next(src);
        ck_assert_int_eq(got.n, 1);
        ck_assert_double_eq(got.gpu[0].energy_joules, nvml_energy_mj[i] / 1000.0);
        ck_assert_str_eq(got.gpu[0].name, "NVIDIA H200");
        if (i == 0) {
            ck_assert_double_eq(got.gpu[0].power_watts, 86.626);
            ck_assert_double_eq(got.gpu[0].mem_used_bytes, 644939776.0);
        }
        if (i == 9) { /* the first second under load */
            ck_assert_double_eq(got.gpu[0].util_ratio, 1.0);
            ck_assert_double_eq(got.gpu[0].power_watts, 305.638);
            ck_assert_double_eq(got.gpu[0].mem_used_bytes, 21705392128.0);
        }
    }
    source_close(src);
}
END_TEST

/* After the last row the first comes again, its energy raised by one lap: the 9363.777 J from the
 * first row to the last plus one mean step (9363.777 / 21), so the counter keeps rising. */
START_TEST(test_nvml_recording_laps)
{
    struct source *src = open_fixture("nvml-load.csv");
    double lap = 9363.777 + 9363.777 / 21, last = -1;
    for (int i = 0; i < 22 * 3; i++) {
        next(src);
        ck_assert_msg(got.gpu[0].energy_joules > last, "sample %d: %f after %f", i, got.gpu[0].energy_joules, last);
        last = got.gpu[0].energy_joules;
        if (i == 22 || i == 44) {
            ck_assert_double_eq_tol(got.gpu[0].energy_joules, 2506.713 + (i / 22) * lap, 1e-6);
            ck_assert_double_eq(got.gpu[0].power_watts, 86.626); /* the rest comes back as recorded */
        }
    }
    ck_assert_double_eq_tol(last, 11870.490 + 2 * lap, 1e-6);
    source_close(src);
}
END_TEST

START_TEST(test_smi_recording)
{
    /* The power.draw column of nvidia-smi-query-load.csv, row by row. */
    static const double power[28] = {86.63,  87.83,  87.24,  83.89,  84.00,  83.93,  83.89,  83.95,  83.86,  305.64,
                                     692.48, 691.67, 695.71, 691.69, 694.46, 691.38, 693.81, 692.33, 691.90, 692.97,
                                     691.50, 692.07, 692.60, 395.15, 134.37, 109.47, 85.52,  84.27};
    struct source *src = open_fixture("nvidia-smi-query-load.csv");
    double before = 0;
    for (int lap = 0; lap < 2; lap++)
        for (int i = 0; i < 28; i++) {
            before = got.taken;
            next(src);
            ck_assert_int_eq(got.n, 1);
            ck_assert_int_eq(got.gpu[0].index, 0);
            ck_assert_msg(got.gpu[0].power_watts == power[i], "sample %d: %f", i, got.gpu[0].power_watts);
            ck_assert(isnan(got.gpu[0].energy_joules)); /* nvidia-smi has none: NAN on every lap */
            ck_assert(got.taken >= before);             /* served now, not at the recorded time */
        }
    ck_assert_double_eq(got.gpu[0].mem_total_bytes, 150754820096.0);
    source_close(src);
}
END_TEST

/* Two GPUs per timestamp, exact (the NVML recorder) or a few ms apart (nvidia-smi); a GPU missing from
 * a query; a GPU index repeating without a timestamp. */
START_TEST(test_grouping)
{
    struct source *src = open_text("t,index,name,uuid,util_gpu,util_mem,mem_total,mem_used,power_mw,temp_c,sm_mhz,"
                                   "mem_mhz,energy_mj\n"
                                   "1.0,0,A,GPU-a,10,0,100,50,1000,30,1,1,1000\n"
                                   "1.0,1,A,GPU-b,20,0,100,50,2000,31,1,1,5000\n"
                                   "\n"
                                   "2.0,0,A,GPU-a,30,0,100,50,3000,32,1,1,2000\n"
                                   "2.0,1,A,GPU-b,40,0,100,50,4000,33,1,1,7000\r\n");
    ck_assert_msg(src != NULL, "%s", why);
    next(src);
    ck_assert_int_eq(got.n, 2);
    ck_assert_str_eq(got.gpu[1].uuid, "GPU-b");
    ck_assert_double_eq(got.gpu[1].power_watts, 2.0);
    next(src);
    ck_assert_int_eq(got.n, 2);
    ck_assert_double_eq(got.gpu[0].util_ratio, 0.3);
    next(src); /* lap: each GPU's own energy step (1 J then 2 J) times two */
    ck_assert_double_eq(got.gpu[0].energy_joules, 1.0 + 2 * 1.0);
    ck_assert_double_eq(got.gpu[1].energy_joules, 5.0 + 2 * 2.0);
    source_close(src);

    /* nvidia-smi stamps each GPU's row as it reads it: a few ms apart is one sample. */
    src = open_text("timestamp, index, power.draw [W]\n"
                    "2026/11/27 03:57:28.289, 0, 1\n2026/11/27 03:57:28.295, 1, 2\n"
                    "2026/11/27 03:57:29.301, 0, 3\n2026/11/27 03:57:29.304, 1, 4\n"
                    "2026/11/27 03:57:30.310, 1, 5\n"   /* GPU 0 missing from this query */
                    "2026/11/27 03:57:31.320, 0, 6\n"); /* nor GPU 1 from this one */
    ck_assert_msg(src != NULL, "%s", why);
    for (int i = 0; i < 2; i++) {
        next(src);
        ck_assert_int_eq(got.n, 2);
        ck_assert_double_eq(got.gpu[1].power_watts, 2 + 2 * i);
    }
    next(src);
    ck_assert_int_eq(got.n, 1);
    ck_assert_int_eq(got.gpu[0].index, 1);
    next(src);
    ck_assert_int_eq(got.n, 1);
    ck_assert_int_eq(got.gpu[0].index, 0);
    source_close(src);

    /* Without a timestamp a GPU seen twice starts the next sample. */
    src = open_text("index, power.draw [W]\n0, 1\n1, 2\n0, 3\n1, 4\n0, 5\n");
    ck_assert_msg(src != NULL, "%s", why);
    next(src);
    ck_assert_int_eq(got.n, 2);
    next(src);
    ck_assert_int_eq(got.n, 2);
    ck_assert_double_eq(got.gpu[1].power_watts, 4);
    next(src);
    ck_assert_int_eq(got.n, 1);
    source_close(src);
}
END_TEST

/* A recorder stopped mid-line leaves a cut last line: dropped. The same line inside the file is not. */
START_TEST(test_cut_lines)
{
    const char *head = "timestamp, index, power.draw [W]\n"
                       "2026/11/27 03:57:28.289, 0, 86.63\n"
                       "2026/11/27 03:57:29.302, 0, 87.83\n";
    char text[512];
    snprintf(text, sizeof(text), "%s2026/11/27 03:57:3", head);
    struct source *src = open_text(text);
    ck_assert_msg(src != NULL, "%s", why);
    next(src);
    next(src);
    next(src);
    ck_assert_double_eq(got.gpu[0].power_watts, 86.63); /* two samples, then the first again */
    source_close(src);

    snprintf(text, sizeof(text), "%s2026/11/27 03:57:3\n2026/11/27 03:57:30.306, 0, 87.24\n", head);
    ck_assert_ptr_null(open_text(text));
    ck_assert_msg(strstr(why, "line 4") != NULL, "%s", why);
}
END_TEST

START_TEST(test_refused_files)
{
    ck_assert_ptr_null(source_replay_open("/nonexistent/rec.csv", why, sizeof(why)));
    ck_assert_msg(strstr(why, "No such file") != NULL, "%s", why);
    ck_assert_ptr_null(source_replay_open(scratch, why, sizeof(why)));
    ck_assert_msg(strstr(why, "not a regular file") != NULL, "%s", why);
    ck_assert_ptr_null(open_text(""));
    ck_assert_msg(strstr(why, "no sample") != NULL, "%s", why);
    ck_assert_ptr_null(open_text("t,index,name,uuid,util_gpu,util_mem,mem_total,mem_used,power_mw,temp_c,sm_mhz,"
                                 "mem_mhz,energy_mj\n\n"));
    ck_assert_msg(strstr(why, "no sample") != NULL, "%s", why);
    ck_assert_ptr_null(open_text("hello, world\n1, 2\n"));
    ck_assert_msg(strstr(why, "line 1: the header is neither") != NULL, "%s", why);
    ck_assert_ptr_null(open_text("\n\nhello, world\n"));
    ck_assert_msg(strstr(why, "line 3: the header is neither") != NULL, "%s", why);
    ck_assert_ptr_null(open_text("\x89PNG\r\n\x1a\n\x01\x02"));
    ck_assert(why[0] != '\0');
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("gpu-exporter_replay");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nvml_recording_in_order);
    tcase_add_test(tc, test_nvml_recording_laps);
    tcase_add_test(tc, test_smi_recording);
    tcase_add_test(tc, test_grouping);
    tcase_add_test(tc, test_cut_lines);
    tcase_add_test(tc, test_refused_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(replay_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
