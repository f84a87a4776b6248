/* routes: every route of aifb-server, with its role, body limit and declared inputs. */
#include "routes.h"

#include "fields.h"

#include "slurm_opts.h"

#include "h_dataplane.h"
#include "h_groups.h"
#include "h_logs.h"
#include "h_qdrant.h"
#include "h_recipes.h"
#include "h_services.h"
#include "h_system.h"
#include "h_targets.h"
#include "h_tokens.h"
#include "job_state.h"
#include "services.h"

static const char *const roles[] = {"read", "operate", "admin", NULL};

static const struct field token_body[] = {
    F_STR("name", F_REQ, 1, 64, "^[A-Za-z0-9][A-Za-z0-9 ._@-]*$"),
    F_ENUM("role", F_REQ, roles),
    F_INT("expires_in_s", F_OPT, 60, 10LL * 365 * 24 * 3600),
    F_END,
};

static const struct field list_params[] = {F_PAGING, F_END};

#define RECIPE_PATTERN "^[a-z0-9][a-z0-9_-]{0,63}$"
#define NAME_PATTERN "^[A-Za-z0-9][A-Za-z0-9 ._@:-]*$"
#define SLURM_NAME "^" SLURM_NAME_PATTERN "$"
#define TIME_LIMIT_PATTERN "^" SLURM_TIME_PATTERN "$"

static const struct field name_param[] = {F_STR("name", F_REQ, 1, 64, RECIPE_PATTERN), F_END};

/* recipe_name and config are the seed's names for recipe and params. The recipe's own parameters
 * are checked by the agent against the recipe's declarations, before anything is submitted. */
static const struct field service_body[] = {
    F_STR("recipe", F_OPT, 1, 64, RECIPE_PATTERN),
    F_STR("recipe_name", F_OPT, 1, 64, RECIPE_PATTERN),
    F_STR("name", F_OPT, 1, 128, NAME_PATTERN),
    F_OBJ("params", F_OPT, NULL),
    F_OBJ("config", F_OPT, NULL),
    F_STR("time_limit", F_OPT, 1, 16, TIME_LIMIT_PATTERN),
    F_STR("partition", F_OPT, 1, 64, SLURM_NAME),
    F_STR("account", F_OPT, 1, 64, SLURM_NAME),
    F_STR("qos", F_OPT, 1, 64, SLURM_NAME),
    F_INT("nodes", F_OPT, 1, 64),
    F_END,
};

static const struct field group_body[] = {
    F_STR("recipe", F_REQ, 1, 64, RECIPE_PATTERN),
    F_INT("replicas", F_REQ, 1, 16),
    F_STR("name", F_OPT, 1, 100, NAME_PATTERN),
    F_OBJ("params", F_OPT, NULL),
    F_STR("time_limit", F_OPT, 1, 16, TIME_LIMIT_PATTERN),
    F_END,
};

static const struct field service_list_params[] = {
    F_ENUM("state", F_OPT, job_state_names),
    F_STR("recipe", F_OPT, 1, 64, "^[a-z0-9][a-z0-9_-]*$"),
    F_PAGING,
    F_END,
};

static const char *const streams[] = {"out", "err", NULL};
static const struct field logs_params[] = {
    F_ID("id"),
    F_ENUM("stream", F_OPT, streams),
    F_INT("bytes", F_OPT, 1, 4194304),
    F_END,
};

#define COLLECTION_PATTERN "^[A-Za-z0-9_-]{1,255}$"
static const struct field collection_params[] = {F_ID("id"), F_STR("name", F_REQ, 1, 255, COLLECTION_PATTERN), F_END};

