/* Unit tests of aifb-gpu-exporter's CSV parsers: the nvidia-smi header and lines (the H200 fixture with
 * header and units, our own header without them, values that carry their unit, the spellings of a
 * missing value, hex bitmasks, the timestamp) and the NVML recording's rows, with exact values and
 * units converted; both formats agree on the same moment but for NVML's driver-reserved memory; and
 * truncated lines, missing fields, garbage bytes, empty lines and bad headers are refused. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../remote-agent/gpu-exporter/source.h"

#define FIXTURE_HEADER                                                                                                 \
    "timestamp, index, name, uuid, pci.bus_id, driver_version, pstate, temperature.gpu, temperature.memory, "          \
    "utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], memory.free [MiB], "          \
    "power.draw [W], power.limit [W], clocks.current.sm [MHz], clocks.current.memory [MHz], "                          \
    "clocks.current.graphics [MHz], clocks.max.sm [MHz], fan.speed [%], ecc.errors.uncorrected.volatile.total, "       \
    "clocks_event_reasons.active, enforced.power.limit [W]\n"
#define UUID "GPU-24ed5512-1c52-cc5f-1ef3-80a906fc33ae"
#define ROW_PREFIX "0, NVIDIA H200, " UUID ", 00000000:00:06.0, 580.159.04, P0, "
/* Lines 2 (idle) and 11 (under load) of nvidia-smi-query-load.csv. */
#define SMI_IDLE                                                                                                       \
    "2026/11/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, 0, 143156, 86.63, 700.00, 900, 3201, 900, 1980, "    \
    "[N/A], 0, 0x0000000000000001, 700.00\n"
#define SMI_LOAD                                                                                                       \
    "2026/11/27 03:57:37.338, " ROW_PREFIX "54, 45, 100, 23, 143771, 20085, 123072, 305.64, 700.00, 1515, 3201, "      \
    "1515, 1980, [N/A], 0, 0x0000000000000004, 700.00\n"
/* Lines 2 and 11 of nvml-load.csv: the same two moments. */
#define NVML_IDLE "25.516,0,NVIDIA H200," UUID ",0,0,150754820096,644939776,86626,39,900,3201,2506713\n"
#define NVML_LOAD "34.553,0,NVIDIA H200," UUID ",100,23,150754820096,21705392128,305638,54,1515,3201,3491263\n"
#define MIB 1048576.0

static struct smi_header *fixture;
static struct gpu_reading r;
static char why[256];

static void setup(void)
{
    /* nvidia-smi prints local time; the tests pin the zone to check one exact epoch. */
    setenv("TZ", "UTC", 1);
    tzset();
    fixture = smi_header_parse(FIXTURE_HEADER, why, sizeof(why));
    ck_assert_msg(fixture != NULL, "%s", why);
    why[0] = '\0';
}

static void teardown(void)
{
    smi_header_free(fixture);
}

static void assert_refused(int rc)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(why[0] != '\0', "a refusal says why");
    ck_assert_int_eq(r.index, -1); /* nothing half-filled */
    ck_assert(isnan(r.power_watts));
}

START_TEST(test_smi_fixture_idle)
{
    double t = 0;
    ck_assert_int_eq(smi_line_parse(fixture, SMI_IDLE, &r, &t, why, sizeof(why)), 0);
    ck_assert_double_eq_tol(t, 1795751848.289, 1e-6); /* 2026-11-27T03:57:28.289Z */
    ck_assert_int_eq(r.index, 0);
    ck_assert_str_eq(r.name, "NVIDIA H200");
    ck_assert_str_eq(r.uuid, UUID);
    ck_assert_double_eq(r.util_ratio, 0);
    ck_assert_double_eq(r.mem_util_ratio, 0);
    ck_assert_double_eq(r.mem_total_bytes, 150754820096.0); /* 143771 MiB */
    ck_assert_double_eq(r.mem_used_bytes, 0);
    ck_assert_double_eq(r.power_watts, 86.63);
    ck_assert_double_eq(r.temp_celsius, 39);
    ck_assert_double_eq(r.sm_clock_hz, 900e6);
    ck_assert_double_eq(r.mem_clock_hz, 3201e6);
    ck_assert_double_eq(r.clock_events, 1); /* GPU idle */
    ck_assert(isnan(r.energy_joules));      /* nvidia-smi has no energy field */
}
END_TEST

