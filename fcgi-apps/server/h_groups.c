/* h_groups: groups of replicas. */
#include "h_groups.h"

#include <stdlib.h>

#include "in.h"
#include "out.h"
#include "app.h"
#include "db.h"
#include "req.h"
#include "rows.h"
#include "services.h"

#define GROUP_JSON                                                                                                     \
    "SELECT g.id, g.name, g.recipe, g.replicas, g.config, g.created_at, g.deleted_at,"                                 \
    " coalesce((SELECT json_agg(json_build_object('id', s.id, 'state', s.state, 'slurm_job_id', s.slurm_job_id,"       \
    " 'endpoint_host', s.endpoint_host, 'port', s.port) ORDER BY s.id) FROM services s WHERE s.group_id = g.id),"      \
    " '[]') AS services FROM service_groups g"

static const struct db_stmt st_insert =
    DB_STMT("groups_insert",
            "INSERT INTO service_groups (name, recipe, replicas, config) VALUES ($1, $2, $3, $4::jsonb)"
            " RETURNING id",
            4, false);
static const struct db_stmt st_get = DB_STMT("groups_get", DB_JSON_ROW(GROUP_JSON " WHERE g.id = $1"), 1, true);
static const struct db_stmt st_list =
    DB_STMT("groups_list",
            DB_JSON_ROWS(GROUP_JSON " WHERE g.deleted_at IS NULL AND ($1::bigint IS NULL OR g.id < $1)"
                                    " ORDER BY g.id DESC LIMIT $2"),
            2, true);
static const struct db_stmt st_members =
    DB_STMT("groups_members", "SELECT id FROM services WHERE group_id = $1 ORDER BY id", 1, true);
static const struct db_stmt st_delete =
    DB_STMT("groups_delete",
            "UPDATE service_groups SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1 RETURNING id", 1, true);

/* Cancels the service id. */
static enum err cancel_one(struct req *r, int64_t id)
{
    struct service s;
    enum err e = services_load(r, id, &s);
    return e ? e : services_cancel(r, &s);
}

/* Cancels every member of group id, going on past a failure; returns the first error. */
static enum err cancel_members(struct req *r, const char *id)
{
    const char *params[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_members, params, &res, &r->detail);
    if (e)
        return e;
    enum err first = ERR_OK;
    for (int i = 0; i < PQntuples(res); i++) {
        e = cancel_one(r, db_int(res, i, 0));
        if (e && !first)
            first = e;
    }
    return first;
}

enum err h_groups_create(struct req *r)
{
    const char *recipe = in_str(r->in, K_recipe);
    int64_t replicas = in_int(r->in, K_replicas, 1);
    const json_t *params = in_json(r->in, K_params);
    if (!params)
        params = req_own_json(r, json_object());
    const char *name = in_str(r->in, K_name);
    const char *ins[] = {name ? name : recipe, recipe, arena_i64(r->arena, replicas),
                         out_text(r->arena, params, JSON_COMPACT)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_insert, ins, &res, &r->detail);
    if (e)
        return e;
    const char *gid = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
    int64_t group = db_int(res, 0, 0);
    json_t *submit = req_own_json(r, json_object());
    if (in_has(r->in, K_time_limit))
        json_object_set_new(submit, "time_limit", json_string(in_str(r->in, K_time_limit)));
    for (int64_t i = 0; i < replicas; i++) {
        int64_t id, job;
        const char *sname = arena_printf(r->arena, "%s-%lld", ins[0], (long long)i);
        e = services_create(r, sname, recipe, params, submit, group, &id, &job);
        if (e) {
            const char *why = arena_strdup(r->arena, r->detail); /* the cancels below reuse r->detail */
            cancel_members(r, gid);
            const char *p[] = {gid};
            db_exec(r->app->db, r->arena, &st_delete, p, &res, &r->detail);
            r->detail = why;
            return e;
        }
    }
    const char *p[] = {gid};
    return rows_one(r, &st_get, p, 201, ERR_GROUP_NOT_FOUND);
}

enum err h_groups_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_before_id), in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, params, "groups");
}

enum err h_groups_get(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, params, 200, ERR_GROUP_NOT_FOUND);
}

enum err h_groups_delete(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_delete, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_GROUP_NOT_FOUND, "id=%s", params[0]);
    e = cancel_members(r, params[0]);
    if (e)
        return e;
    return rows_one(r, &st_get, params, 200, ERR_GROUP_NOT_FOUND);
}
