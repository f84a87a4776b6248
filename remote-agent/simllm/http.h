/* http: aifb-simllm's HTTP/1.x request parser and response writer. The parser is strict and
 * capped (a 16 KiB head, at most 100 header lines, Content-Length bodies of at most 1 MiB, CRLF line
 * ends only) and answers anything else with the status to reply before closing: 400, 411, 413, 417,
 * 431 or 505. It copies nothing: a parsed request points into the caller's bytes. */
#ifndef AIFB_HTTP_H
#define AIFB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "route.h"

#define HTTP_HEAD_MAX (16 * 1024)
#define HTTP_BODY_MAX (1024 * 1024)
#define HTTP_HEADERS_MAX 100
#define HTTP_DATE_LEN 32

/* A parsed request head. The pointers are into the buffer given to http_parse and stay valid as
 * long as those bytes do. */
struct http_request {
    enum http_method method; /* 0: a method route.h does not name */
    const char *method_name;
    size_t method_len;
    const char *target; /* origin-form: starts with '/' */
    size_t target_len;
    size_t path_len; /* target bytes before '?' */
    int minor;       /* HTTP/1.minor: 0 or 1 */
    bool keep_alive;
    bool expect_continue;
    bool has_length;
    size_t content_length;
    const char *content_type; /* NULL when absent */
    size_t content_type_len;
    size_t head_len; /* request line, headers and the blank line */
};

enum http_progress {
    HTTP_PARTIAL,   /* the head is not complete yet */
    HTTP_HEAD_DONE, /* the head is parsed; the body is not complete yet */
    HTTP_DONE,      /* head and body are here: head_len + content_length bytes */
    HTTP_INVALID,   /* *status says what to answer; then close */
};

/* Parses the request at the start of buf[0..len). *scan keeps the place of the search for the head's
 * end between calls on a growing buffer (0 for a new request). On HTTP_HEAD_DONE and HTTP_DONE, *r
 * is filled; on HTTP_INVALID, *status is the HTTP status to reply. */
enum http_progress http_parse(const char *buf, size_t len, size_t *scan, struct http_request *r, int *status);

/* True when the request's path (the target without its query) is exactly path. */
bool http_path_is(const struct http_request *r, const char *path);

/* The reason phrase of status ("OK", "Not Found"...); "Unknown" for others. */
const char *http_reason(int status);

/* The IMF-fixdate of t ("Sun, 06 Nov 1994 08:49:37 GMT") in out. */
void http_date(time_t t, char out[HTTP_DATE_LEN]);

#define HTTP_LENGTH_CHUNKED (-1) /* a chunked body */
#define HTTP_LENGTH_NONE (-2)    /* a body that ends when the connection closes (HTTP/1.0 streams) */

/* Appends a status line and headers, ending with the blank line. length is the Content-Length, or
 * HTTP_LENGTH_CHUNKED or HTTP_LENGTH_NONE. date is http_date's text; extra is more header lines, each ending in CRLF,
 * or NULL. Returns 0, or -1 when out passes its cap. */
int http_write_head(struct buf *out, int status, const char *content_type, long long length, bool keep_alive,
                    const char *date, const char *extra);

/* Appends one chunk of a chunked body holding p[0..n) (n > 0). Returns 0 or -1 (cap). */
int http_write_chunk(struct buf *out, const void *p, size_t n);

/* Appends the last chunk, which ends a chunked body. Returns 0 or -1 (cap). */
int http_write_last_chunk(struct buf *out);

#endif
