/* stats: a run's figures from its records, under vllm bench serve's names and definitions, with the
 * client's own wait, errors by class, the schedule self-check and the aiperf/guidellm variants.
 * Values are gathered into one array per metric (milliseconds), sorted, then summarised; a metric
 * without values is null, so the JSON never holds NaN. */
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LAG_LIMIT_MS 10.0
#define ACHIEVED_MIN 0.95

struct series {
    double *v;
    size_t n;
};

/* Everything summed or gathered over the measured records in one pass. */
struct figures {
    struct series ttft, tpot, itl, e2el, wait, guidellm_tpot, per_user;
    int64_t completed, failed, estimated, in_tokens, out_tokens, good, sent;
    int64_t first_sent, last_sent, last_done; /* epoch us; 0: none */
    int64_t first_sched, last_sched;          /* epoch us of the schedule; 0: none */
    json_t *errors;
};

double stats_percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q / 100.0;
    size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : n - 1;
    return sorted[lo] + (h - (double)lo) * (sorted[hi] - sorted[lo]);
}

static double mean(const struct series *s)
{
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    return s->n ? sum / (double)s->n : NAN;
}

/* Population standard deviation (numpy's default, ddof = 0), in two passes for accuracy. */
static double std_pop(const struct series *s)
{
    double m = mean(s), sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += (s->v[i] - m) * (s->v[i] - m);
    return s->n ? sqrt(sum / (double)s->n) : NAN;
}

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int by_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* "p99", "p99.9": vllm's names (the shortest form of the number). */
static const char *pct_name(char *buf, size_t n, double q, const char *suffix)
{
    snprintf(buf, n, "p%.15g%s", q, suffix);
    return buf;
}

/* The percentiles a summary gives: the workload's, or vllm's default ones. */
static const double *percentiles(const struct workload *w, size_t *n)
{
    static const double defaults[] = {50, 90, 95, 99};
    if (w && w->npercentiles) {
        *n = w->npercentiles;
        return w->percentiles;
    }
    *n = sizeof(defaults) / sizeof(defaults[0]);
    return defaults;
}

/* mean_<m>, median_<m>, std_<m>, p<q>_<m> into obj, as vllm bench serve names them. */
static void add_metric(json_t *obj, const char *metric, const struct series *s, const struct workload *w)
{
    char key[64];
    size_t np;
    const double *q = percentiles(w, &np);
    snprintf(key, sizeof(key), "mean_%s", metric);
    json_object_set_new(obj, key, num(mean(s)));
    snprintf(key, sizeof(key), "median_%s", metric);
    json_object_set_new(obj, key, num(stats_percentile(s->v, s->n, 50)));
    snprintf(key, sizeof(key), "std_%s", metric);
    json_object_set_new(obj, key, num(std_pop(s)));
    char suffix[40];
    snprintf(suffix, sizeof(suffix), "_%s", metric);
    for (size_t i = 0; i < np; i++)
        json_object_set_new(obj, pct_name(key, sizeof(key), q[i], suffix), num(stats_percentile(s->v, s->n, q[i])));
}

/* {"mean","median","std","min","max","p<q>"...} of one series: the variants' shape. */
static json_t *distribution(const struct series *s, const struct workload *w)
{
    json_t *o = json_object();
    char key[32];
    size_t np;
    const double *q = percentiles(w, &np);
    json_object_set_new(o, "mean", num(mean(s)));
    json_object_set_new(o, "median", num(stats_percentile(s->v, s->n, 50)));
    json_object_set_new(o, "std", num(std_pop(s)));
    json_object_set_new(o, "min", num(s->n ? s->v[0] : NAN));
    json_object_set_new(o, "max", num(s->n ? s->v[s->n - 1] : NAN));
    for (size_t i = 0; i < np; i++)
        json_object_set_new(o, pct_name(key, sizeof(key), q[i], ""), num(stats_percentile(s->v, s->n, q[i])));
    return o;
}

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

static void push(struct series *s, double x)
{
    s->v[s->n++] = x;
}

/* A completed request meets every SLO set; no TPOT (one token) passes, as in vllm. */
static bool good(const struct record *r, const struct workload *w)
{
    const struct wl_slo *slo = &w->slo;
    int64_t end = r->last_chunk_us ? r->last_chunk_us : r->done_us;
    if (slo->ttft_ms > 0 && (!r->first_chunk_us || ms(r->first_chunk_us - r->sent_us) > slo->ttft_ms))
        return false;
    if (slo->tpot_ms > 0 && r->completion_tokens > 1 && r->first_chunk_us && r->last_chunk_us &&
        ms(r->last_chunk_us - r->first_chunk_us) / (double)(r->completion_tokens - 1) > slo->tpot_ms)
        return false;
    return !(slo->e2el_ms > 0 && (!end || ms(end - r->sent_us) > slo->e2el_ms));
}

