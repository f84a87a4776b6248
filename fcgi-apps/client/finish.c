/* finish: keeps runs in step with their SLURM jobs, and when a job has ended loads what its ranks
 * wrote (records-<rank>.csv, timeline-<rank>.csv, summary-<rank>.json in the job's folder) into
 * PostgreSQL with COPY, then stores the run's summary as run_summary_json() computes it from the
 * records. One worker at a time (an advisory lock); loading is one transaction, so a run is either
 * loaded whole or tried again at the next tick. */
#include "finish.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "db.h"
#include "job_state.h"
#include "log.h"
#include "remote.h"
#include "runs.h"
#include "submit.h"
#include "out.h"

/* "aifc" as a number: aifb-client's own lock, apart from aifb-server's reconciler. */
#define FINISH_LOCK 1634297443
#define OUTPUT_TIMEOUT_S 600.0

static const struct db_stmt st_live =
    DB_STMT("finish_live",
            "SELECT id, slurm_job_id, ntasks, stop_requested FROM runs WHERE slurm_job_id IS NOT NULL"
            " AND NOT job_state_terminal(state) ORDER BY id LIMIT 500",
            0, true);
static const struct db_stmt st_exists = DB_STMT("finish_exists", "SELECT 1 FROM runs WHERE id = $1::bigint", 1, true);
static const struct db_stmt st_state =
    DB_STMT("finish_state",
            "UPDATE runs SET state = $2, started_at = CASE WHEN $2 IN ('running', 'completing') THEN "
            "coalesce(started_at, now())"
            " ELSE started_at END WHERE id = $1 AND NOT job_state_terminal(state)",
            2, true);
static const struct db_stmt st_clear = DB_STMT(
    "finish_clear",
    "WITH a AS (DELETE FROM request_records WHERE run_id = $1), b AS (DELETE FROM run_latency WHERE run_id = $1),"
    " c AS (DELETE FROM run_distribution WHERE run_id = $1) DELETE FROM run_timeline WHERE run_id = $1",
    1, false);
static const struct db_stmt st_latency =
    DB_STMT("finish_latency",
            "INSERT INTO run_latency SELECT run_id, metric, n, mean, median, std, min, max, p90, p95, p99, p99_9"
            " FROM run_latency_summary WHERE run_id = $1",
            1, false);
/* Each metric's histogram and CDF, kept for the charts (sql/0009). */
static const struct db_stmt st_distribution =
    DB_STMT("finish_distribution", "SELECT run_distribution_keep($1::bigint)", 1, false);
static const struct db_stmt st_done = DB_STMT(
    "finish_done",
    "UPDATE runs SET state = $2, error = $3, records_loaded = (SELECT count(*) FROM request_records WHERE run_id = $1),"
    " summary = run_summary_json($1) || jsonb_build_object('ranks', $4::jsonb),"
    " started_at = coalesce(started_at, created_at), ended_at = coalesce(ended_at, now())"
    " WHERE id = $1 AND NOT job_state_terminal(state)",
    4, false);

/* The bytes of one COPY: each whole line of the job's CSV, with the run's id put in front. A last
 * line without its newline (a rank killed while writing) is held back in partial and dropped. */
struct copy_sink {
    struct db *db;
    const char *prefix; /* "<run id>," */
    size_t prefix_len;
    struct buf partial; /* the start of a line whose end has not come yet */
    bool failed;
};

/* Sends whole lines (data ends with '\n'), each with the prefix. */
static void put_lines(struct copy_sink *c, const char *data, size_t len)
{
    while (len && !c->failed) {
        const char *nl = memchr(data, '\n', len);
        size_t n = (size_t)(nl - data) + 1;
        if (db_copy_put(c->db, c->prefix, c->prefix_len) < 0 || db_copy_put(c->db, data, n) < 0)
            c->failed = true;
        data += n;
        len -= n;
    }
}

static int copy_bytes(void *ctx, const char *data, size_t len)
{
    struct copy_sink *c = ctx;
    const char *last = memrchr(data, '\n', len);
    if (!last) { /* still inside one line */
        if (buf_append(&c->partial, data, len) < 0)
            c->failed = true;
        return c->failed ? -1 : 0;
    }
    size_t whole = (size_t)(last - data) + 1;
    if (c->partial.len) { /* the line begun before ends here */
        const char *nl = memchr(data, '\n', len);
        size_t n = (size_t)(nl - data) + 1;
        if (buf_append(&c->partial, data, n) < 0)
            c->failed = true;
        else
            put_lines(c, c->partial.data, c->partial.len);
        buf_clear(&c->partial);
        data += n;
        len -= n;
        whole -= n;
    }
    put_lines(c, data, whole);
    if (!c->failed && buf_append(&c->partial, data + whole, len - whole) < 0)
        c->failed = true;
    return c->failed ? -1 : 0;
}

/* COPY of one file of the job (name) into the table and columns of sql. A missing file is no error:
 * the rank died before writing it (or the job never ran); *missing says so. The COPY runs under a
 * savepoint, so that one aborted for a missing file leaves the run's transaction usable. */
