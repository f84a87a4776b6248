/* logs: the `logs ID [out|err] [BYTES]` verb: the end of a job's standard output or error, the file
 * STATE/logs/<recipe>/<job name>-<id>.<out|err> that sbatch's --output and --error name (or
 * STATE/logs/<job name>-<id>.<out|err> for a job submitted before logs had a folder per recipe). The
 * file is read from its end, never as a whole, never through a symlink, and only inside STATE/logs.
 * The text answered is valid UTF-8 and its JSON form fits the server's cap on an agent's answer. */
#ifndef AIFB_LOGS_H
#define AIFB_LOGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

#define LOGS_BYTES_DEFAULT 65536
#define LOGS_BYTES_MAX 4194304
/* The JSON form of the text at most: aifb-server reads at most 4 MiB of an agent's answer, and the
 * rest of the object needs a little room. */
#define LOGS_JSON_MAX (LOGS_BYTES_MAX - 4096)

struct logs_args {
    int64_t id;
    const char *stream; /* "out" or "err" (static) */
    size_t bytes;
};

/* Parses ID [out|err] [BYTES]. Returns ERR_OK, ERR_USAGE (no id or more than three arguments), or
 * ERR_INVALID_INPUT with *detail (arena) naming the field: job_id, stream or bytes. */
enum err logs_parse_args(struct arena *a, int argc, const char *const *argv, struct logs_args *out,
                         const char **detail);

/* "<job_name>-<id>.<stream>" in the arena, or NULL when job_name is not [A-Za-z0-9._-]{1,64} (the
 * names submit takes, so the file name never leaves STATE/logs). */
const char *logs_file_name(struct arena *a, const char *job_name, int64_t id, const char *stream);

/* The number of bytes at the start of s (len bytes) that continue a character begun before it (at
 * most 3): where a tail cut inside a character starts its first whole one. */
size_t logs_char_start(const char *s, size_t len);

/* Replaces in place each byte of s that is not part of valid UTF-8, and each NUL, with '?'. The
 * length does not change. */
void logs_utf8_fix(char *s, size_t len);

/* The bytes jansson writes for s (len bytes of valid UTF-8) inside a JSON string, as compact output
 * without JSON_ENSURE_ASCII writes it: '"', '\\' and \b\f\n\r\t take 2, other control bytes 6. */
size_t logs_json_len(const char *s, size_t len);

/* Where the text should start in s (len bytes of valid UTF-8) so that the JSON form of the rest is
 * at most max bytes: 0 when all of it fits, else the start of the first whole character that does. */
size_t logs_fit(const char *s, size_t len, size_t max);

/* The end of one log file. */
struct logs_tail {
    bool missing;   /* the file (or its folder) does not exist yet */
    int64_t size;   /* of the file when read; 0 when it does not exist yet */
    int64_t offset; /* of data[0] in the file */
    char *data;     /* in the arena, NUL-terminated */
    size_t len;
};

/* Reads the last bytes (at most) of the file name, a path below the folder dirfd (STATE/logs):
 * "aifb-svc-7-12.out" or "vllm/aifb-svc-7-12.out", seeking to them from the end; a file or folder
 * that does not exist reads as empty and missing. Never follows a symlink, on the way or at the end,
 * and reads only regular files. Returns ERR_OK, or ERR_AGENT_STATE with *why (arena; names the file
 * as STATE/logs/NAME). */
enum err logs_read_tail(struct arena *a, int dirfd, const char *name, size_t bytes, struct logs_tail *t,
                        const char **why);

/* The verb: {"job_id","stream","path","size","offset","truncated","text"} for a job this agent
 * submitted, path being the file read ("logs/<recipe>/NAME", or "logs/NAME" of the flat layout;
 * the first while neither exists); ERR_JOB_NOT_FOUND for another. */
enum err logs_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply);

#endif
