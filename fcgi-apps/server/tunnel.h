/* tunnel: one HTTP exchange with a service on a compute node, through a direct-tcpip channel
 * from the login node: buffered (metrics, models, a whole completion) or streamed to the client
 * as it arrives (a streaming completion). */
#ifndef AIFB_SERVER_TUNNEL_H
#define AIFB_SERVER_TUNNEL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct req;

/* Sends method path (with body as JSON when body is not NULL) to host:port and reads the whole
 * reply into out (capped by out->max). *status and *content_type (arena) are the service's.
 * Returns ERR_OK, ERR_SERVICE_UNREACHABLE (no or broken reply), or a cluster error. */
enum err tunnel_fetch(struct req *r, const char *host, int port, const char *method, const char *path, const char *body,
                      size_t len, struct buf *out, int *status, const char **content_type);

/* As tunnel_fetch into the reply: answers the service's status, content type and body as they are.
 * Returns as tunnel_fetch. */
enum err tunnel_pass(struct req *r, const char *host, int port, const char *method, const char *path, const char *body,
                     size_t len);

/* As tunnel_fetch, but the service's status, content type and body go to the client as they come. */
enum err tunnel_stream(struct req *r, const char *host, int port, const char *method, const char *path,
                       const char *body, size_t len);

#endif
