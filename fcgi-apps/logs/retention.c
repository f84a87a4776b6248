/* retention: one statement picks the files, tombstones them and deletes their rows; the mirror's
 * copies are unlinked after it commits (a copy left by a failed unlink is logged; nothing indexes
 * it any more and the next cleanup of the folder by hand finds it). */
#include "retention.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mirror.h"
#include "req.h"
#include "sync.h"

static const struct db_stmt st_cut = DB_STMT(
    "retention_cut",
    "WITH v AS (SELECT id, path FROM log_files WHERE $1::float8 IS NOT NULL"
    "   AND modified_at < now() - make_interval(secs => $1::float8 * 86400)"
    "  UNION SELECT id, path FROM (SELECT id, path, sum(size_bytes) OVER (ORDER BY modified_at DESC, id DESC) AS kept"
    "   FROM log_files) x WHERE $2::bigint IS NOT NULL AND kept > $2::bigint),"
    " t AS (INSERT INTO log_tombstones (path, reason) SELECT path, 'retention' FROM v"
    "   ON CONFLICT (path) DO UPDATE SET reason = 'retention', deleted_at = now())"
    " DELETE FROM log_files f USING v WHERE f.id = v.id RETURNING f.path, f.size_bytes",
    2, false);

enum err retention_run(struct app *app, struct arena *a, const char *max_age_days, const char *max_bytes,
                       int64_t *files, int64_t *bytes, const char **detail)
{
    *files = *bytes = 0;
    if (!max_age_days && !max_bytes)
        return ERR_OK;
    const char *p[] = {max_age_days, max_bytes};
    PGresult *res;
    enum err e = db_exec(app->db, a, &st_cut, p, &res, detail);
    if (e)
        return e;
    const char *root = mirror_root(app);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *why;
        if (mirror_unlink(root, PQgetvalue(res, i, 0), &why) < 0 && errno != ENOENT)
            log_warn("logs: retention: %s: %s", PQgetvalue(res, i, 0), why);
        (*files)++;
        *bytes += db_int(res, i, 1);
    }
    if (*files)
        log_info("logs: retention removed %" PRId64 " files, %" PRId64 " bytes", *files, *bytes);
    return ERR_OK;
}

/* A limit from the config: its text, or NULL when 0 or unset. */
static const char *limit(struct app *app, const char *key, long long max)
{
    long long v = 0;
    char why[128];
    if (config_get_int(app->config, key, 0, 0, max, &v, why, sizeof(why)) < 0) {
        log_warn("logs: %s", why);
        return NULL;
    }
    return v ? config_get(app->config, key, NULL) : NULL;
}

void retention_tick(struct app *app, struct arena *a)
{
    const char *days = limit(app, "logs.retention_days", 36500);
    const char *bytes = limit(app, "logs.retention_max_bytes", INT64_MAX);
    int64_t files, freed;
    const char *detail;
    if (days || bytes)
        retention_run(app, a, days, bytes, &files, &freed, &detail);
}

enum err h_retention(struct req *r)
{
    const char *days = req_body_text(r, "max_age_days");
    const char *bytes = req_body_text(r, "max_total_bytes");
    if (!days && !bytes)
        return req_fail(r, ERR_INVALID_INPUT, "field=max_age_days: give max_age_days, max_total_bytes or both");
    if (!sync_lock(r->app, r->arena))
        return req_fail(r, ERR_SYNC_RUNNING, "a sync or cleanup is running in another worker");
    int64_t files, freed;
    enum err e = retention_run(r->app, r->arena, days, bytes, &files, &freed, &r->detail);
    sync_unlock(r->app, r->arena);
    if (e)
        return e;
    json_t *j = json_pack("{s:I, s:I}", "files_deleted", (json_int_t)files, "bytes_freed", (json_int_t)freed);
    return reply_json(r, 200, j); /* takes j */
}
