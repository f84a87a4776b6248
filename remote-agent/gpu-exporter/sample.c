/* sample: the empty reading every source starts from, so that a field no source fills stays NAN
 * (left out of the exposition) rather than 0 (a plausible but false value). */
#include "sample.h"

#include <math.h>
#include <string.h>

void gpu_reading_clear(struct gpu_reading *r)
{
    memset(r, 0, sizeof(*r));
    r->index = -1;
    r->util_ratio = r->mem_util_ratio = NAN;
    r->mem_used_bytes = r->mem_total_bytes = NAN;
    r->power_watts = r->energy_joules = NAN;
    r->temp_celsius = NAN;
    r->sm_clock_hz = r->mem_clock_hz = NAN;
    r->clock_events = NAN;
}
