/* mirror: where the synced logs live, and the confined walk from its root to one file. Each folder
 * on the way is opened with openat(O_DIRECTORY|O_NOFOLLOW) relative to the one before, so a symbolic
 * link planted anywhere below the root (by the cluster side, or a race with the sync) is refused. */
#include "mirror.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "settings.h"

int mirror_root_of(const char *mirror_dir, const char *run_dir, char *out, size_t n)
{
    int w;
    if (mirror_dir && *mirror_dir) {
        w = snprintf(out, n, "%s", mirror_dir);
        return w < 0 || (size_t)w >= n ? -1 : 0;
    }
    size_t len = strlen(run_dir);
    while (len > 1 && run_dir[len - 1] == '/') /* "var/run/" is "var/run" */
        len--;
    while (len > 0 && run_dir[len - 1] != '/') /* drop the last component */
        len--;
    while (len > 1 && run_dir[len - 1] == '/')
        len--;
    if (len == 0)
        w = snprintf(out, n, "mirror");
    else if (len == 1 && run_dir[0] == '/')
        w = snprintf(out, n, "/mirror");
    else
        w = snprintf(out, n, "%.*s/mirror", (int)len, run_dir);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

const char *mirror_root(const struct app *app)
{
    static char root[PATH_MAX];
    static bool done;
    if (!done) {
        const char *dir = settings_str(app->config, SETTING_LOGS_MIRROR_DIR);
        const char *run_dir = settings_str(app->config, SETTING_RUN_DIR);
        if (mirror_root_of(dir, run_dir, root, sizeof(root)) < 0) {
            log_error("logs.mirror_dir: the mirror folder's path is over %d bytes; no log file can be read",
                      PATH_MAX - 1);
            root[0] = '\0'; /* open("") fails with ENOENT */
        }
        done = true;
    }
    return root;
}

bool mirror_refused(int err)
{
    return err == EINVAL || err == ENAMETOOLONG || err == ELOOP || err == ENOTDIR;
}

static void close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

static int refuse(int err, const char *text, const char **why)
{
    errno = err;
    *why = text;
    return -1;
}

/* Checks relpath's form. Returns 0, or -1 with errno and *why. */
static int check_path(const char *relpath, const char **why)
{
    if (!relpath || !*relpath)
        return refuse(EINVAL, "empty path", why);
    if (strnlen(relpath, MIRROR_PATH_MAX + 1) > MIRROR_PATH_MAX)
        return refuse(ENAMETOOLONG, "path too long", why);
    if (relpath[0] == '/')
        return refuse(EINVAL, "absolute path", why);
    for (const char *p = relpath; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return refuse(EINVAL, "control character in path", why);
    for (const char *c = relpath;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0)
            return refuse(EINVAL, "empty path component", why);
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return refuse(EINVAL, "'.' or '..' in path", why);
        if (n > NAME_MAX)
            return refuse(ENAMETOOLONG, "path component too long", why);
        if (!slash)
            return 0;
        c = slash + 1;
    }
}

static const char *open_why(int err, const char *missing, const char *other)
{
    if (err == ENOENT)
        return missing;
    if (err == ELOOP || err == ENOTDIR)
        return "a symbolic link or a file where a folder should be";
    return other;
}

/* Opens each folder of relpath below root in turn. Returns an fd of the folder that holds the last
 * component, whose name goes into last; or -1 with errno and *why. */
static int walk(const char *root, const char *relpath, char last[NAME_MAX + 1], const char **why)
{
    if (check_path(relpath, why) < 0)
        return -1;
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        *why = open_why(errno, "no mirror root", "cannot open the mirror root");
        return -1;
    }
    for (const char *c = relpath;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        memcpy(last, c, n);
        last[n] = '\0';
        if (!slash)
            return dfd;
        int next = openat(dfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close_keep_errno(dfd);
        if (next < 0) {
            *why = open_why(errno, "no such folder", "cannot open a folder on the way");
            return -1;
        }
        dfd = next;
        c = slash + 1;
    }
}

/* Checks with lstat semantics that name in dfd is a regular file, so that nothing else (a device
 * among them) is ever opened. Returns 0, or -1 with errno and *why. */
static int check_regular(int dfd, const char *name, struct stat *st, const char **why)
{
    if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
        *why = open_why(errno, "no such file", "cannot stat the file");
        return -1;
    }
    if (S_ISLNK(st->st_mode))
        return refuse(ELOOP, "a symbolic link", why);
    if (!S_ISREG(st->st_mode))
        return refuse(EINVAL, "not a regular file", why);
    return 0;
}

/* Opens name in dfd, checked again on the fd: it may have been swapped since check_regular.
 * O_NONBLOCK keeps a FIFO swapped in from blocking the open. */
static int open_regular(int dfd, const char *name, struct stat *st, const char **why)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *why = open_why(errno, "no such file", "cannot open the file");
        return -1;
    }
    if (fstat(fd, st) < 0) {
        *why = "cannot stat the file";
        goto fail;
    }
    if (!S_ISREG(st->st_mode)) {
        refuse(EINVAL, "not a regular file", why);
        goto fail;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        *why = "cannot set the file blocking";
        goto fail;
    }
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

int mirror_open(const char *root, const char *relpath, struct stat *st, const char **why)
{
    char name[NAME_MAX + 1];
    int dfd = walk(root, relpath, name, why);
    if (dfd < 0)
        return -1;
    int fd = -1;
    if (check_regular(dfd, name, st, why) == 0)
        fd = open_regular(dfd, name, st, why);
    close_keep_errno(dfd);
    return fd;
}

int mirror_unlink(const char *root, const char *relpath, const char **why)
{
    char name[NAME_MAX + 1];
    struct stat st;
    int dfd = walk(root, relpath, name, why);
    if (dfd < 0)
        return -1;
    int rc = check_regular(dfd, name, &st, why);
    if (rc == 0) {
        rc = unlinkat(dfd, name, 0);
        if (rc < 0)
            *why = open_why(errno, "no such file", "cannot remove the file");
    }
    close_keep_errno(dfd);
    return rc;
}
