/* h_services: read access to the services table. */
#include "h_services.h"

#include <stdio.h>

#include "app.h"
#include "db.h"
#include "req.h"

#define SERVICE_COLUMNS                                                                                                \
    "id, name, recipe, group_id, config, state, slurm_job_id, node, port, error, created_at, updated_at, ended_at"

static const struct db_stmt st_list =
    DB_STMT("services_list",
            "SELECT " SERVICE_COLUMNS " FROM services WHERE ($1::text IS NULL OR state = $1)"
            " AND ($2::text IS NULL OR recipe = $2) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
            4, true);

static const struct db_stmt st_get =
    DB_STMT("services_get", "SELECT " SERVICE_COLUMNS " FROM services WHERE id = $1", 1, true);

enum err h_services_list(struct req *r)
{
    char limit[24];
    snprintf(limit, sizeof(limit), "%lld", (long long)req_int(r, "limit", 100));
    const char *params[] = {req_str(r, "state"), req_str(r, "recipe"), req_str(r, "before_id"), limit};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_list, params, &res, &r->detail);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:o}", "services", db_rows_json(res)));
}

enum err h_services_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_get, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_SERVICE_NOT_FOUND, "id=%s", params[0]);
    return reply_json(r, 200, db_row_json(res, 0));
}
