/* server: aifb-simllm's routes and their handlers, the listening socket and signals. Unknown paths
 * and methods are answered as FastAPI answers them in vLLM ({"detail":"Not Found"}, 405 with Allow);
 * the OpenAI endpoints answer errors in vLLM's error shape. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

#define PAGE_MAX (1024 * 1024)
#define STALL_MAX_MS 3600000
#define LISTEN_BACKLOG 4096

typedef void (*sim_handler)(struct server *s, struct conn *c, const struct http_request *r, const char *body);

static void h_health(struct server *s, struct conn *c, const struct http_request *r, const char *body);
static void h_models(struct server *s, struct conn *c, const struct http_request *r, const char *body);
static void h_metrics(struct server *s, struct conn *c, const struct http_request *r, const char *body);
static void h_completions(struct server *s, struct conn *c, const struct http_request *r, const char *body);
static void h_chat(struct server *s, struct conn *c, const struct http_request *r, const char *body);
static void h_stall(struct server *s, struct conn *c, const struct http_request *r, const char *body);

static const struct {
    enum http_method method;
    const char *path;
    sim_handler fn;
} routes[] = {
    {HTTP_GET, "/health", h_health},
    {HTTP_GET, "/v1/models", h_models},
    {HTTP_GET, "/metrics", h_metrics},
    {HTTP_POST, "/v1/completions", h_completions},
    {HTTP_POST, "/v1/chat/completions", h_chat},
    {HTTP_POST, "/aifb/stall", h_stall},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Replies with vLLM's error document. */
static void reply_error(struct server *s, struct conn *c, int status, const char *message, const char *extra)
{
    buf_clear(&s->page);
    api_error_body(&s->page, status, api_error_type(status), message);
    conn_reply(c, status, "application/json", extra, s->page.data, s->page.len);
}

static void reply_page(struct server *s, struct conn *c, int rc, const char *content_type)
{
    if (rc < 0 || s->page.overflow)
        reply_error(s, c, 500, "The response is over aifb-simllm's page cap", NULL);
    else
        conn_reply(c, 200, content_type, NULL, s->page.data, s->page.len);
}

static void h_health(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    (void)s, (void)r, (void)body;
    conn_reply(c, 200, NULL, NULL, "", 0);
}

static void h_models(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    (void)r, (void)body;
    buf_clear(&s->page);
    int rc = api_models_body(&s->page, s->opt.model, (int64_t)time(NULL), s->opt.max_model_len);
    reply_page(s, c, rc, "application/json");
}

static void h_metrics(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    (void)r, (void)body;
    buf_clear(&s->page);
    const struct sim_admit *q = &s->gen.admit;
    int rc = vmetrics_render(&s->gen.metrics, &s->page, s->opt.model, q->running, q->waiting);
    reply_page(s, c, rc, "text/plain; version=0.0.4; charset=utf-8");
}

static void generate(struct server *s, struct conn *c, const struct http_request *r, const char *body,
                     enum api_kind kind)
{
    int64_t arrival = loop_now(), arrival_rt = loop_realtime();
    char extra[64];
    snprintf(extra, sizeof(extra), "x-aifb-arrival-ns: %" PRId64 "\r\n", arrival_rt);
    struct api_request req;
    struct api_error err;
    if (api_parse(kind, body, r->content_length, s->opt.model, s->opt.max_model_len, &req, &err) < 0) {
        reply_error(s, c, err.status, err.message, extra);
        return;
    }
    if (gen_draw_error(&s->gen)) {
        reply_error(s, c, 500, "aifb-simllm: a simulated internal error (--error-rate)", extra);
        return;
    }
    gen_start(&s->gen, c, &req, arrival, arrival_rt);
}

static void h_completions(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    generate(s, c, r, body, API_COMPLETION);
}

static void h_chat(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    generate(s, c, r, body, API_CHAT);
}

/* POST /aifb/stall {"ms": N}: every due event and admission waits N ms more from now. Answers
 * {"stalled_ms":N,"until_ns":T}, T the end of the stall in CLOCK_REALTIME nanoseconds. */
