/* services: rows, jobs and their states. */
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "job_state.h"
#include "json_unconst.h"
#include "log.h"
#include "out.h"
#include "remote.h"
#include "req.h"
#include "submit.h"

int services_kind_llm(const struct service *s)
{
    /* the recipes' own "kind" lives on the login node; the one vector-db recipe is known by name */
    return strcmp(s->recipe, "qdrant") != 0;
}

static const struct db_stmt st_load =
    DB_STMT("services_load",
            "SELECT id, name, recipe, state, coalesce(slurm_job_id, 0), endpoint_host, coalesce(port, 0),"
            " coalesce(group_id, 0), config FROM services WHERE id = $1",
            1, true);

enum err services_load(struct req *r, int64_t id, struct service *s)
{
    const char *params[] = {arena_printf(r->arena, "%lld", (long long)id)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_load, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_SERVICE_NOT_FOUND, "id=%lld", (long long)id);
    s->id = db_int(res, 0, 0);
    s->name = arena_strdup(r->arena, PQgetvalue(res, 0, 1));
    s->recipe = arena_strdup(r->arena, PQgetvalue(res, 0, 2));
    s->state = arena_strdup(r->arena, PQgetvalue(res, 0, 3));
    s->job_id = db_int(res, 0, 4);
    s->host = PQgetisnull(res, 0, 5) ? NULL : arena_strdup(r->arena, PQgetvalue(res, 0, 5));
    s->port = (int)db_int(res, 0, 6);
    s->group_id = db_int(res, 0, 7);
    s->config = req_own_json(r, json_loads(PQgetvalue(res, 0, 8), 0, NULL));
    return ERR_OK;
}

static const struct db_stmt st_insert = DB_STMT(
    "services_insert",
    "INSERT INTO services (name, recipe, config, group_id) VALUES ($1, $2, $3::jsonb, $4) RETURNING id", 4, false);
static const struct db_stmt st_set_job =
    DB_STMT("services_set_job",
            "WITH u AS (UPDATE services SET slurm_job_id = $2, updated_at = now() WHERE id = $1 RETURNING id)"
            " INSERT INTO service_events (service_id, state, detail) SELECT id, 'pending', 'job ' || $2 FROM u",
            2, false);

/* What the row's submit needs beyond its statements. */
struct create_ctx {
    const char *recipe;
    const json_t *params, *submit;
};

/* The agent's submit request: the handler's extra fields, the recipe and the params (the job's
 * name, from which logs can be traced back to the service, is set by submit_job). */
static json_t *submit_request(struct req *r, void *ctx, int64_t id)
{
    (void)id;
    const struct create_ctx *c = ctx;
    json_t *in = req_own_json(r, c->submit ? json_deep_copy(c->submit) : json_object());
    json_object_set_new(in, "recipe", json_string(c->recipe));
    json_object_set(in, "params", json_unconst(c->params));
    json_object_set_new(in, "kinds", json_pack("[s, s]", "llm", "vector-db"));
    return in;
}

static const char *const *set_args(struct req *r, void *ctx, int64_t id, int64_t job)
{
    (void)ctx;
    const char **p = arena_calloc(r->arena, 2, sizeof(*p));
    p[0] = arena_i64(r->arena, id);
    p[1] = arena_i64(r->arena, job);
    return p;
}

enum err services_create(struct req *r, const char *name, const char *recipe, const json_t *params,
                         const json_t *submit, int64_t group_id, int64_t *id, int64_t *job_id)
{
    const char *ins[] = {name, recipe, out_text(r->arena, params, JSON_COMPACT),
                         group_id ? arena_i64(r->arena, group_id) : NULL};
    struct create_ctx c = {recipe, params, submit};
    const struct submit s = {"svc", &st_insert, ins, submit_request, &st_set_job, set_args, &c};
    enum err e = submit_job(r, &s, id, job_id);
    /* The recipe is a field of this request: naming an unknown one is bad input, not a 404. */
    if (e == ERR_RECIPE_NOT_FOUND)
        e = req_fail(r, ERR_INVALID_INPUT,
                     "field=recipe: no recipe '%s' on the login node (GET /api/server/v1/recipes)", recipe);
    return e;
}

/* A live row takes the job's state ($2; NULL: as it is), SLURM's, the node and the endpoint. A row
 * that ended with SLURM's state not known yet (cancelled through the API) takes SLURM's final
 * state once the job has one; its own state stays. */
static const struct db_stmt st_apply = DB_STMT(
    "services_apply",
    "WITH old AS (SELECT state FROM services WHERE id = $1),"
    " upd AS (UPDATE services s SET state = coalesce($2, s.state), slurm_state = $3, node = $4, endpoint_host = $5,"
    "   port = $6::int, checked_at = now(),"
    "   updated_at = CASE WHEN s.state IS DISTINCT FROM coalesce($2, s.state) THEN now() ELSE s.updated_at END,"
    "   ended_at = CASE WHEN job_state_terminal(coalesce($2, s.state)) THEN coalesce(s.ended_at, now()) END"
    "   WHERE s.id = $1 AND NOT job_state_terminal(s.state) RETURNING s.id),"
    " fin AS (UPDATE services s SET slurm_state = $3, node = coalesce($4, s.node), checked_at = now()"
    "   WHERE s.id = $1 AND job_state_terminal(s.state) AND s.slurm_state IS NULL AND job_state_terminal($2))"
    " INSERT INTO service_events (service_id, state, detail)"
    " SELECT upd.id, $2, $7 FROM upd, old WHERE $2 IS NOT NULL AND old.state IS DISTINCT FROM $2",
    7, true);

