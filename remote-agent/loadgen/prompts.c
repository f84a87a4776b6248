/* prompts: loading a run's prompts once, before it starts: inline, JSONL, ShareGPT or random. Files
 * are opened only when their real path lies inside the real datasets folder. Random prompts are
 * words of three lowercase letters separated by single spaces: n words are 4n - 1 bytes, so the
 * 4-bytes-per-token estimate (and aifb-simllm) counts exactly n tokens, and each common English word
 * chosen (with its leading space) is also one token for the usual BPE tokenizers. */
#include "prompts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrival.h"

#define RANDOM_PROMPTS 1024                   /* distinct random prompts at most, used in turn */
#define RANDOM_BYTES_MAX (256u * 1024 * 1024) /* of all random prompts together */
#define RANDOM_SEED_SALT 0x70726f6d707473ULL  /* "prompts": not the arrivals' stream of the same seed */

/* 64 words (a draw takes 6 bits), each one token with its leading space for GPT-2, Llama and Qwen. */
static const char words[64][4] = {
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
    "day", "get", "has", "him", "his", "how", "man", "new", "now", "old", "see", "two", "way", "who", "boy", "did",
    "its", "let", "put", "say", "she", "too", "use", "dad", "mom", "big", "run", "red", "sun", "sea", "cat", "dog",
    "car", "bus", "box", "cup", "end", "eye", "far", "few", "fun", "god", "hot", "job", "key", "law", "low", "map",
};

static enum err refuse(struct arena *a, const char **detail, const char *field, const char *why)
{
    *detail = arena_printf(a, "field=workload.prompts.%s: %s", field, why);
    return ERR_INVALID_INPUT;
}

/* A parser's message for a detail: printable ASCII only, as a dataset may hold anything. */
static const char *printable(struct arena *a, const char *s)
{
    char *out = arena_strndup(a, s, strnlen(s, 160)); /* arena_strndup copies n bytes, NUL or not */
    for (char *p = out; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    return out;
}

static int64_t tokens_of(size_t bytes)
{
    return (int64_t)((bytes + 3) / 4);
}

/* The prompts grow in the arena, doubling; a file's count is only known at its end. */
static enum err add(struct arena *a, struct prompt_set *s, size_t *cap, const char *text, size_t len,
                    int64_t max_tokens, const char **detail)
{
    if (s->n == WORKLOAD_MAX_PROMPTS)
        return refuse(a, detail, "path", "more than 1000000 prompts");
    if (s->n == *cap) {
        size_t grown = *cap ? *cap * 2 : 64;
        struct prompt *items = arena_calloc(a, grown, sizeof(*items));
        if (s->n)
            memcpy(items, s->items, s->n * sizeof(*items));
        s->items = items;
        *cap = grown;
    }
    s->items[s->n++] = (struct prompt){
        .text = arena_strndup(a, text, len), .len = len, .tokens = tokens_of(len), .max_tokens = max_tokens};
    return ERR_OK;
}

static enum err load_inline(struct arena *a, const struct wl_prompts *p, struct prompt_set *out, const char **detail)
{
    size_t cap = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        enum err e = add(a, out, &cap, p->items[i], strlen(p->items[i]), 0, detail);
        if (e)
            return e;
    }
    return out->n ? ERR_OK : refuse(a, detail, "items", "no prompt");
}

/* True when path lies strictly inside dir (both real paths). */
static bool inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1) /* the root folder holds everything */
        return path[1] != '\0';
    return strncmp(dir, path, n) == 0 && path[n] == '/';
}

/* Opens datasets/path for reading: its real path must lie inside the real datasets folder (so no
 * link leads out), it must be a regular file of at most PROMPTS_FILE_MAX bytes. Details never hold
 * the server's paths, only the workload's relative one. */
