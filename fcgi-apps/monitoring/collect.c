/* collect: each catalogue entry's window is asked in chunks of PROM_POINTS_PER_QUERY steps; each
 * chunk's series are upserted (a series keeps its id across chunks) and its points go in by one COPY
 * with the text PostgreSQL reads back exactly (timestamps to the millisecond in UTC, values as
 * Prometheus wrote them). */
#include "collect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "prom.h"
#include "out.h"
#include "settings.h"

#define COPY_FLUSH (1u << 20)
#define RATE_WINDOW_MIN_S 10.0

static const struct db_stmt st_watch =
    DB_STMT("collect_watch",
            "WITH s AS (SELECT * FROM monitoring_sessions WHERE id = $1),"
            " ws AS (SELECT jsonb_array_elements_text(watch->'services')::bigint AS id FROM s),"
            " wr AS (SELECT jsonb_array_elements_text(watch->'runs')::bigint AS id FROM s),"
            " svc AS (SELECT v.id, v.slurm_job_id FROM services v WHERE v.id IN (SELECT id FROM ws)"
            "   OR v.id IN (SELECT r.service_id FROM runs r JOIN wr USING (id))"
            "   OR v.group_id IN (SELECT r.group_id FROM runs r JOIN wr USING (id)))"
            " SELECT s.state, extract(epoch FROM s.starts_at)::float8, extract(epoch FROM s.ends_at)::float8, s.step_s,"
            "  (SELECT string_agg(DISTINCT slurm_job_id::text, '|') FROM svc),"
            "  (SELECT string_agg(id::text, '|' ORDER BY id) FROM svc),"
            "  (SELECT string_agg(id::text, '|' ORDER BY id) FROM wr),"
            "  (SELECT count(*) FROM ws) + (SELECT count(*) FROM wr),"
            "  (SELECT string_agg(id::text, ',' ORDER BY id) FROM wr)"
            " FROM s",
            1, true);
static const struct db_stmt st_lock =
    DB_STMT("collect_lock", "SELECT state FROM monitoring_sessions WHERE id = $1 FOR UPDATE", 1, false);
static const struct db_stmt st_clear =
    DB_STMT("collect_clear", "DELETE FROM session_series WHERE session_id = $1", 1, false);
static const struct db_stmt st_series =
    DB_STMT("collect_series",
            "INSERT INTO session_series (session_id, metric, query, labels) VALUES ($1, $2, $3, $4::jsonb)"
            " ON CONFLICT (session_id, metric, labels) DO UPDATE SET query = EXCLUDED.query RETURNING id",
            4, false);
static const struct db_stmt st_done =
    DB_STMT("collect_done",
            "UPDATE monitoring_sessions SET state = 'collected', collected_at = now(), collected_step_s = $2,"
            " collected_points = $3 WHERE id = $1",
            3, false);

