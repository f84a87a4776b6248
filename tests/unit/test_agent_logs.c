/* Unit tests of remote-agent/agent/logs: the verb's arguments and the field each refusal names, the
 * log file's name (only names submit takes), UTF-8 repaired in place, a tail cut inside a character,
 * the JSON form kept under its cap, the tail read from the end of a real file: missing, short,
 * longer than asked, in a folder, a symlink (file or folder) and a FIFO refused; and the verb finding
 * a job's log in its recipe's folder, else in the flat layout of older jobs. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/agent/logs.h"
#include "../../remote-agent/agent/state.h"

static struct arena *arena;
static const char *detail;
static char tmpdir[] = "/tmp/aifb-test-logs-XXXXXX";
static int dirfd_;

static void setup(void)
{
    arena = arena_new(1 << 16);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    dirfd_ = open(tmpdir, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dirfd_, 0);
}

static void teardown(void)
{
    char cmd[128];
    close(dirfd_);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
    arena_free(arena);
}

static enum err parse(struct logs_args *a, int argc, const char *a0, const char *a1, const char *a2)
{
    const char *argv[] = {a0, a1, a2, NULL};
    detail = NULL;
    return logs_parse_args(arena, argc, argv, a, &detail);
}

START_TEST(test_args)
{
    struct logs_args a;
    ck_assert_int_eq(parse(&a, 1, "12", NULL, NULL), ERR_OK);
    ck_assert(a.id == 12 && strcmp(a.stream, "out") == 0 && a.bytes == LOGS_BYTES_DEFAULT);
    ck_assert_int_eq(parse(&a, 3, "7", "err", "10"), ERR_OK);
    ck_assert(a.id == 7 && strcmp(a.stream, "err") == 0 && a.bytes == 10);
    ck_assert_int_eq(parse(&a, 3, "7", "out", "4194304"), ERR_OK);
    ck_assert_uint_eq(a.bytes, 4194304);

    ck_assert_int_eq(parse(&a, 0, NULL, NULL, NULL), ERR_USAGE);
    const char *four[] = {"1", "out", "1", "x", NULL};
    ck_assert_int_eq(logs_parse_args(arena, 4, four, &a, &detail), ERR_USAGE);
    const char *bad_ids[] = {"", "0", "-1", "1a", "../1", "1234567890123456789"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        ck_assert_int_eq(parse(&a, 1, bad_ids[i], NULL, NULL), ERR_INVALID_INPUT);
        ck_assert_ptr_nonnull(strstr(detail, "field=job_id"));
    }
    const char *bad_streams[] = {"", "OUT", "foo", "out ", "../out"};
    for (size_t i = 0; i < sizeof(bad_streams) / sizeof(bad_streams[0]); i++) {
        ck_assert_int_eq(parse(&a, 2, "1", bad_streams[i], NULL), ERR_INVALID_INPUT);
        ck_assert_ptr_nonnull(strstr(detail, "field=stream"));
    }
    const char *bad_bytes[] = {"", "0", "-1", "4194305", "99999999", "1e3", " 5", "0x10"};
    for (size_t i = 0; i < sizeof(bad_bytes) / sizeof(bad_bytes[0]); i++) {
        ck_assert_int_eq(parse(&a, 3, "1", "out", bad_bytes[i]), ERR_INVALID_INPUT);
        ck_assert_ptr_nonnull(strstr(detail, "field=bytes"));
    }
}
END_TEST

START_TEST(test_file_name)
{
    ck_assert_str_eq(logs_file_name(arena, "aifb-svc-12", 34, "out"), "aifb-svc-12-34.out");
    ck_assert_str_eq(logs_file_name(arena, "a.b_c", 1, "err"), "a.b_c-1.err");
    ck_assert_ptr_null(logs_file_name(arena, NULL, 1, "out"));
    ck_assert_ptr_null(logs_file_name(arena, "", 1, "out"));
    ck_assert_ptr_null(logs_file_name(arena, "../x", 1, "out"));
    ck_assert_ptr_null(logs_file_name(arena, "a/b", 1, "out"));
    ck_assert_ptr_null(logs_file_name(arena, "a b", 1, "out"));
    char long_name[66];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    ck_assert_ptr_null(logs_file_name(arena, long_name, 1, "out"));
    long_name[64] = '\0';
    ck_assert_ptr_nonnull(logs_file_name(arena, long_name, 1, "out"));
}
END_TEST

static const char *fixed(const char *s, size_t len)
{
    char *c = arena_strndup(arena, s, len);
    logs_utf8_fix(c, len);
    return c;
}

START_TEST(test_utf8_fix)
{
    ck_assert_str_eq(fixed("plain ascii\n", 12), "plain ascii\n");
    ck_assert_str_eq(fixed("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12), "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    ck_assert_str_eq(fixed("a\xffz", 3), "a?z");
    ck_assert_str_eq(fixed("a\x80z", 3), "a?z");            /* a lone continuation byte */
    ck_assert_str_eq(fixed("a\xc3", 2), "a?");              /* cut at the end */
    ck_assert_str_eq(fixed("\xe2\x82z", 3), "??z");         /* a character cut short */
    ck_assert_str_eq(fixed("\xc0\xaf", 2), "??");           /* overlong */
    ck_assert_str_eq(fixed("\xed\xa0\x80", 3), "???");      /* a surrogate */
    ck_assert_str_eq(fixed("\xf4\x90\x80\x80", 4), "????"); /* past U+10FFFF */
    ck_assert_str_eq(fixed("\xe0\x80\x80", 3), "???");      /* overlong, 3 bytes */
    ck_assert_str_eq(fixed("x\0y", 3), "x?y");              /* NUL */
    ck_assert_str_eq(fixed("\xf0\x9f\x98\x80\x80", 5), "\xf0\x9f\x98\x80?");
}
END_TEST

