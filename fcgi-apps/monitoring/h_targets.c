/* h_targets: the targets table. */
#include "h_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "req.h"

#define TARGET_COLUMNS "id, kind, address, metrics_path, labels, service_id, run_id, created_at"

static const struct db_stmt st_create =
    DB_STMT("targets_create",
            "INSERT INTO targets (kind, address, metrics_path, labels, service_id, run_id)"
            " VALUES ($1, $2, coalesce($3, '/metrics'), coalesce($4::jsonb, '{}'), $5, $6) RETURNING " TARGET_COLUMNS,
            6, false);

static const struct db_stmt st_list =
    DB_STMT("targets_list",
            "SELECT " TARGET_COLUMNS " FROM targets WHERE ($1::text IS NULL OR kind = $1)"
            " AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            3, true);

static const struct db_stmt st_get =
    DB_STMT("targets_get", "SELECT " TARGET_COLUMNS " FROM targets WHERE id = $1", 1, true);

static const struct db_stmt st_delete =
    DB_STMT("targets_delete", "DELETE FROM targets WHERE id = $1 RETURNING id", 1, true);

static const struct db_stmt st_sd =
    DB_STMT("targets_sd",
            "SELECT coalesce(json_agg(json_build_object('targets', json_build_array(address), 'labels',"
            " labels || jsonb_build_object('__metrics_path__', metrics_path, 'aifb_kind', kind,"
            " 'aifb_target_id', id::text)) ORDER BY id), '[]') FROM targets",
            0, true);

/* A body member as a parameter: strings as they are, numbers and objects as JSON text. */
static const char *member(struct req *r, const char *name)
{
    json_t *v = json_object_get(r->body, name);
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *copy = arena_strdup(r->arena, s);
    free(s);
    return copy;
}

enum err h_targets_create(struct req *r)
{
    const char *params[] = {member(r, "kind"),   member(r, "address"),    member(r, "metrics_path"),
                            member(r, "labels"), member(r, "service_id"), member(r, "run_id")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_create, params, &res, &r->detail);
    if (e == ERR_CONFLICT)
        return req_fail(r, e, "address=%s with this metrics_path is registered already", params[1]);
    if (e)
        return e;
    return reply_json(r, 201, db_row_json(res, 0));
}

enum err h_targets_list(struct req *r)
{
    char limit[24];
    snprintf(limit, sizeof(limit), "%lld", (long long)req_int(r, "limit", 100));
    const char *params[] = {req_str(r, "kind"), req_str(r, "before_id"), limit};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_list, params, &res, &r->detail);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:o}", "targets", db_rows_json(res)));
}

enum err h_targets_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_get, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_TARGET_NOT_FOUND, "id=%s", params[0]);
    return reply_json(r, 200, db_row_json(res, 0));
}

enum err h_targets_delete(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_delete, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_TARGET_NOT_FOUND, "id=%s", params[0]);
    r->reply.status = 204;
    return ERR_OK;
}

enum err h_targets_http_sd(struct req *r)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_sd, NULL, &res, &r->detail);
    if (e)
        return e;
    const char *text = PQgetvalue(res, 0, 0);
    return reply_data(r, 200, "application/json", text, strlen(text));
}