static const char *opt(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

enum err watch_load(struct app *app, struct arena *a, const char *session_id, struct watch *w, const char **detail)
{
    const char *p[] = {session_id};
    PGresult *res;
    enum err e = db_exec(app->db, a, &st_watch, p, &res, detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return ERR_SESSION_NOT_FOUND;
    memset(w, 0, sizeof(*w));
    w->session_id = session_id;
    w->state = arena_strdup(a, PQgetvalue(res, 0, 0));
    w->start = db_float(res, 0, 1);
    w->end = db_float(res, 0, 2);
    w->step = db_float(res, 0, 3);
    for (int s = 0; s < WATCH_SETS; s++)
        w->ids[s] = opt(res, 4 + s) ? arena_strdup(a, opt(res, 4 + s)) : NULL;
    w->all = db_int(res, 0, 7) == 0;
    w->runs_list = opt(res, 8) ? arena_strdup(a, opt(res, 8)) : NULL;
    return ERR_OK;
}

const char *collect_prom_url(const struct app *app)
{
    return settings_str(app->config, SETTING_MONITORING_PROMETHEUS_URL);
}

long collect_prom_timeout_ms(const struct app *app)
{
    return (long)settings_int(app->config, SETTING_MONITORING_PROMETHEUS_TIMEOUT_MS);
}

struct sink {
    struct app *app;
    struct arena *a;
    const struct watch *w;
    int64_t points;
    struct buf copy;
    const char **detail;
};

/* t as PostgreSQL's timestamptz text, in UTC, to the millisecond. */
static int put_time(struct buf *b, double t)
{
    double whole = floor(t);
    long ms = lround((t - whole) * 1000);
    time_t s = (time_t)whole + (ms >= 1000);
    ms %= 1000;
    struct tm tm;
    char text[32];
    if (!gmtime_r(&s, &tm) || !strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm))
        return -1;
    return buf_printf(b, "%s.%03ld+00", text, ms);
}

/* The labels of one series of the answer, without __name__ (the catalogue names it), as JSON text. */
static char *labels_text(struct arena *a, const json_t *item)
{
    json_t *m = json_deep_copy(json_object_get(item, "metric"));
    if (!json_is_object(m)) {
        json_decref(m);
        m = json_object();
    }
    json_object_del(m, "__name__");
    char *out = out_text(a, m, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(m);
    return out;
}

static enum err flush(struct sink *k, bool last)
{
    if (k->copy.len == 0 || (!last && k->copy.len < COPY_FLUSH))
        return ERR_OK;
    if (k->copy.overflow || db_copy_put(k->app->db, k->copy.data, k->copy.len) < 0)
        return ERR_DB_UNAVAILABLE;
    buf_clear(&k->copy);
    return ERR_OK;
}

/* The points of one series as COPY lines. Values other than a string are Prometheus's error. */
static enum err copy_points(struct sink *k, const char *series_id, const json_t *values)
{
    size_t i;
    const json_t *pt;
    json_array_foreach(values, i, pt)
    {
        const char *v = json_string_value(json_array_get(pt, 1));
        const json_t *t = json_array_get(pt, 0);
        if (!v || !json_is_number(t)) {
            *k->detail = "Prometheus's answer has a point that is not [time, \"value\"]";
            return ERR_PROMETHEUS_UNAVAILABLE;
        }
        if (++k->points > COLLECT_POINTS_MAX) {
            *k->detail = arena_printf(k->a,
                                      "field=step_s: the window holds over %d points at step %g s; choose a"
                                      " larger step_s",
                                      COLLECT_POINTS_MAX, k->w->step);
            return ERR_INVALID_INPUT;
        }
        buf_printf(&k->copy, "%s\t", series_id);
        put_time(&k->copy, json_number_value(t));
        buf_printf(&k->copy, "\t%s\n", prom_value_sql(v));
        enum err e = flush(k, false);
        if (e)
            return e;
    }
    return ERR_OK;
}

/* The points of the n series of result, ids[i] the id of the i-th, into the open COPY. */
static enum err copy_all(struct sink *k, const char *const *ids, const json_t *result, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum err e = copy_points(k, ids[i], json_object_get(json_array_get(result, i), "values"));
        if (e)
            return e;
    }
    return flush(k, true);
}

/* One answer (a matrix) of entry e: its series upserted, then its points by one COPY. */
static enum err store(struct sink *k, const struct catalog_entry *e, const char *query, const json_t *result)
{
    size_t n = json_array_size(result);
    if (n == 0)
        return ERR_OK;
    const char **ids = arena_calloc(k->a, n, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        const char *p[] = {k->w->session_id, e->metric, query, labels_text(k->a, json_array_get(result, i))};
        PGresult *res;
        enum err err = db_exec(k->app->db, k->a, &st_series, p, &res, k->detail);
        if (err)
            return err;
        ids[i] = arena_strdup(k->a, PQgetvalue(res, 0, 0));
    }
    enum err err = db_copy_in(k->app->db, k->a, "COPY session_samples (series_id, ts, value) FROM STDIN", k->detail);
    if (err)
        return err;
    err = copy_all(k, ids, result, n);
    int64_t rows;
    const char *d2;
    enum err end = db_copy_end(k->app->db, k->a, err ? "collection failed" : NULL, &rows, err ? &d2 : k->detail);
    return err ? err : end;
}

/* Entry e over the window, chunk by chunk. */
static enum err fetch(struct sink *k, const struct catalog_entry *e)
{
    const struct watch *w = k->w;
    if (!w->all && !w->ids[e->set])
        return ERR_OK; /* the session watches nothing this entry is about */
    double win = fmax(RATE_WINDOW_MIN_S, 2 * w->step);
    const char *q = catalog_query(k->a, e, w->all ? NULL : w->ids[e->set], win);
    size_t steps = prom_steps(&(struct prom_window){w->start, w->end, w->step});
    for (size_t first = 0; first < steps; first += PROM_POINTS_PER_QUERY) {
        size_t last = first + PROM_POINTS_PER_QUERY - 1 < steps ? first + PROM_POINTS_PER_QUERY - 1 : steps - 1;
        struct prom_window cw = {w->start + (double)first * w->step, w->start + (double)last * w->step, w->step};
        json_t *result;
        enum err err = prom_query_range(collect_prom_url(k->app), q, &cw, collect_prom_timeout_ms(k->app), k->a,
                                        &result, k->detail);
        if (err)
            return err == ERR_INVALID_INPUT ? ERR_INTERNAL : err; /* aifb's own query refused: a bug, logged */
        err = store(k, e, q, result);
        json_decref(result);
        if (err)
            return err;
    }
    return ERR_OK;
}

/* The session locked and its earlier collection cleared, every entry fetched and stored, the
 * session marked collected: one transaction. */
static enum err collect_body(void *ctx)
{
    struct sink *k = ctx;
    struct app *app = k->app;
    const char *p[] = {k->w->session_id};
    PGresult *res;
    k->points = 0;
    buf_clear(&k->copy); /* what a failed try left */
    enum err e = db_exec(app->db, k->a, &st_lock, p, &res, k->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "active") == 0) {
        *k->detail = "the session was deleted or is active again";
        return ERR_SESSION_STATE;
    }
    e = db_exec(app->db, k->a, &st_clear, p, &res, k->detail);
    if (e)
        return e;
    for (size_t i = 0; i < catalog_len; i++) {
        e = fetch(k, &catalog[i]);
        if (e)
            return e;
    }
    const char *p2[] = {k->w->session_id, arena_printf(k->a, "%.17g", k->w->step),
                        arena_printf(k->a, "%lld", (long long)k->points)};
    return db_exec(app->db, k->a, &st_done, p2, &res, k->detail);
}

enum err collect_run(struct app *app, struct arena *a, const struct watch *w, int64_t *points, const char **detail)
{
    struct sink k = {app, a, w, 0, {0}, detail};
    buf_init(&k.copy, 2 * COPY_FLUSH);
    enum err e = db_tx(app->db, a, collect_body, &k, detail);
    buf_free(&k.copy);
    *points = k.points;
    return e;
}