START_TEST(test_char_start)
{
    ck_assert_uint_eq(logs_char_start("abc", 3), 0);
    ck_assert_uint_eq(logs_char_start("\xa9x", 2), 1);             /* the end of é */
    ck_assert_uint_eq(logs_char_start("\x9f\x98\x80x", 4), 3);     /* the end of an emoji */
    ck_assert_uint_eq(logs_char_start("\x80\x80\x80\x80x", 5), 3); /* never more than 3 */
    ck_assert_uint_eq(logs_char_start("\xa9", 1), 1);
    ck_assert_uint_eq(logs_char_start("", 0), 0);
}
END_TEST

START_TEST(test_json_len_and_fit)
{
    ck_assert_uint_eq(logs_json_len("abc", 3), 3);
    ck_assert_uint_eq(logs_json_len("a\"b\\\n\t", 6), 10);
    ck_assert_uint_eq(logs_json_len("\x01\x1b", 2), 12);
    ck_assert_uint_eq(logs_json_len("\xc3\xa9/", 3), 3);
    /* the same count as jansson's own output */
    const char *s = "x\"\\\b\f\n\r\t\x01\x1f\x7f \xc3\xa9/";
    json_t *j = json_string(s);
    char *dump = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_uint_eq(logs_json_len(s, strlen(s)), strlen(dump) - 2);
    free(dump);
    json_decref(j);

    ck_assert_uint_eq(logs_fit("hello", 5, 100), 0);
    ck_assert_uint_eq(logs_fit("hello", 5, 5), 0);
    ck_assert_uint_eq(logs_fit("hello", 5, 3), 2);
    ck_assert_uint_eq(logs_fit("a\n\n", 3, 4), 1);
    ck_assert_uint_eq(logs_fit("a\n\n", 3, 3), 2);
    ck_assert_uint_eq(logs_fit("a\x01", 2, 5), 2);      /* nothing fits */
    ck_assert_uint_eq(logs_fit("a\xc3\xa9z", 4, 2), 3); /* not inside é: only z */
    ck_assert_uint_eq(logs_fit("a\xc3\xa9z", 4, 3), 1);
    ck_assert_uint_eq(logs_fit("", 0, 0), 0);
}
END_TEST

