/* fields: the inputs many routes share, declared once: a route's {id}, and the paging of lists
 * (newest first, `limit` rows before the id `before_id`). */
#ifndef AIFB_FIELDS_H
#define AIFB_FIELDS_H

#include <stdint.h>

#include "route.h"

/* The parameters of a route whose path ends in {id}, and nothing else. */
extern const struct field fields_id[];

/* clang-format off */
/* The paging members of a list's parameters, inside its F_END-ended array. */
#define F_PAGING F_INT("limit", F_OPT, 1, 1000), F_INT("before_id", F_OPT, 1, INT64_MAX)
/* clang-format on */

#endif
