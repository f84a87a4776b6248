/* Unit tests of remote-agent/agent/submit: sbatch's argv (the job's logs in its recipe's folder), and
 * the verb end to end with a stand-in sbatch on PATH (a shell script that records its arguments and
 * whether the log folder was there when it ran): the job's folder, the log folder made first (never
 * through a symlink), and the audit line of a submit that passed its checks, none for one that did not. */
#include <check.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/state.h"
#include "../../remote-agent/agent/submit.h"

static struct arena *arena;
static char tmpdir[] = "/tmp/aifb-test-submit-XXXXXX";
static const char *state;
static struct agent ag;

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* A recipe "tiny" with no parameters, and an sbatch that answers job 4242 (or fails saying
 * "sbatch: error: $FAKE_FAIL" when that is set), first in PATH. */
static void setup(void)
{
    const char *why;
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    state = arena_printf(arena, "%s/state", tmpdir);
    ck_assert_int_eq(state_init(arena, state, &why), ERR_OK);
    const char *recipes = arena_printf(arena, "%s/recipes", tmpdir), *bin = arena_printf(arena, "%s/bin", tmpdir);
    ck_assert_int_eq(mkdir(recipes, 0700), 0);
    ck_assert_int_eq(mkdir(bin, 0700), 0);
    put(arena_printf(arena, "%s/tiny.json", recipes),
        "{\"name\": \"tiny\", \"description\": \"d\", \"kind\": \"vector-db\", \"params\": {}, \"sbatch\": {},"
        " \"script\": [\"true\"]}",
        0600);
    put(arena_printf(arena, "%s/sbatch", bin),
        arena_printf(arena,
                     "#!/bin/sh\n"
                     "printf '%%s\\n' \"$@\" > '%s/argv'\n"
                     "if [ -d '%s/logs/tiny' ] && [ ! -L '%s/logs/tiny' ]; then echo yes; else echo no; fi"
                     " > '%s/folder'\n"
                     "if [ -n \"$FAKE_FAIL\" ]; then echo \"sbatch: error: $FAKE_FAIL\" >&2; exit 1; fi\n"
                     "echo 4242\n",
                     tmpdir, state, state, tmpdir),
        0700);
    ck_assert_int_eq(setenv("PATH", arena_printf(arena, "%s:/usr/bin:/bin", bin), 1), 0);
    ag = (struct agent){.arena = arena, .state_dir = state, .recipes_dir = recipes, .bin_dir = bin};
    ag.slurm = (struct slurm){.arena = arena, .timeout_ms = 10000, .redact = {state, NULL}};
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
    arena_free(arena);
}

START_TEST(test_argv_logs_per_recipe)
{
    struct submit_opts o = {.recipe = "vllm", .job_name = "aifb-svc-3", .partition = "gpu"};
    const char **v = submit_argv(arena, &o, "/s", "/s/pending/x/script.sh");
    static const char *const want[] = {"sbatch",
                                       "--parsable",
                                       "--job-name=aifb-svc-3",
                                       "--output=/s/logs/vllm/%x-%j.out",
                                       "--error=/s/logs/vllm/%x-%j.err",
                                       "--chdir=/s",
                                       "--partition=gpu",
                                       "/s/pending/x/script.sh"};
    size_t n = 0;
    for (; v[n]; n++) {
        ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
        ck_assert_str_eq(v[n], want[n]);
    }
    ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
}
END_TEST

/* Runs the verb with request on stdin. */
static enum err submit(const char *request, json_t **reply)
{
    const char *path = arena_printf(arena, "%s/request", tmpdir);
    put(path, request, 0600);
    int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    *reply = NULL;
    ag.detail = NULL;
    enum err e = submit_verb(&ag, 0, NULL, reply);
    dup2(saved, STDIN_FILENO);
    close(saved);
    return e;
}

/* The file's text (at most 4 KiB); "" when it does not exist. */
static const char *text_of(const char *path)
{
    char *text = arena_alloc(arena, 4096);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, 4095, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    return text;
}

/* The one line of agent.log, parsed; checks its time and that it is the only line. */
static json_t *audit_line(void)
{
    const char *text = text_of(arena_printf(arena, "%s/logs/agent/agent.log", state));
    ck_assert_msg(*text && strchr(text, '\n') == text + strlen(text) - 1, "agent.log: '%s'", text);
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$", REG_EXTENDED),
                     0);
    const char *time = json_string_value(json_object_get(j, "time"));
    ck_assert_msg(time && regexec(&re, time, 0, NULL, 0) == 0, "time '%s'", time);
    regfree(&re);
    ck_assert_str_eq(json_string_value(json_object_get(j, "verb")), "submit");
    return j;
}

