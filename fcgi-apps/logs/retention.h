/* retention: the mirror kept within an age and a total size. The oldest files go first (by their
 * modification time): every file older than the age, then, newest kept first, every file past the
 * total. Each leaves a tombstone, so that the next sync does not fetch it again; the cluster keeps
 * its copy. Runs after each periodic sync (logs.retention_days, logs.retention_max_bytes; 0: off) and
 * on demand. */
#ifndef AIFB_LOGS_RETENTION_H
#define AIFB_LOGS_RETENTION_H

#include <stdint.h>

#include "arena.h"
#include "err.h"

struct app;
struct req;

/* Deletes what is past max_age_days (NULL: no age limit) or max_bytes (NULL: no size limit), index and
 * mirror; *files and *bytes say how much. The caller holds the logs lock. */
enum err retention_run(struct app *app, struct arena *a, const char *max_age_days, const char *max_bytes,
                       int64_t *files, int64_t *bytes, const char **detail);

/* The tick's share: the configured limits, when either is set. The caller holds the logs lock. */
void retention_tick(struct app *app, struct arena *a);

/* POST /v1/retention {"max_age_days"?, "max_total_bytes"?}: one cleanup now. */
enum err h_retention(struct req *r);

#endif
