/* jscan: the validating JSON scanner of aifb-loadgen's chunks. It follows jansson's lexer and its
 * checks (UTF-8, escapes, integer range, real overflow, depth) byte for byte, so that it accepts
 * exactly what json_loadb does, and allocates nothing but a copy of a real too long to check in
 * place. The fuzz harness of stream holds it to jansson's verdict and values. */
#include "jscan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "utf8.h"

struct jscan {
    const unsigned char *p, *end;
};

static void skip_ws(struct jscan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
        sc->p++;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = num_hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at p (after the backslash, at most n bytes): its code point's UTF-8 bytes in *bytes
 * and the escape's length, or 0 when invalid (bad hex, lone surrogate, \u0000). */
static size_t unicode_escape(const unsigned char *p, size_t n, int64_t *bytes)
{
    if (n < 5)
        return 0;
    int v = hex4(p + 1);
    if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return 0;
    if (v >= 0xD800 && v <= 0xDBFF) {
        if (n < 11 || p[5] != '\\' || p[6] != 'u')
            return 0;
        int lo = hex4(p + 7);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *bytes = 4;
        return 11;
    }
    *bytes = v < 0x80 ? 1 : v < 0x800 ? 2 : 3;
    return 5;
}

/* A string, the opening quote at sc->p. Returns 0 or -1. */
static int scan_string(struct jscan *sc, struct jscan_str *s)
{
    const unsigned char *p = sc->p + 1, *end = sc->end;
    *s = (struct jscan_str){.raw = p};
    while (p < end) {
        unsigned c = *p;
        if (c == '"') {
            s->raw_len = (size_t)(p - s->raw);
            sc->p = p + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            size_t k = 2;
            int64_t bytes = 1;
            s->escaped = true;
            if (p + 1 >= end)
                return -1;
            if (p[1] == 'u')
                k = unicode_escape(p + 1, (size_t)(end - p - 1), &bytes) + 1;
            else if (!strchr("\"\\/bfnrt", p[1]) || p[1] == '\0')
                return -1;
            if (k == 1)
                return -1;
            p += k;
            s->len += bytes;
            continue;
        }
        size_t k = c < 0x80 ? 1 : utf8_char(p, (size_t)(end - p));
        if (k == 0)
            return -1;
        p += k;
        s->len += (int64_t)k;
    }
    return -1;
}

bool jscan_str_is(const struct jscan_str *s, const char *name)
{
    size_t n = strlen(name);
    if (!s->escaped)
        return s->raw_len == n && memcmp(s->raw, name, n) == 0;
    const unsigned char *p = s->raw, *end = s->raw + s->raw_len;
    size_t i = 0;
    while (p < end) {
        int c = *p++;
        if (c == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            if (*p == 'u') {
                c = hex4(p + 1); /* scanned already: valid; a surrogate pair never matches ASCII */
                p += c >= 0xD800 && c <= 0xDBFF ? 11 : 5;
            } else {
                c = to[strchr(from, *p) - from];
                p++;
            }
        }
        if (i >= n || c != (unsigned char)name[i])
            return false;
        i++;
    }
    return i == n;
}

/* The integer token p[0..end) (digits known valid) into *out, as jansson's strtoll: 0, or -1 when
 * it is outside int64. */
static int scan_int(const unsigned char *p, const unsigned char *end, int64_t *out)
{
    bool neg = *p == '-';
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (p += neg; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return -1; /* jansson: "too big integer" */
        v = v * 10 + d;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 0;
}

/* Whether the real token p[0..n) overflows a double (jansson refuses that, not underflow). Without
 * an exponent and with at most 308 digits before the point it cannot. */
static bool real_overflows(const unsigned char *p, size_t n, bool has_exp, size_t int_digits)
{
    if (!has_exp && int_digits <= 308)
        return false;
    char small[64], *copy = n < sizeof(small) ? small : malloc(n + 1);
    if (!copy)
        return true;
    memcpy(copy, p, n);
    copy[n] = '\0';
    char *end;
    double d = strtod(copy, &end);
    bool whole = end == copy + n; /* the token was scanned as a number: strtod reads all of it */
    if (copy != small)
        free(copy);
    return !whole || isinf(d);
}

static bool is_digit(const struct jscan *sc)
{
    return sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9';
}

/* A number as jansson lexes it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, integers within
 * int64, reals finite. */
static int scan_number(struct jscan *sc, struct jscan_val *v)
{
    const unsigned char *start = sc->p;
    bool real = false, exp = false;
    if (*sc->p == '-')
        sc->p++;
    if (!is_digit(sc))
        return -1;
    if (*sc->p++ == '0' && is_digit(sc))
        return -1;
    while (is_digit(sc))
        sc->p++;
    size_t int_digits = (size_t)(sc->p - start);
    if (sc->p < sc->end && *sc->p == '.') {
        real = true;
        sc->p++;
        if (!is_digit(sc))
            return -1;
        while (is_digit(sc))
            sc->p++;
    }
    if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
        real = exp = true;
        sc->p++;
        if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
            sc->p++;
        if (!is_digit(sc))
            return -1;
        while (is_digit(sc))
            sc->p++;
    }
    if (!real) {
        v->type = JSCAN_INT;
        return scan_int(start, sc->p, &v->i);
    }
    v->type = JSCAN_REAL;
    return real_overflows(start, (size_t)(sc->p - start), exp, int_digits) ? -1 : 0;
}

static int scan_literal(struct jscan *sc, const char *word, enum jscan_type type, struct jscan_val *v)
{
    size_t n = strlen(word);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
        return -1;
    sc->p += n;
    v->type = type;
    return 0;
}

static int skip_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    (void)key, (void)ctx;
    struct jscan_val v;
    return jscan_value(sc, depth, &v);
}

