/* conn: non-blocking client connections of aifb-simllm on the event loop. A connection is freed only
 * from its own callbacks (socket events, its kick timer) or by conn_cut, so that no caller is left
 * holding a freed connection: a failure found while writing marks it broken and kicks it. */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

#define IN_MAX (HTTP_HEAD_MAX + HTTP_BODY_MAX + 64 * 1024)
#define READ_CHUNK (64 * 1024)
#define ACCEPT_RETRY_NS (100 * 1000000LL)
#define LINGER_NS (1000 * 1000000LL)

struct conn {
    struct loop_io io;
    struct conn_pool *pool;
    struct conn *prev, *next;
    struct loop_timer kick; /* deferred work: the next request, a close */
    struct buf in, out;
    size_t out_off; /* bytes of out already written */
    size_t scan;    /* http_parse's place in in */
    bool busy;      /* a request is being answered */
    bool keep_alive, chunked, head_only;
    bool sent_continue;
    bool closing;   /* close once out is written */
    bool broken;    /* the socket failed: close at the next kick */
    bool read_full; /* in is full while busy: reading waits */
    bool lingering; /* closing: our side is shut, the client's bytes are read and dropped */
    void (*on_abort)(void *arg);
    void *abort_arg;
};

struct conn_pool {
    struct loop *loop;
    struct loop_io lio;
    struct loop_timer resume; /* accepting again after EMFILE */
    size_t count, max;
    bool paused;
    struct conn *all;
    conn_dispatch_fn dispatch;
    void *ctx;
    time_t date_at;
    char date[HTTP_DATE_LEN];
};

static void conn_free(struct conn *c, bool abort_hook)
{
    struct conn_pool *p = c->pool;
    if (abort_hook && c->on_abort)
        c->on_abort(c->abort_arg);
    loop_timer_cancel(p->loop, &c->kick);
    loop_io_del(p->loop, &c->io);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        p->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
    p->count--;
    if (p->paused && p->count < p->max && !loop_timer_armed(&p->resume)) {
        p->paused = false;
        loop_io_mod(p->loop, &p->lio, EPOLLIN);
    }
}

/* The epoll events c wants now. */
static void update_events(struct conn *c)
{
    uint32_t ev = EPOLLRDHUP;
    if (!c->read_full)
        ev |= EPOLLIN;
    if (c->out_off < c->out.len)
        ev |= EPOLLOUT;
    loop_io_mod(c->pool->loop, &c->io, ev);
}

static void kick_soon(struct conn *c)
{
    if (!loop_timer_armed(&c->kick))
        loop_timer_set(c->pool->loop, &c->kick, loop_now());
}

int conn_flush(struct conn *c)
{
    if (c->broken)
        return -1;
    if (c->out.overflow)
        goto broken;
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->io.fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            update_events(c);
            return 0;
        } else {
            goto broken;
        }
    }
    c->out_off = 0;
    buf_clear(&c->out);
    update_events(c);
    if (c->closing)
        kick_soon(c);
    return 0;
broken:
    c->broken = true;
    kick_soon(c);
    return -1;
}

/* A refusal of the parser, in vLLM's error shape; the connection closes after it. */
static void reply_error(struct conn *c, int status)
{
    struct buf b;
    buf_init(&b, 512);
    api_error_body(&b, status, api_error_type(status), http_reason(status));
    c->keep_alive = false;
    c->head_only = false;
    conn_reply(c, status, "application/json", NULL, buf_cstr(&b), b.len);
    buf_free(&b);
}

/* Takes a complete request of n bytes at the start of in and hands it to dispatch. */
static void serve(struct conn *c, const struct http_request *r, size_t n)
{
    c->busy = true;
    c->keep_alive = r->keep_alive && r->minor == 1;
    c->chunked = r->minor == 1;
    c->head_only = r->method == HTTP_HEAD;
    c->pool->dispatch(c, r, c->in.data + r->head_len, c->pool->ctx);
    memmove(c->in.data, c->in.data + n, c->in.len - n);
    c->in.len -= n;
    c->scan = 0;
    c->sent_continue = false;
}

/* Parses what in holds and serves one request if it is complete. */
static void process(struct conn *c)
{
    struct http_request r;
    int status = 0;
    if (c->busy || c->closing || c->broken || c->in.len == 0)
        return;
    switch (http_parse(c->in.data, c->in.len, &c->scan, &r, &status)) {
    case HTTP_PARTIAL:
        return;
    case HTTP_INVALID:
        c->busy = true;
        reply_error(c, status);
        return;
    case HTTP_HEAD_DONE:
        if (r.expect_continue && !c->sent_continue) {
            c->sent_continue = true;
            buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            conn_flush(c);
        }
        return;
    case HTTP_DONE:
        serve(c, &r, r.head_len + r.content_length);
        return;
    }
}

/* Closing with unread bytes from the client would reset the connection and could destroy the reply
 * in flight; so our side is shut first and the client's bytes are dropped until it closes too, or
 * for LINGER_NS at most (a lingering close, as nginx does). */
static void start_linger(struct conn *c)
{
    shutdown(c->io.fd, SHUT_WR);
    c->lingering = true;
    c->read_full = false;
    update_events(c);
    loop_timer_set(c->pool->loop, &c->kick, loop_now() + LINGER_NS);
}

static void on_kick(void *arg)
{
    struct conn *c = arg;
    if (c->broken || c->lingering) {
        conn_free(c, true);
        return;
    }
    if (c->closing && c->out_off == c->out.len) {
        start_linger(c);
        return;
    }
    if (c->read_full && !c->busy) {
        c->read_full = false;
        update_events(c);
    }
    process(c);
}

