/* gpu_check: the GPU exporter's NVML source and exposition on a real GPU, built there with nothing but
 * gcc (no libcurl or jansson): opens NVML through dlopen, takes N samples a second apart, prints each
 * one's exposition and what it cost, and checks that sampling forks nothing (the process's child count
 * stays 0) and that the energy counter never goes back. Exit 0 when all holds. Run by gpu_check.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "expo.h"
#include "source.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Children this process ever had (forks show up here even after they exit). */
static long children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ru.ru_nvcsw + ru.ru_nivcsw + ru.ru_utime.tv_sec + ru.ru_utime.tv_usec;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : 5;
    if (argc > 1 && (*end || n < 1 || n > 3600)) {
        printf("usage: gpu_check [SAMPLES 1..3600]\n");
        return 2;
    }
    char why[256];
    struct source *s = source_nvml_open(why, sizeof(why));
    if (!s) {
        printf("FAIL nvml open: %s\n", why);
        return 1;
    }
    static struct gpu_sample sample;
    struct buf out;
    buf_init(&out, 1 << 20);
    double prev_energy = -1, worst = 0, total = 0;
    long kids0 = children();
    double started = now();
    int bad = 0;
    for (long i = 0; i < n; i++) {
        double t0 = now();
        if (source_read(s, &sample, why, sizeof(why)) < 0) {
            printf("FAIL sample %ld: %s\n", i, why);
            bad = 1;
            break;
        }
        double cost = now() - t0;
        total += cost;
        worst = cost > worst ? cost : worst;
        if (sample.n == 0 || isnan(sample.gpu[0].power_watts) || isnan(sample.gpu[0].mem_total_bytes)) {
            printf("FAIL sample %ld: no GPU or no power/memory reading\n", i);
            bad = 1;
        }
        if (!isnan(sample.gpu[0].energy_joules)) {
            if (sample.gpu[0].energy_joules < prev_energy) {
                printf("FAIL energy went back: %.3f after %.3f\n", sample.gpu[0].energy_joules, prev_energy);
                bad = 1;
            }
            prev_energy = sample.gpu[0].energy_joules;
        }
        buf_clear(&out);
        struct expo_labels l = {"device-check", "", false};
        struct expo_stats st = {(unsigned long long)i + 1, 0, cost, source_kind(s)};
        if (expo_write(&out, &sample, &l, &st, i == n - 1) < 0) {
            printf("FAIL exposition\n");
            bad = 1;
        }
        printf("# sample %ld: %zu GPU(s), %.3f ms\n%s", i, sample.n, cost * 1e3, buf_cstr(&out));
        fflush(stdout);
        if (i + 1 < n)
            sleep(1);
    }
    printf("# samples %ld, mean %.3f ms, worst %.3f ms per sample (all GPUs)\n", n, total / (double)n * 1e3,
           worst * 1e3);
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    double cpu = (double)self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + (double)self.ru_stime.tv_sec +
                 self.ru_stime.tv_usec / 1e6;
    double wall = now() - started;
    printf("# CPU %.3f s over %.1f s of sampling once a second: %.3f%% of one core (aim < 1%%)\n", cpu, wall,
           cpu / wall * 100);
    if (children() != kids0) {
        printf("FAIL sampling forked\n");
        bad = 1;
    }
    source_close(s);
    /* the fallback against the same GPU: nvidia-smi's reading of memory total and power next to NVML's */
    struct source *smi = source_smi_open(NULL, why, sizeof(why));
    static struct gpu_sample alt;
    if (!smi || source_read(smi, &alt, why, sizeof(why)) < 0) {
        printf("FAIL nvidia-smi source: %s\n", why);
        bad = 1;
    } else {
        printf("# nvidia-smi source: %zu GPU(s); GPU 0 memory total %.0f B (NVML %.0f B), power %.2f W (NVML %.2f W a "
               "second before), util %.2f, sm clock %.0f Hz\n",
               alt.n, alt.gpu[0].mem_total_bytes, sample.gpu[0].mem_total_bytes, alt.gpu[0].power_watts,
               sample.gpu[0].power_watts, alt.gpu[0].util_ratio, alt.gpu[0].sm_clock_hz);
        if (alt.n != sample.n || alt.gpu[0].mem_total_bytes != sample.gpu[0].mem_total_bytes ||
            strcmp(alt.gpu[0].uuid, sample.gpu[0].uuid) != 0) {
            printf("FAIL nvidia-smi and NVML disagree on the GPUs\n");
            bad = 1;
        }
    }
    if (smi)
        source_close(smi);
    buf_free(&out);
    printf(bad ? "RESULT FAIL\n" : "RESULT OK\n");
    return bad;
}
