/* Unit tests of remote-agent/agent/state: the folders and their modes, a pending folder and its token,
 * the rename to the job's folder (done already by the job; a stale folder of an earlier job with the
 * same id moved aside), files never overwritten, JSON read with a cap, job ids newest first, a log
 * folder made (never through a symlink), and paths walked folder by folder without following one. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/state.h"

static struct arena *arena;
static const char *why;
static char tmpdir[] = "/tmp/aifb-test-state-XXXXXX";
static char dir[128];

static void setup(void)
{
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(dir, sizeof(dir), "%s/home/.aifb/state", tmpdir);
    ck_assert_int_eq(state_init(arena, dir, &why), ERR_OK);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
    arena_free(arena);
}

static int mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (int)(st.st_mode & 07777);
}

static void touch(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_init)
{
    const char *subs[] = {"", "/pending", "/jobs", "/logs", "/stale"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(mode_of(arena_printf(arena, "%s%s", dir, subs[i])), 0700);
    ck_assert_int_eq(state_init(arena, dir, &why), ERR_OK); /* again: nothing to do */
    touch(arena_printf(arena, "%s/file", tmpdir), "");
    ck_assert_int_eq(state_init(arena, arena_printf(arena, "%s/file/state", tmpdir), &why), ERR_AGENT_STATE);
    ck_assert_ptr_null(strstr(why, tmpdir)); /* no path in the detail */
}
END_TEST

START_TEST(test_pending_and_commit)
{
    const char *pending, *token;
    ck_assert_int_eq(state_pending_new(arena, dir, &pending, &token, &why), ERR_OK);
    ck_assert_uint_eq(strlen(token), 16);
    ck_assert_str_eq(pending, arena_printf(arena, "%s/pending/%s", dir, token));
    ck_assert_int_eq(mode_of(pending), 0700);
    const char *script = arena_printf(arena, "%s/script.sh", pending);
    ck_assert_int_eq(state_write(arena, script, "#!/bin/bash\n", 12, 0700, &why), ERR_OK);
    ck_assert_int_eq(mode_of(script), 0700);
    ck_assert_int_eq(state_write(arena, script, "x", 1, 0700, &why), ERR_AGENT_STATE); /* never overwritten */
    ck_assert_int_eq(state_commit(arena, dir, pending, token, 42, &why), ERR_OK);
    ck_assert(state_job_exists(arena, dir, 42));
    ck_assert_int_eq(access(pending, F_OK), -1);
    /* again, as when the job moved it first: its token is there */
    ck_assert_int_eq(state_commit(arena, dir, pending, token, 42, &why), ERR_OK);
    ck_assert_int_eq(state_commit(arena, dir, pending, "ffffffffffffffff", 42, &why), ERR_AGENT_STATE);
}
END_TEST

START_TEST(test_commit_over_a_stale_folder)
{
    const char *pending, *token;
    const char *old = state_job_dir(arena, dir, 7);
    ck_assert_int_eq(mkdir(old, 0700), 0);
    touch(arena_printf(arena, "%s/script.sh", old), "old");
    ck_assert_int_eq(state_pending_new(arena, dir, &pending, &token, &why), ERR_OK);
    ck_assert_int_eq(state_commit(arena, dir, pending, token, 7, &why), ERR_OK);
    ck_assert_int_eq(access(arena_printf(arena, "%s/token", old), F_OK), 0);
    ck_assert_int_eq(access(arena_printf(arena, "%s/stale/7-%s/script.sh", dir, token), F_OK), 0);
}
END_TEST

START_TEST(test_remove)
{
    const char *pending, *token;
    ck_assert_int_eq(state_pending_new(arena, dir, &pending, &token, &why), ERR_OK);
    touch(arena_printf(arena, "%s/request.json", pending), "{}");
    state_remove(pending);
    ck_assert_int_eq(access(pending, F_OK), -1);
}
END_TEST

