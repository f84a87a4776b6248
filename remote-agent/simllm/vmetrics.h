/* vmetrics: aifb-simllm's /metrics under vLLM's own names, labels and histogram buckets
 * (vllm:time_to_first_token_seconds, vllm:inter_token_latency_seconds and the older
 * vllm:time_per_output_token_seconds, vllm:e2e_request_latency_seconds, the token counters, the
 * running and waiting gauges, vllm:request_success_total by finished_reason), rendered as
 * prometheus_client renders them, so that dashboards made for vLLM read the simulator unchanged. */
#ifndef AIFB_VMETRICS_H
#define AIFB_VMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VMETRICS_MAX_BUCKETS 24

/* One histogram: per-bucket counts (not cumulative), their count and sum. */
struct vmetrics_hist {
    const double *bounds; /* upper bounds, ascending; +Inf is implied */
    size_t n;
    uint64_t counts[VMETRICS_MAX_BUCKETS + 1];
    uint64_t count;
    double sum;
};

enum vmetrics_reason { VMETRICS_STOP, VMETRICS_LENGTH, VMETRICS_ABORT, VMETRICS_REASONS };

struct vmetrics {
    struct vmetrics_hist ttft, itl, tpot, e2e;
    uint64_t prompt_tokens, generation_tokens;
    uint64_t success[VMETRICS_REASONS];
};

/* Zeroes m and sets vLLM's buckets. */
void vmetrics_init(struct vmetrics *m);

/* A request's first token: its TTFT and prompt length. Counts one generated token. */
void vmetrics_first_token(struct vmetrics *m, double ttft_s, int64_t prompt_tokens);

/* A later token, itl_s after the one before. Counts one generated token. */
void vmetrics_next_token(struct vmetrics *m, double itl_s);

/* A request ended: reason, and e2e_s from arrival to its last token (aborts record no latency). */
void vmetrics_finished(struct vmetrics *m, enum vmetrics_reason reason, double e2e_s);

/* Appends the exposition text (format 0.0.4) for model with the gauges running and waiting.
 * Returns 0, or -1 when out passes its cap. */
int vmetrics_render(const struct vmetrics *m, struct buf *out, const char *model, int running, size_t waiting);

#endif
