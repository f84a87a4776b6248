/* h_logs: the end of a service's job log, its standard output or error, as aifb-agent on the login
 * node reads it from the agent's state folder. */
#ifndef AIFB_SERVER_H_LOGS_H
#define AIFB_SERVER_H_LOGS_H

#include "err.h"

struct req;

/* GET /v1/services/{id}/logs?stream=out|err&bytes=N: the agent's answer (job_id, stream, path,
 * size, offset, truncated, text) with service_id. ERR_SERVICE_NOT_FOUND, ERR_SERVICE_NOT_READY for a
 * service without a job, the agent's ERR_JOB_NOT_FOUND, or a cluster error. */
enum err h_logs_get(struct req *r);

#endif
