/* openapi: the OpenAPI 3.1 document of an app, built from its route table each time it is asked for
 * (the table is static, the work small), so that it cannot disagree with what the dispatcher checks.
 * Summaries and operation ids come from the handlers' names, read from the dynamic symbol table (the
 * apps export their h_* symbols, see the Makefile); a handler it does not name is named by its route. */
#include "openapi.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "err.h"
#include "route.h"

/* A bounded writer: what does not fit is only counted, and the caller sees len >= n. */
struct out {
    char *p;
    size_t n, len;
};

static void put(struct out *o, const char *s, size_t k)
{
    if (o->p && o->len + k < o->n)
        memcpy(o->p + o->len, s, k);
    o->len += k;
}

/* POSIX's character classes in the C locale the apps run in, as ECMA-262 class ranges. */
static const struct {
    const char *name, *ecma;
} classes[] = {
    {"alnum", "0-9A-Za-z"},
    {"alpha", "A-Za-z"},
    {"blank", " \\t"},
    {"cntrl", "\\x00-\\x1F\\x7F"},
    {"digit", "0-9"},
    {"graph", "\\x21-\\x7E"},
    {"lower", "a-z"},
    {"print", "\\x20-\\x7E"},
    {"punct", "\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E"},
    {"space", "\\t-\\r "},
    {"upper", "A-Z"},
    {"xdigit", "0-9A-Fa-f"},
};

/* One literal character inside an ECMA class: a POSIX bracket takes '\' and '[' as they are. */
static void class_literal(struct out *o, char c)
{
    if (c == '\\' || c == ']' || c == '[')
        put(o, "\\", 1);
    put(o, &c, 1);
}

/* A term of a bracket expression at s: [:class:], or [=c=] or [.c.] of one character. Returns what
 * follows it, or NULL for an unknown class or a longer collating element. */
static const char *bracket_term(const char *s, struct out *o)
{
    char kind = s[1];
    const char *end = s + 2;
    while (*end && !(end[0] == kind && end[1] == ']'))
        end++;
    if (!*end)
        return NULL;
    size_t len = (size_t)(end - (s + 2));
    if (kind != ':') {
        if (len != 1)
            return NULL;
        class_literal(o, s[2]);
        return end + 2;
    }
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (strlen(classes[i].name) == len && memcmp(classes[i].name, s + 2, len) == 0) {
            put(o, classes[i].ecma, strlen(classes[i].ecma));
            return end + 2;
        }
    return NULL;
}

/* The bracket expression at s ("[...]") as an ECMA class; '^' and '-' mean the same in both. Returns
 * what follows it, or NULL when it does not close or holds what ECMA cannot say. */
static const char *bracket(const char *s, struct out *o)
{
    put(o, "[", 1);
    s++;
    if (*s == '^')
        put(o, s++, 1);
    if (*s == ']') /* first, it is a member */
        class_literal(o, *s++);
    while (s && *s && *s != ']') {
        if (s[0] == '[' && (s[1] == ':' || s[1] == '=' || s[1] == '.'))
            s = bracket_term(s, o);
        else
            class_literal(o, *s++);
    }
    if (!s || *s != ']')
        return NULL;
    put(o, "]", 1);
    return s + 1;
}

/* An escape outside brackets: kept where ECMA means the same, GNU's word edges as \b, else the
 * character itself (POSIX leaves "\-" undefined, ECMA's unicode mode refuses it). */
static const char *escape(const char *s, struct out *o)
{
    char c = s[1];
    if (!c)
        return NULL;
    if (strchr("^$\\.*+?()[]{}|/wWsSbB", c) || isdigit((unsigned char)c))
        put(o, s, 2);
    else if (c == '<' || c == '>')
        put(o, "\\b", 2);
    else if (c == '`' || c == '\'')
        put(o, c == '`' ? "^" : "$", 1);
    else
        put(o, &c, 1);
    return s + 2;
}

