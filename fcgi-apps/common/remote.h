/* remote: calls aifb-agent on the login node over the worker's SSH session and reads back its one
 * JSON object (or, for `output`, a job's file as it streams). Arguments on the command line are only validated ids and
 * names, quoted anyway; anything else goes on its standard input as JSON. */
#ifndef AIFB_REMOTE_H
#define AIFB_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "ssh.h"

struct app;

/* Runs `aifb-agent VERB ARGS...` with input (may be NULL) on stdin. On ERR_OK *out is its answer
 * (owned by the arena). An error the agent answered comes back as its own code and detail; a
 * connection error as ERR_CLUSTER_*; an unreadable answer as ERR_AGENT_FAILED. Each arg must match
 * [A-Za-z0-9._-]+ (ERR_INTERNAL otherwise: a programmer error). */
enum err agent_call(struct app *app, struct arena *a, const char *verb, const char *const *args, size_t nargs,
                    const json_t *input, json_t **out, const char **detail);

/* Runs `aifb-agent output JOB NAME` and passes the file's bytes to sink as they come (up to
 * total_s seconds in all). Returns ERR_OK when the whole file came; the agent's error (such as
 * ERR_OUTPUT_NOT_FOUND) when it answered one, with *detail; connection errors as agent_call. On an
 * error the sink may have seen some bytes already (the error's own text): discard what it took. */
enum err agent_output(struct app *app, struct arena *a, int64_t job_id, const char *name, double total_s, ssh_sink sink,
                      void *ctx, const char **detail);

/* Runs `aifb-loadgen --check --config -` (cluster.loadgen) with workload on stdin: the load
 * generator's own check of a workload, with its prompts file read where the job will read it.
 * ERR_OK with its answer, or its error (ERR_INVALID_INPUT naming the field) as agent_call. */
enum err loadgen_check(struct app *app, struct arena *a, const json_t *workload, json_t **out, const char **detail);

/* The state a row takes from one job of the agent's status answer: its "state", or NULL when the
 * answer leaves the row's state as it is ("unknown" while SLURM still names a state the agent does
 * not map, such as SUSPENDED: the job is not over). */
const char *agent_job_state(const json_t *job);

/* True for the errors after which a submit may or may not have happened (the answer was lost). */
bool agent_unknown_outcome(enum err e);

/* Cancels every job of this agent named name: after a submit whose answer was lost, so that a job
 * aifb has no row for does not run. Best effort; what it does is logged. */
void agent_cancel_named(struct app *app, struct arena *a, const char *name);

#endif
