/* h_targets: the targets table, and the http_sd of every target (these and the running services). */
#include "h_targets.h"

#include <string.h>

#include "in.h"
#include "app.h"
#include "db.h"
#include "req.h"
#include "rows.h"
#include "targets_sd.h"

#define TARGET_COLUMNS "id, kind, address, metrics_path, labels, service_id, run_id, created_at"

static const struct db_stmt st_create = DB_STMT(
    "targets_create",
    DB_JSON_ROW(
        "INSERT INTO targets (kind, address, metrics_path, labels, service_id, run_id)"
        " VALUES ($1, $2, coalesce($3, '/metrics'), coalesce($4::jsonb, '{}'), $5, $6) RETURNING " TARGET_COLUMNS),
    6, false);

static const struct db_stmt st_list =
    DB_STMT("targets_list",
            DB_JSON_ROWS("SELECT " TARGET_COLUMNS " FROM targets WHERE ($1::text IS NULL OR kind = $1)"
                         " AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"),
            3, true);

static const struct db_stmt st_get =
    DB_STMT("targets_get", DB_JSON_ROW("SELECT " TARGET_COLUMNS " FROM targets WHERE id = $1"), 1, true);

static const struct db_stmt st_delete =
    DB_STMT("targets_delete", DB_JSON_ROW("DELETE FROM targets WHERE id = $1 RETURNING id"), 1, true);

enum err h_targets_create(struct req *r)
{
    const char *params[] = {in_text(r->in, K_kind),   in_text(r->in, K_address),    in_text(r->in, K_metrics_path),
                            in_text(r->in, K_labels), in_text(r->in, K_service_id), in_text(r->in, K_run_id)};
    enum err e = rows_one(r, &st_create, params, 201, ERR_INTERNAL);
    if (e == ERR_CONFLICT)
        return req_fail(r, e, "address=%s with this metrics_path is registered already", params[1]);
    return e;
}

enum err h_targets_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_kind), in_text(r->in, K_before_id), in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, params, "targets");
}

enum err h_targets_get(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, params, 200, ERR_TARGET_NOT_FOUND);
}

enum err h_targets_delete(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    enum err e = rows_one(r, &st_delete, params, 204, ERR_TARGET_NOT_FOUND);
    buf_clear(&r->reply.body); /* 204 has no body */
    return e;
}

enum err h_targets_http_sd(struct req *r)
{
    return targets_sd_reply(r, false);
}
