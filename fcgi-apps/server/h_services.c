/* h_services: read access to the services table. */
#include "h_services.h"

#include "db.h"
#include "req.h"
#include "rows.h"

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
    const char *params[] = {req_str(r, "state"), req_str(r, "recipe"), req_str(r, "before_id"),
                            req_int_text(r, "limit", 100)};
    return rows_list(r, &st_list, params, "services");
}

enum err h_services_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    return rows_one(r, &st_get, params, 200, ERR_SERVICE_NOT_FOUND);
}
