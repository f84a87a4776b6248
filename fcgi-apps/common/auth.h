/* auth: bearer tokens. A token is "aifb_" and 64 hex digits from the kernel's random source; only
 * its SHA-256 is stored. Each worker caches a verified token's role for a few seconds, so a revoked
 * token stops working within AUTH_CACHE_SECONDS. */
#ifndef AIFB_AUTH_H
#define AIFB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "route.h"

#define AUTH_TOKEN_LEN (5 + 64)
#define AUTH_CACHE_SLOTS 64
#define AUTH_CACHE_SECONDS 5.0

struct auth_cache {
    struct {
        char sha[65];
        enum role role;
        int64_t id;
        double until; /* monotonic seconds */
    } slot[AUTH_CACHE_SLOTS];
};

struct app;
struct req;

/* Writes a new token (AUTH_TOKEN_LEN characters and a NUL) into out. Returns 0, or -1 when the
 * random source fails. */
int auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* Writes the lowercase hex SHA-256 of s[0..len) into out. */
void auth_sha256_hex(const char *s, size_t len, char out[65]);

/* "public", "read", "operate", "admin"; parse returns -1 for anything else. */
const char *auth_role_name(enum role role);
int auth_role_parse(const char *s);

/* Checks r's Authorization header against the route's role: sets r->role and r->token_id.
 * Returns ERR_OK, ERR_UNAUTHORIZED (missing, malformed or unknown token), ERR_FORBIDDEN (role too
 * low) or ERR_DB_UNAVAILABLE (the tokens cannot be read). */
enum err auth_check(struct req *r, enum role need);

/* Looks the token with this hash up in PostgreSQL (and notes its use). Returns ERR_OK,
 * ERR_UNAUTHORIZED when there is no live token with it, or a db error. */
enum err auth_db_lookup(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id);

/* Inserts a token named name with role into the database and writes the token into out.
 * Returns ERR_OK or a db error. */
enum err auth_token_create(struct app *app, struct arena *a, const char *name, enum role role, int64_t expires_in_s,
                           char out[AUTH_TOKEN_LEN + 1], int64_t *id);

#endif
