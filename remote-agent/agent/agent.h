/* agent: what each verb of aifb-agent is given (the call's arena, its folders, the SLURM runner) and the
 * verbs' common signature. One process per call: everything lives in the arena until it exits. */
#ifndef AIFB_AGENT_H
#define AIFB_AGENT_H

#include <jansson.h>

#include "arena.h"
#include "err.h"
#include "slurm.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_PROTOCOL 1
#define AGENT_MAX_IDS 500  /* job ids one status call takes */
#define AGENT_LIST_MAX 200 /* jobs list answers, newest first */

struct agent {
    struct arena *arena;
    const char *state_dir;   /* absolute, no trailing '/' */
    const char *recipes_dir; /* where <name>.json recipes are */
    const char *bin_dir;     /* the folder of this binary, {{aifb_bin}} in recipes */
    struct slurm slurm;
    const char *detail; /* set by a verb that fails */
};

/* A verb: args are what follows its name. Returns ERR_OK with *reply (arena-owned), or an error with
 * ag->detail set; ERR_USAGE for wrong arguments. */
typedef enum err (*agent_verb_fn)(struct agent *ag, int argc, const char *const *argv, json_t **reply);

#endif
