/* models: the model a run asks for when its workload names none: the first one the target serves
 * (GET <target>/v1/models, data[0].id), as vllm bench serve does. Asked once, before the run. */
#ifndef AIFB_LOADGEN_MODELS_H
#define AIFB_LOADGEN_MODELS_H

#include "arena.h"
#include "err.h"

/* The id of the first model base_url serves, in the arena. Returns ERR_OK, ERR_SERVICE_UNREACHABLE
 * (no answer, not 200, within timeout_s) or ERR_INVALID_INPUT (an answer with no model), with *detail. */
enum err models_first(struct arena *a, const char *base_url, double timeout_s, const char **model, const char **detail);

#endif
