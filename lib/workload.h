/* workload: what one aifb-loadgen process is asked to do, read from the workload JSON (the same
 * object the client API takes as `workload`, with `targets` filled in by aifb-client). Shape,
 * ranges and the rules between fields are checked here and nowhere else: aifb-client links this
 * file to refuse a bad run before anything is submitted, and aifb-loadgen checks again when it
 * starts (it also runs by hand). Every refusal is ERR_INVALID_INPUT with a detail naming the field
 * as "field=workload.load.rate: must be > 0". The JSON format is documented in remote-agent/README.md. */
#ifndef AIFB_LOADGEN_WORKLOAD_H
#define AIFB_LOADGEN_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

#define WORKLOAD_MAX_CONCURRENCY 20000 /* streams in flight per run, at most (file descriptors) */
#define WORKLOAD_MAX_RATE 1e6          /* requests/s */
#define WORKLOAD_MAX_TARGETS 64
#define WORKLOAD_MAX_STAGES 64
#define WORKLOAD_MAX_REQUESTS 100000000LL
#define WORKLOAD_MAX_DURATION_S 604800.0 /* a week */
#define WORKLOAD_MAX_PROMPTS 1000000
#define WORKLOAD_MAX_TOKENS 1000000
#define WORKLOAD_MAX_PERCENTILES 16
#define WORKLOAD_DEFAULT_INPUT_LEN 256 /* tokens of the random prompts of a workload that names none */

enum wl_api { WL_COMPLETIONS, WL_CHAT };                        /* /v1/completions, /v1/chat/completions */
enum wl_mode { WL_CLOSED, WL_OPEN };                            /* N in flight; arrivals at a rate */
enum wl_arrival { WL_CONSTANT, WL_POISSON, WL_GAMMA };          /* gaps between arrivals (open loop) */
enum wl_source { WL_INLINE, WL_JSONL, WL_SHAREGPT, WL_RANDOM }; /* where prompts come from */

/* One stage: for duration_s, either a rate (open loop) or a concurrency (closed loop). */
struct wl_stage {
    double duration_s;
    double rate;         /* open: requests/s; 0 in a closed-loop stage */
    int64_t concurrency; /* closed: in flight; 0 in an open-loop stage */
};

struct wl_prompts {
    enum wl_source source;
    const char *const *items; /* inline: the prompts (nitems of them) */
    size_t nitems;
    const char *path;   /* jsonl/sharegpt: a file under the datasets folder (relative, no "..") */
    const char *field;  /* jsonl: the member holding the prompt ("prompt") */
    int64_t input_len;  /* random: prompt tokens (mean); also jsonl/sharegpt: 0 */
    int64_t output_len; /* random: completion tokens (mean); 0: max_tokens */
    double range_ratio; /* random: lengths uniform in len * [1 - r, 1 + r] (vllm's random dataset) */
};

struct wl_slo { /* goodput: a request is good when it meets every SLO set (0: not set) */
    double ttft_ms, tpot_ms, e2el_ms;
};

struct workload {
    const char *const *targets; /* base URLs "http://host:port" (no trailing '/'); round robin */
    size_t ntargets;
    enum wl_api api;
    const char *model;        /* NULL: the first model the target serves (models.h) */
    bool stream;              /* default true */
    int64_t max_tokens;       /* default 128 */
    double temperature;       /* default 0 */
    bool has_temperature;     /* false: not sent */
    bool ignore_eos;          /* sent only when true */
    const json_t *extra_body; /* members merged into every request body; NULL: none */

    enum wl_mode mode;       /* default closed */
    int64_t concurrency;     /* closed loop: in flight (default 1); with stages the largest stage's */
    double rate;             /* open loop: requests/s; 0 with stages */
    enum wl_arrival arrival; /* default poisson */
    double burstiness;       /* gamma shape (1: Poisson); default 1 */
    int64_t max_concurrency; /* open loop cap; 0: none */
    double ramp_s;           /* closed loop: the concurrency grows evenly from 1 to its value over
                              * this long, so that the streams do not start (and run) in lockstep */
    struct wl_stage *stages; /* when set they replace rate/concurrency and give the duration */
    size_t nstages;

    bool preconnect; /* open the connections before the start, so that no measured request carries a
                      * connect in its TTFT (default false: vllm bench serve's TTFT includes it) */

    int64_t requests;            /* bound by count; 0: none */
    double duration_s;           /* bound by time; 0: none (the stages' sum when stages are set) */
    double warmup_s, cooldown_s; /* left out of the results, by scheduled time */
    uint64_t seed;
    struct wl_prompts prompts;
    struct wl_slo slo;
    double percentiles[WORKLOAD_MAX_PERCENTILES]; /* default 50, 90, 95, 99 */
    size_t npercentiles;
    double timeout_s; /* per request; default 600 */

    int64_t run_id;          /* labels only; 0: none */
    const char *pushgateway; /* base URL; NULL: no live metrics */
    double push_interval_s;  /* default 1 */
};

/* Checks doc (the workload object) and fills *w (strings point into doc or the arena; doc must
 * outlive w). Rules beyond each field's own range: at least one of requests, duration_s, stages;
 * open loop needs a rate or stages with rates; closed-loop stages give concurrency, open ones rate;
 * warmup_s + cooldown_s < the duration when one is set; max_concurrency only in open loop;
 * preconnect in open loop only with max_concurrency (it says how many connections to open);
 * inline needs items, jsonl/sharegpt a path, random an input_len; every target an http(s) URL.
 * A member of the other mode or of another source is refused (rate in closed loop, items with jsonl).
 * require_targets: false lets aifb-client check a workload before it fills targets in.
 * Returns ERR_OK or ERR_INVALID_INPUT with *detail = "field=workload.<path>: <why>". */
enum err workload_parse(struct arena *a, const json_t *doc, bool require_targets, struct workload *w,
                        const char **detail);

/* This rank's share of w for ranks processes (0 <= rank < ranks): rates, concurrencies (and those of
 * each stage) and requests divided, remainders to the lowest ranks; a rank left with no share gets
 * requests = -1 (it sends nothing); seed becomes seed + rank. The stages are changed in place. */
void workload_share(struct workload *w, int rank, int ranks);

/* The seconds the run is bounded to (duration_s, or the stages' sum); 0: bounded by count only. */
double workload_duration(const struct workload *w);

#endif
