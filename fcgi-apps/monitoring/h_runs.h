/* h_runs: the GPU energy of benchmark runs (energy.c measures it). */
#ifndef AIFB_MONITORING_H_RUNS_H
#define AIFB_MONITORING_H_RUNS_H

#include "err.h"

struct req;

/* GET /v1/runs/{id}/energy: the stored measure, made first when there is none (the first reader
 * measures; every later one reads the same row). */
enum err h_runs_energy(struct req *r);
/* POST /v1/runs/{id}/energy: measures again (after Prometheus caught up, or a re-push), replacing it. */
enum err h_runs_energy_measure(struct req *r);

#endif
