/* slurm: the SLURM commands the agent runs (sbatch, squeue, scontrol, sacct, scancel), each through
 * proc with an argv array, a timeout and output caps, and their failures as the agent's errors.
 * A failure's detail is the command's first line on stderr, with the state folder and home folder
 * replaced by STATE and ~ so that no path of the login node leaves it. */
#ifndef AIFB_SLURM_H
#define AIFB_SLURM_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "jobstate.h"

#define SLURM_TIMEOUT_MS 20000
#define SLURM_OUT_CAP (8u << 20)
#define SLURM_ERR_CAP (64u << 10)
#define SLURM_SCONTROL_MAX 16 /* ids a status call asks scontrol about one by one */

struct slurm {
    struct arena *arena;
    int timeout_ms;
    const char *redact[2]; /* replaced in details: [0] by "STATE", [1] by "~"; NULL: none */
    const char *detail;    /* set with an error */
};

/* Runs sbatch with argv (argv[0] "sbatch", "--parsable" among them) and stores the job id it
 * prints. Returns ERR_OK, ERR_INVALID_INPUT (sbatch refused an option the caller gave: a partition,
 * account or QOS that does not exist, a bad time limit; detail "field=NAME: " and sbatch's line),
 * ERR_SLURM_ERROR (it failed otherwise or printed no id) or ERR_SLURM_TIMEOUT. */
enum err slurm_sbatch(struct slurm *s, const char *const argv[], int64_t *job_id);

/* One `squeue -h -t all -j IDS -o '%i|%T|%N|%r'` for n ids; rows of those it knows (an unknown
 * single id is no error). Returns ERR_OK, ERR_SLURM_ERROR or ERR_SLURM_TIMEOUT. */
enum err slurm_squeue(struct slurm *s, const int64_t *ids, size_t n, struct jobstate_row **rows, size_t *nrows);

/* `scontrol show job -o ID`: *found false when SLURM no longer knows the id. */
enum err slurm_scontrol(struct slurm *s, int64_t id, struct jobstate_row *row, bool *found);

/* `sacct [-c] -n -P -j IDS -o JobID,State,ExitCode,NodeList`: with completion true, from the jobcomp
 * file. Never an error: accounting that is off or failing gives no rows (and a line on stderr). */
size_t slurm_sacct(struct slurm *s, const int64_t *ids, size_t n, bool completion, struct jobstate_row **rows);

/* `scancel ID`. Returns ERR_OK, ERR_SLURM_ERROR or ERR_SLURM_TIMEOUT. */
enum err slurm_scancel(struct slurm *s, int64_t id);

/* The first line of text (at most 300 bytes), with the redact strings replaced; in the arena. */
const char *slurm_first_line(struct slurm *s, const char *text);

#endif
