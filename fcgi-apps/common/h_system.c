/* h_system: the routes every app answers: health, ready, metrics and its OpenAPI document. */
#include "h_system.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "metrics.h"
#include "openapi.h"
#include "req.h"

enum err h_system_health(struct req *r)
{
    return reply_json(r, 200,
                      req_own_json(r, json_pack("{s:s, s:s, s:I}", "status", "ok", "app", r->app->def->name, "pid",
                                                (json_int_t)getpid())));
}

static const struct db_stmt st_has_table =
    DB_STMT("ready_has_table", "SELECT to_regclass('public.schema_migrations') IS NOT NULL", 0, true);
static const struct db_stmt st_version =
    DB_STMT("ready_version", "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, true);

enum err h_system_ready(struct req *r)
{
    PGresult *res;
    const char *detail;
    enum err e = db_exec(r->app->db, r->arena, &st_has_table, NULL, &res, &detail);
    if (e)
        return req_fail(r, e, "%s", detail);
    int64_t version = 0;
    if (PQgetvalue(res, 0, 0)[0] == 't') {
        e = db_exec(r->app->db, r->arena, &st_version, NULL, &res, &detail);
        if (e)
            return req_fail(r, e, "%s", detail);
        version = db_int(res, 0, 0);
    }
    if (version != r->app->schema_head)
        return req_fail(r, ERR_SCHEMA_OUTDATED, "database at version %lld, this program needs %lld", (long long)version,
                        (long long)r->app->schema_head);
    return reply_json(r, 200,
                      req_own_json(r, json_pack("{s:s, s:s, s:I}", "status", "ready", "app", r->app->def->name,
                                                "schema_version", (json_int_t)version)));
}

enum err h_system_metrics(struct req *r)
{
    struct app *app = r->app;
    r->reply.status = 200;
    r->reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (metrics_render(app->metrics, &r->reply.body, app->def->name, &app->def->table, app->workers) < 0)
        return ERR_RESPONSE_TOO_LARGE;
    return ERR_OK;
}

/* The table does not change while the process runs: the document is made once, then served as text. */
enum err h_system_openapi(struct req *r)
{
    struct app *app = r->app;
    if (!app->openapi) {
        json_t *doc = openapi_document(app->def);
        app->openapi = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!app->openapi)
            return req_fail(r, ERR_INTERNAL, "the OpenAPI document could not be built");
    }
    return reply_data(r, 200, "application/json", app->openapi, strlen(app->openapi));
}
