/* routes: every route of aifb-server, with its role, body limit and declared inputs. */
#include "routes.h"

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
static const struct field id_param[] = {F_ID("id"), F_END};

static const struct field token_body[] = {
    F_STR("name", F_REQ, 1, 64, "^[A-Za-z0-9][A-Za-z0-9 ._@-]*$"),
    F_ENUM("role", F_REQ, roles),
    F_INT("expires_in_s", F_OPT, 60, 10LL * 365 * 24 * 3600),
    F_END,
};

static const struct field list_params[] = {
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

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
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
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

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/services", h_services_list, ROLE_READ, 0, service_list_params, NULL},
    {HTTP_POST, "/v1/services", h_services_create, ROLE_OPERATE, 65536, NULL, service_body},
    {HTTP_GET, "/v1/services/{id}", h_services_get, ROLE_READ, 0, id_param, NULL},
    {HTTP_DELETE, "/v1/services/{id}", h_services_delete, ROLE_OPERATE, 0, id_param, NULL},
    {HTTP_GET, "/v1/services/{id}/status", h_services_status, ROLE_READ, 0, id_param, NULL},
    {HTTP_GET, "/v1/services/{id}/metrics", h_services_metrics, ROLE_READ, 0, id_param, NULL},
    {HTTP_GET, "/v1/services/{id}/models", h_services_models, ROLE_READ, 0, id_param, NULL},
    /* The body is an OpenAI completions or chat request, passed to the service, which checks it. */
    {HTTP_POST, "/v1/services/{id}/prompt", h_services_prompt, ROLE_OPERATE, 1 << 20, id_param, NULL},
    {HTTP_GET, "/v1/services/{id}/logs", h_services_logs, ROLE_READ, 0, logs_params, NULL},
    /* Qdrant's REST API of a vector-db service; the bodies are Qdrant's objects, which it checks. */
    {HTTP_GET, "/v1/services/{id}/collections", h_collections_list, ROLE_READ, 0, id_param, NULL},
    {HTTP_GET, "/v1/services/{id}/collections/{name}", h_collections_get, ROLE_READ, 0, collection_params, NULL},
    {HTTP_PUT, "/v1/services/{id}/collections/{name}", h_collections_put, ROLE_OPERATE, 65536, collection_params, NULL},
    {HTTP_DELETE, "/v1/services/{id}/collections/{name}", h_collections_delete, ROLE_OPERATE, 0, collection_params,
     NULL},
    {HTTP_PUT, "/v1/services/{id}/collections/{name}/points", h_points_upsert, ROLE_OPERATE, 16 << 20,
     collection_params, NULL},
    {HTTP_POST, "/v1/services/{id}/collections/{name}/points/search", h_points_search, ROLE_READ, 1 << 20,
     collection_params, NULL},
    {HTTP_GET, "/v1/service-groups", h_groups_list, ROLE_READ, 0, list_params, NULL},
    {HTTP_POST, "/v1/service-groups", h_groups_create, ROLE_OPERATE, 65536, NULL, group_body},
    {HTTP_GET, "/v1/service-groups/{id}", h_groups_get, ROLE_READ, 0, id_param, NULL},
    {HTTP_DELETE, "/v1/service-groups/{id}", h_groups_delete, ROLE_OPERATE, 0, id_param, NULL},
    {HTTP_GET, "/v1/service-groups/{id}/models", h_groups_models, ROLE_READ, 0, id_param, NULL},
    {HTTP_POST, "/v1/service-groups/{id}/prompt", h_groups_prompt, ROLE_OPERATE, 1 << 20, id_param, NULL},
    {HTTP_GET, "/v1/recipes", h_recipes_list, ROLE_READ, 0, NULL, NULL},
    {HTTP_GET, "/v1/recipes/{name}", h_recipes_get, ROLE_READ, 0, name_param, NULL},
    {HTTP_GET, "/v1/targets", h_targets_get, ROLE_READ, 0, NULL, NULL},
    {HTTP_GET, "/v1/tokens", h_tokens_list, ROLE_ADMIN, 0, list_params, NULL},
    {HTTP_POST, "/v1/tokens", h_tokens_create, ROLE_ADMIN, 4096, NULL, token_body},
    {HTTP_DELETE, "/v1/tokens/{id}", h_tokens_revoke, ROLE_ADMIN, 0, id_param, NULL},
};

const struct app_def server_app = {
    .name = "server",
    .table = {"/api/server", routes, sizeof(routes) / sizeof(routes[0])},
    .cli = tokens_cli,
    .tick = services_reconcile,
};
