/* route: the types of an app's route table and its declared inputs, and path matching.
 * Each app's routes.c holds one `static const struct route routes[]`; the dispatcher reads it. */
#ifndef AIFB_ROUTE_H
#define AIFB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum http_method {
    HTTP_GET = 1,
    HTTP_HEAD = 2,
    HTTP_POST = 4,
    HTTP_PUT = 8,
    HTTP_PATCH = 16,
    HTTP_DELETE = 32,
};

/* Ordered: a token's role must be at least the route's. */
enum role { ROLE_PUBLIC, ROLE_READ, ROLE_OPERATE, ROLE_ADMIN };

enum field_type { FIELD_INT, FIELD_NUM, FIELD_STR, FIELD_ENUM, FIELD_BOOL, FIELD_OBJECT, FIELD_ARRAY, FIELD_MAP };

/* A declared input: a path or query parameter, or a member of a JSON body.
 * INT: min..max is the value range. STR: min..max is the length range in bytes, and pattern, if
 * set, is a POSIX extended regex that the whole value must match. ARRAY: min..max elements.
 * NUM: fmin..fmax. ENUM: values, NULL-terminated. OBJECT: fields, when set, declares the members
 * (and unknown members are refused), else any object is taken. MAP: an object of at most max string
 * members, each name matching pattern and each value at most 1024 bytes. */
struct field {
    const char *name;
    enum field_type type;
    bool required;
    int64_t min, max;
    double fmin, fmax;
    const char *pattern;
    const char *const *values;
    const struct field *fields;
};

/* clang-format off */
#define F_REQ true
#define F_OPT false
#define F_INT(n, req, lo, hi) {.name = (n), .type = FIELD_INT, .required = (req), .min = (lo), .max = (hi)}
#define F_ID(n) F_INT(n, F_REQ, 1, INT64_MAX)
#define F_NUM(n, req, lo, hi) {.name = (n), .type = FIELD_NUM, .required = (req), .fmin = (lo), .fmax = (hi)}
#define F_STR(n, req, lo, hi, pat) \
    {.name = (n), .type = FIELD_STR, .required = (req), .min = (lo), .max = (hi), .pattern = (pat)}
#define F_ENUM(n, req, vals) {.name = (n), .type = FIELD_ENUM, .required = (req), .values = (vals)}
#define F_BOOL(n, req) {.name = (n), .type = FIELD_BOOL, .required = (req)}
#define F_OBJ(n, req, flds) {.name = (n), .type = FIELD_OBJECT, .required = (req), .fields = (flds)}
#define F_ARR(n, req, lo, hi) {.name = (n), .type = FIELD_ARRAY, .required = (req), .min = (lo), .max = (hi)}
#define F_MAP(n, req, most, keypat) \
    {.name = (n), .type = FIELD_MAP, .required = (req), .max = (most), .pattern = (keypat)}
#define F_END {.name = NULL}
/* Times are RFC 3339 (2026-11-27T07:30:00Z); PostgreSQL parses them (and refuses 2026-02-30). */
#define TIME_PATTERN \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
/* clang-format on */

struct req;
typedef enum err (*handler_fn)(struct req *r);

struct route {
    enum http_method method;
    const char *path; /* under the app's prefix, e.g. "/v1/services/{id}" */
    handler_fn handler;
    enum role role;
    size_t body_limit;          /* bytes of JSON body taken; 0: the route takes no body */
    const struct field *params; /* path ({name} in path) and query parameters, F_END-ended; may be NULL */
    const struct field *body;   /* members of the JSON object body, F_END-ended; NULL: none declared */
};

/* An app: its name, its URL prefix and its table. */
struct route_table {
    const char *prefix; /* "/api/server" */
    const struct route *routes;
    size_t n;
};

#define ROUTE_MAX_PARAMS 16
#define ROUTE_MAX_SEGMENTS 16

/* The name of one method ("GET"), or of a set of them ("GET, HEAD, POST") written into out. */
const char *route_method_name(enum http_method m);
void route_methods_list(unsigned set, char *out, size_t n);

/* Parses "GET" etc.; returns 0 for a method aifb does not serve. */
enum http_method route_method_parse(const char *s);

/* Matches path (already percent-decoded) against pattern. On a match returns true and stores up to
 * ROUTE_MAX_PARAMS name/value pairs: names point into pattern, values are copies made with copy(ctx,...).
 * A single trailing '/' on path is ignored. */
struct route_capture {
    const char *name;
    size_t name_len;
    const char *value; /* NUL-terminated */
};
bool route_match(const char *pattern, const char *path, struct route_capture *caps, size_t *ncaps, char *scratch,
                 size_t scratch_len);

/* Looks up path and method in t. Returns the index of the route, or -1 with *allowed set to the
 * methods the path takes (0: no such path). HEAD finds a GET route. */
int route_find(const struct route_table *t, const char *path, enum http_method m, unsigned *allowed);

/* Checks a table at start-up: each {param} declared, patterns compile, no duplicates. Returns 0, or
 * -1 with a message in errbuf: a programmer error, so the program refuses to start. */
int route_table_check(const struct route_table *t, char *errbuf, size_t errlen);

#endif