static void write_file(const char *name, const char *data, size_t len)
{
    char *path = arena_printf(arena, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

START_TEST(test_read_tail)
{
    struct logs_tail t;
    const char *why;
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "none-1.out", 100, &t, &why), ERR_OK);
    ck_assert(t.missing && t.size == 0 && t.offset == 0 && t.len == 0 && strcmp(t.data, "") == 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "nodir/none-1.out", 100, &t, &why), ERR_OK);
    ck_assert(t.missing && t.len == 0);

    write_file("j-1.out", "0123456789", 10);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "j-1.out", 100, &t, &why), ERR_OK);
    ck_assert(!t.missing && t.size == 10 && t.offset == 0 && t.len == 10);
    ck_assert_str_eq(t.data, "0123456789");
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "j-1.out", 4, &t, &why), ERR_OK);
    ck_assert(t.size == 10 && t.offset == 6 && t.len == 4);
    ck_assert_str_eq(t.data, "6789");
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "j-1.out", 10, &t, &why), ERR_OK);
    ck_assert(t.offset == 0 && t.len == 10);

    /* a large file: only its end is read */
    size_t big = 3u << 20;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)('a' + i % 26);
    write_file("big-2.err", data, big);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "big-2.err", 1000, &t, &why), ERR_OK);
    ck_assert(t.size == (int64_t)big && t.offset == (int64_t)big - 1000 && t.len == 1000);
    ck_assert_int_eq(memcmp(t.data, data + big - 1000, 1000), 0);
    free(data);

    /* never through a symlink, and nothing but regular files */
    ck_assert_int_eq(symlinkat("j-1.out", dirfd_, "link-3.out"), 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "link-3.out", 100, &t, &why), ERR_AGENT_STATE);
    ck_assert_ptr_nonnull(strstr(why, "symlink"));
    ck_assert_ptr_null(strstr(why, tmpdir)); /* no path of the login node */
    ck_assert_int_eq(symlinkat("/etc/passwd", dirfd_, "link-4.out"), 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "link-4.out", 100, &t, &why), ERR_AGENT_STATE);
    ck_assert_int_eq(mkfifoat(dirfd_, "fifo-5.out", 0600), 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "fifo-5.out", 100, &t, &why), ERR_AGENT_STATE);
    ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
    ck_assert_int_eq(mkdirat(dirfd_, "dir-6.out", 0700), 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "dir-6.out", 100, &t, &why), ERR_AGENT_STATE);

    /* in a folder, never through a symlinked one */
    ck_assert_int_eq(mkdirat(dirfd_, "vllm", 0700), 0);
    write_file("vllm/j-7.out", "nested", 6);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "vllm/j-7.out", 100, &t, &why), ERR_OK);
    ck_assert(!t.missing && t.size == 6);
    ck_assert_str_eq(t.data, "nested");
    ck_assert_int_eq(symlinkat("vllm", dirfd_, "evil"), 0);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "evil/j-7.out", 100, &t, &why), ERR_AGENT_STATE);
    ck_assert_ptr_nonnull(strstr(why, "STATE/logs/evil/j-7.out"));
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "j-1.out/x", 100, &t, &why), ERR_AGENT_STATE);
    ck_assert_int_eq(logs_read_tail(arena, dirfd_, "../j-1.out", 100, &t, &why), ERR_AGENT_STATE);
}
END_TEST

/* A state folder in tmpdir/state with job id's request.json holding recipe and job_name. */
static struct agent state_with_job(int64_t id, const char *recipe, const char *job_name)
{
    const char *why, *dir = arena_printf(arena, "%s/state", tmpdir);
    ck_assert_int_eq(state_init(arena, dir, &why), ERR_OK);
    ck_assert_int_eq(mkdir(state_job_dir(arena, dir, id), 0700), 0);
    json_t *req = json_pack("{s:s, s:s}", "recipe", recipe, "job_name", job_name);
    char *text = json_dumps(req, 0);
    ck_assert_int_eq(state_write(arena, arena_printf(arena, "%s/request.json", state_job_dir(arena, dir, id)), text,
                                 strlen(text), 0600, &why),
                     ERR_OK);
    free(text);
    json_decref(req);
    return (struct agent){.arena = arena, .state_dir = dir};
}

