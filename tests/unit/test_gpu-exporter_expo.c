/* Unit tests of aifb-gpu-exporter's exposition (aifb names in base units, dcgm-exporter's names and
 * units, NAN fields left out, label escaping, the exporter's own series, no sample yet), of the
 * Pushgateway group URL (plain and @base64 segments) and of --listen's HOST:PORT. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/gpu-exporter/expo.h"
#include "../../remote-agent/gpu-exporter/pushgw.h"
#include "../../remote-agent/gpu-exporter/serve.h"

static struct gpu_sample s;
static struct buf out;

/* One H200 as the NVML recording's first row gives it, in base units. */
static void one_gpu(void)
{
    memset(&s, 0, sizeof(s));
    s.n = 1;
    struct gpu_reading *r = &s.gpu[0];
    gpu_reading_clear(r);
    r->index = 0;
    snprintf(r->name, sizeof(r->name), "NVIDIA H200");
    snprintf(r->uuid, sizeof(r->uuid), "GPU-24ed5512");
    r->util_ratio = 0.29;
    r->mem_util_ratio = 0.23;
    r->mem_used_bytes = 644939776;
    r->mem_total_bytes = 150754820096;
    r->power_watts = 86626 / 1000.0;
    r->energy_joules = 2506713 / 1000.0;
    r->temp_celsius = 39;
    r->sm_clock_hz = 900e6;
    r->mem_clock_hz = 3201e6;
    r->clock_events = 4;
    buf_init(&out, 1 << 20);
}

static void teardown(void)
{
    buf_free(&out);
}

static const struct expo_labels labels = {.host = "n1", .slurm_job_id = "42", .replay = false};
static const struct expo_stats stats = {.samples = 7, .errors = 1, .last_sample_seconds = 0.004, .source = "nvml"};

#define L "{gpu=\"0\",uuid=\"GPU-24ed5512\",name=\"NVIDIA H200\",host=\"n1\",slurm_job_id=\"42\"} "

static void has(const char *line)
{
    ck_assert_msg(strstr(buf_cstr(&out), line), "no '%s' in:\n%s", line, buf_cstr(&out));
}

START_TEST(test_aifb_names)
{
    ck_assert_int_eq(expo_write(&out, &s, &labels, &stats, false), 0);
    has("# TYPE aifb_gpu_utilization_ratio gauge\naifb_gpu_utilization_ratio" L "0.29\n");
    has("aifb_gpu_memory_utilization_ratio" L "0.23\n");
    has("aifb_gpu_memory_used_bytes" L "644939776\n");
    has("aifb_gpu_memory_total_bytes" L "150754820096\n");
    has("aifb_gpu_power_watts" L "86.626\n");
    has("# TYPE aifb_gpu_energy_joules_total counter\naifb_gpu_energy_joules_total" L "2506.713\n");
    has("aifb_gpu_temperature_celsius" L "39\n");
    has("aifb_gpu_sm_clock_hertz" L "900000000\n");
    has("aifb_gpu_memory_clock_hertz" L "3201000000\n");
    has("aifb_gpu_clock_event_reasons" L "4\n");
    has("# TYPE aifb_gpu_exporter_samples_total counter\n"
        "aifb_gpu_exporter_samples_total{host=\"n1\",slurm_job_id=\"42\"} 7\n");
    has("aifb_gpu_exporter_sample_errors_total{host=\"n1\",slurm_job_id=\"42\"} 1\n");
    has("aifb_gpu_exporter_last_sample_seconds{host=\"n1\",slurm_job_id=\"42\"} 0.004\n");
    has("aifb_gpu_exporter_info{source=\"nvml\",host=\"n1\",slurm_job_id=\"42\"} 1\n");
    ck_assert_ptr_null(strstr(out.data, "replay=\""));
}
END_TEST

START_TEST(test_dcgm_names)
{
    ck_assert_int_eq(expo_write(&out, &s, &labels, &stats, true), 0);
#define D "{gpu=\"0\",UUID=\"GPU-24ed5512\",modelName=\"NVIDIA H200\",Hostname=\"n1\",slurm_job_id=\"42\"} "
    has("DCGM_FI_DEV_GPU_UTIL" D "29\n"); /* 0.29 * 100 is 28.999999999999996 in binary */
    has("DCGM_FI_DEV_MEM_COPY_UTIL" D "23\n");
    has("DCGM_FI_DEV_FB_USED" D "615.0625\n");
    has("DCGM_FI_DEV_FB_TOTAL" D "143771\n");
    has("DCGM_FI_DEV_FB_FREE" D "143155.9375\n");
    has("DCGM_FI_DEV_POWER_USAGE" D "86.626\n");
    has("# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\nDCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" D "2506713\n");
    has("DCGM_FI_DEV_GPU_TEMP" D "39\n");
    has("DCGM_FI_DEV_SM_CLOCK" D "900\n");
    has("DCGM_FI_DEV_MEM_CLOCK" D "3201\n");
    has("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" D "4\n");
#undef D
    has("aifb_gpu_exporter_samples_total{host=\"n1\",slurm_job_id=\"42\"} 7\n");
    ck_assert_ptr_null(strstr(out.data, "aifb_gpu_power"));
}
END_TEST

