/* state: the agent's folders on the login node, all 0700 under one STATE folder:
 * STATE/pending/<token>/ holds a submission until sbatch answers, then is renamed STATE/jobs/<id>/
 * (token, script.sh, request.json, and endpoint.json while the job's service is ready); STATE/logs/
 * takes the jobs' stdout and stderr, one folder per recipe, and the agent's own agent/agent.log;
 * STATE/stale/ keeps folders of earlier jobs whose id SLURM gave again (its ids restart when its
 * state is wiped). Errors say what failed (the call and strerror), never the path. */
#ifndef AIFB_STATE_H
#define AIFB_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "err.h"

/* Creates dir (and missing parents) and its pending, jobs, logs and stale folders. Returns ERR_OK or
 * ERR_AGENT_STATE with *why set (in the arena). */
enum err state_init(struct arena *a, const char *dir, const char **why);

/* Opens STATE/logs/<name> (name: one path component, a recipe's name or "agent"), creating it 0700
 * when missing, in *fd (the caller closes it). Neither STATE/logs nor the folder may be a symlink.
 * Returns ERR_OK or ERR_AGENT_STATE with *why set (in the arena). */
enum err state_logs_dir(struct arena *a, const char *dir, const char *name, int *fd, const char **why);

/* Opens the folders of rel ('/'-separated components) below dirfd one at a time, never through a
 * symlink, and returns an fd (O_CLOEXEC; the caller closes it) of the folder that holds the last
 * component, whose name *last points to inside rel (the caller checks that one). -1 with errno:
 * ENOENT for a missing folder, ELOOP or ENOTDIR for a symlink or a file on the way, EINVAL for a
 * folder name that is empty, "." or "..". */
int state_walk(int dirfd, const char *rel, const char **last);

/* Makes a new STATE/pending/<token>/ (token: 16 random hex digits) holding a file named token with
 * the token in it, and returns its path and token (arena). */
enum err state_pending_new(struct arena *a, const char *dir, const char **path, const char **token, const char **why);

/* Writes a new file (never an existing one, never through a symlink) with mode. */
enum err state_write(struct arena *a, const char *path, const char *data, size_t len, mode_t mode, const char **why);

/* Renames the pending folder (of this token) to STATE/jobs/<id>. Done already (by the job itself)
 * counts as done; a folder of an earlier job with this id is moved to STATE/stale/<id>-<token> first. */
enum err state_commit(struct arena *a, const char *dir, const char *pending, const char *token, int64_t id,
                      const char **why);

/* Removes a pending folder and the plain files in it; best effort, nothing reported. */
void state_remove(const char *path);

/* STATE/jobs/<id> (in the arena), and whether it exists as a folder. */
const char *state_job_dir(struct arena *a, const char *dir, int64_t id);
bool state_job_exists(struct arena *a, const char *dir, int64_t id);

/* STATE/jobs/<id>/request.json as submit stored it (1 MiB at most); NULL when missing. The arena owns
 * the reference. */
json_t *state_job_request(struct arena *a, const char *dir, int64_t id);

/* The JSON object in path, read up to cap bytes; NULL when missing, larger, or not an object.
 * The arena owns the reference. */
json_t *state_read_json(struct arena *a, const char *path, size_t cap);

/* The ids of the folders in STATE/jobs, highest (newest) first, at most max of them, in *ids (arena).
 * Returns the count; 0 when the folder cannot be read. */
size_t state_job_ids(struct arena *a, const char *dir, size_t max, int64_t **ids);

#endif