/* The latency figures of one completed request. */
static void gather_ok(struct figures *g, const struct record *r, const struct workload *w)
{
    g->completed++;
    g->in_tokens += r->prompt_tokens > 0 ? r->prompt_tokens : 0;
    g->out_tokens += r->completion_tokens > 0 ? r->completion_tokens : 0;
    g->good += good(r, w);
    if (r->first_chunk_us)
        push(&g->ttft, ms(r->first_chunk_us - r->sent_us));
    if (r->completion_tokens > 1 && r->first_chunk_us && r->last_chunk_us) {
        double tpot = ms(r->last_chunk_us - r->first_chunk_us) / (double)(r->completion_tokens - 1);
        push(&g->tpot, tpot);
        if (tpot > 0)
            push(&g->per_user, 1000.0 / tpot);
    }
    int64_t end = r->last_chunk_us ? r->last_chunk_us : r->done_us;
    if (end)
        push(&g->e2el, ms(end - r->sent_us));
    if (r->last_chunk_us && r->completion_tokens > 0)
        push(&g->guidellm_tpot, ms(r->last_chunk_us - r->sent_us) / (double)r->completion_tokens);
    for (uint32_t i = 0; i < r->n_itl; i++)
        push(&g->itl, ms(r->itl_us[i]));
}

static void gather(struct figures *g, const struct record *r, const struct workload *w)
{
    g->sent++;
    if (!g->first_sent || r->sent_us < g->first_sent)
        g->first_sent = r->sent_us;
    if (r->sent_us > g->last_sent)
        g->last_sent = r->sent_us;
    if (r->done_us > g->last_done)
        g->last_done = r->done_us;
    if (!g->first_sched || r->scheduled_us < g->first_sched)
        g->first_sched = r->scheduled_us;
    if (r->scheduled_us > g->last_sched)
        g->last_sched = r->scheduled_us;
    push(&g->wait, ms(r->sent_us - r->scheduled_us));
    g->estimated += r->tokens_estimated;
    if (r->error_class) {
        g->failed++;
        json_t *c = json_object_get(g->errors, r->error_class);
        json_object_set_new(g->errors, r->error_class, json_integer(c ? json_integer_value(c) + 1 : 1));
        return;
    }
    gather_ok(g, r, w);
}

static void series_alloc(struct series *s, size_t n)
{
    s->v = malloc((n ? n : 1) * sizeof(*s->v));
    s->n = 0;
    if (!s->v)
        abort(); /* as the arena does: a summary without memory is no summary */
}

static void figures_init(struct figures *g, const struct record *recs, size_t n)
{
    size_t gaps = 0;
    for (size_t i = 0; i < n; i++)
        gaps += recs[i].phase == PHASE_MEASURE ? recs[i].n_itl : 0;
    *g = (struct figures){.errors = json_object()};
    struct series *per_request[] = {&g->ttft, &g->tpot, &g->e2el, &g->wait, &g->guidellm_tpot, &g->per_user};
    for (size_t i = 0; i < sizeof(per_request) / sizeof(per_request[0]); i++)
        series_alloc(per_request[i], n);
    series_alloc(&g->itl, gaps);
}

static void figures_free(struct figures *g)
{
    struct series *all[] = {&g->ttft, &g->tpot, &g->itl, &g->e2el, &g->wait, &g->guidellm_tpot, &g->per_user};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(all[i]->v);
    json_decref(g->errors);
}

static void figures_sort(struct figures *g)
{
    struct series *all[] = {&g->ttft, &g->tpot, &g->itl, &g->e2el, &g->wait, &g->guidellm_tpot, &g->per_user};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        qsort(all[i]->v, all[i]->n, sizeof(double), by_value);
}

/* A chunk's whole epoch second and the tokens placed at it. */
struct chunk_tokens {
    int64_t second, tokens;
};

static int by_second(const void *x, const void *y)
{
    return by_i64(&((const struct chunk_tokens *)x)->second, &((const struct chunk_tokens *)y)->second);
}

/* Whether r's chunks count in max_output_tokens_per_s: a completed request of the measure phase. */
static bool peak_counts(const struct record *r)
{
    return r->phase == PHASE_MEASURE && !r->error_class;
}

/* max_output_tokens_per_s, one definition here and in run_summary_json (sql/0007): the most output
 * tokens of completed measured requests in one whole epoch second (the seconds of the timeline),
 * each request's completion_tokens placed at its chunks with choices by record_chunk_tokens. vllm
 * bench serve counts one token per chunk instead (a chat role chunk too). NAN when no such request
 * had a chunk. */
