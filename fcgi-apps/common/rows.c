/* rows: list and single-row answers from a statement. */
#include "rows.h"

#include <string.h>

#include "app.h"
#include "req.h"

enum err rows_list(struct req *r, const struct db_stmt *st, const char *const *params, const char *key)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, st, params, &res, &r->detail);
    if (e)
        return e;
    struct buf *b = &r->reply.body;
    buf_clear(b);
    r->reply.status = 200;
    r->reply.content_type = "application/json";
    buf_printf(b, "{\"%s\":", key);
    buf_append(b, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    buf_puts(b, "}\n");
    return b->overflow ? ERR_RESPONSE_TOO_LARGE : ERR_OK;
}

enum err rows_one(struct req *r, const struct db_stmt *st, const char *const *params, int status, enum err not_found)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, st, params, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, not_found, "id=%s", params[0] ? params[0] : "");
    e = reply_data(r, status, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    if (e)
        return e;
    if (buf_append(&r->reply.body, "\n", 1) < 0)
        return ERR_RESPONSE_TOO_LARGE;
    return ERR_OK;
}

struct stream_ctx {
    struct req *r;
    const char *sep;
    size_t n;
};

static int stream_row(void *ctx, const PGresult *res)
{
    struct stream_ctx *c = ctx;
    if (c->sep && c->n++ && reply_stream_write(c->r, c->sep, strlen(c->sep)) < 0)
        return -1;
    return reply_stream_write(c->r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

enum err rows_stream(struct req *r, const char *sql, const char *const *params, int nparams, const char *sep)
{
    struct stream_ctx c = {r, sep, 0};
    return db_stream(r->app->db, r->arena, sql, params, nparams, stream_row, &c, &r->detail);
}