START_TEST(test_submit_ok)
{
    json_t *reply;
    ck_assert_msg(submit("{\"recipe\": \"tiny\"}", &reply) == ERR_OK, "%s", ag.detail);
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "job_id")), 4242);
    ck_assert(state_job_exists(arena, state, 4242));
    /* the log folder was there before sbatch ran, and sbatch was told to use it */
    ck_assert_str_eq(text_of(arena_printf(arena, "%s/folder", tmpdir)), "yes\n");
    const char *argv = text_of(arena_printf(arena, "%s/argv", tmpdir));
    ck_assert_ptr_nonnull(strstr(argv, arena_printf(arena, "\n--output=%s/logs/tiny/%%x-%%j.out\n", state)));
    ck_assert_ptr_nonnull(strstr(argv, arena_printf(arena, "\n--error=%s/logs/tiny/%%x-%%j.err\n", state)));
    struct stat st;
    ck_assert_int_eq(lstat(arena_printf(arena, "%s/logs/tiny", state), &st), 0);
    ck_assert(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);

    json_t *line = audit_line();
    ck_assert_int_eq(json_integer_value(json_object_get(line, "job_id")), 4242);
    ck_assert_str_eq(json_string_value(json_object_get(line, "recipe")), "tiny");
    ck_assert_str_eq(json_string_value(json_object_get(line, "job_name")), "aifb-tiny");
    ck_assert_str_eq(json_string_value(json_object_get(line, "outcome")), "ok");
    ck_assert_uint_eq(json_object_size(line), 6);
    json_decref(line);
}
END_TEST

START_TEST(test_submit_sbatch_fails)
{
    json_t *reply;
    ck_assert_int_eq(setenv("FAKE_FAIL", "Slurm is down", 1), 0);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\", \"job_name\": \"mine\"}", &reply), ERR_SLURM_ERROR);
    ck_assert_str_eq(ag.detail, "sbatch: error: Slurm is down");
    json_t *line = audit_line();
    ck_assert_ptr_null(json_object_get(line, "job_id")); /* sbatch gave none */
    ck_assert_str_eq(json_string_value(json_object_get(line, "job_name")), "mine");
    ck_assert_str_eq(json_string_value(json_object_get(line, "outcome")), "slurm_error");
    json_decref(line);
    /* an option of the caller's that the cluster refuses: the caller's mistake, naming the field */
    ck_assert_int_eq(setenv("FAKE_FAIL", "invalid partition specified: nope", 1), 0);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\", \"job_name\": \"mine\", \"partition\": \"nope\"}", &reply),
                     ERR_INVALID_INPUT);
    ck_assert_str_eq(ag.detail, "field=partition: sbatch: error: invalid partition specified: nope");
    ck_assert_int_eq(setenv("FAKE_FAIL", "Invalid --time specification", 1), 0);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\", \"job_name\": \"mine\", \"time_limit\": \"1:00\"}", &reply),
                     ERR_INVALID_INPUT);
    ck_assert_str_eq(ag.detail, "field=time_limit: sbatch: error: Invalid --time specification");
    /* a refused partition the caller did not give (the cluster's default): the cluster's problem */
    ck_assert_int_eq(setenv("FAKE_FAIL", "invalid partition specified: batch", 1), 0);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\", \"job_name\": \"mine\"}", &reply), ERR_SLURM_ERROR);
    ck_assert_str_eq(ag.detail, "sbatch: error: invalid partition specified: batch");
}
END_TEST

START_TEST(test_submit_refused_unlogged)
{
    json_t *reply;
    ck_assert_int_eq(submit("{\"recipe\": \"nope\"}", &reply), ERR_RECIPE_NOT_FOUND);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\", \"job_name\": \"a b\"}", &reply), ERR_INVALID_INPUT);
    ck_assert_int_eq(submit("not json", &reply), ERR_INVALID_JSON);
    ck_assert_str_eq(text_of(arena_printf(arena, "%s/logs/agent/agent.log", state)), "");
    ck_assert_str_eq(text_of(arena_printf(arena, "%s/argv", tmpdir)), ""); /* sbatch never ran */
}
END_TEST

START_TEST(test_submit_log_folder_symlink)
{
    json_t *reply;
    const char *elsewhere = arena_printf(arena, "%s/elsewhere", tmpdir);
    ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
    ck_assert_int_eq(symlink(elsewhere, arena_printf(arena, "%s/logs/tiny", state)), 0);
    ck_assert_int_eq(submit("{\"recipe\": \"tiny\"}", &reply), ERR_AGENT_STATE);
    ck_assert_ptr_null(strstr(ag.detail, tmpdir));
    ck_assert_str_eq(text_of(arena_printf(arena, "%s/argv", tmpdir)), ""); /* sbatch never ran */
    json_t *line = audit_line();
    ck_assert_str_eq(json_string_value(json_object_get(line, "outcome")), "agent_state_error");
    json_decref(line);
}
END_TEST

static Suite *submit_suite(void)
{
    Suite *s = suite_create("agent_submit");
    TCase *tc = tcase_create("submit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_argv_logs_per_recipe);
    tcase_add_test(tc, test_submit_ok);
    tcase_add_test(tc, test_submit_sbatch_fails);
    tcase_add_test(tc, test_submit_refused_unlogged);
    tcase_add_test(tc, test_submit_log_folder_symlink);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(submit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
