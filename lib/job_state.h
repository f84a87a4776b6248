/* job_state: the states aifb gives a SLURM job, a service and a run (job_state.def), their names,
 * and which are terminal. Used by the agent, which reports them, and by the apps, which keep them. */
#ifndef AIFB_JOB_STATE_H
#define AIFB_JOB_STATE_H

#include <stdbool.h>

enum job_state {
#define JOB_STATE(e, name, terminal) JOB_##e,
#include "job_state.def"
#undef JOB_STATE
};

/* "pending", ... "unknown"; "unknown" for a value outside the list. */
const char *job_state_name(enum job_state s);

/* True for a state that is never left (completed, failed, cancelled, timeout, unknown). */
bool job_state_terminal(enum job_state s);

/* The same for a state's name; false for a name that is not a state. */
bool job_state_terminal_name(const char *name);

/* Every state's name, in the list's order, then NULL (for a route's enum of states). */
extern const char *const job_state_names[];

#endif
