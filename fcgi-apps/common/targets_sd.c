/* targets_sd: PostgreSQL renders the document; this passes it on. */
#include "targets_sd.h"

#include <string.h>

#include "app.h"
#include "db.h"
#include "req.h"
#include "settings.h"

static const struct db_stmt st_sd = DB_STMT("targets_sd", "SELECT scrape_targets_sd($1, $2)", 2, true);

enum err targets_sd_reply(struct req *r, bool only_services)
{
    const char *params[] = {settings_str(r->app->config, SETTING_HTTP_ADDRESS), only_services ? "true" : "false"};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_sd, params, &res, &r->detail);
    if (e)
        return e;
    const char *text = PQgetvalue(res, 0, 0);
    return reply_data(r, 200, "application/json", text, strlen(text));
}
