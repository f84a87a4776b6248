/* proc: runs one program with an argv array (fork + execvp, never a shell), stdin from /dev/null,
 * stdout and stderr captured up to caps, and a deadline after which its process group is killed.
 * The agent runs the SLURM commands through it, the GPU exporter nvidia-smi. Safe in a threaded
 * program: only async-signal-safe calls run between fork and exec, and every descriptor it opens is
 * close-on-exec. */
#ifndef AIFB_PROC_H
#define AIFB_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

struct proc_result {
    int status;      /* the exit status, 128 + n when killed by signal n; -1 when it never ran */
    int exec_errno;  /* not 0: the program could not be started (ENOENT: not on PATH) */
    bool timed_out;  /* killed at the deadline */
    char *out, *err; /* what it wrote, NUL-terminated, in the arena; "" when nothing */
    size_t out_len, err_len;
    bool out_truncated; /* it wrote more than the cap; the rest was read and dropped */
    bool err_truncated;
};

/* Runs argv[0] (looked up on PATH) with argv (NULL-terminated) and waits for it for at most
 * timeout_ms, then kills it and its process group. Returns 0 when it ran (whatever its status, see
 * r), or -1 when it could not be started (r->exec_errno says why). The arena owns r's strings. */
int proc_run(struct arena *a, const char *const argv[], int timeout_ms, size_t out_cap, size_t err_cap,
             struct proc_result *r);

#endif
