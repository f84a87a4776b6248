/* Unit tests of remote-agent/agent/output: which names a job's file may have, and the verb: the
 * file's bytes exactly, a missing file, a link planted in the job's folder, a folder, bad ids. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/output.h"
#include "../../remote-agent/agent/state.h"

static struct arena *arena;
static char tmpdir[] = "/tmp/aifb-test-output-XXXXXX";
static char dir[128];
static struct agent ag;

static void setup(void)
{
    const char *why;
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(dir, sizeof(dir), "%s/state", tmpdir);
    ck_assert_int_eq(state_init(arena, dir, &why), ERR_OK);
    ck_assert_int_eq(mkdir(state_job_dir(arena, dir, 42), 0700), 0);
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

static void put(const char *name, const char *text)
{
    FILE *f = fopen(arena_printf(arena, "%s/%s", state_job_dir(arena, dir, 42), name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Runs the verb with stdout sent to a file; returns its error and puts what it wrote in out. */
static enum err run(const char *id, const char *name, char *out, size_t cap)
{
    const char *argv[] = {id, name};
    char path[200];
    snprintf(path, sizeof(path), "%s/stdout", tmpdir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    json_t *reply = (json_t *)1;
    enum err e = output_verb(&ag, 2, argv, &reply);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    ck_assert_ptr_null(reply);
    FILE *f = fopen(path, "r");
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return e;
}

START_TEST(test_names)
{
    ck_assert(output_name_ok("records-0.csv"));
    ck_assert(output_name_ok("summary-12.json"));
    ck_assert(output_name_ok("A_b.c-1"));
    ck_assert(!output_name_ok(""));
    ck_assert(!output_name_ok(".hidden"));
    ck_assert(!output_name_ok(".."));
    ck_assert(!output_name_ok("a..b"));
    ck_assert(!output_name_ok("../token"));
    ck_assert(!output_name_ok("a/b"));
    ck_assert(!output_name_ok("/etc/passwd"));
    ck_assert(!output_name_ok("a b"));
    ck_assert(!output_name_ok("a%2e%2e"));
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ck_assert(!output_name_ok(longname));
}
END_TEST

START_TEST(test_bytes_exactly)
{
    char out[256];
    put("records-0.csv", "0,0,measure,1,2,,,3,,1,,f,500,http_error\n0,1,x\n");
    ck_assert_int_eq(run("42", "records-0.csv", out, sizeof(out)), ERR_OK);
    ck_assert_str_eq(out, "0,0,measure,1,2,,,3,,1,,f,500,http_error\n0,1,x\n");
}
END_TEST

START_TEST(test_refusals)
{
    char out[64];
    ck_assert_int_eq(run("42", "missing.csv", out, sizeof(out)), ERR_OUTPUT_NOT_FOUND);
    ck_assert_int_eq(run("43", "records-0.csv", out, sizeof(out)), ERR_JOB_NOT_FOUND);
    ck_assert_int_eq(run("4x", "records-0.csv", out, sizeof(out)), ERR_INVALID_INPUT);
    ck_assert_int_eq(run("42", "../token", out, sizeof(out)), ERR_INVALID_INPUT);
    /* a link planted in the job's folder is not followed, a folder is not a file */
    ck_assert_int_eq(symlink("/etc/passwd", arena_printf(arena, "%s/link.csv", state_job_dir(arena, dir, 42))), 0);
    ck_assert_int_eq(run("42", "link.csv", out, sizeof(out)), ERR_OUTPUT_NOT_FOUND);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/sub", state_job_dir(arena, dir, 42)), 0700), 0);
    ck_assert_int_eq(run("42", "sub", out, sizeof(out)), ERR_OUTPUT_NOT_FOUND);
    /* a job's folder swapped for a link to another folder with the same file name */
    put("records-0.csv", "secret\n");
    const char *jobs = arena_printf(arena, "%s/jobs", dir);
    ck_assert_int_eq(rename(arena_printf(arena, "%s/42", jobs), arena_printf(arena, "%s/elsewhere", tmpdir)), 0);
    ck_assert_int_eq(symlink(arena_printf(arena, "%s/elsewhere", tmpdir), arena_printf(arena, "%s/42", jobs)), 0);
    ck_assert_int_ne(run("42", "records-0.csv", out, sizeof(out)), ERR_OK);
    ck_assert_str_eq(out, "");
}
END_TEST

static Suite *output_suite(void)
{
    Suite *s = suite_create("agent_output");
    TCase *tc = tcase_create("output");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_bytes_exactly);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(output_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
