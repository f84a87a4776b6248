/* h_retention: the mirror's cleanup on demand (retention.c does it). */
#ifndef AIFB_LOGS_H_RETENTION_H
#define AIFB_LOGS_H_RETENTION_H

#include "err.h"

struct req;

/* POST /v1/retention {"max_age_days"?, "max_total_bytes"?, "dry_run"?}: one cleanup now, or with
 * dry_run what it would delete; the answer says how many files and bytes, and lists their paths. */
enum err h_retention_run(struct req *r);

#endif
