/* finish: aifb-client's periodic work: runs follow their SLURM jobs, and an ended job's records,
 * timeline and per-rank summaries are loaded into PostgreSQL (COPY) and summarised. */
#ifndef AIFB_CLIENT_FINISH_H
#define AIFB_CLIENT_FINISH_H

#include "arena.h"

struct app;

/* The tick: under aifb-client's advisory lock, asks the agent about every live run's job and applies
 * the answers; a job that ended is loaded in one transaction. */
void runs_finish(struct app *app, struct arena *a);

#endif
