/* logs: a job's log tail: arguments, the file's name, reading from the end, UTF-8 and the cap. */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "jobstate.h"
#include "out.h"
#include "recipe.h"
#include "state.h"
#include "utf8.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

static enum err invalid(struct arena *a, const char **detail, const char *field, const char *why, const char *got)
{
    *detail = arena_printf(a, "field=%s: %s, not '%.24s'", field, why, got);
    return ERR_INVALID_INPUT;
}

/* BYTES: 1 to 7 decimal digits, 1..LOGS_BYTES_MAX. */
static bool parse_bytes(const char *s, size_t *out)
{
    size_t n = strlen(s), v = 0;
    if (n == 0 || n > 7 || strspn(s, "0123456789") != n)
        return false;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (size_t)(s[i] - '0');
    *out = v;
    return v >= 1 && v <= LOGS_BYTES_MAX;
}

enum err logs_parse_args(struct arena *a, int argc, const char *const *argv, struct logs_args *out, const char **detail)
{
    out->stream = "out";
    out->bytes = LOGS_BYTES_DEFAULT;
    if (argc < 1 || argc > 3) {
        *detail = "logs takes a job id, then out or err, then a byte count";
        return ERR_USAGE;
    }
    if (!jobstate_parse_id(argv[0], strlen(argv[0]), &out->id))
        return invalid(a, detail, "job_id", "must be a job id (digits)", argv[0]);
    if (argc >= 2) {
        if (strcmp(argv[1], "out") != 0 && strcmp(argv[1], "err") != 0)
            return invalid(a, detail, "stream", "must be out or err", argv[1]);
        out->stream = strcmp(argv[1], "out") == 0 ? "out" : "err";
    }
    if (argc == 3 && !parse_bytes(argv[2], &out->bytes))
        return invalid(a, detail, "bytes", "must be an integer in [1, 4194304]", argv[2]);
    return ERR_OK;
}

const char *logs_file_name(struct arena *a, const char *job_name, int64_t id, const char *stream)
{
    size_t n = job_name ? strlen(job_name) : 0;
    if (n < 1 || n > 64 || strspn(job_name, NAME_CHARS) != n)
        return NULL;
    return arena_printf(a, "%s-%" PRId64 ".%s", job_name, id, stream);
}

size_t logs_char_start(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && i < 3 && utf8_cont((unsigned char)s[i]))
        i++;
    return i;
}

void logs_utf8_fix(char *s, size_t len)
{
    unsigned char *u = (unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char(u + i, len - i);
        if (n == 0) {
            u[i] = '?';
            n = 1;
        }
        i += n;
    }
}

static size_t json_byte_len(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
        return 2;
    return c < 0x20 ? 6 : 1;
}

size_t logs_json_len(const char *s, size_t len)
{
    size_t total = 0;
    for (size_t i = 0; i < len; i++)
        total += json_byte_len((unsigned char)s[i]);
    return total;
}

size_t logs_fit(const char *s, size_t len, size_t max)
{
    size_t total = 0, i = len;
    while (i > 0) {
        size_t c = json_byte_len((unsigned char)s[i - 1]);
        if (total + c > max)
            break;
        total += c;
        i--;
    }
    while (i > 0 && i < len && utf8_cont((unsigned char)s[i]))
        i++;
    return i;
}

static enum err tail_fail(struct arena *a, const char **why, const char *name, const char *what, int err)
{
    *why = err ? arena_printf(a, "STATE/logs/%s: %s: %s", name, what, strerror(err))
               : arena_printf(a, "STATE/logs/%s: %s", name, what);
    return ERR_AGENT_STATE;
}

/* Opens the log file name below dirfd, never through a symlink on the way or at the end: *fd, or -1
 * with t->missing set when it or its folder does not exist (the job has not started, or wrote nothing
 * yet). */
static enum err open_log(struct arena *a, int dirfd, const char *name, struct logs_tail *t, int *fd, const char **why)
{
    const char *base;
    int dir = state_walk(dirfd, name, &base);
    *fd = -1;
    if (dir < 0) {
        t->missing = errno == ENOENT;
        return t->missing ? ERR_OK
               : errno == ELOOP || errno == ENOTDIR
                   ? tail_fail(a, why, name, "a symlink or a file on the way, not read", 0)
                   : tail_fail(a, why, name, "open", errno);
    }
    /* O_NONBLOCK: a FIFO put there must not hang the call; it is refused as not regular */
    *fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    int saved = errno;
    close(dir);
    if (*fd >= 0)
        return ERR_OK;
    t->missing = saved == ENOENT;
    return t->missing       ? ERR_OK
           : saved == ELOOP ? tail_fail(a, why, name, "a symlink, not read", 0)
                            : tail_fail(a, why, name, "open", saved);
}

