/* serve: a non-blocking, poll-driven HTTP/1.1 server of one page. It needs no keep-alive or request
 * bodies: Prometheus and curl send one GET and read until the connection closes. */
#include "serve.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mono.h"

#define LISTEN_BACKLOG 64
#define HEAD_MAX 256 /* the status line and headers we send */

int serve_parse_listen(const char *spec, char *host, size_t n, int *port)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec)
        return -1;
    const char *h = spec;
    size_t hlen = (size_t)(colon - spec);
    if (h[0] == '[') { /* [v6]:port */
        if (hlen < 3 || h[hlen - 1] != ']')
            return -1;
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        return -1; /* a bare IPv6 address is ambiguous: it needs brackets */
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (hlen == 0 || hlen >= n || errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

/* The port a bound socket got. */
static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int listen_on(struct serve *sv, const char *host, int port, char *why, size_t n)
{
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(host, ports, &hints, &res);
    if (rc != 0) {
        snprintf(why, n, "cannot resolve --listen host %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        snprintf(why, n, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    sv->fd = fd;
    sv->port = bound_port(fd);
    return 0;
}

int serve_open(struct serve *sv, const char *spec, serve_render_fn render, void *arg, char *why, size_t n)
{
    memset(sv, 0, sizeof(*sv));
    sv->fd = -1;
    sv->render = render;
    sv->arg = arg;
    buf_init(&sv->page, SERVE_PAGE_MAX);
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        sv->conns[i].fd = -1;
        buf_init(&sv->conns[i].out, SERVE_PAGE_MAX + HEAD_MAX);
    }
    char host[SERVE_HOST_MAX];
    int port;
    if (serve_parse_listen(spec, host, sizeof(host), &port) < 0) {
        snprintf(why, n, "--listen wants HOST:PORT, not '%s'", spec);
        return -1;
    }
    return listen_on(sv, host, port, why, n);
}

static void conn_close(struct serve_conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->in_len = 0;
    c->off = 0;
    c->writing = false;
    buf_clear(&c->out);
}

static void accept_all(struct serve *sv)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        struct serve_conn *c = &sv->conns[i];
        if (c->fd >= 0)
            continue;
        c->fd = accept4(sv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c->fd < 0)
            return; /* EAGAIN: none left; anything else: the client is gone already */
        c->deadline = mono_now() + SERVE_CONN_TIMEOUT_S;
    }
}

static void reply(struct serve_conn *c, int status, const char *reason, const char *type, const char *extra,
                  const char *body, size_t len, bool head)
{
    buf_clear(&c->out);
    buf_printf(&c->out,
               "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sCache-Control: no-store\r\n"
               "Connection: close\r\n\r\n",
               status, reason, type, len, extra);
    if (!head)
        buf_append(&c->out, body, len);
    c->writing = true;
    c->off = 0;
}

static void reply_text(struct serve_conn *c, int status, const char *reason, const char *extra, const char *text)
{
    reply(c, status, reason, "text/plain; charset=utf-8", extra, text, strlen(text), false);
}

static void route(struct serve *sv, struct serve_conn *c, const char *method, const char *path)
{
    bool get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    bool metrics = strcmp(path, "/metrics") == 0, health = strcmp(path, "/health") == 0;
    if (!metrics && !health)
        reply_text(c, 404, "Not Found", "", "not found: try /metrics\n");
    else if (!get && !head)
        reply_text(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "method not allowed\n");
    else if (health)
        reply(c, 200, "OK", "text/plain; charset=utf-8", "", "ok\n", 3, head);
    else {
        buf_clear(&sv->page);
        if (sv->render(sv->arg, &sv->page) < 0 || sv->page.overflow)
            reply_text(c, 500, "Internal Server Error", "", "the exposition is over its cap\n");
        else
            reply(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", "", sv->page.data, sv->page.len, head);
    }
}

/* Parses the request line once the headers are in: METHOD SP TARGET SP HTTP/1.x. The query string is
 * not part of the path. */
static void answer(struct serve *sv, struct serve_conn *c)
{
    char method[16], target[1024], version[16];
    c->in[c->in_len] = '\0';
    if (sscanf(c->in, "%15s %1023s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7) != 0 ||
        target[0] != '/') {
        reply_text(c, 400, "Bad Request", "", "bad request\n");
        return;
    }
    target[strcspn(target, "?")] = '\0';
    route(sv, c, method, target);
}

static void on_readable(struct serve *sv, struct serve_conn *c)
{
    ssize_t r = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        conn_close(c);
        return;
    }
    c->in_len += (size_t)r;
    c->in[c->in_len] = '\0';
    if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
        answer(sv, c);
    else if (c->in_len == sizeof(c->in) - 1)
        reply_text(c, 431, "Request Header Fields Too Large", "", "request too large\n");
}

static void on_writable(struct serve_conn *c)
{
    while (c->off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->off, c->out.len - c->off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0)
            break;
        c->off += (size_t)w;
    }
    conn_close(c);
}

size_t serve_watch(struct serve *sv, struct pollfd *fds)
{
    size_t k = 0;
    bool room = false;
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        if (sv->conns[i].fd < 0) {
            room = true;
            continue;
        }
        fds[k] = (struct pollfd){.fd = sv->conns[i].fd, .events = sv->conns[i].writing ? POLLOUT : POLLIN};
        sv->watched[k++] = (int)i;
    }
    if (room && sv->fd >= 0) {
        fds[k] = (struct pollfd){.fd = sv->fd, .events = POLLIN};
        sv->watched[k++] = -1;
    }
    return k;
}

int serve_timeout_ms(const struct serve *sv, int cap_ms)
{
    double now = mono_now(), soonest = now + cap_ms / 1000.0;
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++)
        if (sv->conns[i].fd >= 0 && sv->conns[i].deadline < soonest)
            soonest = sv->conns[i].deadline;
    double ms = (soonest - now) * 1000.0;
    return ms <= 0 ? 0 : (int)ms + 1;
}

void serve_handle(struct serve *sv, const struct pollfd *fds, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!fds[k].revents)
            continue;
        if (sv->watched[k] < 0) {
            accept_all(sv);
            continue;
        }
        struct serve_conn *c = &sv->conns[sv->watched[k]];
        if (c->writing) {
            on_writable(c);
        } else {
            on_readable(sv, c);
            if (c->writing)
                on_writable(c); /* most answers fit the socket's buffer: no need to wait for POLLOUT */
        }
    }
    double now = mono_now();
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++)
        if (sv->conns[i].fd >= 0 && sv->conns[i].deadline <= now)
            conn_close(&sv->conns[i]);
}

void serve_close(struct serve *sv)
{
    for (size_t i = 0; i < SERVE_MAX_CONNS; i++) {
        if (sv->conns[i].fd >= 0)
            conn_close(&sv->conns[i]);
        buf_free(&sv->conns[i].out);
    }
    if (sv->fd >= 0)
        close(sv->fd);
    sv->fd = -1;
    buf_free(&sv->page);
}
