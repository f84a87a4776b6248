/* h_system: health, ready and metrics, answered the same way by every app. SYSTEM_ROUTES puts
 * their three rows in an app's table. */
#ifndef AIFB_H_SYSTEM_H
#define AIFB_H_SYSTEM_H

#include "err.h"
#include "route.h"

struct req;

/* 200 while the process answers. */
enum err h_health_get(struct req *r);
/* 200 when PostgreSQL answers and its schema is at this build's head; else 503 with the error. */
enum err h_ready_get(struct req *r);
/* The Prometheus text of this app's counters, summed over its workers. */
enum err h_metrics_get(struct req *r);

/* clang-format off */
#define SYSTEM_ROUTES \
    {HTTP_GET, "/v1/health", h_health_get, ROLE_PUBLIC, 0, NULL, NULL}, \
    {HTTP_GET, "/v1/ready", h_ready_get, ROLE_PUBLIC, 0, NULL, NULL}, \
    {HTTP_GET, "/v1/metrics", h_metrics_get, ROLE_PUBLIC, 0, NULL, NULL}
/* clang-format on */

#endif