START_TEST(test_nan_left_out)
{
    s.gpu[0].energy_joules = NAN;
    s.gpu[0].clock_events = NAN;
    s.n = 2;
    s.gpu[1] = s.gpu[0];
    s.gpu[1].index = 1;
    s.gpu[1].power_watts = NAN;
    struct expo_stats st = stats;
    st.last_sample_seconds = NAN;
    ck_assert_int_eq(expo_write(&out, &s, &labels, &st, false), 0);
    ck_assert_ptr_null(strstr(out.data, "energy"));
    ck_assert_ptr_null(strstr(out.data, "clock_event_reasons"));
    ck_assert_ptr_null(strstr(out.data, "last_sample_seconds"));
    has("aifb_gpu_power_watts" L "86.626\n# HELP"); /* GPU 1's power is left out, not written as 0 */
    has("aifb_gpu_temperature_celsius{gpu=\"1\",");
    const char *p = strstr(out.data, "# HELP aifb_gpu_power_watts");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(strstr(p + 1, "# HELP aifb_gpu_power_watts")); /* one HELP per family */
}
END_TEST

START_TEST(test_escaping_and_replay)
{
    snprintf(s.gpu[0].name, sizeof(s.gpu[0].name), "a\"b\\c\nd");
    struct expo_labels l = {.host = "h", .slurm_job_id = "", .replay = true};
    struct expo_stats st = stats;
    st.source = "replay";
    ck_assert_int_eq(expo_write(&out, &s, &l, &st, false), 0);
    has("aifb_gpu_power_watts{gpu=\"0\",uuid=\"GPU-24ed5512\",name=\"a\\\"b\\\\c\\nd\",host=\"h\",slurm_job_id=\"\","
        "replay=\"true\"} 86.626\n");
    has("aifb_gpu_exporter_info{source=\"replay\",host=\"h\",slurm_job_id=\"\",replay=\"true\"} 1\n");
}
END_TEST

START_TEST(test_no_sample_yet)
{
    ck_assert_int_eq(expo_write(&out, NULL, &labels, &stats, false), 0);
    ck_assert_ptr_null(strstr(out.data, "aifb_gpu_power"));
    has("aifb_gpu_exporter_info{source=\"nvml\",");
    s.n = 0;
    buf_clear(&out);
    ck_assert_int_eq(expo_write(&out, &s, &labels, &stats, true), 0);
    ck_assert_ptr_null(strstr(out.data, "DCGM"));
}
END_TEST

START_TEST(test_overflow)
{
    struct buf small;
    buf_init(&small, 100);
    ck_assert_int_eq(expo_write(&small, &s, &labels, &stats, false), -1);
    buf_free(&small);
}
END_TEST

START_TEST(test_group_url)
{
    char u[512];
    ck_assert_int_eq(pushgw_group_url(u, sizeof(u), "http://pg:9091/", "n1", "123"), 0);
    ck_assert_str_eq(u, "http://pg:9091/metrics/job/aifb-gpu-exporter/host/n1/slurm_job_id/123");
    ck_assert_int_eq(pushgw_group_url(u, sizeof(u), "http://pg:9091", "n1", ""), 0);
    ck_assert_str_eq(u, "http://pg:9091/metrics/job/aifb-gpu-exporter/host/n1/slurm_job_id/none");
    ck_assert_int_eq(pushgw_group_url(u, sizeof(u), "http://pg", "a b", "12/3"), 0);
    /* base64url of "a b" and "12/3", as the Pushgateway's @base64 segments want them */
    ck_assert_str_eq(u, "http://pg/metrics/job/aifb-gpu-exporter/host@base64/YSBi/slurm_job_id@base64/MTIvMw==");
    ck_assert_int_eq(pushgw_group_url(u, 40, "http://pg", "n1", "1"), -1);
}
END_TEST

START_TEST(test_parse_listen)
{
    char h[64];
    int port = -1;
    ck_assert_int_eq(serve_parse_listen("127.0.0.1:0", h, sizeof(h), &port), 0);
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_int_eq(port, 0);
    ck_assert_int_eq(serve_parse_listen("[::1]:9400", h, sizeof(h), &port), 0);
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(port, 9400);
    ck_assert_int_eq(serve_parse_listen("node-1:65535", h, sizeof(h), &port), 0);
    const char *bad[] = {"127.0.0.1", ":80", "h:", "h:65536", "h:-1", "h:8x", "::1:80", "[]:80", "[::1:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(serve_parse_listen(bad[i], h, sizeof(h), &port) < 0, "accepted %s", bad[i]);
}
END_TEST

static Suite *expo_suite(void)
{
    Suite *su = suite_create("gpu-exporter_expo");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, one_gpu, teardown);
    tcase_add_test(tc, test_aifb_names);
    tcase_add_test(tc, test_dcgm_names);
    tcase_add_test(tc, test_nan_left_out);
    tcase_add_test(tc, test_escaping_and_replay);
    tcase_add_test(tc, test_no_sample_yet);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_group_url);
    tcase_add_test(tc, test_parse_listen);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(expo_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
