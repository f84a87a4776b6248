/* httpr: an incremental reader of one HTTP/1.x response, for replies that come back through an
 * SSH tunnel from a service. Feed it bytes as they arrive; it parses the status line and headers
 * (capped), then hands the body on de-chunked, as it comes, so that a stream can be passed through. */
#ifndef AIFB_HTTPR_H
#define AIFB_HTTPR_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPR_HEAD_MAX 16384

enum httpr_state {
    HTTPR_HEAD,
    HTTPR_BODY,
    HTTPR_CHUNK_SIZE,
    HTTPR_CHUNK_DATA,
    HTTPR_CHUNK_CRLF,
    HTTPR_DONE,
    HTTPR_ERROR
};

struct httpr {
    enum httpr_state state;
    int status; /* once the head is read */
    char content_type[128];
    bool chunked;
    long long remaining;  /* bytes left of the body (Content-Length) or of the chunk; -1 unknown */
    long long chunk_size; /* the chunk-size line being read */
    int chunk_digits;
    bool chunk_ext; /* in a chunk extension (after ';') */
    size_t head_len;
    char head[HTTPR_HEAD_MAX];
    /* Called with each piece of the body; returns 0 to go on, -1 to stop. */
    int (*on_body)(void *ctx, const char *data, size_t len);
    /* Called once when the head is complete (status and content_type set); returns 0 or -1. */
    int (*on_head)(void *ctx, const struct httpr *h);
    void *ctx;
    const char *error; /* why HTTPR_ERROR was reached */
};

/* Prepares h for a new response with these callbacks (either may be NULL). */
void httpr_init(struct httpr *h, int (*on_head)(void *, const struct httpr *),
                int (*on_body)(void *, const char *, size_t), void *ctx);

/* Consumes len bytes. Returns 0, or -1 once the response is malformed or a callback stopped it
 * (state HTTPR_ERROR with error set). Bytes after the end of the body are ignored. */
int httpr_feed(struct httpr *h, const char *data, size_t len);

/* Says the connection ended: returns 0 when that completes the response (an end-of-body by close,
 * or after the last chunk), -1 when it came too early. */
int httpr_end(struct httpr *h);

#endif
