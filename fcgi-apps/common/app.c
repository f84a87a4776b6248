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
#include "log.h"
#include "metrics.h"
#include "mono.h"
#include "prefork.h"
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
    const char *host = config_get(c, "cluster.host", NULL);
    if (!host || !*host)
        return NULL;
    char err[256];
    long long port, timeout, tunnel;
    if (config_get_int(c, "cluster.port", 22, 1, 65535, &port, err, sizeof(err)) < 0 ||
        config_get_int(c, "cluster.timeout_ms", 15000, 100, 600000, &timeout, err, sizeof(err)) < 0 ||
        config_get_int(c, "cluster.tunnel_timeout_ms", 600000, 100, 86400000, &tunnel, err, sizeof(err)) < 0) {
        log_error("config: %s", err);
        return NULL;
    }
    struct ssh_config sc = {.host = host,
                            .port = (int)port,
                            .user = config_get(c, "cluster.user", ""),
                            .key = config_get(c, "cluster.key", ""),
                            .known_hosts = config_get(c, "cluster.known_hosts", ""),
                            .timeout_ms = (int)timeout,
                            .tunnel_timeout_ms = (int)tunnel};
    return ssh_new(&sc);
}

static int worker_main(void *ctx, int listen_fd)
{
    struct app *app = ctx;
    app->db = db_new(config_get(app->config, "db.dsn", ""));
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
    snprintf(key, sizeof(key), "%s.tick_ms", name);
    if (config_get_int(app->config, key, 2000, 100, 3600000, &v, err, sizeof(err)) < 0)
        goto bad;
    app->tick_ms = (int)v;
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
