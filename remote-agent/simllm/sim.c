/* sim: PRNG, token schedule and admission queue of aifb-simllm; pure arithmetic on the caller's
 * clock, so that the unit tests drive it without sockets or sleeping. */
#include "sim.h"

#include <assert.h>

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t sim_rng_next(struct sim_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sim_rng_unit(struct sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t sim_rng_range(struct sim_rng *r, int64_t lo, int64_t hi)
{
    assert(lo <= hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1; /* 0: the whole 64-bit range */
    if (span == 0)
        return (int64_t)sim_rng_next(r);
    /* Rejection keeps every value equally likely: draws in the incomplete top block are redone. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do
        x = sim_rng_next(r);
    while (x >= limit);
    return (int64_t)((uint64_t)lo + x % span);
}

bool sim_rng_chance(struct sim_rng *r, double p)
{
    if (p <= 0)
        return false;
    if (p >= 1)
        return true;
    return sim_rng_unit(r) < p;
}

uint64_t sim_request_seed(uint64_t seed, uint64_t seq)
{
    struct sim_rng r = {seed ^ (seq * 0xd1342543de82ef95ULL)};
    return sim_rng_next(&r);
}

int64_t sim_first_due(const struct sim_config *c, int64_t scheduled_ns, int64_t prompt_tokens)
{
    return scheduled_ns + c->ttft_ns + c->ttft_per_token_ns * prompt_tokens;
}

int64_t sim_next_due(const struct sim_config *c, struct sim_rng *r, int64_t prev_due)
{
    int64_t gap = c->itl_ns;
    if (c->itl_spread_ns > 0)
        gap += sim_rng_range(r, -c->itl_spread_ns, c->itl_spread_ns);
    return prev_due + (gap > 0 ? gap : 0);
}

int64_t sim_cut_after(int64_t max_tokens)
{
    return max_tokens / 2;
}

void sim_admit_init(struct sim_admit *q, int max_running)
{
    q->max_running = max_running;
    q->running = 0;
    q->waiting = 0;
    q->head = q->tail = NULL;
    q->frozen_until_ns = 0;
}

static void enqueue(struct sim_admit *q, struct sim_seq *s)
{
    s->next = NULL;
    s->prev = q->tail;
    if (q->tail)
        q->tail->next = s;
    else
        q->head = s;
    q->tail = s;
    s->queued = true;
    q->waiting++;
}

bool sim_admit_submit(struct sim_admit *q, struct sim_seq *s, int64_t now_ns)
{
    /* Arrivals queue behind those already waiting, so that order is kept. */
    if (q->head == NULL && q->running < q->max_running && now_ns >= q->frozen_until_ns) {
        s->queued = false;
        q->running++;
        return true;
    }
    enqueue(q, s);
    return false;
}

void sim_admit_release(struct sim_admit *q)
{
    assert(q->running > 0);
    q->running--;
}

void sim_admit_remove(struct sim_admit *q, struct sim_seq *s)
{
    if (!s->queued)
        return;
    if (s->prev)
        s->prev->next = s->next;
    else
        q->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        q->tail = s->prev;
    s->prev = s->next = NULL;
    s->queued = false;
    q->waiting--;
}

struct sim_seq *sim_admit_next(struct sim_admit *q, int64_t at_ns)
{
    struct sim_seq *s = q->head;
    if (!s || q->running >= q->max_running || at_ns < q->frozen_until_ns)
        return NULL;
    sim_admit_remove(q, s);
    q->running++;
    return s;
}

int64_t sim_admit_time(const struct sim_seq *s, int64_t at_ns)
{
    return at_ns > s->arrival_ns ? at_ns : s->arrival_ns;
}

void sim_admit_freeze(struct sim_admit *q, int64_t until_ns)
{
    if (until_ns > q->frozen_until_ns)
        q->frozen_until_ns = until_ns;
}
