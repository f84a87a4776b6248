/* server: aifb-simllm as a whole: the listening socket, the route table (/health, /v1/models,
 * /metrics, /v1/completions, /v1/chat/completions, /aifb/stall) and its handlers, signals, and the
 * long-lived state they share. */
#ifndef AIFB_SERVER_H
#define AIFB_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "gen.h"
#include "loop.h"
#include "sim.h"

/* The command line, checked. */
struct server_options {
    const char *host;
    int port;              /* 0: any free port */
    const char *port_file; /* NULL: none */
    const char *model;
    int64_t max_model_len;
    size_t max_conns;
    struct sim_config sim;
};

struct server {
    struct server_options opt;
    struct loop *loop;
    struct conn_pool *pool;
    struct gen_engine gen;
    char *model_json;
    int listen_fd;
    int port; /* bound */
    struct loop_io sig;
    volatile sig_atomic_t stop;
    struct buf page; /* /metrics and /v1/models being formatted */
};

/* Binds and listens on opt's address, writes the port file, and sets up the loop. Returns 0, or -1
 * with a message in errbuf; s is then ready for server_run (or server_free). */
int server_init(struct server *s, const struct server_options *opt, char *errbuf, size_t errlen);

/* Serves until SIGTERM or SIGINT. Returns 0, or -1 when the loop failed. */
int server_run(struct server *s);

/* Closes every connection and releases everything. Safe after a failed server_init. */
void server_free(struct server *s);

#endif
