/* jscan: a validating JSON scanner for the chunks of aifb-loadgen's answers, allocating nothing (but
 * a copy of a rare over-long real), since thousands of streams send tens of thousands a second. It
 * accepts exactly what jansson accepts: strict UTF-8, no \u0000, no lone surrogates, integers within
 * int64, finite reals, nesting to JSCAN_DEPTH. Callers walk the members they want with callbacks;
 * every other value is checked and skipped. Pure: it reads only the bytes it is given. */
#ifndef AIFB_LOADGEN_JSCAN_H
#define AIFB_LOADGEN_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSCAN_DEPTH 2048 /* nesting of values, as jansson's limit (which counts scalars too) */

/* Where a scan stands in its document; the callbacks get it and hand it on. */
struct jscan;

/* A string as scanned: its raw bytes between the quotes (pointing into the document), whether any
 * escape is in them, and the length in bytes it decodes to. */
struct jscan_str {
    const unsigned char *raw;
    size_t raw_len;
    bool escaped;
    int64_t len;
};

enum jscan_type { JSCAN_NULL, JSCAN_BOOL, JSCAN_INT, JSCAN_REAL, JSCAN_STRING, JSCAN_ARRAY, JSCAN_OBJECT };

/* A value as scanned. */
struct jscan_val {
    enum jscan_type type;
    int64_t i;          /* JSCAN_INT: its value; JSCAN_ARRAY: its element count */
    struct jscan_str s; /* JSCAN_STRING */
};

/* Called for each member of an object with its key and sc at its value (after the colon); it must
 * scan that value at depth, with jscan_value, jscan_object or jscan_array. Returns 0, or -1 when the
 * value is invalid (the document is then refused). Of duplicate members each is handed over in
 * turn: a callback that stores what it saw keeps the last, as jansson does. */
typedef int (*jscan_member_fn)(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx);

/* Called for element i (from 0) of an array with sc at it; scans it at depth as jscan_member_fn does. */
typedef int (*jscan_element_fn)(struct jscan *sc, int depth, int64_t i, void *ctx);

/* Scans p[0..n) as one JSON document (white space around it allowed) that must be an object, its
 * members handed to fn with ctx. Returns 0, or -1 when it is not valid JSON, not an object, or fn
 * refused a member. Not taken: jansson 2.14's one NUL byte skipped after a number or literal. */
int jscan_document(const char *p, size_t n, jscan_member_fn fn, void *ctx);

/* Scans any value at sc at depth into *v (its type, an integer's value, a string's facts), checking
 * and skipping what an array or object holds. Returns 0 or -1. */
int jscan_value(struct jscan *sc, int depth, struct jscan_val *v);

/* As jscan_value, but an object's members go to fn with ctx (v->type says whether it was one). */
int jscan_object(struct jscan *sc, int depth, jscan_member_fn fn, void *ctx, struct jscan_val *v);

/* As jscan_value, but an array's elements go to fn with ctx; v->i is then their count. */
int jscan_array(struct jscan *sc, int depth, jscan_element_fn fn, void *ctx, struct jscan_val *v);

/* Whether the scanned string s decodes to the ASCII string name. */
bool jscan_str_is(const struct jscan_str *s, const char *name);

#endif
