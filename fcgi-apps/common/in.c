/* in: typed reads of a request's validated inputs by key, and the start-up check that ties the
 * route tables' declared names to the keys. */
#include "in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "out.h"

static const char *const names[K_COUNT] = {
    [K_NONE] = "",
#define IN_KEY(n) [K_##n] = #n,
#include "in_keys.def"
#undef IN_KEY
};

#define T(x) (1u << (x))

const char *in_name(enum in_key k)
{
    return k > K_NONE && k < K_COUNT ? names[k] : "(no key)";
}

/* The slot of k, which must be declared with one of types: else a programmer's error, loud. */
static const struct slot *slot_of(const struct inputs *in, enum in_key k, unsigned types)
{
    const struct slot *s = in ? input_find(in, in_name(k)) : NULL;
    if (!s) {
        log_error("programmer error: %s reads input \"%s\", which it does not declare", in ? in->where : "(no route)",
                  in_name(k));
        abort();
    }
    if (!(types & T(s->decl->type))) {
        log_error("programmer error: %s reads input \"%s\" as another type than it declares", in->where, in_name(k));
        abort();
    }
    return s;
}

#define ANY                                                                                                            \
    (T(FIELD_INT) | T(FIELD_NUM) | T(FIELD_STR) | T(FIELD_ENUM) | T(FIELD_BOOL) | T(FIELD_OBJECT) | T(FIELD_ARRAY) |   \
     T(FIELD_MAP))

bool in_has(const struct inputs *in, enum in_key k)
{
    return slot_of(in, k, ANY)->set;
}

const char *in_str(const struct inputs *in, enum in_key k)
{
    const struct slot *s = slot_of(in, k, T(FIELD_STR) | T(FIELD_ENUM));
    return s->set ? s->raw : NULL;
}

int64_t in_int(const struct inputs *in, enum in_key k, int64_t def)
{
    const struct slot *s = slot_of(in, k, T(FIELD_INT));
    return s->set ? s->i : def;
}

double in_num(const struct inputs *in, enum in_key k, double def)
{
    const struct slot *s = slot_of(in, k, T(FIELD_NUM) | T(FIELD_INT));
    return s->set ? s->d : def;
}

bool in_bool(const struct inputs *in, enum in_key k, bool def)
{
    const struct slot *s = slot_of(in, k, T(FIELD_BOOL));
    return s->set ? s->b : def;
}

const json_t *in_json(const struct inputs *in, enum in_key k)
{
    return slot_of(in, k, ANY)->json;
}

const struct inputs *in_obj(const struct inputs *in, enum in_key k)
{
    const struct slot *s = slot_of(in, k, T(FIELD_OBJECT));
    if (!s->obj) {
        log_error("programmer error: %s reads object \"%s\" by member, but declares no members", in->where, in_name(k));
        abort();
    }
    return s->obj;
}

const char *in_text(const struct inputs *in, enum in_key k)
{
    const struct slot *s = slot_of(in, k, ANY);
    if (!s->set)
        return NULL;
    if (s->decl->type == FIELD_INT)
        return arena_i64(in->arena, s->i);
    if (!s->json || json_is_string(s->json))
        return s->raw;
    return out_text(in->arena, s->json, JSON_COMPACT | JSON_ENCODE_ANY);
}

const char *in_int_text(const struct inputs *in, enum in_key k, int64_t def)
{
    return arena_i64(in->arena, in_int(in, k, def));
}

/* Every name in fields, and in its objects' fields, is a key. */
static int check_fields(const struct field *fields, const char *path, char *errbuf, size_t errlen)
{
    for (const struct field *f = fields; f && f->name; f++) {
        size_t k = K_NONE + 1;
        while (k < K_COUNT && strcmp(names[k], f->name) != 0)
            k++;
        if (k == K_COUNT) {
            snprintf(errbuf, errlen, "%s declares input \"%s\", which fcgi-apps/common/in_keys.def lacks", path,
                     f->name);
            return -1;
        }
        if (f->type == FIELD_OBJECT && check_fields(f->fields, path, errbuf, errlen) < 0)
            return -1;
    }
    return 0;
}

int in_check_table(const struct route_table *t, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct route *rt = &t->routes[i];
        if (check_fields(rt->params, rt->path, errbuf, errlen) < 0 ||
            check_fields(rt->body, rt->path, errbuf, errlen) < 0)
            return -1;
        for (const struct field *p = rt->params; p && p->name; p++)
            for (const struct field *b = rt->body; b && b->name; b++)
                if (strcmp(p->name, b->name) == 0) {
                    snprintf(errbuf, errlen, "%s declares \"%s\" both as a parameter and as a body member", rt->path,
                             p->name);
                    return -1;
                }
    }
    return 0;
}
