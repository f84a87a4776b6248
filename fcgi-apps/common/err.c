/* err: tables generated from err.def. */
#include "err.h"

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
