/* Unit tests of lib/opt: a table of every kind of option read into a settings struct (strings,
 * ints, int64s, numbers, enums, flags, a bool with a value, --name=V, abbreviations, defaults kept,
 * the last of a repeated option), each kind of bad value with input_scalar's detail, an unknown
 * option, a missing value, a value given to a flag, an extra argument, a required option missing,
 * --help, and the text of --help. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

struct settings {
    const char *name, *mode, *must;
    int port;
    int64_t big;
    double rate;
    bool verbose, on;
};

static const char *const modes[] = {"fast", "slow", NULL};

static const struct opt options[] = {
    {.field = {.name = "--name", .type = FIELD_STR, .min = 1, .max = 8, .pattern = "[a-z]+"},
     .value = true,
     .meta = "NAME",
     .to = OPT_AT(struct settings, name),
     .help = "a name (x)"},
    {.field = {.name = "--mode", .type = FIELD_ENUM, .values = modes},
     .value = true,
     .meta = "MODE",
     .to = OPT_AT(struct settings, mode),
     .help = "fast or slow"},
    {.field = {.name = "--port", .type = FIELD_INT, .min = 0, .max = 65535},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct settings, port),
     .help = "a port"},
    {.field = {.name = "--port-base", .type = FIELD_INT, .min = -5, .max = INT64_MAX},
     .value = true,
     .meta = "N",
     .to = OPT_AT(struct settings, big),
     .help = "a big one"},
    {.field = {.name = "--rate", .type = FIELD_NUM, .fmin = 0, .fmax = 1},
     .value = true,
     .meta = "P",
     .to = OPT_AT(struct settings, rate),
     .help = "a fraction"},
    {.field = {.name = "--verbose", .type = FIELD_BOOL}, .to = OPT_AT(struct settings, verbose), .help = "say more"},
    {.field = {.name = "--on", .type = FIELD_BOOL},
     .value = true,
     .meta = "BOOL",
     .to = OPT_AT(struct settings, on),
     .help = "true or false"},
    {.field.name = NULL},
};

static const struct opt_cmd command = {.usage = "usage: prog [options]", .opts = options, .footer = "The end.\n"};

static const struct opt must_options[] = {
    {.field = {.name = "--must", .type = FIELD_STR, .required = true},
     .value = true,
     .meta = "X",
     .to = OPT_AT(struct settings, must),
     .help = "required"},
    {.field = {.name = "--verbose", .type = FIELD_BOOL}, .to = OPT_AT(struct settings, verbose), .help = "say more"},
    {.field.name = NULL},
};

static const struct opt_cmd must_command = {.usage = "usage: must --must X", .opts = must_options, .help_column = 20};

#define ARGS_MAX 16

static struct settings s;
static char why[128];
static char *argv_copy[ARGS_MAX + 1];
static int argc_copy;

/* Parses "prog" and the NULL-ended args against cmd into s, which starts with the defaults. */
static enum opt_status parse_with(const struct opt_cmd *cmd, const char *const *args)
{
    for (int i = 0; i < argc_copy; i++)
        free(argv_copy[i]);
    argc_copy = 0;
    argv_copy[argc_copy++] = strdup("prog");
    for (; *args && argc_copy < ARGS_MAX; args++)
        argv_copy[argc_copy++] = strdup(*args);
    argv_copy[argc_copy] = NULL;
    s = (struct settings){.name = "x", .port = 80, .rate = 0.5};
    memset(why, 'z', sizeof(why));
    return opt_parse(cmd, argc_copy, argv_copy, &s, why, sizeof(why));
}

#define PARSE(...) parse_with(&command, (const char *const[]){__VA_ARGS__, NULL})

static void teardown(void)
{
    for (int i = 0; i < argc_copy; i++)
        free(argv_copy[i]);
    argc_copy = 0;
}

START_TEST(test_good)
{
    ck_assert_int_eq(PARSE("--name", "abc", "--mode", "slow", "--port", "0", "--port-base", "9223372036854775807",
                           "--rate", "1e-1", "--verbose", "--on", "false"),
                     OPT_OK);
    ck_assert_str_eq(s.name, "abc");
    ck_assert_str_eq(s.mode, "slow");
    ck_assert_int_eq(s.port, 0);
    ck_assert_int_eq(s.big, INT64_MAX);
    ck_assert_double_eq(s.rate, 0.1);
    ck_assert(s.verbose);
    ck_assert(!s.on);
    ck_assert_str_eq(why, "");
    /* --name=V, an abbreviation, the last of a repeated option, a negative value */
    ck_assert_int_eq(PARSE("--port=443", "--ver", "--port", "8080", "--port-base=-5", "--on=true"), OPT_OK);
    ck_assert_int_eq(s.port, 8080);
    ck_assert_int_eq(s.big, -5);
    ck_assert(s.verbose && s.on);
    ck_assert_str_eq(s.name, "x"); /* defaults stay */
    ck_assert_double_eq(s.rate, 0.5);
    ck_assert_ptr_null(s.mode);
    /* nothing at all */
    ck_assert_int_eq(parse_with(&command, (const char *const[]){NULL}), OPT_OK);
    ck_assert_int_eq(s.port, 80);
}
END_TEST

