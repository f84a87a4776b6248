/* jobs: the verbs about submitted jobs: status (SLURM's view of up to 500 ids, one squeue call, then
 * scontrol and sacct for those squeue has forgotten), list (this agent's newest jobs), cancel and
 * endpoint (what the job's service published in STATE/jobs/<id>/endpoint.json). */
#ifndef AIFB_JOBS_H
#define AIFB_JOBS_H

#include <jansson.h>
#include <stdint.h>

#include "agent.h"

/* `status ID...`: {"jobs":[{job_id,state,slurm_state,node,reason,exit_code,endpoint}]}, one per
 * distinct id in the order given. */
enum err jobs_status(struct agent *ag, int argc, const char *const *argv, json_t **reply);

/* `list`: as status, for the newest AGENT_LIST_MAX jobs in STATE/jobs, each with recipe and job_name. */
enum err jobs_list(struct agent *ag, int argc, const char *const *argv, json_t **reply);

/* `cancel ID`: {"job_id","cancelled":true}; ERR_JOB_NOT_FOUND for a job this agent did not submit.
 * A cancel of one of its jobs gets a line in the audit log, whatever scancel said. */
enum err jobs_cancel(struct agent *ag, int argc, const char *const *argv, json_t **reply);

/* `endpoint ID`: {"job_id","ready":true,"host","port"[,"replicas"]} or {"job_id","ready":false}. */
enum err jobs_endpoint(struct agent *ag, int argc, const char *const *argv, json_t **reply);

/* The endpoint a job published, checked: {"host","port"[,"replicas":[{"host","port"}...]]} as a new
 * object, or NULL when doc is not one (a host is 1 to 255 of [A-Za-z0-9.:_-], a port 1 to 65535). */
json_t *jobs_endpoint_check(const json_t *doc);

#endif
