/* submit: a row and its SLURM job, both or neither, for services and runs alike. One transaction
 * inserts the row, submits the job (named aifb-<kind>-<id>) through the agent and records its job
 * id. A job whose row did not commit is cancelled at once; when COMMIT's outcome is unknown (the
 * connection lost waiting for its answer), submit_sweep, a pass of the reconcilers, settles it
 * from the job's name: it cancels a live job whose row does not exist. */
#ifndef AIFB_SUBMIT_H
#define AIFB_SUBMIT_H

#include <jansson.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "err.h"

struct app;
struct req;

struct submit {
    const char *kind;               /* "svc" or "run": the job is named aifb-<kind>-<id> */
    const struct db_stmt *insert;   /* inserts the row: the new id in the first column */
    const char *const *insert_args; /* its parameters */
    /* The agent's submit request for row id (owned by the arena); job_name is set here. */
    json_t *(*request)(struct req *r, void *ctx, int64_t id);
    const struct db_stmt *set_job; /* records the job on the row, with set_args(id, job) */
    const char *const *(*set_args)(struct req *r, void *ctx, int64_t id, int64_t job);
    void *ctx;
};

/* Makes the row and its job. ERR_OK with *id and *job. Errors: the database's (nothing made; a job
 * submitted before the failure is cancelled); the agent's as it answered, with r->detail (after a
 * lost answer the job, if sbatch ran, is cancelled by name); ERR_AGENT_FAILED when the agent named
 * no job; ERR_DB_OUTCOME_UNKNOWN with r->detail naming the row id and the job, which submit_sweep
 * cancels later unless the row was committed. */
enum err submit_job(struct req *r, const struct submit *s, int64_t *id, int64_t *job);

/* Cancels this agent's live jobs named aifb-<kind>-<id> whose row does not exist: exists takes
 * $1 = id and answers a row when it does. A row whose submit is still open is left alone (the
 * submit holds a transaction lock on it). It asks the agent for its job list (a handful of SLURM
 * commands on the login node), so it runs when this process's submit_job left an outcome unknown,
 * at the process's first call, and every SUBMIT_SWEEP_S seconds (for a process that died before
 * it could sweep); otherwise it returns at once. Call it from the periodic work, under its lock. */
void submit_sweep(struct app *app, struct arena *a, const char *kind, const struct db_stmt *exists);

#define SUBMIT_SWEEP_S 600.0

#endif
