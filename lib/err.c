/* err: tables generated from err.def. */
#include "err.h"

#include <string.h>

struct err_info {
    int status;
    const char *string;
    const char *hint;
};

static const struct err_info infos[] = {
#define ERR(name, st, str, h) [ERR_##name] = {st, str, h},
#include "err.def"
#undef ERR
};

static const struct err_info *info(enum err e)
{
    if ((unsigned)e >= ERR__COUNT)
        e = ERR_INTERNAL;
    return &infos[e];
}

enum err err_from_string(const char *s)
{
    for (int e = 0; s && e < ERR__COUNT; e++)
        if (strcmp(infos[e].string, s) == 0)
            return (enum err)e;
    return ERR_INTERNAL;
}

int err_status(enum err e)
{
    return info(e)->status;
}

const char *err_string(enum err e)
{
    return info(e)->string;
}

const char *err_hint(enum err e)
{
    return info(e)->hint;
}
