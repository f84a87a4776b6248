/* retention: the mirror kept within an age and a total size. The oldest files go first (by their
 * modification time): every file older than the age, then, newest kept first, every file past the
 * total. Each leaves a tombstone, so that the next sync does not fetch it again; the cluster keeps
 * its copy. Runs after each periodic sync (logs.retention_days, logs.retention_max_bytes; 0: off) and
 * on demand. */
#ifndef AIFB_LOGS_RETENTION_H
#define AIFB_LOGS_RETENTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

struct app;

/* The paths a cut lists, at most; its files and bytes count them all. */
#define RETENTION_LIST_MAX 1000

/* What a cut took (or, in a dry run, would take). */
struct retention_cut {
    int64_t files, bytes;
    json_t *list; /* when not NULL, [{"path","size_bytes"}] of the first RETENTION_LIST_MAX, oldest first */
};

/* Deletes what is past max_age_days (NULL: no age limit) or max_bytes (NULL: no size limit), index and
 * mirror, and says in *cut what went; with dry_run only says what would go. The caller holds the
 * logs lock unless dry_run. */
enum err retention_run(struct app *app, struct arena *a, const char *max_age_days, const char *max_bytes, bool dry_run,
                       struct retention_cut *cut, const char **detail);

/* The tick's share: the configured limits, when either is set. The caller holds the logs lock. */
void retention_tick(struct app *app, struct arena *a);

#endif
