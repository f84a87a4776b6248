/* h_content: a log file's bytes, tail, search hits and download. The index gives the path, mirror.c
 * opens it confined to the mirror, reader.c reads it; the fd is closed with the request's arena. */
#include "h_content.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "in.h"
#include "app.h"
#include "db.h"
#include "fdio.h"
#include "log.h"
#include "mirror.h"
#include "reader.h"
#include "req.h"

#define CONTENT_LENGTH_DEFAULT 65536
#define CONTENT_LENGTH_MAX 4194304
#define TAIL_LINES_DEFAULT 100
#define SEARCH_MAX_DEFAULT 1000
#define HIT_OVERHEAD 40    /* JSON bytes around one hit's text: {"line":N,"text":""}, */
#define REPLY_MARGIN 65536 /* room in the reply for what is not file text (path, q, names) */

static const struct db_stmt st_path = DB_STMT("content_path", "SELECT path FROM log_files WHERE id = $1", 1, true);

/* An indexed file, opened. */
struct logfile {
    const char *id;
    const char *path; /* relative to the mirror root */
    int fd;
    struct stat st;
};

static void close_cb(void *p)
{
    close(*(int *)p);
}

/* Answers a failed mirror_open (errno and why as it left them). */
static enum err open_failed(struct req *r, const struct logfile *f, int err, const char *why)
{
    if (err == ENOENT)
        return req_fail(r, ERR_LOG_FILE_GONE, "id=%s", f->id);
    if (mirror_refused(err)) {
        log_warn("logs: file %s: the mirror refuses its indexed path %s: %s", f->id, f->path, why);
        return req_fail(r, ERR_LOG_FILE_GONE, "id=%s: the mirror holds no regular file there (%s)", f->id, why);
    }
    log_error("logs: file %s: %s: %s: %s", f->id, f->path, why, strerror(err));
    return req_fail(r, ERR_INTERNAL, "id=%s: the file cannot be opened", f->id);
}

/* Looks up the id parameter's path and opens it in the mirror; the fd closes with r's arena. Returns
 * ERR_OK, log_file_not_found, log_file_gone, invalid_input, internal or the database's error. */
static enum err open_file(struct req *r, struct logfile *f)
{
    f->id = in_text(r->in, K_id);
    const char *p[] = {f->id};
    PGresult *res;
    enum err e = db_exec(r->app->db, r->arena, &st_path, p, &res, &r->detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return req_fail(r, ERR_LOG_FILE_NOT_FOUND, "id=%s", f->id);
    f->path = PQgetvalue(res, 0, 0);
    const char *why = "";
    f->fd = mirror_open(mirror_root(r->app), f->path, &f->st, &why);
    if (f->fd < 0)
        return open_failed(r, f, errno, why);
    int *slot = arena_alloc(r->arena, sizeof(*slot));
    *slot = f->fd;
    arena_defer(r->arena, close_cb, slot);
    return ERR_OK;
}

/* Answers a failed read of f (errno as the reader left it). */
static enum err read_failed(struct req *r, const struct logfile *f, const char *what)
{
    int err = errno;
    if (err == ENOBUFS)
        return req_fail(r, ERR_RESPONSE_TOO_LARGE, "id=%s", f->id);
    log_error("logs: file %s: %s %s: %s", f->id, what, f->path, strerror(err));
    return req_fail(r, ERR_INTERNAL, "id=%s: the file cannot be read", f->id);
}

/* A JSON string of s (len bytes) with what is not UTF-8, and NUL, as U+FFFD. A new reference. */
static json_t *text_json(const char *s, size_t len)
{
    json_t *j = memchr(s, '\0', len) ? NULL : json_stringn(s, len);
    if (j)
        return j;
    struct buf b;
    buf_init(&b, len * 3);
    reader_utf8(s, len, &b); /* cannot pass 3 bytes for 1 */
    j = json_stringn(b.data ? b.data : "", b.len);
    buf_free(&b);
    return j;
}

static json_t *cstr_json(const char *s)
{
    return text_json(s, strlen(s));
}

/* The reply's room for file text as JSON. */
static size_t reply_room(const struct req *r)
{
    return r->app->reply_max > REPLY_MARGIN ? r->app->reply_max - REPLY_MARGIN : 0;
}

/* The bytes jansson writes for j, a string, inside its quotes (compact, UTF-8 as it is). */
static size_t json_text_len(const json_t *j)
{
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t n = json_string_length(j), total = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
            total += 2;
        else
            total += c < 0x20 ? 6 : 1;
    }
    return total;
}

enum err h_content_get(struct req *r)
{
    struct logfile f;
    enum err e = open_file(r, &f);
    if (e)
        return e;
    int64_t offset = in_int(r->in, K_offset, 0);
    int64_t length = in_int(r->in, K_length, CONTENT_LENGTH_DEFAULT);
    int64_t size = f.st.st_size;
    if (offset >= size && (size > 0 || offset > 0))
        return req_fail(r, ERR_RANGE_NOT_SATISFIABLE, "offset=%" PRId64 " is past the end (size %" PRId64 ")", offset,
                        size);
    if (length > CONTENT_LENGTH_MAX)
        length = CONTENT_LENGTH_MAX;
    if (length > size - offset)
        length = size - offset;
    /* straight into the reply's body, which reply_data would copy it to */
    buf_clear(&r->reply.body);
    if (reader_range(f.fd, (off_t)offset, (size_t)length, &r->reply.body) < 0)
        return read_failed(r, &f, "range of");
    r->reply.status = 200;
    r->reply.content_type = "text/plain; charset=utf-8";
    reply_header(r, "X-Content-Type-Options", "nosniff"); /* a job's bytes are never HTML to a browser */
    reply_header(r, "X-Aifb-Offset", arena_i64(r->arena, offset));
    reply_header(r, "X-Aifb-File-Size", arena_i64(r->arena, size));
    return ERR_OK;
}

