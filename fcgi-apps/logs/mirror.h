/* mirror: the folder the cluster's job logs are synced into, and the only way aifb-logs reaches a
 * file in it. A path from the index is walked one component at a time from the mirror root with
 * O_NOFOLLOW, so that no symbolic link, "..", or other trick leads outside the root. */
#ifndef AIFB_LOGS_MIRROR_H
#define AIFB_LOGS_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct app;

/* The longest relative path taken, in bytes. */
#define MIRROR_PATH_MAX 4096

/* The mirror root: config key logs.mirror_dir, else the parent of run_dir (default "var/run")
 * followed by "/mirror" (/x/var/run gives /x/var/mirror). Computed on the first call; the string is
 * static and lives as long as the process. */
const char *mirror_root(const struct app *app);

/* The rule of mirror_root on plain strings: mirror_dir when not NULL or empty, else the parent of
 * run_dir + "/mirror" ("run" gives "mirror", "/run" gives "/mirror"). Writes it into out (n bytes).
 * Returns 0, or -1 when it does not fit. */
int mirror_root_of(const char *mirror_dir, const char *run_dir, char *out, size_t n);

/* Opens the regular file at relpath under root: returns an O_RDONLY|O_CLOEXEC fd the caller closes,
 * with its fstat in *st, or -1 with errno set and *why a short static text (never a path). errno:
 *   EINVAL        relpath refused by its form (empty, absolute, an empty, "." or ".." component, a
 *                 control character), or the name is not a regular file (folder, FIFO, socket, device);
 *   ENAMETOOLONG  relpath over MIRROR_PATH_MAX bytes, or a component over NAME_MAX;
 *   ELOOP/ENOTDIR a symbolic link on the way (root's last component included), or a file where a
 *                 folder should be;
 *   ENOENT        no such file (or no root);
 *   other         as open(2) or fstat(2) gave it.
 * No symbolic link is followed below root, and a FIFO never blocks the call. */
int mirror_open(const char *root, const char *relpath, struct stat *st, const char **why);

/* Removes the regular file at relpath under root, walked as mirror_open does; removes nothing else
 * (a symbolic link, folder or other kind of file is refused with EINVAL). Returns 0, or -1 with errno
 * and *why as mirror_open. */
int mirror_unlink(const char *root, const char *relpath, const char **why);

/* True when err (an errno of mirror_open or mirror_unlink) means the path was refused rather than
 * missing or unreadable: EINVAL, ENAMETOOLONG, ELOOP, ENOTDIR. */
bool mirror_refused(int err);

#endif
