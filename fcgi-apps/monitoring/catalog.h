/* catalog: the series a monitoring session collects, as PromQL over what aifb's programs export: the
 * GPU exporter (by the services' SLURM job ids), vLLM or aifb-simllm (by aifb_service_id, the label
 * the metrics proxy's scrape gives) and aifb-loadgen (by run_id, its Pushgateway group). */
#ifndef AIFB_MONITORING_CATALOG_H
#define AIFB_MONITORING_CATALOG_H

#include <stddef.h>

#include "arena.h"

/* Which ids a query is narrowed to. */
enum watch_set { WATCH_JOBS, WATCH_SERVICES, WATCH_RUNS, WATCH_SETS };

struct catalog_entry {
    const char *metric; /* the name it is kept under (session_series.metric) */
    enum watch_set set;
    const char *tmpl; /* PromQL; $sel is the label matchers, $win the rate window */
};

extern const struct catalog_entry catalog[];
extern const size_t catalog_len;

/* The entry named metric (NULL when none). */
const struct catalog_entry *catalog_find(const char *metric);

/* The query of e: ids is "1|2|3" (digits and bars) or NULL for every series; win_s the rate window. */
char *catalog_query(struct arena *a, const struct catalog_entry *e, const char *ids, double win_s);

#endif
