/* Unit tests of remote-agent/agent/render: single-quoting checked by running bash on the result (every
 * byte 0x01-0xff alone and all together, quotes, $( ), backticks, newlines, globs, 1 MiB values, and
 * a canary file that must never appear), the words of each JSON type, {{name}} templates and their
 * errors, and whole scripts: bash -n accepts them and the prologue finds the job's folder. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "../../remote-agent/agent/render.h"

static char tmpdir[] = "/tmp/aifb-test-render-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6); /* for CK_NOFORK runs */
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Runs `bash SCRIPT` in tmpdir (env: extra assignments before it) and returns its stdout (malloc'd),
 * its length in *len and its exit status in *status. */
static char *run_bash(const char *script, size_t script_len, const char *env, size_t *len, int *status)
{
    char path[256], out[256], cmd[1024];
    snprintf(path, sizeof(path), "%s/script.sh", tmpdir);
    snprintf(out, sizeof(out), "%s/out", tmpdir);
    write_file(path, script, script_len);
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s bash '%s' >'%s' 2>'%s/err'", tmpdir, env ? env : "", path, out, tmpdir);
    int rc = system(cmd);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    struct buf b;
    buf_init(&b, 64u << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ck_assert_int_eq(buf_append(&b, chunk, n), 0);
    fclose(f);
    *len = b.len;
    char *copy = malloc(b.len + 1);
    memcpy(copy, b.data ? b.data : "", b.len);
    copy[b.len] = '\0';
    buf_free(&b);
    return copy;
}

/* printf '%s' QUOTED through bash gives back exactly s. */
static void round_trip(const char *s, size_t len)
{
    struct buf b;
    buf_init(&b, 8u << 20);
    ck_assert_int_eq(buf_puts(&b, "printf '%s' "), 0);
    ck_assert_int_eq(render_quote(&b, s, len), 0);
    ck_assert_int_eq(buf_puts(&b, "\n"), 0);
    size_t got_len;
    int status;
    char *got = run_bash(b.data, b.len, NULL, &got_len, &status);
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(got_len, len);
    ck_assert(memcmp(got, s, len) == 0);
    free(got);
    buf_free(&b);
}

/* The quoted form is ' then runs of anything but ', with every ' written as '\'' , then '. */
static void assert_well_formed(const char *q, size_t len)
{
    ck_assert_uint_ge(len, 2);
    ck_assert_int_eq(q[0], '\'');
    ck_assert_int_eq(q[len - 1], '\'');
    for (size_t i = 1; i < len - 1; i++)
        if (q[i] == '\'') {
            ck_assert_msg(i + 3 < len && memcmp(q + i, "'\\''", 4) == 0, "bare quote at %zu", i);
            i += 3;
        }
}

START_TEST(test_quote_simple)
{
    struct buf b;
    buf_init(&b, 1024);
    ck_assert_int_eq(render_quote(&b, "abc", 3), 0);
    ck_assert_str_eq(buf_cstr(&b), "'abc'");
    buf_clear(&b);
    ck_assert_int_eq(render_quote(&b, "", 0), 0);
    ck_assert_str_eq(buf_cstr(&b), "''");
    buf_clear(&b);
    ck_assert_int_eq(render_quote(&b, "it's", 4), 0);
    ck_assert_str_eq(buf_cstr(&b), "'it'\\''s'");
    buf_clear(&b);
    ck_assert_int_eq(render_quote(&b, "''", 2), 0);
    ck_assert_str_eq(buf_cstr(&b), "''\\'''\\'''");
    buf_free(&b);
}
END_TEST

START_TEST(test_quote_every_byte_alone)
{
    /* one bash run: each byte b between x and y, quoted, printed NUL-terminated */
    struct buf script;
    buf_init(&script, 1u << 20);
    for (int c = 1; c <= 0xff; c++) {
        char v[3] = {'x', (char)c, 'y'};
        buf_puts(&script, "printf '%s\\0' ");
        ck_assert_int_eq(render_quote(&script, v, 3), 0);
        buf_puts(&script, "\n");
    }
    size_t len;
    int status;
    char *out = run_bash(script.data, script.len, NULL, &len, &status);
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(len, 255 * 4);
    for (int c = 1; c <= 0xff; c++) {
        const char *o = out + (c - 1) * 4;
        ck_assert_msg(o[0] == 'x' && (unsigned char)o[1] == c && o[2] == 'y' && o[3] == '\0', "byte 0x%02x", c);
    }
    free(out);
    buf_free(&script);
}
END_TEST

START_TEST(test_quote_all_bytes_together)
{
    char all[255 * 2];
    for (int i = 0; i < 255; i++)
        all[i] = all[254 - i + 255] = (char)(i + 1);
    round_trip(all, sizeof(all));
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(render_quote(&b, all, sizeof(all)), 0);
    assert_well_formed(b.data, b.len);
    buf_free(&b);
}
END_TEST

START_TEST(test_quote_hostile_values)
{
    char canary[256], cmd[512];
    snprintf(canary, sizeof(canary), "%s/CANARY", tmpdir);
    const char *hostile[] = {
        "$(touch CANARY)",
        "`touch CANARY`",
        "; touch CANARY",
        "| touch CANARY",
        "& touch CANARY",
        "\ntouch CANARY\n",
        "'; touch CANARY; '",
        "\"; touch CANARY; \"",
        "\\'; touch CANARY #",
        "${IFS}touch${IFS}CANARY",
        "$((1+1))",
        "!!",
        "*",
        "?",
        "~",
        "../../etc/passwd",
        "-n",
        "--",
        "a b\tc",
        "\r\n",
        "'\\''",
        "'$(touch CANARY)'",
        "\x01\x7f\xff",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        round_trip(hostile[i], strlen(hostile[i]));
        ck_assert_msg(access(canary, F_OK) != 0, "value %zu ran a command", i);
        /* as an assignment and as an argument of a command line, too */
        struct buf b;
        buf_init(&b, 4096);
        buf_puts(&b, "v=");
        render_quote(&b, hostile[i], strlen(hostile[i]));
        buf_puts(&b, "\ntest \"$v\" = ");
        render_quote(&b, hostile[i], strlen(hostile[i]));
        buf_puts(&b, "\n");
        size_t len;
        int status;
        free(run_bash(b.data, b.len, NULL, &len, &status));
        ck_assert_msg(status == 0, "value %zu did not read back in an assignment", i);
        ck_assert(access(canary, F_OK) != 0);
        buf_free(&b);
    }
    snprintf(cmd, sizeof(cmd), "test ! -e '%s'", canary);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_quote_long_value_and_cap)
{
    size_t n = 1u << 20;
    char *v = malloc(n);
    for (size_t i = 0; i < n; i++)
        v[i] = "ab'$`\n\"\\"[i % 8];
    round_trip(v, n);
    struct buf b;
    buf_init(&b, 100);
    ck_assert_int_eq(render_quote(&b, v, n), -1);
    ck_assert(b.overflow);
    buf_free(&b);
    free(v);
}
END_TEST

static const char *words_of(const char *json)
{
    static char out[4096];
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
    ck_assert_ptr_nonnull(v);
    struct buf b;
    buf_init(&b, 4000);
    int rc = render_value(&b, v);
    snprintf(out, sizeof(out), "%s", rc < 0 ? "(error)" : buf_cstr(&b));
    buf_free(&b);
    json_decref(v);
    return out;
}

START_TEST(test_value_words)
{
    ck_assert_str_eq(words_of("\"a b\""), "'a b'");
    ck_assert_str_eq(words_of("42"), "'42'");
    ck_assert_str_eq(words_of("-7"), "'-7'");
    ck_assert_str_eq(words_of("0.9"), "'0.9'");
    ck_assert_str_eq(words_of("0.1"), "'0.1'");
    ck_assert_str_eq(words_of("1e-07"), "'1e-07'");
    ck_assert_str_eq(words_of("2.5"), "'2.5'");
    ck_assert_str_eq(words_of("true"), "'true'");
    ck_assert_str_eq(words_of("false"), "'false'");
    ck_assert_str_eq(words_of("null"), "''");
    ck_assert_str_eq(words_of("[]"), "");
    ck_assert_str_eq(words_of("[\"--a\", \"b c\", \"it's\"]"), "'--a' 'b c' 'it'\\''s'");
    ck_assert_str_eq(words_of("[1, true]"), "'1' 'true'");
    ck_assert_str_eq(words_of("{}"), "(error)");
    ck_assert_str_eq(words_of("[[1]]"), "(error)");
    ck_assert_str_eq(words_of("[{}]"), "(error)");
    struct buf b;
    buf_init(&b, 16);
    ck_assert_int_eq(render_value(&b, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), "''");
    buf_free(&b);
}
END_TEST

START_TEST(test_value_array_words_in_bash)
{
    json_t *v = json_pack("[s, s, s, s]", "--x=1", "a b", "$(touch CANARY)", "\n");
    struct buf b;
    buf_init(&b, 4096);
    buf_puts(&b, "args=(");
    ck_assert_int_eq(render_value(&b, v), 0);
    buf_puts(&b, ")\nprintf '%s|' \"${#args[@]}\" \"${args[@]}\"\n");
    size_t len;
    int status;
    char *out = run_bash(b.data, b.len, NULL, &len, &status);
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out, "4|--x=1|a b|$(touch CANARY)|\n|");
    free(out);
    buf_free(&b);
    json_decref(v);
}
END_TEST

static const struct render_var vars[] = {{"a", "'A'"}, {"b_2", "'B' 'C'"}, {"empty", ""}};

static const char *lines_of(const char *const *lines, size_t n, const char **bad)
{
    static char out[4096];
    struct buf b;
    buf_init(&b, 4000);
    enum err e = render_lines(&b, lines, n, vars, 3, bad);
    snprintf(out, sizeof(out), "%s", e ? "(error)" : buf_cstr(&b));
    buf_free(&b);
    return out;
}

START_TEST(test_lines)
{
    const char *bad;
    const char *ok[] = {"x {{a}} y", "{{b_2}}{{a}}", "no placeholders { } }} {", "z{{empty}}z", ""};
    ck_assert_str_eq(lines_of(ok, 5, &bad), "x 'A' y\n'B' 'C''A'\nno placeholders { } }} {\nzz\n\n");
    ck_assert_ptr_null(bad);
    const char *unknown[] = {"fine", "x {{nope}} y"};
    ck_assert_str_eq(lines_of(unknown, 2, &bad), "(error)");
    ck_assert_str_eq(bad, "{{nope}} y");
    const char *open[] = {"x {{a"};
    ck_assert_str_eq(lines_of(open, 1, &bad), "(error)");
    ck_assert_str_eq(bad, "{{a");
    const char *spaced[] = {"{{ a }}"};
    ck_assert_str_eq(lines_of(spaced, 1, &bad), "(error)");
    const char *upper[] = {"{{A}}"};
    ck_assert_str_eq(lines_of(upper, 1, &bad), "(error)");
    const char *triple[] = {"{{{a}}}"};
    ck_assert_str_eq(lines_of(triple, 1, &bad), "(error)");
}
END_TEST

START_TEST(test_lines_cap)
{
    struct buf b;
    const char *bad;
    const char *l[] = {"0123456789 {{a}}"};
    buf_init(&b, 8);
    ck_assert_int_eq(render_lines(&b, l, 1, vars, 3, &bad), ERR_RECIPE_INVALID);
    ck_assert_ptr_null(bad);
    buf_free(&b);
}
END_TEST

static void count(const char *name, size_t len, void *ctx)
{
    (void)name;
    (void)len;
    (*(int *)ctx)++;
}

START_TEST(test_placeholders_and_names)
{
    int n = 0;
    const char *bad = NULL;
    ck_assert_int_eq(render_placeholders("{{a}} {{b}}{{c_1}}", count, &n, &bad), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(render_placeholders("{{a}} {{", count, &n, &bad), -1);
    ck_assert_str_eq(bad, "{{");
    ck_assert(render_name_ok("a", 1));
    ck_assert(render_name_ok("_x9", 3));
    ck_assert(!render_name_ok("9x", 2));
    ck_assert(!render_name_ok("a-b", 3));
    ck_assert(!render_name_ok("", 0));
    ck_assert(render_builtin("job_dir") && render_builtin("aifb_bin") && render_builtin("state_dir"));
    ck_assert(!render_builtin("model"));
}
END_TEST

/* A whole script for a state folder with a quote and a space in its name. */
static char *script_for(const char *state, const char *const *lines, size_t n, size_t *len)
{
    struct buf b;
    buf_init(&b, 1u << 20);
    char pending[512];
    snprintf(pending, sizeof(pending), "%s/pending/0123456789abcdef", state);
    struct render_job job = {"test", state, pending, "0123456789abcdef", "/opt/it's bin"};
    const struct render_var params[] = {{"value", "'$(touch CANARY)'"}};
    const char *bad;
    ck_assert_int_eq(render_script(&b, &job, lines, n, params, 1, &bad), ERR_OK);
    char *s = strdup(b.data);
    *len = b.len;
    buf_free(&b);
    return s;
}

START_TEST(test_script_prologue_and_builtins)
{
    char state[128], cmd[1024];
    snprintf(state, sizeof(state), "%s/st ate'q", tmpdir);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"%s/jobs/42\" && echo 0123456789abcdef >\"%s/jobs/42/token\"", state, state);
    ck_assert_int_eq(system(cmd), 0);
    const char *lines[] = {
        "printf '%s\\n' {{job_dir}} {{state_dir}} {{aifb_bin}} {{value}}",
        "printf '%s\\n' {{job_dir}}/endpoint.json",
    };
    size_t len, out_len;
    char *s = script_for(state, lines, 2, &len);
    ck_assert(strncmp(s, "#!/bin/bash\n", 12) == 0);
    ck_assert_ptr_nonnull(strstr(s, "\nset -euo pipefail\n"));
    ck_assert_ptr_nonnull(strstr(s, "trap aifb_cleanup EXIT"));
    int status;
    char *out = run_bash(s, len, "SLURM_JOB_ID=42", &out_len, &status);
    ck_assert_int_eq(status, 0);
    char want[2048];
    snprintf(want, sizeof(want), "%s/jobs/42\n%s\n/opt/it's bin\n$(touch CANARY)\n%s/jobs/42/endpoint.json\n", state,
             state, state);
    ck_assert_str_eq(out, want);
    free(out);
    /* not under SLURM: refuses to run */
    out = run_bash(s, len, "SLURM_JOB_ID= ", &out_len, &status);
    ck_assert_int_eq(status, 1);
    free(out);
    free(s);
}
END_TEST

/* A state folder in tmpdir with the pending folder of token 0123456789abcdef (holding its token and
 * a file x) and, if stale, a folder jobs/7 that an earlier job with id 7 left. */
static void make_state(char *state, size_t n, bool stale)
{
    char cmd[1024];
    snprintf(state, n, "%s/state", tmpdir);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s' && cd '%s' && mkdir -p jobs stale pending/0123456789abcdef && echo 0123456789abcdef "
             ">pending/0123456789abcdef/token"
             " && touch pending/0123456789abcdef/x%s",
             state, state, stale ? " && mkdir jobs/7 && echo fedcba9876543210 >jobs/7/token && touch jobs/7/old" : "");
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_script_takes_over_pending_folder)
{
    /* the job started and the agent never renamed the folder (it died after sbatch): the job waits
     * AIFB_JOB_DIR_WAIT tenths of a second (600 by default), then renames the folder itself */
    char state[128];
    make_state(state, sizeof(state), false);
    const char *lines[] = {"ls {{job_dir}}"};
    size_t len, out_len;
    char *s = script_for(state, lines, 1, &len);
    int status;
    char *out = run_bash(s, len, "SLURM_JOB_ID=7 AIFB_JOB_DIR_WAIT=2", &out_len, &status);
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out, "token\nx\n");
    free(out);
    free(s);
}
END_TEST