START_TEST(test_smi_fixture_load)
{
    double t = 0;
    ck_assert_int_eq(smi_line_parse(fixture, SMI_LOAD, &r, &t, why, sizeof(why)), 0);
    ck_assert_double_eq_tol(t, 1795751857.338, 1e-6);
    ck_assert_double_eq(r.util_ratio, 1.0);
    ck_assert_double_eq(r.mem_util_ratio, 0.23);
    ck_assert_double_eq(r.mem_used_bytes, 21060648960.0); /* 20085 MiB */
    ck_assert_double_eq(r.power_watts, 305.64);
    ck_assert_double_eq(r.temp_celsius, 54);
    ck_assert_double_eq(r.sm_clock_hz, 1515e6);
    ck_assert_double_eq(r.clock_events, 4); /* SW power cap */
}
END_TEST

START_TEST(test_nvml_fixture)
{
    double t = 0;
    ck_assert_int_eq(nvml_csv_line_parse(NVML_IDLE, &r, &t, why, sizeof(why)), 0);
    ck_assert_double_eq(t, 25.516);
    ck_assert_int_eq(r.index, 0);
    ck_assert_str_eq(r.name, "NVIDIA H200");
    ck_assert_str_eq(r.uuid, UUID);
    ck_assert_double_eq(r.util_ratio, 0);
    ck_assert_double_eq(r.mem_total_bytes, 150754820096.0);
    ck_assert_double_eq(r.mem_used_bytes, 644939776.0);
    ck_assert_double_eq(r.power_watts, 86.626);
    ck_assert_double_eq(r.temp_celsius, 39);
    ck_assert_double_eq(r.sm_clock_hz, 900e6);
    ck_assert_double_eq(r.mem_clock_hz, 3201e6);
    ck_assert_double_eq(r.energy_joules, 2506.713);
    ck_assert(isnan(r.clock_events)); /* not in the format */
    ck_assert_int_eq(nvml_csv_line_parse(NVML_LOAD, &r, &t, why, sizeof(why)), 0);
    ck_assert_double_eq(r.util_ratio, 1.0);
    ck_assert_double_eq(r.mem_util_ratio, 0.23);
    ck_assert_double_eq(r.power_watts, 305.638);
    ck_assert_double_eq(r.energy_joules, 3491.263);
}
END_TEST

/* The same moment through both tools: the same GPU, total and load, power within nvidia-smi's
 * rounding, and "used" apart by what the driver reserves (NVML counts it, nvidia-smi does not). */
START_TEST(test_formats_agree)
{
    struct gpu_reading s;
    const char *smi[] = {SMI_IDLE, SMI_LOAD}, *nvml[] = {NVML_IDLE, NVML_LOAD};
    double reserved[] = {644939776.0, 21705392128.0 - 20085 * MIB};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(smi_line_parse(fixture, smi[i], &s, NULL, why, sizeof(why)), 0);
        ck_assert_int_eq(nvml_csv_line_parse(nvml[i], &r, NULL, why, sizeof(why)), 0);
        ck_assert_str_eq(s.uuid, r.uuid);
        ck_assert_double_eq(s.mem_total_bytes, r.mem_total_bytes);
        ck_assert_double_eq(s.util_ratio, r.util_ratio);
        ck_assert_double_eq(s.mem_util_ratio, r.mem_util_ratio);
        ck_assert_double_eq(s.temp_celsius, r.temp_celsius);
        ck_assert_double_eq(s.sm_clock_hz, r.sm_clock_hz);
        ck_assert_double_eq_tol(s.power_watts, r.power_watts, 0.005);
        ck_assert_double_eq(r.mem_used_bytes - s.mem_used_bytes, reserved[i]);
    }
    ck_assert_double_eq(reserved[1], 644743168.0); /* about 615 MiB either way */
}
END_TEST

