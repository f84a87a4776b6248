/* aifb-simllm: an OpenAI-compatible server that behaves like vLLM without a model, for runs and
 * tests with no GPU. This file reads the command line, raises the open-file limit, and runs the
 * server until SIGTERM or SIGINT. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "fdlimit.h"
#include "log.h"
#include "opt.h"
#include "server.h"

/* File descriptors kept for the listener, epoll, timerfd, signalfd and stdio. */
#define FD_RESERVE 32

/* The command line's settings: the server's options, and the values converted into them after. */
struct cli {
    struct server_options o;
    double ttft_ms, ttft_per_token_ms, itl_ms, itl_spread_ms;
    int64_t seed, max_conns;
    const char *log_level;
};

#define MS_MAX 3600000.0 /* the timing options' ceiling: an hour */

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};

static const struct opt options[] = {
    {.field = {.name = "--host", .type = FIELD_STR},
     .value = true,
     .meta = "ADDR",
     .to = OPT_AT(struct cli, o.host),
     .help = "address to listen on (127.0.0.1)"},
    {.field = {.name = "--port", .type = FIELD_INT, .min = 0, .max = 65535},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, o.port),
     .help = "port, 0 for any free one (8000)"},
    {.field = {.name = "--port-file", .type = FIELD_STR},
     .value = true,
     .meta = "PATH",
     .to = OPT_AT(struct cli, o.port_file),
     .help = "write the bound port there once listening"},
    {.field = {.name = "--model", .type = FIELD_STR},
     .value = true,
     .meta = "NAME",
     .to = OPT_AT(struct cli, o.model),
     .help = "served model name (aifb/sim-model)"},
    {.field = {.name = "--max-model-len", .type = FIELD_INT, .min = 1, .max = 1LL << 30},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, o.max_model_len),
     .help = "prompt + completion tokens at most (4096)"},
    {.field = {.name = "--ttft-ms", .type = FIELD_NUM, .fmin = 0, .fmax = MS_MAX},
     .value = true,
     .meta = "MS",
     .to = OPT_AT(struct cli, ttft_ms),
     .help = "time to first token after scheduling (20)"},
    {.field = {.name = "--ttft-per-token-ms", .type = FIELD_NUM, .fmin = 0, .fmax = MS_MAX},
     .value = true,
     .meta = "MS",
     .to = OPT_AT(struct cli, ttft_per_token_ms),
     .help = "added per prompt token (0)"},
    {.field = {.name = "--itl-ms", .type = FIELD_NUM, .fmin = 0, .fmax = MS_MAX},
     .value = true,
     .meta = "MS",
     .to = OPT_AT(struct cli, itl_ms),
     .help = "time between tokens (10)"},
    {.field = {.name = "--itl-spread-ms", .type = FIELD_NUM, .fmin = 0, .fmax = MS_MAX},
     .value = true,
     .meta = "MS",
     .to = OPT_AT(struct cli, itl_spread_ms),
     .help = "each gap uniform in itl +- spread (0)"},
    {.field = {.name = "--tokens-per-chunk", .type = FIELD_INT, .min = 1, .max = 1 << 20},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, o.sim.tokens_per_chunk),
     .help = "tokens in each stream chunk, the last one the rest (1)"},
    {.field = {.name = "--max-num-seqs", .type = FIELD_INT, .min = 1, .max = 1 << 20},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, o.sim.max_num_seqs),
     .help = "running requests at most; others wait FIFO (256)"},
    {.field = {.name = "--seed", .type = FIELD_INT, .min = 0, .max = INT64_MAX},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, seed),
     .help = "seed of every random draw (0)"},
    {.field = {.name = "--error-rate", .type = FIELD_NUM, .fmin = 0, .fmax = 1},
     .value = true,
     .meta = "P",
     .to = OPT_AT(struct cli, o.sim.error_rate),
     .help = "fraction of generation requests answered 500 (0)"},
    {.field = {.name = "--cut-rate", .type = FIELD_NUM, .fmin = 0, .fmax = 1},
     .value = true,
     .meta = "P",
     .to = OPT_AT(struct cli, o.sim.cut_rate),
     .help = "fraction of streams cut after half their tokens (0)"},
    {.field = {.name = "--max-conns", .type = FIELD_INT, .min = 1, .max = 1 << 24},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct cli, max_conns),
     .help = "open connections at most (20000)"},
    {.field = {.name = "--log-level", .type = FIELD_ENUM, .values = log_levels},
     .value = true,
     .meta = "LEVEL",
     .to = OPT_AT(struct cli, log_level),
     .help = "debug, info, warn or error (info)"},
    {.field.name = NULL},
};

