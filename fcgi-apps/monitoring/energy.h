/* energy: the GPU energy of a run, from aifb_gpu_energy_joules_total (or its dcgm-exporter name, in
 * mJ; the catalogue's query reads both) of its service jobs' GPUs over
 * the run's window (sql/0004's run_window), per GPU and in all, and divided by the run's output
 * tokens; kept in run_energy. */
#ifndef AIFB_MONITORING_ENERGY_H
#define AIFB_MONITORING_ENERGY_H

#include "arena.h"
#include "err.h"

struct app;

/* Measures run_id's energy from Prometheus and stores it; *row is the stored row as JSON text.
 * Errors: ERR_RUN_NOT_FOUND, ERR_RUN_STATE (not ended), ERR_NO_ENERGY_DATA (no window, no service
 * job, no counter in Prometheus), ERR_PROMETHEUS_UNAVAILABLE, database errors; *detail says which. */
enum err energy_measure(struct app *app, struct arena *a, const char *run_id, const char **row, const char **detail);

/* The stored measure of run_id as JSON text in *row, or NULL when there is none. Returns ERR_OK or
 * the database's error. */
enum err energy_stored(struct app *app, struct arena *a, const char *run_id, const char **row, const char **detail);

#endif