static enum err open_dataset(struct arena *a, const char *datasets, const char *path, FILE **out, const char **detail)
{
    char root[PATH_MAX], real[PATH_MAX];
    if (!datasets || !realpath(datasets, root))
        return refuse(a, detail, "path", "the datasets folder cannot be read");
    if (!realpath(arena_printf(a, "%s/%s", root, path), real))
        return refuse(a, detail, "path", arena_printf(a, "%s: %s", path, strerror(errno)));
    if (!inside(root, real))
        return refuse(a, detail, "path", arena_printf(a, "%s: lies outside the datasets folder", path));
    /* O_NOFOLLOW: a link put in its place since realpath is refused; O_NONBLOCK: a FIFO cannot hang us */
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return refuse(a, detail, "path", arena_printf(a, "%s: %s", path, strerror(errno)));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)PROMPTS_FILE_MAX) {
        close(fd);
        return refuse(a, detail, "path",
                      arena_printf(a, "%s: not a regular file of at most %u bytes", path, PROMPTS_FILE_MAX));
    }
    *out = fdopen(fd, "r");
    if (!*out) {
        close(fd);
        return refuse(a, detail, "path", arena_printf(a, "%s: %s", path, strerror(errno)));
    }
    return ERR_OK;
}

/* Steps over a UTF-8 byte order mark, which editors on some systems write and JSON does not take. */
static void skip_bom(FILE *f)
{
    unsigned char b[3];
    if (fread(b, 1, 3, f) != 3 || memcmp(b, "\xef\xbb\xbf", 3) != 0)
        rewind(f);
}

static void decref(void *j)
{
    json_decref(j);
}

/* One JSONL line: an object whose member `field` is a non-empty string. */
static enum err jsonl_line(struct arena *a, const char *field, const char *line, size_t len, size_t lineno,
                           struct prompt_set *out, size_t *cap, const char **detail)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return refuse(a, detail, "path", arena_printf(a, "line %zu: %s", lineno, printable(a, jerr.text)));
    /* freed at once, not by the arena: a file may hold a million lines and add() copies the text */
    const json_t *v = json_object_get(obj, field);
    enum err e;
    if (!json_is_object(obj) || !json_is_string(v) || json_string_length(v) == 0)
        e = refuse(a, detail, "path",
                   arena_printf(a, "line %zu: not an object with a non-empty string member \"%s\"", lineno,
                                printable(a, field)));
    else
        e = add(a, out, cap, json_string_value(v), json_string_length(v), 0, detail);
    json_decref(obj);
    return e;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static enum err load_jsonl(struct arena *a, const struct wl_prompts *p, FILE *f, struct prompt_set *out,
                           const char **detail)
{
    char *line = NULL;
    size_t linecap = 0, cap = 0, lineno = 0;
    ssize_t len;
    enum err e = ERR_OK;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        if (blank(line, (size_t)len))
            continue;
        e = jsonl_line(a, p->field ? p->field : "prompt", line, (size_t)len, lineno, out, &cap, detail);
        if (e)
            goto out;
    }
    if (ferror(f)) {
        e = refuse(a, detail, "path", arena_printf(a, "%s: read error", p->path));
        goto out;
    }
    if (out->n == 0)
        e = refuse(a, detail, "path", arena_printf(a, "%s: no prompt", p->path));
out:
    free(line);
    return e;
}

/* The value of the first turn from `who` at or after index *i in a conversation (NULL: none). */
static const json_t *turn(const json_t *conv, const char *who, size_t *i)
{
    for (; *i < json_array_size(conv); (*i)++) {
        const json_t *t = json_array_get(conv, *i), *v = json_object_get(t, "value");
        if (json_is_string(json_object_get(t, "from")) &&
            strcmp(json_string_value(json_object_get(t, "from")), who) == 0)
            return json_is_string(v) ? v : NULL;
    }
    return NULL;
}

/* One ShareGPT entry: its first human turn, and the gpt reply after it for max_tokens (0 without
 * one: the workload's). Entries without a usable human turn are skipped. */
static enum err sharegpt_entry(struct arena *a, const json_t *entry, struct prompt_set *out, size_t *cap,
                               const char **detail)
{
    const json_t *conv = json_object_get(entry, "conversations");
    size_t i = 0;
    const json_t *human = json_is_array(conv) ? turn(conv, "human", &i) : NULL;
    if (!human || json_string_length(human) == 0)
        return ERR_OK;
    i++;
    const json_t *reply = turn(conv, "gpt", &i);
    int64_t max_tokens = reply ? tokens_of(json_string_length(reply)) : 0;
    if (reply && max_tokens < 1)
        max_tokens = 1;
    if (max_tokens > WORKLOAD_MAX_TOKENS)
        max_tokens = WORKLOAD_MAX_TOKENS;
    return add(a, out, cap, json_string_value(human), json_string_length(human), max_tokens, detail);
}

