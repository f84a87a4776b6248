/* categorize: what a mirrored log file is, from its path alone (the agent names job logs so that this
 * can be read back): its category by the first rule of one table that matches, and the SLURM job,
 * service and run its name carries. The mirror's layout, under the agent's state folder:
 *   logs/<recipe>/<job name>-<job id>.out|.err   a job's stdout and stderr (aifb-svc-<id>, aifb-run-<id>)
 *   logs/agent/agent.log                          the agent's one line per action
 *   jobs/<job id>/<name>.log                      a job's sidecars (gpu-exporter.log)
 *   logs/<job name>-<job id>.out|.err             the layout before recipe folders */
#ifndef AIFB_LOGS_CATEGORIZE_H
#define AIFB_LOGS_CATEGORIZE_H

#include <stdbool.h>
#include <stdint.h>

struct log_meta {
    const char *category; /* one of log_files' categories */
    int64_t job;          /* 0 when the path names none */
    int64_t service;      /* the service id of an aifb-svc-<id> job name; 0 when none */
    int64_t run;          /* the run id of an aifb-run-<id> job name; 0 when none */
};

/* The meta of path (relative to the mirror root). */
void categorize(const char *path, struct log_meta *m);

/* Whether path may be mirrored at all: components of [A-Za-z0-9._-], none "." or "..", under logs/
 * (at most two deep) or jobs/<digits>/<name>.log (never a job's token or script), 1..255 bytes. Anything else in the
 * listing is skipped, whatever rsync could make of it. */
bool categorize_path_ok(const char *path);

#endif
