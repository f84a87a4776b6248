/* Unit tests of aifb-loadgen's prompts: inline ones and wrap-around, JSONL (blank lines, CRLF, another
 * member, a malformed line and a line without the member named by number), ShareGPT (entries
 * without a human turn skipped, max_tokens from the reply, none usable), random prompts (seeded,
 * their lengths and the 4-bytes-per-token layout), and files refused outside the datasets folder:
 * "..", a symlink out of it, a folder, a FIFO, an over-large file, a missing one. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "../../remote-agent/loadgen/prompts.h"

static struct arena *arena;
static const char *detail;
static char fixtures[PATH_MAX + 64];

static bool find_above(char *start)
{
    for (char *slash = strrchr(start, '/'); slash; slash = strrchr(start, '/')) {
        snprintf(fixtures, sizeof(fixtures), "%s/tests/unit/fixtures/loadgen", start);
        if (access(fixtures, R_OK) == 0)
            return true;
        *slash = '\0';
    }
    return false;
}

static void setup(void)
{
    arena = arena_new(1 << 16);
    detail = NULL;
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    ck_assert_int_gt(n, 0);
    path[n] = '\0';
    if (!find_above(path) && !(getcwd(path, sizeof(path)) && find_above(path)))
        ck_abort_msg("tests/unit/fixtures/loadgen not found");
}

static void teardown(void)
{
    arena_free(arena);
}

static struct workload file_workload(enum wl_source src, const char *path, const char *field)
{
    return (struct workload){.prompts = {.source = src, .path = path, .field = field}};
}

static enum err load(const struct workload *w, const char *datasets, struct prompt_set *s)
{
    detail = NULL;
    return prompts_load(arena, w, datasets, s, &detail);
}

static void prompt_is(const struct prompt *p, const char *text, int64_t max_tokens)
{
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->text, text);
    ck_assert_uint_eq(p->len, strlen(text));
    ck_assert_int_eq(p->tokens, (int64_t)(strlen(text) + 3) / 4);
    ck_assert_int_eq(p->max_tokens, max_tokens);
}

static void refused(const struct workload *w, const char *datasets, const char *want)
{
    struct prompt_set s;
    ck_assert_int_eq(load(w, datasets, &s), ERR_INVALID_INPUT);
    ck_assert_msg(detail && strncmp(detail, want, strlen(want)) == 0, "got \"%s\", want \"%s...\"",
                  detail ? detail : "(null)", want);
    ck_assert_uint_eq(s.n, 0);
}

START_TEST(test_inline)
{
    const char *items[] = {"one", "a longer prompt"};
    struct workload w = {.prompts = {.source = WL_INLINE, .items = items, .nitems = 2}};
    struct prompt_set s;
    ck_assert_int_eq(load(&w, NULL, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 2);
    prompt_is(prompts_get(&s, 0), "one", 0);
    prompt_is(prompts_get(&s, 1), "a longer prompt", 0);
    ck_assert_int_eq(prompts_get(&s, 1)->tokens, 4);
    ck_assert_ptr_eq(prompts_get(&s, 5), &s.items[1]); /* wraps around */
    ck_assert_ptr_eq(prompts_get(&s, UINT64_MAX), &s.items[1]);
    struct prompt_set empty = {0};
    ck_assert_ptr_null(prompts_get(&empty, 3));
}
END_TEST

