/* audit: the agent's record of what it did on the cluster: one JSON line per call that changed
 * something there (a submit past its checks, whatever sbatch said; a cancel of one of its jobs),
 * appended to STATE/logs/agent/agent.log, where the log syncer mirrors it with the jobs' logs.
 * Best effort: a line that cannot be written changes nothing of the call's answer. */
#ifndef AIFB_AUDIT_H
#define AIFB_AUDIT_H

#include <stdint.h>
#include <time.h>

#include "agent.h"
#include "arena.h"
#include "err.h"

/* A line is at most this long, newline included, so that one write() appends it whole. */
#define AUDIT_LINE_MAX 4096
/* Bytes kept of a recipe or job name: valid ones have at most 64, so this only bounds the line. */
#define AUDIT_NAME_MAX 128

struct audit_entry {
    const char *verb;     /* "submit", "cancel" */
    int64_t job_id;       /* 0: not known (sbatch gave none) */
    const char *recipe;   /* NULL: not known */
    const char *job_name; /* NULL: not known */
    enum err outcome;     /* ERR_OK, or the call's error */
    const char *path;     /* rmlog's file; NULL for the others (left out) */
};

/* {"time":"2024-05-01T12:00:00.123Z","verb","job_id","recipe","job_name","outcome"} and a newline,
 * for en at now (UTC, milliseconds); job_id is left out when not known, outcome is "ok" or the
 * error's stable string. In the arena; NULL when it cannot be made under AUDIT_LINE_MAX. */
const char *audit_line(struct arena *a, const struct audit_entry *en, const struct timespec *now);

/* Appends line to STATE/logs/agent/agent.log (state_dir: STATE) with one write(), creating the
 * folder (0700) and the file (0640, less the umask); never through a symlink, only to a regular
 * file. Returns ERR_OK or ERR_AGENT_STATE with *why (arena, no path of the login node). */
enum err audit_append(struct arena *a, const char *state_dir, const char *line, const char **why);

/* audit_line for now, then audit_append; a failure is one line on stderr and nothing else. */
void audit_record(struct agent *ag, const struct audit_entry *en);

#endif
