/* h_collect: collection runs in the request (it is bounded: COLLECT_POINTS_MAX points, each query
 * under monitoring.prometheus_timeout_ms); the downloads stream from PostgreSQL row by row. */
#include "h_collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "in.h"
#include "app.h"
#include "collect.h"
#include "db.h"
#include "energy.h"
#include "h_sessions.h"
#include "log.h"
#include "mono.h"
#include "num.h"
#include "prom.h"
#include "req.h"
#include "rows.h"

static const struct db_stmt st_get = DB_STMT(
    "collect_session", DB_JSON_ROW("SELECT " SESSION_COLUMNS " FROM monitoring_sessions WHERE id = $1"), 1, true);
static const struct db_stmt st_state =
    DB_STMT("collect_state", "SELECT state FROM monitoring_sessions WHERE id = $1", 1, true);
static const struct db_stmt st_summary = DB_STMT(
    "collect_summary",
    "SELECT json_build_object('session_id', s.id, 'label', s.label, 'starts_at', s.starts_at, 'ends_at', s.ends_at,"
    " 'step_s', s.collected_step_s, 'collected_at', s.collected_at, 'points', s.collected_points,"
    " 'metrics', coalesce((SELECT json_agg(json_build_object('metric', m.metric, 'labels', m.labels,"
    "   'samples', m.samples, 'min', m.min, 'mean', m.mean, 'p95', m.p95, 'max', m.max, 'first', m.first_ts,"
    "   'last', m.last_ts) ORDER BY m.metric, m.series_id) FROM session_series_summary m"
    "   WHERE m.session_id = s.id), '[]'),"
    " 'energy', coalesce((SELECT json_agg(e ORDER BY e.run_id) FROM run_energy e WHERE e.run_id IN"
    "   (SELECT jsonb_array_elements_text(s.watch->'runs')::bigint)), '[]'))::text"
    " FROM monitoring_sessions s WHERE s.id = $1",
    1, true);

#define DATA_CSV_HEADER "time,metric,labels,value\n"
#define DATA_CSV_SQL                                                                                                   \
    "SELECT concat_ws(',', to_char(x.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), s.metric,"           \
    " '\"' || replace(prom_labels_text(s.labels), '\"', '\"\"') || '\"', x.value) || E'\\n'"                           \
    " FROM session_series s JOIN session_samples x ON x.series_id = s.id WHERE s.session_id = $1"                      \
    " ORDER BY s.metric, s.id, x.ts"
#define DATA_JSON_SQL                                                                                                  \
    "SELECT json_build_object('metric', s.metric, 'labels', s.labels, 'query', s.query,"                               \
    " 'summary', json_build_object('samples', m.samples, 'min', m.min, 'mean', m.mean, 'p95', m.p95, 'max', m.max),"   \
    " 'points', (SELECT coalesce(json_agg(json_build_array(extract(epoch FROM x.ts), x.value) ORDER BY x.ts), '[]')"   \
    "   FROM session_samples x WHERE x.series_id = s.id))::text"                                                       \
    " FROM session_series s JOIN session_series_summary m ON m.series_id = s.id WHERE s.session_id = $1"               \
    " ORDER BY s.metric, s.id"

/* ERR_OK when the session has been collected; else its 404 or 409. */
static enum err collected(struct req *r, const char *id)
{
    const char *p[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_state, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_SESSION_NOT_FOUND, "session %s", id);
    const char *state = PQgetvalue(res, 0, 0);
    if (strcmp(state, "collected") != 0)
        return req_fail(r, ERR_SESSION_STATE, "session %s is %s: collect it first (POST .../collect)", id, state);
    return ERR_OK;
}

/* The energy of each run the session watches: its stored row, or why there is none. */
static json_t *energies(struct req *r, const struct watch *w)
{
    json_t *out = req_own_json(r, json_array());
    char *list = arena_strdup(r->arena, w->runs_list ? w->runs_list : "");
    for (char *save = NULL, *id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        const char *row, *detail = NULL;
        enum err e = energy_measure(r->app, r->arena, id, &row, &detail);
        json_t *j = e ? NULL : json_loads(row, 0, NULL);
        if (!j) {
            int64_t run = 0;
            num_i64(id, &run); /* the session's own list of run ids */
            j = json_pack("{s:I, s:s, s:s?}", "run_id", (json_int_t)run, "error", err_string(e ? e : ERR_INTERNAL),
                          "detail", detail);
        }
        json_array_append_new(out, j);
    }
    return out;
}