static enum err copy_file(struct app *app, struct arena *a, int64_t run, int64_t job, const char *name, const char *sql,
                          bool *missing, const char **detail)
{
    *missing = false;
    enum err e = db_command(app->db, a, "SAVEPOINT aifb_copy", detail);
    if (e)
        return e;
    e = db_copy_in(app->db, a, sql, detail);
    if (e)
        return e;
    struct copy_sink c = {app->db, arena_printf(a, "%lld,", (long long)run), 0, {0}, false};
    c.prefix_len = strlen(c.prefix);
    buf_init(&c.partial, 1 << 20);
    enum err got = agent_output(app, a, job, name, OUTPUT_TIMEOUT_S, copy_bytes, &c, detail);
    int64_t rows;
    const char *d2;
    if (!got && !c.failed) {
        if (c.partial.len)
            log_warn("runs: run %lld: %s ends in a cut line of %zu bytes (its rank was killed): dropped",
                     (long long)run, name, c.partial.len);
        e = db_copy_end(app->db, a, NULL, &rows, detail);
    } else {
        e = db_copy_end(app->db, a, "the file could not be read whole", &rows, &d2);
        *missing = got == ERR_OUTPUT_NOT_FOUND;
        if (*missing)
            e = db_command(app->db, a, "ROLLBACK TO SAVEPOINT aifb_copy", detail);
        else /* the sink failed: the connection's own state says why */
            e = got ? got : e == ERR_DB_UNAVAILABLE || !db_connected(app->db) ? ERR_DB_UNAVAILABLE : ERR_DB_ERROR;
    }
    buf_free(&c.partial);
    return e;
}

static int keep_bytes(void *ctx, const char *data, size_t len)
{
    return buf_append(ctx, data, len);
}

/* Each rank's summary-<rank>.json (its self-check and facts), in rank order in *out; null for a rank
 * that wrote none (counted in *missing). Any other failure (the cluster away) is returned, so that
 * the run is loaded at a later tick instead of being judged on half an answer. */
static enum err rank_summaries(struct app *app, struct arena *a, int64_t job, int ntasks, json_t **out, int *missing,
                               const char **detail)
{
    json_t *list = *out = json_array();
    arena_defer(a, (void (*)(void *))json_decref, list);
    for (int rank = 0; rank < ntasks; rank++) {
        struct buf b;
        buf_init(&b, 1 << 20);
        enum err e = agent_output(app, a, job, arena_printf(a, "summary-%d.json", rank), 60, keep_bytes, &b, detail);
        json_t *doc = e ? NULL : json_loadb(b.data ? b.data : "", b.len, 0, NULL);
        buf_free(&b);
        if (e && e != ERR_OUTPUT_NOT_FOUND)
            return e;
        json_t *keep =
            doc ? json_pack("{s:i, s:O?, s:O?, s:O?}", "rank", rank, "self_check", json_object_get(doc, "self_check"),
                            "errors", json_object_get(doc, "errors"), "completed", json_object_get(doc, "completed"))
                : json_null();
        if (!doc)
            (*missing)++;
        json_decref(doc);
        json_array_append_new(list, keep);
    }
    return ERR_OK;
}

#define RECORD_COLUMNS                                                                                                 \
    "run_id, rank, seq, phase, scheduled_us, sent_us, first_chunk_us, last_chunk_us, done_us, itl_us,"                 \
    " prompt_tokens, completion_tokens, tokens_estimated, http_status, error_class, connect_us"

/* One run's load: what load_body needs, and the ranks' summaries read before it. */
struct load_tx {
    struct app *app;
    struct arena *a;
    int64_t run, job;
    int ntasks, missing;
    const char *state, *id;
    json_t *ranks;
    const char **detail;
};

/* The records and timeline files of rank into their tables. */
static enum err copy_rank(struct load_tx *t, int rank)
{
    bool gone;
    enum err e = copy_file(t->app, t->a, t->run, t->job, arena_printf(t->a, "records-%d.csv", rank),
                           "COPY request_records (" RECORD_COLUMNS ") FROM STDIN (FORMAT csv)", &gone, t->detail);
    if (e)
        return e;
    return copy_file(t->app, t->a, t->run, t->job, arena_printf(t->a, "timeline-%d.csv", rank),
                     "COPY run_timeline (run_id, rank, second, started, completed, failed, output_tokens,"
                     " in_flight, chunks, measured_tokens) FROM STDIN (FORMAT csv)",
                     &gone, t->detail);
}

