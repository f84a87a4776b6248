/* collect: a monitoring session's series, every entry of the catalogue narrowed to what it watches,
 * from Prometheus over its window at a step, into session_series and session_samples, in one
 * transaction: a failure part-way (Prometheus stopping, a window too large) leaves what an earlier
 * collection kept, and the session can be collected again. */
#ifndef AIFB_MONITORING_COLLECT_H
#define AIFB_MONITORING_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "catalog.h"
#include "err.h"

struct app;

/* Points per series at most (a day at one second), and in one collection. */
#define COLLECT_STEPS_MAX 100000
#define COLLECT_POINTS_MAX 5000000

/* What a session watches, as collect needs it. */
struct watch {
    const char *session_id;
    const char *state;
    double start, end, step;     /* Unix seconds */
    const char *ids[WATCH_SETS]; /* "1|2", NULL when the set is empty */
    bool all;                    /* it watches nothing: every series of each entry */
    const char *runs_list;       /* the runs it watches, "1,2" or NULL */
};

/* Reads the session's window and what it watches (the services of watched runs count as watched).
 * ERR_SESSION_NOT_FOUND when there is no such session. */
enum err watch_load(struct app *app, struct arena *a, const char *session_id, struct watch *w, const char **detail);

/* Prometheus's base URL and the timeout of one query (monitoring.prometheus_url, .prometheus_timeout_ms). */
const char *collect_prom_url(const struct app *app);
long collect_prom_timeout_ms(const struct app *app);

/* Collects w at w->step (the caller has checked the state and the number of steps). On ERR_OK the
 * session is 'collected' with *points kept. ERR_PROMETHEUS_UNAVAILABLE, ERR_INVALID_INPUT (too many
 * points: *detail names step_s) and database errors leave the database as it was. */
enum err collect_run(struct app *app, struct arena *a, const struct watch *w, int64_t *points, const char **detail);

#endif
