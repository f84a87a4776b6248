/* metrics: lock-free counters in a shared anonymous mapping. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#define STATUS_MIN 100
#define STATUS_SLOTS 500 /* 100..599 */

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct route_slot {
    _Atomic uint64_t status[STATUS_SLOTS];
    _Atomic uint64_t bucket[NBUCKETS + 1]; /* non-cumulative; the last is +Inf */
    _Atomic uint64_t sum_ns;
};

struct metrics {
    size_t nroutes;
    double start_time;
    _Atomic uint64_t errors[ERR__COUNT];
    _Atomic uint64_t restarts;
    struct route_slot slots[]; /* nroutes + 1, the last for unmatched requests */
};

struct metrics *metrics_new(size_t nroutes)
{
    size_t size = sizeof(struct metrics) + (nroutes + 1) * sizeof(struct route_slot);
    struct metrics *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    /* A fresh anonymous mapping is zeroed: every counter starts at 0. */
    m->nroutes = nroutes;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return m;
}

void metrics_observe(struct metrics *m, int route, int status, double seconds)
{
    if (!m)
        return;
    struct route_slot *s = &m->slots[route < 0 || (size_t)route >= m->nroutes ? m->nroutes : (size_t)route];
    if (status < STATUS_MIN || status >= STATUS_MIN + STATUS_SLOTS)
        status = 500;
    atomic_fetch_add_explicit(&s->status[status - STATUS_MIN], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_ns, (uint64_t)(seconds * 1e9), memory_order_relaxed);
}

void metrics_error(struct metrics *m, enum err e)
{
    if (m && (unsigned)e < ERR__COUNT)
        atomic_fetch_add_explicit(&m->errors[e], 1, memory_order_relaxed);
}

void metrics_worker_restart(struct metrics *m)
{
    if (m)
        atomic_fetch_add_explicit(&m->restarts, 1, memory_order_relaxed);
}

static uint64_t ld(const _Atomic uint64_t *x)
{
    return atomic_load_explicit(x, memory_order_relaxed);
}

static void route_labels(const struct route_table *t, size_t i, char *out, size_t n)
{
    if (i < t->n)
        snprintf(out, n, "route=\"%s%s\",method=\"%s\"", t->prefix, t->routes[i].path,
                 route_method_name(t->routes[i].method));
    else
        snprintf(out, n, "route=\"unmatched\",method=\"any\"");
}

static void render_requests(const struct metrics *m, struct buf *out, const struct route_table *t)
{
    char labels[512];
    buf_puts(out, "# HELP aifb_http_requests_total Requests answered, by route and status.\n"
                  "# TYPE aifb_http_requests_total counter\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        route_labels(t, i, labels, sizeof(labels));
        for (int s = 0; s < STATUS_SLOTS; s++) {
            uint64_t v = ld(&m->slots[i].status[s]);
            if (v)
                buf_printf(out, "aifb_http_requests_total{%s,status=\"%d\"} %llu\n", labels, s + STATUS_MIN,
                           (unsigned long long)v);
        }
    }
}

static void render_histogram(const struct metrics *m, struct buf *out, const struct route_table *t)
{
    char labels[512];
    buf_puts(out, "# HELP aifb_http_request_duration_seconds Time from dispatch to the reply written.\n"
                  "# TYPE aifb_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        const struct route_slot *s = &m->slots[i];
        uint64_t cum = 0;
        route_labels(t, i, labels, sizeof(labels));
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += ld(&s->bucket[b]);
            buf_printf(out, "aifb_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels, buckets[b],
                       (unsigned long long)cum);
        }
        cum += ld(&s->bucket[NBUCKETS]);
        buf_printf(out, "aifb_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                   (unsigned long long)cum);
        buf_printf(out, "aifb_http_request_duration_seconds_sum{%s} %.9f\n", labels, (double)ld(&s->sum_ns) / 1e9);
        buf_printf(out, "aifb_http_request_duration_seconds_count{%s} %llu\n", labels, (unsigned long long)cum);
    }
}

int metrics_render(const struct metrics *m, struct buf *out, const char *app, const struct route_table *t, int workers)
{
    buf_printf(out,
               "# HELP aifb_build_info The program answering, as labels.\n"
               "# TYPE aifb_build_info gauge\naifb_build_info{app=\"%s\"} 1\n",
               app);
    buf_printf(out,
               "# HELP aifb_start_time_seconds When the master started, in Unix time.\n"
               "# TYPE aifb_start_time_seconds gauge\naifb_start_time_seconds %.3f\n",
               m->start_time);
    buf_printf(out,
               "# HELP aifb_workers Worker processes the master keeps.\n"
               "# TYPE aifb_workers gauge\naifb_workers %d\n",
               workers);
    buf_printf(out,
               "# HELP aifb_worker_restarts_total Workers that died and were started again.\n"
               "# TYPE aifb_worker_restarts_total counter\naifb_worker_restarts_total %llu\n",
               (unsigned long long)ld(&m->restarts));
    render_requests(m, out, t);
    render_histogram(m, out, t);
    buf_puts(out, "# HELP aifb_errors_total Error documents answered, by error code.\n"
                  "# TYPE aifb_errors_total counter\n");
    for (int e = 1; e < ERR__COUNT; e++)
        buf_printf(out, "aifb_errors_total{code=\"%s\"} %llu\n", err_string((enum err)e),
                   (unsigned long long)ld(&m->errors[e]));
    return out->overflow ? -1 : 0;
}
