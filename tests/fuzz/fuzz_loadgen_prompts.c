/* libFuzzer harness for aifb-loadgen's dataset files: the bytes are a file a user put in the
 * datasets folder, loaded through prompts_load as JSONL (member "prompt") and as ShareGPT. A load
 * either gives at least one prompt, each a NUL-free text of its length with the 4-bytes-per-token
 * estimate and a max_tokens in range, or refuses with a detail on workload.prompts.path that is
 * printable ASCII (it goes into a JSON answer). The file lives in a folder made under /tmp. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/loadgen/prompts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], file[96];

/* A fresh folder per input, removed after it: libFuzzer does not run atexit handlers on its way out. */
static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aifb-fuzz-prompts-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(file, sizeof(file), "%s/input", dir);
}

static void remove_dir(void)
{
    unlink(file);
    rmdir(dir);
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

static void check_loaded(const struct prompt_set *s)
{
    if (s->n == 0 || prompts_get(s, s->n) != &s->items[0])
        abort();
    for (size_t i = 0; i < s->n; i++) {
        const struct prompt *p = &s->items[i];
        if (!p->text || p->len == 0 || strlen(p->text) != p->len || p->tokens != (int64_t)(p->len + 3) / 4 ||
            p->max_tokens < 0 || p->max_tokens > WORKLOAD_MAX_TOKENS)
            abort();
    }
}

static void check_refused(const char *detail)
{
    static const char want[] = "field=workload.prompts.path: ";
    if (!detail || strncmp(detail, want, sizeof(want) - 1) != 0)
        abort();
    for (const char *p = detail; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            abort();
}

static void load_as(enum wl_source source)
{
    struct workload w = {.prompts = {.source = source, .path = "input", .field = "prompt"}};
    struct arena *a = arena_new(1 << 16);
    struct prompt_set s;
    const char *detail = NULL;
    if (prompts_load(a, &w, dir, &s, &detail) == ERR_OK)
        check_loaded(&s);
    else
        check_refused(detail);
    arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_dir();
    write_input(data, size);
    load_as(WL_JSONL);
    load_as(WL_SHAREGPT);
    remove_dir();
    return 0;
}
