/* conn: aifb-simllm's client connections: accepting (up to a cap), reading and parsing requests one
 * at a time (pipelined ones wait their turn), writing responses without blocking, keep-alive, and
 * closing. A request is handed to the dispatch callback and the connection stays busy until
 * conn_done; a response may take many loop turns (a token stream). */
#ifndef AIFB_CONN_H
#define AIFB_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "loop.h"

#define CONN_OUT_MAX (8 * 1024 * 1024)

struct conn;
struct conn_pool;

/* Called for each complete request: r and body (r->content_length bytes) are valid during the call
 * only. The callback answers with conn_reply, or starts a longer response that ends in conn_done. */
typedef void (*conn_dispatch_fn)(struct conn *c, const struct http_request *r, const char *body, void *ctx);

/* Serves connections accepted on listen_fd (non-blocking, listening), at most max_conns at once.
 * Returns the pool, or NULL with errno set. The pool does not own listen_fd. */
struct conn_pool *conn_pool_new(struct loop *l, int listen_fd, size_t max_conns, conn_dispatch_fn fn, void *ctx);

/* Closes every connection (running their abort hooks) and frees the pool. NULL is ignored. */
void conn_pool_free(struct conn_pool *p);

/* Open connections. */
size_t conn_pool_count(const struct conn_pool *p);

/* Registers fn(arg), called if c closes before conn_done (the client went away or the socket
 * failed). conn_done and conn_cut clear it. */
void conn_on_abort(struct conn *c, void (*fn)(void *arg), void *arg);

/* Whether the response to the current request may keep the connection open, and may use chunked
 * framing (HTTP/1.1; an HTTP/1.0 stream is sent raw and ends with the connection). */
bool conn_keep_alive(const struct conn *c);
bool conn_chunked(const struct conn *c);

/* The current Date header value. */
const char *conn_date(struct conn *c);

/* The output buffer: append the response's bytes, then conn_flush. */
struct buf *conn_out(struct conn *c);

/* Writes what the socket takes now; the rest goes out when it is writable. Returns 0, or -1 when the
 * connection is broken (closed on the next loop turn, its abort hook called then). */
int conn_flush(struct conn *c);

/* Replies with a whole response (no body for HEAD) and ends the request: conn_done. extra is more
 * header lines, each ending in CRLF, or NULL. */
void conn_reply(struct conn *c, int status, const char *content_type, const char *extra, const char *body, size_t len);

/* The response is complete: the connection serves its next request, or closes once its output is
 * written when the request or response did not keep it alive. */
void conn_done(struct conn *c);

/* Closes c at once, without its abort hook (a stream cut on purpose). c is freed. */
void conn_cut(struct conn *c);

#endif
