/* recipe: loading, checking and describing recipes, and a request's values against one. */
#include "recipe.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "render.h"

#define RECIPE_FILE_MAX (256 * 1024)
#define RECIPE_MAX_LINES 2000
#define STRING_MAX_DEFAULT 1024
#define ARRAY_MAX_DEFAULT 64

static void decref(void *j)
{
    json_decref(j);
}

static json_t *keep(struct arena *a, json_t *j)
{
    if (j)
        arena_defer(a, decref, j);
    return j;
}

/* input.c caches compiled patterns by their address: a pattern read from a file gets one address for
 * the life of the process, so that a later one at a reused address can never hit a stale entry. */
static const char *intern(const char *pattern)
{
    static char *table[256];
    static size_t n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i], pattern) == 0)
            return table[i];
    if (n == sizeof(table) / sizeof(table[0]))
        return NULL;
    table[n] = strdup(pattern);
    if (!table[n])
        return NULL;
    return table[n++];
}

static enum err invalid(struct arena *a, const char **detail, const char *recipe, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum err invalid(struct arena *a, const char **detail, const char *recipe, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *why = arena_vprintf(a, fmt, ap);
    va_end(ap);
    *detail = arena_printf(a, "recipe %.64s: %s", recipe, why);
    return ERR_RECIPE_INVALID;
}

static const char *const type_names[] = {"string", "integer", "number", "boolean", "enum", "array", NULL};
static const char *const item_types[] = {"string", NULL};
static const struct field item_decl[] = {
    F_ENUM("type", F_OPT, item_types),
    F_STR("pattern", F_OPT, 1, 1024, NULL),
    F_INT("max", F_OPT, 1, 65536),
    F_END,
};
static const struct field decl_fields[] = {
    F_ENUM("type", F_REQ, type_names),
    F_STR("description", F_REQ, 1, 1024, NULL),
    F_NUM("min", F_OPT, -DBL_MAX, DBL_MAX),
    F_NUM("max", F_OPT, -DBL_MAX, DBL_MAX),
    F_STR("pattern", F_OPT, 1, 1024, NULL),
    F_ARR("enum", F_OPT, 1, 256),
    F_OBJ("items", F_OPT, item_decl),
    F_STR("default_from", F_OPT, 1, 64, NULL),
    F_END,
};

/* Which optional keys of a declaration apply to which type. */
static bool key_applies(enum recipe_type t, const char *key)
{
    if (strcmp(key, "min") == 0 || strcmp(key, "max") == 0)
        return t == RECIPE_STRING || t == RECIPE_INTEGER || t == RECIPE_NUMBER || t == RECIPE_ARRAY;
    if (strcmp(key, "pattern") == 0)
        return t == RECIPE_STRING;
    if (strcmp(key, "enum") == 0)
        return t == RECIPE_ENUM;
    if (strcmp(key, "items") == 0)
        return t == RECIPE_ARRAY;
    return true;
}

/* An integer bound: absent gives def; present must be a JSON integer. */
static int int_bound(const json_t *decl, const char *key, int64_t def, int64_t *out)
{
    const json_t *v = json_object_get(decl, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static const char *const *enum_values(struct arena *a, const json_t *arr)
{
    const char **v = arena_calloc(a, json_array_size(arr) + 1, sizeof(*v));
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 256 ||
            strlen(json_string_value(s)) != json_string_length(s))
            return NULL;
        v[i] = json_string_value(s);
    }
    return v;
}

/* A string's pattern: must compile; interned. NULL pattern stays NULL. */
static int pattern_of(const json_t *decl, const char *key, const char **out)
{
    const char *p = json_string_value(json_object_get(decl, key));
    *out = NULL;
    if (!p)
        return 0;
    if (!input_pattern_valid(p))
        return -1;
    *out = intern(p);
    return *out ? 0 : -1;
}

/* -1, with *why set to what. */
static int decl_fail(const char **why, const char *what)
{
    *why = what;
    return -1;
}

/* The field of one parameter from its declaration. Returns 0, or -1 with *why set. */
static int field_build(struct arena *a, const json_t *decl, struct recipe_param *p, struct field *f, const char **why)
{
    int64_t lo, hi;
    f->name = p->name;
    switch (p->type) {
    case RECIPE_INTEGER:
        f->type = FIELD_INT;
        if (int_bound(decl, "min", INT64_MIN, &f->min) < 0 || int_bound(decl, "max", INT64_MAX, &f->max) < 0)
            return decl_fail(why, "min and max of an integer must be integers");
        break;
    case RECIPE_NUMBER:
        f->type = FIELD_NUM;
        f->fmin = json_object_get(decl, "min") ? json_number_value(json_object_get(decl, "min")) : -DBL_MAX;
        f->fmax = json_object_get(decl, "max") ? json_number_value(json_object_get(decl, "max")) : DBL_MAX;
        if (f->fmin > f->fmax)
            return decl_fail(why, "min is above max");
        return 0;
    case RECIPE_STRING:
        f->type = FIELD_STR;
        if (int_bound(decl, "min", 0, &f->min) < 0 || int_bound(decl, "max", STRING_MAX_DEFAULT, &f->max) < 0 ||
            f->min < 0 || f->max < 1 || f->max > RECIPE_STRING_MAX)
            return decl_fail(why, "min and max of a string are lengths in [0, 1000000], max at least 1");
        if (pattern_of(decl, "pattern", &f->pattern) < 0)
            return decl_fail(why, "pattern is not a valid POSIX extended regular expression");
        break;
    case RECIPE_BOOLEAN:
        f->type = FIELD_BOOL;
        return 0;
    case RECIPE_ENUM:
        f->type = FIELD_ENUM;
        f->values = json_object_get(decl, "enum") ? enum_values(a, json_object_get(decl, "enum")) : NULL;
        if (!f->values)
            return decl_fail(why, "an enum needs \"enum\": a list of non-empty strings");
        return 0;
    case RECIPE_ARRAY:
        f->type = FIELD_ARRAY;
        if (int_bound(decl, "min", 0, &f->min) < 0 || int_bound(decl, "max", ARRAY_MAX_DEFAULT, &f->max) < 0 ||
            f->min < 0 || f->max < 1 || f->max > 1024)
            return decl_fail(why, "min and max of an array are element counts in [0, 1024], max at least 1");
        const json_t *items = json_object_get(decl, "items");
        if (int_bound(items, "max", STRING_MAX_DEFAULT, &hi) < 0 || pattern_of(items, "pattern", &p->item.pattern) < 0)
            return decl_fail(why, "items.pattern is not a valid POSIX extended regular expression");
        p->item = (struct field)F_STR(p->name, F_REQ, 0, hi, p->item.pattern);
        break;
    }
    lo = f->min;
    hi = f->max;
    return lo > hi ? decl_fail(why, "min is above max") : 0;
}

/* One parameter's declaration: keys and their types, then the field. */
static enum err decl_parse(struct arena *a, const char *recipe, const char *name, json_t *decl, struct recipe_param *p,
                           struct field *f, const char **detail)
{
    const char *prefix = arena_printf(a, "params.%s", name), *why, *key;
    if (!render_name_ok(name, strlen(name)) || strlen(name) > 32 || render_builtin(name))
        return invalid(a, detail, recipe, "%s: names are [a-z_][a-z0-9_]*, at most 32 bytes, not a built-in", prefix);
    if (!json_is_object(decl))
        return invalid(a, detail, recipe, "%s: must be an object", prefix);
    json_t *copy = keep(a, json_copy(decl));
    json_object_del(copy, "default");
    if (input_object(decl_fields, copy, prefix, a, &why))
        return invalid(a, detail, recipe, "%s", why);
    p->name = name;
    const char *type = json_string_value(json_object_get(decl, "type"));
    for (p->type = RECIPE_STRING; strcmp(type_names[p->type], type) != 0; p->type++)
        ;
    json_t *v;
    json_object_foreach(decl, key, v)
    {
        if (!key_applies(p->type, key))
            return invalid(a, detail, recipe, "%s: \"%s\" does not apply to type %s", prefix, key, type);
    }
    if (field_build(a, decl, p, f, &why) < 0)
        return invalid(a, detail, recipe, "%s: %s", prefix, why);
    p->def = json_object_get(decl, "default");
    p->default_from = json_string_value(json_object_get(decl, "default_from"));
    if (p->def && p->default_from)
        return invalid(a, detail, recipe, "%s: has both default and default_from", prefix);
    p->required = !p->def && !p->default_from;
    f->required = p->required;
    return ERR_OK;
}

static const struct recipe_param *find_param(const struct recipe *r, const char *name, size_t *index)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0) {
            if (index)
                *index = i;
            return &r->params[i];
        }
    return NULL;
}

