/* state: the agent's folders and files. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobstate.h"

static enum err fail(struct arena *a, const char **why, const char *what)
{
    *why = arena_printf(a, "%s: %s", what, strerror(errno));
    return ERR_AGENT_STATE;
}

/* mkdir that takes an existing folder as success. */
static int mkdir_0700(const char *path)
{
    struct stat st;
    if (mkdir(path, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    if (stat(path, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

enum err state_init(struct arena *a, const char *dir, const char **why)
{
    char *p = arena_strdup(a, dir);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int rc = mkdir_0700(p);
        *s = '/';
        if (rc < 0 && errno != EACCES) /* a parent we may not create but can still pass through */
            return fail(a, why, "creating the state folder's parents");
    }
    static const char *const subs[] = {"", "/pending", "/jobs", "/logs", "/stale"};
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (mkdir_0700(arena_printf(a, "%s%s", dir, subs[i])) < 0)
            return fail(a, why, "creating the state folder");
    return ERR_OK;
}

enum err state_logs_dir(struct arena *a, const char *dir, const char *name, int *fd, const char **why)
{
    int logs = open(arena_printf(a, "%s/logs", dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (logs < 0)
        return fail(a, why, "opening STATE/logs");
    if (mkdirat(logs, name, 0700) < 0 && errno != EEXIST) {
        close(logs);
        return fail(a, why, "creating a folder in STATE/logs");
    }
    /* an existing name must be a real folder, not a symlink planted to send the logs elsewhere */
    *fd = openat(logs, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(logs);
    errno = saved;
    return *fd < 0 ? fail(a, why, "opening a folder in STATE/logs") : ERR_OK;
}

int state_walk(int dirfd, const char *rel, const char **last)
{
    int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    const char *p = rel, *slash;
    while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
        char comp[NAME_MAX + 1];
        size_t n = (size_t)(slash - p);
        if (n == 0 || n > NAME_MAX || (n <= 2 && strncmp(p, "..", n) == 0)) {
            close(fd);
            errno = EINVAL;
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        close(fd);
        errno = saved;
        fd = next;
        p = slash + 1;
    }
    *last = p;
    return fd;
}

enum err state_pending_new(struct arena *a, const char *dir, const char **path, const char **token, const char **why)
{
    for (int tries = 0; tries < 8; tries++) {
        unsigned char r[8];
        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
            return fail(a, why, "getrandom");
        char *t = arena_printf(a, "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
        char *p = arena_printf(a, "%s/pending/%s", dir, t);
        if (mkdir(p, 0700) == 0) {
            *path = p;
            *token = t;
            const char *text = arena_printf(a, "%s\n", t);
            enum err e = state_write(a, arena_printf(a, "%s/token", p), text, strlen(text), 0600, why);
            if (e)
                state_remove(p);
            return e;
        }
        if (errno != EEXIST)
            return fail(a, why, "creating a pending folder");
    }
    return fail(a, why, "creating a pending folder");
}

enum err state_write(struct arena *a, const char *path, const char *data, size_t len, mode_t mode, const char **why)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(a, why, "creating a file");
    enum err e = ERR_OK;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = fail(a, why, "writing a file");
            goto out;
        }
        data += n;
        len -= (size_t)n;
    }
    /* open applied the umask; the script must be executable by its owner whatever the umask */
    if (fchmod(fd, mode) < 0)
        e = fail(a, why, "setting a file's mode");
out:
    /* a failed close may lose what was written; an earlier failure is the one to report */
    if (close(fd) < 0 && e == ERR_OK)
        e = fail(a, why, "closing a file");
    return e;
}

const char *state_job_dir(struct arena *a, const char *dir, int64_t id)
{
    return arena_printf(a, "%s/jobs/%" PRId64, dir, id);
}

bool state_job_exists(struct arena *a, const char *dir, int64_t id)
{
    struct stat st;
    return stat(state_job_dir(a, dir, id), &st) == 0 && S_ISDIR(st.st_mode);
}

/* True when folder holds the token file of this submission. */
static bool has_token(struct arena *a, const char *folder, const char *token)
{
    char got[32] = "";
    FILE *f = fopen(arena_printf(a, "%s/token", folder), "re");
    if (!f)
        return false;
    bool ok = fgets(got, sizeof(got), f) && strncmp(got, token, strlen(token)) == 0 && got[strlen(token)] == '\n';
    fclose(f);
    return ok;
}

enum err state_commit(struct arena *a, const char *dir, const char *pending, const char *token, int64_t id,
                      const char **why)
{
    const char *to = state_job_dir(a, dir, id);
    for (int attempt = 0;; attempt++) {
        if (rename(pending, to) == 0)
            return ERR_OK;
        int saved = errno;
        if (saved == ENOENT && has_token(a, to, token))
            return ERR_OK;
        /* SLURM gave this id before (its ids restart when its state is wiped): keep that folder aside */
        if ((saved == EEXIST || saved == ENOTEMPTY) && attempt == 0 &&
            rename(to, arena_printf(a, "%s/stale/%" PRId64 "-%s", dir, id, token)) == 0)
            continue;
        errno = saved;
        return fail(a, why, "moving the pending folder to the job's");
    }
}

void state_remove(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(path);
}

static void decref(void *j)
{
    json_decref(j);
}

json_t *state_read_json(struct arena *a, const char *path, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *data = arena_alloc(a, cap + 1);
    size_t len = 0;
    ssize_t n;
    while (len <= cap && (n = read(fd, data + len, cap + 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > cap)
        return NULL;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    if (j)
        arena_defer(a, decref, j);
    return json_is_object(j) ? j : NULL;
}

json_t *state_job_request(struct arena *a, const char *dir, int64_t id)
{
    return state_read_json(a, arena_printf(a, "%s/request.json", state_job_dir(a, dir, id)), 1u << 20);
}

static int newest_first(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

size_t state_job_ids(struct arena *a, const char *dir, size_t max, int64_t **ids)
{
    *ids = NULL;
    DIR *d = opendir(arena_printf(a, "%s/jobs", dir));
    if (!d)
        return 0;
    size_t n = 0, cap = 64;
    int64_t *v = malloc(cap * sizeof(*v));
    struct dirent *e;
    while (v && (e = readdir(d)) != NULL) {
        int64_t id;
        if (!jobstate_parse_id(e->d_name, strlen(e->d_name), &id))
            continue;
        if (n == cap) {
            int64_t *g = realloc(v, 2 * cap * sizeof(*v));
            if (!g)
                break;
            v = g, cap *= 2;
        }
        v[n++] = id;
    }
    closedir(d);
    if (!v)
        return 0;
    qsort(v, n, sizeof(*v), newest_first);
    n = n < max ? n : max;
    *ids = arena_alloc(a, (n ? n : 1) * sizeof(**ids));
    memcpy(*ids, v, n * sizeof(*v));
    free(v);
    return n;
}
