/* libFuzzer harness for query strings: input_query splits and percent-decodes untrusted bytes from
 * the URL, then each value is checked against a declared integer and pattern, as the dispatcher does. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct field limit = F_INT("limit", F_OPT, 1, 1000);
static const struct field name = F_STR("name", F_OPT, 1, 64, "^[a-z0-9][a-z0-9_-]*$");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(4096);
    char *qs = arena_strndup(a, (const char *)data, size);
    struct query_pair *pairs;
    size_t n;
    const char *detail;
    if (input_query(qs, a, &pairs, &n, &detail) == ERR_OK) {
        for (size_t i = 0; i < n; i++) {
            struct slot p;
            input_scalar(&limit, pairs[i].value, &p, a, &detail);
            input_scalar(&name, pairs[i].value, &p, a, &detail);
        }
    }
    arena_free(a);
    return 0;
}
