/* dispatch: answers one request from the app's route table. The dispatcher, not the handler,
 * answers 404, 405 (with Allow), 401/403, 413, 415 and 400 for invalid JSON or declared inputs;
 * a handler only runs on values that passed their validators. Counts the request in the metrics
 * and writes its access line. */
#ifndef AIFB_DISPATCH_H
#define AIFB_DISPATCH_H

#include "req.h"

/* Routes r through the table of r->app, leaving the answer in r->reply. */
void dispatch(struct req *r);

#endif
