/* h_runs: read access to the runs table. */
#include "h_runs.h"

#include <string.h>

#include "in.h"
#include "app.h"
#include "log.h"

#include "db.h"
#include "req.h"
#include "rows.h"
#include "runs.h"

static const struct db_stmt st_list = DB_STMT(
    "runs_list",
    DB_JSON_ROWS("SELECT " RUN_LIST_COLUMNS " FROM runs WHERE ($1::text IS NULL OR state = $1)"
                 " AND ($2::bigint IS NULL OR service_id = $2) AND ($3::timestamptz IS NULL OR created_at >= $3)"
                 " AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5::bigint IS NULL OR id < $5)"
                 " ORDER BY id DESC LIMIT $6"),
    6, true);

const struct db_stmt runs_st_get =
    DB_STMT("runs_get", DB_JSON_ROW("SELECT " RUN_COLUMNS " FROM runs WHERE id = $1"), 1, true);

enum err h_runs_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_state), in_text(r->in, K_service_id), in_text(r->in, K_since),
                            in_text(r->in, K_until), in_text(r->in, K_before_id),  in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, params, "runs");
}

enum err h_runs_get(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &runs_st_get, params, 200, ERR_RUN_NOT_FOUND);
}

static const struct db_stmt st_results = DB_STMT(
    "runs_results",
    DB_JSON_ROW(
        "SELECT r.id AS run_id, r.name, r.state, r.records_loaded, r.summary,"
        " (SELECT coalesce(json_agg(l ORDER BY l.metric), '[]') FROM (SELECT metric, n, mean, median, std, min, max,"
        "   p90, p95, p99, p99_9 FROM run_latency WHERE run_id = r.id) l) AS percentiles,"
        " (SELECT coalesce(json_agg(t ORDER BY t.second), '[]') FROM (SELECT time, second, started, completed, failed,"
        "   output_tokens, in_flight, chunks FROM run_timeline_total WHERE run_id = r.id) t) AS timeline"
        " FROM runs r WHERE r.id = $1"),
    1, true);

enum err h_runs_create(struct req *r)
{
    int64_t id;
    enum err e = runs_create(r, &id);
    if (e)
        return e;
    const char *p[] = {arena_i64(r->arena, id)};
    return rows_one(r, &runs_st_get, p, 201, ERR_RUN_NOT_FOUND);
}

static const struct db_stmt st_stop_set =
    DB_STMT("runs_stop_set", DB_JSON_ROW("UPDATE runs SET stop_requested = true WHERE id = $1 RETURNING " RUN_COLUMNS),
            1, true);

enum err h_runs_stop(struct req *r)
{
    const char *p[] = {in_text(r->in, K_id)};
    enum err e = runs_stop(r, p[0]);
    return e ? e : rows_one(r, &st_stop_set, p, 202, ERR_RUN_NOT_FOUND);
}

enum err h_runs_results(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_results, params, 200, ERR_RUN_NOT_FOUND);
}

/* Every metric's histogram and CDF as kept at load (sql/0009): {"run_id", "metrics": {name: {"n",
 * "histogram": {"lo", "width", "counts"}, "cdf": {"q", "value"}}}}; no metrics before the run is loaded. */
static const struct db_stmt st_distributions =
    DB_STMT("runs_distributions",
            DB_JSON_ROW("SELECT r.id AS run_id, r.state, r.records_loaded,"
                        " (SELECT coalesce(json_object_agg(d.metric, json_build_object('n', d.n, 'histogram',"
                        "   json_build_object('lo', d.lo, 'width', d.width, 'counts', d.counts), 'cdf',"
                        "   json_build_object('q', d.q, 'value', d.value)) ORDER BY d.metric), '{}')"
                        "   FROM run_distribution d WHERE d.run_id = r.id) AS metrics"
                        " FROM runs r WHERE r.id = $1"),
            1, true);

enum err h_runs_distributions(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_distributions, params, 200, ERR_RUN_NOT_FOUND);
}

/* Records are paged by (rank, seq): each page says where the next begins. */
static const struct db_stmt st_records = DB_STMT(
    "runs_records",
    "WITH page AS (SELECT rank, seq, phase, scheduled_us, sent_us, first_chunk_us, last_chunk_us, done_us, itl_us,"
    "   prompt_tokens, completion_tokens, tokens_estimated, http_status, error_class FROM request_records"
    "   WHERE run_id = $1 AND (rank, seq) > ($2::int, $3::bigint) ORDER BY rank, seq LIMIT $4)"
    " SELECT json_build_object('run_id', $1::bigint, 'records', coalesce(json_agg(page ORDER BY rank, seq), '[]'),"
    "   'next', CASE WHEN count(*) = $4::bigint THEN json_build_object('after_rank', max(rank),"
    "     'after_seq', (array_agg(seq ORDER BY rank DESC, seq DESC))[1]) END)::text"
    " FROM page HAVING EXISTS (SELECT 1 FROM runs WHERE id = $1)",
    4, true);
