/* output: what aifb-loadgen keeps of a run and the files it writes into the --out folder: every
 * record (kept in memory for the summary, and streamed to records-<rank>.csv as requests finish,
 * through a large stdio buffer), the timeline-<rank>.csv of one line per whole epoch second
 * (rank,second,started,completed,failed,output_tokens,in_flight,chunks,measured_tokens, as the
 * run_timeline table),
 * and summary-<rank>.json, written last through a temporary file and a rename so that its presence
 * means the rank finished. Also the short table of the main figures a job's log shows. */
#ifndef AIFB_LOADGEN_OUTPUT_H
#define AIFB_LOADGEN_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "record.h"
#include "workload.h"

/* What happened in one epoch second: requests started, answered in full and failed (by done_us),
 * and the output tokens and chunks with choices that arrived, every request's (failed ones too),
 * placed at its chunks' times by record_chunk_tokens; measured_tokens counts the tokens of the
 * completed requests of the measure phase alone, the ones max_output_tokens_per_s is the peak of
 * (SQL sums them over the ranks instead of placing every chunk of a run again). */
struct output_second {
    int64_t started, completed, failed, output_tokens, chunks, measured_tokens;
};

struct output {
    int rank;
    char *dir;     /* NULL: no files */
    FILE *records; /* records-<rank>.csv */
    bool write_failed;
    struct record *recs; /* every record, their ITL gaps in blocks owned here */
    size_t n, cap;
    struct output_block *blocks;
    int64_t first_second; /* the epoch second the run started in */
    struct output_second *secs;
    size_t nsecs, cap_secs;
    int64_t started, completed, failed; /* totals of the run */
    int64_t output_tokens;              /* live: as stream_feed counts them, then each request's rest */
};

/* Starts the output of rank's run. With dir (NULL: no files), creates it when missing and opens
 * records-<rank>.csv there. Returns ERR_OK, or ERR_INTERNAL with *detail (static or in o) naming
 * the file and why. */
enum err output_open(struct output *o, const char *dir, int rank, const char **detail);

/* The run starts at start_us (epoch microseconds): the timeline's first second. Call it once, before
 * anything is counted. */
void output_begin(struct output *o, int64_t start_us);

/* A request handed to the HTTP client at at_us. */
void output_started(struct output *o, int64_t at_us);

/* n output tokens arrived: the live total the pushes report (the timeline takes its tokens from the
 * records, in output_record). */
void output_live_tokens(struct output *o, int64_t n);

/* A finished request: r is copied (its ITL gaps too), counted in the second of its done_us, its
 * tokens and chunks in the seconds of its chunks, and written to the records file. A write error is
 * remembered for output_close. */
void output_record(struct output *o, const struct record *r);

/* The records kept so far, in the order they finished; owned by o. */
const struct record *output_records(const struct output *o, size_t *n);

/* Ends the run at end_us: flushes and closes the records file, writes the timeline, then summary
 * (not consumed) as summary-<rank>.json through a rename. Without a folder it does nothing. Returns
 * ERR_OK, or ERR_INTERNAL with *detail naming the file that could not be written. */
enum err output_close(struct output *o, const json_t *summary, int64_t end_us, const char **detail);

/* Frees what o holds (closing the records file if output_close was not called). */
void output_free(struct output *o);

/* Writes the main figures of summary (stats_summary's fields, for w's percentiles) as a short table
 * for people, headed by what the run was. Returns 0, or -1 on a write error. */
int output_table(FILE *f, const json_t *summary, const struct workload *w);

#endif
