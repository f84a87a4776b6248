/* aifb-loadgen: one rank of a benchmark run against an OpenAI-compatible service.
 *   aifb-loadgen --config FILE|- [--datasets DIR] [--out DIR] [--rank N] [--ranks K] [--check] [--json]
 * Reads the workload, takes this rank's share, loads the prompts, runs the load (loop.c) and writes
 * records, timeline and summary (output.c). Exit status: 0 the run completed (failed requests are
 * results), 1 a bad workload or a failure of the program, 2 a usage error, 3 stopped by SIGTERM or
 * SIGINT (every file still written). Errors are the project's JSON error shape on stdout. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "arena.h"
#include "err.h"
#include "fdlimit.h"
#include "log.h"
#include "loop.h"
#include "models.h"
#include "opt.h"
#include "out.h"
#include "output.h"
#include "prompts.h"
#include "push.h"
#include "stats.h"
#include "workload.h"

#define EXIT_USAGE 2
#define EXIT_STOPPED 3
#define MAX_RANKS 65536
#define FD_RESERVE 64 /* descriptors besides the streams: epoll, timerfd, signalfd, files, stdio */

struct opts {
    const char *config, *datasets, *out;
    int rank, ranks; /* -1: not given (SLURM's task id and count, else 0 of 1) */
    bool check, json;
};

static const char usage_text[] = "usage: aifb-loadgen --config FILE|- [--datasets DIR] [--out DIR] [--rank N] "
                                 "[--ranks K] [--check] [--json]";

static const struct opt options[] = {
    {.field = {.name = "--config", .type = FIELD_STR, .required = true},
     .value = true,
     .meta = "FILE|-",
     .to = OPT_AT(struct opts, config),
     .help = "the workload, a JSON document (- reads it from stdin)"},
    {.field = {.name = "--datasets", .type = FIELD_STR},
     .value = true,
     .meta = "DIR",
     .to = OPT_AT(struct opts, datasets),
     .help = "where the workload's prompt files are ($HOME/.aifb/datasets)"},
    {.field = {.name = "--out", .type = FIELD_STR},
     .value = true,
     .meta = "DIR",
     .to = OPT_AT(struct opts, out),
     .help = "write records, timeline and summary there (none: no files)"},
    {.field = {.name = "--rank", .type = FIELD_INT, .min = 0, .max = MAX_RANKS - 1},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct opts, rank),
     .help = "this rank, below --ranks ($SLURM_PROCID, else 0)"},
    {.field = {.name = "--ranks", .type = FIELD_INT, .min = 1, .max = MAX_RANKS},
     .value = true,
     .meta = "K",
     .to = OPT_AT(struct opts, ranks),
     .help = "ranks sharing the workload ($SLURM_NTASKS, else 1)"},
    {.field = {.name = "--check", .type = FIELD_BOOL},
     .to = OPT_AT(struct opts, check),
     .help = "check the workload and load its prompts, print {\"ok\":true,...} and exit"},
    {.field = {.name = "--json", .type = FIELD_BOOL},
     .to = OPT_AT(struct opts, json),
     .help = "print the summary as JSON instead of the table of figures"},
    {.field.name = NULL},
};

static const struct opt_cmd command = {
    .usage = usage_text,
    .opts = options,
    .footer = "See remote-agent/README.md, aifb-loadgen.\n",
};

/* The usage error shape; its hint is aifb-agent's (err.def is shared), so the detail names ours. */
static int usage_error(const char *why)
{
    char detail[512];
    snprintf(detail, sizeof(detail), "%s; %s", why, usage_text);
    out_error(ERR_USAGE, detail);
    return EXIT_USAGE;
}