static enum err check_steps(struct req *r, const struct watch *w)
{
    size_t steps = prom_steps(&(struct prom_window){w->start, w->end, w->step});
    if (steps <= COLLECT_STEPS_MAX)
        return ERR_OK;
    return req_fail(r, ERR_INVALID_INPUT,
                    "field=step_s: the window of %.0f s holds %zu steps of %g s; at most %d: choose step_s >= %g",
                    w->end - w->start, steps, w->step, COLLECT_STEPS_MAX,
                    ceil((w->end - w->start) / (COLLECT_STEPS_MAX - 1) * 1000) / 1000);
}

enum err h_collect_run(struct req *r)
{
    const char *id = in_text(r->in, K_id);
    struct watch w;
    enum err e = watch_load(r->app, r->arena, id, &w, &r->detail);
    if (e == ERR_SESSION_NOT_FOUND)
        return req_fail(r, e, "session %s", id);
    if (e)
        return e;
    if (strcmp(w.state, "active") == 0)
        return req_fail(r, ERR_SESSION_STATE, "session %s is active until its end; stop it to collect now", id);
    w.step = in_num(r->in, K_step_s, w.step);
    e = check_steps(r, &w);
    if (e)
        return e;
    int64_t points;
    double t0 = mono_now();
    e = collect_run(r->app, r->arena, &w, &points, &r->detail);
    if (e)
        return e;
    log_info("session %s: collected %lld points at %g s in %.0f ms", id, (long long)points, w.step,
             (mono_now() - t0) * 1000);
    const char *p[] = {id};
    PGresult *res;
    e = db_exec(r->app->db, r->arena, &st_get, p, &res, &r->detail);
    if (e)
        return e;
    json_t *doc = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (!doc)
        return req_fail(r, ERR_SESSION_NOT_FOUND, "session %s was deleted meanwhile", id);
    json_object_set(doc, "energy", energies(r, &w));
    return reply_json(r, 200, req_own_json(r, doc));
}

/* The CSV or JSON download, streamed; a failure after the head shows as a cut body and in the log. */
static enum err stream(struct req *r, const char *id, bool csv)
{
    const char *p[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_get, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_SESSION_NOT_FOUND, "session %s", id);
    const char *head =
        csv ? DATA_CSV_HEADER : arena_printf(r->arena, "{\"session\":%s,\"series\":[", PQgetvalue(res, 0, 0));
    reply_header(r, "Content-Disposition",
                 arena_printf(r->arena, "attachment; filename=\"session-%s.%s\"", id, csv ? "csv" : "json"));
    e = reply_stream_start(r, 200, csv ? "text/csv; charset=utf-8" : "application/json");
    if (e)
        return e;
    if (reply_stream_write(r, head, strlen(head)) < 0)
        return ERR_OK;
    e = rows_stream(r, csv ? DATA_CSV_SQL : DATA_JSON_SQL, p, 1, csv ? NULL : ",");
    if (e)
        log_warn("session %s: data download: %s: %s", id, err_string(e), r->detail);
    else if (!csv)
        reply_stream_write(r, "]}\n", 3);
    return ERR_OK;
}

enum err h_collect_data(struct req *r)
{
    const char *id = in_text(r->in, K_id);
    enum err e = collected(r, id);
    if (e)
        return e;
    const char *fmt = in_str(r->in, K_format);
    return stream(r, id, !fmt || strcmp(fmt, "csv") == 0);
}

enum err h_collect_summary(struct req *r)
{
    const char *id = in_text(r->in, K_id);
    enum err e = collected(r, id);
    if (e)
        return e;
    const char *p[] = {id};
    return rows_one(r, &st_summary, p, 200, ERR_SESSION_NOT_FOUND);
}
