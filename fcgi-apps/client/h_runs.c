/* h_runs: read access to the runs table. */
#include "h_runs.h"

#include <stdio.h>

#include "app.h"
#include "db.h"
#include "req.h"

#define RUN_COLUMNS                                                                                                    \
    "id, name, service_id, group_id, target_url, config, state, slurm_job_id, summary, error, created_at,"             \
    " started_at, ended_at"

static const struct db_stmt st_list =
    DB_STMT("runs_list",
            "SELECT " RUN_COLUMNS " FROM runs WHERE ($1::text IS NULL OR state = $1)"
            " AND ($2::bigint IS NULL OR service_id = $2) AND ($3::timestamptz IS NULL OR created_at >= $3)"
            " AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5::bigint IS NULL OR id < $5)"
            " ORDER BY id DESC LIMIT $6",
            6, true);

static const struct db_stmt st_get = DB_STMT("runs_get", "SELECT " RUN_COLUMNS " FROM runs WHERE id = $1", 1, true);

enum err h_runs_list(struct req *r)
{
    char limit[24];
    snprintf(limit, sizeof(limit), "%lld", (long long)req_int(r, "limit", 100));
    const char *params[] = {req_str(r, "state"), req_str(r, "service_id"), req_str(r, "since"),
                            req_str(r, "until"), req_str(r, "before_id"),  limit};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_list, params, &res, &r->detail);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:o}", "runs", db_rows_json(res)));
}

enum err h_runs_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_get, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_RUN_NOT_FOUND, "id=%s", params[0]);
    return reply_json(r, 200, db_row_json(res, 0));
}