/* s as an integer in [lo, hi]. Returns 0 or -1. */
static int parse_int(const char *s, long long lo, long long hi, int *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* The ranks not given: SLURM's task id and count, else 0 of 1; and --rank within the ranks. Returns
 * 0 or -1 with *why. */
static int take_ranks(struct opts *o, const char **why)
{
    const char *r = getenv("SLURM_PROCID"), *k = getenv("SLURM_NTASKS");
    if (o->ranks < 0) {
        o->ranks = 1;
        if (k && parse_int(k, 1, MAX_RANKS, &o->ranks) < 0) {
            *why = "SLURM_NTASKS is not an integer in [1, 65536]";
            return -1;
        }
    }
    if (o->rank >= o->ranks) {
        *why = "--rank must be an integer in [0, ranks - 1]";
        return -1;
    }
    if (o->rank < 0) {
        o->rank = 0;
        if (r && parse_int(r, 0, o->ranks - 1, &o->rank) < 0) {
            *why = "SLURM_PROCID is not in [0, ranks - 1]";
            return -1;
        }
    }
    return 0;
}

/* Fills *o from argv. Returns 0, 1 for --help, or -1 with *why (static, or in buf). */
static int parse_args(int argc, char **argv, struct opts *o, char *buf, size_t n, const char **why)
{
    *o = (struct opts){.rank = -1, .ranks = -1};
    *why = buf;
    switch (opt_parse(&command, argc, argv, o, buf, n)) {
    case OPT_OK:
        return take_ranks(o, why);
    case OPT_HELP:
        return 1;
    case OPT_UNKNOWN:
        *why = "unknown option or missing value";
        return -1;
    case OPT_EXTRA:
        *why = "unexpected argument";
        return -1;
    case OPT_INVALID:
        break;
    }
    return -1;
}

/* The workload document from path ("-": stdin). Returns it (a new reference) or NULL with the error
 * and *detail set. */
static json_t *read_config(struct arena *a, const char *path, enum err *e, const char **detail)
{
    json_error_t jerr;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        *e = ERR_INVALID_INPUT;
        *detail = arena_printf(a, "field=--config: cannot read it: %s", strerror(errno));
        return NULL;
    }
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    if (f != stdin)
        fclose(f);
    if (!doc) {
        *e = ERR_INVALID_JSON;
        *detail = arena_printf(a, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    }
    return doc;
}

/* The datasets folder: --datasets, else $HOME/.aifb/datasets. */
static const char *datasets_dir(struct arena *a, const struct opts *o)
{
    const char *home = getenv("HOME");
    if (o->datasets)
        return o->datasets;
    return arena_printf(a, "%s/.aifb/datasets", home ? home : ".");
}

/* Reads, checks and shares out the workload, and loads its prompts. Returns ERR_OK or the error with
 * *detail. */
static enum err prepare(struct arena *a, const struct opts *o, json_t **doc, struct workload *w, struct prompt_set *ps,
                        const char **detail)
{
    enum err e = ERR_OK;
    *doc = read_config(a, o->config, &e, detail);
    if (!*doc)
        return e;
    out_keep(a, *doc);
    e = workload_parse(a, *doc, true, w, detail);
    if (e)
        return e;
    workload_share(w, o->rank, o->ranks);
    return prompts_load(a, w, datasets_dir(a, o), ps, detail);
}

/* Raises the soft open-file limit to the hard one: one socket per stream. */
static void raise_nofile(const struct workload *w)
{
    long long lim = fdlimit_raise();
    int64_t streams = w->mode == WL_CLOSED ? w->concurrency : w->max_concurrency;
    if (lim >= 0 && streams + FD_RESERVE > lim)
        log_warn("%lld streams may be in flight but the open-file limit is %lld: some will fail to connect",
                 (long long)streams, lim);
}

/* The mean rate the open-loop workload asks of this rank (0 closed). */
static double requested_rate(const struct workload *w)
{
    if (w->mode != WL_OPEN)
        return 0;
    if (w->nstages == 0)
        return w->rate;
    double n = 0, d = 0;
    for (size_t i = 0; i < w->nstages; i++) {
        n += w->stages[i].rate * w->stages[i].duration_s;
        d += w->stages[i].duration_s;
    }
    return d > 0 ? n / d : 0;
}

/* stats_summary's object with who and when: rank, ranks, run_id, started_at, ended_at. */
static json_t *summary_of(const struct output *out, const struct workload *w, const struct opts *o,
                          const struct run_facts *f)
{
    size_t n;
    const struct record *recs = output_records(out, &n);
    json_t *s = stats_summary(recs, n, w, f);
    json_object_set_new(s, "rank", json_integer(o->rank));
    json_object_set_new(s, "ranks", json_integer(o->ranks));
    json_object_set_new(s, "run_id", json_integer(w->run_id));
    json_object_set_new(s, "started_at", json_real((double)f->started_us / 1e6));
    json_object_set_new(s, "ended_at", json_real((double)f->ended_us / 1e6));
    return s;
}

/* The loop of s, with pushes to the workload's Pushgateway when it names one (the pushed group is
 * deleted after a loop that succeeded). Returns ERR_OK or the error with *detail. */
static enum err run_loop(struct loop_setup *s, struct loop_outcome *res, const char **detail)
{
    const struct workload *w = s->w;
    struct push push;
    enum err e = ERR_OK;
    if (w->pushgateway) {
        long timeout_ms = (long)(w->push_interval_s * 1000) * 4;
        s->push = &push;
        if (push_init(&push, w->pushgateway, w->run_id, s->rank, timeout_ms < 10000 ? 10000 : timeout_ms) < 0) {
            e = ERR_INTERNAL;
            *detail = "cannot set up the pushes to the Pushgateway";
            goto out;
        }
    }
    e = loop_run(s, res, detail);
    if (e)
        goto out;
    if (w->preconnect)
        log_info("preconnect: %ld connections answered before the start", res->preconnected);
    if (s->push)
        push_delete(s->push);
out:
    if (s->push)
        push_free(s->push);
    return e;
}

/* The run itself, its files and its report. Returns the exit status. */
static int run(struct arena *a, const struct opts *o, const struct workload *w, const struct prompt_set *ps)
{
    struct output out;
    struct loop_outcome res = {0};
    const char *detail = NULL;
    json_t *summary = NULL;
    struct loop_setup s = {.w = w, .prompts = ps, .out = &out, .rank = o->rank};
    enum err e = output_open(&out, o->out, o->rank, &detail);
    if (e)
        goto out;
    e = run_loop(&s, &res, &detail);
    if (e)
        goto out;
    summary = out_keep(
        a, summary_of(&out, w, o, &(struct run_facts){requested_rate(w), res.started_us, res.ended_us, res.held_s}));
    e = output_close(&out, summary, res.ended_us, &detail);
out:
    output_free(&out);
    if (e) {
        out_error(e, detail);
        return EXIT_FAILURE;
    }
    if (o->json ? out_print(summary) < 0 : output_table(stdout, summary, w) < 0)
        log_warn("cannot write the report on stdout");
    return res.stopped ? EXIT_STOPPED : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    struct opts o;
    char why[256];
    const char *detail = NULL;
    log_init("aifb-loadgen", LOG_INFO);
    int rc = parse_args(argc, argv, &o, why, sizeof(why), &detail);
    if (rc > 0) {
        opt_help(&command, stdout);
        return EXIT_SUCCESS;
    }
    if (rc < 0)
        return usage_error(detail);
    if (loop_block_signals() < 0) {
        out_error(ERR_INTERNAL, "cannot block SIGTERM and SIGINT");
        return EXIT_FAILURE;
    }
    struct arena *a = arena_new(64 * 1024);
    json_t *doc = NULL;
    struct workload w;
    struct prompt_set ps;
    enum err e = prepare(a, &o, &doc, &w, &ps, &detail);
    if (e) {
        out_error(e, detail);
        rc = EXIT_FAILURE;
    } else if (o.check) {
        json_t *ok =
            json_pack("{s:b,s:I,s:i,s:i}", "ok", 1, "prompts", (json_int_t)ps.n, "rank", o.rank, "ranks", o.ranks);
        rc = out_print(out_keep(a, ok)) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    } else {
        raise_nofile(&w);
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* wake-ups as close to the schedule as the kernel can */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        e = w.model ? ERR_OK : models_first(a, w.targets[0], 10, &w.model, &detail);
        if (e) {
            out_error(e, detail);
            rc = EXIT_FAILURE;
        } else {
            rc = run(a, &o, &w, &ps);
        }
        curl_global_cleanup();
    }
    arena_free(a);
    return rc;
}
