/* sim: the request model of aifb-simllm, with no I/O: a seeded PRNG, the token schedule (when each
 * token of a request is due) and the admission queue that caps running sequences at max_num_seqs
 * and holds the rest in FIFO order, as vLLM's scheduler does. Times are int64 nanoseconds on one
 * clock of the caller's choice (the server uses CLOCK_MONOTONIC). */
#ifndef AIFB_SIM_H
#define AIFB_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NS_PER_MS 1000000LL

/* The simulated model's timing and failure behaviour, from the command line. */
struct sim_config {
    int64_t ttft_ns;           /* from scheduled to the first token */
    int64_t ttft_per_token_ns; /* added per prompt token */
    int64_t itl_ns;            /* between tokens */
    int64_t itl_spread_ns;     /* each gap is itl_ns + uniform[-spread, +spread] */
    int64_t tokens_per_chunk;  /* tokens a stream chunk carries (the last one the rest); 1 as vLLM */
    int max_num_seqs;          /* running sequences at most; the rest wait */
    uint64_t seed;
    double error_rate; /* fraction of generation requests answered 500 */
    double cut_rate;   /* fraction of streams cut after half their tokens */
};

/* splitmix64: small, fast, and good enough for timing jitter and coin flips. */
struct sim_rng {
    uint64_t s;
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);

/* A double uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *r);

/* An integer uniform in [lo, hi] (lo <= hi), without modulo bias. */
int64_t sim_rng_range(struct sim_rng *r, int64_t lo, int64_t hi);

/* True with probability p: never for p <= 0, always for p >= 1 (neither draws). */
bool sim_rng_chance(struct sim_rng *r, double p);

/* The seed of request number seq's own generator, so that its jitter does not depend on what
 * other requests drew before it. */
uint64_t sim_request_seed(uint64_t seed, uint64_t seq);

/* When the first token of a request scheduled at scheduled_ns with prompt_tokens is due. */
int64_t sim_first_due(const struct sim_config *c, int64_t scheduled_ns, int64_t prompt_tokens);

/* When the token after one due at prev_due is due: prev_due + itl ± spread, never before prev_due.
 * Scheduling from due times (not from when a write happened) keeps errors from adding up. */
int64_t sim_next_due(const struct sim_config *c, struct sim_rng *r, int64_t prev_due);

/* How many tokens a cut stream writes before its connection is closed: half of max_tokens,
 * rounded down (0: closed when the first token is due). */
int64_t sim_cut_after(int64_t max_tokens);

/* One request in the admission queue; embedded in the caller's request. */
struct sim_seq {
    struct sim_seq *prev, *next;
    int64_t arrival_ns;
    bool queued;
};

/* Admission: at most max_running sequences run; others wait in arrival order. While frozen
 * (a stall, until frozen_until_ns) nothing is admitted. */
struct sim_admit {
    int max_running;
    int running;
    size_t waiting;
    struct sim_seq *head, *tail;
    int64_t frozen_until_ns;
};

void sim_admit_init(struct sim_admit *q, int max_running);

/* Offers s, arrived at s->arrival_ns, at time now_ns. Returns true when it runs at once (the
 * caller schedules it at now_ns); false when it waits (sim_admit_next hands it out later). */
bool sim_admit_submit(struct sim_admit *q, struct sim_seq *s, int64_t now_ns);

/* A running sequence ended: frees its slot. */
void sim_admit_release(struct sim_admit *q);

/* Takes a waiting sequence out of the queue (its client went away). */
void sim_admit_remove(struct sim_admit *q, struct sim_seq *s);

/* The next sequence to run at time at_ns, or NULL when no slot is free, none waits, or the queue is
 * frozen at at_ns. The sequence counts as running; its scheduled time is sim_admit_time. */
struct sim_seq *sim_admit_next(struct sim_admit *q, int64_t at_ns);

/* When a sequence taken at at_ns left the queue: at_ns, but not before it arrived. */
int64_t sim_admit_time(const struct sim_seq *s, int64_t at_ns);

/* Freezes admission until until_ns (a later freeze extends an earlier one, never shortens it). */
void sim_admit_freeze(struct sim_admit *q, int64_t until_ns);

#endif
