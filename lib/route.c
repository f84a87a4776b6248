/* route: method names, path pattern matching and the start-up check of a route table. */
#include "route.h"

#include "input.h"

#include <stdio.h>
#include <string.h>

static const struct {
    enum http_method m;
    const char *name;
} methods[] = {
    {HTTP_GET, "GET"}, {HTTP_HEAD, "HEAD"},   {HTTP_POST, "POST"},
    {HTTP_PUT, "PUT"}, {HTTP_PATCH, "PATCH"}, {HTTP_DELETE, "DELETE"},
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

const char *route_method_name(enum http_method m)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (methods[i].m == m)
            return methods[i].name;
    return "OTHER";
}

enum http_method route_method_parse(const char *s)
{
    for (size_t i = 0; s && i < NMETHODS; i++)
        if (strcmp(methods[i].name, s) == 0)
            return methods[i].m;
    return 0;
}

void route_methods_list(unsigned set, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NMETHODS; i++) {
        if (!(set & methods[i].m))
            continue;
        int w = snprintf(out + k, n - k, "%s%s", k ? ", " : "", methods[i].name);
        if (w < 0 || (size_t)w >= n - k)
            return;
        k += (size_t)w;
    }
}

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seglen(const char *s)
{
    return strcspn(s, "/");
}

bool route_match(const char *pattern, const char *path, struct route_capture *caps, size_t *ncaps, char *scratch,
                 size_t scratch_len)
{
    size_t nc = 0, used = 0;
    const char *p = pattern, *q = path;
    while (*p == '/' && *q == '/') {
        p++, q++;
        size_t pl = seglen(p), ql = seglen(q);
        if (pl > 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ql == 0 || nc == ROUTE_MAX_PARAMS || used + ql + 1 > scratch_len)
                return false;
            memcpy(scratch + used, q, ql);
            scratch[used + ql] = '\0';
            caps[nc].name = p + 1;
            caps[nc].name_len = pl - 2;
            caps[nc].value = scratch + used;
            nc++;
            used += ql + 1;
        } else if (pl != ql || memcmp(p, q, pl) != 0) {
            return false;
        }
        p += pl, q += ql;
    }
    /* Both ended, or the path has one trailing slash more. */
    if (*p != '\0' || !(*q == '\0' || (q[0] == '/' && q[1] == '\0')))
        return false;
    *ncaps = nc;
    return true;
}

int route_find(const struct route_table *t, const char *path, enum http_method m, unsigned *allowed)
{
    size_t plen = strlen(t->prefix);
    *allowed = 0;
    if (strncmp(path, t->prefix, plen) != 0 || path[plen] != '/')
        return -1;
    path += plen;
    struct route_capture caps[ROUTE_MAX_PARAMS];
    char scratch[1024];
    size_t nc;
    enum http_method want = m == HTTP_HEAD ? HTTP_GET : m;
    for (size_t i = 0; i < t->n; i++) {
        if (!route_match(t->routes[i].path, path, caps, &nc, scratch, sizeof(scratch)))
            continue;
        if (t->routes[i].method == want)
            return (int)i;
        *allowed |= t->routes[i].method;
        if (t->routes[i].method == HTTP_GET)
            *allowed |= HTTP_HEAD;
    }
    return -1;
}

static const struct field *declared(const struct field *f, const char *name, size_t len)
{
    for (; f && f->name; f++)
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

static int check_fields(const struct field *f, const char *where, char *errbuf, size_t errlen)
{
    for (; f && f->name; f++) {
        if (f->pattern && !input_pattern_valid(f->pattern)) {
            snprintf(errbuf, errlen, "%s: field %s: bad pattern", where, f->name);
            return -1;
        }
        if (f->type == FIELD_ENUM && !f->values) {
            snprintf(errbuf, errlen, "%s: field %s: enum without values", where, f->name);
            return -1;
        }
        if (f->fields && check_fields(f->fields, where, errbuf, errlen) < 0)
            return -1;
    }
    return 0;
}

static int check_route(const struct route *r, char *errbuf, size_t errlen)
{
    for (const char *p = strchr(r->path, '{'); p; p = strchr(p + 1, '{')) {
        size_t len = strcspn(p + 1, "}");
        const struct field *f = declared(r->params, p + 1, len);
        if (!f || !f->required) {
            snprintf(errbuf, errlen, "%s: path parameter %.*s not declared as required", r->path, (int)len, p + 1);
            return -1;
        }
    }
    if (!r->handler || (r->body && r->body_limit == 0)) {
        snprintf(errbuf, errlen, "%s: no handler, or a body without a limit", r->path);
        return -1;
    }
    if (check_fields(r->params, r->path, errbuf, errlen) < 0)
        return -1;
    return check_fields(r->body, r->path, errbuf, errlen);
}

int route_table_check(const struct route_table *t, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < t->n; i++) {
        if (check_route(&t->routes[i], errbuf, errlen) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (t->routes[j].method == t->routes[i].method && strcmp(t->routes[j].path, t->routes[i].path) == 0) {
                snprintf(errbuf, errlen, "%s %s: declared twice", route_method_name(t->routes[i].method),
                         t->routes[i].path);
                return -1;
            }
    }
    return 0;
}