/* A brace at s: an interval {m}, {m,}, {m,n} as it is, GNU's {,n} as {0,n}; any other brace is a
 * literal one, which ECMA's unicode mode wants escaped. */
static const char *brace(const char *s, struct out *o)
{
    size_t lo = strspn(s + 1, "0123456789"), hi = 0;
    const char *p = s + 1 + lo;
    if (*p == ',') {
        hi = strspn(p + 1, "0123456789");
        p += 1 + hi;
    }
    if (*p != '}' || (lo == 0 && hi == 0)) {
        put(o, "\\{", 2);
        return s + 1;
    }
    put(o, "{", 1);
    if (lo == 0)
        put(o, "0", 1);
    put(o, s + 1, (size_t)(p - s));
    return p + 1;
}

static int translate(const char *s, struct out *o)
{
    while (s && *s) {
        if (*s == '[') {
            s = bracket(s, o);
        } else if (*s == '\\') {
            s = escape(s, o);
        } else if (*s == '{') {
            s = brace(s, o);
        } else {
            if (*s == '}' || *s == ']')
                put(o, "\\", 1);
            put(o, s++, 1);
        }
    }
    return s ? 0 : -1;
}

/* Whether the pattern as a whole is anchored at both ends: '^' first, an unescaped '$' last, and no
 * '|' outside parentheses (in "^a|b$" each alternative is anchored at one end only). */
static bool anchored(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || s[0] != '^' || s[n - 1] != '$')
        return false;
    struct out skip = {0};
    const char *plain = NULL; /* the last character read as itself, outside brackets and escapes */
    int depth = 0;
    for (const char *p = s; p && *p;) {
        if (*p == '\\') {
            p = p[1] ? p + 2 : NULL;
        } else if (*p == '[') {
            p = bracket(p, &skip);
        } else {
            depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
            if (*p == '|' && depth == 0)
                return false;
            plain = p++;
        }
    }
    return plain == s + n - 1;
}

int openapi_pattern(const char *posix, char *out, size_t n)
{
    struct out o = {.p = out, .n = n};
    bool whole = anchored(posix);
    if (!whole)
        put(&o, "^(?:", 4);
    if (translate(posix, &o) < 0)
        return -1;
    if (!whole)
        put(&o, ")$", 2);
    if (o.len >= n)
        return -1;
    out[o.len] = '\0';
    return 0;
}

/* Sets key of s to posix translated; a pattern it cannot translate is kept as it is under
 * x-aifb-posix-pattern, which the tests refuse. */
static void pattern_set(json_t *s, const char *key, const char *posix)
{
    size_t n = 4 * strlen(posix) + 16;
    char *buf = malloc(n);
    if (buf && openapi_pattern(posix, buf, n) == 0)
        json_object_set_new(s, key, json_string(buf));
    else
        json_object_set_new(s, "x-aifb-posix-pattern", json_string(posix));
    free(buf);
}

static void int_schema(json_t *s, int64_t min, int64_t max)
{
    json_object_set_new(s, "type", json_string("integer"));
    if (min < INT32_MIN || max > INT32_MAX)
        json_object_set_new(s, "format", json_string("int64"));
    if (min > INT64_MIN)
        json_object_set_new(s, "minimum", json_integer((json_int_t)min));
    if (max < INT64_MAX) /* INT64_MAX says "any id"; JavaScript could not even read it exactly */
        json_object_set_new(s, "maximum", json_integer((json_int_t)max));
}

static void string_schema(json_t *s, const struct field *f)
{
    json_object_set_new(s, "type", json_string("string"));
    if (f->min > 0)
        json_object_set_new(s, "minLength", json_integer((json_int_t)f->min));
    if (f->max > 0)
        json_object_set_new(s, "maxLength", json_integer((json_int_t)f->max));
    if (f->pattern)
        pattern_set(s, "pattern", f->pattern);
}

