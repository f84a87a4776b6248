/* routes: every route of aifb-logs (the index of the synced job logs). */
#include "routes.h"

#include "h_files.h"
#include "h_system.h"

static const char *const categories[] = {"server",     "client", "vllm",          "vector-db",
                                         "monitoring", "agent",  "uncategorized", NULL};

static const struct field id_param[] = {F_ID("id"), F_END};

static const struct field file_list_params[] = {
    F_ENUM("category", F_OPT, categories),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("run_id", F_OPT, 1, INT64_MAX),
    F_INT("job", F_OPT, 1, INT64_MAX),
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/files", h_files_list, ROLE_READ, 0, file_list_params, NULL},
    {HTTP_GET, "/v1/files/{id}", h_files_get, ROLE_READ, 0, id_param, NULL},
};

const struct app_def logs_app = {
    .name = "logs",
    .table = {"/api/logs", routes, sizeof(routes) / sizeof(routes[0])},
};
