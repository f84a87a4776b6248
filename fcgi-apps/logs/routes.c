/* routes: every route of aifb-logs: the index of the job logs synced from the cluster, their content,
 * the sync and retention. */
#include "routes.h"

#include "h_content.h"
#include "h_files.h"
#include "h_sync.h"
#include "h_system.h"
#include "retention.h"
#include "sync.h"

static const char *const categories[] = {"server",     "client", "vllm",          "vector-db",
                                         "monitoring", "agent",  "uncategorized", NULL};

static const struct field id_param[] = {F_ID("id"), F_END};

static const struct field file_list_params[] = {
    F_ENUM("category", F_OPT, categories),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("run_id", F_OPT, 1, INT64_MAX),
    F_INT("job", F_OPT, 1, INT64_MAX),
    F_STR("since", F_OPT, 10, 40, TIME_PATTERN),
    F_STR("until", F_OPT, 10, 40, TIME_PATTERN),
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct field content_params[] = {
    F_ID("id"),
    F_INT("offset", F_OPT, 0, INT64_MAX),
    F_INT("length", F_OPT, 1, 4194304),
    F_END,
};
static const struct field tail_params[] = {F_ID("id"), F_INT("lines", F_OPT, 1, 100000), F_END};
static const struct field search_params[] = {
    F_ID("id"),
    F_STR("q", F_REQ, 1, 256, "^[^[:cntrl:]]+$"),
    F_INT("max", F_OPT, 1, 10000),
    F_END,
};

static const struct field delete_params[] = {F_ID("id"), F_BOOL("remote", F_OPT), F_END};

static const struct field retention_body[] = {
    /* above 0: 0 would delete everything (in the configuration, 0 means no limit) */
    F_NUM("max_age_days", F_OPT, 0.0001, 36500),
    F_INT("max_total_bytes", F_OPT, 1, INT64_MAX),
    F_BOOL("dry_run", F_OPT),
    F_END,
};

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/files", h_files_list, ROLE_READ, 0, file_list_params, NULL},
    {HTTP_GET, "/v1/files/{id}", h_files_get, ROLE_READ, 0, id_param, NULL},
    {HTTP_GET, "/v1/files/{id}/content", h_files_content, ROLE_READ, 0, content_params, NULL},
    {HTTP_GET, "/v1/files/{id}/tail", h_files_tail, ROLE_READ, 0, tail_params, NULL},
    {HTTP_GET, "/v1/files/{id}/search", h_files_search, ROLE_READ, 0, search_params, NULL},
    {HTTP_GET, "/v1/files/{id}/download", h_files_download, ROLE_READ, 0, id_param, NULL},
    {HTTP_DELETE, "/v1/files/{id}", h_files_delete, ROLE_OPERATE, 0, delete_params, NULL},
    {HTTP_GET, "/v1/stats", h_files_stats, ROLE_READ, 0, NULL, NULL},
    {HTTP_GET, "/v1/sync", h_sync_status, ROLE_READ, 0, NULL, NULL},
    {HTTP_POST, "/v1/sync", h_sync_now, ROLE_OPERATE, 0, NULL, NULL},
    {HTTP_POST, "/v1/retention", h_retention, ROLE_OPERATE, 1024, NULL, retention_body},
};

const struct app_def logs_app = {
    .name = "logs",
    .table = {"/api/logs", routes, sizeof(routes) / sizeof(routes[0])},
    .tick = sync_tick,
};
