/* app: the long-lived state of one FastCGI program (config, database connection, metrics, token
 * cache) and app_main, which every app's main() calls with its definition. */
#ifndef AIFB_APP_H
#define AIFB_APP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "auth.h"
#include "err.h"
#include "route.h"

struct config;
struct db;
struct metrics;
struct ssh;

struct app;

/* What an app is: its name ("server"), its table, and optional subcommands run instead of the
 * server when arguments follow the options (`aifb-server -c FILE token create admin ci`). */
struct app_def {
    const char *name;
    struct route_table table;
    int (*cli)(struct app *app, int argc, char **argv);
    /* Periodic work, run by an idle worker every tick_ms (default 2000); NULL for none. It must
     * coordinate with the other workers itself (a PostgreSQL advisory lock). */
    void (*tick)(struct app *app, struct arena *a);
};

struct app {
    const struct app_def *def;
    struct config *config;
    struct db *db;           /* this process's connection; made in each worker */
    struct ssh *ssh;         /* this process's session to the login node; NULL without cluster.host */
    struct metrics *metrics; /* shared by the master and the workers */
    struct auth_cache auth_cache;
    /* How tokens are looked up: auth_db_lookup, or a stand-in in unit tests. */
    enum err (*token_lookup)(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id);
    size_t reply_max;
    int workers;
    int64_t schema_head; /* the migration version this build needs */
    int tick_ms;
    const char *socket_path;
    char *openapi; /* the OpenAPI document as text, made by its first request (h_system_openapi) */
};

/* Parses options (-c FILE, -h), loads the config, checks the table and runs the prefork server or
 * the subcommand. Returns the process exit status. */
int app_main(int argc, char **argv, const struct app_def *def);

#endif
