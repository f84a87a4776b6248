/* h_sessions: the window is computed and checked by PostgreSQL's clock, so that every worker and the
 * tick agree on "now". */
#include "h_sessions.h"

#include <stdlib.h>
#include <string.h>

#include "in.h"
#include "app.h"
#include "buf.h"
#include "db.h"
#include "req.h"
#include "rows.h"

/* How far ahead of now a window may start: clocks of the caller and the database differ a little. */
#define SESSION_CLOCK_SLACK_S "5"
/* The window of a request: starts_at (default now), ends_at or starts_at + duration_s; and how it
 * stands against now: 1 when it starts in the future, 2 when it ends before it starts. */
static const struct db_stmt st_window =
    DB_STMT("sessions_window",
            "WITH w AS (SELECT coalesce($1::timestamptz, now()) AS s,"
            " coalesce($2::timestamptz, coalesce($1::timestamptz, now()) + make_interval(secs => $3::float8)) AS e)"
            " SELECT s, e, CASE WHEN s > now() + interval '" SESSION_CLOCK_SLACK_S " seconds' THEN 1"
            " WHEN e <= s THEN 2 ELSE 0 END FROM w",
            3, true);
/* The first id of $1 with no row in the table (services or runs). */
static const struct db_stmt st_missing_service =
    DB_STMT("sessions_missing_service",
            "SELECT x FROM unnest($1::bigint[]) WITH ORDINALITY AS u(x, i) WHERE NOT EXISTS (SELECT 1 FROM services"
            " WHERE id = x) ORDER BY i LIMIT 1",
            1, true);
static const struct db_stmt st_missing_run =
    DB_STMT("sessions_missing_run",
            "SELECT x FROM unnest($1::bigint[]) WITH ORDINALITY AS u(x, i) WHERE NOT EXISTS (SELECT 1 FROM runs"
            " WHERE id = x) ORDER BY i LIMIT 1",
            1, true);
static const struct db_stmt st_insert =
    DB_STMT("sessions_insert",
            DB_JSON_ROW("INSERT INTO monitoring_sessions (label, state, starts_at, ends_at, step_s, watch)"
                        " VALUES ($1, CASE WHEN $3::timestamptz <= now() THEN 'closed' ELSE 'active' END, $2, $3,"
                        " coalesce($4::float8, 1), $5::jsonb) RETURNING " SESSION_COLUMNS),
            5, false);
static const struct db_stmt st_list =
    DB_STMT("sessions_list",
            DB_JSON_ROWS("SELECT " SESSION_COLUMNS " FROM monitoring_sessions WHERE ($1::text IS NULL OR state = $1)"
                         " AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"),
            3, true);
static const struct db_stmt st_get =
    DB_STMT("sessions_get", DB_JSON_ROW("SELECT " SESSION_COLUMNS " FROM monitoring_sessions WHERE id = $1"), 1, true);
static const struct db_stmt st_stop = DB_STMT(
    "sessions_stop",
    DB_JSON_ROW("UPDATE monitoring_sessions SET ends_at = greatest(now(), starts_at + interval '1 millisecond'),"
                " state = 'closed' WHERE id = $1 AND state = 'active' RETURNING " SESSION_COLUMNS),
    1, false);
static const struct db_stmt st_state =
    DB_STMT("sessions_state", "SELECT state FROM monitoring_sessions WHERE id = $1", 1, true);
static const struct db_stmt st_delete =
    DB_STMT("sessions_delete", DB_JSON_ROW("DELETE FROM monitoring_sessions WHERE id = $1 RETURNING id"), 1, false);

/* A JSON array of ids as PostgreSQL's array text "{1,2}"; NULL when absent. */
static const char *id_array(struct req *r, enum in_key k)
{
    const json_t *a = in_json(r->in, k);
    size_t i;
    const json_t *v;
    if (!a)
        return "{}";
    char *out = arena_strdup(r->arena, "{");
    json_array_foreach(a, i, v)
    {
        out = arena_printf(r->arena, "%s%s%lld", out, i ? "," : "", (long long)json_integer_value(v));
    }
    return arena_printf(r->arena, "%s}", out);
}

/* The array k as JSON text ("[]" when absent): its elements are ids, checked. */
static const char *ids_json(struct req *r, enum in_key k)
{
    return in_has(r->in, k) ? in_text(r->in, k) : "[]";
}

/* Every element of the arrays services and runs is a positive integer. */
static enum err check_ids(struct req *r, enum in_key k)
{
    const json_t *a = in_json(r->in, k);
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return req_fail(r, ERR_INVALID_INPUT, "field=%s[%zu]: must be an id (an integer >= 1)", in_name(k), i);
    }
    return ERR_OK;
}

