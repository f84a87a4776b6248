/* stats: the figures of a run from its records, defined as `vllm bench serve` defines them, with the
 * other tools' variants named as such. Used by aifb-loadgen for summary-<rank>.json; the SQL views
 * of sql/0003 compute the same figures for runs stored in PostgreSQL (the tests compare the two).
 *
 * Only records of the measure phase count. Over successful requests (error_class NULL):
 *   ttft  first_chunk - sent                          (vllm: to the first chunk with choices)
 *   tpot  (last_chunk - first_chunk) / (completion_tokens - 1), requests with > 1 token only
 *   itl   every gap between content chunks, pooled over requests
 *   e2el  last_chunk - sent (done - sent when no content chunk came)
 * mean, median, std (population, numpy's default) and percentiles (numpy's linear interpolation) in
 * milliseconds. duration: first sent to last done of the measured records, in seconds.
 * request_throughput = completed / duration; output_throughput = completion tokens / duration;
 * total_token_throughput adds prompt tokens; max_output_tokens_per_s: the most output tokens of
 * completed requests in one whole epoch second, each request's tokens placed at its chunks by
 * record_chunk_tokens (vllm counts chunks); max_concurrent_requests: the most in flight at once;
 * request_goodput: completed requests meeting every SLO set (ttft, tpot, e2el) / duration.
 * client_wait: sent - scheduled (the time a request waited in the client: schedule lag).
 * run_summary_json() of sql/0007 computes every one of these the same way from the same records.
 * Variants: "aiperf" (inter_token_latency = per-request (last - first) / (tokens - 1), i.e. vllm's
 * tpot; output_token_throughput_per_user = 1000 / that), "guidellm" (time_per_output_token =
 * (last_chunk - sent) / completion_tokens, inter_token_latency = vllm's tpot; request_latency = e2el). */
#ifndef AIFB_LOADGEN_STATS_H
#define AIFB_LOADGEN_STATS_H

#include <jansson.h>
#include <stddef.h>

#include "record.h"
#include "workload.h"

/* numpy.percentile(v, q) with the default linear interpolation, on v sorted ascending; NAN if n == 0. */
double stats_percentile(const double *sorted, size_t n, double q);

/* What the run asked and what its process saw, for the self-check. */
struct run_facts {
    double requested_rate;        /* open loop: the workload's mean rate over its stages (0 closed: null) */
    int64_t started_us, ended_us; /* wall time of the run (epoch us) */
    double held_s;                /* capped open loop: total time the schedule waited for a free slot */
};

/* The summary object (a new reference): vllm bench serve's result field names (completed, failed,
 * duration, total_input_tokens, total_output_tokens, request_throughput, request_goodput,
 * output_throughput, total_token_throughput, max_output_tokens_per_s, max_concurrent_requests,
 * mean_/median_/std_/p<q>_ ttft_ms, tpot_ms, itl_ms, e2el_ms for w's percentiles), plus
 * "errors": {class: count}, "tokens_estimated": count, "client_wait_ms": {mean, median, p99, max},
 * "self_check": {"schedule_lag_p50_ms", "schedule_lag_p99_ms", "requested_rate" (the nominal one),
 * "scheduled_rate" (what the seeded schedule asked: (n - 1) / span of the measured scheduled_us),
 * "achieved_rate" (the same over sent_us), "held_s", "fell_behind": bool, "verdict": text},
 * "aiperf": {...}, "guidellm": {...}. fell_behind: an open loop with schedule lag p99 over 10 ms or
 * achieved below 95% of scheduled: the client against its own schedule, not the nominal rate. */
json_t *stats_summary(const struct record *recs, size_t n, const struct workload *w, const struct run_facts *f);

#endif