START_TEST(test_script_ignores_a_stale_job_folder)
{
    /* jobs/7 is an earlier job's (SLURM's ids restarted): the job does not take it for its own; it
     * waits for its token, then moves the stale folder to stale/ and takes the pending one */
    char state[128], cmd[1024];
    make_state(state, sizeof(state), true);
    const char *lines[] = {"ls {{job_dir}} {{state_dir}}/stale/7-0123456789abcdef"};
    size_t len, out_len;
    char *s = script_for(state, lines, 1, &len);
    int status;
    char *out = run_bash(s, len, "SLURM_JOB_ID=7 AIFB_JOB_DIR_WAIT=3", &out_len, &status);
    ck_assert_int_eq(status, 0);
    snprintf(cmd, sizeof(cmd), "%s/jobs/7:\ntoken\nx\n\n%s/stale/7-0123456789abcdef:\nold\ntoken\n", state, state);
    ck_assert_str_eq(out, cmd);
    free(out);
    free(s);
}
END_TEST

START_TEST(test_script_bash_n)
{
    const char *lines[] = {"aifb_x={{value}}", "echo \"$aifb_x\" {{job_dir}}"};
    size_t len;
    char *s = script_for("/home/u/.aifb/state", lines, 2, &len);
    char path[256], cmd[512];
    snprintf(path, sizeof(path), "%s/n.sh", tmpdir);
    write_file(path, s, len);
    snprintf(cmd, sizeof(cmd), "bash -n '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    free(s);
}
END_TEST

START_TEST(test_script_errors)
{
    struct buf b;
    buf_init(&b, 1u << 20);
    struct render_job job = {"t", "/s", "/s/pending/x", "x", "/b"};
    const char *bad;
    const char *lines[] = {"{{undeclared}}"};
    ck_assert_int_eq(render_script(&b, &job, lines, 1, NULL, 0, &bad), ERR_RECIPE_INVALID);
    ck_assert_str_eq(bad, "{{undeclared}}");
    /* the agent's own placeholders are not for recipes */
    const char *inner[] = {"{{pending_dir}}"};
    buf_clear(&b);
    ck_assert_int_eq(render_script(&b, &job, inner, 1, NULL, 0, &bad), ERR_RECIPE_INVALID);
    buf_free(&b);
    buf_init(&b, 100);
    const char *ok[] = {"true"};
    ck_assert_int_eq(render_script(&b, &job, ok, 1, NULL, 0, &bad), ERR_RECIPE_INVALID);
    buf_free(&b);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("agent_render");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_quote_simple);
    tcase_add_test(tc, test_quote_every_byte_alone);
    tcase_add_test(tc, test_quote_all_bytes_together);
    tcase_add_test(tc, test_quote_hostile_values);
    tcase_add_test(tc, test_quote_long_value_and_cap);
    tcase_add_test(tc, test_value_words);
    tcase_add_test(tc, test_value_array_words_in_bash);
    tcase_add_test(tc, test_lines);
    tcase_add_test(tc, test_lines_cap);
    tcase_add_test(tc, test_placeholders_and_names);
    tcase_add_test(tc, test_script_prologue_and_builtins);
    tcase_add_test(tc, test_script_takes_over_pending_folder);
    tcase_add_test(tc, test_script_ignores_a_stale_job_folder);
    tcase_add_test(tc, test_script_bash_n);
    tcase_add_test(tc, test_script_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(render_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
