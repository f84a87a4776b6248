/* input: validators of declared inputs (route.h's struct field) for path and query parameters
 * and JSON bodies. Pure: they read their arguments and return a verdict; the detail they give
 * names the field ("field=limit: must be an integer in [1, 1000]") and is allocated in the arena. */
#ifndef AIFB_INPUT_H
#define AIFB_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "route.h"

/* A validated path or query parameter. */
struct param {
    const char *name;
    const char *raw; /* as received, decoded; NULL when absent */
    int64_t i;       /* FIELD_INT */
    double d;        /* FIELD_NUM */
    bool b;          /* FIELD_BOOL */
};

/* One name=value pair of a query string, percent-decoded. */
struct query_pair {
    const char *name;
    const char *value;
};

/* Checks raw against f and fills p. Returns ERR_OK or ERR_INVALID_INPUT with *detail set. */
enum err input_scalar(const struct field *f, const char *raw, struct param *p, struct arena *a, const char **detail);

/* Checks obj (a JSON object) against fields: types, ranges, required members, no unknown members.
 * prefix names the enclosing field for details ("" at the top). Returns ERR_OK or ERR_INVALID_INPUT. */
enum err input_object(const struct field *fields, const json_t *obj, const char *prefix, struct arena *a,
                      const char **detail);

/* Splits and decodes a query string (without '?'). A bad escape, a NUL byte, an empty name or a
 * repeated name is ERR_INVALID_INPUT. *pairs is allocated in a. */
enum err input_query(const char *qs, struct arena *a, struct query_pair **pairs, size_t *n, const char **detail);

/* True when pattern compiles as a POSIX extended regex (matched against whole values). */
bool input_pattern_valid(const char *pattern);

/* Decodes %XX and '+' in place. Returns 0, or -1 on a bad escape or an encoded NUL. */
int input_pct_decode(char *s);

#endif
