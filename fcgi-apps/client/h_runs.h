/* h_runs: benchmark runs as kept in PostgreSQL. */
#ifndef AIFB_CLIENT_H_RUNS_H
#define AIFB_CLIENT_H_RUNS_H

#include "err.h"

struct req;

/* Newest first, filtered by state, service and creation time, paged by before_id. */
enum err h_runs_list(struct req *r);
enum err h_runs_get(struct req *r);
/* A new run (runs.c checks and submits it): 201 with its row. */
enum err h_runs_create(struct req *r);
/* Asks the run's job to stop: 202 with its row, stop_requested set. */
enum err h_runs_stop(struct req *r);
/* The summary, every metric's percentiles (run_latency_summary) and the per-second timeline. */
enum err h_runs_results(struct req *r);
/* Every latency metric's histogram and CDF, kept when the run was loaded: what a chart draws. */
enum err h_runs_distributions(struct req *r);
/* The records: JSON pages by (rank, seq), or the whole as CSV (format=csv), streamed. */
enum err h_runs_records(struct req *r);
/* Two runs' summaries side by side, with differences and ratios. */
enum err h_runs_compare(struct req *r);

#endif