static const struct opt_cmd command = {
    .usage = "usage: aifb-simllm [options]",
    .opts = options,
    .footer = "Prompt tokens: token ids count one each; text counts ceil(bytes / 4). A stream sends\n"
              "usage in every chunk when asked with stream_options.continuous_usage_stats.\n",
    .help_column = 27,
    .getopt_messages = true, /* glibc's own line for an unknown option or a missing value */
};

/* Milliseconds as nanoseconds, for the timing options. */
static int64_t ms_to_ns(double ms)
{
    return (int64_t)llround(ms * 1e6);
}

/* A refused command line on stderr, as aifb-simllm has always said it. */
static void refused(enum opt_status st, const char *why)
{
    if (st == OPT_EXTRA) {
        fprintf(stderr, "aifb-simllm: unexpected argument '%s'\n", why);
        return;
    }
    if (st == OPT_INVALID)
        fprintf(stderr, "aifb-simllm: %s\n", why);
    fprintf(stderr, "aifb-simllm: see --help\n"); /* for OPT_UNKNOWN, after getopt_long's own line */
}

/* Fills *o from argv, with the defaults for what is not given. Returns 0, 1 for --help (written on
 * stdout), or -1 with the error written on stderr. */
static int parse_args(int argc, char **argv, struct server_options *o)
{
    struct cli c = {
        .o = {.host = "127.0.0.1",
              .port = 8000,
              .model = "aifb/sim-model",
              .max_model_len = 4096,
              .sim = {.max_num_seqs = 256, .tokens_per_chunk = 1}},
        .ttft_ms = 20,
        .itl_ms = 10,
        .max_conns = 20000,
        .log_level = "info",
    };
    char why[256];
    enum opt_status st = opt_parse(&command, argc, argv, &c, why, sizeof(why));
    if (st == OPT_HELP) {
        opt_help(&command, stdout);
        return 1;
    }
    if (st != OPT_OK) {
        refused(st, why);
        return -1;
    }
    *o = c.o;
    o->sim.ttft_ns = ms_to_ns(c.ttft_ms);
    o->sim.ttft_per_token_ns = ms_to_ns(c.ttft_per_token_ms);
    o->sim.itl_ns = ms_to_ns(c.itl_ms);
    o->sim.itl_spread_ns = ms_to_ns(c.itl_spread_ms);
    o->sim.seed = (uint64_t)c.seed;
    o->max_conns = (size_t)c.max_conns;
    log_init("aifb-simllm", (enum log_level)log_level_parse(c.log_level));
    return 0;
}

/* Raises the soft open-file limit to the hard one, and keeps max_conns within it. */
static void raise_nofile(struct server_options *o)
{
    long long lim = fdlimit_raise();
    if (lim >= 0 && (long long)o->max_conns + FD_RESERVE > lim) {
        size_t fit = lim > FD_RESERVE * 2 ? (size_t)lim - FD_RESERVE : FD_RESERVE;
        log_warn("--max-conns %zu is over the open-file limit %lld: using %zu", o->max_conns, lim, fit);
        o->max_conns = fit;
    }
}

int main(int argc, char **argv)
{
    struct server_options opt;
    log_init("aifb-simllm", LOG_INFO);
    int rc = parse_args(argc, argv, &opt);
    if (rc != 0)
        return rc > 0 ? EXIT_SUCCESS : 2;
    raise_nofile(&opt);
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* wake-ups as close to the deadline as the kernel can */
    struct server s;
    char err[512];
    if (server_init(&s, &opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "aifb-simllm: %s\n", err);
        server_free(&s);
        return EXIT_FAILURE;
    }
    printf("aifb-simllm: listening on %s:%d, model %s, ttft %g ms, itl %g ms, max_num_seqs %d\n", opt.host, s.port,
           opt.model, (double)opt.sim.ttft_ns / 1e6, (double)opt.sim.itl_ns / 1e6, opt.sim.max_num_seqs);
    fflush(stdout);
    rc = server_run(&s);
    server_free(&s);
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
