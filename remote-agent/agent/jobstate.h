/* jobstate: pure parsers of what squeue, scontrol and sacct print about jobs, and the mapping of
 * SLURM's job states onto the few states aifb reports. No I/O: tests feed them recorded outputs. */
#ifndef AIFB_JOBSTATE_H
#define AIFB_JOBSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "job_state.h"

/* One job as SLURM reports it. Strings live in the arena; NULL where SLURM has nothing ("None",
 * "(null)", "None assigned", empty). */
struct jobstate_row {
    int64_t job_id;
    const char *slurm_state; /* upper case, without suffixes: "CANCELLED by 1000" gives "CANCELLED" */
    const char *node;        /* the node list as SLURM writes it ("n1", "n[1-2]") */
    const char *reason;      /* squeue's %r or scontrol's Reason */
    const char *exit_code;   /* "0:0"; NULL from squeue, which does not print it */
};

/* Parses `squeue -h -o '%i|%T|%N|%r'` output. Lines whose id is not a plain job id (array tasks,
 * heterogeneous components) or that have the wrong number of fields are skipped. Returns the number
 * of rows, stored in *rows (in the arena). */
size_t jobstate_parse_squeue(struct arena *a, const char *text, struct jobstate_row **rows);

/* Parses `scontrol show job -o ID` output (one line of Key=Value words) into row. Returns false when
 * the text has no JobId and JobState. */
bool jobstate_parse_scontrol(struct arena *a, const char *text, struct jobstate_row *row);

/* Parses `sacct -n -P -o JobID,State,ExitCode,NodeList` output (with or without -c). Job steps
 * ("12.batch", "12.extern") are skipped. Returns the number of rows, stored in *rows. */
size_t jobstate_parse_sacct(struct arena *a, const char *text, struct jobstate_row **rows);

/* The state aifb reports for a SLURM state word (as the parsers store it); endpoint_ready tells a
 * RUNNING job whose service has published its endpoint ("running") from one still starting.
 * JOB_UNKNOWN for a word it does not map (SUSPENDED, ...): the caller sees slurm_state beside it. */
enum job_state jobstate_normalise(const char *slurm_state, bool endpoint_ready);

/* Parses a job id: 1 to 18 decimal digits (no sign, no spaces), above 0. Returns false otherwise. */
bool jobstate_parse_id(const char *s, size_t len, int64_t *id);

#endif