static void enum_schema(json_t *s, const char *const *values)
{
    json_t *list = json_array();
    for (const char *const *v = values; v && *v; v++)
        json_array_append_new(list, json_string(*v));
    json_object_set_new(s, "type", json_string("string"));
    json_object_set_new(s, "enum", list);
}

/* A map: at most max members, each a string of at most 1024 bytes under a name matching pattern. */
static void map_schema(json_t *s, const struct field *f)
{
    json_object_set_new(s, "type", json_string("object"));
    json_object_set_new(s, "maxProperties", json_integer((json_int_t)f->max));
    json_object_set_new(s, "additionalProperties", json_pack("{s:s, s:i}", "type", "string", "maxLength", 1024));
    if (f->pattern) {
        json_t *names = json_object();
        pattern_set(names, "pattern", f->pattern);
        json_object_set_new(s, "propertyNames", names);
    }
}

static json_t *object_schema(const struct field *fields);

/* The JSON Schema of one declared input, as lib/input.c checks it (lengths there are in bytes). */
static json_t *field_schema(const struct field *f)
{
    json_t *s = json_object();
    switch (f->type) {
    case FIELD_INT:
        int_schema(s, f->min, f->max);
        break;
    case FIELD_NUM:
        json_object_set_new(s, "type", json_string("number"));
        json_object_set_new(s, "minimum", json_real(f->fmin));
        json_object_set_new(s, "maximum", json_real(f->fmax));
        break;
    case FIELD_STR:
        string_schema(s, f);
        break;
    case FIELD_ENUM:
        enum_schema(s, f->values);
        break;
    case FIELD_BOOL:
        json_object_set_new(s, "type", json_string("boolean"));
        break;
    case FIELD_OBJECT:
        if (f->fields) {
            json_decref(s);
            return object_schema(f->fields);
        }
        json_object_set_new(s, "type", json_string("object"));
        break;
    case FIELD_ARRAY:
        json_object_set_new(s, "type", json_string("array"));
        if (f->min > 0)
            json_object_set_new(s, "minItems", json_integer((json_int_t)f->min));
        if (f->max > 0)
            json_object_set_new(s, "maxItems", json_integer((json_int_t)f->max));
        break;
    case FIELD_MAP:
        map_schema(s, f);
        break;
    }
    return s;
}

/* An object of exactly the declared members (the dispatcher refuses unknown ones). */
static json_t *object_schema(const struct field *fields)
{
    json_t *props = json_object(), *required = json_array();
    for (const struct field *f = fields; f->name; f++) {
        json_object_set_new(props, f->name, field_schema(f));
        if (f->required)
            json_array_append_new(required, json_string(f->name));
    }
    json_t *s = json_pack("{s:s, s:o}", "type", "object", "properties", props);
    if (json_array_size(required))
        json_object_set_new(s, "required", required);
    else
        json_decref(required);
    json_object_set_new(s, "additionalProperties", json_false());
    return s;
}

/* Whether path has the segment {name}. */
static bool in_path(const char *path, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, name, k) == 0 && p[1 + k] == '}')
            return true;
    return false;
}

static json_t *parameters(const struct route *rt)
{
    json_t *list = json_array();
    for (const struct field *f = rt->params; f && f->name; f++) {
        bool path = in_path(rt->path, f->name);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:o}", "name", f->name, "in", path ? "path" : "query",
                                              "required", (int)(path || f->required), "schema", field_schema(f)));
    }
    return list;
}

/* A route reads a body only with a limit and a method that carries one (as dispatch.c does). */
static bool takes_body(const struct route *rt)
{
    return rt->body_limit > 0 && (rt->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH));
}

static json_t *request_body(const struct route *rt)
{
    char desc[200];
    if (rt->body)
        snprintf(desc, sizeof(desc), "A JSON object of at most %zu bytes.", rt->body_limit);
    else
        snprintf(desc, sizeof(desc),
                 "A JSON object of at most %zu bytes, passed on as it is: aifb declares no members.", rt->body_limit);
    json_t *schema = rt->body ? object_schema(rt->body) : json_pack("{s:s}", "type", "object");
    return json_pack("{s:s, s:b, s:{s:{s:o}}}", "description", desc, "required", (int)(rt->body != NULL), "content",
                     "application/json", "schema", schema);
}

