/* Unit tests of remote-agent/agent/rmlog: the three path forms accepted and deleted, the answer's
 * shape, and every refusal: paths that leave the state folder or have another shape, and what may
 * be planted in it (a symlink to a file outside, a symlinked folder, a FIFO, a folder), each left
 * alone with nothing outside touched. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/rmlog.h"
#include "../../remote-agent/agent/state.h"

static struct arena *arena;
static char tmpdir[] = "/tmp/aifb-test-rmlog-XXXXXX";
static char dir[128];
static struct agent ag;

static void setup(void)
{
    const char *why;
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(dir, sizeof(dir), "%s/state", tmpdir);
    ck_assert_int_eq(state_init(arena, dir, &why), ERR_OK);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/outside", tmpdir), 0700), 0);
    memset(&ag, 0, sizeof(ag));
    ag.arena = arena;
    ag.state_dir = dir;
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
    arena_free(arena);
}

/* Writes text to root/rel (root: the state folder or tmpdir), making its folder. */
static const char *put(const char *root, const char *rel, const char *text)
{
    const char *path = arena_printf(arena, "%s/%s", root, rel);
    char *folder = arena_strdup(arena, path);
    *strrchr(folder, '/') = '\0';
    mkdir(folder, 0700);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static enum err rmlog(const char *rel, json_t **reply)
{
    const char *argv[] = {rel, NULL};
    *reply = NULL;
    ag.detail = NULL;
    return rmlog_verb(&ag, 1, argv, reply);
}

/* rmlog_verb with no argument and text on its stdin (a pipe), stdin put back after. */
static enum err stdin_then_rmlog(const char *text, json_t **reply)
{
    int p[2], saved = dup(STDIN_FILENO);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
    close(p[1]);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);
    enum err e = rmlog_verb(&ag, 0, NULL, reply);
    dup2(saved, STDIN_FILENO);
    close(saved);
    return e;
}

START_TEST(test_three_forms)
{
    static const char *const rels[] = {"logs/vllm/aifb-svc-3-77.out", "logs/aifb-svc-1-5.err",
                                       "jobs/77/gpu-exporter.log"};
    for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        json_t *reply;
        const char *path = put(dir, rels[i], "twelve bytes");
        ck_assert_msg(rmlog(rels[i], &reply) == ERR_OK, "%s: %s", rels[i], ag.detail);
        ck_assert_str_eq(json_string_value(json_object_get(reply, "deleted")), rels[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(reply, "bytes")), 12);
        ck_assert_uint_eq(json_object_size(reply), 2);
        ck_assert(!exists(path));
        /* again: gone already */
        ck_assert_int_eq(rmlog(rels[i], &reply), ERR_OUTPUT_NOT_FOUND);
        ck_assert_ptr_null(strstr(ag.detail, tmpdir));
    }
    json_t *reply;
    ck_assert_int_eq(rmlog("logs/nofolder/x.out", &reply), ERR_OUTPUT_NOT_FOUND);
    ck_assert_int_eq(rmlog("jobs/99/none.log", &reply), ERR_OUTPUT_NOT_FOUND);
}
END_TEST

/* The agent's own audit trail is not aifb's to erase; every rmlog is in it. */
START_TEST(test_audit_kept)
{
    json_t *reply;
    const char *trail = put(dir, "logs/agent/agent.log", "{}\n");
    ck_assert_int_eq(rmlog("logs/agent/agent.log", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(trail));
    put(dir, "logs/vllm/aifb-svc-3-78.out", "x");
    ck_assert_int_eq(rmlog("logs/vllm/aifb-svc-3-78.out", &reply), ERR_OK);
    FILE *f = fopen(trail, "r");
    char line[4096], last[4096] = "";
    while (f && fgets(line, sizeof(line), f))
        memcpy(last, line, sizeof(line));
    if (f)
        fclose(f);
    json_t *j = json_loads(last, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "verb")), "rmlog");
    ck_assert_str_eq(json_string_value(json_object_get(j, "path")), "logs/vllm/aifb-svc-3-78.out");
    ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")), "ok");
    json_decref(j);
}
END_TEST

/* Each of the n paths is refused as invalid_input, its detail "field=path: ..." holding want. */
static void refused(const char *const *paths, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        json_t *reply;
        ck_assert_msg(rmlog(paths[i], &reply) == ERR_INVALID_INPUT, "'%s'", paths[i]);
        ck_assert_msg(strncmp(ag.detail, "field=path: ", 12) == 0 && strstr(ag.detail, want), "'%s': %s", paths[i],
                      ag.detail);
        ck_assert_ptr_null(reply);
    }
}

