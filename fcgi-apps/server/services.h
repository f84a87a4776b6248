/* services: what the handlers and the reconciler share about services: loading one, submitting
 * its job through the agent in the same transaction as its row, and applying a job status that the
 * agent reported to the row and its event history. */
#ifndef AIFB_SERVER_SERVICES_H
#define AIFB_SERVER_SERVICES_H

#include <jansson.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

struct app;
struct req;

struct service {
    int64_t id;
    const char *name;
    const char *recipe;
    const char *state;
    int64_t job_id;   /* 0 before submission */
    const char *host; /* endpoint address, NULL until the service answers */
    int port;
    int64_t group_id; /* 0 when alone */
    json_t *config;   /* the recipe parameters; owned by the arena */
};

/* 1 when s is an LLM (its recipe serves the OpenAI API: every recipe but qdrant), 0 for a vector-db
 * (qdrant). The routes of one kind refuse the other with ERR_SERVICE_KIND. */
int services_kind_llm(const struct service *s);

/* Loads service id into *s. Returns ERR_OK, ERR_SERVICE_NOT_FOUND or a db error (detail set on r). */
enum err services_load(struct req *r, int64_t id, struct service *s);

/* Creates a service row and submits its job, all or nothing: the row is only kept if sbatch took
 * the job. recipe, params (an object, borrowed) and submit (extra agent submit fields, borrowed)
 * come validated from the handler; group_id 0 for none. On ERR_OK *id and *job_id are set. */
enum err services_create(struct req *r, const char *name, const char *recipe, const json_t *params,
                         const json_t *submit, int64_t group_id, int64_t *id, int64_t *job_id);

/* Writes the agent's status of one job (an object of its `status` answer) to service id: state,
 * node, endpoint, and an event when the state changed. A terminal state is never left. */
enum err services_apply(struct app *app, struct arena *a, int64_t id, const json_t *job, const char **detail);

/* Cancels the job of s through the agent and marks it cancelled. */
enum err services_cancel(struct req *r, const struct service *s);

/* The periodic reconciliation: under an advisory lock (one worker at a time, across processes),
 * asks the agent for every live service's job and applies the answers, then cancels jobs of
 * services whose row was never committed (submit_sweep). */
void services_reconcile(struct app *app, struct arena *a);

#endif
