/* push: aifb-loadgen's live metrics on a Prometheus Pushgateway. Every push_interval_s the loop
 * PUTs the text exposition format of this rank's counters and latency histograms to
 * <pushgateway>/metrics/job/aifb-loadgen/run_id/<run_id>/rank/<rank>, as an easy handle it adds to
 * its own curl multi (a push never blocks the loop; one is skipped while the previous is in flight),
 * and at the end DELETEs that group. Names follow Prometheus' conventions (base units, _total):
 * aifb_loadgen_requests_{started,completed,failed}_total, aifb_loadgen_requests_in_flight,
 * aifb_loadgen_output_tokens_total, and histograms aifb_loadgen_{ttft,itl,e2el}_seconds (1 ms..60 s)
 * over successful requests of every phase. */
#ifndef AIFB_LOADGEN_PUSH_H
#define AIFB_LOADGEN_PUSH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

#define PUSH_BUCKETS 18             /* finite bucket bounds; +Inf comes on top */
#define PUSH_BODY_MAX (1u << 20)    /* bytes of one exposition */
#define PUSH_DELETE_TIMEOUT_MS 5000 /* the blocking DELETE at the end */

struct push_hist {
    uint64_t counts[PUSH_BUCKETS + 1]; /* per bucket (not cumulative); the last is over the top bound */
    uint64_t count;
    double sum; /* seconds */
};

/* The counters of the run so far, as the loop keeps them. */
struct push_counts {
    int64_t started, completed, failed, in_flight, output_tokens;
};

struct push {
    char *url; /* the group's URL */
    CURL *h;   /* the PUT, reused */
    struct curl_slist *headers;
    struct buf body;
    bool busy;   /* h is in the loop's multi */
    bool warned; /* a failed push was logged (once is enough) */
    long timeout_ms;
    struct push_hist ttft, itl, e2el;
};

/* Sets up pushes to the Pushgateway at base (an http(s) URL) for rank of run_id, each push given
 * timeout_ms at most. Returns 0, or -1 when curl cannot make a handle. */
int push_init(struct push *p, const char *base, int64_t run_id, int rank, long timeout_ms);

/* Frees what p holds; p must not be busy in a multi. */
void push_free(struct push *p);

/* Counts a finished request in the histograms (successful ones only: they have the times). */
void push_observe(struct push *p, const struct record *r);

/* Writes the exposition of c and the histograms into out (cleared first). Returns 0, or -1 when it
 * does not fit out's cap. */
int push_render(const struct push *p, const struct push_counts *c, struct buf *out);

/* The PUT of c now, ready for the caller to add to its multi, or NULL when the previous one is
 * still in flight (or rendering failed). p is busy until push_done. */
CURL *push_start(struct push *p, const struct push_counts *c);

/* The PUT ended with res and the HTTP status (the caller removed it from its multi). A failure is
 * logged once on stderr; the run goes on. */
void push_done(struct push *p, CURLcode res, long status);

/* DELETEs the group, blocking for PUSH_DELETE_TIMEOUT_MS at most. Returns 0, or -1 (logged). */
int push_delete(struct push *p);

#endif
