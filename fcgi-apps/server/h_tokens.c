/* h_tokens: tokens through the API (admin only) and from the command line. */
#include "h_tokens.h"

#include <stdio.h>
#include <string.h>

#include "in.h"
#include "app.h"
#include "auth.h"
#include "db.h"
#include "req.h"
#include "rows.h"

enum err h_tokens_create(struct req *r)
{
    const char *name = in_str(r->in, K_name);
    int role = auth_role_parse(in_str(r->in, K_role));
    int64_t expires = in_int(r->in, K_expires_in_s, 0);
    char token[AUTH_TOKEN_LEN + 1];
    int64_t id;
    enum err e = auth_token_create(r->app, r->arena, name, (enum role)role, expires, token, &id);
    if (e)
        return req_fail(r, e, "the token could not be stored");
    return reply_json(r, 201,
                      req_own_json(r, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name, "role",
                                                auth_role_name((enum role)role), "token", token, "note",
                                                "Shown once: only its hash is kept.")));
}

static const struct db_stmt st_list =
    DB_STMT("tokens_list",
            DB_JSON_ROWS("SELECT id, name, role, created_at, expires_at, revoked_at, last_used_at FROM api_tokens"
                         " WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"),
            2, true);

enum err h_tokens_list(struct req *r)
{
    const char *params[] = {in_text(r->in, K_before_id), in_int_text(r->in, K_limit, 100)};
    return rows_list(r, &st_list, params, "tokens");
}

static const struct db_stmt st_revoke = DB_STMT(
    "tokens_revoke",
    DB_JSON_ROW(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id, revoked_at"),
    1, true);

enum err h_tokens_revoke(struct req *r)
{
    const char *params[] = {in_text(r->in, K_id)};
    return rows_one(r, &st_revoke, params, 200, ERR_TOKEN_NOT_FOUND);
}

int tokens_cli(struct app *app, int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[0], "token") != 0 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "usage: aifb-server [-c CONFIG] token create read|operate|admin NAME\n");
        return 2;
    }
    int role = auth_role_parse(argv[2]);
    size_t nlen = strlen(argv[3]);
    if (role < ROLE_READ || nlen < 1 || nlen > 64) {
        fprintf(stderr, "aifb-server: token: role must be read, operate or admin; name 1 to 64 characters\n");
        return 2;
    }
    struct arena *a = arena_new(4096);
    char token[AUTH_TOKEN_LEN + 1];
    int64_t id;
    enum err e = auth_token_create(app, a, argv[3], (enum role)role, 0, token, &id);
    arena_free(a);
    if (e) {
        fprintf(stderr, "aifb-server: token: %s: %s\n", err_string(e), err_hint(e));
        return 1;
    }
    printf("%s\n", token);
    return 0;
}
