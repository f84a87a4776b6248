/* app: option parsing, start-up checks, and the worker's accept loop. */
#include "app.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "fcgi_io.h"
#include "in.h"
#include "log.h"
#include "metrics.h"
#include "mono.h"
#include "openapi.h"
#include "prefork.h"
#include "settings.h"
#include "ssh.h"

#ifndef AIFB_SCHEMA_HEAD
#error "AIFB_SCHEMA_HEAD must be defined by the build (the highest sql/NNNN_*.sql)"
#endif

static void run_tick(struct app *app, struct arena *arena)
{
    if (app->ssh)
        ssh_keepalive(app->ssh);
    if (app->def->tick) {
        prefork_busy(1);
        app->def->tick(app, arena);
        arena_reset(arena);
        prefork_busy(0);
    }
}

/* The session to the login node, when the config names one. */
static struct ssh *cluster_session(struct app *app)
{
    const struct config *c = app->config;
    const char *host = settings_str(c, SETTING_CLUSTER_HOST);
    if (!*host)
        return NULL;
    struct ssh_config sc = {.host = host,
                            .port = (int)settings_int(c, SETTING_CLUSTER_PORT),
                            .user = settings_str(c, SETTING_CLUSTER_USER),
                            .key = settings_str(c, SETTING_CLUSTER_KEY),
                            .known_hosts = settings_str(c, SETTING_CLUSTER_KNOWN_HOSTS),
                            .timeout_ms = (int)settings_int(c, SETTING_CLUSTER_TIMEOUT_MS),
                            .tunnel_timeout_ms = (int)settings_int(c, SETTING_CLUSTER_TUNNEL_TIMEOUT_MS)};
    return ssh_new(&sc);
}

static int worker_main(void *ctx, int listen_fd)
{
    struct app *app = ctx;
    app->db = db_new(settings_str(app->config, SETTING_DB_DSN));
    app->ssh = cluster_session(app);
    FCGX_Request fr;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("worker: cannot set up libfcgi");
        return 1;
    }
    struct arena *arena = arena_new(64 * 1024);
    double next_tick = mono_now() + app->tick_ms / 1000.0;
    while (!prefork_stopping()) {
        /* The listening socket is non-blocking: wait here, so that an idle worker can do the
         * periodic work, and let the workers race for each connection. */
        int wait_ms = (int)((next_tick - mono_now()) * 1000);
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        if (poll(&p, 1, wait_ms < 0 ? 0 : wait_ms) == 0 || mono_now() >= next_tick) {
            run_tick(app, arena);
            next_tick = mono_now() + app->tick_ms / 1000.0;
            continue;
        }
        if (FCGX_Accept_r(&fr) < 0) {
            if (prefork_stopping() || errno == EINTR || errno == EAGAIN)
                continue;
            log_error("worker: accept failed: %s", strerror(errno));
            usleep(100000);
            continue;
        }
        prefork_busy(1);
        struct req r;
        req_init(&r, arena, app, app->reply_max);
        r.started = mono_now();
        fcgi_io_read(&r, &fr);
        dispatch(&r);
        fcgi_io_write(&r, &fr);
        FCGX_Finish_r(&fr);
        arena_reset(arena);
        prefork_busy(0);
    }
    arena_free(arena);
    ssh_free(app->ssh);
    db_free(app->db);
    free(app->openapi);
    return 0;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-c CONFIG] [COMMAND...]  |  %s --settings-doc  |  %s --openapi\n"
            "  Runs the aifb FastCGI program: a master that keeps workers on a unix socket.\n"
            "  -c CONFIG  key = value file (default: $AIFB_CONFIG); AIFB_<KEY> overrides each key\n"
            "  --settings-doc  prints the table of the config's keys (the README's) and exits\n"
            "  --openapi  prints the OpenAPI 3.1 document of this program's routes and exits\n",
            prog, prog, prog);
}

/* Reads the keys every app needs into app (settings_check passed). Returns 0 or -1 (message printed). */
static int configure(struct app *app, const char *name)
{
    const struct config *c = app->config;
    app->workers = (int)(settings_app_str(c, SETTING_APP_WORKERS, name) ? settings_app_int(c, SETTING_APP_WORKERS, name)
                                                                        : settings_int(c, SETTING_WORKERS));
    app->reply_max = (size_t)settings_int(c, SETTING_REPLY_MAX_BYTES);
    app->tick_ms = (int)settings_app_int(c, SETTING_APP_TICK_MS, name);
    log_init(name, (enum log_level)log_level_parse(settings_str(c, SETTING_LOG_LEVEL)));
    const char *sock = settings_app_str(c, SETTING_APP_SOCKET, name);
    static char path[256];
    int n = snprintf(path, sizeof(path), "%s/%s.sock", settings_str(c, SETTING_RUN_DIR), name);
    if (!sock && (n < 0 || (size_t)n >= 104)) {
        fprintf(stderr, "aifb-%s: config: run_dir: the socket path would pass 104 bytes; use a shorter folder\n", name);
        return -1;
    }
    app->socket_path = sock ? sock : path;
    return 0;
}

int app_main(int argc, char **argv, const struct app_def *def)
{
    const char *conf = getenv("AIFB_CONFIG");
    int opt, rc = 1;
    if (argc == 2 && strcmp(argv[1], "--settings-doc") == 0)
        return settings_doc(stdout) < 0 ? 1 : 0;
    if (argc == 2 && strcmp(argv[1], "--openapi") == 0)
        return openapi_print(def, stdout) < 0 ? 1 : 0;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            conf = optarg;
        } else {
            usage(argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    char err[512];
    if (route_table_check(&def->table, err, sizeof(err)) < 0 || in_check_table(&def->table, err, sizeof(err)) < 0) {
        fprintf(stderr, "aifb-%s: route table: %s\n", def->name, err);
        return 70;
    }
    struct app app = {.def = def, .token_lookup = auth_db_lookup, .schema_head = AIFB_SCHEMA_HEAD};
    app.config = config_load(conf, err, sizeof(err));
    if (!app.config) {
        fprintf(stderr, "aifb-%s: config: %s\n", def->name, err);
        return 2;
    }
    if (settings_check(app.config, conf, err, sizeof(err)) < 0) {
        fprintf(stderr, "aifb-%s: config: %s\n", def->name, err);
        goto out;
    }
    if (configure(&app, def->name) < 0)
        goto out;
    if (optind < argc) {
        if (!def->cli) {
            usage(argv[0]);
            goto out;
        }
        app.db = db_new(settings_str(app.config, SETTING_DB_DSN));
        app.ssh = cluster_session(&app);
        rc = def->cli(&app, argc - optind, argv + optind);
        ssh_free(app.ssh);
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
