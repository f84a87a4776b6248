/* h_runs: benchmark runs as kept in PostgreSQL. */
#ifndef AIFB_CLIENT_H_RUNS_H
#define AIFB_CLIENT_H_RUNS_H

#include "err.h"

struct req;

/* Newest first, filtered by state, service and creation time, paged by before_id. */
enum err h_runs_list(struct req *r);
enum err h_runs_get(struct req *r);

#endif
