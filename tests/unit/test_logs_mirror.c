/* Unit tests of fcgi-apps/logs/mirror: the root from the config, paths refused by their form ("..",
 * absolute, "a//b", ".", control characters, too long), symbolic links planted to a file and to a
 * folder outside the root (and one inside), a FIFO that must not block, a folder, and mirror_unlink
 * removing a regular file and nothing else: the targets outside the root are still there after. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "../../fcgi-apps/logs/mirror.h"

static char tmpdir[] = "/tmp/aifb-test-mirror-XXXXXX";
static char root[256], outside[256];

static const char *at(const char *base, const char *rel)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", base, rel);
    return p;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* root/a/b/c.log, root/top.log, root/dir/, root/fifo, and outside the root: outside/secret.txt and
 * outside/sub/secret.txt; links: root/link.log -> outside/secret.txt, root/dirlink -> outside/sub,
 * root/a/inner.log -> ../top.log (inside, still refused), root/a/up -> .. */
static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(root, sizeof(root), "%s/mirror", tmpdir);
    snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
    ck_assert_int_eq(mkdir(root, 0700), 0);
    ck_assert_int_eq(mkdir(outside, 0700), 0);
    ck_assert_int_eq(mkdir(at(outside, "sub"), 0700), 0);
    put(at(outside, "secret.txt"), "secret\n");
    put(at(outside, "sub/secret.txt"), "secret too\n");
    ck_assert_int_eq(mkdir(at(root, "a"), 0700), 0);
    ck_assert_int_eq(mkdir(at(root, "a/b"), 0700), 0);
    ck_assert_int_eq(mkdir(at(root, "dir"), 0700), 0);
    put(at(root, "a/b/c.log"), "hello\nworld\n");
    put(at(root, "top.log"), "top\n");
    ck_assert_int_eq(mkfifo(at(root, "fifo"), 0600), 0);
    ck_assert_int_eq(symlink(at(outside, "secret.txt"), at(root, "link.log")), 0);
    ck_assert_int_eq(symlink(at(outside, "sub"), at(root, "dirlink")), 0);
    ck_assert_int_eq(symlink("../top.log", at(root, "a/inner.log")), 0);
    ck_assert_int_eq(symlink("..", at(root, "a/up")), 0);
    alarm(10); /* a FIFO that blocked would hang the test: fail it instead */
}