static double max_tokens_per_s(const struct record *recs, size_t n)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        total += peak_counts(&recs[i]) ? record_chunks(&recs[i]) : 0;
    if (total == 0)
        return NAN;
    struct chunk_tokens *v = malloc(total * sizeof(*v));
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct record *r = &recs[i];
        uint32_t m = peak_counts(r) ? record_chunks(r) : 0;
        int64_t at = r->first_chunk_us;
        for (uint32_t j = 0; j < m; j++) {
            at += j ? r->itl_us[j - 1] : 0;
            v[k++] = (struct chunk_tokens){at / 1000000, record_chunk_tokens(r, j)};
        }
    }
    qsort(v, total, sizeof(*v), by_second);
    int64_t best = 0, run = 0;
    for (size_t i = 0; i < total; i++) {
        run = (i && v[i].second == v[i - 1].second ? run : 0) + v[i].tokens;
        best = run > best ? run : best;
    }
    free(v);
    return (double)best;
}

/* Events of the in-flight sweep: a send is +1, an end -1, and ends sort first on ties. */
static int by_event(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;
    return a[0] != b[0] ? (a[0] > b[0]) - (a[0] < b[0]) : (a[1] > b[1]) - (a[1] < b[1]);
}

/* The most measured requests in flight at once (failed ones too), sent to done. */
static int64_t max_in_flight(const struct record *recs, size_t n)
{
    int64_t(*ev)[2] = malloc((2 * n + 1) * sizeof(*ev));
    int64_t level = 0, best = 0;
    size_t k = 0;
    if (!ev)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (recs[i].phase != PHASE_MEASURE)
            continue;
        ev[k][0] = recs[i].sent_us, ev[k++][1] = 1;
        ev[k][0] = recs[i].done_us ? recs[i].done_us : recs[i].sent_us, ev[k++][1] = -1;
    }
    qsort(ev, k, sizeof(*ev), by_event);
    for (size_t i = 0; i < k; i++) {
        level += ev[i][1];
        best = level > best ? level : best;
    }
    free(ev);
    return best;
}

static json_t *client_wait(const struct series *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "mean", num(mean(s)));
    json_object_set_new(o, "median", num(stats_percentile(s->v, s->n, 50)));
    json_object_set_new(o, "p99", num(stats_percentile(s->v, s->n, 99)));
    json_object_set_new(o, "max", num(s->n ? s->v[s->n - 1] : NAN));
    return o;
}

/* n - 1 events per second over the span first .. last (epoch us); NAN without a span. */
static double rate_over(int64_t n, int64_t first, int64_t last)
{
    if (n < 2 || last <= first)
        return NAN;
    return (double)(n - 1) / ((double)(last - first) / 1e6);
}

/* x in %.4g, or "none" when there is no value (no NaN in the text either). */
static const char *fmt(char *buf, size_t n, double x)
{
    if (isfinite(x))
        snprintf(buf, n, "%.4g", x);
    else
        snprintf(buf, n, "none");
    return buf;
}

/* What the self-check found: lag p50/p99 (ms), the rates, and the verdict. */
struct check {
    double lag50, lag99, scheduled, achieved;
    bool open_loop, behind;
};

static const char *verdict(char *buf, size_t n, const struct check *c, const struct run_facts *f)
{
    char l[32], r[32], s[32], q[32];
    fmt(l, sizeof(l), c->lag99);
    fmt(r, sizeof(r), c->achieved);
    fmt(s, sizeof(s), c->scheduled);
    fmt(q, sizeof(q), f->requested_rate);
    if (!c->open_loop)
        snprintf(buf, n, "closed loop: each request is sent when a slot frees (schedule lag p99 %s ms)", l);
    else if (!c->behind)
        snprintf(buf, n, "kept the schedule: lag p99 %s ms, %s requests/s sent of %s scheduled (nominal %s)", l, r, s,
                 q);
    else
        snprintf(buf, n, "fell behind: lag p99 %s ms (limit %g ms), %s requests/s sent of %s scheduled (nominal %s)%s",
                 l, LAG_LIMIT_MS, r, s, q,
                 f->held_s > 0 ? "; the cap on concurrency held the schedule (see held_s)" : "");
    return buf;
}

/* The client judged against its own schedule, not the nominal rate (a short seeded Poisson schedule
 * may ask far less or more): it fell behind when an open loop's lag p99 is over LAG_LIMIT_MS, or
 * when it sent below ACHIEVED_MIN of the rate its schedule asked (both over the measured sends:
 * (n - 1) / span, of sent_us and of scheduled_us). run_summary_json (sql/0007) judges the same. */