/* Reads what the socket has. Returns -1 when c must close (end of stream or an error). */
static int read_some(struct conn *c)
{
    char chunk[READ_CHUNK];
    size_t room = IN_MAX - c->in.len;
    if (room == 0) {
        c->read_full = true; /* busy with a request while the client sends more: wait */
        update_events(c);
        return 0;
    }
    ssize_t n = recv(c->io.fd, chunk, room < sizeof(chunk) ? room : sizeof(chunk), 0);
    if (n == 0)
        return -1; /* the client closed: vLLM aborts what it was generating for it */
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    buf_append(&c->in, chunk, (size_t)n);
    return 0;
}

/* While lingering: drops what the client sends. Returns -1 once it closed (or failed). */
static int drop_some(struct conn *c)
{
    char chunk[READ_CHUNK];
    ssize_t n = recv(c->io.fd, chunk, sizeof(chunk), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return -1;
    return 0;
}

static void on_conn_io(struct loop_io *io, uint32_t events)
{
    struct conn *c = io->arg;
    if ((events & (EPOLLERR | EPOLLHUP)) || (c->lingering && drop_some(c) < 0)) {
        conn_free(c, true);
        return;
    }
    if (c->lingering)
        return;
    if ((events & EPOLLOUT) && conn_flush(c) < 0)
        return; /* the kick closes it */
    if (events & (EPOLLIN | EPOLLRDHUP)) {
        if (c->read_full || read_some(c) < 0) {
            conn_free(c, true);
            return;
        }
        process(c);
    }
}

static void add_conn(struct conn_pool *p, int fd)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* a token is a small write */
    c->pool = p;
    c->io.fd = fd;
    c->io.fn = on_conn_io;
    c->io.arg = c;
    loop_timer_init(&c->kick, on_kick, c);
    buf_init(&c->in, IN_MAX);
    buf_init(&c->out, CONN_OUT_MAX);
    if (loop_io_add(p->loop, &c->io, EPOLLIN | EPOLLRDHUP) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = p->all;
    if (p->all)
        p->all->prev = c;
    p->all = c;
    p->count++;
}

static void pause_accepting(struct conn_pool *p, bool retry)
{
    p->paused = true;
    loop_io_mod(p->loop, &p->lio, 0);
    if (retry)
        loop_timer_set(p->loop, &p->resume, loop_now() + ACCEPT_RETRY_NS);
}

static void on_resume(void *arg)
{
    struct conn_pool *p = arg;
    if (p->count < p->max) {
        p->paused = false;
        loop_io_mod(p->loop, &p->lio, EPOLLIN);
    }
}

static void on_listen(struct loop_io *io, uint32_t events)
{
    (void)events;
    struct conn_pool *p = io->arg;
    while (p->count < p->max) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            add_conn(p, fd);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            log_warn("accept: %s; accepting again in 100 ms", strerror(errno));
            pause_accepting(p, true);
        }
        return; /* EAGAIN, or a connection that died in the backlog */
    }
    pause_accepting(p, false); /* at max_conns: the backlog waits until one closes */
}

struct conn_pool *conn_pool_new(struct loop *l, int listen_fd, size_t max_conns, conn_dispatch_fn fn, void *ctx)
{
    struct conn_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->loop = l;
    p->max = max_conns;
    p->dispatch = fn;
    p->ctx = ctx;
    p->lio.fd = listen_fd;
    p->lio.fn = on_listen;
    p->lio.arg = p;
    loop_timer_init(&p->resume, on_resume, p);
    if (loop_io_add(l, &p->lio, EPOLLIN) < 0) {
        free(p);
        return NULL;
    }
    return p;
}

void conn_pool_free(struct conn_pool *p)
{
    if (!p)
        return;
    while (p->all)
        conn_free(p->all, true);
    loop_timer_cancel(p->loop, &p->resume);
    loop_io_del(p->loop, &p->lio);
    free(p);
}

size_t conn_pool_count(const struct conn_pool *p)
{
    return p->count;
}

void conn_on_abort(struct conn *c, void (*fn)(void *arg), void *arg)
{
    c->on_abort = fn;
    c->abort_arg = arg;
}

bool conn_keep_alive(const struct conn *c)
{
    return c->keep_alive;
}

bool conn_chunked(const struct conn *c)
{
    return c->chunked;
}

const char *conn_date(struct conn *c)
{
    struct conn_pool *p = c->pool;
    time_t now = time(NULL);
    if (now != p->date_at) {
        p->date_at = now;
        http_date(now, p->date);
    }
    return p->date;
}

struct buf *conn_out(struct conn *c)
{
    return &c->out;
}

void conn_reply(struct conn *c, int status, const char *content_type, const char *extra, const char *body, size_t len)
{
    http_write_head(&c->out, status, content_type, (long long)len, c->keep_alive, conn_date(c), extra);
    if (!c->head_only)
        buf_append(&c->out, body, len);
    conn_flush(c);
    conn_done(c);
}

void conn_done(struct conn *c)
{
    c->busy = false;
    c->on_abort = NULL;
    if (!c->keep_alive)
        c->closing = true;
    if (c->closing && c->out_off < c->out.len)
        return; /* conn_flush kicks once the rest is written */
    kick_soon(c);
}

void conn_cut(struct conn *c)
{
    c->on_abort = NULL;
    conn_free(c, false);
}
