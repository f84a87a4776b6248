/* record: what one request did, as aifb-loadgen measured it, and its line in records-<rank>.csv.
 * Times are CLOCK_REALTIME microseconds since the epoch (taken as one realtime reading at start plus
 * CLOCK_MONOTONIC offsets, so no step of the wall clock moves them), so that ranks on several nodes
 * merge on one timeline. The CSV is PostgreSQL COPY's csv format, no header, in the column order of
 * request_records after run_id (sql/0003, sql/0007): rank, seq, phase, scheduled_us, sent_us,
 * first_chunk_us, last_chunk_us, done_us, itl_us ("{a,b,...}" quoted), prompt_tokens,
 * completion_tokens, tokens_estimated (t/f), http_status, error_class, connect_us (name the columns
 * in COPY: phase, added by sql/0003, comes after error_class in the table). An absent value is an
 * empty field (NULL): first_chunk_us, last_chunk_us or done_us of 0 (scheduled_us, sent_us and
 * connect_us are always written), a token count of -1, an http_status of 0, a NULL error_class.
 * phase is the word warmup, measure or cooldown; itl_us is always an array ("{}" for none). Two
 * lines (short times):
 *   0,7,measure,1000,1100,51100,71100,71200,"{10000,10000}",12,3,f,200,,0
 *   1,8,measure,1000,1100,,,1900,"{}",,,t,,connect,0 */
#ifndef AIFB_LOADGEN_RECORD_H
#define AIFB_LOADGEN_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_COOLDOWN };

/* Error classes: a fixed set of [a-z_] words (so the CSV never needs quoting for them).
 *   http_error  the server answered a status outside 2xx (http_status holds it)
 *   connect     no connection (refused, unreachable, DNS)
 *   timeout     no complete answer within the workload's timeout_s
 *   stream_cut  the stream ended before its finish (no finish_reason / [DONE])
 *   protocol    an answer that is not the OpenAI format
 *   cancelled   the run was stopped while the request was in flight */
#define ERROR_CLASSES "http_error", "connect", "timeout", "stream_cut", "protocol", "cancelled"

struct record {
    int rank;
    uint64_t seq;           /* 0, 1, ... in the order requests were scheduled, per rank */
    enum phase phase;       /* by scheduled time against warmup_s and cooldown_s */
    int64_t scheduled_us;   /* when the schedule wanted it sent (closed loop: when a slot freed) */
    int64_t sent_us;        /* when it was handed to libcurl (the wait in the client is sent - scheduled) */
    int64_t first_chunk_us; /* first chunk with a non-empty choices array (vllm bench serve's TTFT
                             * point; non-streaming: the whole answer); 0: none */
    int64_t last_chunk_us;  /* last chunk with a non-empty choices array; 0: none */
    int64_t done_us;        /* the answer complete or failed */
    int32_t *itl_us;        /* gaps between chunks with choices, in order; n_itl of them */
    uint32_t n_itl;
    int64_t prompt_tokens;     /* from usage; else estimated; -1: unknown */
    int64_t completion_tokens; /* from usage; else chunks with non-empty text counted; -1: unknown */
    bool tokens_estimated;     /* true when either count is not the server's usage */
    int http_status;           /* 0: no answer */
    const char *error_class;   /* NULL: success */
    int64_t connect_us;        /* the time the request spent opening its connection (name lookup, TCP
                                * and TLS, from curl), inside sent_us .. first_chunk_us; 0 when it
                                * reused one (or none was made) */
};

/* Writes r as one CSV line. Returns 0, or -1 on a write error. */
int record_write_csv(FILE *f, const struct record *r);

/* The chunks with choices r received: 1 + n_itl when it had a first one, else 0. */
uint32_t record_chunks(const struct record *r);

/* The output tokens placed at chunk k (0 <= k < record_chunks(r)) of r: the records keep each
 * chunk's time but not its own count, so r's completion_tokens (0 when unknown) are spread over its
 * chunks in whole tokens, chunk k taking floor((k + 1) T / m) - floor(k T / m) of T over m chunks.
 * Exact for one token per chunk, a chat role chunk first taking none (T tokens over T + 1 chunks),
 * and for any fixed count per chunk. The timeline, max_output_tokens_per_s and the SQL of sql/0007
 * place tokens this way alone. */
int64_t record_chunk_tokens(const struct record *r, uint32_t k);

#endif
