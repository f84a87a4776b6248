/* http: a strict, capped HTTP/1.x request parser (RFC 9112's grammar without the parts aifb-simllm
 * refuses: obs-fold, bare LF, chunked request bodies) and the writer of response heads and chunks. */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Scans buf from *scan for the CRLF CRLF that ends the head. Returns the head's length, 0 while it
 * is not complete, or minus the status to answer: a control byte, a bare CR or LF is 400; no end
 * within HTTP_HEAD_MAX bytes is 431. */
static long head_end(const char *buf, size_t len, size_t *scan)
{
    size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    size_t i;
    for (i = *scan; i < lim; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (i > 0 && buf[i - 1] == '\r' && c != '\n')
            return -400;
        if (c == '\n') {
            if (i == 0 || buf[i - 1] != '\r')
                return -400;
            if (i >= 3 && buf[i - 2] == '\n')
                return (long)(i + 1);
        } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            return -400;
        }
    }
    *scan = i;
    return len >= HTTP_HEAD_MAX ? -431 : 0;
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t token_len(const char *p, const char *end)
{
    size_t n = 0;
    while (p + n < end && is_tchar((unsigned char)p[n]))
        n++;
    return n;
}

static enum http_method method_of(const char *p, size_t n)
{
    static const struct {
        const char *name;
        enum http_method m;
    } names[] = {{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
                 {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, p, n) == 0)
            return names[i].m;
    return 0;
}

/* "METHOD SP origin-form SP HTTP/1.x CRLF". Returns the bytes taken, or minus a status. */
static long parse_request_line(const char *p, const char *end, struct http_request *r)
{
    const char *s = p;
    size_t n = token_len(s, end);
    if (n == 0 || n > 32 || s + n >= end || s[n] != ' ')
        return -400;
    r->method_name = s;
    r->method_len = n;
    r->method = method_of(s, n);
    s += n + 1;
    r->target = s;
    while (s < end && (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f)
        s++;
    r->target_len = (size_t)(s - r->target);
    if (r->target_len == 0 || r->target[0] != '/' || s >= end || *s != ' ')
        return -400;
    const char *q = memchr(r->target, '?', r->target_len);
    r->path_len = q ? (size_t)(q - r->target) : r->target_len;
    s++;
    if (end - s < 10 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[8] != '\r' || s[9] != '\n')
        return -400;
    if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
        return -400;
    if (s[5] != '1' || s[7] > '1')
        return -505;
    r->minor = s[7] - '0';
    r->keep_alive = r->minor == 1;
    return (long)(s + 10 - p);
}

static bool value_is(const char *v, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(v, want, n) == 0;
}

/* Content-Length: 1*DIGIT, once. Returns 0 or a status. */
static int take_length(struct http_request *r, const char *v, size_t n)
{
    if (r->has_length || n == 0)
        return 400;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 400;
        if (len > HTTP_BODY_MAX)
            continue; /* too large already: 413 below, without overflow */
        len = len * 10 + (size_t)(v[i] - '0');
    }
    if (len > HTTP_BODY_MAX)
        return 413;
    r->has_length = true;
    r->content_length = len;
    return 0;
}

/* Connection: a comma list of tokens, of which close and keep-alive matter. */
static void take_connection(struct http_request *r, const char *v, size_t n)
{
    const char *end = v + n;
    while (v < end) {
        while (v < end && (*v == ',' || *v == ' ' || *v == '\t'))
            v++;
        size_t k = token_len(v, end);
        if (value_is(v, k, "close"))
            r->keep_alive = false;
        else if (value_is(v, k, "keep-alive"))
            r->keep_alive = true;
        v += k ? k : 1;
    }
}

/* Flags of headers that may appear once and of framing that was seen. */
struct seen {
    bool host, te;
};

static int take_header(struct http_request *r, struct seen *seen, const char *name, size_t nn, const char *v, size_t vn)
{
    if (value_is(name, nn, "content-length"))
        return take_length(r, v, vn);
    if (value_is(name, nn, "transfer-encoding")) {
        seen->te = true;
    } else if (value_is(name, nn, "host")) {
        if (seen->host)
            return 400;
        seen->host = true;
    } else if (value_is(name, nn, "connection")) {
        take_connection(r, v, vn);
    } else if (value_is(name, nn, "expect")) {
        if (!value_is(v, vn, "100-continue"))
            return 417;
        r->expect_continue = true;
    } else if (value_is(name, nn, "content-type")) {
        r->content_type = v;
        r->content_type_len = vn;
    }
    return 0;
}

/* One "name: value CRLF" line at p. Returns the bytes taken, or minus a status. */
static long parse_header(const char *p, const char *end, struct http_request *r, struct seen *seen)
{
    size_t nn = token_len(p, end);
    if (nn == 0 || p + nn >= end || p[nn] != ':')
        return -400; /* also obs-fold, whose line starts with a space */
    const char *v = p + nn + 1;
    const char *eol = memchr(v, '\r', (size_t)(end - v));
    if (!eol)
        return -400;
    while (v < eol && (*v == ' ' || *v == '\t'))
        v++;
    const char *ve = eol;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    int st = take_header(r, seen, p, nn, v, (size_t)(ve - v));
    if (st)
        return -st;
    return (long)(eol + 2 - p);
}

/* Parses a complete head of head_len bytes. Returns 0 or the status to answer. */
static int parse_head(const char *buf, size_t head_len, struct http_request *r)
{
    memset(r, 0, sizeof(*r));
    const char *p = buf, *end = buf + head_len;
    long n = parse_request_line(p, end, r);
    if (n < 0)
        return (int)-n;
    p += n;
    struct seen seen = {false, false};
    int count = 0;
    while (end - p > 2) {
        if (++count > HTTP_HEADERS_MAX)
            return 431;
        n = parse_header(p, end - 2, r, &seen);
        if (n < 0)
            return (int)-n;
        p += n;
    }
    r->head_len = head_len;
    if (seen.te)
        return r->has_length ? 400 : 411; /* only Content-Length bodies are taken */
    if (r->minor == 1 && !seen.host)
        return 400;
    if (!r->has_length && r->method == HTTP_POST)
        return 411;
    return 0;
}

enum http_progress http_parse(const char *buf, size_t len, size_t *scan, struct http_request *r, int *status)
{
    long end = head_end(buf, len, scan);
    if (end < 0) {
        *status = (int)-end;
        return HTTP_INVALID;
    }
    if (end == 0)
        return HTTP_PARTIAL;
    int st = parse_head(buf, (size_t)end, r);
    if (st) {
        *status = st;
        return HTTP_INVALID;
    }
    return len - (size_t)end < r->content_length ? HTTP_HEAD_DONE : HTTP_DONE;
}

bool http_path_is(const struct http_request *r, const char *path)
{
    return strlen(path) == r->path_len && memcmp(r->target, path, r->path_len) == 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 417:
        return "Expectation Failed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

void http_date(time_t t, char out[HTTP_DATE_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, HTTP_DATE_LEN, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        out[0] = '\0';
}

int http_write_head(struct buf *out, int status, const char *content_type, long long length, bool keep_alive,
                    const char *date, const char *extra)
{
    int rc =
        buf_printf(out, "HTTP/1.1 %d %s\r\ndate: %s\r\nserver: aifb-simllm\r\n", status, http_reason(status), date);
    if (content_type)
        rc |= buf_printf(out, "content-type: %s\r\n", content_type);
    if (length == HTTP_LENGTH_CHUNKED)
        rc |= buf_puts(out, "transfer-encoding: chunked\r\n");
    else if (length >= 0)
        rc |= buf_printf(out, "content-length: %lld\r\n", length);
    if (!keep_alive)
        rc |= buf_puts(out, "connection: close\r\n");
    if (extra)
        rc |= buf_puts(out, extra);
    rc |= buf_puts(out, "\r\n");
    return rc ? -1 : 0;
}

int http_write_chunk(struct buf *out, const void *p, size_t n)
{
    /* The size line by hand: this runs once per token of every stream. */
    char line[2 * sizeof(size_t) + 2];
    size_t k = sizeof(line);
    line[--k] = '\n';
    line[--k] = '\r';
    size_t v = n;
    do
        line[--k] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) != 0);
    int rc = buf_append(out, line + k, sizeof(line) - k);
    rc |= buf_append(out, p, n);
    rc |= buf_append(out, "\r\n", 2);
    return rc ? -1 : 0;
}

int http_write_last_chunk(struct buf *out)
{
    return buf_puts(out, "0\r\n\r\n");
}
