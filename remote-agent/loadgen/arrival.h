/* arrival: the schedule of an open-loop run, and the seeded random numbers of the whole program.
 * Gaps between arrivals are constant (1/rate), exponential (Poisson arrivals) or gamma with shape
 * burstiness and mean 1/rate (vllm bench serve's --burstiness: 1 is Poisson, below 1 burstier,
 * above 1 more regular). Stages change the rate at their boundaries. Pure: no clock, no I/O. */
#ifndef AIFB_LOADGEN_ARRIVAL_H
#define AIFB_LOADGEN_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "workload.h"

/* xoshiro256** seeded with splitmix64: the same seed gives the same draws on every machine. */
struct rng {
    uint64_t s[4];
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);                           /* [0, 1) */
double rng_exp(struct rng *r, double mean);                  /* exponential */
double rng_gamma(struct rng *r, double shape, double scale); /* Marsaglia-Tsang */

struct arrival {
    const struct workload *w;
    struct rng rng;
    double t;     /* the last arrival, seconds from the start */
    size_t stage; /* the stage t lies in (with no stages: 0, then 1 once the duration is past) */
    double spent; /* expected arrivals spent in this stage since its start (gaps drawn with mean 1) */
    uint64_t n;   /* arrivals given so far */
};

/* Starts the schedule of w (seeded from w->seed) at t = 0. */
void arrival_init(struct arrival *a, const struct workload *w);

/* The time of the next arrival in seconds from the start (the first one is at 0 with a constant
 * rate, after one drawn gap otherwise), or a negative value when the schedule ends (past the last
 * stage or the duration). A stage of rate 0 sends nothing for its length. Gaps are drawn with mean 1
 * (in expected arrivals) and spent at each stage's rate in turn (time rescaling), so a gap that
 * crosses a boundary takes the new rate from there on and every stage gets its rate on average. */
double arrival_next(struct arrival *a);

/* The concurrency a closed loop keeps at time t (seconds from the start): the stage's, or
 * w->concurrency without stages (during ramp_s: ceil(concurrency * t / ramp_s), at least 1); 0 past
 * the end of the stages. */
int64_t arrival_concurrency(const struct workload *w, double t);

/* During a ramp, the time (seconds from the start) at which the concurrency next rises; -1 when it
 * no longer does. */
double arrival_ramp_next(const struct workload *w, double t);

#endif
