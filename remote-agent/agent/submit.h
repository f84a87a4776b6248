/* submit: the submit verb. Reads one request object on stdin, checks all of it against the request
 * shape and the recipe, renders the script into a new pending folder, makes the recipe's log folder,
 * runs sbatch with every option as its own argv word, and renames the folder to the job's. A failure
 * at any step leaves nothing (but the log folder). A request that passed its checks gets a line in
 * the audit log, whatever happened next. */
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
    const char *recipe; /* the recipe's name: the job's output goes to STATE/logs/<recipe>/ */
    const char *job_name, *time_limit, *partition, *account, *qos, *mem;
    int64_t nodes, ntasks, cpus_per_task, gpus; /* 0: not given / none */
};

/* The verb: no arguments, the request on stdin. Replies {"job_id","recipe","job_name","state":"pending"}. */
enum err submit_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply);

/* Checks a parsed request's own members (not yet its params). Returns ERR_OK or ERR_INVALID_INPUT. */
enum err submit_check(struct arena *a, const json_t *req, const char **detail);

/* The options from a checked request, with cpus, mem and GPUs taken from the recipe's parameters
 * (values) where the request does not set them. Returns ERR_OK or ERR_INVALID_INPUT. */
enum err submit_options(struct arena *a, const json_t *req, const struct recipe *r, const json_t *values,
                        struct submit_opts *o, const char **detail);

/* sbatch's argv (NULL-ended, in the arena) for options o and script, the job's output and error in
 * state_dir/logs/<o->recipe>/<job name>-<job id>.out and .err. */
const char **submit_argv(struct arena *a, const struct submit_opts *o, const char *state_dir, const char *script);

/* The request object from stdin: at most SUBMIT_STDIN_MAX bytes of JSON (submit's, and rmlog's
 * {"path"} when the path is not an argument: aifb's apps pass only ids and names as arguments). */
enum err submit_read_stdin(struct agent *ag, json_t **req);

#endif
