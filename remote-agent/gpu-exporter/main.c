/* aifb-gpu-exporter: the GPU metrics of one node, as a sidecar of a GPU service in a SLURM job.
 * Reads the GPUs through NVML (else nvidia-smi, or a recording with --replay) on a thread of its own
 * every --interval, serves /metrics (--listen) and pushes to a Pushgateway (--push) from the main
 * thread, which never waits for a sample. Exit status: 0 (also after SIGTERM or SIGINT, once the
 * pushed group is deleted), 1 a failure (an unreadable recording, a port in use), 2 a usage error,
 * 3 no GPU to sample. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "buf.h"
#include "expo.h"
#include "log.h"
#include "mono.h"
#include "opt.h"
#include "pushgw.h"
#include "sampler.h"
#include "serve.h"
#include "source.h"

#define EXIT_USAGE 2
#define EXIT_NO_GPU 3
#define INTERVAL_MIN 0.01
#define INTERVAL_MAX 3600.0
#define HOST_MAX 256
#define JOB_ID_MAX 128
#define POLL_CAP_MS 1000
#define PUSH_TIMEOUT_MIN_MS 250

struct opts {
    double interval, push_interval; /* push_interval 0: the same as interval */
    const char *listen, *port_file, *push, *source, *smi, *replay, *host;
    bool dcgm, once;
};

struct app {
    struct opts o;
    char host[HOST_MAX];
    const char *job_id; /* "" outside a job */
    struct source *src;
    struct sampler smp;
    struct serve sv;
    struct pushgw pg;
    bool serving, pushing;
    struct gpu_sample snap; /* the copy the main thread renders */
    struct buf body;        /* the pushed exposition */
    int sigfd;
};

static const char *const sources[] = {"auto", "nvml", "nvidia-smi", NULL};

static const struct opt options[] = {
    {.field = {.name = "--interval", .type = FIELD_NUM, .fmin = INTERVAL_MIN, .fmax = INTERVAL_MAX},
     .value = true,
     .meta = "S",
     .to = OPT_AT(struct opts, interval),
     .help = "seconds between samples (1)"},
    {.field = {.name = "--listen", .type = FIELD_STR},
     .value = true,
     .meta = "HOST:PORT",
     .to = OPT_AT(struct opts, listen),
     .help = "serve GET /metrics and /health there; port 0 picks a free one"},
    {.field = {.name = "--port-file", .type = FIELD_STR},
     .value = true,
     .meta = "F",
     .to = OPT_AT(struct opts, port_file),
     .help = "write the bound port there once listening"},
    {.field = {.name = "--push", .type = FIELD_STR, .pattern = "https?://.*"},
     .value = true,
     .meta = "URL",
     .to = OPT_AT(struct opts, push),
     .help = "PUT the metrics to this Pushgateway every push interval"},
    {.field = {.name = "--push-interval", .type = FIELD_NUM, .fmin = INTERVAL_MIN, .fmax = INTERVAL_MAX},
     .value = true,
     .meta = "S",
     .to = OPT_AT(struct opts, push_interval),
     .help = "seconds between pushes (the sample interval)"},
    {.field = {.name = "--source", .type = FIELD_ENUM, .values = sources},
     .value = true,
     .meta = "WHICH",
     .to = OPT_AT(struct opts, source),
     .help = "auto (NVML, else nvidia-smi), nvml or nvidia-smi (auto)"},
    {.field = {.name = "--nvidia-smi", .type = FIELD_STR},
     .value = true,
     .meta = "PATH",
     .to = OPT_AT(struct opts, smi),
     .help = "the nvidia-smi to run (nvidia-smi on PATH)"},
    {.field = {.name = "--replay", .type = FIELD_STR},
     .value = true,
     .meta = "FILE",
     .to = OPT_AT(struct opts, replay),
     .help = "replay a recorded CSV instead of reading GPUs (replay=\"true\")"},
    {.field = {.name = "--dcgm-names", .type = FIELD_BOOL},
     .to = OPT_AT(struct opts, dcgm),
     .help = "dcgm-exporter's metric names, units and labels"},
    /* printable: no control characters (it goes into labels and the pushed group's URL) */
    {.field = {.name = "--host", .type = FIELD_STR, .min = 1, .max = HOST_MAX - 1, .pattern = "[^[:cntrl:]]*"},
     .value = true,
     .meta = "NAME",
     .to = OPT_AT(struct opts, host),
     .help = "the host label (hostname -s)"},
    {.field = {.name = "--once", .type = FIELD_BOOL},
     .to = OPT_AT(struct opts, once),
     .help = "print one sample's exposition on stdout and exit"},
    {.field.name = NULL},
};

