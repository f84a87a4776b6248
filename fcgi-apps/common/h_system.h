/* h_system: health, ready and metrics, answered the same way by every app. SYSTEM_ROUTES puts
 * their four rows in an app's table. */
#ifndef AIFB_H_SYSTEM_H
#define AIFB_H_SYSTEM_H

#include "err.h"
#include "route.h"

struct req;

/* 200 while the process answers. */
enum err h_system_health(struct req *r);
/* 200 when PostgreSQL answers and its schema is at this build's head; else 503 with the error. */
enum err h_system_ready(struct req *r);
/* The Prometheus text of this app's counters, summed over its workers. */
enum err h_system_metrics(struct req *r);
/* GET /v1/openapi.json: the app's OpenAPI 3.1 document (openapi.h), the one `aifb-<app> --openapi` prints. */
enum err h_system_openapi(struct req *r);

/* clang-format off */
#define SYSTEM_ROUTES \
    {.method = HTTP_GET, .path = "/v1/health", .handler = h_system_health, .role = ROLE_PUBLIC}, \
    {.method = HTTP_GET, .path = "/v1/ready", .handler = h_system_ready, .role = ROLE_PUBLIC}, \
    {.method = HTTP_GET, .path = "/v1/metrics", .handler = h_system_metrics, .role = ROLE_PUBLIC}, \
    {.method = HTTP_GET, .path = "/v1/openapi.json", .handler = h_system_openapi, .role = ROLE_PUBLIC}
/* clang-format on */

#endif
