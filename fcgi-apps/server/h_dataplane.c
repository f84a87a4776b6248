/* h_dataplane: metrics proxy, models and prompts through SSH direct-tcpip channels. */
#include "h_dataplane.h"

#include <stdlib.h>
#include <string.h>

#include "in.h"
#include "out.h"
#include "app.h"
#include "db.h"
#include "req.h"
#include "services.h"
#include "tunnel.h"

/* The OpenAI routes (models, prompt) refuse a service of another kind. */
static enum err need_llm(struct req *r, const struct service *s)
{
    if (services_kind_llm(s))
        return ERR_OK;
    return req_fail(r, ERR_SERVICE_KIND, "id=%lld recipe=%s is a vector-db", (long long)s->id, s->recipe);
}

/* A service answers once its job is running and the agent has its endpoint; llm: only an LLM. */
static enum err endpoint_of(struct req *r, struct service *s, bool llm)
{
    enum err e = services_load(r, in_int(r->in, K_id, 0), s);
    if (e)
        return e;
    if (llm) {
        e = need_llm(r, s);
        if (e)
            return e;
    }
    if (strcmp(s->state, "running") != 0 || !s->host || s->port <= 0)
        return req_fail(r, ERR_SERVICE_NOT_READY, "id=%lld state=%s", (long long)s->id, s->state);
    return ERR_OK;
}

enum err h_dataplane_metrics(struct req *r)
{
    struct service s;
    enum err e = endpoint_of(r, &s, false);
    return e ? e : tunnel_pass(r, s.host, s.port, "GET", "/metrics", NULL, 0);
}

enum err h_dataplane_models(struct req *r)
{
    struct service s;
    enum err e = endpoint_of(r, &s, true);
    return e ? e : tunnel_pass(r, s.host, s.port, "GET", "/v1/models", NULL, 0);
}

/* Sends the prompt body (an OpenAI request) to s: chat when it has messages; the model defaults to
 * the one the service was deployed with. */
static enum err prompt(struct req *r, const struct service *s)
{
    json_t *body = r->body;
    if (!json_object_get(body, "prompt") && !json_object_get(body, "messages"))
        return req_fail(r, ERR_INVALID_INPUT, "field=prompt: is required (or messages, for chat)");
    const char *path = json_object_get(body, "messages") ? "/v1/chat/completions" : "/v1/completions";
    json_t *model = json_object_get(s->config, "model");
    if (!json_object_get(body, "model") && json_is_string(model))
        json_object_set(body, "model", model);
    const char *copy = out_text(r->arena, body, JSON_COMPACT);
    if (json_is_true(json_object_get(body, "stream")))
        return tunnel_stream(r, s->host, s->port, "POST", path, copy, strlen(copy));
    return tunnel_pass(r, s->host, s->port, "POST", path, copy, strlen(copy));
}

enum err h_dataplane_prompt(struct req *r)
{
    struct service s;
    enum err e = endpoint_of(r, &s, true);
    return e ? e : prompt(r, &s);
}

/* The group's running replicas with an endpoint, starting at its round-robin position. */
static const struct db_stmt st_replicas =
    DB_STMT("groups_replicas",
            "WITH g AS (UPDATE service_groups SET next_replica = next_replica + 1 WHERE id = $1 AND deleted_at IS NULL"
            " RETURNING next_replica - 1 AS turn),"
            " s AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n FROM services"
            "  WHERE group_id = $1 AND state = 'running' AND endpoint_host IS NOT NULL)"
            " SELECT s.id FROM s, g ORDER BY (s.k - g.turn % s.n + s.n) % s.n",
            1, false);

static const struct db_stmt st_group =
    DB_STMT("groups_exists", "SELECT id FROM service_groups WHERE id = $1 AND deleted_at IS NULL", 1, true);

/* Runs fn on the group's replicas in round-robin order, going on to the next one while a replica
 * cannot be reached (one that died and was not reconciled yet). */
static enum err each_replica(struct req *r, enum err (*fn)(struct req *, const struct service *))
{
    const char *params[] = {in_text(r->in, K_id)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_replicas, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0) {
        e = db_exec(r->app->db, r->arena, &st_group, params, &res, &r->detail);
        if (e)
            return e;
        if (PQntuples(res) == 0)
            return req_fail(r, ERR_GROUP_NOT_FOUND, "id=%s", params[0]);
        return req_fail(r, ERR_SERVICE_NOT_READY, "group id=%s has no running replica", params[0]);
    }
    for (int i = 0; i < PQntuples(res); i++) {
        struct service s;
        e = services_load(r, db_int(res, i, 0), &s);
        if (e)
            return e;
        e = need_llm(r, &s);
        if (e)
            return e;
        /* The reconciler or a delete may have taken its endpoint since the replicas were listed. */
        if (strcmp(s.state, "running") != 0 || !s.host || s.port <= 0) {
            e = req_fail(r, ERR_SERVICE_UNREACHABLE, "replica id=%lld has no endpoint any more", (long long)s.id);
            continue;
        }
        reply_header(r, "X-Aifb-Service-Id", PQgetvalue(res, i, 0));
        e = fn(r, &s);
        if (e != ERR_SERVICE_UNREACHABLE || r->streaming)
            return e;
        buf_clear(&r->reply.headers);
    }
    return e;
}

static enum err models(struct req *r, const struct service *s)
{
    return tunnel_pass(r, s->host, s->port, "GET", "/v1/models", NULL, 0);
}

enum err h_dataplane_group_models(struct req *r)
{
    return each_replica(r, models);
}

enum err h_dataplane_group_prompt(struct req *r)
{
    return each_replica(r, prompt);
}
