/* fcgi_io: FastCGI parameters in, status line, headers and body out. */
#include "fcgi_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "input.h"

static int stream_head(struct req *r);
static int stream_write(struct req *r, const char *data, size_t len);

static ssize_t read_body(void *io, char *buf, size_t n)
{
    FCGX_Request *fr = io;
    if (n > 1 << 20)
        n = 1 << 20;
    int k = FCGX_GetStr(buf, (int)n, fr->in);
    if (k < 0 || FCGX_GetError(fr->in))
        return -1;
    return k;
}

static const char *request_id(struct req *r, const char *given)
{
    if (given && strlen(given) <= 64 && strspn(given, "0123456789abcdefABCDEF-") == strlen(given) && *given)
        return arena_strdup(r->arena, given);
    unsigned char raw[16];
    if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) != (ssize_t)sizeof(raw))
        memset(raw, 0, sizeof(raw));
    char *s = arena_alloc(r->arena, 33);
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(s + 2 * i, 3, "%02x", raw[i]);
    return s;
}

/* The path without its query, decoded. nginx's DOCUMENT_URI is decoded and normalised already;
 * REQUEST_URI is the fallback for other front ends. */
static const char *decoded_path(struct req *r, FCGX_ParamArray env)
{
    const char *doc = FCGX_GetParam("DOCUMENT_URI", env);
    if (doc)
        return arena_strdup(r->arena, doc);
    const char *uri = FCGX_GetParam("REQUEST_URI", env);
    if (!uri)
        return "/";
    char *p = arena_strndup(r->arena, uri, strcspn(uri, "?"));
    if (input_pct_decode(p) < 0)
        return "/"; /* answers 404 */
    return p;
}

void fcgi_io_read(struct req *r, FCGX_Request *fr)
{
    FCGX_ParamArray env = fr->envp;
    const char *m = FCGX_GetParam("REQUEST_METHOD", env);
    r->method_name = arena_strdup(r->arena, m ? m : "GET");
    r->method = route_method_parse(r->method_name);
    r->path = decoded_path(r, env);
    const char *q = FCGX_GetParam("QUERY_STRING", env);
    r->query = arena_strdup(r->arena, q ? q : "");
    r->request_id = request_id(r, FCGX_GetParam("REQUEST_ID", env));
    r->content_type = arena_strdup(r->arena, FCGX_GetParam("CONTENT_TYPE", env));
    if (r->content_type && !*r->content_type)
        r->content_type = NULL;
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", env);
    if (cl && *cl) {
        char *end;
        errno = 0;
        long long n = strtoll(cl, &end, 10);
        r->content_length = (errno || *end || n < 0) ? -1 : n;
    }
    r->authorization = arena_strdup(r->arena, FCGX_GetParam("HTTP_AUTHORIZATION", env));
    r->remote_addr = arena_strdup(r->arena, FCGX_GetParam("REMOTE_ADDR", env));
    r->read_body = read_body;
    r->stream_head = stream_head;
    r->stream_write = stream_write;
    r->io = fr;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

/* Writes the status and headers; length < 0 leaves Content-Length out (a streamed body). */
static void write_head(struct req *r, FCGX_Request *fr, long long length)
{
    struct reply *rep = &r->reply;
    FCGX_FPrintF(fr->out, "Status: %d %s\r\n", rep->status, reason(rep->status));
    if (rep->status != 204)
        FCGX_FPrintF(fr->out, "Content-Type: %s\r\n", rep->content_type ? rep->content_type : "application/json");
    if (rep->status != 204 && length >= 0)
        FCGX_FPrintF(fr->out, "Content-Length: %lld\r\n", length);
    FCGX_FPrintF(fr->out, "X-Request-Id: %s\r\nCache-Control: no-store\r\n", r->request_id);
    if (rep->headers.len)
        FCGX_PutStr(rep->headers.data, (int)rep->headers.len, fr->out);
    FCGX_PutS("\r\n", fr->out);
}

static int stream_head(struct req *r)
{
    FCGX_Request *fr = r->io;
    write_head(r, fr, -1);
    return FCGX_FFlush(fr->out) < 0 ? -1 : 0;
}

static int stream_write(struct req *r, const char *data, size_t len)
{
    FCGX_Request *fr = r->io;
    if (r->method == HTTP_HEAD)
        return 0;
    if (FCGX_PutStr(data, (int)len, fr->out) < 0 || FCGX_FFlush(fr->out) < 0)
        return -1;
    return 0;
}

void fcgi_io_write(struct req *r, FCGX_Request *fr)
{
    struct reply *rep = &r->reply;
    if (!r->streaming) {
        write_head(r, fr, (long long)rep->body.len);
        if (r->method != HTTP_HEAD && rep->status != 204 && rep->body.len)
            FCGX_PutStr(rep->body.data, (int)rep->body.len, fr->out);
    }
    /* A body the handler did not read stays unread. nginx stops sending a request body once the
     * reply has begun, so reading it here would wait for bytes that never come. The end of the
     * request (FCGX_Finish_r) writes FCGI_END_REQUEST and closes the connection; closing with
     * bytes unread makes nginx's next read fail with ECONNRESET, but only after it has read what
     * was queued before, the whole reply and its end record, which is all it waits for. */
    FCGX_FFlush(fr->out);
}