/* The elements of an array value: each a string without NUL bytes that passes p->item. */
static enum err check_items(struct arena *a, const struct recipe_param *p, const json_t *arr, const char *prefix,
                            const char **detail)
{
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        struct field f = p->item;
        struct slot out;
        f.name = arena_printf(a, "%s%s%s[%zu]", prefix, *prefix ? "." : "", p->name, i);
        if (!json_is_string(s)) {
            *detail = arena_printf(a, "field=%s: must be a string", f.name);
            return ERR_INVALID_INPUT;
        }
        if (strlen(json_string_value(s)) != json_string_length(s)) {
            *detail = arena_printf(a, "field=%s: must not contain NUL bytes", f.name);
            return ERR_INVALID_INPUT;
        }
        enum err e = input_scalar(&f, json_string_value(s), &out, a, detail);
        if (e)
            return e;
    }
    return ERR_OK;
}

/* Every default passes its own declaration; default_from names another parameter of the same type. */
static enum err defaults_check(struct arena *a, const struct recipe *r, const char **detail)
{
    for (size_t i = 0; i < r->nparams; i++) {
        const struct recipe_param *p = &r->params[i];
        const char *why;
        if (p->default_from) {
            const struct recipe_param *t = find_param(r, p->default_from, NULL);
            if (!t || t == p || t->type != p->type || t->default_from)
                return invalid(a, detail, r->name,
                               "params.%s: default_from must name another parameter of the "
                               "same type that has no default_from",
                               p->name);
            continue;
        }
        if (!p->def || json_is_null(p->def))
            continue;
        struct field one[2] = {r->fields[i], F_END};
        one[0].required = false;
        json_t *obj = keep(a, json_pack("{sO}", p->name, p->def));
        if (!obj || input_object(one, obj, "params", a, &why) ||
            (p->type == RECIPE_ARRAY && check_items(a, p, p->def, "params", &why)))
            return invalid(a, detail, r->name, "the default of params.%s fails its declaration: %s", p->name,
                           obj ? why : "");
    }
    return ERR_OK;
}