static void bad(enum opt_status got, const char *want)
{
    ck_assert_int_eq(got, OPT_INVALID);
    ck_assert_str_eq(why, want);
}

START_TEST(test_bad_values)
{
    bad(PARSE("--port", "x"), "field=--port: must be a whole number");
    bad(PARSE("--port", "+5"), "field=--port: must be a whole number");
    bad(PARSE("--port", " 5"), "field=--port: must be a whole number");
    bad(PARSE("--port", "65536"), "field=--port: must be an integer in [0, 65535]");
    bad(PARSE("--port=-1"), "field=--port: must be an integer in [0, 65535]");
    bad(PARSE("--port-base", "99999999999999999999"), "field=--port-base: must be a whole number");
    bad(PARSE("--port-base", "-6"), "field=--port-base: must be an integer in [-5, 9223372036854775807]");
    bad(PARSE("--rate", "abc"), "field=--rate: must be a number");
    bad(PARSE("--rate", "inf"), "field=--rate: must be a number");
    bad(PARSE("--rate", "0x1"), "field=--rate: must be a number");
    bad(PARSE("--rate", "1.5"), "field=--rate: must be a number in [0, 1]");
    bad(PARSE("--name", ""), "field=--name: length must be in [1, 8]");
    bad(PARSE("--name", "abcdefghi"), "field=--name: length must be in [1, 8]");
    bad(PARSE("--name", "ABC"), "field=--name: must match [a-z]+");
    bad(PARSE("--mode", "medium"), "field=--mode: must be one of: fast, slow");
    bad(PARSE("--on", "yes"), "field=--on: must be true or false");
    /* the first bad value stops the parse; the options before it are taken */
    bad(PARSE("--port", "1", "--rate", "2", "--port", "x"), "field=--rate: must be a number in [0, 1]");
    ck_assert_int_eq(s.port, 1);
}
END_TEST

START_TEST(test_refusals)
{
    ck_assert_int_eq(PARSE("--port", "1", "--bogus"), OPT_UNKNOWN);
    ck_assert_str_eq(why, "--bogus");
    ck_assert_int_eq(PARSE("--bogus=1"), OPT_UNKNOWN);
    ck_assert_str_eq(why, "--bogus=1");
    ck_assert_int_eq(PARSE("--port"), OPT_UNKNOWN); /* a missing value */
    ck_assert_str_eq(why, "--port");
    ck_assert_int_eq(PARSE("--verbose=1"), OPT_UNKNOWN); /* a value to a flag */
    ck_assert_str_eq(why, "--verbose=1");
    ck_assert_int_eq(PARSE("--por", "1"), OPT_UNKNOWN); /* ambiguous: --port or --port-base */
    ck_assert_str_eq(why, "--por");
    ck_assert_int_eq(PARSE("-p"), OPT_UNKNOWN); /* no short options */
    ck_assert_int_eq(PARSE("--port", "1", "extra", "--verbose"), OPT_EXTRA);
    ck_assert_str_eq(why, "extra");
    ck_assert(s.verbose); /* options after it are read first */
    ck_assert_int_eq(parse_with(&must_command, (const char *const[]){"--verbose", NULL}), OPT_INVALID);
    ck_assert_str_eq(why, "field=--must: is required");
    ck_assert_int_eq(parse_with(&must_command, (const char *const[]){"--must", "", NULL}), OPT_OK);
    ck_assert_str_eq(s.must, "");
}
END_TEST

START_TEST(test_help)
{
    ck_assert_int_eq(PARSE("--help"), OPT_HELP);
    ck_assert_int_eq(PARSE("--port", "1", "--he", "--port", "x"), OPT_HELP); /* what follows is not read */
    ck_assert_int_eq(PARSE("--port", "x", "--help"), OPT_INVALID);           /* what comes first is */
    ck_assert_int_eq(PARSE("--help=1"), OPT_UNKNOWN);
}
END_TEST

/* opt_help's text for cmd. */
static char *help_of(const struct opt_cmd *cmd)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    opt_help(cmd, f);
    fclose(f);
    return text;
}

START_TEST(test_help_text)
{
    char *text = help_of(&command);
    ck_assert_str_eq(text, "usage: prog [options]\n"
                           "  --name NAME    a name (x)\n"
                           "  --mode MODE    fast or slow\n"
                           "  --port N       a port\n"
                           "  --port-base N  a big one\n"
                           "  --rate P       a fraction\n"
                           "  --verbose      say more\n"
                           "  --on BOOL      true or false\n"
                           "The end.\n");
    free(text);
    text = help_of(&must_command);
    ck_assert_str_eq(text, "usage: must --must X\n"
                           "  --must X          required\n"
                           "  --verbose         say more\n");
    free(text);
}
END_TEST

static Suite *opt_suite(void)
{
    Suite *su = suite_create("opt");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_help_text);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(opt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