/* Runs `logs id stream`; the reply's path, "" when it failed. */
static const char *verb_path(struct agent *ag, const char *id, const char *stream, json_t **reply)
{
    const char *argv[] = {id, stream, NULL};
    *reply = NULL;
    enum err e = logs_verb(ag, 2, argv, reply);
    return e ? "" : json_string_value(json_object_get(*reply, "path"));
}

START_TEST(test_verb_layouts)
{
    struct agent ag = state_with_job(77, "vllm", "aifb-svc-3");
    json_t *reply;
    /* not written yet: where sbatch will write it */
    ck_assert_str_eq(verb_path(&ag, "77", "out", &reply), "logs/vllm/aifb-svc-3-77.out");
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "size")), 0);
    /* a job submitted before recipe folders: the flat file */
    write_file("state/logs/aifb-svc-3-77.out", "flat\n", 5);
    ck_assert_str_eq(verb_path(&ag, "77", "out", &reply), "logs/aifb-svc-3-77.out");
    ck_assert_str_eq(json_string_value(json_object_get(reply, "text")), "flat\n");
    /* the recipe's folder first */
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/state/logs/vllm", tmpdir), 0700), 0);
    ck_assert_str_eq(verb_path(&ag, "77", "out", &reply), "logs/aifb-svc-3-77.out");
    write_file("state/logs/vllm/aifb-svc-3-77.out", "per recipe\n", 11);
    ck_assert_str_eq(verb_path(&ag, "77", "out", &reply), "logs/vllm/aifb-svc-3-77.out");
    ck_assert_str_eq(json_string_value(json_object_get(reply, "text")), "per recipe\n");
    write_file("state/logs/vllm/aifb-svc-3-77.err", "e", 1);
    ck_assert_str_eq(verb_path(&ag, "77", "err", &reply), "logs/vllm/aifb-svc-3-77.err");
    ck_assert_str_eq(json_string_value(json_object_get(reply, "text")), "e");
}
END_TEST

START_TEST(test_verb_refusals)
{
    struct agent ag = state_with_job(78, "vllm", "aifb-svc-4");
    json_t *reply;
    /* the recipe's folder swapped for a link to another with the same file name */
    ck_assert_int_eq(mkdir(arena_printf(arena, "%s/elsewhere", tmpdir), 0700), 0);
    write_file("elsewhere/aifb-svc-4-78.out", "secret", 6);
    ck_assert_int_eq(
        symlink(arena_printf(arena, "%s/elsewhere", tmpdir), arena_printf(arena, "%s/state/logs/vllm", tmpdir)), 0);
    ck_assert_str_eq(verb_path(&ag, "78", "out", &reply), "");
    ck_assert_str_eq(ag.detail, "STATE/logs/vllm/aifb-svc-4-78.out: a symlink or a file on the way, not read");
    /* a request.json whose recipe is no recipe name: only the flat layout is looked at */
    struct agent odd = state_with_job(79, "../elsewhere", "aifb-svc-4");
    write_file("state/logs/aifb-svc-4-79.out", "flat", 4);
    ck_assert_str_eq(verb_path(&odd, "79", "out", &reply), "logs/aifb-svc-4-79.out");
    ck_assert_str_eq(verb_path(&odd, "80", "out", &reply), "");
}
END_TEST

static Suite *logs_suite(void)
{
    Suite *s = suite_create("agent_logs");
    TCase *tc = tcase_create("logs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_file_name);
    tcase_add_test(tc, test_utf8_fix);
    tcase_add_test(tc, test_char_start);
    tcase_add_test(tc, test_json_len_and_fit);
    tcase_add_test(tc, test_read_tail);
    tcase_add_test(tc, test_verb_layouts);
    tcase_add_test(tc, test_verb_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(logs_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
