/* metrics: request counters, a latency histogram and error counts, kept in memory shared by the
 * master and its workers (made before the fork) so that /metrics from any worker sums them all.
 * Rendered in Prometheus text format 0.0.4. */
#ifndef AIFB_METRICS_H
#define AIFB_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "route.h"

struct metrics;

/* Maps counters for nroutes routes (plus one slot for unmatched requests), shared with any child
 * forked afterwards. Returns NULL if the mapping fails. Released by the kernel at exit. */
struct metrics *metrics_new(size_t nroutes);

/* Counts one request: route is the route index or -1; status the HTTP status; seconds its time. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);

/* Counts one error answered with e. */
void metrics_error(struct metrics *m, enum err e);

/* Counts a worker the master had to start again. */
void metrics_worker_restart(struct metrics *m);

/* Appends the exposition text: app names the program, t its routes, workers the pool size.
 * Returns 0, or -1 when out passes its cap. */
int metrics_render(const struct metrics *m, struct buf *out, const char *app, const struct route_table *t, int workers);

#endif