static const struct opt_cmd command = {
    .usage = "usage: aifb-gpu-exporter [options]",
    .opts = options,
    .footer = "Labels: gpu, uuid, name, host, slurm_job_id ($SLURM_JOB_ID). Exit 3: no GPU to sample.\n",
    .help_column = 24,
};

static bool printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return false;
    return n > 0 && n < max;
}

/* The checks across options. Returns the first problem, or NULL. */
static const char *check_opts(const struct opts *o)
{
    char host[SERVE_HOST_MAX];
    int port;
    if (o->listen && serve_parse_listen(o->listen, host, sizeof(host), &port) < 0)
        return "--listen wants HOST:PORT (an IPv6 address in brackets: [::1]:9400)";
    if (o->port_file && !o->listen)
        return "--port-file needs --listen";
    if (!o->once && !o->listen && !o->push)
        return "nothing to do: give --listen, --push or --once";
    return NULL;
}

/* A refused command line: one line on stderr. Returns -1. */
static int refused(const char *what, const char *arg)
{
    fprintf(stderr, "aifb-gpu-exporter: %s%s; see --help\n", what, arg);
    return -1;
}

/* Fills *o from argv. Returns 0, 1 for --help (written on stdout), or -1 with one line on stderr. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    char why[256];
    const char *bad;
    *o = (struct opts){.interval = 1, .source = "auto"};
    switch (opt_parse(&command, argc, argv, o, why, sizeof(why))) {
    case OPT_HELP:
        opt_help(&command, stdout);
        return 1;
    case OPT_UNKNOWN:
        return refused("unknown option or missing value: ", why);
    case OPT_EXTRA:
        return refused("unexpected argument ", why);
    case OPT_INVALID:
        return refused("", why);
    case OPT_OK:
        break;
    }
    bad = check_opts(o);
    if (bad != NULL)
        return refused(bad, "");
    if (o->push_interval == 0)
        o->push_interval = o->interval;
    return 0;
}

/* Control characters (a library's message may hold a newline) become spaces: a report is one line. */
static void flatten(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
}

/* "label: why" for the no-GPU report, without repeating a "label: " the backend put in front. */
static void tell(char *out, size_t n, const char *label, char *why)
{
    flatten(why);
    size_t k = strlen(label);
    const char *w = strncmp(why, label, k) == 0 && strncmp(why + k, ": ", 2) == 0 ? why + k + 2 : why;
    snprintf(out, n, "%s: %s", label, w);
}

/* NVML, nvidia-smi or both in turn, as --source says. NULL with the exit status in *code, and one line
 * on stderr saying why each one tried failed. */
static struct source *open_gpus(const struct opts *o, int *code)
{
    char why[512] = "", nvml[600] = "", smi[600] = "";
    struct source *src = NULL;
    if (strcmp(o->source, "nvidia-smi") != 0) {
        src = source_nvml_open(why, sizeof(why));
        if (!src)
            tell(nvml, sizeof(nvml), "NVML", why);
    }
    if (!src && strcmp(o->source, "nvml") != 0) {
        src = source_smi_open(o->smi, why, sizeof(why));
        if (!src)
            tell(smi, sizeof(smi), "nvidia-smi", why);
    }
    if (src)
        return src;
    fprintf(stderr, "aifb-gpu-exporter: no GPU to sample: %s%s%s (--replay FILE replays a recording)\n", nvml,
            *nvml && *smi ? "; " : "", smi);
    *code = EXIT_NO_GPU;
    return NULL;
}