/* One row per route. */
/* clang-format off */
static const struct route routes[] = {
    SYSTEM_ROUTES,
    {.method = HTTP_GET, .path = "/v1/services", .handler = h_services_list, .role = ROLE_READ, .params = service_list_params},
    {.method = HTTP_POST, .path = "/v1/services", .handler = h_services_create, .role = ROLE_OPERATE, .body_limit = 65536, .body = service_body},
    {.method = HTTP_GET, .path = "/v1/services/{id}", .handler = h_services_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_DELETE, .path = "/v1/services/{id}", .handler = h_services_delete, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/services/{id}/status", .handler = h_services_status, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/services/{id}/metrics", .handler = h_dataplane_metrics, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/services/{id}/models", .handler = h_dataplane_models, .role = ROLE_READ, .params = fields_id},
    /* The body is an OpenAI completions or chat request, passed to the service, which checks it. */
    {.method = HTTP_POST, .path = "/v1/services/{id}/prompt", .handler = h_dataplane_prompt, .role = ROLE_OPERATE, .body_limit = 1 << 20, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/services/{id}/logs", .handler = h_logs_get, .role = ROLE_READ, .params = logs_params},
    /* Qdrant's REST API of a vector-db service; the bodies are Qdrant's objects, which it checks. */
    {.method = HTTP_GET, .path = "/v1/services/{id}/collections", .handler = h_qdrant_collections_list, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/services/{id}/collections/{name}", .handler = h_qdrant_collections_get, .role = ROLE_READ, .params = collection_params},
    {.method = HTTP_PUT, .path = "/v1/services/{id}/collections/{name}", .handler = h_qdrant_collections_put, .role = ROLE_OPERATE, .body_limit = 65536, .params = collection_params},
    {.method = HTTP_DELETE, .path = "/v1/services/{id}/collections/{name}", .handler = h_qdrant_collections_delete, .role = ROLE_OPERATE, .params = collection_params},
    {.method = HTTP_PUT, .path = "/v1/services/{id}/collections/{name}/points", .handler = h_qdrant_points_upsert, .role = ROLE_OPERATE, .body_limit = 16 << 20, .params = collection_params},
    {.method = HTTP_POST, .path = "/v1/services/{id}/collections/{name}/points/search", .handler = h_qdrant_points_search, .role = ROLE_READ, .body_limit = 1 << 20, .params = collection_params},
    {.method = HTTP_GET, .path = "/v1/service-groups", .handler = h_groups_list, .role = ROLE_READ, .params = list_params},
    {.method = HTTP_POST, .path = "/v1/service-groups", .handler = h_groups_create, .role = ROLE_OPERATE, .body_limit = 65536, .body = group_body},
    {.method = HTTP_GET, .path = "/v1/service-groups/{id}", .handler = h_groups_get, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_DELETE, .path = "/v1/service-groups/{id}", .handler = h_groups_delete, .role = ROLE_OPERATE, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/service-groups/{id}/models", .handler = h_dataplane_group_models, .role = ROLE_READ, .params = fields_id},
    {.method = HTTP_POST, .path = "/v1/service-groups/{id}/prompt", .handler = h_dataplane_group_prompt, .role = ROLE_OPERATE, .body_limit = 1 << 20, .params = fields_id},
    {.method = HTTP_GET, .path = "/v1/recipes", .handler = h_recipes_list, .role = ROLE_READ},
    {.method = HTTP_GET, .path = "/v1/recipes/{name}", .handler = h_recipes_get, .role = ROLE_READ, .params = name_param},
    {.method = HTTP_GET, .path = "/v1/targets", .handler = h_targets_get, .role = ROLE_READ},
    {.method = HTTP_GET, .path = "/v1/tokens", .handler = h_tokens_list, .role = ROLE_ADMIN, .params = list_params},
    {.method = HTTP_POST, .path = "/v1/tokens", .handler = h_tokens_create, .role = ROLE_ADMIN, .body_limit = 4096, .body = token_body},
    {.method = HTTP_DELETE, .path = "/v1/tokens/{id}", .handler = h_tokens_revoke, .role = ROLE_ADMIN, .params = fields_id},
};
/* clang-format on */

const struct app_def server_app = {
    .name = "server",
    .table = {"/api/server", routes, sizeof(routes) / sizeof(routes[0])},
    .cli = tokens_cli,
    .tick = services_reconcile,
};
