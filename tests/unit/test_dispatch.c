/* Unit tests of common/dispatch over a hand-built app (its own route table, shared metrics and a
 * stand-in token lookup): 404, 405 with Allow, 401/403, 413, 415, 400 for bad JSON and bad inputs,
 * the handler reached with validated values, handler errors, and the requests counted. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "auth.h"
#include "dispatch.h"
#include "metrics.h"
#include "req.h"

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define TOKEN_READ "aifb_" HEX_A
#define TOKEN_OPERATE "aifb_" HEX_B
#define TOKEN_UNKNOWN                                                                                                  \
    "aifb_"                                                                                                            \
    "00000000000000000000000000000000000000000000000000000000000000ff"

/* What the handlers saw. */
static struct {
    int calls;
    int64_t id, limit;
    const char *id_raw;
    bool verbose;
    const char *name;
    int64_t size;
    bool had_body;
    enum role role;
    int64_t token_id;
} seen;

static int lookups;

/* The slot the dispatcher filled for name (the handlers of this table use names that are not the
 * apps' keys; in.c's typed reads are tested in test_in.c). */
static const struct slot *slot(const struct req *r, const char *name)
{
    const struct slot *s = input_find(r->in, name);
    ck_assert_msg(s != NULL, "%s is not declared", name);
    return s;
}

static int64_t slot_int(const struct req *r, const char *name, int64_t def)
{
    const struct slot *s = slot(r, name);
    return s->set ? s->i : def;
}

static void saw(struct req *r)
{
    seen.calls++;
    seen.role = r->role;
    seen.token_id = r->token_id;
    seen.had_body = r->body != NULL;
}

static enum err h_items_list(struct req *r)
{
    saw(r);
    seen.limit = slot_int(r, "limit", 20);
    seen.verbose = slot(r, "verbose")->set && slot(r, "verbose")->b;
    return reply_json(r, 200, req_own_json(r, json_pack("{s:I}", "limit", (json_int_t)seen.limit)));
}

static enum err h_items_create(struct req *r)
{
    saw(r);
    seen.name = arena_strdup(r->arena, slot(r, "name")->raw);
    seen.size = slot_int(r, "size", 0);
    return reply_json(r, 201, req_own_json(r, json_pack("{s:s}", "name", seen.name)));
}

static enum err h_items_get(struct req *r)
{
    saw(r);
    seen.id = slot_int(r, "id", -1);
    seen.id_raw = slot(r, "id")->raw;
    seen.limit = slot_int(r, "limit", 20);
    return reply_json(r, 200, req_own_json(r, json_pack("{s:I}", "id", (json_int_t)seen.id)));
}

static enum err h_items_delete(struct req *r)
{
    saw(r);
    seen.id = slot_int(r, "id", -1);
    return ERR_OK;
}

static enum err h_fail(struct req *r)
{
    saw(r);
    return req_fail(r, ERR_SERVICE_NOT_FOUND, "id=%lld", (long long)slot_int(r, "id", 0));
}

static enum err h_ping(struct req *r)
{
    saw(r);
    return ERR_OK;
}

static enum err h_echo(struct req *r)
{
    saw(r);
    return reply_json(r, 200, r->body);
}

static const struct field list_params[] = {F_INT("limit", F_OPT, 1, 100), F_BOOL("verbose", F_OPT), F_END};
static const struct field item_params[] = {F_ID("id"), F_INT("limit", F_OPT, 1, 100), F_END};
static const struct field id_params[] = {F_ID("id"), F_END};
static const struct field inner_fields[] = {F_INT("port", F_REQ, 1, 65535), F_END};
static const struct field create_body[] = {F_STR("name", F_REQ, 1, 16, "^[a-z]+$"), F_INT("size", F_OPT, 0, 10),
                                           F_OBJ("inner", F_OPT, inner_fields), F_END};

enum { R_LIST, R_CREATE, R_GET, R_DELETE, R_FAIL, R_PING, R_ECHO, NROUTES };

