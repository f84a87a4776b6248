/* routes: every route of aifb-client (benchmark runs and their results). */
#include "routes.h"

#include "fields.h"

#include "finish.h"
#include "h_runs.h"
#include "h_system.h"
#include "job_state.h"
#include "runs.h"
#include "slurm_opts.h"
#include "workload.h"

static const struct field compare_params[] = {F_ID("id"), F_ID("other"), F_END};

#define NAME_PATTERN "^[A-Za-z0-9._-]+$"

static const struct field run_list_params[] = {
    F_ENUM("state", F_OPT, job_state_names),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_STR("since", F_OPT, 10, 40, TIME_PATTERN),
    F_STR("until", F_OPT, 10, 40, TIME_PATTERN),
    F_PAGING,
    F_END,
};

static const char *const formats[] = {"json", "csv", NULL};
static const struct field records_params[] = {
    F_ID("id"),
    F_ENUM("format", F_OPT, formats),
    F_INT("after_rank", F_OPT, 0, INT32_MAX),
    F_INT("after_seq", F_OPT, 0, INT64_MAX),
    F_INT("limit", F_OPT, 1, 2000),
    F_END,
};

static const struct field target_fields[] = {
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("group_id", F_OPT, 1, INT64_MAX),
    F_STR("url", F_OPT, 8, 512, "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$"),
    F_END,
};

/* The SLURM options of the run's job (as aifb-agent's submit takes them). */
#define SLURM_NAME "^" SLURM_NAME_PATTERN "$"
#define TIME_LIMIT "^" SLURM_TIME_PATTERN "$"
static const struct field slurm_fields[] = {
    F_INT("nodes", F_OPT, 1, 1024),
    F_INT("ntasks", F_OPT, 1, 1024),
    F_INT("cpus_per_task", F_OPT, 1, 1024),
    F_STR("time_limit", F_OPT, 1, 32, TIME_LIMIT),
    F_STR("partition", F_OPT, 1, 64, SLURM_NAME),
    F_STR("account", F_OPT, 1, 64, SLURM_NAME),
    F_STR("qos", F_OPT, 1, 64, SLURM_NAME),
    F_STR("mem", F_OPT, 1, 16, "^" SLURM_MEM_PATTERN "$"),
    F_END,
};

/* A run: its target, its workload (checked whole by aifb-loadgen's parser) and its job; and the
 * seed's client-group fields, which fill the workload where it is silent. */
static const struct field run_body[] = {
    F_STR("name", F_OPT, 1, 128, NAME_PATTERN),
    F_OBJ("target", F_OPT, target_fields),
    F_OBJ("workload", F_OPT, NULL),
    F_OBJ("slurm", F_OPT, slurm_fields),
    F_INT("service_id", F_OPT, 1, INT64_MAX),
    F_INT("num_clients", F_OPT, 1, WORKLOAD_MAX_CONCURRENCY),
    F_NUM("requests_per_second", F_OPT, 1e-6, WORKLOAD_MAX_RATE),
    F_NUM("duration_seconds", F_OPT, 1e-3, WORKLOAD_MAX_DURATION_S),
    F_ARR("prompts", F_OPT, 1, WORKLOAD_MAX_PROMPTS),
    F_STR("model", F_OPT, 1, 256, NULL),
    F_INT("max_tokens", F_OPT, 1, WORKLOAD_MAX_TOKENS),
    F_NUM("temperature", F_OPT, 0, 2),
    F_STR("time_limit", F_OPT, 1, 32, TIME_LIMIT),
    F_END,
};

/* One row per route. */
/* clang-format off */
static const struct route routes[] = {
    SYSTEM_ROUTES,
    {.method = HTTP_GET, .path = "/v1/runs", .handler = h_runs_list, .role = ROLE_READ, .params = run_list_params},
    {.method = HTTP_POST, .path = "/v1/runs", .handler = h_runs_create, .role = ROLE_OPERATE, .body_limit = 1000000, .body = run_body},
    {.method = HTTP_GET, .path = "/v1/runs/{id}", .handler = h_runs_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_POST, .path = "/v1/runs/{id}/stop", .handler = h_runs_stop, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/runs/{id}/results", .handler = h_runs_results, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/runs/{id}/distributions", .handler = h_runs_distributions, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/runs/{id}/records", .handler = h_runs_records, .role = ROLE_READ, .params = records_params},
    {.method = HTTP_GET, .path = "/v1/runs/{id}/compare/{other}", .handler = h_runs_compare, .role = ROLE_READ, .params = compare_params},
};
/* clang-format on */

const struct app_def client_app = {
    .name = "client",
    .table = {"/api/client", routes, sizeof(routes) / sizeof(routes[0])},
    .tick = runs_finish,
};
