/* libFuzzer harness for aifb-simllm's request path: the bytes are what a client sent on one
 * connection. Each request is parsed as the connection parses it, first on a prefix (cut where the
 * request's first byte says) and then whole, resuming the head scan, and the verdict must equal a
 * parse from scratch; pipelined requests are taken in turn; every complete body is parsed as both
 * OpenAI endpoints parse it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/simllm/api.h"
#include "../../remote-agent/simllm/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses one request at buf[0..n) both ways; returns its verdict and fills *r and *status. */
static enum http_progress parse_twice(const char *buf, size_t n, struct http_request *r, int *status)
{
    size_t cut = n ? (size_t)(unsigned char)buf[0] * n / 256 : 0;
    size_t scan = 0, scan2 = 0;
    struct http_request r2;
    int st = 0, st2 = 0;
    enum http_progress p = http_parse(buf, cut, &scan, r, &st);
    if (p != HTTP_INVALID)
        p = http_parse(buf, n, &scan, r, &st);
    enum http_progress whole = http_parse(buf, n, &scan2, &r2, &st2);
    if (p != whole || (p == HTTP_INVALID && st != st2))
        abort(); /* resuming the scan changed the verdict */
    *status = st;
    return p;
}

static void check_request(const struct http_request *r, size_t n)
{
    if (r->head_len > n || r->content_length > HTTP_BODY_MAX || r->path_len > r->target_len || r->target_len == 0 ||
        r->target[0] != '/' || r->minor < 0 || r->minor > 1)
        abort();
}

static void parse_body(const char *body, size_t len)
{
    struct api_request req;
    struct api_error e;
    api_parse(API_COMPLETION, body, len, "aifb/sim-model", 4096, &req, &e);
    api_parse(API_CHAT, body, len, "aifb/sim-model", 4096, &req, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;
    for (int i = 0; i < 8 && off < size; i++) {
        struct http_request r;
        int status;
        if (parse_twice(buf + off, size - off, &r, &status) != HTTP_DONE)
            return 0;
        check_request(&r, size - off);
        parse_body(buf + off + r.head_len, r.content_length);
        off += r.head_len + r.content_length;
    }
    return 0;
}
