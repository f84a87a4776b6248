/* routes: every route of aifb-client (benchmark runs and their results). */
#include "routes.h"

#include "h_runs.h"
#include "h_system.h"

static const char *const states[] = {"pending", "starting",  "running", "completing", "completed",
                                     "failed",  "cancelled", "timeout", "unknown",    NULL};

static const struct field id_param[] = {F_ID("id"), F_END};

/* Times are RFC 3339 (2026-11-27T07:30:00Z); PostgreSQL parses them. */
#define TIME_PATTERN                                                                                                   \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"

static const struct field run_list_params[] = {
    F_ENUM("state", F_OPT, states),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_STR("since", F_OPT, 10, 40, TIME_PATTERN),
    F_STR("until", F_OPT, 10, 40, TIME_PATTERN),
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/runs", h_runs_list, ROLE_READ, 0, run_list_params, NULL},
    {HTTP_GET, "/v1/runs/{id}", h_runs_get, ROLE_READ, 0, id_param, NULL},
};

const struct app_def client_app = {
    .name = "client",
    .table = {"/api/client", routes, sizeof(routes) / sizeof(routes[0])},
};
