/* rmlog: the path's shape is checked as text first, then each folder is opened with O_NOFOLLOW from
 * the state folder, and the file is checked with fstatat and removed with unlinkat in the last one. */
#include "rmlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "out.h"
#include "state.h"
#include "submit.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define SHAPE "field=path: must be logs/<dir>/<file>, logs/<file> or jobs/<id>/<name>.log"

static enum err bad(const char **detail, const char *why)
{
    *detail = why;
    return ERR_INVALID_INPUT;
}

static bool is(const char *s, size_t len, const char *word)
{
    return len == strlen(word) && strncmp(s, word, len) == 0;
}

/* Whether the components c[0..n) (lengths len) are one of the three forms. */
static bool shape_ok(const char *const *c, const size_t *len, size_t n)
{
    if (is(c[0], len[0], "logs")) /* the agent's own audit trail is not aifb's to erase */
        return (n == 2 || n == 3) && !(n == 3 && is(c[1], len[1], "agent"));
    return is(c[0], len[0], "jobs") && n == 3 && strspn(c[1], "0123456789") == len[1] && len[2] > 4 &&
           strncmp(c[2] + len[2] - 4, ".log", 4) == 0;
}

enum err rmlog_check(const char *rel, const char **detail)
{
    const char *c[3];
    size_t len[3], n = 0, size = strlen(rel);
    if (size == 0 || size > RMLOG_PATH_MAX)
        return bad(detail, "field=path: must be 1 to 255 bytes");
    if (rel[0] == '/')
        return bad(detail, "field=path: must be relative to the state folder");
    for (const char *p = rel;; p += len[n - 1] + 1) {
        if (n == 3)
            return bad(detail, SHAPE);
        c[n] = p;
        len[n] = strcspn(p, "/");
        /* NAME_CHARS has no '/': a component of other bytes stops strspn short of its end */
        if (len[n] == 0 || strspn(p, NAME_CHARS) != len[n])
            return bad(detail, "field=path: each component must be one or more of [A-Za-z0-9._-]");
        if (is(p, len[n], ".") || is(p, len[n], ".."))
            return bad(detail, "field=path: no component may be . or ..");
        if (p[len[n++]] == '\0')
            break;
    }
    return shape_ok(c, len, n) ? ERR_OK : bad(detail, SHAPE);
}

/* The error for errno err met while reaching or removing rel. */
static enum err fail(struct agent *ag, const char *rel, const char *what, int err)
{
    if (err == ENOENT) {
        ag->detail = arena_printf(ag->arena, "no file %s", rel);
        return ERR_OUTPUT_NOT_FOUND;
    }
    if (err == ELOOP || err == ENOTDIR)
        return bad(&ag->detail, "field=path: a folder on the way is a symlink or not a folder; nothing deleted");
    ag->detail = arena_printf(ag->arena, "%s: %s", what, strerror(err));
    return ERR_AGENT_STATE;
}

/* Removes the regular file rel (checked) below the state folder; *bytes is the size it had. */
static enum err remove_file(struct agent *ag, const char *rel, int64_t *bytes)
{
    const char *name;
    struct stat st;
    enum err e = ERR_OK;
    int dir = -1, top = open(ag->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0) {
        ag->detail = arena_printf(ag->arena, "opening STATE: %s", strerror(errno));
        e = ERR_AGENT_STATE;
        goto out;
    }
    dir = state_walk(top, rel, &name);
    if (dir < 0) {
        e = fail(ag, rel, "opening a folder of the path", errno);
        goto out;
    }
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        e = fail(ag, rel, "fstatat", errno);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = bad(&ag->detail, "field=path: not a regular file (a symlink, folder or FIFO is left alone)");
        goto out;
    }
    /* unlinkat never follows the last component: a file swapped for a symlink since fstatat loses
     * that link, never its target */
    if (unlinkat(dir, name, 0) < 0) {
        e = fail(ag, rel, "unlinkat", errno);
        goto out;
    }
    *bytes = (int64_t)st.st_size;
out:
    if (dir >= 0)
        close(dir);
    if (top >= 0)
        close(top);
    return e;
}

enum err rmlog_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    int64_t bytes = 0;
    const char *path = argc == 1 ? argv[0] : NULL;
    enum err e;
    if (argc > 1) {
        ag->detail = "rmlog takes one path relative to the state folder, or {\"path\"} on stdin";
        return ERR_USAGE;
    }
    if (!path) {
        json_t *req;
        e = submit_read_stdin(ag, &req);
        if (e)
            return e;
        path = json_string_value(json_object_get(req, "path"));
        if (!path) {
            ag->detail = "field=path: stdin must be {\"path\": \"...\"}";
            return ERR_INVALID_INPUT;
        }
    }
    e = rmlog_check(path, &ag->detail);
    if (e)
        return e;
    e = remove_file(ag, path, &bytes);
    audit_record(ag, &(struct audit_entry){"rmlog", 0, NULL, NULL, e, path});
    if (e)
        return e;
    *reply = out_keep(ag->arena, json_pack("{s:s, s:I}", "deleted", path, "bytes", (json_int_t)bytes));
    return ERR_OK;
}
