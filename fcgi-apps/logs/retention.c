/* retention: one statement picks the files, tombstones them and deletes their rows; the mirror's
 * copies are unlinked after it commits (a copy left by a failed unlink is logged; nothing indexes
 * it any more and the next cleanup of the folder by hand finds it). */
#include "retention.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "mirror.h"
#include "settings.h"
#include "sync.h"

static const struct db_stmt st_cut = DB_STMT(
    "retention_cut",
    "WITH v AS (SELECT id, path FROM log_retention_cut($1::float8, $2::bigint)),"
    " t AS (INSERT INTO log_tombstones (path, reason) SELECT path, 'retention' FROM v"
    "   ON CONFLICT (path) DO UPDATE SET reason = 'retention', deleted_at = now()),"
    " d AS (DELETE FROM log_files f USING v WHERE f.id = v.id RETURNING f.path, f.size_bytes, f.modified_at, f.id)"
    " SELECT path, size_bytes FROM d ORDER BY modified_at, id",
    2, false);
static const struct db_stmt st_preview =
    DB_STMT("retention_preview",
            "SELECT path, size_bytes FROM log_retention_cut($1::float8, $2::bigint) ORDER BY modified_at, id", 2, true);

/* Adds what res names (path, size) to *files, *bytes and, up to RETENTION_LIST_MAX, to list. */
static void tally(PGresult *res, struct retention_cut *cut)
{
    for (int i = 0; i < PQntuples(res); i++) {
        cut->files++;
        cut->bytes += db_int(res, i, 1);
        if (cut->list && json_array_size(cut->list) < RETENTION_LIST_MAX)
            json_array_append_new(cut->list, json_pack("{s:s, s:I}", "path", PQgetvalue(res, i, 0), "size_bytes",
                                                       (json_int_t)db_int(res, i, 1)));
    }
}

enum err retention_run(struct app *app, struct arena *a, const char *max_age_days, const char *max_bytes, bool dry_run,
                       struct retention_cut *cut, const char **detail)
{
    cut->files = cut->bytes = 0;
    if (!max_age_days && !max_bytes)
        return ERR_OK;
    const char *p[] = {max_age_days, max_bytes};
    PGresult *res;
    enum err e = db_exec(app->db, a, dry_run ? &st_preview : &st_cut, p, &res, detail);
    if (e)
        return e;
    tally(res, cut);
    if (dry_run)
        return ERR_OK;
    const char *root = mirror_root(app);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *why;
        if (mirror_unlink(root, PQgetvalue(res, i, 0), &why) < 0 && errno != ENOENT)
            log_warn("logs: retention: %s: %s", PQgetvalue(res, i, 0), why);
    }
    if (cut->files)
        log_info("logs: retention removed %" PRId64 " files, %" PRId64 " bytes", cut->files, cut->bytes);
    return ERR_OK;
}

/* A limit from the config: its text, or NULL when 0 (none). */
static const char *limit(struct app *app, struct arena *a, enum setting s)
{
    long long v = settings_int(app->config, s);
    return v ? arena_i64(a, v) : NULL;
}

void retention_tick(struct app *app, struct arena *a)
{
    const char *days = limit(app, a, SETTING_LOGS_RETENTION_DAYS);
    const char *bytes = limit(app, a, SETTING_LOGS_RETENTION_MAX_BYTES);
    struct retention_cut cut = {0};
    const char *detail;
    if (days || bytes)
        retention_run(app, a, days, bytes, false, &cut, &detail);
}