/* Every rank's files into the tables, then the run's latency, summary and final state. */
static enum err load_body(void *ctx)
{
    struct load_tx *t = ctx;
    struct app *app = t->app;
    struct arena *a = t->a;
    PGresult *res;
    /* a big run's COPY and summary take longer than an API request may */
    const char *p1[] = {t->id};
    enum err e = db_command(app->db, a, "SET LOCAL statement_timeout = 0", t->detail);
    if (e)
        return e;
    e = db_exec(app->db, a, &st_clear, p1, &res, t->detail);
    if (e)
        return e;
    for (int rank = 0; rank < t->ntasks; rank++) {
        e = copy_rank(t, rank);
        if (e)
            return e;
    }
    const char *ranks_text = out_text(a, t->ranks, JSON_COMPACT);
    /* a run stopped before its job started has nothing to say; one that ran should have */
    const char *why =
        t->missing && strcmp(t->state, "cancelled") != 0
            ? arena_printf(a, "%d of %d ranks wrote no summary (see the job's log)", t->missing, t->ntasks)
            : NULL;
    const char *p2[] = {t->id, t->missing && strcmp(t->state, "completed") == 0 ? "failed" : t->state, why, ranks_text};
    e = db_exec(app->db, a, &st_latency, p1, &res, t->detail);
    if (e)
        return e;
    e = db_exec(app->db, a, &st_distribution, p1, &res, t->detail);
    if (e)
        return e;
    return db_exec(app->db, a, &st_done, p2, &res, t->detail);
}

/* Loads every rank's files of run (job) and sets its final state, in one transaction. */
static enum err load_run(struct app *app, struct arena *a, int64_t run, int64_t job, int ntasks, const char *state,
                         const char **detail)
{
    struct load_tx t = {app, a, run, job, ntasks, 0, state, arena_printf(a, "%lld", (long long)run), NULL, detail};
    enum err e = rank_summaries(app, a, job, ntasks, &t.ranks, &t.missing, detail);
    return e ? e : db_tx(app->db, a, load_body, &t, detail);
}

static const struct db_stmt st_broken =
    DB_STMT("finish_broken",
            "UPDATE runs SET state = 'failed', error = $2, ended_at = coalesce(ended_at, now()) WHERE id = $1"
            " AND NOT job_state_terminal(state)",
            2, true);

/* Errors worth another try at the next tick: the database or the cluster away for a while. */
static bool transient(enum err e)
{
    return e == ERR_DB_UNAVAILABLE || e == ERR_CLUSTER_UNAVAILABLE || e == ERR_CLUSTER_TIMEOUT ||
           e == ERR_CLUSTER_HOST_KEY || e == ERR_CLUSTER_AUTH || e == ERR_SERVICE_UNREACHABLE;
}

/* A run's state from its job's, as the agent names them (a loadgen job has no endpoint: its
 * "starting" is running). "unknown" is final only when SLURM knows nothing of the job; a state the
 * agent does not map (SUSPENDED, ...) keeps the run live. */
static const char *run_state(const json_t *job)
{
    const char *st = agent_job_state(job);
    return !st || strcmp(st, "starting") == 0 ? "running" : st;
}

static void apply(struct app *app, struct arena *a, PGresult *live, int i, const json_t *job)
{
    int64_t run = db_int(live, i, 0), jobid = db_int(live, i, 1);
    int ntasks = (int)db_int(live, i, 2);
    const char *state = run_state(job);
    const char *detail = "";
    enum err e;
    if (job_state_terminal_name(state)) {
        e = load_run(app, a, run, jobid, ntasks, state, &detail);
        if (e && !transient(e)) { /* the files will not load better next time: say why, and stop */
            const char *p[] = {PQgetvalue(live, i, 0),
                               arena_printf(a, "loading the records failed: %s: %s", err_string(e), detail)};
            PGresult *res;
            const char *ignored;
            db_exec(app->db, a, &st_broken, p, &res, &ignored);
        }
    } else {
        const char *p[] = {PQgetvalue(live, i, 0), state};
        PGresult *res;
        e = db_exec(app->db, a, &st_state, p, &res, &detail);
    }
    if (e)
        log_warn("runs: run %lld (job %lld): %s: %s", (long long)run, (long long)jobid, err_string(e), detail);
}

void runs_finish(struct app *app, struct arena *a)
{
    PGresult *live;
    const char *detail;
    if (!db_try_lock(app->db, a, FINISH_LOCK))
        return; /* the database is away, or another worker is at it */
    if (db_exec(app->db, a, &st_live, NULL, &live, &detail) == ERR_OK && PQntuples(live) > 0) {
        int n = PQntuples(live);
        const char **ids = arena_calloc(a, (size_t)n, sizeof(*ids));
        for (int i = 0; i < n; i++)
            ids[i] = PQgetvalue(live, i, 1);
        json_t *answer;
        enum err e = agent_call(app, a, "status", ids, (size_t)n, NULL, &answer, &detail);
        size_t k;
        json_t *job;
        if (e)
            log_warn("runs: agent status: %s: %s", err_string(e), detail);
        else
            json_array_foreach(json_object_get(answer, "jobs"), k, job)
            {
                for (int i = 0; i < n; i++)
                    if (db_int(live, i, 1) == json_integer_value(json_object_get(job, "job_id")))
                        apply(app, a, live, i, job);
            }
    }
    submit_sweep(app, a, "run", &st_exists);
    db_unlock(app->db, a, FINISH_LOCK);
}
