/* audit: agent.log's lines, made with jansson and appended with O_APPEND in one write() each, so
 * that the lines of concurrent calls never interleave (on a local filesystem; NFS does not promise
 * it for appends from several hosts, but every call runs on the one login node). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "out.h"
#include "state.h"

/* A string member of at most AUDIT_NAME_MAX bytes (json null for NULL); a new reference. */
static json_t *capped(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return out_strn(s, n < AUDIT_NAME_MAX ? n : AUDIT_NAME_MAX);
}

const char *audit_line(struct arena *a, const struct audit_entry *en, const struct timespec *now)
{
    struct tm tm;
    char secs[32];
    if (!gmtime_r(&now->tv_sec, &tm) || strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return NULL;
    json_t *j =
        json_pack("{s:s, s:s}", "time", arena_printf(a, "%s.%03ldZ", secs, now->tv_nsec / 1000000), "verb", en->verb);
    if (j && en->job_id > 0)
        json_object_set_new(j, "job_id", json_integer(en->job_id));
    json_object_set_new(j, "recipe", capped(en->recipe));
    json_object_set_new(j, "job_name", capped(en->job_name));
    json_object_set_new(j, "outcome", json_string(err_string(en->outcome)));
    if (en->path)
        json_object_set_new(j, "path", capped(en->path));
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    const char *line = text && strlen(text) + 1 < AUDIT_LINE_MAX ? arena_printf(a, "%s\n", text) : NULL;
    free(text);
    return line;
}

static enum err fail(struct arena *a, const char **why, const char *what, int err)
{
    *why = arena_printf(a, "STATE/logs/agent/agent.log: %s: %s", what, strerror(err));
    return ERR_AGENT_STATE;
}

enum err audit_append(struct arena *a, const char *state_dir, const char *line, const char **why)
{
    int dir, fd;
    struct stat st;
    size_t len = strlen(line);
    enum err e = state_logs_dir(a, state_dir, "agent", &dir, why);
    if (e)
        return e;
    /* O_NONBLOCK: a FIFO planted there must not hang the call; it is refused as not regular */
    fd = openat(dir, "agent.log", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
    if (fd < 0) {
        e = fail(a, why, "open", errno);
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        e = fail(a, why, "fstat", errno);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = "STATE/logs/agent/agent.log: not a regular file, not written";
        e = ERR_AGENT_STATE;
        goto out;
    }
    /* no second write for the rest of a short one: a line cut in two is worse than one missing */
    ssize_t n = write(fd, line, len);
    if (n != (ssize_t)len)
        e = fail(a, why, "write", n < 0 ? errno : ENOSPC);
out:
    if (fd >= 0)
        close(fd);
    close(dir);
    return e;
}

void audit_record(struct agent *ag, const struct audit_entry *en)
{
    struct timespec now;
    const char *why = "the line could not be made";
    clock_gettime(CLOCK_REALTIME, &now);
    const char *line = audit_line(ag->arena, en, &now);
    if (!line || audit_append(ag->arena, ag->state_dir, line, &why) != ERR_OK)
        log_warn("audit: %s", why);
}
