/* libFuzzer harness for JSON bodies: the bytes are parsed as the dispatcher parses a body, then
 * validated against a declared shape with every field type, nesting, a map and patterns. */
#include <jansson.h>
#include <stdint.h>

#include "arena.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {"closed", "poisson", "gamma", NULL};
static const struct field inner[] = {
    F_ENUM("kind", F_REQ, kinds),
    F_NUM("rate", F_OPT, 0.001, 1e6),
    F_INT("concurrency", F_OPT, 1, 4096),
    F_END,
};
static const struct field shape[] = {
    F_STR("name", F_REQ, 1, 64, "^[A-Za-z0-9][A-Za-z0-9 ._-]*$"),
    F_INT("id", F_OPT, 1, INT64_MAX),
    F_BOOL("stream", F_OPT),
    F_ARR("prompts", F_OPT, 1, 100),
    F_MAP("labels", F_OPT, 8, "^[a-zA-Z_][a-zA-Z0-9_]*$"),
    F_OBJ("load", F_OPT, inner),
    F_OBJ("extra", F_OPT, NULL),
    F_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return 0;
    if (json_is_object(j)) {
        struct arena *a = arena_new(4096);
        const char *detail;
        input_object(shape, j, "", a, &detail);
        arena_free(a);
    }
    json_decref(j);
    return 0;
}
