/* spawn: fork + execvp with stdout captured under a cap and a deadline. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: its own process group (a timeout then kills what it starts too), stdin and stderr on
 * /dev/null (nvidia-smi writes its errors on stdout; a warning on stderr must not reach the parser),
 * the pipe as stdout. On failure the errno goes back through report_fd. */
static void child(char *const argv[], int out_fd, int report_fd)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none; /* the exporter blocks TERM and INT for its signalfd: the child must not inherit that */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0 && dup2(null, STDIN_FILENO) >= 0 && dup2(null, STDERR_FILENO) >= 0 &&
        dup2(out_fd, STDOUT_FILENO) >= 0)
        execvp(argv[0], argv);
    int e = errno;
    ssize_t w = write(report_fd, &e, sizeof(e));
    (void)w; /* the parent then reads EOF and reports a generic failure */
    _exit(127);
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

/* Reads what is there on fd into out, dropping what passes its cap. Returns 1 at EOF or on an error,
 * else 0. */
static int drain(int fd, struct buf *out, struct spawn_result *r)
{
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return 1;
    size_t room = out->max - out->len, keep = (size_t)n < room ? (size_t)n : room;
    if (keep < (size_t)n)
        r->truncated = true;
    buf_append(out, chunk, keep);
    return 0;
}

static void reap(pid_t pid, struct spawn_result *r)
{
    int ws = 0;
    pid_t w;
    while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
        ;
    if (w != pid)
        r->status = -1; /* SIGCHLD ignored, say: the status is lost */
    else
        r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
}

/* Reads the pipe until EOF, then reaps the child; kills its group at the deadline. */
static void collect(pid_t pid, int fd, int timeout_ms, struct buf *out, struct spawn_result *r)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            r->timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) > 0 && drain(fd, out, r))
            break;
    }
    reap(pid, r);
}

int spawn_run(char *const argv[], int timeout_ms, struct buf *out, struct spawn_result *r)
{
    int po[2] = {-1, -1}, pr[2] = {-1, -1}, rc = -1;
    memset(r, 0, sizeof(*r));
    r->status = -1;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pr, O_CLOEXEC) < 0) {
        r->exec_errno = errno;
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        r->exec_errno = errno;
        goto out;
    }
    if (pid == 0)
        child(argv, po[1], pr[1]);
    setpgid(pid, pid); /* as the child does, so that a kill at once cannot miss the group */
    close(po[1]), close(pr[1]);
    po[1] = pr[1] = -1;
    if ((r->exec_errno = exec_result(pr[0])) != 0) {
        reap(pid, r);
        goto out;
    }
    collect(pid, po[0], timeout_ms, out, r);
    rc = r->timed_out ? -1 : 0;
out:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pr[i] >= 0)
            close(pr[i]);
    }
    return rc;
}
