/* render: turns a recipe's script lines into the sbatch script, pure text in and text out.
 * Every value substituted for a {{name}} placeholder is a single-quoted shell word (an array gives
 * one quoted word per element), so that no byte of user input is ever read by the shell as syntax.
 * The agent's prologue (strict mode, the job's folder, helper functions, cleanup trap) comes first. */
#ifndef AIFB_RENDER_H
#define AIFB_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* A placeholder's name and the shell text that replaces it (already quoted where it holds data). */
struct render_var {
    const char *name;
    const char *words;
};

/* Appends s (len bytes, any value but NUL) to out as one single-quoted shell word: ' becomes '\''.
 * Returns 0, or -1 when out's cap is reached. */
int render_quote(struct buf *out, const char *s, size_t len);

/* Appends the shell words of a parameter's value: a string, integer, real or boolean as one quoted
 * word, an array of those as quoted words separated by spaces (nothing for an empty array), and null
 * (or NULL) as ''. Reals take their shortest form that reads back exactly. Returns 0, or -1 on a
 * full buffer or a value of another type (an object, or an array holding one). */
int render_value(struct buf *out, const json_t *v);

/* True when name is a valid placeholder name: [a-z_][a-z0-9_]*, at most 64 bytes. */
bool render_name_ok(const char *name, size_t len);

/* Calls fn(name, len, ctx) for each {{name}} placeholder of line, in order. Returns 0, or -1 when a
 * "{{" has no "}}" or holds an invalid name, with *bad (if not NULL) pointing at it. */
int render_placeholders(const char *line, void (*fn)(const char *name, size_t len, void *ctx), void *ctx,
                        const char **bad);

/* Appends lines (each followed by a newline) with every {{name}} replaced by the words of the var of
 * that name. Returns ERR_OK; ERR_RECIPE_INVALID when a placeholder is malformed or names no var
 * (*bad_name then points into the line), or when out's cap is reached (*bad_name is NULL). */
enum err render_lines(struct buf *out, const char *const *lines, size_t n, const struct render_var *vars, size_t nvars,
                      const char **bad_name);

/* What a whole script needs besides the recipe's lines and parameter vars. All paths absolute. */
struct render_job {
    const char *recipe;      /* its name, for the header comment */
    const char *state_dir;   /* STATE */
    const char *pending_dir; /* STATE/pending/<token>, where sbatch finds the script */
    const char *token;       /* the submission's token, in the file STATE/jobs/<id>/token */
    const char *bin_dir;     /* the agent's own bin folder */
};

/* Appends the whole script: the agent's prologue, then lines rendered with params (the recipe's
 * values) and the built-in vars aifb_bin, state_dir and job_dir. Returns as render_lines. */
enum err render_script(struct buf *out, const struct render_job *job, const char *const *lines, size_t n,
                       const struct render_var *params, size_t nparams, const char **bad_name);

/* True when name is one of the built-in vars (recipes may not declare parameters of these names). */
bool render_builtin(const char *name);

#endif