static enum err params_parse(struct arena *a, struct recipe *r, json_t *params, const char **detail)
{
    size_t n = json_object_size(params), i = 0;
    if (n > RECIPE_MAX_PARAMS)
        return invalid(a, detail, r->name, "more than %d params", RECIPE_MAX_PARAMS);
    r->params = arena_calloc(a, n + 1, sizeof(*r->params));
    r->fields = arena_calloc(a, n + 1, sizeof(*r->fields));
    const char *name;
    json_t *decl;
    json_object_foreach(params, name, decl)
    {
        enum err e = decl_parse(a, r->name, name, decl, &r->params[i], &r->fields[i], detail);
        if (e)
            return e;
        i++;
    }
    r->nparams = n;
    r->fields[n] = (struct field)F_END;
    return defaults_check(a, r, detail);
}

/* A parameter named by the sbatch section: must exist with this type (and an integer's min >= lo). */
static const char *sbatch_ref(const struct recipe *r, const json_t *v, enum recipe_type type, int64_t lo)
{
    size_t i;
    const struct recipe_param *p = json_is_string(v) ? find_param(r, json_string_value(v), &i) : NULL;
    if (!p || p->type != type || (type == RECIPE_INTEGER && r->fields[i].min < lo))
        return NULL;
    return p->name;
}

static enum err sbatch_parse(struct arena *a, struct recipe *r, json_t *sb, const char **detail)
{
    const char *key;
    json_t *v;
    json_object_foreach(sb, key, v)
    {
        bool ok = json_is_null(v);
        if (strcmp(key, "gpus_param") == 0 && !ok) {
            const json_t *list = json_is_array(v) ? v : NULL, *item;
            size_t n = list ? json_array_size(list) : 1, i;
            ok = n >= 1 && n <= RECIPE_MAX_GPU_FACTORS;
            for (i = 0; ok && i < n; i++) {
                item = list ? json_array_get(list, i) : v;
                ok = (r->gpu_factors[i] = sbatch_ref(r, item, RECIPE_INTEGER, 0)) != NULL;
            }
            r->ngpu_factors = ok ? n : 0;
        } else if (strcmp(key, "cpus_per_task_param") == 0 && !ok) {
            ok = (r->cpus_param = sbatch_ref(r, v, RECIPE_INTEGER, 1)) != NULL;
        } else if (strcmp(key, "mem_param") == 0 && !ok) {
            ok = (r->mem_param = sbatch_ref(r, v, RECIPE_STRING, 0)) != NULL;
        } else if (strcmp(key, "gpus_param") != 0 && strcmp(key, "cpus_per_task_param") != 0 &&
                   strcmp(key, "mem_param") != 0) {
            return invalid(a, detail, r->name, "sbatch.%s: unknown key", key);
        }
        if (!ok)
            return invalid(a, detail, r->name,
                           "sbatch.%s: must be null or name an integer (gpus: or a list of "
                           "up to %d integers, min >= 0; cpus: min >= 1) or string (mem) parameter",
                           key, RECIPE_MAX_GPU_FACTORS);
    }
    return ERR_OK;
}

