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

/* A declared input as the validator left it: a path or query parameter, or a member of a JSON
 * body. The typed members hold the value of its declared type; the others are zero. */
struct slot {
    const struct field *decl;
    bool set;           /* given (a null body member reads as absent) */
    const char *raw;    /* a parameter as received, decoded; a body string's value; else NULL */
    int64_t i;          /* FIELD_INT */
    double d;           /* FIELD_NUM, and FIELD_INT's value as a double */
    bool b;             /* FIELD_BOOL */
    const json_t *json; /* a body member: its validated value (owned by the body document) */
    struct inputs *obj; /* a FIELD_OBJECT declared with fields: its members' slots, even when absent */
};

/* The slots of one route's declared inputs (or of one object's members), one per declaration, in
 * order. where names the route or object in the message of a programmer's error. */
struct inputs {
    struct slot *slot;
    size_t n;
    const char *where;
    struct arena *arena;
};

/* One name=value pair of a query string, percent-decoded. */
struct query_pair {
    const char *name;
    const char *value;
};

/* Checks raw against f and fills p. Returns ERR_OK or ERR_INVALID_INPUT with *detail set. */
enum err input_scalar(const struct field *f, const char *raw, struct slot *p, struct arena *a, const char **detail);

/* Checks obj (a JSON object) against fields: types, ranges, required members, no unknown members.
 * prefix names the enclosing field for details ("" at the top). Returns ERR_OK or ERR_INVALID_INPUT. */
enum err input_object(const struct field *fields, const json_t *obj, const char *prefix, struct arena *a,
                      const char **detail);

/* Fills n slots from obj, which input_object has accepted against fields: a slot per declared
 * member, an OBJECT's members (declared with fields) in slots of their own. The slots point into
 * obj, which must outlive them. */
void input_slots_fill(struct slot *slots, const struct field *fields, const json_t *obj, const char *where,
                      struct arena *a);

/* The number of declarations in fields (up to its F_END); 0 for NULL. */
size_t input_count(const struct field *fields);

/* The slot of in declared as name, or NULL when none is. */
const struct slot *input_find(const struct inputs *in, const char *name);

/* Splits and decodes a query string (without '?'). A bad escape, a NUL byte, an empty name or a
 * repeated name is ERR_INVALID_INPUT. *pairs is allocated in a. */
enum err input_query(const char *qs, struct arena *a, struct query_pair **pairs, size_t *n, const char **detail);

/* True when pattern compiles as a POSIX extended regex (matched against whole values). */
bool input_pattern_valid(const char *pattern);

/* Decodes %XX and '+' in place. Returns 0, or -1 on a bad escape or an encoded NUL. */
int input_pct_decode(char *s);

#endif
