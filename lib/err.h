/* err: the error codes of every aifb program, generated from err.def, and their lookups.
 * Functions return enum err, ERR_OK (0) meaning success. */
#ifndef AIFB_ERR_H
#define AIFB_ERR_H

enum err {
#define ERR(name, status, string, hint) ERR_##name,
#include "err.def"
#undef ERR
    ERR__COUNT
};

/* The HTTP status, stable string and hint of e; an out-of-range e reads as ERR_INTERNAL. */
int err_status(enum err e);
const char *err_string(enum err e);
const char *err_hint(enum err e);

/* The code whose stable string is s (as an agent answers it); ERR_INTERNAL when none is. */
enum err err_from_string(const char *s);

#endif
