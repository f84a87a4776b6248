/* h_logs: a service's job log through the agent's `logs` verb. */
#include "h_logs.h"

#include "in.h"
#include "remote.h"
#include "req.h"
#include "services.h"

#define LOGS_BYTES_DEFAULT 65536

enum err h_logs_get(struct req *r)
{
    struct service s;
    enum err e = services_load(r, in_int(r->in, K_id, 0), &s);
    if (e)
        return e;
    if (s.job_id <= 0)
        return req_fail(r, ERR_SERVICE_NOT_READY, "id=%lld has no SLURM job", (long long)s.id);
    const char *stream = in_str(r->in, K_stream);
    const char *args[] = {arena_printf(r->arena, "%lld", (long long)s.job_id), stream ? stream : "out",
                          in_int_text(r->in, K_bytes, LOGS_BYTES_DEFAULT)};
    json_t *answer;
    e = agent_call(r->app, r->arena, "logs", args, 3, NULL, &answer, &r->detail);
    if (e == ERR_USAGE) /* the arguments are checked here: an agent installed before it had logs */
        return req_fail(r, ERR_AGENT_FAILED, "the agent on the login node has no logs verb; run scripts/agent-install");
    if (e)
        return e;
    json_object_set_new(answer, "service_id", json_integer(s.id));
    return reply_json(r, 200, answer);
}
