/* sync: one pass of the log mirror. rsync lists the cluster's log folder over SSH (the server's key
 * and known_hosts, strict host key checking, no ssh_config); PostgreSQL compares the list with the
 * index and the tombstones; rsync fetches only what is new or changed (its delta transfer sends what
 * a growing file added), never a link; what arrived is indexed. Each pass is a row of log_syncs. */
#ifndef AIFB_LOGS_SYNC_H
#define AIFB_LOGS_SYNC_H

#include <stdbool.h>

#include "arena.h"
#include "err.h"

struct app;

/* A log_syncs row as the API shows it. */
#define SYNC_COLUMNS                                                                                                   \
    "id, trigger, started_at, finished_at, round(extract(epoch FROM finished_at - started_at) * 1000)::bigint"         \
    " AS duration_ms, ok, files_listed, files_wanted, files_transferred, bytes_transferred, files_indexed,"            \
    " files_skipped, list_ms, diff_ms, fetch_ms, index_ms, error"

/* Runs one pass (trigger "interval" or "api") and gives its log_syncs row as JSON text in *row. The
 * caller holds the logs lock. A pass that failed (the cluster unreachable, rsync failing) returns
 * ERR_OK with ok false and the error in the row: it is a result to report, not a request error. */
enum err sync_run(struct app *app, struct arena *a, const char *trigger, const char **row, const char **detail);

/* The advisory lock that makes one worker at a time sync or clean up: true when taken. */
#define LOGS_LOCK 1634297452 /* "aifl" */
bool sync_lock(struct app *app, struct arena *a);
void sync_unlock(struct app *app, struct arena *a);

/* The tick: syncs when logs.sync_interval_s (default 30; 0: never) has passed since the last pass,
 * then applies the configured retention. */
void sync_tick(struct app *app, struct arena *a);

#endif
