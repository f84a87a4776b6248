/* routes: every route of aifb-monitoring (scrape targets; sessions and collection come next). */
#include "routes.h"

#include "h_system.h"
#include "h_targets.h"

static const char *const kinds[] = {"service", "client", "exporter", "other", NULL};

static const struct field id_param[] = {F_ID("id"), F_END};

static const struct field target_body[] = {
    F_ENUM("kind", F_REQ, kinds),
    F_STR("address", F_REQ, 3, 259, "^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$"),
    F_STR("metrics_path", F_OPT, 1, 256, "^/[A-Za-z0-9._/-]*$"),
    F_MAP("labels", F_OPT, 32, "^[a-zA-Z_][a-zA-Z0-9_]{0,63}$"),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("run_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct field target_list_params[] = {
    F_ENUM("kind", F_OPT, kinds),
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/targets/http_sd", h_targets_http_sd, ROLE_READ, 0, NULL, NULL},
    {HTTP_GET, "/v1/targets", h_targets_list, ROLE_READ, 0, target_list_params, NULL},
    {HTTP_POST, "/v1/targets", h_targets_create, ROLE_OPERATE, 16384, NULL, target_body},
    {HTTP_GET, "/v1/targets/{id}", h_targets_get, ROLE_READ, 0, id_param, NULL},
    {HTTP_DELETE, "/v1/targets/{id}", h_targets_delete, ROLE_OPERATE, 0, id_param, NULL},
};

const struct app_def monitoring_app = {
    .name = "monitoring",
    .table = {"/api/monitoring", routes, sizeof(routes) / sizeof(routes[0])},
};
