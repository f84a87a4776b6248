/* rmlog: the `rmlog RELPATH` verb: deletes one log file below the state folder, for the log syncer's
 * "delete on the cluster too". RELPATH is logs/<dir>/<file> (a job's log in its recipe's folder, or
 * logs/agent/agent.log), logs/<file> (the flat layout of jobs submitted before recipe folders) or
 * jobs/<id>/<name>.log (a job's own log, such as gpu-exporter.log). The folders are walked from the
 * state folder without following a symlink, and only a regular file is deleted: a symlink, FIFO or
 * folder there is left alone. */
#ifndef AIFB_RMLOG_H
#define AIFB_RMLOG_H

#include <jansson.h>

#include "agent.h"

#define RMLOG_PATH_MAX 255

/* Checks rel's shape: one of the three forms above, 1 to RMLOG_PATH_MAX bytes, every component one or
 * more of [A-Za-z0-9._-] and neither "." nor "..". Returns ERR_OK, or ERR_INVALID_INPUT with *detail
 * (static) "field=path: ...". */
enum err rmlog_check(const char *rel, const char **detail);

/* The verb: {"deleted":RELPATH,"bytes":N}, N the size the file had. Errors: ERR_USAGE (not one
 * argument); ERR_INVALID_INPUT "field=path: ..." for a path of another shape, a symlink or a file
 * where a folder should be, or something there that is not a regular file; ERR_OUTPUT_NOT_FOUND when
 * the file or its folder does not exist; ERR_AGENT_STATE for any other failure. */
enum err rmlog_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply);

#endif
