/* h_sync: the status is one statement over log_syncs; "running" is whether the logs lock is held. */
#include "h_sync.h"

#include <string.h>

#include "app.h"
#include "db.h"
#include "req.h"
#include "rows.h"
#include "settings.h"
#include "sync.h"

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
static const struct db_stmt st_status =
    DB_STMT("sync_status",
            "SELECT json_build_object('interval_s', $1::int, 'remote_dir', $2::text,"
            " 'running', EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0"
            "   AND objid = " TEXT(LOGS_LOCK) " AND granted),"
                                              " 'last', (SELECT row_to_json(s) FROM (SELECT " SYNC_COLUMNS
                                              " FROM log_syncs ORDER BY id DESC LIMIT 1) s),"
                                              " 'last_ok', (SELECT row_to_json(s) FROM (SELECT " SYNC_COLUMNS
                                              " FROM log_syncs WHERE ok ORDER BY id DESC"
                                              "   LIMIT 1) s),"
                                              " 'last_error', (SELECT row_to_json(s) FROM (SELECT " SYNC_COLUMNS
                                              " FROM log_syncs WHERE NOT ok"
                                              "   ORDER BY id DESC LIMIT 1) s),"
                                              " 'files', (SELECT count(*) FROM log_files), 'bytes', (SELECT "
                                              "coalesce(sum(size_bytes), 0) FROM log_files))::text",
            2, true);

enum err h_sync_status(struct req *r)
{
    const char *p[] = {arena_i64(r->arena, settings_int(r->app->config, SETTING_LOGS_SYNC_INTERVAL_S)),
                       settings_str(r->app->config, SETTING_LOGS_REMOTE_DIR)};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_status, p, &res, &r->detail);
    if (e)
        return e;
    return reply_data(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

enum err h_sync_now(struct req *r)
{
    if (!*settings_str(r->app->config, SETTING_CLUSTER_HOST))
        return req_fail(r, ERR_CLUSTER_UNAVAILABLE, "no cluster.host is configured: there is nothing to sync from");
    if (!sync_lock(r->app, r->arena))
        return req_fail(r, ERR_SYNC_RUNNING, "another worker holds the logs lock");
    const char *row;
    enum err e = sync_run(r->app, r->arena, "api", &row, &r->detail);
    sync_unlock(r->app, r->arena);
    if (e)
        return e;
    return reply_data(r, 200, "application/json", row, strlen(row));
}
