/* Unit tests of remote-agent/agent/audit: the line's shape (RFC 3339 time with milliseconds, job_id
 * only when known, the error's stable string), names capped so that a line stays under 4 KiB,
 * appending to STATE/logs/agent/agent.log (made when missing, never through a symlink, never into a
 * FIFO), and the cancel verb's line with a stand-in scancel on PATH, whose answer an audit log that
 * cannot be written does not change. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/audit.h"
#include "../../remote-agent/agent/jobs.h"
#include "../../remote-agent/agent/state.h"

static struct arena *arena;
static char tmpdir[] = "/tmp/aifb-test-audit-XXXXXX";
static const char *state, *log_path;
static const char *why;

static void setup(void)
{
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    state = arena_printf(arena, "%s/state", tmpdir);
    log_path = arena_printf(arena, "%s/logs/agent/agent.log", state);
    ck_assert_int_eq(state_init(arena, state, &why), ERR_OK);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
    arena_free(arena);
}

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* The file's text (at most 64 KiB); "" when it does not exist. */
static const char *text_of(const char *path)
{
    char *text = arena_alloc(arena, 65536);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, 65535, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    return text;
}

START_TEST(test_line_shape)
{
    struct timespec at = {.tv_sec = 1700000000, .tv_nsec = 7999999};
    struct audit_entry en = {"submit", 4242, "vllm", "aifb-svc-3", ERR_OK, NULL};
    ck_assert_str_eq(audit_line(arena, &en, &at),
                     "{\"time\":\"2023-11-14T22:13:20.007Z\",\"verb\":\"submit\",\"job_id\":4242,\"recipe\":\"vllm\","
                     "\"job_name\":\"aifb-svc-3\",\"outcome\":\"ok\"}\n");
    en = (struct audit_entry){"submit", 0, "vllm", NULL, ERR_SLURM_TIMEOUT, NULL};
    ck_assert_str_eq(audit_line(arena, &en, &at),
                     "{\"time\":\"2023-11-14T22:13:20.007Z\",\"verb\":\"submit\",\"recipe\":\"vllm\","
                     "\"job_name\":null,\"outcome\":\"slurm_timeout\"}\n");
}
END_TEST

START_TEST(test_line_capped)
{
    struct timespec at = {.tv_sec = 1700000000, .tv_nsec = 999999999};
    char *huge = arena_alloc(arena, 100001);
    memset(huge, '\x01', 100000); /* control bytes take 6 bytes each in JSON */
    huge[100000] = '\0';
    struct audit_entry en = {"cancel", 9223372036854775807, huge, huge, ERR_INTERNAL, NULL};
    const char *line = audit_line(arena, &en, &at);
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_lt(strlen(line), AUDIT_LINE_MAX);
    json_t *j = json_loads(line, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "time")), "2023-11-14T22:13:20.999Z");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "recipe"))), AUDIT_NAME_MAX);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "job_name"))), AUDIT_NAME_MAX);
    json_decref(j);
}
END_TEST