static const struct route routes[] = {
    [R_LIST] =
        {.method = HTTP_GET, .path = "/v1/items", .handler = h_items_list, .role = ROLE_PUBLIC, .params = list_params},
    [R_CREATE] = {.method = HTTP_POST,
                  .path = "/v1/items",
                  .handler = h_items_create,
                  .role = ROLE_OPERATE,
                  .body_limit = 64,
                  .body = create_body},
    [R_GET] = {.method = HTTP_GET,
               .path = "/v1/items/{id}",
               .handler = h_items_get,
               .role = ROLE_READ,
               .params = item_params},
    [R_DELETE] = {.method = HTTP_DELETE,
                  .path = "/v1/items/{id}",
                  .handler = h_items_delete,
                  .role = ROLE_OPERATE,
                  .params = id_params},
    [R_FAIL] =
        {.method = HTTP_GET, .path = "/v1/fail/{id}", .handler = h_fail, .role = ROLE_PUBLIC, .params = id_params},
    [R_PING] = {.method = HTTP_GET, .path = "/v1/ping", .handler = h_ping, .role = ROLE_PUBLIC},
    [R_ECHO] = {.method = HTTP_POST, .path = "/v1/echo", .handler = h_echo, .role = ROLE_PUBLIC, .body_limit = 64},
};

static const struct app_def def = {.name = "test", .table = {"/api/test", routes, NROUTES}};

static enum err fake_lookup(struct app *app, struct arena *a, const char *sha, enum role *role, int64_t *id)
{
    (void)app;
    (void)a;
    char want[65];
    lookups++;
    auth_sha256_hex(TOKEN_READ, AUTH_TOKEN_LEN, want);
    if (strcmp(sha, want) == 0) {
        *role = ROLE_READ;
        *id = 11;
        return ERR_OK;
    }
    auth_sha256_hex(TOKEN_OPERATE, AUTH_TOKEN_LEN, want);
    if (strcmp(sha, want) == 0) {
        *role = ROLE_OPERATE;
        *id = 12;
        return ERR_OK;
    }
    return ERR_UNAUTHORIZED;
}

/* A request body served in chunks of at most chunk bytes (0: all at once), or an error. */
struct fake_body {
    const char *data;
    size_t len, pos, chunk;
    bool fail;
};

static ssize_t fake_read(void *io, char *buf, size_t n)
{
    struct fake_body *fb = io;
    if (fb->fail)
        return -1;
    size_t k = fb->len - fb->pos;
    if (k > n)
        k = n;
    if (fb->chunk && k > fb->chunk)
        k = fb->chunk;
    memcpy(buf, fb->data + fb->pos, k);
    fb->pos += k;
    return (ssize_t)k;
}

static struct app app;
static struct arena *arena;
static struct req r;
static struct fake_body body;

static void setup(void)
{
    memset(&app, 0, sizeof(app));
    app.def = &def;
    app.metrics = metrics_new(NROUTES);
    ck_assert_ptr_nonnull(app.metrics);
    app.token_lookup = fake_lookup;
    app.reply_max = 1 << 20;
    app.workers = 1;
    arena = arena_new(4096);
    memset(&seen, 0, sizeof(seen));
    lookups = 0;
}

static void teardown(void)
{
    arena_free(arena);
}

/* Starts a new request on the same arena: method, "path?query" and token (NULL: none). */
static void start(const char *method, const char *target, const char *authorization)
{
    arena_reset(arena);
    req_init(&r, arena, &app, 1 << 20);
    r.method_name = method;
    r.method = route_method_parse(method);
    const char *q = strchr(target, '?');
    r.path = q ? arena_strndup(arena, target, (size_t)(q - target)) : target;
    r.query = q ? q + 1 : "";
    r.request_id = "test-request-1";
    r.remote_addr = "127.0.0.1";
    r.authorization = authorization;
    memset(&body, 0, sizeof(body));
    r.read_body = fake_read;
    r.io = &body;
}

/* Gives the request a body; content_length -1 leaves the length unsaid. */
static void with_body(const char *content_type, const char *data, int64_t content_length)
{
    body.data = data;
    body.len = strlen(data);
    r.content_type = content_type;
    r.content_length = content_length;
}

static void with_json(const char *data)
{
    with_body("application/json", data, (int64_t)strlen(data));
}