struct check_ctx {
    const struct recipe *r;
    const char *unknown;
    struct arena *a;
};

static void check_placeholder(const char *name, size_t len, void *ctx)
{
    struct check_ctx *c = ctx;
    char *s = arena_strndup(c->a, name, len);
    if (!c->unknown && !render_builtin(s) && !find_param(c->r, s, NULL))
        c->unknown = s;
}

static enum err script_parse(struct arena *a, struct recipe *r, const json_t *lines, const char **detail)
{
    size_t i;
    const json_t *l;
    r->nlines = json_array_size(lines);
    if (r->nlines > RECIPE_MAX_LINES)
        return invalid(a, detail, r->name, "script: more than %d lines", RECIPE_MAX_LINES);
    r->script = arena_calloc(a, r->nlines + 1, sizeof(*r->script));
    json_array_foreach(lines, i, l)
    {
        struct check_ctx c = {r, NULL, a};
        const char *bad;
        if (!json_is_string(l) || strlen(json_string_value(l)) != json_string_length(l) ||
            strpbrk(json_string_value(l), "\n\r"))
            return invalid(a, detail, r->name, "script[%zu]: must be one line of text", i);
        if (render_placeholders(json_string_value(l), check_placeholder, &c, &bad) < 0)
            return invalid(a, detail, r->name, "script[%zu]: malformed placeholder at '%.20s'", i, bad);
        if (c.unknown)
            return invalid(a, detail, r->name, "script[%zu]: {{%s}} names no parameter", i, c.unknown);
        r->script[i] = json_string_value(l);
    }
    return ERR_OK;
}

static const char *const kinds[] = {"llm", "vector-db", "loadgen", NULL};
static const struct field top_fields[] = {
    F_STR("name", F_REQ, 1, 64, RECIPE_NAME_PATTERN),
    F_STR("description", F_REQ, 1, 4096, NULL),
    F_ENUM("kind", F_REQ, kinds),
    F_OBJ("params", F_REQ, NULL),
    F_OBJ("sbatch", F_REQ, NULL),
    F_ARR("script", F_REQ, 1, RECIPE_MAX_LINES),
    F_END,
};

enum err recipe_parse(struct arena *a, const json_t *doc, const char *name, struct recipe **out, const char **detail)
{
    const char *why;
    if (!json_is_object(doc))
        return invalid(a, detail, name, "must be a JSON object");
    if (input_object(top_fields, doc, "", a, &why))
        return invalid(a, detail, name, "%s", why);
    struct recipe *r = arena_calloc(a, 1, sizeof(*r));
    r->name = json_string_value(json_object_get(doc, "name"));
    if (strcmp(r->name, name) != 0)
        return invalid(a, detail, name, "field=name: must be the file's name, %s", name);
    r->description = json_string_value(json_object_get(doc, "description"));
    r->kind = json_string_value(json_object_get(doc, "kind"));
    r->doc = doc;
    enum err e = params_parse(a, r, json_object_get(doc, "params"), detail);
    if (e)
        return e;
    e = sbatch_parse(a, r, json_object_get(doc, "sbatch"), detail);
    if (e)
        return e;
    e = script_parse(a, r, json_object_get(doc, "script"), detail);
    if (e)
        return e;
    *out = r;
    return ERR_OK;
}

