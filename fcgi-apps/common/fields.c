/* fields: the shared declarations of fields.h. */
#include "fields.h"

const struct field fields_id[] = {F_ID("id"), F_END};
