/* output: the records kept for the summary (ITL gaps copied into large blocks, so that a run of
 * millions of chunks makes few allocations), the files of a rank, and the table for people. */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK_GAPS (1u << 20)     /* gaps per block of ITL storage */
#define RECORDS_BUFFER (1u << 20) /* stdio buffer of records-<rank>.csv */
#define PATH_CAP 4096

struct output_block {
    struct output_block *next;
    size_t used, cap;
    int32_t v[];
};

/* Allocation failures abort, as the arena's do: a run cannot go on without memory. */
static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("aifb-loadgen: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* DIR/NAME-RANK.EXT into buf. Returns 0, or -1 (ENAMETOOLONG) when it does not fit. */
static int path_of(char *buf, size_t n, const char *dir, const char *name, int rank, const char *ext)
{
    int k = snprintf(buf, n, "%s/%s-%d%s", dir, name, rank, ext);
    if (k > 0 && (size_t)k < n)
        return 0;
    errno = ENAMETOOLONG;
    return -1;
}

/* "cannot write NAME: why" (the detail names the file, never the folder: no path of the node). */
static const char *write_detail(const char *file, int errnum)
{
    static char detail[256];
    snprintf(detail, sizeof(detail), "cannot write %s: %s", file, strerror(errnum));
    return detail;
}

/* Flushes f to the disk and closes it; bad says a write failed already. Returns 0 or -1 (errno). */
static int close_file(FILE *f, bool bad)
{
    errno = 0;
    bad = bad || ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno ? errno : EIO;
    if (fclose(f) != 0 && !bad)
        return -1;
    if (bad)
        errno = e;
    return bad ? -1 : 0;
}

enum err output_open(struct output *o, const char *dir, int rank, const char **detail)
{
    memset(o, 0, sizeof(*o));
    o->rank = rank;
    if (!dir)
        return ERR_OK;
    char path[PATH_CAP], name[64];
    snprintf(name, sizeof(name), "records-%d.csv", rank);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        *detail = write_detail("the output folder", errno);
        return ERR_INTERNAL;
    }
    o->dir = strdup(dir);
    if (o->dir && path_of(path, sizeof(path), dir, "records", rank, ".csv") >= 0)
        o->records = fopen(path, "w");
    if (!o->records) {
        *detail = write_detail(name, o->dir ? errno : ENOMEM);
        return ERR_INTERNAL;
    }
    setvbuf(o->records, NULL, _IOFBF, RECORDS_BUFFER);
    return ERR_OK;
}

/* The counters of the second that at_us falls in, the timeline grown to reach it. */
static struct output_second *second_of(struct output *o, int64_t at_us)
{
    int64_t i = at_us / 1000000 - o->first_second;
    if (i < 0)
        i = 0; /* a time before the start cannot happen; the first second takes it */
    if ((size_t)i >= o->cap_secs) {
        size_t cap = o->cap_secs ? o->cap_secs : 64;
        while (cap <= (size_t)i)
            cap *= 2;
        o->secs = xrealloc(o->secs, cap * sizeof(*o->secs));
        memset(o->secs + o->cap_secs, 0, (cap - o->cap_secs) * sizeof(*o->secs));
        o->cap_secs = cap;
    }
    if ((size_t)i >= o->nsecs)
        o->nsecs = (size_t)i + 1;
    return &o->secs[i];
}

void output_begin(struct output *o, int64_t start_us)
{
    o->first_second = start_us / 1000000;
}

void output_started(struct output *o, int64_t at_us)
{
    second_of(o, at_us)->started++;
    o->started++;
}

void output_live_tokens(struct output *o, int64_t n)
{
    o->output_tokens += n;
}

/* r's tokens and chunks, each chunk in the second it arrived. */
static void count_chunks(struct output *o, const struct record *r)
{
    uint32_t m = record_chunks(r);
    bool measured = r->phase == PHASE_MEASURE && !r->error_class;
    int64_t t = r->first_chunk_us;
    for (uint32_t k = 0; k < m; k++) {
        if (k > 0)
            t += r->itl_us[k - 1];
        struct output_second *s = second_of(o, t);
        int64_t n = record_chunk_tokens(r, k);
        s->output_tokens += n;
        s->chunks++;
        if (measured)
            s->measured_tokens += n;
    }
}

/* Room for n gaps in the ITL blocks. */
static int32_t *gaps_copy(struct output *o, const int32_t *v, size_t n)
{
    if (n == 0)
        return NULL;
    struct output_block *b = o->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_GAPS ? n : BLOCK_GAPS;
        b = xrealloc(NULL, sizeof(*b) + cap * sizeof(int32_t));
        b->next = o->blocks;
        b->used = 0;
        b->cap = cap;
        o->blocks = b;
    }
    int32_t *dst = b->v + b->used;
    memcpy(dst, v, n * sizeof(int32_t));
    b->used += n;
    return dst;
}

void output_record(struct output *o, const struct record *r)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 1024;
        o->recs = xrealloc(o->recs, o->cap * sizeof(*o->recs));
    }
    struct record *k = &o->recs[o->n++];
    *k = *r;
    k->itl_us = gaps_copy(o, r->itl_us, r->n_itl);
    count_chunks(o, k);
    struct output_second *s = second_of(o, r->done_us);
    if (r->error_class) {
        s->failed++;
        o->failed++;
    } else {
        s->completed++;
        o->completed++;
    }
    if (o->records && !o->write_failed && record_write_csv(o->records, k) < 0)
        o->write_failed = true;
}

const struct record *output_records(const struct output *o, size_t *n)
{
    *n = o->n;
    return o->recs;
}

/* The timeline file, every second from the run's first to end_us's, with what was in flight at
 * the end of each. Returns 0 or -1 (errno). */