enum err services_apply(struct app *app, struct arena *a, int64_t id, const json_t *job, const char **detail)
{
    const json_t *ep = json_object_get(job, "endpoint");
    const char *state = agent_job_state(job);
    const char *reason = json_string_value(json_object_get(job, "reason"));
    const char *exit_code = json_string_value(json_object_get(job, "exit_code"));
    json_int_t port = json_integer_value(json_object_get(ep, "port"));
    const char *params[] = {
        arena_printf(a, "%lld", (long long)id),
        state,
        json_string_value(json_object_get(job, "slurm_state")),
        json_string_value(json_object_get(job, "node")),
        json_string_value(json_object_get(ep, "host")),
        port > 0 ? arena_printf(a, "%lld", (long long)port) : NULL,
        exit_code ? arena_printf(a, "exit %s", exit_code) : reason,
    };
    PGresult *res;
    return db_exec(app->db, a, &st_apply, params, &res, detail);
}

/* SLURM's state is not known until its next answer (the reconciler keeps asking until it is). */
static const struct db_stmt st_cancelled =
    DB_STMT("services_cancelled",
            "WITH upd AS (UPDATE services SET state = 'cancelled', slurm_state = NULL, endpoint_host = NULL,"
            " port = NULL, updated_at = now(), ended_at = coalesce(ended_at, now()) WHERE id = $1"
            " AND NOT job_state_terminal(state) RETURNING id)"
            " INSERT INTO service_events (service_id, state, detail) SELECT id, 'cancelled', 'deleted through the API' "
            "FROM upd",
            1, true);

enum err services_cancel(struct req *r, const struct service *s)
{
    if (s->job_id > 0 && !job_state_terminal_name(s->state)) {
        const char *arg[] = {arena_printf(r->arena, "%lld", (long long)s->job_id)};
        json_t *answer;
        enum err e = agent_call(r->app, r->arena, "cancel", arg, 1, NULL, &answer, &r->detail);
        if (e && e != ERR_JOB_NOT_FOUND)
            return e;
    }
    const char *params[] = {arena_printf(r->arena, "%lld", (long long)s->id)};
    PGresult *res;
    return db_exec(r->app->db, r->arena, &st_cancelled, params, &res, &r->detail);
}

/* The reconciler's lock among all aifb-server workers, of every host: any constant ("aifb"). */
#define RECONCILE_LOCK 1634297442
/* Services whose job may still change, or whose job's final SLURM state is not known yet (for ten
 * minutes: SLURM forgets a job after MinJobAge), unless another worker looked a moment ago. */
static const struct db_stmt st_live =
    DB_STMT("reconcile_live",
            "SELECT id, slurm_job_id FROM services WHERE slurm_job_id IS NOT NULL"
            " AND (NOT job_state_terminal(state) OR (slurm_state IS NULL AND ended_at > now() - interval '10 minutes'))"
            " AND (checked_at IS NULL OR checked_at < now() - interval '1 second') ORDER BY id LIMIT 500",
            0, true);
static const struct db_stmt st_exists =
    DB_STMT("reconcile_exists", "SELECT 1 FROM services WHERE id = $1::bigint", 1, true);

/* Asks the agent about every job in res (id, job id) and applies the answers. */
static void reconcile_jobs(struct app *app, struct arena *a, PGresult *res)
{
    int n = PQntuples(res);
    const char **ids = arena_calloc(a, (size_t)n, sizeof(*ids));
    for (int i = 0; i < n; i++)
        ids[i] = PQgetvalue(res, i, 1);
    json_t *answer;
    const char *detail;
    enum err e = agent_call(app, a, "status", ids, (size_t)n, NULL, &answer, &detail);
    if (e) {
        log_warn("reconcile: agent status: %s: %s", err_string(e), detail);
        return;
    }
    size_t k;
    json_t *job;
    json_array_foreach(json_object_get(answer, "jobs"), k, job)
    {
        json_int_t job_id = json_integer_value(json_object_get(job, "job_id"));
        for (int i = 0; i < n; i++) {
            if (db_int(res, i, 1) != job_id)
                continue;
            e = services_apply(app, a, db_int(res, i, 0), job, &detail);
            if (e)
                log_warn("reconcile: service %s: %s: %s", PQgetvalue(res, i, 0), err_string(e), detail);
        }
    }
}

void services_reconcile(struct app *app, struct arena *a)
{
    PGresult *res;
    const char *detail;
    if (!db_try_lock(app->db, a, RECONCILE_LOCK))
        return; /* the database is away, or another worker is at it */
    if (db_exec(app->db, a, &st_live, NULL, &res, &detail) == ERR_OK && PQntuples(res) > 0)
        reconcile_jobs(app, a, res);
    submit_sweep(app, a, "svc", &st_exists);
    db_unlock(app->db, a, RECONCILE_LOCK);
}
