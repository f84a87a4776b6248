/* opt: a program's command line as one table, as a route table declares an API's inputs. Each row
 * names a long option, says whether it takes a value, declares the value (route.h's struct field,
 * its name the option as written: "--port") and where it goes in the program's settings struct;
 * opt_parse reads argv against it, checking each value with input_scalar (so a bad value reads as
 * the API's detail, "field=--port: must be an integer in [0, 65535]"), and opt_help prints --help. */
#ifndef AIFB_OPT_H
#define AIFB_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "route.h"

/* The C type of a settings member a value goes to. */
enum opt_to { OPT_TO_STR, OPT_TO_BOOL, OPT_TO_INT, OPT_TO_I64, OPT_TO_DOUBLE };

/* Where a value goes: a member of the settings struct, by offset, and its C type. */
struct opt_place {
    enum opt_to type;
    size_t off;
};

/* The place of member m of the settings struct T, its type taken from the member's own (a member of
 * another type does not compile): const char * (FIELD_STR, FIELD_ENUM), bool (a flag, FIELD_BOOL),
 * int or int64_t (FIELD_INT), double (FIELD_NUM). m may name a nested member ("sim.max_num_seqs"). */
/* clang-format off */
#define OPT_AT(T, m)                                                                             \
    {.type = _Generic(((T *)0)->m, const char *: OPT_TO_STR, bool: OPT_TO_BOOL, int: OPT_TO_INT, \
                      int64_t: OPT_TO_I64, double: OPT_TO_DOUBLE),                               \
     .off = offsetof(T, m)}
/* clang-format on */

/* One option. field.name is its long name as written ("--port"); the field says what its value may
 * be as for an API input (FIELD_INT min..max, FIELD_NUM fmin..fmax, FIELD_STR lengths and pattern,
 * FIELD_ENUM values), and required makes the option itself required. A flag (value false) is
 * declared FIELD_BOOL and sets its bool member to true. Values of FIELD_STR and FIELD_ENUM point
 * into argv. A row with a NULL field.name ends the table. */
struct opt {
    struct field field;
    bool value;       /* it takes a value: --name V or --name=V */
    const char *meta; /* the value's name in --help ("N", "PATH"); NULL for a flag */
    struct opt_place to;
    const char *help; /* one line */
};

/* A program's command line. */
struct opt_cmd {
    const char *usage;      /* the first line of --help: "usage: aifb-simllm [options]" */
    const struct opt *opts; /* the table, ended by a row with a NULL field.name */
    const char *footer;     /* printed after the options as is (lines ending in \n); may be NULL */
    int help_column;        /* where the help texts start in --help, after "  --name META"; 0: just past the longest */
    bool getopt_messages;   /* getopt_long writes its own line on stderr for an unknown option or a missing value */
};

enum opt_status {
    OPT_OK,      /* every option read */
    OPT_HELP,    /* --help was given (the table need not declare it): print opt_help, exit 0 */
    OPT_UNKNOWN, /* an unknown option, a missing value, or a value given to a flag */
    OPT_INVALID, /* a value its field refuses, or a required option missing */
    OPT_EXTRA,   /* an argument that is not an option (the programs take none) */
};

/* Reads argv[1..argc) against cmd's table into settings (a struct of the type the table's OPT_AT
 * name), which holds the defaults on entry: only the options given are written, in order, a later
 * one overwriting an earlier. Options may be abbreviated to a unique prefix (getopt_long; argv may
 * be permuted). Returns OPT_OK, OPT_HELP, or an error with why (why_len bytes, truncated) set to:
 * for OPT_INVALID input_scalar's detail ("field=--port: must be a whole number", or "field=--config:
 * is required"), for OPT_UNKNOWN the argument it stopped at as written ("--bogus"), for OPT_EXTRA
 * the first argument that is not an option. settings may be partly written after an error. A table
 * that contradicts itself (a flag that is not FIELD_BOOL, a type that is not its member's) is a
 * programmer's error: an assert. */
enum opt_status opt_parse(const struct opt_cmd *cmd, int argc, char **argv, void *settings, char *why, size_t why_len);

/* Writes --help on f: the usage line, one line per option ("  --port N   port, 0 for any free one
 * (8000)"), then the footer. */
void opt_help(const struct opt_cmd *cmd, FILE *f);

#endif