static int write_timeline(struct output *o, const char *path, int64_t end_us)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    second_of(o, end_us); /* the timeline reaches the end of the run, quiet seconds included */
    int64_t in_flight = 0;
    for (size_t i = 0; i < o->nsecs; i++) {
        const struct output_second *s = &o->secs[i];
        in_flight += s->started - s->completed - s->failed;
        fprintf(f,
                "%d,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
                o->rank, o->first_second + (int64_t)i, s->started, s->completed, s->failed, s->output_tokens,
                in_flight < 0 ? 0 : in_flight, s->chunks, s->measured_tokens);
    }
    return close_file(f, false);
}

/* summary as JSON into a temporary file, then renamed: a reader sees the whole file or none. */
static int write_summary(const char *dir, int rank, const json_t *summary)
{
    char tmp[PATH_CAP], path[PATH_CAP];
    if (path_of(tmp, sizeof(tmp), dir, ".summary", rank, ".json.tmp") < 0 ||
        path_of(path, sizeof(path), dir, "summary", rank, ".json") < 0)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    bool bad = json_dumpf(summary, f, JSON_INDENT(1)) != 0 || fputc('\n', f) == EOF;
    if (close_file(f, bad) < 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* Flushes and closes the records file. Returns 0 or -1 (errno). */
static int close_records(struct output *o)
{
    FILE *f = o->records;
    o->records = NULL;
    return f ? close_file(f, o->write_failed) : 0;
}

enum err output_close(struct output *o, const json_t *summary, int64_t end_us, const char **detail)
{
    if (!o->dir)
        return ERR_OK;
    char path[PATH_CAP], name[64];
    snprintf(name, sizeof(name), "records-%d.csv", o->rank);
    if (close_records(o) < 0) {
        *detail = write_detail(name, errno);
        return ERR_INTERNAL;
    }
    snprintf(name, sizeof(name), "timeline-%d.csv", o->rank);
    if (path_of(path, sizeof(path), o->dir, "timeline", o->rank, ".csv") < 0 || write_timeline(o, path, end_us) < 0) {
        *detail = write_detail(name, errno);
        return ERR_INTERNAL;
    }
    snprintf(name, sizeof(name), "summary-%d.json", o->rank);
    if (write_summary(o->dir, o->rank, summary) < 0) {
        *detail = write_detail(name, errno);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

void output_free(struct output *o)
{
    if (o->records)
        fclose(o->records);
    while (o->blocks) {
        struct output_block *next = o->blocks->next;
        free(o->blocks);
        o->blocks = next;
    }
    free(o->recs);
    free(o->secs);
    free(o->dir);
    memset(o, 0, sizeof(*o));
}

/* ---- the table for people ---- */

static double number(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* One row: mean, median and each of w's percentiles of metric (e.g. "ttft_ms"). */
static int table_row(FILE *f, const json_t *s, const struct workload *w, const char *label, const char *metric)
{
    char key[64];
    snprintf(key, sizeof(key), "mean_%s", metric);
    int bad = fprintf(f, "  %-10s %10.2f", label, number(s, key)) < 0;
    snprintf(key, sizeof(key), "median_%s", metric);
    bad |= fprintf(f, " %10.2f", number(s, key)) < 0;
    for (size_t i = 0; i < w->npercentiles; i++) {
        snprintf(key, sizeof(key), "p%.15g_%s", w->percentiles[i], metric);
        bad |= fprintf(f, " %10.2f", number(s, key)) < 0;
    }
    return bad || fputc('\n', f) == EOF ? -1 : 0;
}

static int table_errors(FILE *f, const json_t *s)
{
    json_t *errors = json_object_get(s, "errors"), *v; /* read only: jansson's iteration takes no const */
    const char *k;
    if (json_object_size(errors) == 0)
        return 0;
    int bad = fputs("  errors:", f) == EOF;
    json_object_foreach(errors, k, v)
    {
        bad |= fprintf(f, " %s %" JSON_INTEGER_FORMAT, k, json_integer_value(v)) < 0;
    }
    return bad || fputc('\n', f) == EOF ? -1 : 0;
}

int output_table(FILE *f, const json_t *s, const struct workload *w)
{
    int bad =
        fprintf(f,
                "aifb-loadgen: %" JSON_INTEGER_FORMAT " completed, %" JSON_INTEGER_FORMAT
                " failed in %.2f s (measured phase); %.2f requests/s, %.1f output tokens/s\n",
                json_integer_value(json_object_get(s, "completed")), json_integer_value(json_object_get(s, "failed")),
                number(s, "duration"), number(s, "request_throughput"), number(s, "output_throughput")) < 0;
    bad |= fprintf(f, "  %-10s %10s %10s", "(ms)", "mean", "median") < 0;
    for (size_t i = 0; i < w->npercentiles; i++) {
        char head[32];
        snprintf(head, sizeof(head), "p%.15g", w->percentiles[i]);
        bad |= fprintf(f, " %10s", head) < 0;
    }
    bad |= fputc('\n', f) == EOF;
    bad |= table_row(f, s, w, "TTFT", "ttft_ms") < 0 || table_row(f, s, w, "TPOT", "tpot_ms") < 0 ||
           table_row(f, s, w, "ITL", "itl_ms") < 0 || table_row(f, s, w, "E2EL", "e2el_ms") < 0;
    const json_t *check = json_object_get(s, "self_check");
    const char *verdict = json_string_value(json_object_get(check, "verdict"));
    bad |= fprintf(f, "  max concurrency %" JSON_INTEGER_FORMAT ", schedule: %s\n",
                   json_integer_value(json_object_get(s, "max_concurrent_requests")), verdict ? verdict : "-") < 0;
    bad |= table_errors(f, s) < 0;
    return bad || fflush(f) != 0 ? -1 : 0;
}
