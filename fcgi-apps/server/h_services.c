/* h_services: services from recipes: create (row and SLURM job together), list, get, live status,
 * delete (cancels the job; the row stays, cancelled, for the history). */
#include "h_services.h"

#include "in.h"
#include "json_unconst.h"
#include "db.h"
#include "req.h"
#include "rows.h"
#include "services.h"
#include "remote.h"

#define SERVICE_COLUMNS                                                                                                \
    "id, name, recipe, group_id, config, state, slurm_state, slurm_job_id, node, endpoint_host, port, error, "         \
    "created_at, updated_at, checked_at, ended_at, '/api/logs/v1/files?service_id=' || id AS logs"

static const struct db_stmt st_list =
    DB_STMT("services_list",
            DB_JSON_ROWS(
                "SELECT " SERVICE_COLUMNS " FROM services WHERE ($1::text IS NULL OR state = $1)"
                " AND ($2::text IS NULL OR recipe = $2) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"),
            4, true);

static const struct db_stmt st_get =
    DB_STMT("services_get", DB_JSON_ROW("SELECT " SERVICE_COLUMNS " FROM services WHERE id = $1"), 1, true);

enum err h_services_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_state), in_text(r->in, K_recipe), in_text(r->in, K_before_id),
                            in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, params, "services");
}

enum err h_services_get(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, params, 200, ERR_SERVICE_NOT_FOUND);
}

/* The agent's submit fields a caller may set besides the recipe and its params. */
static const enum in_key submit_fields[] = {K_time_limit, K_partition, K_account, K_qos, K_nodes};

/* Body members as the agent's submit request: the declared SLURM fields present in the body. */
static json_t *submit_extra(struct req *r)
{
    json_t *s = req_own_json(r, json_object());
    for (size_t i = 0; i < sizeof(submit_fields) / sizeof(submit_fields[0]); i++)
        if (in_has(r->in, submit_fields[i]))
            json_object_set(s, in_name(submit_fields[i]), json_unconst(in_json(r->in, submit_fields[i])));
    return s;
}

enum err h_services_create(struct req *r)
{
    /* The seed's field names (recipe_name, config) are taken as well. */
    const char *recipe = in_has(r->in, K_recipe) ? in_str(r->in, K_recipe) : in_str(r->in, K_recipe_name);
    if (!recipe)
        return req_fail(r, ERR_INVALID_INPUT, "field=recipe: is required");
    const json_t *params = in_has(r->in, K_params) ? in_json(r->in, K_params) : in_json(r->in, K_config);
    if (!params)
        params = req_own_json(r, json_object());
    const char *name = in_has(r->in, K_name) ? in_str(r->in, K_name) : recipe;
    int64_t id, job_id;
    enum err e = services_create(r, name, recipe, params, submit_extra(r), 0, &id, &job_id);
    if (e)
        return e;
    const char *p[] = {arena_printf(r->arena, "%lld", (long long)id)};
    return rows_one(r, &st_get, p, 201, ERR_SERVICE_NOT_FOUND);
}

enum err h_services_delete(struct req *r)
{
    struct service s;
    enum err e = services_load(r, in_int(r->in, K_id, 0), &s);
    if (e)
        return e;
    e = services_cancel(r, &s);
    if (e)
        return e;
    const char *p[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, p, 200, ERR_SERVICE_NOT_FOUND);
}

enum err h_services_status(struct req *r)
{
    struct service s;
    enum err e = services_load(r, in_int(r->in, K_id, 0), &s);
    if (e)
        return e;
    json_t *job = NULL;
    if (s.job_id > 0) {
        const char *arg[] = {arena_printf(r->arena, "%lld", (long long)s.job_id)};
        json_t *answer;
        e = agent_call(r->app, r->arena, "status", arg, 1, NULL, &answer, &r->detail);
        if (e)
            return e;
        job = json_array_get(json_object_get(answer, "jobs"), 0);
        /* The row refusing what the agent reported is the agent's fault, not the caller's. */
        e = job ? services_apply(r->app, r->arena, s.id, job, &r->detail) : ERR_OK;
        if (e == ERR_INVALID_INPUT)
            return req_fail(r, ERR_AGENT_FAILED, "the job's status does not fit: %s", r->detail);
        if (e)
            return e;
    }
    const char *p[] = {in_text(r->in, K_id)};
    e = rows_one(r, &st_get, p, 200, ERR_SERVICE_NOT_FOUND);
    if (e)
        return e;
    /* The row as stored, with the job as SLURM reports it now. */
    json_t *row = req_own_json(r, json_loadb(r->reply.body.data, r->reply.body.len, 0, NULL));
    json_object_set(row, "job", job ? job : json_null());
    return reply_json(r, 200, row);
}
