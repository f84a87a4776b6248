/* sampler: the thread that reads the GPU source on a fixed, drift-free schedule and the mutex-guarded
 * copy of the latest sample that the main thread serves and pushes. */
#include "sampler.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mono.h"

#define NS 1000000000LL
#define STOP_WAIT_NS (5 * NS) /* a sample in progress (a slow nvidia-smi) is given this long */
#define STOP_POLL_NS 20000000LL

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* Copies what a sample holds: its readings up to n, not the whole GPU_MAX array. */
static void copy_sample(struct gpu_sample *dst, const struct gpu_sample *src)
{
    size_t n = src->n < GPU_MAX ? src->n : GPU_MAX;
    dst->taken = src->taken;
    dst->n = n;
    memcpy(dst->gpu, src->gpu, n * sizeof(src->gpu[0]));
}

/* Logs the first failure of a run of them and the recovery, not every interval's failure. */
static void note(struct sampler *s, int rc, const char *why)
{
    if (rc < 0 && !s->failing)
        log_warn("a sample failed: %s (further failures are counted, not logged, until one succeeds)", why);
    else if (rc == 0 && s->failing)
        log_info("sampling works again");
    s->failing = rc < 0;
}

int sampler_take(struct sampler *s)
{
    char why[256] = "";
    double t0 = mono_now();
    int rc = source_read(s->src, &s->scratch, why, sizeof(why));
    double cost = mono_now() - t0;
    pthread_mutex_lock(&s->mu);
    if (rc == 0) {
        copy_sample(&s->latest, &s->scratch);
        s->have = true;
    } else {
        s->errors++;
    }
    s->samples++;
    s->last_cost = cost;
    pthread_mutex_unlock(&s->mu);
    note(s, rc, why);
    return rc;
}

/* The next deadline after *next: one interval on, or, when the sample overran it, the first tick
 * still ahead of now, keeping the phase (no burst of samples to catch up). */
static void advance(int64_t *next, int64_t interval, int64_t now)
{
    *next += interval;
    if (*next <= now)
        *next += ((now - *next) / interval + 1) * interval;
}

/* Sleeps until the absolute deadline; an EINTR is sampler_stop waking the thread, or a stray signal
 * (then it sleeps on to the same deadline). */
static void sleep_until(struct sampler *s, int64_t deadline)
{
    struct timespec ts = {.tv_sec = deadline / NS, .tv_nsec = deadline % NS};
    while (!atomic_load(&s->stop) && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *run(void *arg)
{
    struct sampler *s = arg;
    int64_t interval = (int64_t)llround(s->interval * 1e9);
    int64_t next = now_ns();
    for (;;) {
        advance(&next, interval, now_ns());
        sleep_until(s, next);
        if (atomic_load(&s->stop))
            break;
        sampler_take(s);
    }
    atomic_store(&s->exited, true);
    return NULL;
}

/* SIGUSR1 only interrupts clock_nanosleep (no SA_RESTART); the loop then looks at stop. */
static void on_wake(int sig)
{
    (void)sig;
}

void sampler_init(struct sampler *s, struct source *src, double interval)
{
    memset(s, 0, sizeof(*s));
    s->src = src;
    s->interval = interval;
    s->last_cost = NAN;
    pthread_mutex_init(&s->mu, NULL);
}

int sampler_run(struct sampler *s)
{
    struct sigaction sa = {.sa_handler = on_wake};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    int rc = pthread_create(&s->thread, NULL, run, s);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    s->started = true;
    return 0;
}

bool sampler_latest(struct sampler *s, struct gpu_sample *out, struct expo_stats *st)
{
    pthread_mutex_lock(&s->mu);
    copy_sample(out, &s->latest);
    bool have = s->have;
    st->samples = s->samples;
    st->errors = s->errors;
    st->last_sample_seconds = s->last_cost;
    pthread_mutex_unlock(&s->mu);
    st->source = source_kind(s->src);
    return have;
}

int sampler_stop(struct sampler *s)
{
    if (!s->started)
        return 0;
    atomic_store(&s->stop, true);
    /* The signal is sent again until the thread is gone: one sent just before it entered
     * clock_nanosleep would be lost, and a sample in progress must first end. */
    struct timespec poll = {.tv_sec = 0, .tv_nsec = STOP_POLL_NS};
    for (int64_t waited = 0; !atomic_load(&s->exited); waited += STOP_POLL_NS) {
        if (waited >= STOP_WAIT_NS) {
            log_warn("the sampling thread did not stop within %lld s", STOP_WAIT_NS / NS);
            return -1;
        }
        pthread_kill(s->thread, SIGUSR1);
        nanosleep(&poll, NULL);
    }
    pthread_join(s->thread, NULL);
    s->started = false;
    return 0;
}

void sampler_free(struct sampler *s)
{
    pthread_mutex_destroy(&s->mu);
}
