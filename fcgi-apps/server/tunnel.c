/* tunnel: the request text, and the reply read with httpr. */
#include "tunnel.h"

#include <string.h>

#include "app.h"
#include "httpr.h"
#include "req.h"
#include "ssh.h"

struct fetch {
    struct req *r;
    struct httpr h;
    struct buf *out; /* buffered, or NULL when streaming */
    bool overflow;
};

static const char *request_text(struct req *r, const char *host, int port, const char *method, const char *path,
                                const char *body, size_t len, size_t *total)
{
    const char *head = arena_printf(r->arena,
                                    "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: aifb-server\r\nAccept: */*\r\n"
                                    "Connection: close\r\n%s%s\r\n",
                                    method, path, host, port, body ? "Content-Type: application/json\r\n" : "",
                                    body ? arena_printf(r->arena, "Content-Length: %zu\r\n", len) : "");
    size_t hl = strlen(head);
    char *text = arena_alloc(r->arena, hl + len + 1);
    memcpy(text, head, hl);
    if (body)
        memcpy(text + hl, body, len);
    text[hl + len] = '\0';
    *total = hl + (body ? len : 0);
    return text;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    struct fetch *f = ctx;
    if (f->out) {
        if (buf_append(f->out, data, len) < 0) {
            f->overflow = true;
            return -1;
        }
        return 0;
    }
    return reply_stream_write(f->r, data, len);
}

static int on_head_stream(void *ctx, const struct httpr *h)
{
    struct fetch *f = ctx;
    reply_stream_start(f->r, h->status, arena_strdup(f->r->arena, h->content_type));
    return 0;
}

static int sink(void *ctx, const char *data, size_t len)
{
    struct fetch *f = ctx;
    return httpr_feed(&f->h, data, len) < 0 || f->h.state == HTTPR_DONE ? -1 : 0;
}

static enum err exchange(struct fetch *f, const char *host, int port, const char *method, const char *path,
                         const char *body, size_t len)
{
    struct req *r = f->r;
    size_t total;
    const char *text = request_text(r, host, port, method, path, body, len, &total);
    /* Anything but a GET may be a generation: it gets the long wait. */
    bool long_wait = strcmp(method, "GET") != 0;
    enum err e = ssh_tunnel(r->app->ssh, r->arena, host, port, text, total, long_wait, sink, f, &r->detail);
    if (e)
        return e;
    if (f->overflow)
        return req_fail(r, ERR_RESPONSE_TOO_LARGE, "the service's reply is over the cap");
    if (f->h.state != HTTPR_DONE && httpr_end(&f->h) < 0)
        return req_fail(r, ERR_SERVICE_UNREACHABLE, "%s:%d: %s", host, port, f->h.error);
    return ERR_OK;
}

enum err tunnel_fetch(struct req *r, const char *host, int port, const char *method, const char *path, const char *body,
                      size_t len, struct buf *out, int *status, const char **content_type)
{
    if (!r->app->ssh)
        return req_fail(r, ERR_CLUSTER_UNAVAILABLE, "no cluster is configured (cluster.host)");
    struct fetch *f = arena_calloc(r->arena, 1, sizeof(*f));
    f->r = r;
    f->out = out;
    httpr_init(&f->h, NULL, on_body, f);
    enum err e = exchange(f, host, port, method, path, body, len);
    if (e)
        return e;
    *status = f->h.status;
    *content_type = arena_strdup(r->arena, f->h.content_type);
    return ERR_OK;
}

enum err tunnel_pass(struct req *r, const char *host, int port, const char *method, const char *path, const char *body,
                     size_t len)
{
    /* The service's bytes answer under the API's origin: never let a browser sniff them as a page. */
    reply_header(r, "X-Content-Type-Options", "nosniff");
    struct buf *out = &r->reply.body;
    buf_clear(out);
    int status;
    const char *ctype;
    enum err e = tunnel_fetch(r, host, port, method, path, body, len, out, &status, &ctype);
    if (e)
        return e;
    r->reply.status = status;
    r->reply.content_type = ctype;
    return ERR_OK;
}

enum err tunnel_stream(struct req *r, const char *host, int port, const char *method, const char *path,
                       const char *body, size_t len)
{
    if (!r->app->ssh)
        return req_fail(r, ERR_CLUSTER_UNAVAILABLE, "no cluster is configured (cluster.host)");
    struct fetch *f = arena_calloc(r->arena, 1, sizeof(*f));
    f->r = r;
    httpr_init(&f->h, on_head_stream, on_body, f);
    return exchange(f, host, port, method, path, body, len);
}
