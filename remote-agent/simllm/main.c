/* aifb-simllm: an OpenAI-compatible server that behaves like vLLM without a model, for runs and
 * tests with no GPU. This file reads the command line, raises the open-file limit, and runs the
 * server until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "fdlimit.h"
#include "log.h"
#include "server.h"

/* File descriptors kept for the listener, epoll, timerfd, signalfd and stdio. */
#define FD_RESERVE 32

static void usage(FILE *f)
{
    fprintf(f, "usage: aifb-simllm [options]\n"
               "  --host ADDR              address to listen on (127.0.0.1)\n"
               "  --port N                 port, 0 for any free one (8000)\n"
               "  --port-file PATH         write the bound port there once listening\n"
               "  --model NAME             served model name (aifb/sim-model)\n"
               "  --max-model-len N        prompt + completion tokens at most (4096)\n"
               "  --ttft-ms MS             time to first token after scheduling (20)\n"
               "  --ttft-per-token-ms MS   added per prompt token (0)\n"
               "  --itl-ms MS              time between tokens (10)\n"
               "  --itl-spread-ms MS       each gap uniform in itl +- spread (0)\n"
               "  --tokens-per-chunk N     tokens in each stream chunk, the last one the rest (1)\n"
               "  --max-num-seqs N         running requests at most; others wait FIFO (256)\n"
               "  --seed N                 seed of every random draw (0)\n"
               "  --error-rate P           fraction of generation requests answered 500 (0)\n"
               "  --cut-rate P             fraction of streams cut after half their tokens (0)\n"
               "  --max-conns N            open connections at most (20000)\n"
               "  --log-level LEVEL        debug, info, warn or error (info)\n"
               "Prompt tokens: token ids count one each; text counts ceil(bytes / 4). A stream sends\n"
               "usage in every chunk when asked with stream_options.continuous_usage_stats.\n");
}

static int parse_num(const char *name, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "aifb-simllm: --%s must be a number in [%g, %g], not '%s'\n", name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_int(const char *name, const char *s, long long lo, long long hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "aifb-simllm: --%s must be an integer in [%lld, %lld], not '%s'\n", name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static const struct option longopts[] = {
    {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'p'},
    {"port-file", required_argument, NULL, 'f'},
    {"model", required_argument, NULL, 'm'},
    {"max-model-len", required_argument, NULL, 'L'},
    {"ttft-ms", required_argument, NULL, 't'},
    {"ttft-per-token-ms", required_argument, NULL, 'T'},
    {"itl-ms", required_argument, NULL, 'i'},
    {"itl-spread-ms", required_argument, NULL, 'S'},
    {"tokens-per-chunk", required_argument, NULL, 'k'},
    {"max-num-seqs", required_argument, NULL, 'n'},
    {"seed", required_argument, NULL, 's'},
    {"error-rate", required_argument, NULL, 'e'},
    {"cut-rate", required_argument, NULL, 'c'},
    {"max-conns", required_argument, NULL, 'C'},
    {"log-level", required_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Milliseconds as nanoseconds, for the timing options. */
static int parse_ms(const char *name, const char *s, int64_t *ns)
{
    double ms;
    if (parse_num(name, s, 0, 3600000, &ms) < 0)
        return -1;
    *ns = (int64_t)llround(ms * 1e6);
    return 0;
}

/* The integer options. Returns 0 or -1. */
static int take_int(int ch, const char *arg, struct server_options *o)
{
    int64_t v;
    switch (ch) {
    case 'p':
        if (parse_int("port", arg, 0, 65535, &v) < 0)
            return -1;
        o->port = (int)v;
        return 0;
    case 'L':
        return parse_int("max-model-len", arg, 1, 1LL << 30, &o->max_model_len);
    case 'n':
        if (parse_int("max-num-seqs", arg, 1, 1 << 20, &v) < 0)
            return -1;
        o->sim.max_num_seqs = (int)v;
        return 0;
    case 's':
        if (parse_int("seed", arg, 0, INT64_MAX, &v) < 0)
            return -1;
        o->sim.seed = (uint64_t)v;
        return 0;
    case 'k':
        return parse_int("tokens-per-chunk", arg, 1, 1 << 20, &o->sim.tokens_per_chunk);
    default:
        if (parse_int("max-conns", arg, 1, 1 << 24, &v) < 0)
            return -1;
        o->max_conns = (size_t)v;
        return 0;
    }
}

/* The timing and failure options. Returns 0 or -1. */
static int take_sim(int ch, const char *arg, struct sim_config *c)
{
    switch (ch) {
    case 't':
        return parse_ms("ttft-ms", arg, &c->ttft_ns);
    case 'T':
        return parse_ms("ttft-per-token-ms", arg, &c->ttft_per_token_ns);
    case 'i':
        return parse_ms("itl-ms", arg, &c->itl_ns);
    case 'S':
        return parse_ms("itl-spread-ms", arg, &c->itl_spread_ns);
    case 'e':
        return parse_num("error-rate", arg, 0, 1, &c->error_rate);
    default:
        return parse_num("cut-rate", arg, 0, 1, &c->cut_rate);
    }
}

/* One option into o. Returns 0, -1 on a bad value, or 1 for --help. */
static int take_option(int ch, const char *arg, struct server_options *o)
{
    switch (ch) {
    case 'H':
        o->host = arg;
        return 0;
    case 'f':
        o->port_file = arg;
        return 0;
    case 'm':
        o->model = arg;
        return 0;
    case 'p':
    case 'L':
    case 'n':
    case 's':
    case 'k':
    case 'C':
        return take_int(ch, arg, o);
    case 't':
    case 'T':
    case 'i':
    case 'S':
    case 'e':
    case 'c':
        return take_sim(ch, arg, &o->sim);
    case 'l':
        if (log_level_parse(arg) < 0) {
            fprintf(stderr, "aifb-simllm: --log-level is debug, info, warn or error\n");
            return -1;
        }
        log_init("aifb-simllm", (enum log_level)log_level_parse(arg));
        return 0;
    case 'h':
        return 1;
    default:
        return -1;
    }
}

static int parse_args(int argc, char **argv, struct server_options *o)
{
    *o = (struct server_options){
        .host = "127.0.0.1",
        .port = 8000,
        .model = "aifb/sim-model",
        .max_model_len = 4096,
        .max_conns = 20000,
        .sim = {
            .ttft_ns = 20 * SIM_NS_PER_MS, .itl_ns = 10 * SIM_NS_PER_MS, .max_num_seqs = 256, .tokens_per_chunk = 1}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = take_option(ch, optarg, o);
        if (rc > 0)
            usage(stdout);
        else if (rc < 0)
            fprintf(stderr, "aifb-simllm: see --help\n");
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "aifb-simllm: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
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