static struct source *open_source(const struct opts *o, int *code)
{
    char why[512] = "";
    if (!o->replay)
        return open_gpus(o, code);
    struct source *src = source_replay_open(o->replay, why, sizeof(why));
    if (!src) {
        flatten(why);
        fprintf(stderr, "aifb-gpu-exporter: cannot replay the recording: %s\n", why);
        *code = EXIT_FAILURE;
    }
    return src;
}

/* hostname -s: the name up to its first dot. */
static void short_hostname(char *out, size_t n)
{
    if (gethostname(out, n) != 0)
        snprintf(out, n, "unknown");
    out[n - 1] = '\0';
    out[strcspn(out, ".")] = '\0';
}

/* SLURM_JOB_ID, or "" outside a job (or when it is not a plausible id: it goes into labels and URLs). */
static const char *slurm_job_id(void)
{
    const char *id = getenv("SLURM_JOB_ID");
    if (!id || !*id)
        return "";
    if (!printable(id, JOB_ID_MAX)) {
        log_warn("SLURM_JOB_ID is not 1 to %d printable characters: left out", JOB_ID_MAX - 1);
        return "";
    }
    return id;
}

/* The exposition of the latest sample, for /metrics and for the pushes. Returns 0 or -1 (too big). */
static int render(void *arg, struct buf *out)
{
    struct app *a = arg;
    struct expo_stats st;
    bool have = sampler_latest(&a->smp, &a->snap, &st);
    struct expo_labels l = {.host = a->host, .slurm_job_id = a->job_id, .replay = source_is_replay(a->src)};
    return expo_write(out, have ? &a->snap : NULL, &l, &st, a->o.dcgm);
}

/* --once: one sample on this thread, its exposition on stdout. */
static int run_once(struct app *a)
{
    if (sampler_take(&a->smp) < 0)
        return EXIT_FAILURE; /* sampler_take logged why */
    buf_init(&a->body, SERVE_PAGE_MAX);
    int rc = render(a, &a->body);
    if (rc == 0)
        fwrite(a->body.data, 1, a->body.len, stdout);
    return rc == 0 && fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Writes the bound port through a temporary file and a rename, so that readers never see half. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "aifb-gpu-exporter: cannot write --port-file %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* SIGTERM and SIGINT, blocked in every thread (the sampling thread inherits the mask) and read from a
 * signalfd by the main loop, so that a stop always deletes the pushed group first. */
static int open_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int open_outputs(struct app *a)
{
    char why[512];
    if (a->o.listen) {
        a->serving = true;
        if (serve_open(&a->sv, a->o.listen, render, a, why, sizeof(why)) < 0) {
            fprintf(stderr, "aifb-gpu-exporter: %s\n", why);
            return -1;
        }
        if (a->o.port_file && write_port_file(a->o.port_file, a->sv.port) < 0)
            return -1;
    }
    if (a->o.push) {
        a->pushing = true;
        long ms = lround(a->o.push_interval * 1000); /* a push ends before the next is due */
        ms = ms < PUSH_TIMEOUT_MIN_MS ? PUSH_TIMEOUT_MIN_MS : ms;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || pushgw_init(&a->pg, a->o.push, a->host, a->job_id, ms) < 0) {
            fprintf(stderr, "aifb-gpu-exporter: cannot set up pushes to %s\n", a->o.push);
            return -1;
        }
    }
    return 0;
}

static void push_now(struct app *a)
{
    buf_clear(&a->body);
    if (render(a, &a->body) < 0) {
        log_warn("the exposition is over %u bytes: not pushed", SERVE_PAGE_MAX);
        return;
    }
    pushgw_put(&a->pg, a->body.data, a->body.len);
}

/* The next push time after t: one interval on, or the first tick still ahead when a push overran. */
static double next_tick(double t, double interval, double now)
{
    t += interval;
    if (t <= now)
        t += (floor((now - t) / interval) + 1) * interval;
    return t;
}

