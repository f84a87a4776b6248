/* spawn: runs one program with an argv array (fork + execvp, never a shell), stdin and stderr on
 * /dev/null, its stdout collected up to a cap, and a deadline after which its process group is
 * killed. The nvidia-smi source runs nvidia-smi through it (aifb-agent has its own proc.c, which this
 * program does not link). */
#ifndef AIFB_GPU_SPAWN_H
#define AIFB_GPU_SPAWN_H

#include <stdbool.h>

#include "buf.h"

struct spawn_result {
    int status;     /* the exit status, 128 + n when killed by signal n; -1 when unknown */
    int exec_errno; /* not 0: the program could not be started (ENOENT: not there, not on PATH) */
    bool timed_out; /* killed at the deadline */
    bool truncated; /* it wrote more than out's cap; the rest was read and dropped */
};

/* Runs argv[0] (looked up on PATH when it has no slash) with argv (NULL-terminated), appends its
 * stdout to out (whose cap bounds it) and waits at most timeout_ms. Returns 0 when it ran and
 * exited (whatever its status), -1 when it could not be started or was killed at the deadline;
 * r says which. The caller owns out. Safe in a threaded program: only async-signal-safe calls run
 * between fork and exec, and every descriptor it opens is close-on-exec. */
int spawn_run(char *const argv[], int timeout_ms, struct buf *out, struct spawn_result *r);

#endif
