/* h_targets: every running service's metrics as Prometheus http_sd JSON. Prometheus scrapes them
 * through this server's metrics proxy, so the targets name nginx and the proxy path. */
#ifndef AIFB_SERVER_H_TARGETS_H
#define AIFB_SERVER_H_TARGETS_H

#include "err.h"

struct req;

enum err h_targets_get(struct req *r);

#endif
