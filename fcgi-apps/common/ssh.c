/* ssh: the worker's libssh2 session to the login node. */
#include "ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "mono.h"

/* After a failed connect, fail fast with the same error for this long. */
#define SSH_RETRY_AFTER 0.5

struct ssh {
    struct ssh_config cfg; /* its strings point at copies[] */
    char *copies[4];
    int sock;
    LIBSSH2_SESSION *session;
    double last_fail;
    enum err last_err;
    const char *last_detail; /* static text or cfg-owned */
    char detail[256];
};

static char *dup_or_die(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fprintf(stderr, "aifb: out of memory\n");
        abort();
    }
    return d;
}

struct ssh *ssh_new(const struct ssh_config *cfg)
{
    static int initialised;
    if (!initialised && libssh2_init(0) == 0)
        initialised = 1;
    struct ssh *s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "aifb: out of memory\n");
        abort();
    }
    s->cfg = *cfg;
    s->cfg.host = s->copies[0] = dup_or_die(cfg->host);
    s->cfg.user = s->copies[1] = dup_or_die(cfg->user);
    s->cfg.key = s->copies[2] = dup_or_die(cfg->key);
    s->cfg.known_hosts = s->copies[3] = dup_or_die(cfg->known_hosts);
    s->sock = -1;
    return s;
}

static void drop(struct ssh *s)
{
    if (s->session) {
        libssh2_session_disconnect(s->session, "aifb: closing");
        libssh2_session_free(s->session);
        s->session = NULL;
    }
    if (s->sock >= 0)
        close(s->sock);
    s->sock = -1;
}

void ssh_free(struct ssh *s)
{
    if (!s)
        return;
    drop(s);
    for (size_t i = 0; i < sizeof(s->copies) / sizeof(s->copies[0]); i++)
        free(s->copies[i]);
    free(s);
}

