/* h_files: the log_files index: list (filters and paging), one entry, stats per category, delete. */
#include "h_files.h"

#include <errno.h>
#include <string.h>

#include "in.h"
#include "app.h"
#include "db.h"
#include "log.h"
#include "mirror.h"
#include "remote.h"
#include "req.h"
#include "rows.h"

#define FILE_COLUMNS                                                                                                   \
    "id, path, category, size_bytes, modified_at, service_id, run_id, slurm_job_id, indexed_at,"                       \
    " '/api/logs/v1/files/' || id || '/tail' AS tail_url"

static const struct db_stmt st_list =
    DB_STMT("files_list",
            DB_JSON_ROWS("SELECT " FILE_COLUMNS " FROM log_files WHERE ($1::text IS NULL OR category = $1)"
                         " AND ($2::bigint IS NULL OR service_id = $2) AND ($3::bigint IS NULL OR run_id = $3)"
                         " AND ($4::bigint IS NULL OR slurm_job_id = $4) AND ($5::bigint IS NULL OR id < $5)"
                         " AND ($7::timestamptz IS NULL OR modified_at >= $7)"
                         " AND ($8::timestamptz IS NULL OR modified_at < $8)"
                         " ORDER BY id DESC LIMIT $6"),
            8, true);

static const struct db_stmt st_get =
    DB_STMT("files_get", DB_JSON_ROW("SELECT " FILE_COLUMNS " FROM log_files WHERE id = $1"), 1, true);

static const struct db_stmt st_stats = DB_STMT(
    "files_stats",
    "SELECT json_build_object('categories', coalesce((SELECT json_agg(c ORDER BY c.category) FROM log_category_stats "
    "c),"
    " '[]'), 'files', (SELECT count(*) FROM log_files), 'bytes', (SELECT coalesce(sum(size_bytes), 0) FROM log_files),"
    " 'tombstones', (SELECT count(*) FROM log_tombstones))::text",
    0, true);

static const struct db_stmt st_path =
    DB_STMT("files_path", "SELECT path, category FROM log_files WHERE id = $1", 1, true);

static const struct db_stmt st_forget =
    DB_STMT("files_forget",
            "WITH t AS (INSERT INTO log_tombstones (path, reason, remote_deleted) SELECT path, 'api', $2 FROM log_files"
            " WHERE id = $1 ON CONFLICT (path) DO UPDATE SET reason = 'api', remote_deleted = EXCLUDED.remote_deleted,"
            " deleted_at = now()) DELETE FROM log_files WHERE id = $1 RETURNING path",
            2, false);

enum err h_files_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_category), in_text(r->in, K_service_id), in_text(r->in, K_run_id),
                            in_text(r->in, K_job),      in_text(r->in, K_before_id),  in_int_text(r->in, K_limit, 100),
                            in_text(r->in, K_since),    in_text(r->in, K_until)};
    enum err e = rows_list(r, &st_list, params, "files");
    if (e == ERR_INVALID_INPUT) /* a time that matches the pattern but is not one */
        return req_fail(r, e, "field=%s: not a valid time", params[6] ? "since" : "until");
    return e;
}

enum err h_files_get(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_get, params, 200, ERR_LOG_FILE_NOT_FOUND);
}

enum err h_files_stats(struct req *r)
{
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_stats, NULL, &res, &r->detail);
    if (e)
        return e;
    return reply_data(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* The cluster's copy first (when asked): if the login node cannot delete it, nothing is deleted here. */
static enum err delete_remote(struct req *r, const char *path)
{
    json_t *in = req_own_json(r, json_pack("{s:s}", "path", path));
    json_t *out;
    enum err e = agent_call(r->app, r->arena, "rmlog", NULL, 0, in, &out, &r->detail);
    return e == ERR_OUTPUT_NOT_FOUND ? ERR_OK : e; /* gone there already */
}

enum err h_files_delete(struct req *r)
{
    const char *id = in_text(r->in, K_id);
    bool remote = in_bool(r->in, K_remote, false);
    const char *p[] = {id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_path, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_LOG_FILE_NOT_FOUND, "log file %s", id);
    const char *path = arena_strdup(r->arena, PQgetvalue(res, 0, 0));
    if (remote && strcmp(PQgetvalue(res, 0, 1), "agent") == 0)
        return req_fail(r, ERR_INVALID_INPUT, "field=remote: the agent's audit log stays on the cluster");
    if (remote) {
        e = delete_remote(r, path);
        if (e)
            return e;
    }
    const char *p2[] = {id, remote ? "true" : "false"};
    e = db_exec(r->app->db, r->arena, &st_forget, p2, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_LOG_FILE_NOT_FOUND, "log file %s was deleted meanwhile", id);
    const char *why;
    if (mirror_unlink(mirror_root(r->app), path, &why) < 0 && errno != ENOENT)
        log_warn("logs: delete %s: the mirror's copy stays: %s", path, why);
    r->reply.status = 204;
    return ERR_OK;
}
