/* rows: list and single-row answers from a statement. */
#include "rows.h"

#include "app.h"
#include "req.h"

enum err rows_list(struct req *r, const struct db_stmt *st, const char *const *params, const char *key)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, st, params, &res, &r->detail);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:o}", key, db_rows_json(res)));
}

enum err rows_one(struct req *r, const struct db_stmt *st, const char *const *params, int status, enum err not_found)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, st, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, not_found, "id=%s", params[0] ? params[0] : "");
    return reply_json(r, status, db_row_json(res, 0));
}