/* Connects within timeout_ms; returns the blocking socket or -1 with errno set. */
static int tcp_connect(const char *host, int port, int timeout_ms)
{
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc = fd < 0 ? -1 : connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (fd >= 0 && rc < 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof(err);
        if (poll(&p, 1, timeout_ms) != 1)
            err = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        rc = err ? -1 : 0;
        errno = err;
    }
    if (rc < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        errno = saved;
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    return fd;
}

static int known_key_type(int hostkey_type)
{
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
        return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

static enum err fail(struct ssh *s, enum err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum err fail(struct ssh *s, enum err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
    va_end(ap);
    s->last_detail = s->detail;
    return e;
}

/* Strict host key checking: the key must be in known_hosts for [host]:port. */
static enum err check_host_key(struct ssh *s)
{
    size_t len;
    int type;
    const char *key = libssh2_session_hostkey(s->session, &len, &type);
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s->session);
    if (!key || !kh)
        return fail(s, ERR_CLUSTER_HOST_KEY, "no host key offered");
    if (libssh2_knownhost_readfile(kh, s->cfg.known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
        libssh2_knownhost_free(kh);
        return fail(s, ERR_CLUSTER_HOST_KEY, "known_hosts (cluster.known_hosts) cannot be read");
    }
    struct libssh2_knownhost *found = NULL;
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | known_key_type(type);
    int rc = libssh2_knownhost_checkp(kh, s->cfg.host, s->cfg.port, key, len, mask, &found);
    libssh2_knownhost_free(kh);
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return ERR_OK;
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
        return fail(s, ERR_CLUSTER_HOST_KEY, "the host key of %s differs from the one in known_hosts", s->cfg.host);
    return fail(s, ERR_CLUSTER_HOST_KEY, "known_hosts has no key for %s and this port", s->cfg.host);
}

/* Asks for the host key types that known_hosts files usually hold, ed25519 first. Only types this
 * libssh2 supports are named: 1.10 drops unknown ones with overlapping memcpy (an ASan report). */
static void prefer_host_keys(LIBSSH2_SESSION *session)
{
    static const char *const order[] = {"ssh-ed25519",
                                        "ecdsa-sha2-nistp256",
                                        "ecdsa-sha2-nistp384",
                                        "ecdsa-sha2-nistp521",
                                        "rsa-sha2-512",
                                        "rsa-sha2-256",
                                        "ssh-rsa"};
    const char **algs = NULL;
    int n = libssh2_session_supported_algs(session, LIBSSH2_METHOD_HOSTKEY, &algs);
    char pref[256] = "";
    size_t len = 0;
    for (size_t i = 0; n > 0 && i < sizeof(order) / sizeof(order[0]); i++)
        for (int k = 0; k < n; k++)
            if (strcmp(order[i], algs[k]) == 0 && len + strlen(order[i]) + 2 < sizeof(pref))
                len += (size_t)snprintf(pref + len, sizeof(pref) - len, "%s%s", len ? "," : "", order[i]);
    if (n > 0)
        libssh2_free(session, (void *)algs);
    if (len)
        libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, pref);
}

static enum err handshake(struct ssh *s)
{
    libssh2_session_set_blocking(s->session, 1);
    libssh2_session_set_timeout(s->session, s->cfg.timeout_ms);
    prefer_host_keys(s->session);
    if (libssh2_session_handshake(s->session, s->sock) != 0)
        return fail(s, ERR_CLUSTER_UNAVAILABLE, "SSH handshake with %s failed", s->cfg.host);
    enum err e = check_host_key(s);
    if (e)
        return e;
    if (libssh2_userauth_publickey_fromfile_ex(s->session, s->cfg.user, (unsigned)strlen(s->cfg.user), NULL, s->cfg.key,
                                               NULL) != 0)
        return fail(s, ERR_CLUSTER_AUTH, "the login node refused the key of user %s", s->cfg.user);
    /* want_reply 0: libssh2 1.10 queues the server's replies and never frees them. */
    libssh2_keepalive_config(s->session, 0, 15);
    return ERR_OK;
}

/* The TCP connection, then the libssh2 session on it, handshaken and logged in. */
static enum err connect_session(struct ssh *s)
{
    s->sock = tcp_connect(s->cfg.host, s->cfg.port, s->cfg.timeout_ms);
    if (s->sock < 0)
        return fail(s, ERR_CLUSTER_UNAVAILABLE, "cannot connect to %s:%d: %s", s->cfg.host, s->cfg.port,
                    strerror(errno));
    s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
    if (!s->session)
        return fail(s, ERR_CLUSTER_UNAVAILABLE, "libssh2 cannot start a session");
    return handshake(s);
}

static enum err open_session(struct ssh *s, const char **detail)
{
    if (s->session)
        return ERR_OK;
    double t = mono_now();
    if (s->last_fail && t - s->last_fail < SSH_RETRY_AFTER) {
        *detail = s->last_detail;
        return s->last_err;
    }
    enum err e = connect_session(s);
    if (e) {
        if (!s->last_fail || s->last_err != e)
            log_warn("ssh: %s", s->detail);
        drop(s);
        s->last_fail = t;
        s->last_err = e;
        *detail = s->last_detail;
        return e;
    }
    if (s->last_fail)
        log_info("ssh: connected to %s:%d again", s->cfg.host, s->cfg.port);
    s->last_fail = 0;
    return ERR_OK;
}

/* The error of a failed call on an open session; the session is dropped, since its state is unknown. */
static enum err session_error(struct ssh *s, const char *what, const char **detail)
{
    int rc = libssh2_session_last_errno(s->session);
    enum err e = rc == LIBSSH2_ERROR_TIMEOUT ? ERR_CLUSTER_TIMEOUT : ERR_CLUSTER_UNAVAILABLE;
    snprintf(s->detail, sizeof(s->detail), "%s failed (libssh2 error %d)", what, rc);
    *detail = s->detail;
    log_warn("ssh: %s", s->detail);
    drop(s);
    return e;
}

/* Opens a channel with open_fn, making the session again once if the old one has died. */
static LIBSSH2_CHANNEL *open_channel(struct ssh *s, LIBSSH2_CHANNEL *(*open_fn)(struct ssh *, void *), void *arg,
                                     enum err *e, const char **detail)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        *e = open_session(s, detail);
        if (*e)
            return NULL;
        LIBSSH2_CHANNEL *ch = open_fn(s, arg);
        if (ch)
            return ch;
        if (libssh2_session_last_errno(s->session) == LIBSSH2_ERROR_CHANNEL_FAILURE) {
            *e = ERR_SERVICE_UNREACHABLE;
            *detail = "the login node could not open the channel";
            return NULL;
        }
        *e = session_error(s, "opening a channel", detail);
    }
    return NULL;
}