START_TEST(test_jsonl)
{
    struct workload w = file_workload(WL_JSONL, "good.jsonl", NULL); /* NULL: "prompt" */
    struct prompt_set s;
    ck_assert_int_eq(load(&w, fixtures, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 3);
    prompt_is(&s.items[0], "What is the capital of France?", 0);
    prompt_is(&s.items[1], "Count to three.", 0);
    prompt_is(&s.items[2], "A \xc3\xa9l\xc3\xa8ve.", 0);
    ck_assert_int_eq(s.items[2].tokens, 3); /* 10 bytes */
    w = file_workload(WL_JSONL, "bom.jsonl", "prompt");
    ck_assert_int_eq(load(&w, fixtures, &s), ERR_OK);
    prompt_is(&s.items[0], "with a byte order mark", 0);
    w = file_workload(WL_JSONL, "good.jsonl", "text");
    refused(&w, fixtures, "field=workload.prompts.path: line 1: not an object with a non-empty string member \"text\"");
    w = file_workload(WL_JSONL, "malformed.jsonl", "prompt");
    refused(&w, fixtures, "field=workload.prompts.path: line 3: ");
    w = file_workload(WL_JSONL, "missing.jsonl", "prompt");
    refused(&w, fixtures,
            "field=workload.prompts.path: line 2: not an object with a non-empty string member \"prompt\"");
    w = file_workload(WL_JSONL, "sharegpt.json", "prompt");
    refused(&w, fixtures, "field=workload.prompts.path: line 1: ");
}
END_TEST

START_TEST(test_sharegpt)
{
    struct workload w = file_workload(WL_SHAREGPT, "sharegpt.json", NULL);
    struct prompt_set s;
    ck_assert_int_eq(load(&w, fixtures, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 4);
    prompt_is(&s.items[0], "Hello there", 3); /* reply of 10 bytes: 3 tokens */
    prompt_is(&s.items[1], "Why?", 1);        /* an empty reply still asks for one */
    prompt_is(&s.items[2], "Unanswered", 0);  /* no reply: the workload's max_tokens */
    prompt_is(&s.items[3], "Last", 2);        /* the first human turn, the gpt reply after it */
    w = file_workload(WL_SHAREGPT, "sharegpt_none.json", NULL);
    refused(&w, fixtures, "field=workload.prompts.path: sharegpt_none.json: no conversation with a human turn");
    w = file_workload(WL_SHAREGPT, "good.jsonl", NULL);
    refused(&w, fixtures, "field=workload.prompts.path: line 3: ");
}
END_TEST

START_TEST(test_random)
{
    struct workload w = {.seed = 11,
                         .requests = 50,
                         .prompts = {.source = WL_RANDOM, .input_len = 100, .output_len = 20, .range_ratio = 0.5}};
    struct prompt_set s, again, other;
    ck_assert_int_eq(load(&w, NULL, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 50);
    ck_assert_int_eq(load(&w, NULL, &again), ERR_OK);
    w.seed = 12;
    ck_assert_int_eq(load(&w, NULL, &other), ERR_OK);
    int64_t lo = INT64_MAX, hi = 0;
    size_t same = 0;
    for (size_t i = 0; i < s.n; i++) {
        const struct prompt *p = &s.items[i];
        ck_assert_int_ge(p->tokens, 50);
        ck_assert_int_le(p->tokens, 150);
        ck_assert_int_ge(p->max_tokens, 10);
        ck_assert_int_le(p->max_tokens, 30);
        ck_assert_uint_eq(p->len, (size_t)(4 * p->tokens - 1));
        ck_assert_uint_eq(strlen(p->text), p->len);
        ck_assert_int_eq((int64_t)(p->len + 3) / 4, p->tokens); /* the estimate is the length */
        for (size_t k = 0; k < p->len; k++)
            ck_assert(k % 4 == 3 ? p->text[k] == ' ' : (p->text[k] >= 'a' && p->text[k] <= 'z'));
        ck_assert_str_eq(p->text, again.items[i].text);
        ck_assert_int_eq(p->max_tokens, again.items[i].max_tokens);
        same += strcmp(p->text, other.items[i].text) == 0;
        lo = p->tokens < lo ? p->tokens : lo;
        hi = p->tokens > hi ? p->tokens : hi;
    }
    ck_assert_uint_eq(same, 0);
    ck_assert_int_lt(lo, 80); /* the range is used */
    ck_assert_int_gt(hi, 120);
    /* fixed lengths without range_ratio; no output_len: the workload's max_tokens */
    w = (struct workload){.prompts = {.source = WL_RANDOM, .input_len = 7}};
    ck_assert_int_eq(load(&w, NULL, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 1024);
    for (size_t i = 0; i < s.n; i++)
        ck_assert(s.items[i].tokens == 7 && s.items[i].max_tokens == 0 && s.items[i].len == 27);
    /* as many as the run's requests when fewer */
    w.prompts.input_len = 1000000;
    w.requests = 2;
    ck_assert_int_eq(load(&w, NULL, &s), ERR_OK);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_uint_eq(strlen(s.items[1].text), 3999999);
}
END_TEST

/* A scratch datasets folder for the cases that need links, FIFOs and big files. */
static char scratch[64];

static const char *scratch_path(const char *name)
{
    return arena_printf(arena, "%s/%s", scratch, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_files_refused)
{
    snprintf(scratch, sizeof(scratch), "/tmp/aifb-test-prompts-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
    const char *ds = scratch_path("datasets");
    ck_assert_int_eq(mkdir(ds, 0700), 0);
    ck_assert_int_eq(mkdir(scratch_path("datasets/sub"), 0700), 0);
    write_file(scratch_path("secret.jsonl"), "{\"prompt\": \"outside\"}\n");
    write_file(scratch_path("datasets/sub/in.jsonl"), "{\"prompt\": \"inside\"}\n");
    ck_assert_int_eq(symlink("../secret.jsonl", scratch_path("datasets/out.jsonl")), 0);
    ck_assert_int_eq(symlink("sub/in.jsonl", scratch_path("datasets/in-link.jsonl")), 0);
    ck_assert_int_eq(symlink("..", scratch_path("datasets/up")), 0);
    ck_assert_int_eq(mkfifo(scratch_path("datasets/fifo.jsonl"), 0600), 0);
    FILE *big = fopen(scratch_path("datasets/big.jsonl"), "w");
    ck_assert_int_eq(ftruncate(fileno(big), (off_t)PROMPTS_FILE_MAX + 1), 0); /* sparse: no disk used */
    fclose(big);

    struct prompt_set s;
    struct workload w = file_workload(WL_JSONL, "sub/in.jsonl", "prompt");
    ck_assert_int_eq(load(&w, ds, &s), ERR_OK);
    prompt_is(&s.items[0], "inside", 0);
    w = file_workload(WL_JSONL, "in-link.jsonl", "prompt"); /* a link that stays inside is fine */
    ck_assert_int_eq(load(&w, ds, &s), ERR_OK);
    w = file_workload(WL_JSONL, "out.jsonl", "prompt");
    refused(&w, ds, "field=workload.prompts.path: out.jsonl: lies outside the datasets folder");
    w = file_workload(WL_JSONL, "up/secret.jsonl", "prompt");
    refused(&w, ds, "field=workload.prompts.path: up/secret.jsonl: lies outside the datasets folder");
    w = file_workload(WL_JSONL, "../secret.jsonl", "prompt"); /* workload_parse refuses "..": this is the net */
    refused(&w, ds, "field=workload.prompts.path: ../secret.jsonl: lies outside the datasets folder");
    w = file_workload(WL_JSONL, "sub", "prompt");
    refused(&w, ds, "field=workload.prompts.path: sub: not a regular file of at most 1073741824 bytes");
    w = file_workload(WL_JSONL, "fifo.jsonl", "prompt");
    refused(&w, ds, "field=workload.prompts.path: fifo.jsonl: not a regular file");
    w = file_workload(WL_SHAREGPT, "big.jsonl", NULL);
    refused(&w, ds, "field=workload.prompts.path: big.jsonl: not a regular file of at most 1073741824 bytes");
    w = file_workload(WL_JSONL, "nope.jsonl", "prompt");
    refused(&w, ds, "field=workload.prompts.path: nope.jsonl: No such file or directory");
    w = file_workload(WL_JSONL, "sub/in.jsonl", "prompt");
    refused(&w, scratch_path("no-such-folder"), "field=workload.prompts.path: the datasets folder cannot be read");
    refused(&w, NULL, "field=workload.prompts.path: the datasets folder cannot be read");
    /* the detail never shows the server's own paths */
    ck_assert_ptr_null(strstr(detail, "/tmp"));

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *prompts_suite(void)
{
    Suite *s = suite_create("loadgen_prompts");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_inline);
    tcase_add_test(tc, test_jsonl);
    tcase_add_test(tc, test_sharegpt);
    tcase_add_test(tc, test_random);
    tcase_add_test(tc, test_files_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(prompts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
