/* h_runs: a run's GPU energy, stored or measured now. */
#include "h_runs.h"

#include <string.h>

#include "energy.h"
#include "in.h"
#include "req.h"

static enum err measure_reply(struct req *r)
{
    const char *row;
    enum err e = energy_measure(r->app, r->arena, in_text(r->in, K_id), &row, &r->detail);
    if (e)
        return e;
    return reply_data(r, 200, "application/json", row, strlen(row));
}

enum err h_runs_energy(struct req *r)
{
    const char *row;
    enum err e = energy_stored(r->app, r->arena, in_text(r->in, K_id), &row, &r->detail);
    if (e)
        return e;
    return row ? reply_data(r, 200, "application/json", row, strlen(row)) : measure_reply(r);
}

enum err h_runs_energy_measure(struct req *r)
{
    return measure_reply(r);
}