/* Checks the answer is e's error document with a detail containing want (NULL: any). */
static void expect_error(enum err e, const char *want)
{
    ck_assert_int_eq(r.reply.status, err_status(e));
    ck_assert_str_eq(r.reply.content_type, "application/json");
    json_error_t jerr;
    json_t *j = json_loads(buf_cstr(&r.reply.body), 0, &jerr);
    ck_assert_msg(j != NULL, "not JSON: %s", buf_cstr(&r.reply.body));
    ck_assert_uint_eq(json_object_size(j), 4);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), err_string(e));
    ck_assert_str_eq(json_string_value(json_object_get(j, "hint")), err_hint(e));
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "test-request-1");
    const char *d = json_string_value(json_object_get(j, "detail"));
    ck_assert_ptr_nonnull(d);
    if (want)
        ck_assert_msg(strstr(d, want) != NULL, "detail '%s' lacks '%s'", d, want);
    json_decref(j);
}

/* The value of one series in the rendered metrics, or -1 when it is not there. */
static long long metric(const char *series)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    ck_assert_int_eq(metrics_render(app.metrics, &out, "test", &def.table, 1), 0);
    char key[512];
    snprintf(key, sizeof(key), "\n%s ", series);
    const char *p = strstr(buf_cstr(&out), key);
    char *end = NULL;
    long long v = p ? strtoll(p + strlen(key), &end, 10) : -1;
    if (p && (end == p + strlen(key) || (*end != '\n' && *end != '\0')))
        v = -2; /* not a number where one must be */
    buf_free(&out);
    return v;
}

START_TEST(test_not_found)
{
    start("GET", "/api/test/v1/nope", NULL);
    dispatch(&r);
    expect_error(ERR_NOT_FOUND, "path=/api/test/v1/nope");
    ck_assert_int_eq(seen.calls, 0);
    start("GET", "/api/testx/v1/items", NULL);
    dispatch(&r);
    expect_error(ERR_NOT_FOUND, NULL);
    start("GET", "/api/test/v1/items/5/more", NULL);
    dispatch(&r);
    expect_error(ERR_NOT_FOUND, NULL);
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_method_not_allowed)
{
    start("POST", "/api/test/v1/ping", NULL);
    dispatch(&r);
    expect_error(ERR_METHOD_NOT_ALLOWED, "GET, HEAD");
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "Allow: GET, HEAD\r\n");
    start("PUT", "/api/test/v1/items/5", NULL);
    dispatch(&r);
    expect_error(ERR_METHOD_NOT_ALLOWED, NULL);
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "Allow: GET, HEAD, DELETE\r\n");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

/* A method aifb never serves (route_method_parse gives 0) on a path that exists. */
START_TEST(test_unknown_method_on_known_path)
{
    start("OPTIONS", "/api/test/v1/ping", NULL);
    ck_assert_int_eq(r.method, 0);
    dispatch(&r);
    expect_error(ERR_METHOD_NOT_ALLOWED, NULL);
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "Allow: GET, HEAD\r\n");
    start("PROPFIND", "/api/test/v1/items", NULL);
    dispatch(&r);
    expect_error(ERR_METHOD_NOT_ALLOWED, NULL);
    ck_assert_str_eq(buf_cstr(&r.reply.headers), "Allow: GET, HEAD, POST\r\n");
    start("OPTIONS", "/api/test/v1/nope", NULL);
    dispatch(&r);
    expect_error(ERR_NOT_FOUND, NULL);
}
END_TEST

START_TEST(test_head_runs_get)
{
    start("HEAD", "/api/test/v1/ping", NULL);
    dispatch(&r);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(r.reply.status, 204);
}
END_TEST

START_TEST(test_no_token)
{
    start("GET", "/api/test/v1/items/5", NULL);
    dispatch(&r);
    expect_error(ERR_UNAUTHORIZED, "no Authorization header");
    ck_assert_int_eq(seen.calls, 0);
    ck_assert_int_eq(lookups, 0);
}
END_TEST

