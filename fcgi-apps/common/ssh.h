/* ssh: one libssh2 session per worker to the cluster's login node. The host key is checked
 * against known_hosts (no entry or a different key is refused), the user authenticates with its
 * key, every call has a timeout, keepalives hold the session, and a broken session is dropped and
 * made again on the next call. Two uses: running a command with stdin (aifb-agent), and an HTTP
 * exchange with a service on a compute node through a direct-tcpip channel. */
#ifndef AIFB_SSH_H
#define AIFB_SSH_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "err.h"

struct ssh;

struct ssh_config {
    const char *host;
    int port;
    const char *user;
    const char *key;         /* private key file (ed25519 or ECDSA; RSA fails with OpenSSH 9) */
    const char *known_hosts; /* OpenSSH format; [host]:port and hashed entries work */
    int timeout_ms;          /* for each call: connect, exec, each read */
    int tunnel_timeout_ms;   /* for each read of a tunnelled reply (a long generation); 0: timeout_ms */
};

/* A handle that connects on first use; strings in cfg are copied. Free with ssh_free. */
struct ssh *ssh_new(const struct ssh_config *cfg);
void ssh_free(struct ssh *s);

/* Called for each piece of a reply as it arrives; returns 0 to go on, -1 to stop. */
typedef int (*ssh_sink)(void *ctx, const char *data, size_t len);

/* Runs command on the login node with stdin_data as its standard input, then closes it. Its
 * standard output (up to out->max bytes) is appended to out; *exit_status is its exit status.
 * Returns ERR_OK, ERR_CLUSTER_UNAVAILABLE (cannot connect), ERR_CLUSTER_HOST_KEY, ERR_CLUSTER_AUTH,
 * ERR_CLUSTER_TIMEOUT, or ERR_AGENT_FAILED (output over the cap); *detail says more. */
enum err ssh_exec(struct ssh *s, struct arena *a, const char *command, const char *stdin_data, size_t stdin_len,
                  struct buf *out, int *exit_status, const char **detail);

/* Runs command with no input and passes its standard output to sink as it comes (each read must
 * still come within the per-call timeout; the whole may take total_s seconds): for large answers
 * such as a run's records. A sink that returns -1 stops the reading (ERR_OK). Errors as ssh_exec. */
enum err ssh_exec_stream(struct ssh *s, const char *command, double total_s, ssh_sink sink, void *ctx, int *exit_status,
                         const char **detail);

/* Opens a direct-tcpip channel from the login node to host:port, writes request, and passes every
 * byte of the reply to sink until the far end closes. The reply may take cluster.timeout_ms, or
 * cluster.tunnel_timeout_ms with long_wait (a generation). Returns ERR_OK, the connection errors of
 * ssh_exec, or ERR_SERVICE_UNREACHABLE when host:port cannot be reached or does not answer in time. */
enum err ssh_tunnel(struct ssh *s, struct arena *a, const char *host, int port, const char *request, size_t len,
                    bool long_wait, ssh_sink sink, void *ctx, const char **detail);

/* Sends a keepalive if one is due; drops a session that does not answer. For periodic work. */
void ssh_keepalive(struct ssh *s);

#endif
