/* h_files: the index of log files mirrored from the cluster. */
#ifndef AIFB_LOGS_H_FILES_H
#define AIFB_LOGS_H_FILES_H

#include "err.h"

struct req;

/* Newest first, filtered by category, service, run and SLURM job, paged by before_id. */
enum err h_files_list(struct req *r);
enum err h_files_get(struct req *r);

#endif
