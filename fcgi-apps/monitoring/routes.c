/* routes: every route of aifb-monitoring: scrape targets, sessions and what they collect, run energy. */
#include "routes.h"

#include "fields.h"

#include "h_runs.h"
#include "h_collect.h"
#include "h_sessions.h"
#include "h_system.h"
#include "h_targets.h"

static const char *const kinds[] = {"service", "client", "exporter", "other", NULL};

static const struct field target_body[] = {
    F_ENUM("kind", F_REQ, kinds),
    /* host:port, the port in 1..65535 (Prometheus refuses the target otherwise) */
    F_STR("address", F_REQ, 3, 259,
          "^[A-Za-z0-9._-]{1,253}:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
          ")$"),
    F_STR("metrics_path", F_OPT, 1, 256, "^/[A-Za-z0-9._/-]*$"),
    /* Prometheus's label names, less its reserved __ ones */
    F_MAP("labels", F_OPT, 32, "^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]{0,62}$"),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("run_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct field target_list_params[] = {
    F_ENUM("kind", F_OPT, kinds),
    F_PAGING,
    F_END,
};

static const struct field session_body[] = {
    F_STR("label", F_REQ, 1, 128, "^[[:print:]]+$"),
    F_ARR("services", F_OPT, 0, 256),
    F_ARR("runs", F_OPT, 0, 256),
    F_STR("starts_at", F_OPT, 10, 40, TIME_PATTERN),
    F_STR("ends_at", F_OPT, 10, 40, TIME_PATTERN),
    F_NUM("duration_s", F_OPT, 0.001, 31 * 86400),
    F_NUM("step_s", F_OPT, 0.001, 86400),
    F_END,
};

static const char *const session_states[] = {"active", "closed", "collected", NULL};
static const struct field session_list_params[] = {
    F_ENUM("state", F_OPT, session_states),
    F_PAGING,
    F_END,
};

static const struct field collect_params[] = {F_ID("id"), F_NUM("step_s", F_OPT, 0.001, 86400), F_END};
static const char *const data_formats[] = {"csv", "json", NULL};
static const struct field data_params[] = {F_ID("id"), F_ENUM("format", F_OPT, data_formats), F_END};

/* One row per route. */
/* clang-format off */
static const struct route routes[] = {
    SYSTEM_ROUTES,
    {.method = HTTP_GET, .path = "/v1/targets/http_sd", .handler = h_targets_http_sd, .role = ROLE_READ},
    {.method = HTTP_GET, .path = "/v1/targets", .handler = h_targets_list, .role = ROLE_READ, .params = target_list_params},
    {.method = HTTP_POST, .path = "/v1/targets", .handler = h_targets_create, .role = ROLE_OPERATE, .body_limit = 16384, .body = target_body},
    {.method = HTTP_GET, .path = "/v1/targets/{id}", .handler = h_targets_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_DELETE, .path = "/v1/targets/{id}", .handler = h_targets_delete, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/sessions", .handler = h_sessions_list, .role = ROLE_READ, .params = session_list_params},
    {.method = HTTP_POST, .path = "/v1/sessions", .handler = h_sessions_create, .role = ROLE_OPERATE, .body_limit = 65536, .body = session_body},
    {.method = HTTP_GET, .path = "/v1/sessions/{id}", .handler = h_sessions_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_POST, .path = "/v1/sessions/{id}/stop", .handler = h_sessions_stop, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_DELETE, .path = "/v1/sessions/{id}", .handler = h_sessions_delete, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_POST, .path = "/v1/sessions/{id}/collect", .handler = h_collect_run, .role = ROLE_OPERATE, .params = collect_params},
    {.method = HTTP_GET, .path = "/v1/sessions/{id}/data", .handler = h_collect_data, .role = ROLE_READ, .params = data_params},
    {.method = HTTP_GET, .path = "/v1/sessions/{id}/summary", .handler = h_collect_summary, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/runs/{id}/energy", .handler = h_runs_energy, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_POST, .path = "/v1/runs/{id}/energy", .handler = h_runs_energy_measure, .role = ROLE_OPERATE, .params = fields_id},
};
/* clang-format on */

const struct app_def monitoring_app = {
    .name = "monitoring",
    .table = {"/api/monitoring", routes, sizeof(routes) / sizeof(routes[0])},
    .tick = sessions_close_ended,
};
