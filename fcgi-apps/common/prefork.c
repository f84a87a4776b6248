/* prefork: socket, fork, watch, restart, stop. */
#include "prefork.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "mono.h"

#define MAX_WORKERS 64
#define STOP_GRACE_SECONDS 5

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t worker_busy;
static volatile sig_atomic_t in_worker;
/* The master blocks TERM, INT and CHLD outside sigsuspend, so that none is lost between its test
 * of stop_requested and its wait; this is the mask to wait with, and the workers' mask. */
static sigset_t open_mask;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (in_worker) {
        if (!worker_busy)
            _exit(0);
        FCGX_ShutdownPending();
    }
}

static void on_child(int sig)
{
    (void)sig; /* only to interrupt the master's sleep */
}

int prefork_stopping(void)
{
    return stop_requested;
}

void prefork_busy(int busy)
{
    worker_busy = busy;
    if (!busy && stop_requested)
        _exit(0);
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked accept() must return on TERM */
    sigaction(sig, &sa, NULL);
}

/* A socket file left by a master that died: remove it, unless a master still answers on it. */
static int clear_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        log_error("%s exists and is not a socket; remove it", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        log_error("another program is listening on %s; stop it first", path);
        return -1;
    }
    return unlink(path);
}

static pid_t spawn(const struct prefork *p, int fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    in_worker = 1;
    sigprocmask(SIG_SETMASK, &open_mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a worker must not outlive its master */
    if (getppid() == 1)
        _exit(0);
    set_handler(SIGCHLD, SIG_DFL);
    if (stop_requested)
        _exit(0);
    _exit(p->worker_main(p->ctx, fd));
}

static void stop_all(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    double deadline = mono_now() + STOP_GRACE_SECONDS;
    int left = n;
    while (left > 0) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid > 0) {
            for (int i = 0; i < n; i++)
                if (pids[i] == pid)
                    pids[i] = 0, left--;
            continue;
        }
        if (pid < 0 && errno == ECHILD)
            break;
        if (mono_now() > deadline) {
            for (int i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGKILL);
            deadline = mono_now() + 60;
        }
        usleep(10000);
    }
}

/* Waits for dead workers and starts new ones until asked to stop. A slot whose fork failed
 * (pid 0) is tried again every second. */
static void supervise(const struct prefork *p, int fd, pid_t *pids, double *born)
{
    while (!stop_requested) {
        bool empty = false;
        for (int i = 0; i < p->workers; i++) {
            if (pids[i] > 0)
                continue;
            pids[i] = spawn(p, fd);
            born[i] = mono_now();
            if (pids[i] < 0) {
                log_error("cannot start a worker: %s", strerror(errno));
                pids[i] = 0;
                empty = true;
            }
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            if (empty)
                sleep(1); /* a slot to fill again */
            else
                sigsuspend(&open_mask); /* until a worker dies or TERM comes */
            continue;
        }
        for (int i = 0; i < p->workers; i++) {
            if (pids[i] != pid)
                continue;
            if (WIFSIGNALED(status))
                log_warn("worker %ld killed by signal %d; starting another", (long)pid, WTERMSIG(status));
            else
                log_warn("worker %ld exited with %d; starting another", (long)pid, WEXITSTATUS(status));
            /* A worker that dies at once would make a fork loop: slow down. */
            if (mono_now() - born[i] < 1.0)
                sleep(1);
            metrics_worker_restart(p->metrics);
            pids[i] = 0;
        }
    }
}

int prefork_run(const struct prefork *p)
{
    int n = p->workers < 1 ? 1 : p->workers > MAX_WORKERS ? MAX_WORKERS : p->workers;
    struct prefork q = *p;
    q.workers = n;
    if (clear_stale_socket(p->socket_path) < 0)
        return 1;
    mode_t old = umask(0);
    int fd = FCGX_OpenSocket(p->socket_path, p->backlog > 0 ? p->backlog : 1024);
    umask(old);
    if (fd < 0) {
        log_error("cannot listen on %s: %s", p->socket_path, strerror(errno));
        return 1;
    }
    chmod(p->socket_path, 0666);
    /* Workers poll it and race for each connection; the loser must not block in accept(). */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &open_mask);
    set_handler(SIGTERM, on_stop);
    set_handler(SIGINT, on_stop);
    set_handler(SIGCHLD, on_child);
    signal(SIGPIPE, SIG_IGN);
    pid_t pids[MAX_WORKERS] = {0};
    double born[MAX_WORKERS] = {0};
    log_info("listening on %s with %d workers", p->socket_path, n);
    supervise(&q, fd, pids, born);
    stop_all(pids, n);
    close(fd);
    unlink(p->socket_path);
    log_info("stopped");
    return 0;
}
