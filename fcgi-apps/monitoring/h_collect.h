/* h_collect: what a session keeps of Prometheus: collect it (POST, at the session's step or another),
 * download it (CSV, one row per step and series, or JSON, per series with its summary), and its
 * summary (min, mean, p95, max per series, and the energy of the runs it watches). */
#ifndef AIFB_MONITORING_H_COLLECT_H
#define AIFB_MONITORING_H_COLLECT_H

#include "err.h"

struct req;

enum err h_collect_run(struct req *r);
enum err h_collect_data(struct req *r);
enum err h_collect_summary(struct req *r);

#endif
