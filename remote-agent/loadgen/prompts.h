/* prompts: the prompts a run sends, loaded once before the run starts: inline ones from the
 * workload, a JSONL file (one object per line, the prompt in a chosen member), a ShareGPT-format
 * JSON file (the first human turn of each conversation; the reply's estimated tokens become that
 * prompt's max_tokens, as vllm bench serve does), or random prompts of set token lengths. Files are
 * named relative to the datasets folder and must resolve inside it (no "..", no link out of it).
 * Prompts are used in order and wrap around; random ones are drawn from the seed. */
#ifndef AIFB_LOADGEN_PROMPTS_H
#define AIFB_LOADGEN_PROMPTS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "workload.h"

#define PROMPTS_FILE_MAX (1u << 30) /* bytes of a dataset file read at most */

struct prompt {
    const char *text;
    size_t len;
    int64_t tokens;     /* estimated prompt tokens: ceil(bytes / 4) (or the random length) */
    int64_t max_tokens; /* for this prompt; 0: the workload's */
};

struct prompt_set {
    struct prompt *items;
    size_t n;
};

/* Loads the prompts of w->prompts (datasets: the folder files are relative to). A missing,
 * unreadable, over-large or malformed file, a line that is not an object with the member, a file
 * with no usable prompt: ERR_INVALID_INPUT with *detail naming "field=workload.prompts.path: line 3:
 * ..." (or .field). Everything lives in the arena. */
enum err prompts_load(struct arena *a, const struct workload *w, const char *datasets, struct prompt_set *out,
                      const char **detail);

/* The i-th prompt of a run (wraps around). */
const struct prompt *prompts_get(const struct prompt_set *s, uint64_t i);

#endif
