/* loop: epoll plus a timer min-heap behind one timerfd armed at the earliest absolute deadline.
 * Callbacks may set and cancel any timer and may free their own watcher or timer, but not another
 * watcher that may be in the same batch of epoll events. */
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Timers fired per turn at most, so that a loop that has fallen behind still reads its sockets. */
#define FIRE_BUDGET 4096
#define EVENTS_PER_WAIT 512

struct loop {
    int epfd;
    struct loop_io tio; /* the timerfd */
    int64_t armed_ns;   /* the deadline the timerfd holds; 0: none or already expired */
    struct loop_timer **heap;
    size_t n, cap;
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t loop_now(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

int64_t loop_realtime(void)
{
    return clock_ns(CLOCK_REALTIME);
}

static void timerfd_fired(struct loop_io *io, uint32_t events)
{
    (void)events;
    struct loop *l = io->arg;
    uint64_t ticks;
    ssize_t r = read(io->fd, &ticks, sizeof(ticks));
    (void)r; /* EAGAIN when another path re-armed it first: nothing to drain */
    l->armed_ns = 0;
}

struct loop *loop_new(void)
{
    struct loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->tio.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    l->tio.fn = timerfd_fired;
    l->tio.arg = l;
    if (l->epfd < 0 || l->tio.fd < 0 || loop_io_add(l, &l->tio, EPOLLIN) < 0) {
        int e = errno;
        loop_free(l);
        errno = e;
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    if (l->tio.fd >= 0)
        close(l->tio.fd);
    if (l->epfd >= 0)
        close(l->epfd);
    free(l->heap);
    free(l);
}

int loop_io_add(struct loop *l, struct loop_io *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
    if (io->events == events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

void loop_timer_init(struct loop_timer *t, void (*fn)(void *arg), void *arg)
{
    t->due_ns = 0;
    t->slot = LOOP_UNARMED;
    t->fn = fn;
    t->arg = arg;
}

bool loop_timer_armed(const struct loop_timer *t)
{
    return t->slot != LOOP_UNARMED;
}

static void place(struct loop *l, size_t i, struct loop_timer *t)
{
    l->heap[i] = t;
    t->slot = i;
}

static void sift_up(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (l->heap[parent]->due_ns <= t->due_ns)
            break;
        place(l, i, l->heap[parent]);
        i = parent;
    }
    place(l, i, t);
}

static void sift_down(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->n)
            break;
        if (c + 1 < l->n && l->heap[c + 1]->due_ns < l->heap[c]->due_ns)
            c++;
        if (t->due_ns <= l->heap[c]->due_ns)
            break;
        place(l, i, l->heap[c]);
        i = c;
    }
    place(l, i, t);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    size_t i = t->slot;
    if (i == LOOP_UNARMED)
        return;
    t->slot = LOOP_UNARMED;
    struct loop_timer *last = l->heap[--l->n];
    if (i == l->n)
        return;
    place(l, i, last);
    sift_down(l, i);
    sift_up(l, last->slot);
}

void loop_timer_set(struct loop *l, struct loop_timer *t, int64_t due_ns)
{
    loop_timer_cancel(l, t);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));
        if (!h) {
            fprintf(stderr, "aifb-simllm: out of memory for %zu timers\n", cap);
            abort();
        }
        l->heap = h;
        l->cap = cap;
    }
    t->due_ns = due_ns;
    place(l, l->n++, t);
    sift_up(l, t->slot);
}

void loop_timers_shift(struct loop *l, int64_t delta_ns)
{
    for (size_t i = 0; i < l->n; i++)
        l->heap[i]->due_ns += delta_ns;
}

size_t loop_timer_count(const struct loop *l)
{
    return l->n;
}

/* Fires the timers that are due, up to the budget. Returns true when some are still due. */
static bool fire_due(struct loop *l)
{
    int64_t now = loop_now();
    for (int fired = 0; l->n > 0; fired++) {
        struct loop_timer *t = l->heap[0];
        if (t->due_ns > now) {
            now = loop_now();
            if (now < t->due_ns)
                return false;
        }
        if (fired == FIRE_BUDGET)
            return true;
        loop_timer_cancel(l, t);
        t->fn(t->arg);
    }
    return false;
}

/* Sets the timerfd to the earliest deadline. Returns 0 or -1 (errno). */
static int arm(struct loop *l)
{
    int64_t due = l->n ? l->heap[0]->due_ns : 0;
    if (due == l->armed_ns)
        return 0;
    struct itimerspec its = {.it_value = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL}};
    if (due == 0)
        memset(&its, 0, sizeof(its)); /* disarms */
    if (timerfd_settime(l->tio.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -1;
    l->armed_ns = due;
    return 0;
}

int loop_run(struct loop *l, volatile sig_atomic_t *stop)
{
    struct epoll_event evs[EVENTS_PER_WAIT];
    while (!*stop) {
        bool behind = fire_due(l);
        if (!behind && arm(l) < 0)
            return -1;
        if (*stop)
            break;
        int n = epoll_wait(l->epfd, evs, EVENTS_PER_WAIT, behind ? 0 : -1);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++) {
            struct loop_io *io = evs[i].data.ptr;
            io->fn(io, evs[i].events);
        }
    }
    return 0;
}