static void teardown(void)
{
    char cmd[128];
    alarm(0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
}

/* mirror_open of rel: the fd's file text ("" for a failure, with *err the errno). */
static const char *open_text(const char *rel, int *err)
{
    static char text[64];
    struct stat st;
    const char *why = NULL;
    errno = 0;
    int fd = mirror_open(root, rel, &st, &why);
    *err = errno;
    text[0] = '\0';
    if (fd < 0) {
        ck_assert_ptr_nonnull(why);
        return text;
    }
    ck_assert(S_ISREG(st.st_mode));
    ssize_t n = read(fd, text, sizeof(text) - 1);
    ck_assert_int_ge(n, 0);
    text[n] = '\0';
    close(fd);
    *err = 0;
    return text;
}

static void refused(const char *rel, int want_errno)
{
    int err;
    ck_assert_str_eq(open_text(rel, &err), "");
    ck_assert_msg(err == want_errno, "%s: errno %d (%s), want %d", rel, err, strerror(err), want_errno);
    ck_assert(mirror_refused(err));
}

START_TEST(test_open_ok)
{
    int err;
    ck_assert_str_eq(open_text("a/b/c.log", &err), "hello\nworld\n");
    ck_assert_str_eq(open_text("top.log", &err), "top\n");
    struct stat st;
    const char *why;
    int fd = mirror_open(root, "a/b/c.log", &st, &why);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(st.st_size, 12);
    int fl = fcntl(fd, F_GETFL);
    ck_assert_int_eq(fl & O_NONBLOCK, 0); /* blocking again */
    ck_assert_int_eq(fl & O_ACCMODE, O_RDONLY);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}
END_TEST

START_TEST(test_open_form)
{
    refused("", EINVAL);
    refused("/etc/passwd", EINVAL);
    refused(at(outside, "secret.txt"), EINVAL); /* absolute */
    refused("../outside/secret.txt", EINVAL);
    refused("a/../top.log", EINVAL);
    refused("a/b/..", EINVAL);
    refused("..", EINVAL);
    refused(".", EINVAL);
    refused("./top.log", EINVAL);
    refused("a/./b/c.log", EINVAL);
    refused("a//b/c.log", EINVAL);
    refused("a/b/c.log/", EINVAL);
    refused("top.log\n", EINVAL);
    refused("a/\001b", EINVAL);
    refused("a/b/c.log\x7f", EINVAL);
    refused("a/b\tc", EINVAL);
    struct stat st;
    const char *why = NULL;
    ck_assert_int_eq(mirror_open(root, NULL, &st, &why), -1);
    ck_assert_int_eq(errno, EINVAL);

    char long_path[MIRROR_PATH_MAX + 2];
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    for (size_t i = 100; i < sizeof(long_path) - 1; i += 100)
        long_path[i] = '/';
    refused(long_path, ENAMETOOLONG);
    char long_name[NAME_MAX + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    refused(long_name, ENAMETOOLONG);
}
END_TEST

START_TEST(test_open_links)
{
    int err;
    /* a link to a file outside, a link to a folder outside, a link inside, a link up */
    refused("link.log", ELOOP);
    open_text("dirlink/secret.txt", &err);
    ck_assert_msg(err == ELOOP || err == ENOTDIR, "errno %d", err);
    ck_assert(mirror_refused(err));
    refused("a/inner.log", ELOOP);
    open_text("a/up/top.log", &err);
    ck_assert(err == ELOOP || err == ENOTDIR);
    refused("a/b/c.log/x", ENOTDIR); /* a file where a folder should be */

    /* the root itself may not be a link */
    char linked_root[512];
    snprintf(linked_root, sizeof(linked_root), "%s/rootlink", tmpdir);
    ck_assert_int_eq(symlink(root, linked_root), 0);
    struct stat st;
    const char *why;
    ck_assert_int_eq(mirror_open(linked_root, "top.log", &st, &why), -1);
    ck_assert(errno == ELOOP || errno == ENOTDIR);
}
END_TEST

START_TEST(test_open_kinds)
{
    int err;
    refused("fifo", EINVAL); /* returns at once: no writer needed, nothing read */
    refused("dir", EINVAL);
    refused("a", EINVAL);
    open_text("missing.log", &err);
    ck_assert_int_eq(err, ENOENT);
    ck_assert(!mirror_refused(err));
    open_text("nodir/missing.log", &err);
    ck_assert_int_eq(err, ENOENT);
    struct stat st;
    const char *why;
    ck_assert_int_eq(mirror_open(at(tmpdir, "no-such-root"), "top.log", &st, &why), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_unlink)
{
    const char *why;
    /* refused: links (to a file outside, through a folder link, inside), forms, other kinds */
    const char *refuse[] = {"link.log",
                            "dirlink/secret.txt",
                            "a/inner.log",
                            "a/up/top.log",
                            "../outside/secret.txt",
                            "a/../top.log",
                            "dir",
                            "fifo",
                            "a",
                            "",
                            "a//b/c.log"};
    for (size_t i = 0; i < sizeof(refuse) / sizeof(refuse[0]); i++) {
        errno = 0;
        ck_assert_int_eq(mirror_unlink(root, refuse[i], &why), -1);
        ck_assert_msg(mirror_refused(errno), "%s: errno %d", refuse[i], errno);
    }
    ck_assert_int_eq(mirror_unlink(root, at(outside, "secret.txt"), &why), -1);
    ck_assert(exists(at(outside, "secret.txt")));
    ck_assert(exists(at(outside, "sub/secret.txt")));
    ck_assert(exists(at(root, "link.log")));
    ck_assert(exists(at(root, "dirlink")));
    ck_assert(exists(at(root, "a/inner.log")));
    ck_assert(exists(at(root, "top.log")));
    ck_assert(exists(at(root, "dir")));
    ck_assert(exists(at(root, "fifo")));

    ck_assert_int_eq(mirror_unlink(root, "a/b/c.log", &why), 0);
    ck_assert(!exists(at(root, "a/b/c.log")));
    ck_assert(exists(at(root, "a/b")));
    ck_assert_int_eq(mirror_unlink(root, "a/b/c.log", &why), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(mirror_unlink(root, "top.log", &why), 0);
    ck_assert(exists(at(root, "a/inner.log"))); /* the dangling link stays */
}
END_TEST

START_TEST(test_root)
{
    char out[64];
    ck_assert_int_eq(mirror_root_of(NULL, "/x/var/run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/x/var/mirror");
    ck_assert_int_eq(mirror_root_of("", "/x/var/run/", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/x/var/mirror");
    ck_assert_int_eq(mirror_root_of(NULL, "var/run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "var/mirror");
    ck_assert_int_eq(mirror_root_of(NULL, "a//run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "a/mirror");
    ck_assert_int_eq(mirror_root_of(NULL, "run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "mirror");
    ck_assert_int_eq(mirror_root_of(NULL, "/run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/mirror");
    ck_assert_int_eq(mirror_root_of(NULL, "/", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/mirror");
    ck_assert_int_eq(mirror_root_of("/data/logs", "/x/var/run", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/data/logs");
    ck_assert_int_eq(mirror_root_of(NULL, "/a/very/long/run/folder/name/that/does/not/fit/here/x", out, 16), -1);

    unsetenv("AIFB_LOGS_MIRROR_DIR");
    unsetenv("AIFB_RUN_DIR");
    char err[128];
    struct config *c = config_parse("run_dir = /x/var/run\n", err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    struct app app = {.config = c};
    ck_assert_str_eq(mirror_root(&app), "/x/var/mirror");
    config_free(c);
}
END_TEST

static Suite *mirror_suite(void)
{
    Suite *s = suite_create("logs_mirror");
    TCase *tc = tcase_create("mirror");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_ok);
    tcase_add_test(tc, test_open_form);
    tcase_add_test(tc, test_open_links);
    tcase_add_test(tc, test_open_kinds);
    tcase_add_test(tc, test_unlink);
    tcase_add_test(tc, test_root);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mirror_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
