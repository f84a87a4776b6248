/* h_files: the index of log files mirrored from the cluster. */
#ifndef AIFB_LOGS_H_FILES_H
#define AIFB_LOGS_H_FILES_H

#include "err.h"

struct req;

/* Newest first, filtered by category, service, run, SLURM job and modification time (since, until),
 * paged by before_id. */
enum err h_files_list(struct req *r);
enum err h_files_get(struct req *r);
/* Files and bytes per category. */
enum err h_files_stats(struct req *r);
/* DELETE: index and mirror, with a tombstone so that sync does not fetch it again; ?remote=true
 * deletes the cluster's copy first (aifb-agent rmlog), and nothing when that fails. */
enum err h_files_delete(struct req *r);

#endif
