/* httpr: status line, headers, then a body by length, by chunks, or until close. */
#include "httpr.h"

#include "num.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void httpr_init(struct httpr *h, int (*on_head)(void *, const struct httpr *),
                int (*on_body)(void *, const char *, size_t), void *ctx)
{
    memset(h, 0, sizeof(*h));
    h->state = HTTPR_HEAD;
    h->remaining = -1;
    h->on_head = on_head;
    h->on_body = on_body;
    h->ctx = ctx;
}

static int fail(struct httpr *h, const char *why)
{
    h->state = HTTPR_ERROR;
    h->error = why;
    return -1;
}

/* The value of header name in the head (NUL-separated lines), or NULL. */
static const char *header(const struct httpr *h, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = h->head; line < h->head + h->head_len; line += strlen(line) + 1)
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    return NULL;
}

static int parse_head(struct httpr *h)
{
    /* Lines end in CRLF (or LF): make each a C string. */
    for (size_t i = 0; i < h->head_len; i++)
        if (h->head[i] == '\n' || h->head[i] == '\r')
            h->head[i] = '\0';
    if (strncmp(h->head, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)h->head[9]) || h->head[8] != ' ')
        return fail(h, "not an HTTP/1.x status line");
    int64_t status;
    if (!num_i64n(h->head + 9, 3, &status) || (h->head[12] != '\0' && h->head[12] != ' ') || status < 100 ||
        status > 599)
        return fail(h, "bad status code");
    h->status = (int)status;
    const char *te = header(h, "Transfer-Encoding");
    const char *cl = header(h, "Content-Length");
    const char *ct = header(h, "Content-Type");
    snprintf(h->content_type, sizeof(h->content_type), "%s", ct ? ct : "application/octet-stream");
    h->chunked = te && strcasestr(te, "chunked");
    if (!h->chunked && cl) {
        char *end;
        errno = 0;
        h->remaining = strtoll(cl, &end, 10);
        if (errno || end == cl || h->remaining < 0)
            return fail(h, "bad Content-Length");
    }
    if (h->status < 200) {
        /* An interim answer (100 Continue, 103 Early Hints): the real head follows. */
        if (h->status == 101)
            return fail(h, "the service switched protocols");
        h->head_len = 0;
        h->status = 0;
        return 0;
    }
    if (h->on_head && h->on_head(h->ctx, h) < 0)
        return fail(h, "stopped by the reader");
    h->state = h->chunked ? HTTPR_CHUNK_SIZE : (h->remaining == 0 ? HTTPR_DONE : HTTPR_BODY);
    return 0;
}

/* Takes head bytes up to the blank line; returns bytes used, or -1. */
static long feed_head(struct httpr *h, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (h->head_len == HTTPR_HEAD_MAX - 1)
            return fail(h, "response head over 16 KiB");
        h->head[h->head_len++] = data[i];
        size_t n = h->head_len;
        if ((n >= 4 && memcmp(h->head + n - 4, "\r\n\r\n", 4) == 0) ||
            (n >= 2 && memcmp(h->head + n - 2, "\n\n", 2) == 0)) {
            h->head[n] = '\0';
            return parse_head(h) < 0 ? -1 : (long)(i + 1);
        }
    }
    return (long)len;
}

static int body(struct httpr *h, const char *data, size_t len)
{
    if (len && h->on_body && h->on_body(h->ctx, data, len) < 0)
        return fail(h, "stopped by the reader");
    return 0;
}

/* One step of the body: returns bytes used, or -1. */
static long feed_body(struct httpr *h, const char *data, size_t len)
{
    size_t take = len;
    switch (h->state) {
    case HTTPR_BODY:
        if (h->remaining >= 0 && (long long)take > h->remaining)
            take = (size_t)h->remaining;
        if (body(h, data, take) < 0)
            return -1;
        if (h->remaining >= 0) {
            h->remaining -= (long long)take;
            if (h->remaining == 0)
                h->state = HTTPR_DONE;
        }
        return (long)take;
    case HTTPR_CHUNK_DATA:
        if ((long long)take > h->remaining)
            take = (size_t)h->remaining;
        if (body(h, data, take) < 0)
            return -1;
        h->remaining -= (long long)take;
        if (h->remaining == 0)
            h->state = HTTPR_CHUNK_CRLF;
        return (long)take;
    case HTTPR_CHUNK_CRLF:
        if (data[0] == '\r')
            return 1;
        if (data[0] != '\n')
            return fail(h, "chunk not followed by CRLF");
        h->state = HTTPR_CHUNK_SIZE;
        return 1;
    default:
        return (long)len; /* DONE: ignore the rest */
    }
}

/* Reads a chunk-size line (hex digits, an optional ;extension, CRLF) one byte at a time. */
static long feed_chunk_size(struct httpr *h, char c)
{
    if (c == '\r')
        return 1;
    if (c == '\n') {
        if (h->chunk_digits == 0)
            return fail(h, "empty chunk size");
        h->remaining = h->chunk_size;
        h->chunk_size = 0;
        h->chunk_digits = 0;
        h->chunk_ext = false;
        /* The last chunk ends the body; trailers, if any, are ignored. */
        h->state = h->remaining == 0 ? HTTPR_DONE : HTTPR_CHUNK_DATA;
        return 1;
    }
    if (h->chunk_ext)
        return 1;
    if (c == ';') {
        h->chunk_ext = true;
        return 1;
    }
    int v = isdigit((unsigned char)c)    ? c - '0'
            : isxdigit((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10
                                         : -1;
    if (v < 0 || h->chunk_digits == 10)
        return fail(h, "bad chunk size");
    h->chunk_size = h->chunk_size * 16 + v;
    h->chunk_digits++;
    return 1;
}

int httpr_feed(struct httpr *h, const char *data, size_t len)
{
    while (len > 0) {
        long used;
        if (h->state == HTTPR_ERROR)
            return -1;
        if (h->state == HTTPR_DONE)
            return 0;
        if (h->state == HTTPR_HEAD)
            used = feed_head(h, data, len);
        else if (h->state == HTTPR_CHUNK_SIZE)
            used = feed_chunk_size(h, data[0]);
        else
            used = feed_body(h, data, len);
        if (used < 0)
            return -1;
        data += used;
        len -= (size_t)used;
    }
    return 0;
}

int httpr_end(struct httpr *h)
{
    if (h->state == HTTPR_DONE || (h->state == HTTPR_BODY && h->remaining < 0))
        return 0;
    if (h->state != HTTPR_ERROR)
        fail(h, "the connection closed before the response ended");
    return -1;
}