START_TEST(test_not_available)
{
    const char *spellings[] = {"[N/A]", "N/A", "[Not Supported]", "Not Supported", "[Unknown Error]"};
    struct smi_header *h =
        smi_header_parse("index, power.draw [W], clocks_event_reasons.active, name", why, sizeof(why));
    ck_assert_ptr_nonnull(h);
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "3, %s, %s, %s", spellings[i], spellings[i], spellings[i]);
        ck_assert_msg(smi_line_parse(h, line, &r, NULL, why, sizeof(why)) == 0, "%s: %s", spellings[i], why);
        ck_assert_int_eq(r.index, 3);
        ck_assert(isnan(r.power_watts));
        ck_assert(isnan(r.clock_events));
        ck_assert_str_eq(r.name, "");
    }
    smi_header_free(h);
    ck_assert_int_eq(nvml_csv_line_parse("1.5,1,A,GPU-x,[N/A],N/A,1,2,[Not Supported],40,1,2,Not Supported", &r, NULL,
                                         why, sizeof(why)),
                     0);
    ck_assert(isnan(r.util_ratio) && isnan(r.mem_util_ratio) && isnan(r.power_watts) && isnan(r.energy_joules));
    ck_assert_double_eq(r.temp_celsius, 40);
}
END_TEST

/* `--format=csv` without nounits: each value carries its unit, which must be the header's. */
START_TEST(test_values_with_units)
{
    struct smi_header *h = smi_header_parse(
        "index, power.draw [W], memory.used [MiB], utilization.gpu [%], clocks.sm [MHz], temperature.gpu", why,
        sizeof(why));
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(smi_line_parse(h, "1, 86.63 W, 20085 MiB, 23 %, 1515 MHz, 54\r\n", &r, NULL, why, sizeof(why)), 0);
    ck_assert_int_eq(r.index, 1);
    ck_assert_double_eq(r.power_watts, 86.63);
    ck_assert_double_eq(r.mem_used_bytes, 20085 * MIB);
    ck_assert_double_eq(r.util_ratio, 0.23);
    ck_assert_double_eq(r.sm_clock_hz, 1515e6);
    ck_assert_double_eq(r.temp_celsius, 54);
    assert_refused(smi_line_parse(h, "1, 86.63 MiB, 20085 MiB, 23 %, 1515 MHz, 54", &r, NULL, why, sizeof(why)));
    assert_refused(smi_line_parse(h, "1, 86.63W, 20085 MiB, 23 %, 1515 MHz, 54", &r, NULL, why, sizeof(why)));
    smi_header_free(h);
}
END_TEST

/* The header the live source builds: names only, units implied by the field, throttle alias. */
START_TEST(test_header_without_units)
{
    struct smi_header *h = smi_header_parse("index,name,uuid,utilization.gpu,memory.total,power.draw,"
                                            "clocks.current.memory,clocks_throttle_reasons.active",
                                            why, sizeof(why));
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(smi_line_parse(h, "7, NVIDIA H200, " UUID ", 99, 143771, 691.9, 3201, 0x00000000000000A4", &r,
                                    NULL, why, sizeof(why)),
                     0);
    ck_assert_int_eq(r.index, 7);
    ck_assert_double_eq(r.util_ratio, 0.99);
    ck_assert_double_eq(r.mem_total_bytes, 150754820096.0);
    ck_assert_double_eq(r.power_watts, 691.9);
    ck_assert_double_eq(r.mem_clock_hz, 3201e6);
    ck_assert_double_eq(r.clock_events, 0xa4);
    smi_header_free(h);
}
END_TEST

START_TEST(test_bad_headers)
{
    const char *bad[] = {
        "",                          /* empty */
        "\n",                        /* empty line */
        "foo, bar [W]",              /* nothing the exporter reads */
        "index, memory.used [GiB]",  /* a unit nvidia-smi does not give that field */
        "index, , power.draw",       /* a field without a name */
        "index, [W]",                /* a unit without a name */
        "index, power.draw \x01[W]", /* a control byte */
        "index, na\xffme",           /* not ASCII */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        ck_assert_msg(smi_header_parse(bad[i], why, sizeof(why)) == NULL, "header %zu accepted", i);
        ck_assert_msg(why[0] != '\0', "header %zu: no why", i);
    }
    char many[2048] = "index";
    for (int i = 0; i < 100; i++)
        strncat(many, ",x", sizeof(many) - strlen(many) - 1);
    ck_assert_ptr_null(smi_header_parse(many, why, sizeof(why)));
}
END_TEST