/* An object at sc->p ('{'), its members handed to fn at depth + 1. */
static int scan_object(struct jscan *sc, int depth, jscan_member_fn fn, void *ctx)
{
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        return 0;
    }
    for (;;) {
        struct jscan_str key;
        if (sc->p >= sc->end || *sc->p != '"' || scan_string(sc, &key) < 0)
            return -1;
        skip_ws(sc);
        if (sc->p >= sc->end || *sc->p != ':')
            return -1;
        sc->p++;
        skip_ws(sc);
        if (fn(sc, depth + 1, &key, ctx) < 0)
            return -1;
        skip_ws(sc);
        if (sc->p >= sc->end)
            return -1;
        if (*sc->p == '}') {
            sc->p++;
            return 0;
        }
        if (*sc->p++ != ',')
            return -1;
        skip_ws(sc);
    }
}

static int skip_element(struct jscan *sc, int depth, int64_t i, void *ctx)
{
    (void)i, (void)ctx;
    struct jscan_val v;
    return jscan_value(sc, depth, &v);
}

/* An array at sc->p ('['); its elements handed to fn at depth + 1. Returns the count, or -1. */
static int64_t scan_array(struct jscan *sc, int depth, jscan_element_fn fn, void *ctx)
{
    int64_t n = 0;
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == ']') {
        sc->p++;
        return 0;
    }
    for (;;) {
        if (fn(sc, depth + 1, n++, ctx) < 0)
            return -1;
        skip_ws(sc);
        if (sc->p >= sc->end)
            return -1;
        if (*sc->p == ']') {
            sc->p++;
            return n;
        }
        if (*sc->p++ != ',')
            return -1;
        skip_ws(sc);
    }
}

/* Any value at depth (jansson counts every value, scalars too, against its limit). */
int jscan_value(struct jscan *sc, int depth, struct jscan_val *v)
{
    if (depth > JSCAN_DEPTH || sc->p >= sc->end)
        return -1;
    switch (*sc->p) {
    case '{':
        v->type = JSCAN_OBJECT;
        return scan_object(sc, depth, skip_member, NULL);
    case '[':
        v->type = JSCAN_ARRAY;
        v->i = scan_array(sc, depth, skip_element, NULL);
        return v->i < 0 ? -1 : 0;
    case '"':
        v->type = JSCAN_STRING;
        return scan_string(sc, &v->s);
    case 't':
        return scan_literal(sc, "true", JSCAN_BOOL, v);
    case 'f':
        return scan_literal(sc, "false", JSCAN_BOOL, v);
    case 'n':
        return scan_literal(sc, "null", JSCAN_NULL, v);
    default:
        return scan_number(sc, v);
    }
}

/* Whether the value at sc is a container opened by c that may still nest at depth (past the limit
 * jscan_value refuses it). */
static bool at_container(const struct jscan *sc, int depth, unsigned char c)
{
    return depth <= JSCAN_DEPTH && sc->p < sc->end && *sc->p == c;
}

int jscan_object(struct jscan *sc, int depth, jscan_member_fn fn, void *ctx, struct jscan_val *v)
{
    if (!at_container(sc, depth, '{'))
        return jscan_value(sc, depth, v);
    v->type = JSCAN_OBJECT;
    return scan_object(sc, depth, fn, ctx);
}

int jscan_array(struct jscan *sc, int depth, jscan_element_fn fn, void *ctx, struct jscan_val *v)
{
    if (!at_container(sc, depth, '['))
        return jscan_value(sc, depth, v);
    v->type = JSCAN_ARRAY;
    v->i = scan_array(sc, depth, fn, ctx);
    return v->i < 0 ? -1 : 0;
}

int jscan_document(const char *p, size_t n, jscan_member_fn fn, void *ctx)
{
    struct jscan sc = {.p = (const unsigned char *)p, .end = (const unsigned char *)p + n};
    skip_ws(&sc);
    if (sc.p >= sc.end || *sc.p != '{' || scan_object(&sc, 1, fn, ctx) < 0)
        return -1;
    skip_ws(&sc);
    return sc.p == sc.end ? 0 : -1;
}
