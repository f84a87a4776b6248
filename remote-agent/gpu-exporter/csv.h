/* csv: the grammar the nvidia-smi CSV and the NVML recording share: fields split at commas with the
 * blanks around them trimmed (nvidia-smi writes ", " and never quotes), plain decimal numbers with an
 * optional unit after them, the spellings of a value a GPU does not report, and unit conversion to
 * the base units of struct gpu_reading. Pure functions, no allocation. */
#ifndef AIFB_GPU_CSV_H
#define AIFB_GPU_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_FIELDS_MAX 96   /* nvidia-smi accepts about 300 fields; a recording needs a dozen */
#define CSV_INDEX_MAX 99999 /* a GPU index above this is garbage, not a GPU */

/* A field: a slice of the line, not NUL-terminated. */
struct csv_field {
    const char *p;
    size_t len;
};

enum csv_unit { CSV_UNIT_NONE, CSV_UNIT_PERCENT, CSV_UNIT_MIB, CSV_UNIT_W, CSV_UNIT_MW, CSV_UNIT_MHZ, CSV_UNIT_MJ };

/* True when line (up to its NUL) holds only printable ASCII and tabs, apart from one trailing "\n"
 * or "\r\n": nvidia-smi writes nothing else, and names end up in Prometheus labels. */
bool csv_line_clean(const char *line);

/* Splits line at commas into f[0..max), trimming blanks and a trailing CR/LF. Returns the number of
 * fields (1 for an empty line), or -1 when there are more than max. The fields point into line. */
int csv_split(const char *line, struct csv_field *f, int max);

/* True when f is exactly s. */
bool csv_eq(struct csv_field f, const char *s);

/* True for the values nvidia-smi prints instead of a number: "N/A", "Not Supported" and any
 * "[...]" ("[N/A]", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]"). */
bool csv_missing(struct csv_field f);

/* Reads a unit's name as nvidia-smi writes it ("%", "MiB", "W", "mW", "MHz", "mJ") into *u. Returns
 * false for any other word. */
bool csv_unit_parse(struct csv_field f, enum csv_unit *u);

/* v converted from unit u to the base unit (ratio, bytes, W, Hz, J). Divisions rather than
 * multiplications by 0.01 or 0.001, so that 23 % is the double nearest 0.23. */
double csv_unit_apply(double v, enum csv_unit u);

/* A plain decimal number ("-1.5e3", no hex, inf or nan), then, after optional blanks, an optional unit
 * word left in *unit (len 0: none). Returns 0, or -1 when f is not that or the number is not finite. */
int csv_number(struct csv_field f, double *v, struct csv_field *unit);

/* "0x" and 1 to 16 hex digits (nvidia-smi's bitmasks). Returns 0 or -1. */
int csv_hex(struct csv_field f, double *v);

/* A GPU index: a whole number from 0 to max, no unit. Returns it, or -1. */
int csv_index(struct csv_field f, int max);

/* Copies f into dst (size n) as a C string. Returns 0, or -1 when it does not fit. */
int csv_copy(struct csv_field f, char *dst, size_t n);

#endif