static json_t *ref(const char *kind, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "#/components/%s/%s", kind, name);
    return json_pack("{s:s}", "$ref", path);
}

/* Success as the handler answers it (200, 201, 202 or 204), and the dispatcher's own errors. */
static json_t *responses(const struct route *rt)
{
    json_t *r = json_pack("{s:{s:s}, s:o}", "2XX", "description", "Success: the handler's answer.", "400",
                          ref("responses", "BadRequest"));
    if (rt->role != ROLE_PUBLIC) {
        json_object_set_new(r, "401", ref("responses", "Unauthorized"));
        json_object_set_new(r, "403", ref("responses", "Forbidden"));
    }
    if (takes_body(rt)) {
        json_object_set_new(r, "413", ref("responses", "BodyTooLarge"));
        json_object_set_new(r, "415", ref("responses", "UnsupportedMediaType"));
    }
    json_object_set_new(r, "default", ref("responses", "Error"));
    return r;
}

/* The route as an identifier: "get_v1_services_id" for GET /v1/services/{id}. */
static void route_id(const struct route *rt, char *out, size_t n)
{
    char raw[160];
    snprintf(raw, sizeof(raw), "%s%s", route_method_name(rt->method), rt->path);
    size_t k = 0;
    for (const char *p = raw; *p && k + 1 < n; p++) {
        if (isalnum((unsigned char)*p))
            out[k++] = (char)tolower((unsigned char)*p);
        else if (k > 0 && out[k - 1] != '_' && isalnum((unsigned char)p[1]))
            out[k++] = '_';
    }
    out[k] = '\0';
}

/* The operation's id (from the method and the path: "get_runs_id") and its summary ("GET /v1/runs/{id}"). */
static void route_names(const struct route *rt, char *id, char *summary, size_t n)
{
    route_id(rt, id, n);
    snprintf(summary, n, "%s %s", route_method_name(rt->method), rt->path);
}

static json_t *operation(const struct route *rt)
{
    char id[160], summary[160], desc[200];
    route_names(rt, id, summary, sizeof(id));
    const char *role = auth_role_name(rt->role);
    if (rt->role == ROLE_PUBLIC)
        snprintf(desc, sizeof(desc), "Public: no token needed.");
    else
        snprintf(desc, sizeof(desc), "Needs a bearer token of role %s or above (x-aifb-role).", role);
    json_t *op = json_pack("{s:s, s:s, s:s, s:s}", "operationId", id, "summary", summary, "description", desc,
                           "x-aifb-role", role);
    if (rt->role != ROLE_PUBLIC)
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
    json_t *params = parameters(rt);
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (takes_body(rt))
        json_object_set_new(op, "requestBody", request_body(rt));
    json_object_set_new(op, "responses", responses(rt));
    return op;
}

/* Path items in table order, each with its methods in table order. */
static json_t *paths(const struct route_table *t)
{
    json_t *all = json_object();
    for (size_t i = 0; i < t->n; i++) {
        const struct route *rt = &t->routes[i];
        json_t *item = json_object_get(all, rt->path);
        if (!item) {
            item = json_object();
            json_object_set_new(all, rt->path, item);
        }
        char method[8];
        size_t k = 0;
        for (const char *m = route_method_name(rt->method); *m && k + 1 < sizeof(method); m++)
            method[k++] = (char)tolower((unsigned char)*m);
        method[k] = '\0';
        json_object_set_new(item, method, operation(rt));
    }
    return all;
}

