/* submit: the submit verb. Reads one request object on stdin, checks all of it against the request
 * shape and the recipe, renders the script into a new pending folder, runs sbatch with every option
 * as its own argv word, and renames the folder to the job's. A failure at any step leaves nothing. */
#ifndef AIFB_SUBMIT_H
#define AIFB_SUBMIT_H

#include <jansson.h>
#include <stdint.h>

#include "agent.h"
#include "recipe.h"

#define SUBMIT_STDIN_MAX (1u << 20)
#define SUBMIT_SCRIPT_MAX (4u << 20)
#define SUBMIT_MAX_GPUS 128

/* The job options of a request, checked: every string matches its pattern. NULL: not given. */
struct submit_opts {
    const char *job_name, *time_limit, *partition, *account, *qos, *mem;
    int64_t nodes, ntasks, cpus_per_task, gpus; /* 0: not given / none */
};

/* The verb: no arguments, the request on stdin. Replies {"job_id","recipe","job_name","state":"pending"}. */
enum err submit_verb(struct agent *ag, int argc, char **argv, json_t **reply);

/* Checks a parsed request's own members (not yet its params). Returns ERR_OK or ERR_INVALID_INPUT. */
enum err submit_check(struct arena *a, const json_t *req, const char **detail);

/* The options from a checked request, with cpus, mem and GPUs taken from the recipe's parameters
 * (values) where the request does not set them. Returns ERR_OK or ERR_INVALID_INPUT. */
enum err submit_options(struct arena *a, const json_t *req, const struct recipe *r, const json_t *values,
                        struct submit_opts *o, const char **detail);

/* sbatch's argv (NULL-ended, in the arena) for options o and script, logs under state_dir/logs. */
char **submit_argv(struct arena *a, const struct submit_opts *o, const char *state_dir, const char *script);

#endif
