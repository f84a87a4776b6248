/* runs: create and stop, as the handlers of h_runs.c ask. */
#include "runs.h"

#include <stdlib.h>
#include <string.h>

#include "in.h"
#include "app.h"
#include "db.h"
#include "job_state.h"
#include "json_unconst.h"
#include "log.h"
#include "num.h"
#include "remote.h"
#include "rows.h"
#include "settings.h"
#include "submit.h"
#include "workload.h"
#include "out.h"

static const struct db_stmt st_service =
    DB_STMT("runs_target_service",
            "SELECT state, endpoint_host, port, config->>'model', recipe FROM services WHERE id = $1", 1, true);
static const struct db_stmt st_group =
    DB_STMT("runs_target_group",
            "SELECT s.endpoint_host, s.port, s.config->>'model' FROM services s"
            " WHERE s.group_id = $1 AND s.state = 'running' AND s.endpoint_host IS NOT NULL AND s.port IS NOT NULL"
            " ORDER BY s.id",
            1, true);
static const struct db_stmt st_group_exists =
    DB_STMT("runs_group_exists", "SELECT 1 FROM service_groups WHERE id = $1", 1, true);
static const struct db_stmt st_insert =
    DB_STMT("runs_insert",
            "INSERT INTO runs (name, service_id, group_id, target_url, config, ntasks)"
            " VALUES (coalesce($1, 'run'), $2, $3, $4, $5::jsonb, $6) RETURNING id",
            6, false);
static const struct db_stmt st_set_job =
    DB_STMT("runs_set_job",
            "UPDATE runs SET slurm_job_id = $2, config = $3::jsonb,"
            " name = CASE WHEN $4::text IS NULL THEN 'run-' || id ELSE name END WHERE id = $1",
            4, false);

/* The seed's client-group fields, each put where the workload keeps it unless the workload sets it:
 * num_clients is the streams in flight (the cap, with requests_per_second), requests_per_second an
 * open loop's rate, duration_seconds the time bound, prompts inline prompts. */
static void seed_fields(const struct inputs *in, json_t *w)
{
    json_t *load = json_object_get(w, "load");
    if (!json_is_object(load)) {
        load = json_object();
        json_object_set_new(w, "load", load);
    }
    json_t *clients = json_unconst(in_json(in, K_num_clients));
    json_t *rps = json_unconst(in_json(in, K_requests_per_second));
    if (rps && !json_object_get(load, "rate")) {
        json_object_set_new(load, "mode", json_string("open"));
        json_object_set(load, "rate", rps);
        if (clients && !json_object_get(load, "max_concurrency"))
            json_object_set(load, "max_concurrency", clients);
    } else if (clients && !json_object_get(load, "concurrency")) {
        json_object_set(load, "concurrency", clients);
    }
    if (json_object_size(load) == 0)
        json_object_del(w, "load");
    static const struct {
        enum in_key seed;
        const char *member;
    } same[] = {{K_duration_seconds, "duration_s"},
                {K_max_tokens, "max_tokens"},
                {K_temperature, "temperature"},
                {K_model, "model"}};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        const json_t *v = in_json(in, same[i].seed);
        if (v && !json_object_get(w, same[i].member))
            json_object_set(w, same[i].member, json_unconst(v));
    }
    const json_t *prompts = in_json(in, K_prompts);
    if (prompts && !json_object_get(w, "prompts"))
        json_object_set_new(w, "prompts", json_pack("{s:s, s:O}", "source", "inline", "items", prompts));
}

