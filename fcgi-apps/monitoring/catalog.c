/* catalog: the list, and the expansion of its templates. The ids come from PostgreSQL's bigint columns
 * (digits joined by bars), so they can stand in a regular expression as they are. */
#include "catalog.h"

#include <string.h>

#include "buf.h"

/* clang-format off */
/* An aifb-gpu-exporter series under either of its name sets: aifb's (base units) or, for an exporter
 * run with --dcgm-names, dcgm-exporter's, brought to the same unit. */
#define GPU(name, dcgm, to_base) {"gpu_" #name, WATCH_JOBS, "aifb_gpu_" #name "{$sel} or " dcgm "{$sel}" to_base}
#define VLLM_RATE(name, counter) {name, WATCH_SERVICES, "rate(vllm:" counter "{$sel}[$win])"}
/* clang-format on */

const struct catalog_entry catalog[] = {
    GPU(utilization_ratio, "DCGM_FI_DEV_GPU_UTIL", " / 100"),
    GPU(memory_utilization_ratio, "DCGM_FI_DEV_MEM_COPY_UTIL", " / 100"),
    GPU(memory_used_bytes, "DCGM_FI_DEV_FB_USED", " * 1048576"),
    GPU(power_watts, "DCGM_FI_DEV_POWER_USAGE", ""),
    GPU(energy_joules_total, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", " / 1000"),
    GPU(temperature_celsius, "DCGM_FI_DEV_GPU_TEMP", ""),
    GPU(sm_clock_hertz, "DCGM_FI_DEV_SM_CLOCK", " * 1e6"),
    GPU(clock_event_reasons, "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", ""),
    {"vllm_requests_running", WATCH_SERVICES, "vllm:num_requests_running{$sel}"},
    {"vllm_requests_waiting", WATCH_SERVICES, "vllm:num_requests_waiting{$sel}"},
    /* vLLM's V1 engine renamed gpu_cache_usage_perc (some versions export both): either is a ratio
     * 0..1 despite the name; max merges the two into one series */
    {"vllm_kv_cache_usage_ratio", WATCH_SERVICES,
     "max without () ({__name__=~\"vllm:(kv|gpu)_cache_usage_perc\",$sel})"},
    VLLM_RATE("vllm_prompt_tokens_per_second", "prompt_tokens_total"),
    VLLM_RATE("vllm_generation_tokens_per_second", "generation_tokens_total"),
    VLLM_RATE("vllm_requests_succeeded_per_second", "request_success_total"),
    {"loadgen_requests_in_flight", WATCH_RUNS, "aifb_loadgen_requests_in_flight{$sel}"},
    {"loadgen_requests_completed_per_second", WATCH_RUNS, "rate(aifb_loadgen_requests_completed_total{$sel}[$win])"},
    {"loadgen_requests_failed_per_second", WATCH_RUNS, "rate(aifb_loadgen_requests_failed_total{$sel}[$win])"},
    {"loadgen_output_tokens_per_second", WATCH_RUNS, "rate(aifb_loadgen_output_tokens_total{$sel}[$win])"},
};
const size_t catalog_len = sizeof(catalog) / sizeof(catalog[0]);

static const char *const set_label[WATCH_SETS] = {"slurm_job_id", "aifb_service_id", "run_id"};

const struct catalog_entry *catalog_find(const char *metric)
{
    for (size_t i = 0; i < catalog_len; i++)
        if (strcmp(catalog[i].metric, metric) == 0)
            return &catalog[i];
    return NULL;
}

char *catalog_query(struct arena *a, const struct catalog_entry *e, const char *ids, double win_s)
{
    const char *sel = ids ? arena_printf(a, "%s=~\"%s\"", set_label[e->set], ids) : "";
    const char *win = arena_printf(a, "%.0fs", win_s);
    struct buf b;
    buf_init(&b, 4096);
    for (const char *p = e->tmpl; *p;) {
        if (strncmp(p, "$sel", 4) == 0) {
            buf_puts(&b, sel);
            p += 4;
        } else if (strncmp(p, "$win", 4) == 0) {
            buf_puts(&b, win);
            p += 4;
        } else {
            buf_append(&b, p++, 1);
        }
    }
    char *q = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    return q;
}
