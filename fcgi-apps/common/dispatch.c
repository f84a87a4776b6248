/* dispatch: route lookup, authentication, body and input validation, handler, accounting. */
#include "dispatch.h"

#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "mono.h"

static enum err find_route(struct req *r)
{
    const struct route_table *t = &r->app->def->table;
    unsigned allowed = 0;
    /* A method aifb never serves (0) matches no route, so the lookup collects what the path takes. */
    int i = route_find(t, r->path, r->method, &allowed);
    if (i >= 0) {
        r->route_index = i;
        r->route = &t->routes[i];
        return ERR_OK;
    }
    if (!allowed)
        return req_fail(r, ERR_NOT_FOUND, "path=%.200s", r->path);
    char list[128];
    route_methods_list(allowed, list, sizeof(list));
    r->detail = arena_printf(r->arena, "allowed: %s", list);
    return ERR_METHOD_NOT_ALLOWED;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Reads the body into the arena: as many bytes as Content-Length says (already checked against
 * the limit), or up to the limit when the length is not given. */
static enum err read_body(struct req *r, size_t limit, char **out, size_t *len)
{
    size_t cap = r->content_length >= 0 ? (size_t)r->content_length : limit;
    char *data = arena_alloc(r->arena, cap + 2);
    size_t n = 0;
    while (n <= cap) {
        ssize_t k = r->read_body ? r->read_body(r->io, data + n, cap + 1 - n) : 0;
        if (k < 0)
            return req_fail(r, ERR_INVALID_INPUT, "the body could not be read to its end");
        if (k == 0)
            break;
        n += (size_t)k;
    }
    if (n > limit)
        return req_fail(r, ERR_BODY_TOO_LARGE, "limit=%zu bytes", limit);
    if (n > cap)
        return req_fail(r, ERR_INVALID_INPUT, "the body is longer than its Content-Length");
    data[n] = '\0';
    *out = data;
    *len = n;
    return ERR_OK;
}

static enum err parse_body(struct req *r)
{
    const struct route *rt = r->route;
    bool has_body = r->content_length > 0 || (r->content_length < 0 && r->content_type);
    if (rt->body_limit == 0 || !(r->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH)))
        return ERR_OK; /* the route takes no body: whatever came is drained unread */
    if (r->content_length > (int64_t)rt->body_limit)
        return req_fail(r, ERR_BODY_TOO_LARGE, "limit=%zu bytes, content-length=%lld", rt->body_limit,
                        (long long)r->content_length);
    if (!has_body)
        return rt->body ? req_fail(r, ERR_INVALID_JSON, "a JSON object body is required") : ERR_OK;
    if (!is_json_type(r->content_type))
        return req_fail(r, ERR_UNSUPPORTED_MEDIA_TYPE, "content-type=%.100s",
                        r->content_type ? r->content_type : "(none)");
    char *data = NULL;
    size_t len = 0;
    enum err e = read_body(r, rt->body_limit, &data, &len);
    if (e)
        return e;
    json_error_t jerr;
    json_t *j = req_own_json(r, json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr));
    if (!j)
        return req_fail(r, ERR_INVALID_JSON, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(j))
        return req_fail(r, ERR_INVALID_JSON, "the body must be a JSON object");
    r->body = j;
    r->body_text = data;
    r->body_len = len;
    if (rt->body)
        return input_object(rt->body, j, "", r->arena, &r->detail);
    return ERR_OK;
}

/* The route's inputs: a slot per declared parameter, then one per declared body member. */
static struct slot *inputs_alloc(struct req *r, size_t *nparams)
{
    const struct route *rt = r->route;
    size_t n = input_count(rt->params), nbody = input_count(rt->body);
    struct inputs *in = arena_calloc(r->arena, 1, sizeof(*in));
    in->n = n + nbody;
    in->slot = arena_calloc(r->arena, in->n ? in->n : 1, sizeof(*in->slot));
    in->where = rt->path; /* names the route in a programmer's error; nothing made per request */
    in->arena = r->arena;
    input_slots_fill(in->slot + n, rt->body, r->body, in->where, r->arena);
    r->in = in;
    *nparams = n;
    return in->slot;
}

static enum err check_params(struct req *r, const struct route_capture *caps, size_t ncaps)
{
    const struct field *decl = r->route->params;
    size_t n;
    struct slot *slot = inputs_alloc(r, &n);
    struct query_pair *q;
    size_t nq;
    enum err e = input_query(r->query, r->arena, &q, &nq, &r->detail);
    if (e)
        return e;
    for (size_t i = 0; i < nq; i++) {
        size_t k = 0;
        while (k < n && strcmp(decl[k].name, q[i].name) != 0)
            k++;
        if (k == n)
            return req_fail(r, ERR_INVALID_INPUT, "field=%.64s: unknown query parameter", q[i].name);
        slot[k].raw = q[i].value;
    }
    for (size_t c = 0; c < ncaps; c++)
        for (size_t k = 0; k < n; k++)
            if (strlen(decl[k].name) == caps[c].name_len && !memcmp(decl[k].name, caps[c].name, caps[c].name_len))
                slot[k].raw = caps[c].value;
    for (size_t k = 0; k < n; k++) {
        slot[k].decl = &decl[k];
        if (!slot[k].raw) {
            if (decl[k].required)
                return req_fail(r, ERR_INVALID_INPUT, "field=%s: is required", decl[k].name);
            continue;
        }
        e = input_scalar(&decl[k], slot[k].raw, &slot[k], r->arena, &r->detail);
        if (e)
            return e;
    }
    return ERR_OK;
}

static enum err run(struct req *r)
{
    enum err e = find_route(r);
    if (e)
        return e;
    e = auth_check(r, r->route->role);
    if (e)
        return e;
    e = parse_body(r);
    if (e)
        return e;
    struct route_capture caps[ROUTE_MAX_PARAMS];
    size_t ncaps = 0;
    char *scratch = arena_alloc(r->arena, 1024);
    const char *sub = r->path + strlen(r->app->def->table.prefix);
    route_match(r->route->path, sub, caps, &ncaps, scratch, 1024);
    e = check_params(r, caps, ncaps);
    if (e)
        return e;
    return r->route->handler(r);
}

void dispatch(struct req *r)
{
    if (!r->started)
        r->started = mono_now();
    enum err e = run(r);
    if (e && r->streaming) {
        log_warn("%s: %s after the reply began streaming: %s", r->request_id, err_string(e),
                 r->detail ? r->detail : "");
        metrics_error(r->app->metrics, e);
    } else if (e) {
        reply_error(r, e);
        metrics_error(r->app->metrics, e);
        if (e == ERR_METHOD_NOT_ALLOWED)
            reply_header(r, "Allow", r->detail + strlen("allowed: "));
    } else if (!r->reply.status) {
        r->reply.status = 204;
    }
    double took = mono_now() - r->started;
    metrics_observe(r->app->metrics, r->route_index, r->reply.status, took);
    log_access("%s %s %.200s %d %zu %.3fms token=%lld%s%s", r->request_id ? r->request_id : "-",
               r->method_name ? r->method_name : "-", r->path ? r->path : "-", r->reply.status, r->reply.body.len,
               took * 1e3, (long long)r->token_id, e ? " error=" : "", e ? err_string(e) : "");
}
