/* recipe: the service recipes, one JSON file each (remote-agent/recipes/<name>.json, installed into
 * PREFIX/share/aifb/recipes): loading one and refusing a malformed declaration, its parameters as
 * `struct field`s for input_object, the request's values with defaults filled in, and the
 * description that the `recipes` verb prints. The format is documented in remote-agent/README.md. */
#ifndef AIFB_RECIPE_H
#define AIFB_RECIPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "route.h"

/* A recipe name as requests give it (POSIX ERE, whole value). */
#define RECIPE_NAME_PATTERN "[a-z0-9][a-z0-9_-]{0,63}"
#define RECIPE_MAX_PARAMS 64
/* A string parameter's length at most (the loadgen recipe takes a whole workload as one string). */
#define RECIPE_STRING_MAX 1000000
#define RECIPE_MAX_GPU_FACTORS 4

enum recipe_type { RECIPE_STRING, RECIPE_INTEGER, RECIPE_NUMBER, RECIPE_BOOLEAN, RECIPE_ENUM, RECIPE_ARRAY };

struct recipe_param {
    const char *name;
    enum recipe_type type;
    bool required;            /* no default and no default_from */
    json_t *def;              /* the declared default (json null: optional without a value); NULL: none */
    const char *default_from; /* the parameter whose value is this one's default; NULL: none */
    struct field item;        /* arrays: what each element must be (a string) */
};

struct recipe {
    const char *name;
    const char *description;
    const char *kind; /* "llm" or "vector-db" */
    struct recipe_param *params;
    size_t nparams;
    struct field *fields;                            /* the parameters for input_object, F_END-ended */
    const char *gpu_factors[RECIPE_MAX_GPU_FACTORS]; /* integer parameters whose product is the GPU count */
    size_t ngpu_factors;                             /* 0: the recipe takes no GPUs */
    const char *cpus_param;                          /* integer parameter giving --cpus-per-task; NULL: none */
    const char *mem_param;                           /* string parameter giving --mem; NULL: none */
    const char **script;                             /* the lines, with {{name}} placeholders */
    size_t nlines;
    const json_t *doc; /* the declaration as read */
};

/* Checks a recipe's declaration doc (the parsed file) named name, and builds it in *out (arena-owned;
 * doc must outlive it). Returns ERR_OK or ERR_RECIPE_INVALID with a *detail naming the problem. */
enum err recipe_parse(struct arena *a, const json_t *doc, const char *name, struct recipe **out, const char **detail);

/* True when s is a recipe name (RECIPE_NAME_PATTERN): also one path component, never "." or "..". */
bool recipe_name_ok(const char *s);

/* Loads dir/<name>.json. Returns ERR_OK; ERR_RECIPE_NOT_FOUND when name is not a valid recipe name or
 * there is no such file; ERR_RECIPE_INVALID when the file is unreadable, over 256 KiB or malformed. */
enum err recipe_load(struct arena *a, const char *dir, const char *name, struct recipe **out, const char **detail);

/* Loads every <name>.json of dir, sorted by name, into *out (an arena array of n). Returns ERR_OK
 * (no folder: none), or the first recipe's error. */
enum err recipe_load_all(struct arena *a, const char *dir, struct recipe ***out, size_t *n, const char **detail);

/* Checks a request's params object (NULL: {}) against r: types, ranges, patterns, required and
 * unknown members, array elements. Returns ERR_OK with *values (arena-owned) holding every parameter,
 * defaults filled in (json null where a parameter has no value), or ERR_INVALID_INPUT with *detail
 * "field=params.<name>: ...". */
enum err recipe_values(struct arena *a, const struct recipe *r, const json_t *params, json_t **values,
                       const char **detail);

/* The GPUs a job of r needs with these values: the product of its GPU factors, 0 when it has none. */
int64_t recipe_gpus(const struct recipe *r, const json_t *values);

/* {"name","description","kind","gpus":bool,"params":{name:{declaration..., "required":bool}}}: a new
 * reference the caller owns. */
json_t *recipe_describe(const struct recipe *r);

#endif