static json_t *self_check(const struct figures *g, const struct workload *w, const struct run_facts *f)
{
    static const struct run_facts none = {0};
    f = f ? f : &none;
    struct check c = {.lag50 = stats_percentile(g->wait.v, g->wait.n, 50),
                      .lag99 = stats_percentile(g->wait.v, g->wait.n, 99),
                      .scheduled = rate_over(g->sent, g->first_sched, g->last_sched),
                      .achieved = rate_over(g->sent, g->first_sent, g->last_sent),
                      .open_loop = w->mode == WL_OPEN};
    c.behind = c.open_loop && (c.lag99 > LAG_LIMIT_MS || (isfinite(c.achieved) && isfinite(c.scheduled) &&
                                                          c.achieved < ACHIEVED_MIN * c.scheduled));
    char text[320];
    json_t *o = json_object();
    json_object_set_new(o, "schedule_lag_p50_ms", num(c.lag50));
    json_object_set_new(o, "schedule_lag_p99_ms", num(c.lag99));
    json_object_set_new(o, "requested_rate", num(f->requested_rate > 0 ? f->requested_rate : NAN));
    json_object_set_new(o, "scheduled_rate", num(c.scheduled));
    json_object_set_new(o, "achieved_rate", num(c.achieved));
    json_object_set_new(o, "held_s", num(f->held_s));
    json_object_set_new(o, "fell_behind", json_boolean(c.behind));
    json_object_set_new(o, "verdict", json_string(verdict(text, sizeof(text), &c, f)));
    return o;
}

static json_t *variants_aiperf(const struct figures *g, const struct workload *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "inter_token_latency_ms", distribution(&g->tpot, w));
    json_object_set_new(o, "output_token_throughput_per_user", distribution(&g->per_user, w));
    return o;
}

static json_t *variants_guidellm(const struct figures *g, const struct workload *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "time_per_output_token_ms", distribution(&g->guidellm_tpot, w));
    json_object_set_new(o, "inter_token_latency_ms", distribution(&g->tpot, w));
    json_object_set_new(o, "request_latency_ms", distribution(&g->e2el, w));
    return o;
}

/* x per second of duration; null when the duration is 0 or unknown. */
static json_t *per_s(double x, double duration)
{
    return duration > 0 ? num(x / duration) : json_null();
}

static void add_totals(json_t *o, const struct figures *g, const struct workload *w, double duration)
{
    bool slo = w->slo.ttft_ms > 0 || w->slo.tpot_ms > 0 || w->slo.e2el_ms > 0;
    json_object_set_new(o, "completed", json_integer(g->completed));
    json_object_set_new(o, "failed", json_integer(g->failed));
    json_object_set_new(o, "duration", g->sent ? num(duration) : json_null());
    json_object_set_new(o, "total_input_tokens", json_integer(g->in_tokens));
    json_object_set_new(o, "total_output_tokens", json_integer(g->out_tokens));
    json_object_set_new(o, "request_throughput", per_s((double)g->completed, duration));
    /* vllm gives goodput only when SLOs are set */
    json_object_set_new(o, "request_goodput", slo ? per_s((double)g->good, duration) : json_null());
    json_object_set_new(o, "output_throughput", per_s((double)g->out_tokens, duration));
    json_object_set_new(o, "total_token_throughput", per_s((double)(g->in_tokens + g->out_tokens), duration));
}

json_t *stats_summary(const struct record *recs, size_t n, const struct workload *w, const struct run_facts *f)
{
    struct figures g;
    figures_init(&g, recs, n);
    for (size_t i = 0; i < n; i++)
        if (recs[i].phase == PHASE_MEASURE)
            gather(&g, &recs[i], w);
    figures_sort(&g);
    double duration = g.last_done > g.first_sent ? (double)(g.last_done - g.first_sent) / 1e6 : 0;
    json_t *o = json_object();
    add_totals(o, &g, w, duration);
    json_object_set_new(o, "max_output_tokens_per_s", num(max_tokens_per_s(recs, n)));
    json_object_set_new(o, "max_concurrent_requests", json_integer(max_in_flight(recs, n)));
    add_metric(o, "ttft_ms", &g.ttft, w);
    add_metric(o, "tpot_ms", &g.tpot, w);
    add_metric(o, "itl_ms", &g.itl, w);
    add_metric(o, "e2el_ms", &g.e2el, w);
    json_object_set(o, "errors", g.errors);
    json_object_set_new(o, "tokens_estimated", json_integer(g.estimated));
    json_object_set_new(o, "client_wait_ms", client_wait(&g.wait));
    json_object_set_new(o, "self_check", self_check(&g, w, f));
    json_object_set_new(o, "aiperf", variants_aiperf(&g, w));
    json_object_set_new(o, "guidellm", variants_guidellm(&g, w));
    figures_free(&g);
    return o;
}
