/* gen: one simulated generation from arrival to its last token: admission (queueing beyond
 * max_num_seqs), a timer per due token, writing vLLM's chunks (or the whole body) to the connection
 * the moment each is due, the "aifb_sim" timing stamp, metrics, cuts, and stalls that delay every
 * due event. The engine is the long-lived state all generations share. */
#ifndef AIFB_GEN_H
#define AIFB_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "buf.h"
#include "conn.h"
#include "loop.h"
#include "sim.h"
#include "vmetrics.h"

struct gen_engine {
    struct loop *loop;
    struct sim_config cfg;
    struct sim_admit admit;
    struct vmetrics metrics;
    struct sim_rng rng;     /* error and cut draws: --seed alone decides them */
    struct sim_rng ids;     /* response ids: unique across runs, as vLLM's uuids are */
    uint64_t seq;           /* generation requests so far */
    const char *model_json; /* not owned */
    struct loop_timer thaw; /* admission once a stall ends */
    struct buf scratch;     /* one event or body being formatted */
    size_t live;            /* generations not yet ended */
};

/* Sets up e for loop with cfg; model_json (the model name as a JSON string) must outlive e. */
void gen_engine_init(struct gen_engine *e, struct loop *loop, const struct sim_config *cfg, const char *model_json);

/* Releases e's memory. Every generation must have ended (their connections closed) first. */
void gen_engine_free(struct gen_engine *e);

/* Draws whether the next generation request is answered 500 (--error-rate). */
bool gen_draw_error(struct gen_engine *e);

/* Starts answering req on c, which arrived at arrival_ns (CLOCK_MONOTONIC) and arrival_rt_ns
 * (CLOCK_REALTIME). A stream's head goes out at once; tokens follow as they fall due. The
 * generation owns itself and ends with conn_done, conn_cut (a drawn cut) or c's abort hook. */
void gen_start(struct gen_engine *e, struct conn *c, const struct api_request *req, int64_t arrival_ns,
               int64_t arrival_rt_ns);

/* Delays every due event by ms from now, and admits nothing until then: as if frozen. Returns when
 * admission resumes (CLOCK_MONOTONIC ns). */
int64_t gen_stall(struct gen_engine *e, int64_t ms);

#endif