/* The first of the ids that names nothing, as a 400 naming it. */
static enum err check_exist(struct req *r, enum in_key k, const struct db_stmt *st)
{
    const char *p[] = {id_array(r, k)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, st, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) > 0)
        return req_fail(r, ERR_INVALID_INPUT, "field=%s: no %s with id %s", in_name(k),
                        k == K_services ? "service" : "run", PQgetvalue(res, 0, 0));
    return ERR_OK;
}

/* starts_at/ends_at/duration_s into the window (*s, *e as PostgreSQL's text), checked. */
static enum err window(struct req *r, const char **s, const char **e)
{
    const char *ends = in_text(r->in, K_ends_at);
    const char *dur = in_text(r->in, K_duration_s);
    if ((ends != NULL) == (dur != NULL))
        return req_fail(r, ERR_INVALID_INPUT, "field=ends_at: give ends_at or duration_s, one of them");
    const char *p[] = {in_text(r->in, K_starts_at), ends, dur};
    PGresult *res;
    enum err err = db_exec(r->app->db, r->arena, &st_window, p, &res, &r->detail);
    if (err == ERR_INVALID_INPUT) /* a date that matches the pattern but is not one (2026-02-30) */
        return req_fail(r, ERR_INVALID_INPUT, "field=%s: not a valid time", p[0] ? "starts_at" : "ends_at");
    if (err)
        return err;
    int64_t verdict = db_int(res, 0, 2);
    if (verdict == 1)
        return req_fail(r, ERR_INVALID_INPUT,
                        "field=starts_at: is in the future (a session watches from now or before)");
    if (verdict == 2)
        return req_fail(r, ERR_INVALID_INPUT, "field=%s: the window must end after it starts",
                        ends ? "ends_at" : "duration_s");
    *s = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
    *e = arena_strdup(r->arena, PQgetvalue(res, 0, 1));
    return ERR_OK;
}

enum err h_sessions_create(struct req *r)
{
    const char *s = NULL, *e = NULL;
    enum err err = check_ids(r, K_services);
    if (err)
        return err;
    err = check_ids(r, K_runs);
    if (err)
        return err;
    err = window(r, &s, &e);
    if (err)
        return err;
    err = check_exist(r, K_services, &st_missing_service);
    if (err)
        return err;
    err = check_exist(r, K_runs, &st_missing_run);
    if (err)
        return err;
    const char *watch =
        arena_printf(r->arena, "{\"services\":%s,\"runs\":%s}", ids_json(r, K_services), ids_json(r, K_runs));
    const char *p[] = {in_text(r->in, K_label), s, e, in_text(r->in, K_step_s), watch};
    return rows_one(r, &st_insert, p, 201, ERR_INTERNAL);
}

enum err h_sessions_list(struct req *r)
{
    const char *p[] = {in_text(r->in, K_state), in_text(r->in, K_before_id), in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, p, "sessions");
}

enum err h_sessions_get(struct req *r)
{
    const char *p[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, p, 200, ERR_SESSION_NOT_FOUND);
}

enum err h_sessions_stop(struct req *r)
{
    const char *p[] = {in_text(r->in, K_id)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_state, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_SESSION_NOT_FOUND, "session %s", p[0]);
    if (strcmp(PQgetvalue(res, 0, 0), "active") != 0)
        return req_fail(r, ERR_SESSION_STATE, "session %s is %s", p[0], PQgetvalue(res, 0, 0));
    return rows_one(r, &st_stop, p, 200, ERR_SESSION_NOT_FOUND);
}

enum err h_sessions_delete(struct req *r)
{
    const char *p[] = {in_text(r->in, K_id)};
    enum err e = rows_one(r, &st_delete, p, 204, ERR_SESSION_NOT_FOUND);
    buf_clear(&r->reply.body); /* 204 has no body */
    return e;
}

/* "aifm": aifb-monitoring's own lock. */
#define SESSIONS_LOCK 1634297453
static const struct db_stmt st_close =
    DB_STMT("sessions_close",
            "UPDATE monitoring_sessions SET state = 'closed' WHERE state = 'active' AND ends_at <= now()", 0, true);

void sessions_close_ended(struct app *app, struct arena *a)
{
    PGresult *res;
    const char *detail;
    if (!db_try_lock(app->db, a, SESSIONS_LOCK))
        return;
    db_exec(app->db, a, &st_close, NULL, &res, &detail);
    db_unlock(app->db, a, SESSIONS_LOCK);
}