/* The tail's reply with text capped at cap bytes. */
static enum err tail_reply(struct req *r, const struct logfile *f, long lines, size_t cap)
{
    struct buf text;
    buf_init(&text, cap);
    off_t start;
    int cut = reader_tail(f->fd, f->st.st_size, lines, &text, &start);
    enum err e = ERR_OK;
    if (cut < 0) {
        e = read_failed(r, f, "tail of");
        goto out;
    }
    json_t *j = req_own_json(r, json_object());
    json_object_set_new(j, "id", json_integer(in_int(r->in, K_id, 0)));
    json_object_set_new(j, "path", cstr_json(f->path));
    json_object_set_new(j, "size_bytes", json_integer((json_int_t)f->st.st_size));
    json_object_set_new(j, "start_offset", json_integer((json_int_t)start));
    json_object_set_new(j, "lines", json_integer(reader_count_lines(text.data, text.len)));
    json_object_set_new(j, "truncated", json_boolean(cut == READER_CUT));
    json_object_set_new(j, "text", text_json(text.data ? text.data : "", text.len));
    e = reply_json(r, 200, j);
out:
    buf_free(&text);
    return e;
}

enum err h_content_tail(struct req *r)
{
    struct logfile f;
    enum err e = open_file(r, &f);
    if (e)
        return e;
    long lines = (long)in_int(r->in, K_lines, TAIL_LINES_DEFAULT);
    size_t room = reply_room(r);
    e = tail_reply(r, &f, lines, room / 2 < READER_TAIL_MAX ? room / 2 : READER_TAIL_MAX);
    if (e == ERR_RESPONSE_TOO_LARGE) /* control bytes (a binary file) escape to 6: a cap any text fits */
        e = tail_reply(r, &f, lines, room / 6);
    return e;
}

/* The search's hits as they come, as long as their JSON fits the reply. */
struct hits {
    json_t *list;
    size_t bytes; /* of JSON so far */
    size_t room;
    bool full; /* a hit was left out for the reply cap */
};

static int on_hit(void *ctx, long line_no, const char *line, size_t len)
{
    struct hits *h = ctx;
    json_t *text = text_json(line, len);
    size_t cost = json_text_len(text) + HIT_OVERHEAD;
    if (cost > h->room - h->bytes) {
        json_decref(text);
        h->full = true;
        return 1;
    }
    h->bytes += cost;
    json_t *hit = json_object();
    json_object_set_new(hit, "line", json_integer(line_no));
    json_object_set_new(hit, "text", text);
    json_array_append_new(h->list, hit);
    return 0;
}

enum err h_content_search(struct req *r)
{
    struct logfile f;
    enum err e = open_file(r, &f);
    if (e)
        return e;
    const char *q = in_str(r->in, K_q);
    struct hits h = {.list = req_own_json(r, json_array()), .room = reply_room(r)};
    bool more;
    if (reader_search(f.fd, q, strlen(q), (long)in_int(r->in, K_max, SEARCH_MAX_DEFAULT), on_hit, &h, &more) < 0)
        return read_failed(r, &f, "search in");
    json_t *j = req_own_json(r, json_object());
    json_object_set_new(j, "id", json_integer(in_int(r->in, K_id, 0)));
    json_object_set_new(j, "path", cstr_json(f.path));
    json_object_set_new(j, "q", cstr_json(q));
    json_object_set(j, "hits", h.list);
    json_object_set_new(j, "more", json_boolean(more || h.full));
    return reply_json(r, 200, j);
}

/* RFC 5987's attr-char: what filename* carries as it is. */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$&+-.^_`|~", c));
}

/* Content-Disposition for path's last component: filename= with '"', '\' and bytes outside
 * printable ASCII as '_', and the exact name as filename*=UTF-8''... when that changed it. */
static const char *disposition(struct arena *a, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    char *plain = arena_alloc(a, n + 1), *exact = arena_alloc(a, 3 * n + 1), *x = exact;
    bool same = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        bool ok = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
        plain[i] = ok ? (char)c : '_';
        same = same && ok;
        if (attr_char(c)) {
            *x++ = (char)c;
        } else {
            *x++ = '%';
            *x++ = hex[c >> 4];
            *x++ = hex[c & 15];
        }
    }
    plain[n] = *x = '\0';
    if (same)
        return arena_printf(a, "attachment; filename=\"%s\"", plain);
    return arena_printf(a, "attachment; filename=\"%s\"; filename*=UTF-8''%s", plain, exact);
}

enum err h_content_download(struct req *r)
{
    struct logfile f;
    enum err e = open_file(r, &f);
    if (e)
        return e;
    reply_header(r, "Content-Disposition", disposition(r->arena, f.path));
    reply_header(r, "X-Content-Type-Options", "nosniff");
    e = reply_stream_start(r, 200, "text/plain; charset=utf-8");
    if (e)
        return e;
    char *block = arena_alloc(r->arena, READER_BLOCK);
    for (off_t off = 0; off < f.st.st_size;) {
        size_t want = f.st.st_size - off < READER_BLOCK ? (size_t)(f.st.st_size - off) : READER_BLOCK;
        ssize_t n = pread_full(f.fd, block, want, off);
        if (n < 0) /* the head is gone: the cut body is what the client sees, the log says why */
            log_warn("logs: file %s: download of %s: %s", f.id, f.path, strerror(errno));
        if (n <= 0 || reply_stream_write(r, block, (size_t)n) < 0)
            break; /* the file shrank, a read failed, or the client has gone */
        off += n;
    }
    return ERR_OK;
}
