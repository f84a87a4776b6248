/* Unit tests of common/auth: SHA-256 hex against known vectors, the shape and randomness of new
 * tokens, role names, and auth_check against a stand-in token lookup (header forms, roles, the
 * per-worker cache, and a lookup that cannot reach the database). */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "auth.h"
#include "req.h"

START_TEST(test_sha256_vectors)
{
    char out[65];
    auth_sha256_hex("abc", 3, out);
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auth_sha256_hex("", 0, out);
    ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    auth_sha256_hex(two_blocks, strlen(two_blocks), out);
    ck_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(test_sha256_uses_len)
{
    char a[65], b[65];
    auth_sha256_hex("abcdef", 3, a);
    ck_assert_str_eq(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auth_sha256_hex("a\0b", 3, b);
    auth_sha256_hex("a", 1, a);
    ck_assert_str_ne(a, b);
}
END_TEST

static void check_token_shape(const char *t)
{
    ck_assert_uint_eq(strlen(t), AUTH_TOKEN_LEN);
    ck_assert_uint_eq(strlen(t), 69);
    ck_assert(strncmp(t, "aifb_", 5) == 0);
    for (size_t i = 5; i < 69; i++)
        ck_assert_msg(isdigit((unsigned char)t[i]) || (t[i] >= 'a' && t[i] <= 'f'), "char %zu of %s", i, t);
}

START_TEST(test_token_new_shape)
{
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    memset(t1, 'Z', sizeof(t1));
    ck_assert_int_eq(auth_token_new(t1), 0);
    ck_assert_int_eq(auth_token_new(t2), 0);
    check_token_shape(t1);
    check_token_shape(t2);
    ck_assert_str_ne(t1, t2);
}
END_TEST

START_TEST(test_tokens_differ)
{
    static char seen[64][AUTH_TOKEN_LEN + 1];
    for (int i = 0; i < 64; i++) {
        ck_assert_int_eq(auth_token_new(seen[i]), 0);
        for (int k = 0; k < i; k++)
            ck_assert_str_ne(seen[i], seen[k]);
    }
}
END_TEST

START_TEST(test_roles)
{
    static const char *const names[] = {"public", "read", "operate", "admin"};
    for (int i = ROLE_PUBLIC; i <= ROLE_ADMIN; i++) {
        ck_assert_str_eq(auth_role_name((enum role)i), names[i]);
        ck_assert_int_eq(auth_role_parse(names[i]), i);
    }
    ck_assert_int_eq(auth_role_parse("Admin"), -1);
    ck_assert_int_eq(auth_role_parse("root"), -1);
    ck_assert_int_eq(auth_role_parse(""), -1);
    ck_assert_int_eq(auth_role_parse("read "), -1);
    ck_assert_str_eq(auth_role_name((enum role)99), "unknown");
    ck_assert(ROLE_PUBLIC < ROLE_READ && ROLE_READ < ROLE_OPERATE && ROLE_OPERATE < ROLE_ADMIN);
}
END_TEST

/* auth_check with a stand-in lookup. */

#define TOKEN_ADMIN                                                                                                    \
    "aifb_"                                                                                                            \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TOKEN_OTHER                                                                                                    \
    "aifb_"                                                                                                            \
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int lookups;
static enum err lookup_result;

static enum err fake_lookup(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id)
{
    (void)app;
    (void)a;
    char want[65];
    lookups++;
    if (lookup_result != ERR_OK)
        return lookup_result;
    auth_sha256_hex(TOKEN_ADMIN, AUTH_TOKEN_LEN, want);
    if (strcmp(sha, want) != 0)
        return ERR_UNAUTHORIZED;
    *role = ROLE_ADMIN;
    *id = 99;
    return ERR_OK;
}

static struct app app;
static struct arena *arena;
static struct req r;

static void setup(void)
{
    memset(&app, 0, sizeof(app));
    app.token_lookup = fake_lookup;
    arena = arena_new(4096);
    lookups = 0;
    lookup_result = ERR_OK;
}

static void teardown(void)
{
    arena_free(arena);
}

static enum err check(const char *authorization, enum role need)
{
    arena_reset(arena);
    req_init(&r, arena, &app, 4096);
    r.authorization = authorization;
    return auth_check(&r, need);
}

START_TEST(test_check_public)
{
    ck_assert_int_eq(check(NULL, ROLE_PUBLIC), ERR_OK);
    ck_assert_int_eq(r.role, ROLE_PUBLIC);
    ck_assert_int_eq(r.token_id, 0);
    ck_assert_int_eq(check("garbage", ROLE_PUBLIC), ERR_OK);
    ck_assert_int_eq(lookups, 0);
}
END_TEST

START_TEST(test_check_header_forms)
{
    ck_assert_int_eq(check("Bearer " TOKEN_ADMIN, ROLE_ADMIN), ERR_OK);
    ck_assert_int_eq(r.role, ROLE_ADMIN);
    ck_assert_int_eq(r.token_id, 99);
    ck_assert_int_eq(check("BEARER   " TOKEN_ADMIN, ROLE_READ), ERR_OK);
    ck_assert_int_eq(check(NULL, ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_int_eq(check("Bearer " TOKEN_ADMIN " ", ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_int_eq(check("Bearer" TOKEN_ADMIN, ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_int_eq(check("Token " TOKEN_ADMIN, ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_int_eq(r.role, ROLE_PUBLIC);
}
END_TEST

START_TEST(test_check_unknown_token)
{
    ck_assert_int_eq(check("Bearer " TOKEN_OTHER, ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_str_eq(r.detail, "unknown, expired or revoked token");
    /* Refusals are not cached: asked again each time. */
    ck_assert_int_eq(check("Bearer " TOKEN_OTHER, ROLE_READ), ERR_UNAUTHORIZED);
    ck_assert_int_eq(lookups, 2);
}
END_TEST

START_TEST(test_check_cache)
{
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(check("Bearer " TOKEN_ADMIN, ROLE_OPERATE), ERR_OK);
    ck_assert_int_eq(lookups, 1);
    ck_assert_int_eq(r.token_id, 99);
}
END_TEST

START_TEST(test_check_db_unavailable)
{
    lookup_result = ERR_DB_UNAVAILABLE;
    ck_assert_int_eq(check("Bearer " TOKEN_ADMIN, ROLE_READ), ERR_DB_UNAVAILABLE);
    ck_assert_str_eq(r.detail, "the tokens cannot be read now");
    ck_assert_int_eq(r.role, ROLE_PUBLIC);
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, test_sha256_vectors);
    tcase_add_test(tc, test_sha256_uses_len);
    tcase_add_test(tc, test_token_new_shape);
    tcase_add_test(tc, test_tokens_differ);
    tcase_add_test(tc, test_roles);
    suite_add_tcase(s, tc);
    tc = tcase_create("check");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_check_public);
    tcase_add_test(tc, test_check_header_forms);
    tcase_add_test(tc, test_check_unknown_token);
    tcase_add_test(tc, test_check_cache);
    tcase_add_test(tc, test_check_db_unavailable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(auth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
