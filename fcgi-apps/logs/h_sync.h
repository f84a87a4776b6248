/* h_sync: the mirror's sync: its status (the last pass, the last that worked, the last error, whether
 * one runs now) and a pass now. */
#ifndef AIFB_LOGS_H_SYNC_H
#define AIFB_LOGS_H_SYNC_H

#include "err.h"

struct req;

enum err h_sync_status(struct req *r);
/* POST: a pass now, answered with its row (ok false and the error when it failed); 409 when a pass
 * is running in another worker. */
enum err h_sync_now(struct req *r);

#endif
