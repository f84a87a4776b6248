/* loop: aifb-loadgen's engine. One thread drives every request through libcurl's multi interface
 * on epoll (curl_multi_socket_action), with one timerfd at absolute CLOCK_MONOTONIC deadlines for
 * curl's timeout, the schedule and the pushes, and a signalfd for SIGTERM and SIGINT. Easy handles
 * are reused and the connection cache is large, so N streams keep N keep-alive connections.
 * Closed loop: arrival_concurrency(w, t) requests in flight, a slot's next one scheduled when the
 * previous finished. Open loop: arrival_next's schedule, sent on time whatever is in flight; with
 * max_concurrency, an arrival due at the cap waits for a free slot and the rest of the schedule
 * shifts by that wait (no burst to catch up; the total is held_s). Requests go round robin over the
 * targets; their bodies are built once per prompt before the run. With the workload's preconnect,
 * the connections are opened before the run starts (its time 0 is taken after them). */
#ifndef AIFB_LOADGEN_LOOP_H
#define AIFB_LOADGEN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "output.h"
#include "prompts.h"
#include "push.h"
#include "workload.h"

struct loop_setup {
    const struct workload *w; /* this rank's share */
    const struct prompt_set *prompts;
    struct output *out; /* records, timeline and counters; opened, and begun by loop_run */
    struct push *push;  /* NULL: no live metrics */
    int rank;
};

struct loop_outcome {
    int64_t started_us; /* epoch us: the run's time 0 (a CLOCK_REALTIME reading taken with the
                         * CLOCK_MONOTONIC one every later time is offset from) */
    int64_t ended_us;   /* epoch us */
    long preconnected;  /* connections opened before the start (workload preconnect) */
    double held_s;      /* capped open loop: the total shift of the schedule */
    bool stopped;       /* by SIGTERM or SIGINT: in-flight requests were recorded as cancelled */
};

/* Blocks SIGTERM and SIGINT (read later through a signalfd) and ignores SIGPIPE. Call it before
 * any thread starts (curl's resolver threads inherit the mask). Returns 0 or -1 (errno). */
int loop_block_signals(void);

/* Now on CLOCK_MONOTONIC in nanoseconds, and on CLOCK_REALTIME in epoch microseconds. */
int64_t loop_mono_ns(void);
int64_t loop_epoch_us(void);

/* Runs s->w until its bound (requests and/or duration; in-flight requests then finish within
 * timeout_s) or a signal, after opening the connections first when the workload asks. Calls
 * output_begin(s->out) at the start; every finished request goes to s->out. Returns ERR_OK with *o
 * filled, or ERR_INTERNAL with *detail when the loop cannot run (epoll, timerfd, signalfd, curl). */
enum err loop_run(const struct loop_setup *s, struct loop_outcome *o, const char **detail);

#endif
