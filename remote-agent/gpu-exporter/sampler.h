/* sampler: aifb-gpu-exporter's sampling thread. It reads the source every interval on absolute
 * CLOCK_MONOTONIC deadlines (no drift; a late sample skips the ticks it missed instead of bursting)
 * and publishes a copy of the latest good sample under a mutex, so that serving and pushing only
 * ever copy it and never wait for a sample to be taken. */
#ifndef AIFB_GPU_SAMPLER_H
#define AIFB_GPU_SAMPLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "expo.h"
#include "sample.h"
#include "source.h"

struct sampler {
    struct source *src; /* borrowed; the caller closes it after sampler_stop */
    double interval;    /* seconds */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_bool exited;
    struct gpu_sample scratch; /* the thread's own: read into, then copied under mu */
    bool failing;              /* the last sample failed (logged once per run of failures) */
    pthread_mutex_t mu;
    /* Under mu. */
    struct gpu_sample latest;
    bool have;                          /* latest holds a good sample */
    unsigned long long samples, errors; /* attempted, failed */
    double last_cost;                   /* seconds the last attempt took; NAN before the first */
};

/* Prepares s to sample src every interval seconds; starts nothing. src stays the caller's. */
void sampler_init(struct sampler *s, struct source *src, double interval);

/* Starts the thread, which samples every interval seconds from now on (take the first sample with
 * sampler_take before, so that the first scrape has one). Returns 0, or -1 (errno) when it cannot. */
int sampler_run(struct sampler *s);

/* Takes one sample on the calling thread and publishes it, as the thread does. Returns 0, or -1 when
 * the read failed (logged, counted). For --once and the first sample; not while the thread runs. */
int sampler_take(struct sampler *s);

/* Copies the latest good sample into *out (out->n is 0 before the first one) and the counts into *st
 * (st->source points at a static string). Returns whether a sample was there. */
bool sampler_latest(struct sampler *s, struct gpu_sample *out, struct expo_stats *st);

/* Stops and joins the thread: wakes it from its sleep and waits at most about 5 s for a sample in
 * progress to end. Returns 0, or -1 when it did not end (the process should then leave without
 * unloading what the thread may still use). Safe on a sampler that never started. */
int sampler_stop(struct sampler *s);

/* Releases the mutex; after sampler_stop returned 0, or when the thread never ran. */
void sampler_free(struct sampler *s);

#endif
