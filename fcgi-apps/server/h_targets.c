/* h_targets: http_sd from the services table. */
#include "h_targets.h"

#include <string.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "req.h"

static const struct db_stmt st_sd =
    DB_STMT("server_targets_sd",
            "SELECT coalesce(json_agg(json_build_object('targets', json_build_array($1::text), 'labels',"
            " json_build_object('__metrics_path__', '/api/server/v1/services/' || id || '/metrics',"
            " 'aifb_service_id', id::text, 'aifb_service', name, 'aifb_recipe', recipe,"
            " 'aifb_group_id', coalesce(group_id::text, ''), 'slurm_job_id', coalesce(slurm_job_id::text, ''),"
            " 'node', coalesce(node, ''))) ORDER BY id), '[]')"
            " FROM services WHERE state = 'running' AND endpoint_host IS NOT NULL",
            1, true);

enum err h_targets_get(struct req *r)
{
    /* Where Prometheus reaches this server: nginx's address. */
    const char *params[] = {config_get(r->app->config, "http.address", "127.0.0.1:8080")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_sd, params, &res, &r->detail);
    if (e)
        return e;
    const char *text = PQgetvalue(res, 0, 0);
    return reply_data(r, 200, "application/json", text, strlen(text));
}