START_TEST(test_smi_refusals)
{
    char cut[128], missing[512];
    memcpy(cut, SMI_IDLE, 100); /* a line cut inside its uuid */
    cut[100] = '\0';
    /* The fixture line without its power.draw field. */
    snprintf(missing, sizeof(missing), "%s", SMI_IDLE);
    char *power = strstr(missing, "86.63, ");
    memmove(power, power + 7, strlen(power + 7) + 1);
    const char *bad[] = {
        cut,
        missing,
        "",
        "\n",
        "\r\n",
        "\x01\x02\x03\xfe\xff",
        "2026/11/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, 0, 143156, 86.63, 700.00, 900, 3201, 900, 1980, "
        "[N/A], 0, 0x0000000000000001, 700.00, extra",
        "2026/11/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, zero, 143156, 86.63, 700.00, 900, 3201, 900, "
        "1980, [N/A], 0, 0x0000000000000001, 700.00",
        "2026/11/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, 0, 143156, inf, 700.00, 900, 3201, 900, "
        "1980, [N/A], 0, 0x0000000000000001, 700.00",
        "2026/11/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, 0, 143156, 86.63, 700.00, 900, 3201, 900, "
        "1980, [N/A], 0, 0xZZ, 700.00",
        "2026/13/27 03:57:28.289, " ROW_PREFIX "39, 42, 0, 0, 143771, 0, 143156, 86.63, 700.00, 900, 3201, 900, "
        "1980, [N/A], 0, 0x1, 700.00",
        "2026/11/27 03:57:28.289, -1, NVIDIA H200, " UUID ", 00000000:00:06.0, 580.159.04, P0, 39, 42, 0, 0, 143771, "
        "0, 143156, 86.63, 700.00, 900, 3201, 900, 1980, [N/A], 0, 0x1, 700.00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        r.index = 5;
        int rc = smi_line_parse(fixture, bad[i], &r, NULL, why, sizeof(why));
        ck_assert_msg(rc == -1, "line %zu accepted", i);
        assert_refused(rc);
    }
}
END_TEST

START_TEST(test_nvml_refusals)
{
    char cut[64];
    memcpy(cut, NVML_IDLE, 40);
    cut[40] = '\0';
    const char *bad[] = {
        cut,
        "25.516,0,NVIDIA H200," UUID ",0,0,150754820096,644939776,86626,39,900,3201", /* no energy */
        "25.516,0,NVIDIA H200," UUID ",0,0,150754820096,644939776,86626,39,900,3201,2506713,1",
        "",
        "\n",
        "\x80\x81garbage\x7f",
        "t,index,name,uuid,util_gpu,util_mem,mem_total,mem_used,power_mw,temp_c,sm_mhz,mem_mhz,energy_mj",
        "N/A,0,NVIDIA H200," UUID ",0,0,150754820096,644939776,86626,39,900,3201,2506713",
        "25.516,0,NVIDIA H200," UUID ",0,0,150754820096,644939776,86626 mW,39,900,3201,2506713",
        "25.516,0,NVIDIA H200," UUID ",0,0,0x10,644939776,86626,39,900,3201,2506713",
        "25.516,1.5,NVIDIA H200," UUID ",0,0,1,644939776,86626,39,900,3201,2506713",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        int rc = nvml_csv_line_parse(bad[i], &r, NULL, why, sizeof(why));
        ck_assert_msg(rc == -1, "line %zu accepted", i);
        assert_refused(rc);
    }
}
END_TEST

/* Names longer than the reading holds are refused, not cut: a cut UUID would be another GPU's label. */
START_TEST(test_long_text)
{
    char line[512], name[200];
    memset(name, 'A', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(line, sizeof(line), "1,0,%s,GPU-x,0,0,1,1,1,1,1,1,1", name);
    assert_refused(nvml_csv_line_parse(line, &r, NULL, why, sizeof(why)));
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("gpu-exporter_parse");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_smi_fixture_idle);
    tcase_add_test(tc, test_smi_fixture_load);
    tcase_add_test(tc, test_nvml_fixture);
    tcase_add_test(tc, test_formats_agree);
    tcase_add_test(tc, test_not_available);
    tcase_add_test(tc, test_values_with_units);
    tcase_add_test(tc, test_header_without_units);
    tcase_add_test(tc, test_bad_headers);
    tcase_add_test(tc, test_smi_refusals);
    tcase_add_test(tc, test_nvml_refusals);
    tcase_add_test(tc, test_long_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
