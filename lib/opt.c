/* opt: the command-line parser of aifb's programs. getopt_long reads argv against options made from
 * the table (abbreviations, --name=V, permutation, as the programs always had); each value goes
 * through input_scalar, the validator of the API's parameters, and then to its settings member. */
#include "opt.h"

#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "arena.h"
#include "input.h"

/* getopt_long's answer for row i is OPT_VAL + i, and OPT_VAL + n (the row after the last) is
 * --help: clear of '?' and of every character. */
#define OPT_VAL 256

static size_t count(const struct opt *opts)
{
    size_t n = 0;
    while (opts[n].field.name)
        n++;
    return n;
}

/* Whether the member type of row o can hold what its field declares. */
static bool type_fits(const struct opt *o)
{
    switch (o->field.type) {
    case FIELD_BOOL:
        return o->to.type == OPT_TO_BOOL;
    case FIELD_INT:
        return o->to.type == OPT_TO_I64 ||
               (o->to.type == OPT_TO_INT && o->field.min >= INT_MIN && o->field.max <= INT_MAX);
    case FIELD_NUM:
        return o->to.type == OPT_TO_DOUBLE;
    case FIELD_STR:
    case FIELD_ENUM:
        return o->to.type == OPT_TO_STR;
    case FIELD_OBJECT:
    case FIELD_ARRAY:
    case FIELD_MAP:
        break;
    }
    return false;
}

/* Whether row o agrees with itself: a long name, a flag declared a bool, a pattern that compiles,
 * a member that holds the value. */
static bool row_ok(const struct opt *o)
{
    if (strncmp(o->field.name, "--", 2) != 0 || !o->field.name[2])
        return false;
    if (!o->value && o->field.type != FIELD_BOOL)
        return false;
    if (o->field.pattern && !input_pattern_valid(o->field.pattern))
        return false;
    return type_fits(o);
}

/* getopt_long's table for cmd's n rows and --help, in the arena. */
static struct option *long_options(struct arena *a, const struct opt *opts, size_t n)
{
    struct option *lo = arena_calloc(a, n + 2, sizeof(*lo));
    for (size_t i = 0; i < n; i++) {
        assert(row_ok(&opts[i]));
        lo[i] = (struct option){opts[i].field.name + 2, opts[i].value ? required_argument : no_argument, NULL,
                                OPT_VAL + (int)i};
    }
    lo[n] = (struct option){"help", no_argument, NULL, OPT_VAL + (int)n};
    return lo;
}

/* Stores the checked value of row o (arg as given, p as input_scalar read it) in its member. */
static void store(const struct opt *o, void *settings, const char *arg, const struct slot *p)
{
    void *to = (char *)settings + o->to.off;
    switch (o->to.type) {
    case OPT_TO_STR:
        *(const char **)to = arg;
        break;
    case OPT_TO_BOOL:
        *(bool *)to = o->value ? p->b : true;
        break;
    case OPT_TO_INT:
        *(int *)to = (int)p->i; /* within int: row_ok */
        break;
    case OPT_TO_I64:
        *(int64_t *)to = p->i;
        break;
    case OPT_TO_DOUBLE:
        *(double *)to = p->d;
        break;
    }
}

/* One option of row o with its value arg (NULL for a flag). Returns OPT_OK, or OPT_INVALID with why. */
static enum opt_status take(const struct opt *o, const char *arg, void *settings, struct arena *a, char *why,
                            size_t why_len)
{
    struct slot p = {0};
    const char *detail = NULL;
    if (o->value && input_scalar(&o->field, arg, &p, a, &detail) != ERR_OK) {
        snprintf(why, why_len, "%s", detail);
        return OPT_INVALID;
    }
    store(o, settings, arg, &p);
    return OPT_OK;
}

/* After the options: no other argument, and every required option given. */
static enum opt_status finish(const struct opt *opts, size_t n, const bool *given, int argc, char **argv, char *why,
                              size_t why_len)
{
    if (optind < argc) {
        snprintf(why, why_len, "%s", argv[optind]);
        return OPT_EXTRA;
    }
    for (size_t i = 0; i < n; i++)
        if (opts[i].field.required && !given[i]) {
            snprintf(why, why_len, "field=%s: is required", opts[i].field.name);
            return OPT_INVALID;
        }
    return OPT_OK;
}

enum opt_status opt_parse(const struct opt_cmd *cmd, int argc, char **argv, void *settings, char *why, size_t why_len)
{
    struct arena *a = arena_new(4096);
    size_t n = count(cmd->opts);
    struct option *lo = long_options(a, cmd->opts, n);
    bool *given = arena_calloc(a, n + 1, sizeof(*given));
    enum opt_status st = OPT_OK;
    int ch;
    if (why_len)
        *why = '\0';
    optind = 0; /* glibc: start afresh, also after an earlier parse */
    opterr = cmd->getopt_messages;
    while (st == OPT_OK && (ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        size_t i = (size_t)(ch - OPT_VAL);
        if (ch < OPT_VAL || i > n) {
            /* the argument getopt_long stopped at, as the programs have always named it */
            snprintf(why, why_len, "%s", argv[optind - 1]);
            st = OPT_UNKNOWN;
        } else if (i == n) {
            st = OPT_HELP;
        } else {
            st = take(&cmd->opts[i], optarg, settings, a, why, why_len);
            given[i] = true;
        }
    }
    if (st == OPT_OK)
        st = finish(cmd->opts, n, given, argc, argv, why, why_len);
    arena_free(a);
    return st;
}

/* "--name META" of row o in out. Returns its length. */
static int left_part(const struct opt *o, char *out, size_t n)
{
    int k = snprintf(out, n, "%s%s%s", o->field.name, o->meta ? " " : "", o->meta ? o->meta : "");
    return k < 0 ? 0 : k >= (int)n ? (int)n - 1 : k;
}

/* The column where the help texts start: the table's, else two spaces past the longest option. */
static int help_column(const struct opt_cmd *cmd)
{
    char left[128];
    int column = 0;
    if (cmd->help_column)
        return cmd->help_column;
    for (const struct opt *o = cmd->opts; o->field.name; o++) {
        int k = 2 + left_part(o, left, sizeof(left)) + 2;
        column = k > column ? k : column;
    }
    return column;
}

void opt_help(const struct opt_cmd *cmd, FILE *f)
{
    char left[128];
    int column = help_column(cmd);
    fprintf(f, "%s\n", cmd->usage);
    for (const struct opt *o = cmd->opts; o->field.name; o++) {
        int k = left_part(o, left, sizeof(left));
        int pad = column - 2 - k;
        fprintf(f, "  %s%*s%s\n", left, pad < 1 ? 1 : pad, "", o->help);
    }
    if (cmd->footer)
        fputs(cmd->footer, f);
}