static const struct db_stmt st_exists = DB_STMT("runs_exists", "SELECT 1 FROM runs WHERE id = $1", 1, true);

/* The CSV download: the COPY format's columns with a header; itl_us as PostgreSQL's array text. */
#define RECORDS_CSV_HEADER                                                                                             \
    "rank,seq,phase,scheduled_us,sent_us,first_chunk_us,last_chunk_us,done_us,itl_us,prompt_tokens,"                   \
    "completion_tokens,tokens_estimated,http_status,error_class\n"
/* concat_ws skips NULLs: every column goes through coalesce so that an absent value is an empty field. */
#define RECORDS_CSV_SQL                                                                                                \
    "SELECT concat_ws(',', rank, seq, phase, scheduled_us, sent_us, coalesce(first_chunk_us::text, ''),"               \
    " coalesce(last_chunk_us::text, ''), coalesce(done_us::text, ''),"                                                 \
    " coalesce('\"' || itl_us::text || '\"', ''), coalesce(prompt_tokens::text, ''),"                                  \
    " coalesce(completion_tokens::text, ''), CASE WHEN tokens_estimated THEN 't' ELSE 'f' END,"                        \
    " coalesce(http_status::text, ''), coalesce(error_class, '')) || E'\\n'"                                           \
    " FROM request_records WHERE run_id = $1 ORDER BY rank, seq"

static enum err records_csv(struct req *r, const char *id)
{
    const char *p[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_exists, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_RUN_NOT_FOUND, "run %s", id);
    reply_header(r, "Content-Disposition", arena_printf(r->arena, "attachment; filename=\"run-%s-records.csv\"", id));
    e = reply_stream_start(r, 200, "text/csv; charset=utf-8");
    if (e)
        return e;
    if (reply_stream_write(r, RECORDS_CSV_HEADER, strlen(RECORDS_CSV_HEADER)) < 0)
        return ERR_OK;
    e = rows_stream(r, RECORDS_CSV_SQL, p, 1, NULL);
    if (e) /* the head is gone: the broken-off body is all the client can see; the log says why */
        log_warn("run %s: records CSV: %s: %s", id, err_string(e), r->detail);
    return ERR_OK;
}

enum err h_runs_records(struct req *r)
{
    const char *fmt = in_str(r->in, K_format);
    if (fmt && strcmp(fmt, "csv") == 0)
        return records_csv(r, in_text(r->in, K_id));
    const char *params[] = {in_text(r->in, K_id), in_int_text(r->in, K_after_rank, -1),
                            in_int_text(r->in, K_after_seq, -1), in_int_text(r->in, K_limit, 1000)};
    return rows_one(r, &st_records, params, 200, ERR_RUN_NOT_FOUND);
}

/* Two runs side by side: every number both summaries hold, with b - a and b / a. */
static const struct db_stmt st_compare = DB_STMT(
    "runs_compare",
    DB_JSON_ROW(
        "SELECT json_build_object('id', a.id, 'name', a.name, 'state', a.state) AS a,"
        " json_build_object('id', b.id, 'name', b.name, 'state', b.state) AS b,"
        " (SELECT coalesce(json_agg(m ORDER BY m.metric), '[]') FROM (SELECT x.key AS metric, x.value::text::float8 AS "
        "a,"
        "   y.value::text::float8 AS b, y.value::text::float8 - x.value::text::float8 AS difference,"
        "   y.value::text::float8 / nullif(x.value::text::float8, 0) AS ratio"
        "   FROM jsonb_each(coalesce(a.summary, '{}')) x JOIN jsonb_each(coalesce(b.summary, '{}')) y USING (key)"
        "   WHERE jsonb_typeof(x.value) = 'number' AND jsonb_typeof(y.value) = 'number') m) AS metrics"
        " FROM runs a, runs b WHERE a.id = $1 AND b.id = $2"),
    2, true);

enum err h_runs_compare(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id), in_text(r->in, K_other)};
    return rows_one(r, &st_compare, params, 200, ERR_RUN_NOT_FOUND);
}