static int poll_timeout(struct app *a, double next_push)
{
    int ms = POLL_CAP_MS;
    if (a->pushing) {
        double left = (next_push - mono_now()) * 1000.0;
        ms = left <= 0 ? 0 : left < POLL_CAP_MS ? (int)ceil(left) : POLL_CAP_MS;
    }
    return a->serving ? serve_timeout_ms(&a->sv, ms) : ms;
}

/* The main thread's loop: pushes on their schedule, HTTP, and the stop signal. Returns when a signal
 * came (0) or poll failed (-1). */
static int run_loop(struct app *a)
{
    struct pollfd fds[SERVE_MAX_CONNS + 2];
    double next_push = mono_now(); /* the first push at once: the first sample is there already */
    for (;;) {
        if (a->pushing && mono_now() >= next_push) {
            push_now(a);
            next_push = next_tick(next_push, a->o.push_interval, mono_now());
        }
        fds[0] = (struct pollfd){.fd = a->sigfd, .events = POLLIN};
        size_t k = a->serving ? serve_watch(&a->sv, fds + 1) : 0;
        int r = poll(fds, 1 + k, poll_timeout(a, next_push));
        if (r < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            return -1;
        }
        if (r > 0 && fds[0].revents) {
            struct signalfd_siginfo si;
            if (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                log_info("signal %u: stopping", si.ssi_signo);
            return 0;
        }
        if (a->serving)
            serve_handle(&a->sv, fds + 1, r > 0 ? k : 0);
    }
}

static void log_start(struct app *a)
{
    struct expo_stats st;
    sampler_latest(&a->smp, &a->snap, &st); /* the thread runs: its sample is read under the mutex */
    char listen[64] = "no", push[64] = "no";
    if (a->serving)
        snprintf(listen, sizeof(listen), "port %d", a->sv.port);
    if (a->pushing)
        snprintf(push, sizeof(push), "every %g s", a->o.push_interval);
    log_info("source %s, %zu GPU(s), a sample every %g s; serving: %s; pushing: %s; host %s, slurm_job_id '%s'",
             source_kind(a->src), a->snap.n, a->o.interval, listen, push, a->host, a->job_id);
}

/* Serves and pushes until a signal, then deletes the pushed group and stops the thread. */
static int run_daemon(struct app *a)
{
    a->sigfd = open_signals();
    buf_init(&a->body, SERVE_PAGE_MAX);
    sampler_take(&a->smp); /* the first sample before anyone can ask for one */
    if (a->sigfd < 0 || open_outputs(a) < 0)
        return EXIT_FAILURE;
    if (sampler_run(&a->smp) < 0) {
        fprintf(stderr, "aifb-gpu-exporter: cannot start the sampling thread: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    log_start(a);
    int rc = run_loop(a);
    if (a->pushing)
        pushgw_delete(&a->pg);
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Frees everything, unless the sampling thread would not stop: then it may still be inside the
 * source (NVML), so the process leaves without running the libraries' exit handlers. */
static void app_free(struct app *a, int code)
{
    if (sampler_stop(&a->smp) < 0) {
        fflush(NULL);
        _exit(code);
    }
    if (a->serving)
        serve_close(&a->sv);
    if (a->pushing) {
        pushgw_free(&a->pg);
        curl_global_cleanup();
    }
    if (a->sigfd >= 0)
        close(a->sigfd);
    buf_free(&a->body);
    sampler_free(&a->smp);
    source_close(a->src);
}

int main(int argc, char **argv)
{
    static struct app a; /* static: the samples are tens of KiB each */
    log_init("aifb-gpu-exporter", LOG_INFO);
    int rc = parse_args(argc, argv, &a.o);
    if (rc != 0)
        return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
    if (a.o.host)
        snprintf(a.host, sizeof(a.host), "%s", a.o.host);
    else
        short_hostname(a.host, sizeof(a.host));
    a.job_id = slurm_job_id();
    a.sigfd = -1;
    int code = 0;
    a.src = open_source(&a.o, &code);
    if (!a.src)
        return code;
    sampler_init(&a.smp, a.src, a.o.interval);
    code = a.o.once ? run_once(&a) : run_daemon(&a);
    app_free(&a, code);
    return code;
}
