/* json_unconst: jansson's calls that only read an object (json_object_foreach, the source of
 * json_object_update) take a json_t * for history's sake. json_unconst hands them a const one
 * without a cast that drops the qualifier; nothing is changed through the pointer it gives. */
#ifndef AIFB_JSON_UNCONST_H
#define AIFB_JSON_UNCONST_H

#include <jansson.h>

static inline json_t *json_unconst(const json_t *j)
{
    union {
        const json_t *in;
        json_t *out;
    } u = {j};
    return u.out;
}

#endif