/* The base URL of a service's endpoint. */
static json_t *endpoint_url(const char *host, const char *port)
{
    bool v6 = strchr(host, ':') != NULL;
    char url[300];
    snprintf(url, sizeof(url), "http://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    return json_string(url);
}

struct target {
    const char *service_id, *group_id, *url; /* exactly one is set */
    const char *field;                       /* its name in the request, for details */
};

/* Which target the request names: target.{service_id,group_id,url}, or the seed's service_id. */
static enum err pick_target(struct req *r, struct target *t)
{
    const struct inputs *tg = in_obj(r->in, K_target);
    memset(t, 0, sizeof(*t));
    t->service_id = in_text(tg, K_service_id);
    t->group_id = in_text(tg, K_group_id);
    t->url = in_str(tg, K_url);
    if (!in_has(r->in, K_target) && in_has(r->in, K_service_id)) {
        t->service_id = in_text(r->in, K_service_id);
        t->field = "service_id";
    }
    if ((t->service_id != NULL) + (t->group_id != NULL) + (t->url != NULL) != 1)
        return req_fail(r, ERR_INVALID_INPUT, "field=target: give exactly one of service_id, group_id and url");
    if (!t->field)
        t->field = t->service_id ? "target.service_id" : t->group_id ? "target.group_id" : "target.url";
    return ERR_OK;
}

/* Fills w's targets (and its model, from the service's, when the workload names none). */
static enum err resolve_target(struct req *r, const struct target *t, json_t *w)
{
    PGresult *res;
    json_t *targets = json_array();
    json_object_set_new(w, "targets", targets);
    if (t->url) {
        json_array_append_new(targets, json_string(t->url));
        return ERR_OK;
    }
    const char *p[] = {t->service_id ? t->service_id : t->group_id};
    enum err e = db_exec(r->app->db, r->arena, t->service_id ? &st_service : &st_group_exists, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_INVALID_INPUT, "field=%s: no %s with id %s", t->field,
                        t->service_id ? "service" : "service group", p[0]);
    if (t->service_id) {
        if (strcmp(PQgetvalue(res, 0, 0), "running") != 0 || PQgetisnull(res, 0, 1))
            return req_fail(r, ERR_SERVICE_NOT_READY, "service %s is %s", p[0], PQgetvalue(res, 0, 0));
    } else {
        e = db_exec(r->app->db, r->arena, &st_group, p, &res, &r->detail);
        if (e)
            return e;
        if (PQntuples(res) == 0)
            return req_fail(r, ERR_SERVICE_NOT_READY, "service group %s has no running replica", p[0]);
    }
    int host = t->service_id ? 1 : 0;
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(targets, endpoint_url(PQgetvalue(res, i, host), PQgetvalue(res, i, host + 1)));
    if (!json_object_get(w, "model") && !PQgetisnull(res, 0, host + 2))
        json_object_set_new(w, "model", json_string(PQgetvalue(res, 0, host + 2)));
    return ERR_OK;
}

/* The workload this request asks for, checked by aifb-loadgen's own parser. */
static enum err build_workload(struct req *r, const struct target *t, json_t **out)
{
    const json_t *given = in_json(r->in, K_workload);
    json_t *w = req_own_json(r, given ? json_deep_copy(given) : json_object());
    seed_fields(r->in, w);
    if (json_object_get(w, "targets"))
        return req_fail(r, ERR_INVALID_INPUT, "field=workload.targets: set by aifb from the run's target");
    enum err e = resolve_target(r, t, w);
    if (e)
        return e;
    const char *push = settings_str(r->app->config, SETTING_CLIENT_PUSHGATEWAY_URL);
    if (*push && !json_object_get(w, "pushgateway"))
        json_object_set_new(w, "pushgateway", json_string(push));
    struct workload parsed;
    e = workload_parse(r->arena, w, true, &parsed, &r->detail);
    if (e)
        return e;
    *out = w;
    return ERR_OK;
}

/* The ranks of the run: slurm.ntasks, else one per node. */
static int64_t run_ntasks(const struct req *r)
{
    const struct inputs *slurm = in_obj(r->in, K_slurm);
    return in_int(slurm, K_ntasks, in_int(slurm, K_nodes, 1));
}

/* The agent's submit request: the loadgen recipe, the workload as its one parameter, the job's
 * SLURM options from the request's "slurm" object (and the seed's time_limit); submit_job names
 * the job. */
static json_t *submit_request(struct req *r, const char *workload_text)
{
    const json_t *slurm = in_json(r->in, K_slurm);
    json_t *in = slurm ? json_deep_copy(slurm) : json_object();
    /* always the task count: with --nodes alone srun starts one task per node, and the finisher must
     * know how many ranks to load */
    json_object_set_new(in, "ntasks", json_integer(run_ntasks(r)));
    if (in_has(r->in, K_time_limit) && !json_object_get(in, "time_limit"))
        json_object_set_new(in, "time_limit", json_string(in_str(r->in, K_time_limit)));
    json_object_set_new(in, "recipe", json_string("loadgen"));
    json_object_set_new(in, "kinds", json_pack("[s]", "loadgen"));
    json_object_set_new(in, "params", json_pack("{s:s}", "workload", workload_text));
    return req_own_json(r, in);
}

static char *dump(struct req *r, const json_t *j)
{
    return out_text(r->arena, j, JSON_COMPACT);
}

/* What the run's submit needs beyond its statements. */
struct submit_ctx {
    json_t *workload, *cfg;
};

/* The agent's request for run id: the workload, which now carries the run's id. */
static json_t *run_request(struct req *r, void *ctx, int64_t id)
{
    struct submit_ctx *c = ctx;
    json_object_set_new(c->workload, "run_id", json_integer(id));
    return submit_request(r, dump(r, c->workload));
}

static const char *const *run_set_args(struct req *r, void *ctx, int64_t id, int64_t job)
{
    struct submit_ctx *c = ctx;
    const char **p = arena_calloc(r->arena, 4, sizeof(*p));
    p[0] = arena_i64(r->arena, id);
    p[1] = arena_i64(r->arena, job);
    p[2] = dump(r, c->cfg);
    p[3] = in_text(r->in, K_name);
    return p;
}

/* The row and its loadgen job, both or neither (submit_job). sbatch's refusal of one of the run's
 * SLURM options names it where the run's body has it: under "slurm". */
static enum err submit(struct req *r, const struct target *t, json_t *w, int64_t *id)
{
    const json_t *slurm = in_json(r->in, K_slurm);
    int64_t target_id = 0;
    if (!t->url)
        num_i64(t->service_id ? t->service_id : t->group_id, &target_id); /* validated digits */
    json_t *target = t->url ? json_pack("{s:s}", "url", t->url)
                            : json_pack("{s:I}", t->service_id ? "service_id" : "group_id", (json_int_t)target_id);
    json_t *cfg = req_own_json(r, json_pack("{s:o, s:O, s:O?}", "target", target, "workload", w, "slurm", slurm));
    const char *ins[] = {in_text(r->in, K_name),
                         t->service_id,
                         t->group_id,
                         t->url,
                         dump(r, cfg),
                         arena_printf(r->arena, "%lld", (long long)run_ntasks(r))};
    struct submit_ctx c = {w, cfg};
    const struct submit s = {"run", &st_insert, ins, run_request, &st_set_job, run_set_args, &c};
    int64_t job;
    enum err e = submit_job(r, &s, id, &job);
    if (e == ERR_INVALID_INPUT && strncmp(r->detail, "field=", 6) == 0 && strncmp(r->detail, "field=slurm.", 12) != 0)
        r->detail = arena_printf(r->arena, "field=slurm.%s", r->detail + 6);
    return e;
}

static const struct db_stmt st_stop_get =
    DB_STMT("runs_stop_get", "SELECT state, slurm_job_id FROM runs WHERE id = $1", 1, true);

enum err runs_create(struct req *r, int64_t *id)
{
    struct target t;
    json_t *w = NULL, *answer;
    const struct inputs *slurm = in_obj(r->in, K_slurm);
    if (in_has(slurm, K_ntasks) && in_int(slurm, K_ntasks, 0) < in_int(slurm, K_nodes, 0))
        return req_fail(r, ERR_INVALID_INPUT, "field=slurm.ntasks: must be at least slurm.nodes (a rank per node)");
    enum err e = pick_target(r, &t);
    if (e)
        return e;
    e = build_workload(r, &t, &w);
    if (e)
        return e;
    /* The prompts file lives on the cluster: aifb-loadgen reads it there before anything is made. */
    e = loadgen_check(r->app, r->arena, w, &answer, &r->detail);
    if (e)
        return e;
    return submit(r, &t, w, id);
}

enum err runs_stop(struct req *r, const char *id)
{
    const char *p[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_stop_get, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_RUN_NOT_FOUND, "run %s", id);
    const char *state = PQgetvalue(res, 0, 0);
    if (job_state_terminal_name(state) || strcmp(state, "completing") == 0)
        return req_fail(r, ERR_RUN_STATE, "run %s is %s", id, state);
    if (PQgetisnull(res, 0, 1))
        return ERR_OK;
    const char *job[] = {PQgetvalue(res, 0, 1)};
    json_t *answer;
    e = agent_call(r->app, r->arena, "cancel", job, 1, NULL, &answer, &r->detail);
    return e == ERR_JOB_NOT_FOUND ? ERR_OK : e;
}