static LIBSSH2_CHANNEL *open_exec(struct ssh *s, void *arg)
{
    (void)arg;
    return libssh2_channel_open_session(s->session);
}

static enum err write_all(struct ssh *s, LIBSSH2_CHANNEL *ch, const char *data, size_t len, const char **detail)
{
    while (len > 0) {
        ssize_t n = libssh2_channel_write(ch, data, len);
        if (n < 0)
            return session_error(s, "writing to the channel", detail);
        data += n;
        len -= (size_t)n;
    }
    return ERR_OK;
}

/* Reads the channel's standard output into out (or sink) until the far end closes it. */
/* Reads what is waiting on the channel's standard error into err (the first line kept, capped)
 * and drops the rest: libssh2 1.10 reports no end of file while stderr data is queued. */
static void drain_stderr(LIBSSH2_CHANNEL *ch, char *err, size_t cap)
{
    char junk[4096];
    ssize_t n;
    while ((n = libssh2_channel_read_stderr(ch, junk, sizeof(junk))) > 0) {
        size_t have = strlen(err);
        if (have + 1 < cap) {
            size_t take = (size_t)n < cap - have - 1 ? (size_t)n : cap - have - 1;
            memcpy(err + have, junk, take);
            err[have + take] = '\0';
        }
    }
}

/* Reads the channel's standard output into out (or sink) until the far end closes it, or until
 * deadline (monotonic seconds) has passed. */
static enum err read_all(struct ssh *s, LIBSSH2_CHANNEL *ch, struct buf *out, ssh_sink sink, void *ctx, double deadline,
                         char *err, size_t errcap, const char **detail)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = libssh2_channel_read(ch, chunk, sizeof(chunk));
        if (n < 0)
            return session_error(s, "reading from the channel", detail);
        if (n == 0) {
            drain_stderr(ch, err, errcap);
            if (libssh2_channel_eof(ch))
                return ERR_OK;
        }
        if (mono_now() > deadline)
            return session_error(s, "waiting for the whole reply", detail);
        if (out && buf_append(out, chunk, (size_t)n) < 0) {
            *detail = "the reply is over its cap";
            return ERR_AGENT_FAILED;
        }
        if (sink && sink(ctx, chunk, (size_t)n) < 0)
            return ERR_OK; /* the reader stopped (its client went away) */
    }
}

static void log_stderr(char *err, const char *command)
{
    err[strcspn(err, "\r\n")] = '\0';
    if (*err)
        log_warn("ssh: %s: stderr: %s", command, err);
}