START_TEST(test_malformed_token)
{
    static const char *const bad[] = {
        "Bearer abc",
        "Basic " HEX_A,
        "Bearer aifb_"
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "Bearer aifb_"
        "0123456789abcdef",
        "Bearer " TOKEN_READ "0",
        "Bearer xxxx_" HEX_A,
        TOKEN_READ,
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        start("GET", "/api/test/v1/items/5", bad[i]);
        dispatch(&r);
        expect_error(ERR_UNAUTHORIZED, "not 'Bearer aifb_<64 hex digits>'");
    }
    ck_assert_int_eq(seen.calls, 0);
    ck_assert_int_eq(lookups, 0);
}
END_TEST

START_TEST(test_unknown_token)
{
    start("GET", "/api/test/v1/items/5", "Bearer " TOKEN_UNKNOWN);
    dispatch(&r);
    expect_error(ERR_UNAUTHORIZED, "unknown, expired or revoked token");
    ck_assert_int_eq(lookups, 1);
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_read_token_on_operate_route)
{
    start("DELETE", "/api/test/v1/items/5", "Bearer " TOKEN_READ);
    dispatch(&r);
    expect_error(ERR_FORBIDDEN, "operate");
    ck_assert_int_eq(seen.calls, 0);
    start("DELETE", "/api/test/v1/items/5", "Bearer " TOKEN_OPERATE);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 204);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.role, ROLE_OPERATE);
    ck_assert_int_eq(seen.token_id, 12);
    ck_assert_int_eq(seen.id, 5);
}
END_TEST

START_TEST(test_token_accepted_and_cached)
{
    start("GET", "/api/test/v1/items/7", "bearer  " TOKEN_READ);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_int_eq(seen.role, ROLE_READ);
    ck_assert_int_eq(seen.token_id, 11);
    start("GET", "/api/test/v1/items/8", "Bearer " TOKEN_READ);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_int_eq(seen.calls, 2);
    ck_assert_int_eq(lookups, 1); /* the second one came from the cache */
}
END_TEST

START_TEST(test_body_too_large_by_content_length)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body("application/json", "{\"name\":\"abc\"}", 65);
    dispatch(&r);
    expect_error(ERR_BODY_TOO_LARGE, "limit=64");
    ck_assert_uint_eq(body.pos, 0); /* refused before reading */
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_body_too_large_by_size)
{
    char big[200];
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    start("POST", "/api/test/v1/echo", NULL);
    with_body("application/json", big, -1);
    body.chunk = 7;
    dispatch(&r);
    expect_error(ERR_BODY_TOO_LARGE, "limit=64");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_body_at_limit)
{
    char exact[65];
    memset(exact, ' ', 64);
    exact[0] = '{';
    exact[63] = '}';
    exact[64] = '\0';
    start("POST", "/api/test/v1/echo", NULL);
    with_body("application/json", exact, -1);
    body.chunk = 5;
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{}\n");
    /* the bytes as received stay with the request, for routes that pass them on */
    ck_assert_uint_eq(r.body_len, 64);
    ck_assert_str_eq(r.body_text, exact);
}
END_TEST

START_TEST(test_unsupported_media_type)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body("text/plain", "{\"name\":\"abc\"}", 14);
    dispatch(&r);
    expect_error(ERR_UNSUPPORTED_MEDIA_TYPE, "content-type=text/plain");
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body(NULL, "{\"name\":\"abc\"}", 14);
    dispatch(&r);
    expect_error(ERR_UNSUPPORTED_MEDIA_TYPE, "(none)");
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body("application/jsonx", "{\"name\":\"abc\"}", 14);
    dispatch(&r);
    expect_error(ERR_UNSUPPORTED_MEDIA_TYPE, NULL);
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_json_type_with_charset)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body("Application/JSON; charset=utf-8", "{\"name\":\"abc\"}", 14);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 201);
}
END_TEST

