/* Unit tests of remote-agent/agent/jobstate and slurm's detail lines: the parsers on outputs of
 * squeue, scontrol and sacct recorded from SLURM 22.05 on this project's one-node cluster
 * (tests/unit/fixtures/agent/), lines they must skip, the state mapping for every SLURM state word,
 * job id parsing, and the redaction of paths in the first line of an error. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/jobstate.h"
#include "../../remote-agent/agent/slurm.h"

static struct arena *arena;
static char fixtures[PATH_MAX + 64];

static bool find_above(char *start)
{
    for (char *slash = strrchr(start, '/'); slash; slash = strrchr(start, '/')) {
        snprintf(fixtures, sizeof(fixtures), "%s/tests/unit/fixtures/agent", start);
        if (access(fixtures, R_OK) == 0)
            return true;
        *slash = '\0';
    }
    return false;
}

static void setup(void)
{
    arena = arena_new(1 << 16);
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    ck_assert_int_gt(n, 0);
    path[n] = '\0';
    if (!find_above(path) && !(getcwd(path, sizeof(path)) && find_above(path)))
        ck_abort_msg("tests/unit/fixtures/agent not found");
}

static void teardown(void)
{
    arena_free(arena);
}

static const char *fixture(const char *name)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/%s", fixtures, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "fixture %s", name);
    char *text = arena_alloc(arena, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void row_is(const struct jobstate_row *r, int64_t id, const char *state, const char *node, const char *reason,
                   const char *exit_code)
{
    ck_assert_int_eq(r->job_id, id);
    ck_assert_str_eq(r->slurm_state, state);
#define NULLABLE(got, want)                                                                                            \
    do {                                                                                                               \
        if (want)                                                                                                      \
            ck_assert_msg((got) && strcmp((got), (want)) == 0, "job %lld: %s is '%s', want '%s'", (long long)id, #got, \
                          (got) ? (got) : "(null)", (want));                                                           \
        else                                                                                                           \
            ck_assert_msg(!(got), "job %lld: %s is '%s', want null", (long long)id, #got, (got));                      \
    } while (0)
    NULLABLE(r->node, node);
    NULLABLE(r->reason, reason);
    NULLABLE(r->exit_code, exit_code);
#undef NULLABLE
}

START_TEST(test_squeue_states)
{
    struct jobstate_row *rows;
    size_t n = jobstate_parse_squeue(arena, fixture("squeue_states.txt"), &rows);
    ck_assert_uint_eq(n, 8);
    row_is(&rows[0], 1, "CANCELLED", "vm", NULL, NULL);
    row_is(&rows[1], 5, "CANCELLED", NULL, "Resources", NULL);
    row_is(&rows[2], 2, "COMPLETED", "vm", NULL, NULL);
    row_is(&rows[3], 3, "FAILED", "vm", "NonZeroExitCode", NULL);
    row_is(&rows[4], 7, "PENDING", NULL, "Resources", NULL);
    row_is(&rows[5], 4, "PENDING", NULL, "JobHeldUser", NULL);
    row_is(&rows[6], 6, "RUNNING", "vm", NULL, NULL);
    row_is(&rows[7], 8, "RUNNING", "vm", NULL, NULL);
    n = jobstate_parse_squeue(arena, fixture("squeue_timeout.txt"), &rows);
    ck_assert_uint_eq(n, 1);
    row_is(&rows[0], 15, "TIMEOUT", "vm", "TimeLimit", NULL);
}
END_TEST

START_TEST(test_squeue_unknown_id)
{
    /* squeue -j with one forgotten id: nothing on stdout, this on stderr, status 1 (slurm_squeue
     * treats it as no rows) */
    struct jobstate_row *rows;
    ck_assert_uint_eq(jobstate_parse_squeue(arena, fixture("squeue_unknown.out"), &rows), 0);
    ck_assert_ptr_nonnull(strstr(fixture("squeue_unknown.err"), "Invalid job id specified"));
    ck_assert_ptr_nonnull(strstr(fixture("scontrol_unknown.err"), "Invalid job id specified"));
}
END_TEST

START_TEST(test_squeue_skips)
{
    struct jobstate_row *rows;
    const char *text = "12_3|RUNNING|n1|None\n"     /* array task */
                       "13+0|RUNNING|n1|None\n"     /* heterogeneous component */
                       "14|RUNNING|n1\n"            /* three fields */
                       "15|RUNNING|n1|None|extra\n" /* five */
                       "|RUNNING|n1|None\n"         /* no id */
                       "16|running|n1|None\n"       /* not a state word */
                       "0|RUNNING|n1|None\n"        /* not a job id */
                       "99999999999999999999|RUNNING|n1|None\n"
                       "\n"
                       "17|COMPLETING|n[1-2]|None"; /* last line without newline */
    size_t n = jobstate_parse_squeue(arena, text, &rows);
    ck_assert_uint_eq(n, 1);
    row_is(&rows[0], 17, "COMPLETING", "n[1-2]", NULL, NULL);
    ck_assert_uint_eq(jobstate_parse_squeue(arena, "", &rows), 0);
}
END_TEST

