/* in: a handler's validated inputs, read by key. The dispatcher fills one slot per input the route
 * declares (lib/input.h); a handler reads them back typed: in_int(r->in, K_limit, 100). Asking for
 * a key the route did not declare, or for the wrong type, is a programmer's error: it is logged and
 * the worker aborts, so that any test that reaches the call fails. */
#ifndef AIFB_IN_H
#define AIFB_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "route.h"

enum in_key {
    K_NONE,
#define IN_KEY(n) K_##n,
#include "in_keys.def"
#undef IN_KEY
    K_COUNT
};

/* The input's name as declared ("limit" for K_limit). */
const char *in_name(enum in_key k);

/* Whether the input was given (a null body member reads as not given). */
bool in_has(const struct inputs *in, enum in_key k);

/* A FIELD_STR or FIELD_ENUM input: its value, or NULL when not given. Owned by the request. */
const char *in_str(const struct inputs *in, enum in_key k);

/* A FIELD_INT input, or def when not given. */
int64_t in_int(const struct inputs *in, enum in_key k, int64_t def);

/* A FIELD_NUM or FIELD_INT input, or def when not given. */
double in_num(const struct inputs *in, enum in_key k, double def);

/* A FIELD_BOOL input, or def when not given. */
bool in_bool(const struct inputs *in, enum in_key k, bool def);

/* A body member of any type as validated, or NULL when not given (or a parameter). Owned by the
 * request's body document. */
const json_t *in_json(const struct inputs *in, enum in_key k);

/* A FIELD_OBJECT declared with fields: the slots of its members, which read as not given when the
 * object is absent. Never NULL. */
const struct inputs *in_obj(const struct inputs *in, enum in_key k);

/* The input as the text of an SQL parameter, in the request's arena: a string as it is, an integer
 * in decimal, a number, boolean, object or array as JSON text. NULL when not given. */
const char *in_text(const struct inputs *in, enum in_key k);

/* An integer input as decimal text, or def's when not given: the text of an SQL parameter. */
const char *in_int_text(const struct inputs *in, enum in_key k, int64_t def);

/* Checks a route table at start-up: every input it declares, at any depth, has a key, and no route
 * declares a name both as a parameter and as a body member. Returns 0, or -1 with a message. */
int in_check_table(const struct route_table *t, char *errbuf, size_t errlen);

#endif