START_TEST(test_invalid_json)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_json("{\"name\": ");
    dispatch(&r);
    expect_error(ERR_INVALID_JSON, "line 1, column");
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_json("{\n\"name\": nope}");
    dispatch(&r);
    expect_error(ERR_INVALID_JSON, "line 2, column");
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_json("{\"name\":\"a\",\"name\":\"b\"}");
    dispatch(&r);
    expect_error(ERR_INVALID_JSON, "line 1");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_non_object_body)
{
    start("POST", "/api/test/v1/echo", NULL);
    with_json("[1,2]");
    dispatch(&r);
    expect_error(ERR_INVALID_JSON, "the body must be a JSON object");
    static const char *const bodies[] = {"\"name\"", "42", "null"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        start("POST", "/api/test/v1/echo", NULL);
        with_json(bodies[i]);
        dispatch(&r);
        expect_error(ERR_INVALID_JSON, NULL);
    }
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_missing_body)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    dispatch(&r);
    expect_error(ERR_INVALID_JSON, "a JSON object body is required");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_body_read_error)
{
    start("POST", "/api/test/v1/echo", NULL);
    with_json("{}");
    body.fail = true;
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "could not be read");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_bad_path_param)
{
    start("GET", "/api/test/v1/items/abc", "Bearer " TOKEN_READ);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=id: must be a whole number");
    start("GET", "/api/test/v1/items/0", "Bearer " TOKEN_READ);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=id: must be an integer in [1, ");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_bad_query_param)
{
    start("GET", "/api/test/v1/items?limit=500", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=limit: must be an integer in [1, 100]");
    start("GET", "/api/test/v1/items?limit=ten", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=limit: must be a whole number");
    start("GET", "/api/test/v1/items?verbose=maybe", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=verbose: must be true or false");
    start("GET", "/api/test/v1/items?limit=%zz", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "query: bad parameter");
    start("GET", "/api/test/v1/items?limit=1&limit=2", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=limit: given twice");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_unknown_query_param)
{
    start("GET", "/api/test/v1/items?colour=red", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=colour: unknown query parameter");
    start("GET", "/api/test/v1/ping?x=1", NULL);
    dispatch(&r);
    expect_error(ERR_INVALID_INPUT, "field=x: unknown query parameter");
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_body_fails_fields)
{
    static const struct {
        const char *body, *detail;
    } cases[] = {
        {"{\"name\":\"Bad!\"}", "field=name: must match ^[a-z]+$"},
        {"{\"name\":\"abc\",\"extra\":1}", "field=extra: unknown field"},
        {"{\"size\":1}", "field=name: is required"},
        {"{\"name\":\"abc\",\"size\":11}", "field=size: must be an integer in [0, 10]"},
        {"{\"name\":\"abc\",\"inner\":{\"port\":0}}", "field=inner.port: must be an integer in [1, 65535]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
        with_json(cases[i].body);
        dispatch(&r);
        expect_error(ERR_INVALID_INPUT, cases[i].detail);
    }
    ck_assert_int_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_success_with_params)
{
    start("GET", "/api/test/v1/items/42?limit=7", "Bearer " TOKEN_READ);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.id, 42);
    ck_assert_str_eq(seen.id_raw, "42");
    ck_assert_int_eq(seen.limit, 7);
    ck_assert_int_eq(r.route_index, R_GET);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{\"id\":42}\n");
    start("GET", "/api/test/v1/items/43/", "Bearer " TOKEN_READ);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert_int_eq(seen.id, 43);
    ck_assert_int_eq(seen.limit, 20); /* absent: the handler's default */
}
END_TEST

START_TEST(test_success_query_defaults)
{
    start("GET", "/api/test/v1/items?verbose=1&&", NULL);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 200);
    ck_assert(seen.verbose);
    ck_assert_int_eq(seen.limit, 20);
    ck_assert(!seen.had_body);
    ck_assert_int_eq(seen.role, ROLE_PUBLIC);
    ck_assert_int_eq(seen.token_id, 0);
}
END_TEST

START_TEST(test_success_with_body)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_json("{\"name\":\"abc\",\"size\":3,\"inner\":{\"port\":80}}");
    body.chunk = 3;
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 201);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert(seen.had_body);
    ck_assert_str_eq(seen.name, "abc");
    ck_assert_int_eq(seen.size, 3);
    ck_assert_str_eq(buf_cstr(&r.reply.body), "{\"name\":\"abc\"}\n");
}
END_TEST

START_TEST(test_body_without_content_length)
{
    start("POST", "/api/test/v1/items", "Bearer " TOKEN_OPERATE);
    with_body("application/json", "{\"name\":\"xyz\"}", -1);
    dispatch(&r);
    ck_assert_int_eq(r.reply.status, 201);
    ck_assert_str_eq(seen.name, "xyz");
}
END_TEST

START_TEST(test_handler_error)
{
    start("GET", "/api/test/v1/fail/42", NULL);
    dispatch(&r);
    ck_assert_int_eq(seen.calls, 1);
    expect_error(ERR_SERVICE_NOT_FOUND, NULL);
    json_t *j = json_loads(buf_cstr(&r.reply.body), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), "id=42");
    json_decref(j);
}
END_TEST

START_TEST(test_metrics_counted)
{
    for (int i = 0; i < 2; i++) {
        start("GET", "/api/test/v1/ping", NULL);
        dispatch(&r);
    }
    start("GET", "/api/test/v1/nope", NULL);
    dispatch(&r);
    start("GET", "/api/test/v1/fail/3", NULL);
    dispatch(&r);
    start("POST", "/api/test/v1/ping", NULL);
    dispatch(&r);
    ck_assert_int_eq(metric("aifb_http_requests_total{route=\"/api/test/v1/ping\",method=\"GET\",status=\"204\"}"), 2);
    ck_assert_int_eq(metric("aifb_http_requests_total{route=\"unmatched\",method=\"any\",status=\"404\"}"), 1);
    ck_assert_int_eq(metric("aifb_http_requests_total{route=\"unmatched\",method=\"any\",status=\"405\"}"), 1);
    ck_assert_int_eq(metric("aifb_http_requests_total{route=\"/api/test/v1/fail/{id}\",method=\"GET\",status=\"404\"}"),
                     1);
    ck_assert_int_eq(metric("aifb_errors_total{code=\"not_found\"}"), 1);
    ck_assert_int_eq(metric("aifb_errors_total{code=\"service_not_found\"}"), 1);
    ck_assert_int_eq(metric("aifb_errors_total{code=\"method_not_allowed\"}"), 1);
    ck_assert_int_eq(metric("aifb_errors_total{code=\"unauthorized\"}"), 0);
    ck_assert_int_eq(metric("aifb_http_request_duration_seconds_count{route=\"/api/test/v1/ping\",method=\"GET\"}"), 2);
}
END_TEST

static Suite *dispatch_suite(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("refusals");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_not_found);
    tcase_add_test(tc, test_method_not_allowed);
    tcase_add_test(tc, test_unknown_method_on_known_path);
    tcase_add_test(tc, test_no_token);
    tcase_add_test(tc, test_malformed_token);
    tcase_add_test(tc, test_unknown_token);
    tcase_add_test(tc, test_read_token_on_operate_route);
    tcase_add_test(tc, test_body_too_large_by_content_length);
    tcase_add_test(tc, test_body_too_large_by_size);
    tcase_add_test(tc, test_unsupported_media_type);
    tcase_add_test(tc, test_invalid_json);
    tcase_add_test(tc, test_non_object_body);
    tcase_add_test(tc, test_missing_body);
    tcase_add_test(tc, test_body_read_error);
    tcase_add_test(tc, test_bad_path_param);
    tcase_add_test(tc, test_bad_query_param);
    tcase_add_test(tc, test_unknown_query_param);
    tcase_add_test(tc, test_body_fails_fields);
    suite_add_tcase(s, tc);
    tc = tcase_create("success");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_head_runs_get);
    tcase_add_test(tc, test_token_accepted_and_cached);
    tcase_add_test(tc, test_body_at_limit);
    tcase_add_test(tc, test_json_type_with_charset);
    tcase_add_test(tc, test_success_with_params);
    tcase_add_test(tc, test_success_query_defaults);
    tcase_add_test(tc, test_success_with_body);
    tcase_add_test(tc, test_body_without_content_length);
    tcase_add_test(tc, test_handler_error);
    tcase_add_test(tc, test_metrics_counted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dispatch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
