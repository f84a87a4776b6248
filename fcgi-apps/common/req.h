/* req: one request as the dispatcher and handlers see it, and its reply. Nothing here knows
 * FastCGI: fcgi_io.c fills a req from libfcgi and writes its reply back, and the unit tests fill
 * one by hand. Everything a req points to lives in its arena. */
#ifndef AIFB_REQ_H
#define AIFB_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "input.h"
#include "route.h"

struct app;

struct reply {
    int status; /* 0 until a handler or the dispatcher sets it */
    const char *content_type;
    struct buf headers; /* extra "Name: value\r\n" lines */
    struct buf body;
};

struct req {
    struct arena *arena;
    struct app *app;

    /* As received. */
    enum http_method method; /* 0 for a method aifb does not serve */
    const char *method_name;
    const char *path;  /* decoded, without the query */
    const char *query; /* raw, without '?'; may be "" */
    const char *request_id;
    const char *content_type;  /* NULL when absent */
    int64_t content_length;    /* -1 when absent */
    const char *authorization; /* NULL when absent */
    const char *remote_addr;

    /* Reads up to n body bytes into buf: returns the count, 0 at the end, -1 on error. */
    ssize_t (*read_body)(void *io, char *buf, size_t n);
    /* Streamed replies: sends the head (reply.status, content type, headers) once, then pieces of
     * body. NULL where there is no client connection (unit tests): the pieces go to reply.body. */
    int (*stream_head)(struct req *r);
    int (*stream_write)(struct req *r, const char *data, size_t len);
    void *io;
    bool streaming; /* the head has gone: errors can no longer be answered as documents */

    /* Filled by the dispatcher before the handler runs. */
    int route_index; /* -1 until a route matched */
    const struct route *route;
    struct inputs *in;     /* the declared inputs, validated: read them with in.h */
    json_t *body;          /* the validated JSON object, or NULL */
    const char *body_text; /* body's bytes as received (NUL-terminated), for routes that pass them on */
    size_t body_len;
    enum role role;   /* of the token; ROLE_PUBLIC when none */
    int64_t token_id; /* 0 when none */

    const char *detail; /* detail of the error being answered */
    struct reply reply;
    double started; /* monotonic seconds */
};

/* Sets up r for a new request: zeroes it and ties it to arena and app. */
void req_init(struct req *r, struct arena *arena, struct app *app, size_t reply_max);

/* Sets the detail answered with e, and returns e: `return req_fail(r, ERR_X, "id=%lld", id);`.
 * The detail must not carry SQL, server paths or secrets. */
enum err req_fail(struct req *r, enum err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Answers status with j serialised (NULL answers an empty object). The one rule of reply documents:
 * the request's arena owns them (req_own_json, or a member of a document it owns); reply_json only
 * reads j. Returns ERR_OK, or ERR_RESPONSE_TOO_LARGE when the serialisation passes the reply cap. */
enum err reply_json(struct req *r, int status, const json_t *j);

/* Answers status with data as the body. Returns ERR_OK or ERR_RESPONSE_TOO_LARGE. */
enum err reply_data(struct req *r, int status, const char *content_type, const char *data, size_t len);

/* Starts a streamed reply with status and content type: the head goes now, with
 * X-Accel-Buffering: no so that nginx passes each piece on at once. Returns ERR_OK. */
enum err reply_stream_start(struct req *r, int status, const char *content_type);

/* Sends len bytes of a streamed reply now. Returns 0, or -1 when the client has gone. */
int reply_stream_write(struct req *r, const char *data, size_t len);

/* Adds a response header. name and value must not contain CR or LF (they are refused). */
void reply_header(struct req *r, const char *name, const char *value);

/* Replaces any reply with the error document of e (with r->detail and the request id). */
void reply_error(struct req *r, enum err e);

/* Hands j to the request's arena, which drops the reference at the end of the request; returns j.
 * Every document a handler builds goes through here, replies included. */
json_t *req_own_json(struct req *r, json_t *j);

#endif
