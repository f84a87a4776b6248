/* h_runs: read access to the runs table. */
#include "h_runs.h"

#include "db.h"
#include "req.h"
#include "rows.h"

#define RUN_COLUMNS                                                                                                    \
    "id, name, service_id, group_id, target_url, config, state, slurm_job_id, summary, error, created_at,"             \
    " started_at, ended_at"

static const struct db_stmt st_list = DB_STMT(
    "runs_list",
    DB_JSON_ROWS("SELECT " RUN_COLUMNS " FROM runs WHERE ($1::text IS NULL OR state = $1)"
                 " AND ($2::bigint IS NULL OR service_id = $2) AND ($3::timestamptz IS NULL OR created_at >= $3)"
                 " AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5::bigint IS NULL OR id < $5)"
                 " ORDER BY id DESC LIMIT $6"),
    6, true);

static const struct db_stmt st_get =
    DB_STMT("runs_get", DB_JSON_ROW("SELECT " RUN_COLUMNS " FROM runs WHERE id = $1"), 1, true);

enum err h_runs_list(struct req *r)
{
    const char *params[] = {req_str(r, "state"), req_str(r, "service_id"), req_str(r, "since"),
                            req_str(r, "until"), req_str(r, "before_id"),  req_int_text(r, "limit", 100)};
    return rows_list(r, &st_list, params, "runs");
}

enum err h_runs_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    return rows_one(r, &st_get, params, 200, ERR_RUN_NOT_FOUND);
}