START_TEST(test_append)
{
    ck_assert_int_eq(audit_append(arena, state, "{\"a\":1}\n", &why), ERR_OK);
    ck_assert_int_eq(audit_append(arena, state, "{\"b\":2}\n", &why), ERR_OK);
    ck_assert_str_eq(text_of(log_path), "{\"a\":1}\n{\"b\":2}\n");
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    ck_assert_int_eq(stat(log_path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640 & ~mask);
    ck_assert_int_eq(stat(arena_printf(arena, "%s/logs/agent", state), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
}
END_TEST

START_TEST(test_append_refusals)
{
    /* a symlink at agent.log: not followed, its target untouched */
    const char *target = arena_printf(arena, "%s/target", tmpdir);
    put(target, "keep\n", 0600);
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/logs/agent", state), 0700), 0);
    ck_assert_int_eq(symlink(target, log_path), 0);
    ck_assert_int_eq(audit_append(arena, state, "x\n", &why), ERR_AGENT_STATE);
    ck_assert_ptr_null(strstr(why, tmpdir));
    ck_assert_str_eq(text_of(target), "keep\n");
    /* a FIFO: refused at once, no reader needed */
    ck_assert_int_eq(unlink(log_path), 0);
    ck_assert_int_eq(mkfifo(log_path, 0600), 0);
    ck_assert_int_eq(audit_append(arena, state, "x\n", &why), ERR_AGENT_STATE);
    /* the agent folder a symlink */
    ck_assert_int_eq(system(arena_printf(arena, "rm -rf '%s/logs/agent'", state)), 0);
    ck_assert_int_eq(symlink(tmpdir, arena_printf(arena, "%s/logs/agent", state)), 0);
    put(arena_printf(arena, "%s/agent.log", tmpdir), "keep\n", 0600);
    ck_assert_int_eq(audit_append(arena, state, "x\n", &why), ERR_AGENT_STATE);
    ck_assert_str_eq(text_of(arena_printf(arena, "%s/agent.log", tmpdir)), "keep\n");
}
END_TEST

/* An agent on state whose scancel (first in PATH) exits with status. */
static struct agent agent_with_scancel(int status)
{
    const char *bin = arena_printf(arena, "%s/bin", tmpdir), *scancel = arena_printf(arena, "%s/scancel", bin);
    mkdir(bin, 0700);
    put(scancel, arena_printf(arena, "#!/bin/sh\necho 'scancel: error: nope' >&2\nexit %d\n", status), 0700);
    ck_assert_int_eq(setenv("PATH", arena_printf(arena, "%s:/usr/bin:/bin", bin), 1), 0);
    struct agent ag = {.arena = arena, .state_dir = state};
    ag.slurm = (struct slurm){.arena = arena, .timeout_ms = 10000};
    return ag;
}

/* A job folder for id with its request.json. */
static void job(int64_t id)
{
    ck_assert_int_eq(mkdir(state_job_dir(arena, state, id), 0700), 0);
    put(arena_printf(arena, "%s/request.json", state_job_dir(arena, state, id)),
        "{\"recipe\": \"vllm\", \"job_name\": \"aifb-svc-9\"}", 0600);
}

static enum err cancel(struct agent *ag, const char *id, json_t **reply)
{
    const char *argv[] = {id, NULL};
    *reply = NULL;
    return jobs_cancel(ag, 1, argv, reply);
}

START_TEST(test_cancel_lines)
{
    json_t *reply;
    struct agent ag = agent_with_scancel(0);
    job(31);
    ck_assert_int_eq(cancel(&ag, "31", &reply), ERR_OK);
    ck_assert_int_eq(cancel(&ag, "32", &reply), ERR_JOB_NOT_FOUND); /* nothing done: no line */
    ag = agent_with_scancel(1);
    ck_assert_int_eq(cancel(&ag, "31", &reply), ERR_SLURM_ERROR);
    ck_assert_str_eq(ag.detail, "scancel: error: nope");

    json_error_t jerr;
    const char *text = text_of(log_path), *second = strchr(text, '\n') + 1;
    json_t *ok = json_loadb(text, (size_t)(second - text), 0, &jerr), *bad = json_loads(second, 0, &jerr);
    ck_assert(ok && bad);
    ck_assert_str_eq(json_string_value(json_object_get(ok, "verb")), "cancel");
    ck_assert_int_eq(json_integer_value(json_object_get(ok, "job_id")), 31);
    ck_assert_str_eq(json_string_value(json_object_get(ok, "recipe")), "vllm");
    ck_assert_str_eq(json_string_value(json_object_get(ok, "job_name")), "aifb-svc-9");
    ck_assert_str_eq(json_string_value(json_object_get(ok, "outcome")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(bad, "outcome")), "slurm_error");
    json_decref(ok);
    json_decref(bad);
}
END_TEST

START_TEST(test_unwritable_changes_nothing)
{
    json_t *reply;
    struct agent ag = agent_with_scancel(0);
    job(33);
    put(arena_printf(arena, "%s/logs/agent", state), "a file where the folder should be", 0600);
    ck_assert_int_eq(cancel(&ag, "33", &reply), ERR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "job_id")), 33);
    ck_assert(json_is_true(json_object_get(reply, "cancelled")));
    ck_assert_ptr_null(ag.detail);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("agent_audit");
    TCase *tc = tcase_create("audit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_line_shape);
    tcase_add_test(tc, test_line_capped);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_append_refusals);
    tcase_add_test(tc, test_cancel_lines);
    tcase_add_test(tc, test_unwritable_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(audit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
