/* app: option parsing, start-up checks, and the worker's accept loop. */
#include "app.h"

#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "fcgi_io.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"

#ifndef AIFB_SCHEMA_HEAD
#error "AIFB_SCHEMA_HEAD must be defined by the build (the highest sql/NNNN_*.sql)"
#endif

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int worker_main(void *ctx, int listen_fd)
{
    struct app *app = ctx;
    app->db = db_new(config_get(app->config, "db.dsn", ""));
    FCGX_Request fr;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("worker: cannot set up libfcgi");
        return 1;
    }
    struct arena *arena = arena_new(64 * 1024);
    while (!prefork_stopping()) {
        if (FCGX_Accept_r(&fr) < 0) {
            if (prefork_stopping() || errno == EINTR)
                continue;
            log_error("worker: accept failed: %s", strerror(errno));
            usleep(100000);
            continue;
        }
        prefork_busy(1);
        struct req r;
        req_init(&r, arena, app, app->reply_max);
        r.started = now_mono();
        fcgi_io_read(&r, &fr);
        dispatch(&r);
        fcgi_io_write(&r, &fr);
        FCGX_Finish_r(&fr);
        arena_reset(arena);
        prefork_busy(0);
    }
    arena_free(arena);
    db_free(app->db);
    return 0;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-c CONFIG] [COMMAND...]\n"
            "  Runs the aifb FastCGI program: a master that keeps workers on a unix socket.\n"
            "  -c CONFIG  key = value file (default: $AIFB_CONFIG); AIFB_<KEY> overrides each key\n",
            prog);
}

/* Reads the keys every app needs into app. Returns 0 or -1 (message printed). */
static int configure(struct app *app, const char *name)
{
    char err[256], key[64];
    long long v;
    if (config_get_int(app->config, "workers", 4, 1, 64, &v, err, sizeof(err)) < 0)
        goto bad;
    snprintf(key, sizeof(key), "%s.workers", name);
    if (config_get_int(app->config, key, v, 1, 64, &v, err, sizeof(err)) < 0)
        goto bad;
    app->workers = (int)v;
    if (config_get_int(app->config, "reply.max_bytes", 8 << 20, 4096, 1LL << 30, &v, err, sizeof(err)) < 0)
        goto bad;
    app->reply_max = (size_t)v;
    const char *lvl = config_get(app->config, "log.level", "info");
    if (log_level_parse(lvl) < 0) {
        snprintf(err, sizeof(err), "log.level: '%s' is not debug, info, warn or error", lvl);
        goto bad;
    }
    log_init(name, (enum log_level)log_level_parse(lvl));
    snprintf(key, sizeof(key), "%s.socket", name);
    const char *sock = config_get(app->config, key, NULL);
    const char *run_dir = config_get(app->config, "run_dir", "var/run");
    static char path[256];
    int n = snprintf(path, sizeof(path), "%s/%s.sock", run_dir, name);
    if (!sock && (n < 0 || (size_t)n >= 104)) {
        snprintf(err, sizeof(err), "run_dir: the socket path would pass 104 bytes; use a shorter folder");
        goto bad;
    }
    app->socket_path = sock ? sock : path;
    if (!config_get(app->config, "db.dsn", NULL)) {
        snprintf(err, sizeof(err), "db.dsn: not set (in the config file or AIFB_DB_DSN)");
        goto bad;
    }
    return 0;
bad:
    fprintf(stderr, "aifb-%s: config: %s\n", name, err);
    return -1;
}

int app_main(int argc, char **argv, const struct app_def *def)
{
    const char *conf = getenv("AIFB_CONFIG");
    int opt, rc = 1;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            conf = optarg;
        } else {
            usage(argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    char err[512];
    if (route_table_check(&def->table, err, sizeof(err)) < 0) {
        fprintf(stderr, "aifb-%s: route table: %s\n", def->name, err);
        return 70;
    }
    struct app app = {.def = def, .token_lookup = auth_db_lookup, .schema_head = AIFB_SCHEMA_HEAD};
    app.config = config_load(conf, err, sizeof(err));
    if (!app.config) {
        fprintf(stderr, "aifb-%s: config: %s\n", def->name, err);
        return 2;
    }
    if (configure(&app, def->name) < 0)
        goto out;
    if (optind < argc) {
        if (!def->cli) {
            usage(argv[0]);
            goto out;
        }
        app.db = db_new(config_get(app.config, "db.dsn", ""));
        rc = def->cli(&app, argc - optind, argv + optind);
        db_free(app.db);
        goto out;
    }
    app.metrics = metrics_new(def->table.n);
    struct prefork p = {.socket_path = app.socket_path,
                        .workers = app.workers,
                        .metrics = app.metrics,
                        .worker_main = worker_main,
                        .ctx = &app};
    rc = prefork_run(&p);
out:
    config_free(app.config);
    return rc;
}