enum err logs_read_tail(struct arena *a, int dirfd, const char *name, size_t bytes, struct logs_tail *t,
                        const char **why)
{
    int fd;
    *t = (struct logs_tail){.data = arena_strdup(a, "")};
    enum err e = open_log(a, dirfd, name, t, &fd, why);
    if (e || fd < 0)
        return e;
    struct stat st;
    off_t end, from;
    ssize_t n;
    if (fstat(fd, &st) < 0) {
        e = tail_fail(a, why, name, "fstat", errno);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = tail_fail(a, why, name, "not a regular file, not read", 0);
        goto out;
    }
    /* from the end: the size now, then back by bytes; a growing log may have more by the read */
    end = lseek(fd, 0, SEEK_END);
    if (end < 0) {
        e = tail_fail(a, why, name, "lseek", errno);
        goto out;
    }
    from = end > (off_t)bytes ? end - (off_t)bytes : 0;
    t->data = arena_alloc(a, (size_t)(end - from) + 1);
    n = pread_full(fd, t->data, (size_t)(end - from), from);
    if (n < 0) {
        e = tail_fail(a, why, name, "read", errno);
        goto out;
    }
    t->data[n] = '\0';
    t->len = (size_t)n;
    t->offset = (int64_t)from;
    t->size = (int64_t)from + n; /* a log truncated meanwhile ends where the read did */
out:
    close(fd);
    return e;
}

/* The tail of the job's log file: STATE/logs/<recipe>/NAME, where sbatch writes it since logs have a
 * folder per recipe, else STATE/logs/NAME of a job submitted before. *path (below STATE/logs) is the
 * file read, the first while neither exists yet. */
static enum err read_log(struct agent *ag, const char *recipe, const char *name, size_t bytes, struct logs_tail *t,
                         const char **path)
{
    int dirfd =
        open(arena_printf(ag->arena, "%s/logs", ag->state_dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        ag->detail = arena_printf(ag->arena, "opening STATE/logs: %s", strerror(errno));
        return ERR_AGENT_STATE;
    }
    *path = recipe && recipe_name_ok(recipe) ? arena_printf(ag->arena, "%s/%s", recipe, name) : name;
    enum err e = logs_read_tail(ag->arena, dirfd, *path, bytes, t, &ag->detail);
    if (e)
        goto out;
    if (t->missing && *path != name) {
        struct logs_tail flat;
        e = logs_read_tail(ag->arena, dirfd, name, bytes, &flat, &ag->detail);
        if (e)
            goto out;
        if (!flat.missing) {
            *t = flat;
            *path = name;
        }
    }
out:
    close(dirfd);
    return e;
}

enum err logs_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    struct logs_args args;
    struct logs_tail t;
    const char *path;
    enum err e = logs_parse_args(ag->arena, argc, argv, &args, &ag->detail);
    if (e)
        return e;
    if (!state_job_exists(ag->arena, ag->state_dir, args.id)) {
        ag->detail = arena_printf(ag->arena, "job_id=%" PRId64, args.id);
        return ERR_JOB_NOT_FOUND;
    }
    json_t *req = state_job_request(ag->arena, ag->state_dir, args.id);
    const char *name =
        logs_file_name(ag->arena, json_string_value(json_object_get(req, "job_name")), args.id, args.stream);
    if (!name) {
        ag->detail = arena_printf(ag->arena, "STATE/jobs/%" PRId64 "/request.json has no valid job_name", args.id);
        return ERR_AGENT_STATE;
    }
    e = read_log(ag, json_string_value(json_object_get(req, "recipe")), name, args.bytes, &t, &path);
    if (e)
        return e;
    /* a tail cut inside a character starts at the next whole one; then the cap on the JSON form */
    size_t skip = t.offset > 0 ? logs_char_start(t.data, t.len) : 0;
    logs_utf8_fix(t.data + skip, t.len - skip);
    skip += logs_fit(t.data + skip, t.len - skip, LOGS_JSON_MAX);
    int64_t offset = t.offset + (int64_t)skip;
    *reply = out_keep(ag->arena, json_pack("{s:I, s:s, s:s, s:I, s:I, s:b, s:o}", "job_id", (json_int_t)args.id,
                                           "stream", args.stream, "path", arena_printf(ag->arena, "logs/%s", path),
                                           "size", (json_int_t)t.size, "offset", (json_int_t)offset, "truncated",
                                           offset > 0, "text", out_strn(t.data + skip, t.len - skip)));
    return ERR_OK;
}