START_TEST(test_scontrol)
{
    struct jobstate_row r;
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_running_gpu.txt"), &r));
    row_is(&r, 6, "RUNNING", "vm", NULL, "0:0");
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_failed.txt"), &r));
    row_is(&r, 3, "FAILED", "vm", "NonZeroExitCode", "3:0");
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_pending_held.txt"), &r));
    row_is(&r, 4, "PENDING", NULL, "JobHeldUser", "0:0");
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_pending_resources.txt"), &r));
    row_is(&r, 7, "PENDING", NULL, "Resources", "0:0");
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_cancelled_pending.txt"), &r));
    row_is(&r, 5, "CANCELLED", NULL, "Resources", "0:0");
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_cancelled_running.txt"), &r));
    row_is(&r, 1, "CANCELLED", "vm", NULL, "0:15"); /* SIGTERM */
    ck_assert(jobstate_parse_scontrol(arena, fixture("scontrol_timeout.txt"), &r));
    row_is(&r, 15, "TIMEOUT", "vm", "TimeLimit", "0:15");
    ck_assert(!jobstate_parse_scontrol(arena, fixture("scontrol_unknown.out"), &r));
    ck_assert(!jobstate_parse_scontrol(arena, "JobId=5 JobName=x", &r));
    ck_assert(!jobstate_parse_scontrol(arena, "JobState=RUNNING", &r));
    /* keys match whole words only: "ArrayJobId=" is not "JobId=" */
    ck_assert(jobstate_parse_scontrol(arena, "ArrayJobId=9 JobId=10 JobState=COMPLETING NodeList=(null)", &r));
    row_is(&r, 10, "COMPLETING", NULL, NULL, NULL);
}
END_TEST

START_TEST(test_sacct)
{
    struct jobstate_row *rows;
    size_t n = jobstate_parse_sacct(arena, fixture("sacct_c.txt"), &rows);
    ck_assert_uint_eq(n, 11);
    row_is(&rows[0], 2, "COMPLETED", "vm", NULL, "0:0");
    row_is(&rows[1], 3, "FAILED", "vm", NULL, "3:0");
    row_is(&rows[2], 5, "CANCELLED", NULL, NULL, "0:0");
    row_is(&rows[4], 9, "FAILED", NULL, NULL, "0:1");
    row_is(&rows[5], 8, "TIMEOUT", "vm", NULL, "0:0");
    ck_assert_uint_eq(jobstate_parse_sacct(arena, fixture("sacct_disabled.out"), &rows), 0);
    ck_assert_ptr_nonnull(strstr(fixture("sacct_disabled.err"), "accounting storage is disabled"));
    /* with slurmdbd (not recorded here: this cluster has none), sacct prints steps and "by UID" */
    const char *dbd = "41|CANCELLED by 1001|0:15|mel2041\n"
                      "41.batch|CANCELLED|0:15|mel2041\n"
                      "41.extern|COMPLETED|0:0|mel2041\n"
                      "42|PENDING|0:0|None assigned\n"
                      "43|OUT_OF_MEMORY|0:125|mel[2001-2002]\n";
    n = jobstate_parse_sacct(arena, dbd, &rows);
    ck_assert_uint_eq(n, 3);
    row_is(&rows[0], 41, "CANCELLED", "mel2041", NULL, "0:15");
    row_is(&rows[1], 42, "PENDING", NULL, NULL, "0:0");
    row_is(&rows[2], 43, "OUT_OF_MEMORY", "mel[2001-2002]", NULL, "0:125");
}
END_TEST

