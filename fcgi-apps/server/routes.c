/* routes: every route of aifb-server, with its role, body limit and declared inputs. */
#include "routes.h"

#include "h_services.h"
#include "h_system.h"
#include "h_tokens.h"

static const char *const roles[] = {"read", "operate", "admin", NULL};
static const char *const states[] = {"pending", "starting",  "running", "completing", "completed",
                                     "failed",  "cancelled", "timeout", "unknown",    NULL};

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

static const struct field service_list_params[] = {
    F_ENUM("state", F_OPT, states),
    F_STR("recipe", F_OPT, 1, 64, "^[a-z0-9][a-z0-9_-]*$"),
    F_INT("limit", F_OPT, 1, 1000),
    F_INT("before_id", F_OPT, 1, INT64_MAX),
    F_END,
};

static const struct route routes[] = {
    SYSTEM_ROUTES,
    {HTTP_GET, "/v1/services", h_services_list, ROLE_READ, 0, service_list_params, NULL},
    {HTTP_GET, "/v1/services/{id}", h_services_get, ROLE_READ, 0, id_param, NULL},
    {HTTP_GET, "/v1/tokens", h_tokens_list, ROLE_ADMIN, 0, list_params, NULL},
    {HTTP_POST, "/v1/tokens", h_tokens_create, ROLE_ADMIN, 4096, NULL, token_body},
    {HTTP_DELETE, "/v1/tokens/{id}", h_tokens_revoke, ROLE_ADMIN, 0, id_param, NULL},
};

const struct app_def server_app = {
    .name = "server",
    .table = {"/api/server", routes, sizeof(routes) / sizeof(routes[0])},
    .cli = tokens_cli,
};
