/* serve: aifb-gpu-exporter's small HTTP/1.1 endpoint, run from the main thread's poll loop: GET (or
 * HEAD) /metrics answers the exposition a callback renders, /health answers "ok", any other path 404
 * and any other method 405. One request per connection (Connection: close); at most SERVE_MAX_CONNS
 * at once, each given SERVE_CONN_TIMEOUT_S to send its request and read the answer. */
#ifndef AIFB_GPU_SERVE_H
#define AIFB_GPU_SERVE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SERVE_MAX_CONNS 64
#define SERVE_REQ_MAX 8192        /* bytes of a request's line and headers */
#define SERVE_PAGE_MAX (4u << 20) /* bytes of an answer */
#define SERVE_CONN_TIMEOUT_S 10.0
#define SERVE_HOST_MAX 256

/* Renders the /metrics page into out (empty, capped at SERVE_PAGE_MAX). Returns 0, or -1 for a 500. */
typedef int (*serve_render_fn)(void *arg, struct buf *out);

struct serve_conn {
    int fd; /* -1: a free slot */
    char in[SERVE_REQ_MAX];
    size_t in_len;
    struct buf out; /* the whole answer, once the request is in */
    size_t off;     /* of out, written so far */
    bool writing;
    double deadline; /* mono_now() seconds */
};

struct serve {
    int fd;   /* the listener */
    int port; /* as bound (the one picked for port 0) */
    serve_render_fn render;
    void *arg;
    struct buf page;
    struct serve_conn conns[SERVE_MAX_CONNS];
    int watched[SERVE_MAX_CONNS + 1]; /* what serve_watch put at each pollfd: a slot, or -1 the listener */
};

/* Splits "HOST:PORT" ("[::1]:9400" for IPv6) into host (brackets dropped) and port 0..65535.
 * Returns 0, or -1 on another shape. */
int serve_parse_listen(const char *spec, char *host, size_t n, int *port);

/* Listens on spec (as serve_parse_listen reads it); render is called for each /metrics request with
 * arg. Returns 0, or -1 with why[] (bad spec, address in use, ...). sv is the caller's; serve_close
 * frees what it holds, also after a failure. */
int serve_open(struct serve *sv, const char *spec, serve_render_fn render, void *arg, char *why, size_t n);

/* Puts into fds (room for SERVE_MAX_CONNS + 1) what to poll: the listener while a slot is free, each
 * connection for reading or writing. Returns how many. */
size_t serve_watch(struct serve *sv, struct pollfd *fds);

/* The poll timeout the connections' deadlines allow, in ms, at most cap_ms. */
int serve_timeout_ms(const struct serve *sv, int cap_ms);

/* Acts on what poll answered for the n fds serve_watch filled: accepts, reads, answers, writes, and
 * closes connections that are done or past their deadline. */
void serve_handle(struct serve *sv, const struct pollfd *fds, size_t n);

/* Closes the listener and every connection. */
void serve_close(struct serve *sv);

#endif
