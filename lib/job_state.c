/* job_state: names and terminal flags from the one list, job_state.def. */
#include "job_state.h"

#include <string.h>

const char *const job_state_names[] = {
#define JOB_STATE(e, name, terminal) name,
#include "job_state.def"
#undef JOB_STATE
    NULL,
};

static const bool terminals[] = {
#define JOB_STATE(e, name, terminal) terminal,
#include "job_state.def"
#undef JOB_STATE
};

#define NSTATES (sizeof(terminals) / sizeof(terminals[0]))

const char *job_state_name(enum job_state s)
{
    return (unsigned)s < NSTATES ? job_state_names[s] : "unknown";
}

bool job_state_terminal(enum job_state s)
{
    return (unsigned)s < NSTATES && terminals[s];
}

bool job_state_terminal_name(const char *name)
{
    for (size_t i = 0; name && i < NSTATES; i++)
        if (strcmp(name, job_state_names[i]) == 0)
            return terminals[i];
    return false;
}
