/* num: text to numbers, checked: the whole text must be the number, and in range. The one way aifb
 * reads a number out of text it did not write itself in C (STYLE.md: no atoi, no strtoll without
 * its end pointer checked). */
#ifndef AIFB_NUM_H
#define AIFB_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal integer (an optional sign, then digits; nothing before or after) of int64_t's range.
 * False, *v untouched, for anything else (NULL and "" included). */
bool num_i64(const char *s, int64_t *v);

/* The same for the first n bytes of s (s need not end there). */
bool num_i64n(const char *s, size_t n, int64_t *v);

/* A finite floating-point number as strtod reads it (nothing before or after). False, *v untouched,
 * for anything else, NaN and infinities included. */
bool num_f64(const char *s, double *v);

/* The value of the hex digit c (0-9, a-f, A-F), or -1 when c is not one. */
int num_hex_digit(int c);

#endif
