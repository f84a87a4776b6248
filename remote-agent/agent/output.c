/* output: a job's own files, raw, for the programs that load what a job made. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobstate.h"
#include "state.h"

#define OUTPUT_NAME_MAX 128

bool output_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > OUTPUT_NAME_MAX || name[0] == '.' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') && *p != '.' &&
            *p != '_' && *p != '-')
            return false;
    return true;
}

/* Writes all of len bytes to fd 1. */
static int write_all(const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(STDOUT_FILENO, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static enum err copy_out(struct agent *ag, int fd)
{
    char block[65536];
    for (;;) {
        ssize_t n = read(fd, block, sizeof(block));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ag->detail = arena_printf(ag->arena, "read: %s", strerror(errno));
            return ERR_AGENT_STATE;
        }
        if (n == 0)
            return ERR_OK;
        if (write_all(block, (size_t)n) < 0) /* the reader went away: nothing more to say to it */
            return ERR_OK;
    }
}

enum err output_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    int64_t id;
    *reply = NULL;
    if (argc != 2) {
        ag->detail = "output takes a job id and a file name";
        return ERR_USAGE;
    }
    if (!jobstate_parse_id(argv[0], strlen(argv[0]), &id)) {
        ag->detail = arena_printf(ag->arena, "field=job_id: '%.24s' is not a job id (digits)", argv[0]);
        return ERR_INVALID_INPUT;
    }
    if (!output_name_ok(argv[1])) {
        ag->detail = "field=name: must be a plain file name ([A-Za-z0-9][A-Za-z0-9._-]*, at most 128 bytes)";
        return ERR_INVALID_INPUT;
    }
    if (!state_job_exists(ag->arena, ag->state_dir, id)) {
        ag->detail = arena_printf(ag->arena, "job_id=%" PRId64, id);
        return ERR_JOB_NOT_FOUND;
    }
    /* neither the job's folder nor the file may be a link (a job could swap its folder for one) */
    int dir = open(state_job_dir(ag->arena, ag->state_dir, id), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int fd = dir < 0 ? -1 : openat(dir, argv[1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (dir >= 0)
        close(dir);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        ag->detail = arena_printf(ag->arena, "job %" PRId64 " has no file %s", id, argv[1]);
        return ERR_OUTPUT_NOT_FOUND;
    }
    enum err e = copy_out(ag, fd);
    close(fd);
    return e;
}
