/* routes: every route of aifb-logs: the index of the job logs synced from the cluster, their content,
 * the sync and retention. */
#include "routes.h"

#include "fields.h"

#include "h_content.h"
#include "h_files.h"
#include "h_sync.h"
#include "h_system.h"
#include "h_retention.h"
#include "sync.h"

static const char *const categories[] = {"server",     "client", "vllm",          "vector-db",
                                         "monitoring", "agent",  "uncategorized", NULL};

static const struct field file_list_params[] = {
    F_ENUM("category", F_OPT, categories),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("run_id", F_OPT, 1, INT64_MAX),
    F_INT("job", F_OPT, 1, INT64_MAX),
    F_STR("since", F_OPT, 10, 40, TIME_PATTERN),
    F_STR("until", F_OPT, 10, 40, TIME_PATTERN),
    F_PAGING,
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

/* One row per route. */
/* clang-format off */
static const struct route routes[] = {
    SYSTEM_ROUTES,
    {.method = HTTP_GET, .path = "/v1/files", .handler = h_files_list, .role = ROLE_READ, .params = file_list_params},
    {.method = HTTP_GET, .path = "/v1/files/{id}", .handler = h_files_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/files/{id}/content", .handler = h_content_get, .role = ROLE_READ, .params = content_params},
    {.method = HTTP_GET, .path = "/v1/files/{id}/tail", .handler = h_content_tail, .role = ROLE_READ, .params = tail_params},
    {.method = HTTP_GET, .path = "/v1/files/{id}/search", .handler = h_content_search, .role = ROLE_READ, .params = search_params},
    {.method = HTTP_GET, .path = "/v1/files/{id}/download", .handler = h_content_download, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_DELETE, .path = "/v1/files/{id}", .handler = h_files_delete, .role = ROLE_OPERATE, .params = delete_params},
    {.method = HTTP_GET, .path = "/v1/stats", .handler = h_files_stats, .role = ROLE_READ},
    {.method = HTTP_GET, .path = "/v1/sync", .handler = h_sync_status, .role = ROLE_READ},
    {.method = HTTP_POST, .path = "/v1/sync", .handler = h_sync_now, .role = ROLE_OPERATE},
    {.method = HTTP_POST, .path = "/v1/retention", .handler = h_retention_run, .role = ROLE_OPERATE, .body_limit = 1024, .body = retention_body},
};
/* clang-format on */

const struct app_def logs_app = {
    .name = "logs",
    .table = {"/api/logs", routes, sizeof(routes) / sizeof(routes[0])},
    .tick = sync_tick,
};