START_TEST(test_normalise)
{
    static const struct {
        const char *slurm;
        bool ready;
        const char *want;
    } table[] = {
        {"PENDING", false, "pending"},
        {"REQUEUED", false, "pending"},
        {"REQUEUE_HOLD", false, "pending"},
        {"REQUEUE_FED", false, "pending"},
        {"RESV_DEL_HOLD", false, "pending"},
        {"CONFIGURING", false, "starting"},
        {"CONFIGURING", true, "starting"},
        {"RUNNING", false, "starting"},
        {"RUNNING", true, "running"},
        {"COMPLETING", false, "completing"},
        {"COMPLETING", true, "completing"},
        {"STAGE_OUT", false, "completing"},
        {"COMPLETED", false, "completed"},
        {"FAILED", false, "failed"},
        {"NODE_FAIL", false, "failed"},
        {"OUT_OF_MEMORY", false, "failed"},
        {"BOOT_FAIL", false, "failed"},
        {"CANCELLED", false, "cancelled"},
        {"CANCELLED by 1001", false, "cancelled"},
        {"CANCELLED+", false, "cancelled"},
        {"PREEMPTED", false, "cancelled"},
        {"TIMEOUT", false, "timeout"},
        {"DEADLINE", false, "timeout"},
        {"SUSPENDED", false, "unknown"},
        {"STOPPED", false, "unknown"},
        {"SPECIAL_EXIT", false, "unknown"},
        {"RESIZING", false, "unknown"},
        {"REVOKED", false, "unknown"},
        {"SIGNALING", false, "unknown"},
        {"RUNNINGX", false, "unknown"},
        {"RUN", false, "unknown"},
        {"", false, "unknown"},
        {NULL, false, "unknown"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        ck_assert_msg(strcmp(job_state_name(jobstate_normalise(table[i].slurm, table[i].ready)), table[i].want) == 0,
                      "%s (ready %d) gives %s, want %s", table[i].slurm ? table[i].slurm : "NULL", table[i].ready,
                      job_state_name(jobstate_normalise(table[i].slurm, table[i].ready)), table[i].want);
    ck_assert_str_eq(job_state_name((enum job_state)99), "unknown");
    ck_assert(job_state_terminal(JOB_COMPLETED) && job_state_terminal(JOB_FAILED) &&
              job_state_terminal(JOB_CANCELLED) && job_state_terminal(JOB_TIMEOUT) && job_state_terminal(JOB_UNKNOWN));
    ck_assert(!job_state_terminal(JOB_PENDING) && !job_state_terminal(JOB_STARTING) &&
              !job_state_terminal(JOB_RUNNING) && !job_state_terminal(JOB_COMPLETING));
    ck_assert(job_state_terminal_name("unknown") && !job_state_terminal_name("running") &&
              !job_state_terminal_name("nonsense") && !job_state_terminal_name(NULL));
}
END_TEST

START_TEST(test_parse_id)
{
    int64_t id = 0;
    ck_assert(jobstate_parse_id("42", 2, &id) && id == 42);
    ck_assert(jobstate_parse_id("123456789012345678", 18, &id) && id == 123456789012345678LL);
    ck_assert(!jobstate_parse_id("1234567890123456789", 19, &id));
    ck_assert(!jobstate_parse_id("0", 1, &id));
    ck_assert(!jobstate_parse_id("", 0, &id));
    ck_assert(!jobstate_parse_id("-1", 2, &id));
    ck_assert(!jobstate_parse_id("+1", 2, &id));
    ck_assert(!jobstate_parse_id(" 1", 2, &id));
    ck_assert(!jobstate_parse_id("1a", 2, &id));
    ck_assert(!jobstate_parse_id("12_3", 4, &id));
}
END_TEST

START_TEST(test_first_line_redacts)
{
    struct slurm s = {.arena = arena, .redact = {"/home/u/.aifb/state", "/home/u"}};
    ck_assert_str_eq(slurm_first_line(&s, fixture("sbatch_bad_partition.err")),
                     "sbatch: error: invalid partition specified: nope");
    ck_assert_str_eq(slurm_first_line(&s,
                                      "sbatch: error: Unable to open file /home/u/.aifb/state/pending/ab/script.sh\n"
                                      "second line"),
                     "sbatch: error: Unable to open file STATE/pending/ab/script.sh");
    ck_assert_str_eq(slurm_first_line(&s, "cannot write /home/u/x and /home/u"), "cannot write ~/x and ~");
    ck_assert_str_eq(slurm_first_line(&s, "tab\there\r"), "tab here ");
    ck_assert_str_eq(slurm_first_line(&s, ""), "");
    char long_line[1000];
    memset(long_line, 'x', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    ck_assert_uint_eq(strlen(slurm_first_line(&s, long_line)), 300);
    struct slurm none = {.arena = arena};
    ck_assert_str_eq(slurm_first_line(&none, "/home/u/x"), "/home/u/x");
}
END_TEST

static Suite *slurm_suite(void)
{
    Suite *s = suite_create("agent_slurm");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_squeue_states);
    tcase_add_test(tc, test_squeue_unknown_id);
    tcase_add_test(tc, test_squeue_skips);
    tcase_add_test(tc, test_scontrol);
    tcase_add_test(tc, test_sacct);
    tcase_add_test(tc, test_normalise);
    tcase_add_test(tc, test_parse_id);
    tcase_add_test(tc, test_first_line_redacts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(slurm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
