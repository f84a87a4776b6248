/* arrival: seeded random numbers (xoshiro256** from a splitmix64 seed), the gap distributions
 * of vllm bench serve (constant, exponential, gamma) and the open-loop schedule over stages. */
#include "arrival.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(struct rng *r, uint64_t seed)
{
    /* splitmix64 never gives four zero words, the one state xoshiro cannot leave */
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double rng_uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* (0, 1]: for logarithms and powers, which 0 would break. */
static double uniform_open0(struct rng *r)
{
    return 1.0 - rng_uniform(r);
}

double rng_exp(struct rng *r, double mean)
{
    return -mean * log(uniform_open0(r));
}

/* A standard normal (Box-Muller; the second value is dropped to keep the state small). */
static double normal(struct rng *r)
{
    return sqrt(-2.0 * log(uniform_open0(r))) * cos(2.0 * M_PI * rng_uniform(r));
}

double rng_gamma(struct rng *r, double shape, double scale)
{
    if (shape < 1.0) /* Marsaglia-Tsang's boost: G(a) = G(a + 1) * U^(1/a) */
        return rng_gamma(r, shape + 1.0, scale) * pow(uniform_open0(r), 1.0 / shape);
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = normal(r), v = 1.0 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = uniform_open0(r);
        if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v * scale;
    }
}

/* The schedule's segments: the stages, or one of w->rate that lasts duration_s (or forever). */
static size_t segments(const struct workload *w)
{
    return w->nstages ? w->nstages : 1;
}

static double segment_rate(const struct workload *w, size_t i)
{
    return w->nstages ? w->stages[i].rate : w->rate;
}

static double segment_end(const struct workload *w, size_t i)
{
    if (w->nstages == 0)
        return w->duration_s > 0 ? w->duration_s : INFINITY;
    double end = 0;
    for (size_t k = 0; k <= i; k++)
        end += w->stages[k].duration_s;
    return end;
}

void arrival_init(struct arrival *a, const struct workload *w)
{
    a->w = w;
    rng_seed(&a->rng, w->seed);
    a->t = 0;
    a->stage = 0;
    a->spent = 0;
    a->n = 0;
}

/* The next gap in expected arrivals (mean 1); the first constant one is 0, so it starts at once. */
static double draw_work(struct arrival *a)
{
    switch (a->w->arrival) {
    case WL_CONSTANT:
        return a->n == 0 ? 0.0 : 1.0;
    case WL_GAMMA:
        return rng_gamma(&a->rng, a->w->burstiness, 1.0 / a->w->burstiness);
    case WL_POISSON:
        break;
    }
    return rng_exp(&a->rng, 1.0);
}

double arrival_next(struct arrival *a)
{
    const struct workload *w = a->w;
    if (a->stage >= segments(w))
        return -1;
    double work = draw_work(a);
    for (;;) {
        double rate = segment_rate(w, a->stage), end = segment_end(w, a->stage);
        double start = a->stage ? segment_end(w, a->stage - 1) : 0;
        /* from the segment's start rather than the last arrival, so that no rounding adds up: ten
         * constant arrivals at 10/s in one second are 0, 0.1, ..., 0.9 and the eleventh is not */
        double t = rate > 0 ? start + (a->spent + work) / rate : INFINITY;
        if (t < end) {
            a->spent += work;
            a->t = t;
            a->n++;
            return t;
        }
        if (isinf(end)) /* no rate and no end: nothing will ever come */
            break;
        /* what is left of the segment takes its share of the gap; the rest goes on at the next rate */
        work = fmax(0.0, work - ((end - start) * rate - a->spent));
        a->spent = 0;
        a->t = end;
        if (++a->stage >= segments(w))
            break;
    }
    a->stage = segments(w);
    return -1;
}

/* During the ramp: ceil(c * t / ramp_s), at least 1. */
static int64_t ramped(const struct workload *w, int64_t c, double t)
{
    if (w->ramp_s <= 0 || t >= w->ramp_s || c <= 1)
        return c;
    int64_t r = (int64_t)ceil((double)c * t / w->ramp_s);
    return r < 1 ? 1 : r > c ? c : r;
}

double arrival_ramp_next(const struct workload *w, double t)
{
    int64_t c = arrival_concurrency(w, t);
    if (w->ramp_s <= 0 || t >= w->ramp_s || c >= w->concurrency)
        return -1;
    return (double)c * w->ramp_s / (double)w->concurrency;
}

int64_t arrival_concurrency(const struct workload *w, double t)
{
    if (w->nstages == 0)
        return ramped(w, w->concurrency, t);
    double end = 0;
    for (size_t i = 0; i < w->nstages; i++) {
        end += w->stages[i].duration_s;
        if (t < end)
            return w->stages[i].concurrency;
    }
    return 0;
}
