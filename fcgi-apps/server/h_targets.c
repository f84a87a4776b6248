/* h_targets: http_sd of the running services, reached through this server's metrics proxy. */
#include "h_targets.h"

#include "targets_sd.h"

enum err h_targets_get(struct req *r)
{
    return targets_sd_reply(r, true);
}