START_TEST(test_read_json)
{
    const char *p = arena_printf(arena, "%s/e.json", tmpdir);
    touch(p, "{\"host\": \"h\", \"port\": 1}");
    json_t *j = state_read_json(arena, p, 1024);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "port")), 1);
    ck_assert_ptr_null(state_read_json(arena, p, 10)); /* over the cap */
    ck_assert_ptr_null(state_read_json(arena, arena_printf(arena, "%s/missing", tmpdir), 1024));
    touch(p, "[1]");
    ck_assert_ptr_null(state_read_json(arena, p, 1024));
    touch(p, "{\"a\": 1, \"a\": 2}");
    ck_assert_ptr_null(state_read_json(arena, p, 1024));
    touch(p, "{\"host\": ");
    ck_assert_ptr_null(state_read_json(arena, p, 1024));
}
END_TEST

START_TEST(test_job_ids)
{
    int64_t *ids;
    ck_assert_uint_eq(state_job_ids(arena, dir, 10, &ids), 0);
    const int64_t made[] = {5, 100, 7, 99, 1000};
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(mkdir(state_job_dir(arena, dir, made[i]), 0700), 0);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/jobs/x12", dir), 0700), 0);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/jobs/0", dir), 0700), 0);
    ck_assert_uint_eq(state_job_ids(arena, dir, 10, &ids), 5);
    ck_assert(ids[0] == 1000 && ids[1] == 100 && ids[2] == 99 && ids[3] == 7 && ids[4] == 5);
    ck_assert_uint_eq(state_job_ids(arena, dir, 2, &ids), 2);
    ck_assert(ids[0] == 1000 && ids[1] == 100);
    ck_assert(!state_job_exists(arena, dir, 6));
}
END_TEST

START_TEST(test_logs_dir)
{
    int fd;
    ck_assert_int_eq(state_logs_dir(arena, dir, "vllm", &fd, &why), ERR_OK);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(mode_of(arena_printf(arena, "%s/logs/vllm", dir)), 0700);
    ck_assert_int_eq(state_logs_dir(arena, dir, "vllm", &fd, &why), ERR_OK); /* there already */
    close(fd);
    /* a symlink or a file in its place is refused, and nothing is made through it */
    ck_assert_int_eq(symlink(tmpdir, arena_printf(arena, "%s/logs/evil", dir)), 0);
    ck_assert_int_eq(state_logs_dir(arena, dir, "evil", &fd, &why), ERR_AGENT_STATE);
    ck_assert_ptr_null(strstr(why, tmpdir));
    touch(arena_printf(arena, "%s/logs/file", dir), "");
    ck_assert_int_eq(state_logs_dir(arena, dir, "file", &fd, &why), ERR_AGENT_STATE);
}
END_TEST

START_TEST(test_walk)
{
    const char *last;
    int top = open(dir, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(top, 0);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/logs/vllm", dir), 0700), 0);
    int fd = state_walk(top, "logs/vllm/x.out", &last);
    ck_assert_int_ge(fd, 0);
    ck_assert_str_eq(last, "x.out");
    close(fd);
    fd = state_walk(top, "x.out", &last); /* no folder: a new fd of dirfd's */
    ck_assert(fd >= 0 && fd != top && strcmp(last, "x.out") == 0);
    close(fd);
    ck_assert_int_eq(symlink(arena_printf(arena, "%s/logs", dir), arena_printf(arena, "%s/link", dir)), 0);
    ck_assert(state_walk(top, "link/vllm/x.out", &last) < 0 && (errno == ENOTDIR || errno == ELOOP));
    ck_assert(state_walk(top, "logs/none/x.out", &last) < 0 && errno == ENOENT);
    static const char *const bad[] = {"logs/../logs/x", "logs/./x", "logs//x", "/logs/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(state_walk(top, bad[i], &last) < 0 && errno == EINVAL, "%s", bad[i]);
    close(top);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("agent_state");
    TCase *tc = tcase_create("state");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_pending_and_commit);
    tcase_add_test(tc, test_commit_over_a_stale_folder);
    tcase_add_test(tc, test_remove);
    tcase_add_test(tc, test_read_json);
    tcase_add_test(tc, test_job_ids);
    tcase_add_test(tc, test_logs_dir);
    tcase_add_test(tc, test_walk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
