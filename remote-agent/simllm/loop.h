/* loop: aifb-simllm's event loop: epoll for file descriptors and nanosecond timers kept in a
 * min-heap of absolute CLOCK_MONOTONIC deadlines, with one timerfd set to the earliest (epoll_wait's
 * millisecond timeout is too coarse for token timing). Timers and watchers are embedded in the
 * caller's structures; the loop owns neither. */
#ifndef AIFB_LOOP_H
#define AIFB_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

/* A file descriptor watched for epoll events; fn gets the events that fired. */
struct loop_io {
    int fd;
    uint32_t events; /* as registered */
    void (*fn)(struct loop_io *io, uint32_t events);
    void *arg;
};

/* A one-shot timer. Set it again from its own callback to repeat. */
struct loop_timer {
    int64_t due_ns; /* CLOCK_MONOTONIC */
    size_t slot;    /* place in the heap; LOOP_UNARMED when not set */
    void (*fn)(void *arg);
    void *arg;
};

#define LOOP_UNARMED ((size_t)-1)

/* Now on CLOCK_MONOTONIC and CLOCK_REALTIME, in nanoseconds. */
int64_t loop_now(void);
int64_t loop_realtime(void);

/* Returns a new loop the caller frees with loop_free, or NULL with errno set. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches io->fd for events (EPOLLIN...); changes or drops the watch. Return 0 or -1 (errno). */
int loop_io_add(struct loop *l, struct loop_io *io, uint32_t events);
int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events);
void loop_io_del(struct loop *l, struct loop_io *io);

void loop_timer_init(struct loop_timer *t, void (*fn)(void *arg), void *arg);

/* Arms t for due_ns (moving it if armed); a due time in the past fires on the next turn. */
void loop_timer_set(struct loop *l, struct loop_timer *t, int64_t due_ns);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

/* Delays every armed timer by delta_ns (a stall: the order of timers is kept). */
void loop_timers_shift(struct loop *l, int64_t delta_ns);

/* Number of armed timers. */
size_t loop_timer_count(const struct loop *l);

/* Runs until *stop is set (by a callback or a signal handler). Returns 0, or -1 with errno set when
 * epoll or the timerfd fails. */
int loop_run(struct loop *l, volatile sig_atomic_t *stop);

#endif