bool recipe_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64 || s[0] == '-' || s[0] == '_')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum err recipe_load(struct arena *a, const char *dir, const char *name, struct recipe **out, const char **detail)
{
    if (!recipe_name_ok(name)) {
        *detail = arena_printf(a, "recipe=%.64s", name);
        return ERR_RECIPE_NOT_FOUND;
    }
    FILE *f = fopen(arena_printf(a, "%s/%s.json", dir, name), "re");
    struct stat st;
    if (!f) {
        *detail = arena_printf(a, "recipe=%s", name);
        return errno == ENOENT ? ERR_RECIPE_NOT_FOUND : invalid(a, detail, name, "cannot be read: %s", strerror(errno));
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECIPE_FILE_MAX) {
        fclose(f);
        return invalid(a, detail, name, "not a file of at most %d bytes", RECIPE_FILE_MAX);
    }
    json_error_t jerr;
    json_t *doc = keep(a, json_loadf(f, JSON_REJECT_DUPLICATES, &jerr));
    fclose(f);
    if (!doc)
        return invalid(a, detail, name, "line %d: %s", jerr.line, jerr.text);
    return recipe_parse(a, doc, name, out, detail);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

enum err recipe_load_all(struct arena *a, const char *dir, struct recipe ***out, size_t *n, const char **detail)
{
    size_t cap = 0, count = 0;
    const char **names = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char *stem = arena_strndup(a, e->d_name, len - 5);
        if (!recipe_name_ok(stem))
            continue;
        if (count == cap) {
            const char **grown = arena_calloc(a, cap ? cap * 2 : 16, sizeof(*grown));
            if (count)
                memcpy(grown, names, count * sizeof(*names));
            names = grown, cap = cap ? cap * 2 : 16;
        }
        names[count++] = stem;
    }
    if (d)
        closedir(d);
    if (count)
        qsort(names, count, sizeof(*names), by_name);
    *out = arena_calloc(a, count + 1, sizeof(**out));
    *n = count;
    for (size_t i = 0; i < count; i++) {
        enum err err = recipe_load(a, dir, names[i], &(*out)[i], detail);
        if (err)
            return err == ERR_RECIPE_NOT_FOUND ? invalid(a, detail, names[i], "vanished while read") : err;
    }
    return ERR_OK;
}

/* The value of every parameter: given, else its default, else (second pass) its default_from's. */
static json_t *fill(struct arena *a, const struct recipe *r, const json_t *params)
{
    json_t *v = keep(a, json_object());
    for (size_t i = 0; i < r->nparams; i++) {
        const struct recipe_param *p = &r->params[i];
        json_t *given = json_object_get(params, p->name);
        json_t *val = given && !json_is_null(given) ? given : p->def ? p->def : NULL;
        if (val || !p->default_from)
            json_object_set(v, p->name, val ? val : json_null());
    }
    for (size_t i = 0; i < r->nparams; i++)
        if (!json_object_get(v, r->params[i].name))
            json_object_set(v, r->params[i].name, json_object_get(v, r->params[i].default_from));
    return v;
}

enum err recipe_values(struct arena *a, const struct recipe *r, const json_t *params, json_t **values,
                       const char **detail)
{
    if (!params || json_is_null(params))
        params = keep(a, json_object());
    if (!json_is_object(params)) {
        *detail = "field=params: must be an object";
        return ERR_INVALID_INPUT;
    }
    enum err e = input_object(r->fields, params, "params", a, detail);
    if (e)
        return e;
    for (size_t i = 0; i < r->nparams; i++) {
        const json_t *v = json_object_get(params, r->params[i].name);
        if (r->params[i].type != RECIPE_ARRAY || !json_is_array(v))
            continue;
        e = check_items(a, &r->params[i], v, "params", detail);
        if (e)
            return e;
    }
    *values = fill(a, r, params);
    return ERR_OK;
}

int64_t recipe_gpus(const struct recipe *r, const json_t *values)
{
    int64_t n = r->ngpu_factors ? 1 : 0;
    for (size_t i = 0; i < r->ngpu_factors; i++) {
        const json_t *v = json_object_get(values, r->gpu_factors[i]);
        int64_t k = json_is_integer(v) ? json_integer_value(v) : 0;
        n = k <= 0 ? 0 : n > INT32_MAX / k ? INT32_MAX : n * k;
    }
    return n;
}

json_t *recipe_describe(const struct recipe *r)
{
    json_t *params = json_object(), *decls = json_object_get(r->doc, "params");
    for (size_t i = 0; i < r->nparams; i++) {
        json_t *d = json_deep_copy(json_object_get(decls, r->params[i].name));
        json_object_set_new(d, "required", json_boolean(r->params[i].required));
        json_object_set_new(params, r->params[i].name, d);
    }
    return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", r->name, "description", r->description, "kind", r->kind,
                     "gpus", r->ngpu_factors > 0, "params", params);
}
