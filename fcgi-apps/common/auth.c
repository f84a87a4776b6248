/* auth: token making, hashing, lookup with a per-worker cache, and the role check. */
#include "auth.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "app.h"
#include "db.h"
#include "mono.h"
#include "req.h"

static const char *const role_names[] = {"public", "read", "operate", "admin"};

const char *auth_role_name(enum role role)
{
    return (unsigned)role <= ROLE_ADMIN ? role_names[role] : "unknown";
}

int auth_role_parse(const char *s)
{
    for (int i = 0; i <= ROLE_ADMIN; i++)
        if (strcmp(s, role_names[i]) == 0)
            return i;
    return -1;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    memcpy(out, "aifb_", 5);
    hex(raw, sizeof(raw), out + 5);
    return 0;
}

void auth_sha256_hex(const char *s, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        out[0] = '\0'; /* matches no stored hash */
        return;
    }
    hex(md, 32, out);
}

/* The bearer token in an Authorization value, if it has a token's shape. */
static const char *bearer(const char *h)
{
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    if (strlen(h) != AUTH_TOKEN_LEN || strncmp(h, "aifb_", 5) != 0)
        return NULL;
    if (strspn(h + 5, "0123456789abcdef") != 64)
        return NULL;
    return h;
}

static enum err lookup(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id)
{
    struct auth_cache *c = &app->auth_cache;
    double t = mono_now();
    size_t free_slot = 0;
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        if (c->slot[i].until > t && strcmp(c->slot[i].sha, sha) == 0) {
            *role = c->slot[i].role;
            *id = c->slot[i].id;
            return ERR_OK;
        }
        if (c->slot[i].until < c->slot[free_slot].until)
            free_slot = i;
    }
    enum err e = app->token_lookup(app, a, sha, role, id);
    if (e)
        return e;
    memcpy(c->slot[free_slot].sha, sha, 65);
    c->slot[free_slot].role = *role;
    c->slot[free_slot].id = *id;
    c->slot[free_slot].until = t + AUTH_CACHE_SECONDS;
    return ERR_OK;
}

enum err auth_check(struct req *r, enum role need)
{
    r->role = ROLE_PUBLIC;
    r->token_id = 0;
    if (need == ROLE_PUBLIC)
        return ERR_OK;
    if (!r->authorization)
        return req_fail(r, ERR_UNAUTHORIZED, "no Authorization header");
    const char *token = bearer(r->authorization);
    if (!token)
        return req_fail(r, ERR_UNAUTHORIZED, "the Authorization header is not 'Bearer aifb_<64 hex digits>'");
    char sha[65];
    auth_sha256_hex(token, AUTH_TOKEN_LEN, sha);
    enum role role;
    int64_t id;
    enum err e = lookup(r->app, r->arena, sha, &role, &id);
    if (e == ERR_UNAUTHORIZED)
        return req_fail(r, e, "unknown, expired or revoked token");
    if (e)
        return req_fail(r, e, "the tokens cannot be read now");
    r->role = role;
    r->token_id = id;
    if (role < need)
        return req_fail(r, ERR_FORBIDDEN, "this route needs role %s; the token has %s", auth_role_name(need),
                        auth_role_name(role));
    return ERR_OK;
}

static const struct db_stmt st_lookup =
    DB_STMT("auth_lookup",
            "UPDATE api_tokens SET last_used_at = now() WHERE token_sha256 = $1 AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now()) RETURNING id, role",
            1, true);

enum err auth_db_lookup(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id)
{
    const char *params[] = {sha};
    PGresult *res;
    const char *detail;
    enum err e = db_exec(app->db, a, &st_lookup, params, &res, &detail);
    if (e)
        return e;
    if (PQntuples(res) != 1)
        return ERR_UNAUTHORIZED;
    int rl = auth_role_parse(PQgetvalue(res, 0, 1));
    if (rl < ROLE_READ)
        return ERR_UNAUTHORIZED;
    *role = (enum role)rl;
    *id = db_int(res, 0, 0);
    return ERR_OK;
}

static const struct db_stmt st_create =
    DB_STMT("auth_create",
            "INSERT INTO api_tokens (name, role, token_sha256, expires_at) VALUES ($1, $2, $3,"
            " CASE WHEN $4::bigint > 0 THEN now() + make_interval(secs => $4::bigint) END) RETURNING id",
            4, false);

enum err auth_token_create(struct app *app, struct arena *a, const char *name, enum role role, int64_t expires_in_s,
                           char out[AUTH_TOKEN_LEN + 1], int64_t *id)
{
    if (auth_token_new(out) < 0)
        return ERR_INTERNAL;
    char sha[65], exp[32];
    auth_sha256_hex(out, AUTH_TOKEN_LEN, sha);
    snprintf(exp, sizeof(exp), "%lld", (long long)expires_in_s);
    const char *params[] = {name, auth_role_name(role), sha, exp};
    PGresult *res;
    const char *detail;
    enum err e = db_exec(app->db, a, &st_create, params, &res, &detail);
    if (e)
        return e;
    *id = db_int(res, 0, 0);
    return ERR_OK;
}
