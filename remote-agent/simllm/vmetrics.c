/* vmetrics: counters and histograms of aifb-simllm and their text under vLLM's names. Buckets and
 * help texts are vLLM's (vllm/v1/metrics/loggers.py); numbers are written as prometheus_client
 * writes them ("1.0", "+Inf"). */
#include "vmetrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const double ttft_bounds[] = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
                                     1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
static const double itl_bounds[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
static const double e2e_bounds[] = {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
                                    30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void hist_init(struct vmetrics_hist *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n = n < VMETRICS_MAX_BUCKETS ? n : VMETRICS_MAX_BUCKETS;
}

static void hist_observe(struct vmetrics_hist *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

void vmetrics_init(struct vmetrics *m)
{
    memset(m, 0, sizeof(*m));
    hist_init(&m->ttft, ttft_bounds, COUNT(ttft_bounds));
    hist_init(&m->itl, itl_bounds, COUNT(itl_bounds));
    hist_init(&m->tpot, itl_bounds, COUNT(itl_bounds));
    hist_init(&m->e2e, e2e_bounds, COUNT(e2e_bounds));
}

void vmetrics_first_token(struct vmetrics *m, double ttft_s, int64_t prompt_tokens)
{
    hist_observe(&m->ttft, ttft_s);
    m->prompt_tokens += (uint64_t)prompt_tokens;
    m->generation_tokens++;
}

void vmetrics_next_token(struct vmetrics *m, double itl_s)
{
    hist_observe(&m->itl, itl_s);
    hist_observe(&m->tpot, itl_s);
    m->generation_tokens++;
}

void vmetrics_finished(struct vmetrics *m, enum vmetrics_reason reason, double e2e_s)
{
    m->success[reason]++;
    if (reason != VMETRICS_ABORT)
        hist_observe(&m->e2e, e2e_s);
}

/* A double as Python's repr writes it: the fewest digits that read back the same, positional for
 * magnitudes in [1e-4, 1e16) ("0.001", "2560.0"), with an exponent otherwise. */
static void num(char *out, size_t n, double v)
{
    double a = v < 0 ? -v : v;
    bool positional = a == 0 || (a >= 1e-4 && a < 1e16);
    for (int prec = 1; prec <= 17; prec++) {
        double back;
        if (positional)
            snprintf(out, n, "%.*f", prec, v);
        else
            snprintf(out, n, "%.*g", prec, v);
        if (sscanf(out, "%lf", &back) == 1 && back == v)
            break;
    }
    if (positional)
        return;
    if (!strpbrk(out, ".eni"))
        strncat(out, ".0", n - strlen(out) - 1);
}

/* The label set: model_name="<escaped>". */
static void model_label(char *out, size_t n, const char *model)
{
    size_t k = (size_t)snprintf(out, n, "model_name=\"");
    for (const char *s = model; *s && k + 4 < n; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            out[k++] = '\\';
            out[k++] = *s == '\n' ? 'n' : *s;
        } else {
            out[k++] = *s;
        }
    }
    snprintf(out + k, n - k, "\"");
}

static int family(struct buf *out, const char *name, const char *type, const char *help)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int hist_render(struct buf *out, const struct vmetrics_hist *h, const char *name, const char *help,
                       const char *labels)
{
    int rc = family(out, name, "histogram", help);
    uint64_t cum = 0;
    char v[40];
    for (size_t i = 0; i <= h->n; i++) {
        cum += h->counts[i];
        if (i < h->n)
            num(v, sizeof(v), h->bounds[i]);
        rc |= buf_printf(out, "%s_bucket{%s,le=\"%s\"} %" PRIu64 ".0\n", name, labels, i < h->n ? v : "+Inf", cum);
    }
    num(v, sizeof(v), h->sum);
    rc |= buf_printf(out, "%s_count{%s} %" PRIu64 ".0\n%s_sum{%s} %s\n", name, labels, h->count, name, labels, v);
    return rc;
}

static int scalar(struct buf *out, const char *name, const char *type, const char *help, const char *labels, uint64_t v)
{
    int rc = family(out, name, type, help);
    return rc | buf_printf(out, "%s{%s} %" PRIu64 ".0\n", name, labels, v);
}

int vmetrics_render(const struct vmetrics *m, struct buf *out, const char *model, int running, size_t waiting)
{
    static const char *const reasons[VMETRICS_REASONS] = {"stop", "length", "abort"};
    char labels[512];
    model_label(labels, sizeof(labels), model);
    int rc = scalar(out, "vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", labels,
                    (uint64_t)running);
    rc |= scalar(out, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", labels,
                 waiting);
    rc |= scalar(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", labels,
                 m->prompt_tokens);
    rc |= scalar(out, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", labels,
                 m->generation_tokens);
    rc |= family(out, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
    for (int r = 0; r < VMETRICS_REASONS; r++)
        rc |= buf_printf(out, "vllm:request_success_total{%s,finished_reason=\"%s\"} %" PRIu64 ".0\n", labels,
                         reasons[r], m->success[r]);
    rc |= hist_render(out, &m->ttft, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                      labels);
    rc |= hist_render(out, &m->itl, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
                      labels);
    rc |= hist_render(out, &m->tpot, "vllm:time_per_output_token_seconds",
                      "Histogram of time per output token in seconds. "
                      "DEPRECATED: Use vllm:inter_token_latency_seconds instead.",
                      labels);
    rc |= hist_render(out, &m->e2e, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                      labels);
    return rc ? -1 : 0;
}
