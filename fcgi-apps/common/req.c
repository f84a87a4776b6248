/* req: replies and the one error document. */
#include "req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void decref_cb(void *p)
{
    json_decref(p);
}

void req_init(struct req *r, struct arena *arena, struct app *app, size_t reply_max)
{
    memset(r, 0, sizeof(*r));
    r->arena = arena;
    r->app = app;
    r->route_index = -1;
    r->content_length = -1;
    r->query = "";
    buf_init(&r->reply.headers, 16 * 1024);
    buf_init(&r->reply.body, reply_max);
    arena_defer(arena, buf_free_cb, &r->reply.headers);
    arena_defer(arena, buf_free_cb, &r->reply.body);
}

enum err req_fail(struct req *r, enum err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->detail = arena_vprintf(r->arena, fmt, ap);
    va_end(ap);
    return e;
}

json_t *req_own_json(struct req *r, json_t *j)
{
    if (j)
        arena_defer(r->arena, decref_cb, j);
    return j;
}

enum err reply_data(struct req *r, int status, const char *content_type, const char *data, size_t len)
{
    buf_clear(&r->reply.body);
    r->reply.status = status;
    r->reply.content_type = content_type;
    return buf_append(&r->reply.body, data, len) < 0 ? ERR_RESPONSE_TOO_LARGE : ERR_OK;
}

static int dump_cb(const char *data, size_t len, void *b)
{
    return buf_append(b, data, len);
}

enum err reply_json(struct req *r, int status, const json_t *j)
{
    buf_clear(&r->reply.body);
    r->reply.status = status;
    r->reply.content_type = "application/json";
    int rc = j ? json_dump_callback(j, dump_cb, &r->reply.body, JSON_COMPACT | JSON_ENCODE_ANY)
               : buf_append(&r->reply.body, "{}", 2);
    if (rc < 0 || buf_append(&r->reply.body, "\n", 1) < 0)
        return ERR_RESPONSE_TOO_LARGE;
    return ERR_OK;
}

enum err reply_stream_start(struct req *r, int status, const char *content_type)
{
    r->reply.status = status;
    r->reply.content_type = content_type;
    reply_header(r, "X-Accel-Buffering", "no");
    r->streaming = true;
    if (r->stream_head && r->stream_head(r) < 0)
        return ERR_OK; /* the client has gone; the writes will say so */
    return ERR_OK;
}

int reply_stream_write(struct req *r, const char *data, size_t len)
{
    if (r->stream_write)
        return r->stream_write(r, data, len);
    return buf_append(&r->reply.body, data, len);
}

void reply_header(struct req *r, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
        return;
    buf_printf(&r->reply.headers, "%s: %s\r\n", name, value);
}

void reply_error(struct req *r, enum err e)
{
    buf_clear(&r->reply.headers);
    const char *id = r->request_id ? r->request_id : "";
    json_t *j = req_own_json(r, json_pack("{s:s, s:s, s:s, s:s}", "error", err_string(e), "hint", err_hint(e), "detail",
                                          r->detail ? r->detail : "", "request_id", id));
    if (!j) /* a detail quoting input that is not UTF-8 */
        j = req_own_json(r, json_pack("{s:s, s:s, s:s, s:s}", "error", err_string(e), "hint", err_hint(e), "detail",
                                      "(not shown: not valid UTF-8)", "request_id", id));
    /* The error document is small; if even it does not fit, answer its code alone. */
    if (!j || reply_json(r, err_status(e), j) != ERR_OK) {
        char tiny[96];
        int n = snprintf(tiny, sizeof(tiny), "{\"error\":\"%s\"}\n", err_string(e));
        r->reply.body.max = r->reply.body.max < sizeof(tiny) ? sizeof(tiny) : r->reply.body.max;
        reply_data(r, err_status(e), "application/json", tiny, (size_t)n);
    }
    r->reply.status = err_status(e);
}