START_TEST(test_bad_paths)
{
    static const char *const dots[] = {"../x", "logs/../../x", "logs/..", "logs/.", "logs/a/..", "./logs/x"};
    static const char *const chars[] = {"", "logs/x\n", "logs//x", "logs/x/", "logs/a b", "logs/a\\b", "/logs/x"};
    static const char *const shapes[] = {"logs/a/b/c",    "logs",           "LOGS/a",
                                         "jobs/12/x.out", "jobs/x/a.log",   "jobs/12/.log",
                                         "jobs/a.log",    "jobs/1/a/b.log", "pending/x/script.sh"};
    refused(dots, sizeof(dots) / sizeof(dots[0]), ". or ..");
    refused(chars, sizeof(chars) / sizeof(chars[0]), "");
    refused(shapes, sizeof(shapes) / sizeof(shapes[0]), "must be logs/<dir>/<file>");
    refused((const char *const[]){"/etc/passwd"}, 1, "relative");
    json_t *reply;
    /* 255 bytes at most */
    char long_path[RMLOG_PATH_MAX + 2];
    memset(long_path, 'a', sizeof(long_path) - 1);
    memcpy(long_path, "logs/", 5);
    long_path[sizeof(long_path) - 1] = '\0';
    ck_assert_int_eq(rmlog(long_path, &reply), ERR_INVALID_INPUT);
    long_path[RMLOG_PATH_MAX] = '\0';
    ck_assert_int_eq(rmlog(long_path, &reply), ERR_OUTPUT_NOT_FOUND);
    const char *argv[] = {"a", "b"};
    ck_assert_int_eq(rmlog_verb(&ag, 2, argv, &reply), ERR_USAGE);
    /* no argument: the path comes on stdin as {"path"} (how aifb-logs sends it) */
    ck_assert_int_eq(stdin_then_rmlog("{\"path\": \"logs/vllm/none-1.out\"}", &reply), ERR_OUTPUT_NOT_FOUND);
    ck_assert_int_eq(stdin_then_rmlog("{\"path\": \"../x\"}", &reply), ERR_INVALID_INPUT);
    ck_assert_int_eq(stdin_then_rmlog("{\"file\": \"logs/x.out\"}", &reply), ERR_INVALID_INPUT);
    ck_assert_str_eq(ag.detail, "field=path: stdin must be {\"path\": \"...\"}");
    ck_assert_int_eq(stdin_then_rmlog("not json", &reply), ERR_INVALID_JSON);
}
END_TEST

START_TEST(test_planted)
{
    json_t *reply;
    const char *secret = put(tmpdir, "outside/secret.out", "secret");
    /* a symlink to a file outside: the link stays, and so does its target */
    const char *link = arena_printf(arena, "%s/logs/vllm/evil.out", dir);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/logs/vllm", dir), 0700), 0);
    ck_assert_int_eq(symlink(secret, link), 0);
    ck_assert_int_eq(rmlog("logs/vllm/evil.out", &reply), ERR_INVALID_INPUT);
    ck_assert_ptr_nonnull(strstr(ag.detail, "not a regular file"));
    ck_assert(exists(link) && exists(secret));
    /* a symlinked folder: nothing below it is reached */
    ck_assert_int_eq(symlink(arena_printf(arena, "%s/outside", tmpdir), arena_printf(arena, "%s/logs/evil", dir)), 0);
    ck_assert_int_eq(rmlog("logs/evil/secret.out", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(secret));
    /* a job's folder swapped for a link */
    put(tmpdir, "outside/gpu-exporter.log", "x");
    ck_assert_int_eq(symlink(arena_printf(arena, "%s/outside", tmpdir), arena_printf(arena, "%s/jobs/5", dir)), 0);
    ck_assert_int_eq(rmlog("jobs/5/gpu-exporter.log", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(arena_printf(arena, "%s/outside/gpu-exporter.log", tmpdir)));
    /* a FIFO and a folder are left alone */
    const char *fifo = arena_printf(arena, "%s/logs/vllm/fifo.out", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(rmlog("logs/vllm/fifo.out", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(fifo));
    ck_assert_int_eq(rmlog("logs/vllm", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(arena_printf(arena, "%s/logs/vllm", dir)));
    /* a file where a folder should be */
    put(dir, "logs/flat.out", "x");
    ck_assert_int_eq(rmlog("logs/flat.out/x", &reply), ERR_INVALID_INPUT);
    ck_assert(exists(arena_printf(arena, "%s/logs/flat.out", dir)));
}
END_TEST

static Suite *rmlog_suite(void)
{
    Suite *s = suite_create("agent_rmlog");
    TCase *tc = tcase_create("rmlog");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_three_forms);
    tcase_add_test(tc, test_audit_kept);
    tcase_add_test(tc, test_bad_paths);
    tcase_add_test(tc, test_planted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rmlog_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