/* One command: stdin_data in, its stdout to out or sink, within total_s seconds. */
static enum err exec_one(struct ssh *s, const char *command, const char *stdin_data, size_t stdin_len, struct buf *out,
                         ssh_sink sink, void *ctx, double total_s, int *exit_status, const char **detail)
{
    *exit_status = -1;
    enum err e;
    LIBSSH2_CHANNEL *ch = open_channel(s, open_exec, NULL, &e, detail);
    if (!ch)
        return e;
    if (libssh2_channel_exec(ch, command) != 0) {
        libssh2_channel_free(ch);
        return session_error(s, "starting the command", detail);
    }
    char err[512] = "";
    e = write_all(s, ch, stdin_data, stdin_len, detail);
    if (e)
        goto out;
    if (libssh2_channel_send_eof(ch) != 0) {
        e = session_error(s, "closing the command's input", detail);
        goto out;
    }
    e = read_all(s, ch, out, sink, ctx, mono_now() + total_s, err, sizeof(err), detail);
out:
    if (!s->session) /* the session died under the channel: freeing it would touch freed memory */
        return e;
    log_stderr(err, command);
    libssh2_channel_close(ch);
    libssh2_channel_wait_closed(ch);
    /* No exit-status message (the command killed by a signal) must not read as success. */
    char *sig = NULL;
    libssh2_channel_get_exit_signal(ch, &sig, NULL, NULL, NULL, NULL, NULL);
    *exit_status = sig ? 128 : libssh2_channel_get_exit_status(ch);
    if (sig)
        libssh2_free(s->session, sig);
    libssh2_channel_free(ch);
    return e;
}

enum err ssh_exec(struct ssh *s, struct arena *a, const char *command, const char *stdin_data, size_t stdin_len,
                  struct buf *out, int *exit_status, const char **detail)
{
    (void)a;
    /* The whole exchange may take at most twice the per-call timeout. */
    return exec_one(s, command, stdin_data, stdin_len, out, NULL, NULL, 2 * s->cfg.timeout_ms / 1000.0, exit_status,
                    detail);
}

enum err ssh_exec_stream(struct ssh *s, const char *command, double total_s, ssh_sink sink, void *ctx, int *exit_status,
                         const char **detail)
{
    return exec_one(s, command, NULL, 0, NULL, sink, ctx, total_s, exit_status, detail);
}

struct tcp_target {
    const char *host;
    int port;
};

static LIBSSH2_CHANNEL *open_tcp(struct ssh *s, void *arg)
{
    struct tcp_target *t = arg;
    return libssh2_channel_direct_tcpip_ex(s->session, t->host, t->port, "127.0.0.1", 22);
}

enum err ssh_tunnel(struct ssh *s, struct arena *a, const char *host, int port, const char *request, size_t len,
                    bool long_wait, ssh_sink sink, void *ctx, const char **detail)
{
    (void)a;
    if (!host || !*host || port <= 0) {
        *detail = "the service has no endpoint";
        return ERR_SERVICE_UNREACHABLE;
    }
    struct tcp_target t = {host, port};
    enum err e;
    LIBSSH2_CHANNEL *ch = open_channel(s, open_tcp, &t, &e, detail);
    if (!ch)
        return e;
    /* A service may think for long before its first byte (a big prompt, a long completion). */
    int wait_ms = long_wait && s->cfg.tunnel_timeout_ms > 0 ? s->cfg.tunnel_timeout_ms : s->cfg.timeout_ms;
    libssh2_session_set_timeout(s->session, wait_ms);
    libssh2_channel_handle_extended_data2(ch, LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE);
    char err[8] = "";
    e = write_all(s, ch, request, len, detail);
    if (e)
        goto out;
    e = read_all(s, ch, NULL, sink, ctx, mono_now() + wait_ms / 1000.0, err, sizeof(err), detail);
out:
    /* A service that stalls or vanishes is the service's fault, not the login node's. */
    if (e == ERR_CLUSTER_TIMEOUT || e == ERR_CLUSTER_UNAVAILABLE) {
        e = ERR_SERVICE_UNREACHABLE;
        *detail = "the service did not answer in time through the tunnel";
    }
    if (s->session) {
        libssh2_session_set_timeout(s->session, s->cfg.timeout_ms);
        libssh2_channel_free(ch);
    }
    return e;
}

void ssh_keepalive(struct ssh *s)
{
    int next;
    if (s->session && libssh2_keepalive_send(s->session, &next) != 0) {
        log_warn("ssh: keepalive failed; the session will be made again");
        drop(s);
    }
}
