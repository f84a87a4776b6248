/* prom: Prometheus's HTTP API, as aifb-monitoring reads it back: range queries over a window, through
 * libcurl, with a timeout and a cap on the answer. */
#ifndef AIFB_PROM_H
#define AIFB_PROM_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"
#include "err.h"

/* Prometheus answers at most 11,000 points per series and query; aifb asks for fewer. */
#define PROM_POINTS_PER_QUERY 10000
#define PROM_ANSWER_MAX (64u * 1024 * 1024)

/* A window in Unix seconds, both ends included, and its step in seconds. */
struct prom_window {
    double start, end, step;
};

/* Runs query over w at base (e.g. http://127.0.0.1:9090) and gives Prometheus's data.result (a matrix:
 * [{"metric": {labels}, "values": [[t, "v"], ...]}, ...]) in *result, a new reference. w must hold at
 * most PROM_POINTS_PER_QUERY steps. Errors: ERR_PROMETHEUS_UNAVAILABLE (not reachable, timed out, an
 * answer that is not Prometheus's), ERR_INVALID_INPUT (Prometheus refused the query: bad_data), with
 * *detail (in a) saying which. */
enum err prom_query_range(const char *base, const char *query, const struct prom_window *w, long timeout_ms,
                          struct arena *a, json_t **result, const char **detail);

/* The number of steps of w: the points each series has. */
size_t prom_steps(const struct prom_window *w);

/* Prometheus's text of a sample value as PostgreSQL's float8 text ("+Inf" -> "Infinity"); others as they are. */
const char *prom_value_sql(const char *v);

#endif