static void h_stall(struct server *s, struct conn *c, const struct http_request *r, const char *body)
{
    json_error_t jerr;
    json_t *j = json_loadb(body, r->content_length, 0, &jerr);
    json_t *ms = json_object_get(j, "ms");
    if (!json_is_integer(ms) || json_integer_value(ms) < 0 || json_integer_value(ms) > STALL_MAX_MS) {
        json_decref(j);
        reply_error(s, c, 400, "Send {\"ms\": N} with N an integer in [0, 3600000]", NULL);
        return;
    }
    int64_t n = (int64_t)json_integer_value(ms);
    json_decref(j);
    int64_t until = gen_stall(&s->gen, n);
    int64_t until_rt = loop_realtime() + (until - loop_now());
    log_info("stall of %" PRId64 " ms: every due event and admission is delayed", n);
    char out[96];
    int len = snprintf(out, sizeof(out), "{\"stalled_ms\":%" PRId64 ",\"until_ns\":%" PRId64 "}", n, until_rt);
    conn_reply(c, 200, "application/json", NULL, out, (size_t)len);
}

static void dispatch(struct conn *c, const struct http_request *r, const char *body, void *ctx)
{
    struct server *s = ctx;
    enum http_method m = r->method == HTTP_HEAD ? HTTP_GET : r->method;
    for (size_t i = 0; i < NROUTES; i++) {
        if (!http_path_is(r, routes[i].path))
            continue;
        if (routes[i].method == m) {
            routes[i].fn(s, c, r, body);
            return;
        }
        const char *detail = "{\"detail\":\"Method Not Allowed\"}";
        conn_reply(c, 405, "application/json",
                   routes[i].method == HTTP_GET ? "allow: GET, HEAD\r\n" : "allow: POST\r\n", detail, strlen(detail));
        return;
    }
    const char *detail = "{\"detail\":\"Not Found\"}";
    conn_reply(c, 404, "application/json", NULL, detail, strlen(detail));
}

static void on_signal(struct loop_io *io, uint32_t events)
{
    (void)events;
    struct server *s = io->arg;
    struct signalfd_siginfo si;
    if (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        log_info("signal %u: stopping, %zu requests in flight are dropped", si.ssi_signo, s->gen.live);
    s->stop = 1;
}

/* Opens the non-blocking listening socket on host:port and records the bound port. */
static int open_listener(struct server *s, char *errbuf, size_t errlen)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", s->opt.port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(s->opt.host, port, &hints, &res);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot resolve --host %s: %s", s->opt.host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        snprintf(errbuf, errlen, "cannot listen on %s:%d: %s", s->opt.host, s->opt.port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    s->listen_fd = fd;
    return 0;
}

/* Writes the bound port to path through a temporary file and rename, so readers never see half. */
static int write_port_file(const char *path, int port, char *errbuf, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(errbuf, errlen, "cannot write --port-file %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int open_signals(struct server *s, char *errbuf, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    s->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->sig.fn = on_signal;
    s->sig.arg = s;
    if (s->sig.fd < 0 || loop_io_add(s->loop, &s->sig, EPOLLIN) < 0) {
        snprintf(errbuf, errlen, "cannot watch signals: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int server_init(struct server *s, const struct server_options *opt, char *errbuf, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->opt = *opt;
    s->listen_fd = s->sig.fd = -1;
    buf_init(&s->page, PAGE_MAX);
    signal(SIGPIPE, SIG_IGN);
    s->model_json = api_json_string(opt->model);
    if (!s->model_json) {
        snprintf(errbuf, errlen, "--model must be UTF-8");
        return -1;
    }
    s->loop = loop_new();
    if (!s->loop) {
        snprintf(errbuf, errlen, "cannot start the event loop: %s", strerror(errno));
        return -1;
    }
    gen_engine_init(&s->gen, s->loop, &opt->sim, s->model_json);
    if (open_listener(s, errbuf, errlen) < 0 || open_signals(s, errbuf, errlen) < 0)
        return -1;
    s->pool = conn_pool_new(s->loop, s->listen_fd, opt->max_conns, dispatch, s);
    if (!s->pool) {
        snprintf(errbuf, errlen, "cannot watch the listening socket: %s", strerror(errno));
        return -1;
    }
    if (opt->port_file && write_port_file(opt->port_file, s->port, errbuf, errlen) < 0)
        return -1;
    return 0;
}

int server_run(struct server *s)
{
    int rc = loop_run(s->loop, &s->stop);
    if (rc < 0)
        log_error("event loop: %s", strerror(errno));
    return rc;
}

void server_free(struct server *s)
{
    conn_pool_free(s->pool); /* ends every generation through its connection's abort hook */
    if (s->loop)
        gen_engine_free(&s->gen);
    if (s->sig.fd >= 0)
        close(s->sig.fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    loop_free(s->loop);
    free(s->model_json);
    buf_free(&s->page);
}
