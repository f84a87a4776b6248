/* prefork: the master process of an app. It opens the unix socket, keeps N workers alive,
 * starts a new one when one dies, and on TERM or INT stops them all and removes the socket. */
#ifndef AIFB_PREFORK_H
#define AIFB_PREFORK_H

#include <signal.h>

struct metrics;

struct prefork {
    const char *socket_path;
    int workers;
    int backlog;
    struct metrics *metrics; /* counts restarts; may be NULL */
    /* Runs in each worker until it returns; the worker then exits with its return value. */
    int (*worker_main)(void *ctx, int listen_fd);
    void *ctx;
};

/* Opens the socket (mode 0666, so that nginx's workers can connect) and runs the master loop until
 * TERM or INT. Returns 0 after a clean stop, or 1 when the socket cannot be opened (logged), for
 * instance because another master is listening on it. */
int prefork_run(const struct prefork *p);

/* In a worker: true once TERM asked it to stop. Checked between requests. */
int prefork_stopping(void);

/* In a worker: marks whether a request is being answered, so that TERM while idle exits at once
 * and TERM during a request lets it finish first. */
void prefork_busy(int busy);

#endif