static enum err load_sharegpt(struct arena *a, const struct wl_prompts *p, FILE *f, struct prompt_set *out,
                              const char **detail)
{
    json_error_t jerr;
    json_t *doc = json_loadf(f, 0, &jerr);
    if (!doc)
        return refuse(a, detail, "path", arena_printf(a, "line %d: %s", jerr.line, printable(a, jerr.text)));
    arena_defer(a, decref, doc);
    if (!json_is_array(doc))
        return refuse(a, detail, "path", arena_printf(a, "%s: not a JSON array of conversations", p->path));
    size_t i, cap = 0;
    const json_t *entry;
    json_array_foreach(doc, i, entry)
    {
        enum err e = sharegpt_entry(a, entry, out, &cap, detail);
        if (e)
            return e;
    }
    if (out->n == 0)
        return refuse(a, detail, "path", arena_printf(a, "%s: no conversation with a human turn", p->path));
    return ERR_OK;
}

/* An integer uniform in len * [1 - r, 1 + r], as vllm's random dataset draws it; at least 1. */
static int64_t draw_len(struct rng *r, int64_t len, double ratio)
{
    int64_t lo = (int64_t)((double)len * (1.0 - ratio)), hi = (int64_t)((double)len * (1.0 + ratio));
    int64_t x = lo + (int64_t)(rng_uniform(r) * (double)(hi - lo + 1));
    return x < 1 ? 1 : x;
}

static void random_text(struct rng *r, char *text, int64_t tokens)
{
    for (int64_t k = 0; k < tokens; k++) {
        memcpy(text + 4 * k, words[rng_next(r) >> 58], 3);
        text[4 * k + 3] = ' ';
    }
    text[4 * tokens - 1] = '\0';
}

static enum err load_random(struct arena *a, const struct workload *w, struct prompt_set *out)
{
    const struct wl_prompts *p = &w->prompts;
    struct rng r;
    rng_seed(&r, w->seed ^ RANDOM_SEED_SALT);
    /* as many as the run sends, up to RANDOM_PROMPTS, and fewer when they are long */
    double longest = 4.0 * (double)p->input_len * (1.0 + p->range_ratio) + 4;
    size_t n = (size_t)fmax(1.0, fmin(RANDOM_PROMPTS, floor(RANDOM_BYTES_MAX / longest)));
    if (w->requests > 0 && (uint64_t)w->requests < n)
        n = (size_t)w->requests;
    out->items = arena_calloc(a, n, sizeof(*out->items));
    for (size_t i = 0; i < n; i++) {
        struct prompt *pr = &out->items[i];
        pr->tokens = draw_len(&r, p->input_len, p->range_ratio);
        pr->max_tokens = p->output_len > 0 ? draw_len(&r, p->output_len, p->range_ratio) : 0;
        if (pr->max_tokens > WORKLOAD_MAX_TOKENS)
            pr->max_tokens = WORKLOAD_MAX_TOKENS;
        char *text = arena_alloc(a, (size_t)(4 * pr->tokens));
        random_text(&r, text, pr->tokens);
        pr->text = text;
        pr->len = (size_t)(4 * pr->tokens - 1);
    }
    out->n = n;
    return ERR_OK;
}

enum err prompts_load(struct arena *a, const struct workload *w, const char *datasets, struct prompt_set *out,
                      const char **detail)
{
    const struct wl_prompts *p = &w->prompts;
    *out = (struct prompt_set){0};
    if (p->source == WL_INLINE)
        return load_inline(a, p, out, detail);
    if (p->source == WL_RANDOM)
        return p->input_len > 0 ? load_random(a, w, out) : refuse(a, detail, "input_len", "must be > 0");
    if (!p->path || !*p->path)
        return refuse(a, detail, "path", "is required");
    FILE *f;
    enum err e = open_dataset(a, datasets, p->path, &f, detail);
    if (e)
        return e;
    skip_bom(f);
    e = p->source == WL_JSONL ? load_jsonl(a, p, f, out, detail) : load_sharegpt(a, p, f, out, detail);
    fclose(f);
    if (e)
        *out = (struct prompt_set){0};
    return e;
}

const struct prompt *prompts_get(const struct prompt_set *s, uint64_t i)
{
    return s->n ? &s->items[i % s->n] : NULL;
}