/* The one error document; error is one of err.def's codes. */
static json_t *error_schema(void)
{
    json_t *codes = json_array();
    for (int e = ERR_OK + 1; e < ERR__COUNT; e++)
        json_array_append_new(codes, json_string(err_string((enum err)e)));
    return json_pack("{s:s, s:s, s:[ssss], s:{s:{s:s, s:s, s:o}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}, s:b}",
                     "description", "The one error document of every aifb program (lib/err.def).", "type", "object",
                     "required", "error", "hint", "detail", "request_id", "properties", "error", "type", "string",
                     "description", "The stable code to match on.", "enum", codes, "hint", "type", "string",
                     "description", "What to do about it.", "detail", "type", "string", "description",
                     "This case: the field, the id.", "request_id", "type", "string", "description",
                     "Also in the X-Request-Id header and the logs.", "additionalProperties", 0);
}

/* The errors the dispatcher answers before any handler runs, by status. */
static const struct {
    const char *name;
    enum err codes[2]; /* ERR_OK-ended */
} dispatcher_errors[] = {
    {"BadRequest", {ERR_INVALID_JSON, ERR_INVALID_INPUT}},
    {"Unauthorized", {ERR_UNAUTHORIZED}},
    {"Forbidden", {ERR_FORBIDDEN}},
    {"BodyTooLarge", {ERR_BODY_TOO_LARGE}},
    {"UnsupportedMediaType", {ERR_UNSUPPORTED_MEDIA_TYPE}},
};

/* A response of the error document with error one of codes; its description gives their hints. */
static json_t *error_response(const enum err *codes, size_t ncodes)
{
    char desc[512];
    size_t k = 0;
    json_t *names = json_array();
    desc[0] = '\0';
    for (size_t i = 0; i < ncodes && codes[i] != ERR_OK; i++) {
        json_array_append_new(names, json_string(err_string(codes[i])));
        int w =
            snprintf(desc + k, sizeof(desc) - k, "%s%s: %s", k ? " " : "", err_string(codes[i]), err_hint(codes[i]));
        if (w > 0 && (size_t)w < sizeof(desc) - k)
            k += (size_t)w;
    }
    return json_pack("{s:s, s:{s:{s:{s:[o, {s:s, s:{s:{s:o}}}]}}}}", "description", desc, "content", "application/json",
                     "schema", "allOf", ref("schemas", "Error"), "type", "object", "properties", "error", "enum",
                     names);
}

static json_t *components(void)
{
    json_t *resp = json_object();
    for (size_t i = 0; i < sizeof(dispatcher_errors) / sizeof(dispatcher_errors[0]); i++)
        json_object_set_new(resp, dispatcher_errors[i].name, error_response(dispatcher_errors[i].codes, 2));
    json_object_set_new(resp, "Error",
                        json_pack("{s:s, s:{s:{s:o}}}", "description",
                                  "An error, in the one shape; error is one of lib/err.def's codes.", "content",
                                  "application/json", "schema", ref("schemas", "Error")));
    return json_pack("{s:{s:o}, s:o, s:{s:{s:s, s:s, s:s}}}", "schemas", "Error", error_schema(), "responses", resp,
                     "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "description",
                     "An aifb token (aifb_ and 64 hex digits), made by `scripts/stack token ROLE NAME` or "
                     "POST /api/server/v1/tokens. Roles are ordered read < operate < admin: a route takes "
                     "its role or above.");
}

json_t *openapi_document(const struct app_def *def)
{
    char title[64], desc[256];
    snprintf(title, sizeof(title), "aifb-%s", def->name);
    snprintf(desc, sizeof(desc),
             "The routes of aifb-%s under %s, generated from its route table: what the dispatcher checks "
             "before any handler runs. Every error has one shape (Error).",
             def->name, def->table.prefix);
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o}", "openapi", "3.1.0", "info", "title", title,
                     "version", "1", "description", desc, "servers", "url", def->table.prefix, "paths",
                     paths(&def->table), "components", components());
}

int openapi_print(const struct app_def *def, FILE *out)
{
    json_t *doc = openapi_document(def);
    int rc = doc && json_dumpf(doc, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF && fflush(out) == 0 ? 0 : -1;
    json_decref(doc);
    return rc;
}
