/* agent: calls aifb-agent on the login node over the worker's SSH session and reads back its one
 * JSON object. Arguments on the command line are only validated ids and names, quoted anyway;
 * anything else goes on its standard input as JSON. */
#ifndef AIFB_SERVER_AGENT_H
#define AIFB_SERVER_AGENT_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"
#include "err.h"

struct app;

/* Runs `aifb-agent VERB ARGS...` with input (may be NULL) on stdin. On ERR_OK *out is its answer
 * (owned by the arena). An error the agent answered comes back as its own code and detail; a
 * connection error as ERR_CLUSTER_*; an unreadable answer as ERR_AGENT_FAILED. Each arg must match
 * [A-Za-z0-9._-]+ (ERR_INTERNAL otherwise: a programmer error). */
enum err agent_call(struct app *app, struct arena *a, const char *verb, const char *const *args, size_t nargs,
                    const json_t *input, json_t **out, const char **detail);

#endif
