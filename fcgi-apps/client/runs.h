/* runs: a benchmark run's life. Create checks everything first (the request's shape in the route
 * table, the workload with aifb-loadgen's own parser, the target in PostgreSQL, the prompts file
 * with `aifb-loadgen --check` on the login node), then makes the row and the SLURM job together or
 * neither. Stop cancels the job; the reconciler (finish.c) then loads what the job made. */
#ifndef AIFB_CLIENT_RUNS_H
#define AIFB_CLIENT_RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "req.h"

/* A run's columns as the API shows them; lists leave out the config, which may hold a megabyte of
 * inline prompts. */
#define RUN_LIST_COLUMNS                                                                                               \
    "id, name, service_id, group_id, target_url, state, slurm_job_id, ntasks, summary, error,"                         \
    " records_loaded, created_at, started_at, ended_at, '/api/logs/v1/files?run_id=' || id AS logs,"                   \
    " '/api/monitoring/v1/runs/' || id || '/energy' AS energy"
#define RUN_COLUMNS RUN_LIST_COLUMNS ", config"

/* One run by id ($1), as JSON. */
extern const struct db_stmt runs_st_get;

/* Checks the request of POST /v1/runs (r's inputs) and makes the row and its job, both or neither.
 * Returns ERR_OK with *id, or the error to answer (r->detail set). */
enum err runs_create(struct req *r, int64_t *id);

/* Cancels run id's job, if it has one and has not ended. Returns ERR_OK, run_not_found, run_state
 * (ended or ending) or the agent's error. The reconciler (finish.c) marks the row. */
enum err runs_stop(struct req *r, const char *id);

#endif
