/* proc: fork + execvp with captured, capped output and a deadline. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

struct sink {
    int fd;
    struct buf b;
    bool truncated;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: its own process group (so that a timeout kills what it starts too), stdin from
 * /dev/null, the pipes as stdout and stderr. On failure the errno goes back through report_fd. */
static void child(const char *const argv[], int out_fd, int err_fd, int report_fd)
{
    /* execvp takes char *const[] for history's sake and writes nothing through it */
    union {
        const char *const *in;
        char *const *out;
    } args = {argv};
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none; /* a caller that blocks signals for a signalfd must not hand that on */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0 && dup2(null, STDIN_FILENO) >= 0 && dup2(out_fd, STDOUT_FILENO) >= 0 &&
        dup2(err_fd, STDERR_FILENO) >= 0)
        execvp(argv[0], args.out);
    int e = errno;
    ssize_t w = write(report_fd, &e, sizeof(e));
    (void)w; /* the parent reads EOF and reports a generic failure */
    _exit(127);
}

/* Reads what is there on s->fd; keeps up to the cap and drops the rest. Closes fd at EOF or error. */
static void drain(struct sink *s)
{
    char chunk[16384];
    ssize_t n = read(s->fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    size_t room = s->b.max - s->b.len, keep = (size_t)n < room ? (size_t)n : room;
    if (keep < (size_t)n)
        s->truncated = true;
    buf_append(&s->b, chunk, keep);
}

/* Reads both pipes until EOF, then reaps the child; kills its group at the deadline. */
static void collect(pid_t pid, struct sink *s, int timeout_ms, struct proc_result *r)
{
    int64_t deadline = now_ms() + timeout_ms;
    int wstatus = 0;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            r->timed_out = true;
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        if (s[0].fd >= 0 || s[1].fd >= 0) {
            struct pollfd p[2] = {{.fd = s[0].fd, .events = POLLIN}, {.fd = s[1].fd, .events = POLLIN}};
            if (poll(p, 2, (int)(left < 1000 ? left : 1000)) > 0)
                for (int i = 0; i < 2; i++)
                    if (s[i].fd >= 0 && p[i].revents)
                        drain(&s[i]);
            continue;
        }
        pid_t w = waitpid(pid, &wstatus, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : -1;
}

/* Waits for the child's exec: EOF on the report pipe means it ran, an int is its errno. */
static int exec_result(int fd)
{
    int e;
    ssize_t n;
    while ((n = read(fd, &e, sizeof(e))) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof(e) ? e : n == 0 ? 0 : EIO;
}

int proc_run(struct arena *a, const char *const argv[], int timeout_ms, size_t out_cap, size_t err_cap,
             struct proc_result *r)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, pr[2] = {-1, -1}, rc = -1;
    struct sink s[2] = {{.fd = -1}, {.fd = -1}};
    buf_init(&s[0].b, out_cap);
    buf_init(&s[1].b, err_cap);
    memset(r, 0, sizeof(*r));
    r->status = -1;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(pr, O_CLOEXEC) < 0) {
        r->exec_errno = errno;
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        r->exec_errno = errno;
        goto out;
    }
    if (pid == 0)
        child(argv, po[1], pe[1], pr[1]);
    setpgid(pid, pid); /* as the child does, so that a kill at once cannot miss the group */
    close(pr[1]), close(po[1]), close(pe[1]);
    pr[1] = po[1] = pe[1] = -1;
    s[0].fd = po[0], s[1].fd = pe[0];
    po[0] = pe[0] = -1;
    r->exec_errno = exec_result(pr[0]);
    if (r->exec_errno != 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        goto out;
    }
    collect(pid, s, timeout_ms, r);
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (s[i].fd >= 0)
            close(s[i].fd);
        int *p = i == 0 ? po : pe;
        if (p[0] >= 0)
            close(p[0]);
        if (p[1] >= 0)
            close(p[1]);
    }
    if (pr[0] >= 0)
        close(pr[0]);
    if (pr[1] >= 0)
        close(pr[1]);
    r->out = arena_strndup(a, buf_cstr(&s[0].b), s[0].b.len);
    r->err = arena_strndup(a, buf_cstr(&s[1].b), s[1].b.len);
    r->out_len = s[0].b.len, r->err_len = s[1].b.len;
    r->out_truncated = s[0].truncated, r->err_truncated = s[1].truncated;
    buf_free(&s[0].b);
    buf_free(&s[1].b);
    return rc;
}
