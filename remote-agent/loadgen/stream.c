/* stream: an answer of an OpenAI-compatible server read as it arrives. The first half is the JSON
 * scanner of the chunks (validating, no allocation, jansson's rules), the second the SSE framing and
 * the verdict. The fuzz harness holds the scanner to jansson's verdict and values. */
#include "stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the JSON scanner ---- */

struct scan {
    const unsigned char *p, *end;
};

/* A string as scanned: its raw bytes between the quotes, whether any escape is in them, and the
 * length it decodes to. */
struct str {
    const unsigned char *raw;
    size_t raw_len;
    bool escaped;
    int64_t len;
};

enum vtype { V_NULL, V_BOOL, V_INT, V_REAL, V_STRING, V_ARRAY, V_OBJECT };

struct val {
    enum vtype type;
    int64_t i;    /* V_INT */
    struct str s; /* V_STRING */
};

/* The facts of choices[0]'s members that carry text: -1 absent or not a string, else decoded bytes. */
struct texts {
    int64_t text, delta_content, delta_reasoning, msg_content, msg_reasoning;
};

struct facts {
    struct stream_chunk *c;
    struct texts t;
    int64_t object_is_error; /* "object": "error" (old vLLM error shape) */
    int64_t top_code;        /* its top-level "code"; 0 none */
    bool error_member;       /* "error" is not null */
    int64_t error_code;      /* "error"."code" */
};

static void skip_ws(struct scan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
        sc->p++;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The UTF-8 sequence at p (at most n bytes) as jansson checks it: its length, or 0 when invalid
 * (overlong forms, surrogates, past U+10FFFF, a bad continuation byte). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned v;
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len > n)
        return 0;
    v = c & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
    for (size_t i = 1; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000))
        return 0;
    return len;
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
static int scan_string(struct scan *sc, struct str *s)
{
    const unsigned char *p = sc->p + 1, *end = sc->end;
    *s = (struct str){.raw = p};
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
        size_t k = c < 0x80 ? 1 : utf8_len(p, (size_t)(end - p));
        if (k == 0)
            return -1;
        p += k;
        s->len += (int64_t)k;
    }
    return -1;
}

/* Whether the scanned string s equals the ASCII name (escapes decoded). */
static bool str_is(const struct str *s, const char *name)
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

/* Whether v (known to be in range) is the value of an integer token; jansson's strtoll. */
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

static bool is_digit(const struct scan *sc)
{
    return sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9';
}

/* A number as jansson lexes it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, integers within
 * int64, reals finite. */
static int scan_number(struct scan *sc, struct val *v)
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
        v->type = V_INT;
        return scan_int(start, sc->p, &v->i);
    }
    v->type = V_REAL;
    return real_overflows(start, (size_t)(sc->p - start), exp, int_digits) ? -1 : 0;
}

static int scan_literal(struct scan *sc, const char *word, enum vtype type, struct val *v)
{
    size_t n = strlen(word);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
        return -1;
    sc->p += n;
    v->type = type;
    return 0;
}

/* Called for each member of an object with the key scanned and sc at the value (after the colon
 * and white space); scans the value at depth. Returns 0 or -1. */
typedef int (*member_fn)(struct scan *sc, int depth, const struct str *key, void *ctx);

static int scan_value(struct scan *sc, int depth, struct val *v);

static int skip_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    (void)key, (void)ctx;
    struct val v;
    return scan_value(sc, depth, &v);
}

/* An object at sc->p ('{'), its members handed to fn at depth + 1. */
static int scan_object(struct scan *sc, int depth, member_fn fn, void *ctx)
{
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        return 0;
    }
    for (;;) {
        struct str key;
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

/* Called for element i of an array with sc at it; scans it at depth. */
typedef int (*element_fn)(struct scan *sc, int depth, int64_t i, void *ctx);

static int skip_element(struct scan *sc, int depth, int64_t i, void *ctx)
{
    (void)i, (void)ctx;
    struct val v;
    return scan_value(sc, depth, &v);
}

/* An array at sc->p ('['); its elements handed to fn at depth + 1. Returns the count, or -1. */
static int64_t scan_array(struct scan *sc, int depth, element_fn fn, void *ctx)
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
static int scan_value(struct scan *sc, int depth, struct val *v)
{
    if (depth > STREAM_JSON_DEPTH || sc->p >= sc->end)
        return -1;
    switch (*sc->p) {
    case '{':
        v->type = V_OBJECT;
        return scan_object(sc, depth, skip_member, NULL);
    case '[':
        v->type = V_ARRAY;
        return scan_array(sc, depth, skip_element, NULL) < 0 ? -1 : 0;
    case '"':
        v->type = V_STRING;
        return scan_string(sc, &v->s);
    case 't':
        return scan_literal(sc, "true", V_BOOL, v);
    case 'f':
        return scan_literal(sc, "false", V_BOOL, v);
    case 'n':
        return scan_literal(sc, "null", V_NULL, v);
    default:
        return scan_number(sc, v);
    }
}

/* A value scanned with fn when it is an object, or as any value otherwise; *was_object says which. */
static int object_or_value(struct scan *sc, int depth, member_fn fn, void *ctx, struct val *v)
{
    if (depth <= STREAM_JSON_DEPTH && sc->p < sc->end && *sc->p == '{') {
        v->type = V_OBJECT;
        return scan_object(sc, depth, fn, ctx);
    }
    return scan_value(sc, depth, v);
}

static int64_t string_len_or_none(const struct val *v)
{
    return v->type == V_STRING ? v->s.len : -1;
}

/* Members of "delta" or "message": content and reasoning_content. ctx: two int64_t. */
static int message_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    int64_t *lens = ctx;
    struct val v;
    if (scan_value(sc, depth, &v) < 0)
        return -1;
    if (str_is(key, "content"))
        lens[0] = string_len_or_none(&v);
    else if (str_is(key, "reasoning_content"))
        lens[1] = string_len_or_none(&v);
    return 0;
}

static int choice_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    struct facts *f = ctx;
    struct val v;
    bool delta = str_is(key, "delta"), message = !delta && str_is(key, "message");
    if (delta || message) {
        int64_t lens[2] = {-1, -1};
        if (object_or_value(sc, depth, message_member, lens, &v) < 0)
            return -1;
        *(delta ? &f->t.delta_content : &f->t.msg_content) = lens[0];
        *(delta ? &f->t.delta_reasoning : &f->t.msg_reasoning) = lens[1];
        return 0;
    }
    if (scan_value(sc, depth, &v) < 0)
        return -1;
    if (str_is(key, "text"))
        f->t.text = string_len_or_none(&v);
    else if (str_is(key, "finish_reason"))
        f->c->finish = v.type == V_STRING;
    return 0;
}

static const struct texts no_texts = {-1, -1, -1, -1, -1};

static int choice_element(struct scan *sc, int depth, int64_t i, void *ctx)
{
    struct facts *f = ctx;
    struct val v;
    if (i != 0)
        return scan_value(sc, depth, &v);
    /* choices[0] that is not an object has no text and no finish */
    return object_or_value(sc, depth, choice_member, f, &v);
}

static int usage_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    struct stream_chunk *c = ctx;
    struct val v;
    if (scan_value(sc, depth, &v) < 0)
        return -1;
    if (str_is(key, "prompt_tokens"))
        c->prompt_tokens = v.type == V_INT ? v.i : -1;
    else if (str_is(key, "completion_tokens"))
        c->completion_tokens = v.type == V_INT ? v.i : -1;
    return 0;
}

static int error_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    int64_t *code = ctx;
    struct val v;
    if (scan_value(sc, depth, &v) < 0)
        return -1;
    if (str_is(key, "code"))
        *code = v.type == V_INT ? v.i : 0;
    return 0;
}

/* "choices": the count, and choices[0]'s facts; a later "choices" replaces an earlier one's. */
static int top_choices(struct scan *sc, int depth, struct facts *f)
{
    struct val v;
    f->t = no_texts;
    f->c->finish = false;
    f->c->choices = -1;
    if (depth <= STREAM_JSON_DEPTH && sc->p < sc->end && *sc->p == '[') {
        f->c->choices = scan_array(sc, depth, choice_element, f);
        return f->c->choices < 0 ? -1 : 0;
    }
    return scan_value(sc, depth, &v);
}

static int top_member(struct scan *sc, int depth, const struct str *key, void *ctx)
{
    struct facts *f = ctx;
    struct val v;
    if (str_is(key, "choices"))
        return top_choices(sc, depth, f);
    if (str_is(key, "usage")) {
        f->c->prompt_tokens = f->c->completion_tokens = -1;
        return object_or_value(sc, depth, usage_member, f->c, &v);
    }
    if (str_is(key, "error")) {
        f->error_code = 0;
        if (object_or_value(sc, depth, error_member, &f->error_code, &v) < 0)
            return -1;
        f->error_member = v.type != V_NULL;
        return 0;
    }
    if (scan_value(sc, depth, &v) < 0)
        return -1;
    if (str_is(key, "object"))
        f->object_is_error = v.type == V_STRING && str_is(&v.s, "error");
    else if (str_is(key, "code"))
        f->top_code = v.type == V_INT ? v.i : 0;
    return 0;
}

static int64_t add_len(int64_t sum, int64_t len)
{
    return len > 0 ? sum + len : sum;
}

int stream_scan(const char *p, size_t n, struct stream_chunk *c)
{
    struct scan sc = {.p = (const unsigned char *)p, .end = (const unsigned char *)p + n};
    struct facts f = {.c = c, .t = no_texts};
    *c = (struct stream_chunk){.choices = -1, .prompt_tokens = -1, .completion_tokens = -1};
    skip_ws(&sc);
    if (sc.p >= sc.end || *sc.p != '{' || scan_object(&sc, 1, top_member, &f) < 0)
        return -1;
    skip_ws(&sc);
    if (sc.p != sc.end)
        return -1;
    const struct texts *t = &f.t;
    c->text =
        t->text > 0 || t->delta_content > 0 || t->delta_reasoning > 0 || t->msg_content > 0 || t->msg_reasoning > 0;
    c->text_len =
        add_len(add_len(add_len(add_len(add_len(0, t->text), t->delta_content), t->delta_reasoning), t->msg_content),
                t->msg_reasoning);
    if (f.error_member) {
        c->error = true;
        c->error_code = f.error_code;
    } else if (f.object_is_error) {
        c->error = true;
        c->error_code = f.top_code;
    }
    return 0;
}

/* ---- the answer ---- */

static const char *const CLASS_HTTP = "http_error", *const CLASS_PROTOCOL = "protocol";

void stream_init(struct stream *s, bool want_sse)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->line, STREAM_EVENT_MAX);
    buf_init(&s->data, STREAM_EVENT_MAX);
    buf_init(&s->body, STREAM_BODY_MAX);
    stream_reset(s, want_sse);
}

void stream_reset(struct stream *s, bool want_sse)
{
    buf_clear(&s->line);
    buf_clear(&s->data);
    if (s->body.cap > STREAM_EVENT_MAX) {
        buf_free(&s->body); /* one huge answer should not pin its memory for the rest of the run */
        buf_init(&s->body, STREAM_BODY_MAX);
    }
    buf_clear(&s->body);
    s->want_sse = want_sse;
    s->head_seen = s->sse = false;
    s->http_status = 0;
    s->error = NULL;
    s->error_status = 0;
    s->has_data = s->cr = s->any_line = false;
    s->first_us = s->last_us = s->last_read_us = 0;
    s->n_itl = 0;
    s->text_chunks = s->text_len = 0;
    s->usage_prompt = s->usage_completion = -1;
    s->live_tokens = 0;
    s->finished = s->done = false;
}

void stream_free(struct stream *s)
{
    buf_free(&s->line);
    buf_free(&s->data);
    buf_free(&s->body);
    free(s->itl);
    s->itl = NULL;
    s->cap_itl = s->n_itl = 0;
}

void stream_head(struct stream *s, int http_status, const char *content_type)
{
    s->head_seen = true;
    s->http_status = http_status;
    if (content_type)
        s->sse = strncasecmp(content_type, "text/event-stream", 17) == 0;
    else
        s->sse = s->want_sse;
}

static bool ok_status(int status)
{
    return status >= 200 && status <= 299;
}

static void add_gap(struct stream *s, int64_t gap)
{
    if (s->n_itl == STREAM_ITL_MAX)
        return;
    if (s->n_itl == s->cap_itl) {
        uint32_t cap = s->cap_itl ? s->cap_itl * 2 : 64;
        int32_t *v = realloc(s->itl, (size_t)cap * sizeof(*v));
        if (!v)
            abort(); /* as the arena: a load generator without memory has nothing useful left to do */
        s->itl = v;
        s->cap_itl = cap;
    }
    s->itl[s->n_itl++] = gap < 0 ? 0 : gap > INT32_MAX ? INT32_MAX : (int32_t)gap;
}

/* An error object in a 2xx answer: the status it names when that is an HTTP error status. */
static void error_object(struct stream *s, int64_t code)
{
    if (code >= 400 && code <= 599) {
        s->error = CLASS_HTTP;
        s->error_status = (int)code;
    } else {
        s->error = CLASS_PROTOCOL;
    }
}

/* The live count of output tokens after chunk c: its usage's completion count when it has one (the
 * count never goes down), else one more for a chunk with text. */
static void count_live(struct stream *s, const struct stream_chunk *c)
{
    if (c->completion_tokens >= 0) {
        if (c->completion_tokens > s->live_tokens)
            s->live_tokens = c->completion_tokens;
    } else if (c->choices > 0 && c->text) {
        s->live_tokens++;
    }
}

/* A chunk of a stream: a content chunk (non-empty choices) is a TTFT or ITL point. */
static void take_chunk(struct stream *s, const struct stream_chunk *c, int64_t now)
{
    if (c->error) {
        error_object(s, c->error_code);
        return;
    }
    if (c->choices > 0) {
        if (s->first_us == 0)
            s->first_us = now;
        else
            add_gap(s, now - s->last_us);
        s->last_us = now;
        if (c->text) {
            s->text_chunks++;
            s->text_len += c->text_len;
        }
        if (c->finish)
            s->finished = true;
    }
    count_live(s, c);
    if (c->prompt_tokens >= 0)
        s->usage_prompt = c->prompt_tokens;
    if (c->completion_tokens >= 0)
        s->usage_completion = c->completion_tokens;
}

/* The event whose data lines have been gathered. Empty events and anything after [DONE] or an
 * error say nothing. */
static void dispatch(struct stream *s, int64_t now)
{
    if (!s->has_data)
        return;
    s->has_data = false;
    const char *d = s->data.data;
    size_t n = s->data.len;
    struct stream_chunk c;
    if (n > 0 && !s->done && !s->error) {
        if (n == 6 && memcmp(d, "[DONE]", 6) == 0)
            s->done = true;
        else if (stream_scan(d, n, &c) < 0)
            s->error = CLASS_PROTOCOL;
        else
            take_chunk(s, &c, now);
    }
    buf_clear(&s->data);
}

/* One line of the event stream, its end taken off. Only data fields matter; comments (":..."),
 * event, id and retry fields are skipped. */
static void take_line(struct stream *s, const char *line, size_t len, int64_t now)
{
    if (!s->any_line) {
        s->any_line = true;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
    }
    if (len == 0) {
        dispatch(s, now);
        return;
    }
    const char *colon = memchr(line, ':', len);
    size_t flen = colon ? (size_t)(colon - line) : len;
    if (flen != 4 || memcmp(line, "data", 4) != 0)
        return;
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if ((s->has_data && buf_append(&s->data, "\n", 1) < 0) || buf_append(&s->data, v, vlen) < 0)
        s->error = CLASS_PROTOCOL;
    s->has_data = true;
}

/* The end of the line starting at p (n bytes): its CR or LF, or NULL when it has none yet. */
static const char *line_end(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    const char *cr = memchr(p, '\r', nl ? (size_t)(nl - p) : n);
    return cr ? cr : nl;
}

static int feed_sse(struct stream *s, const char *p, size_t n, int64_t now)
{
    int64_t before = s->live_tokens;
    while (n > 0 && s->error != CLASS_PROTOCOL) {
        if (s->cr) {
            s->cr = false;
            if (*p == '\n') {
                p++;
                n--;
                continue;
            }
        }
        const char *eol = line_end(p, n);
        if (!eol) {
            if (buf_append(&s->line, p, n) < 0)
                s->error = CLASS_PROTOCOL; /* a line over STREAM_EVENT_MAX */
            break;
        }
        size_t len = (size_t)(eol - p);
        if (s->line.len == 0) {
            take_line(s, p, len, now); /* the usual case: the whole line is in this read */
        } else if (buf_append(&s->line, p, len) < 0) {
            s->error = CLASS_PROTOCOL;
        } else {
            take_line(s, s->line.data, s->line.len, now);
            buf_clear(&s->line);
        }
        s->cr = *eol == '\r';
        p = eol + 1;
        n -= len + 1;
    }
    int64_t got = s->live_tokens - before;
    return s->error == CLASS_PROTOCOL ? -1 : got > INT32_MAX ? INT32_MAX : (int)got;
}

int stream_feed(struct stream *s, const char *p, size_t n, int64_t now_us)
{
    if (!s->head_seen)
        stream_head(s, 0, NULL);
    s->last_read_us = now_us;
    if (s->error == CLASS_PROTOCOL)
        return -1;
    if (!ok_status(s->http_status))
        return 0; /* read and dropped, so that the connection can serve the next request */
    if (s->sse)
        return feed_sse(s, p, n, now_us);
    if (buf_append(&s->body, p, n) < 0) {
        s->error = CLASS_PROTOCOL;
        return -1;
    }
    return 0;
}

/* The end of a complete stream: a last event not followed by its blank line still counts. */
static const char *finish_sse(struct stream *s)
{
    if (s->line.len) {
        take_line(s, s->line.data, s->line.len, s->last_read_us);
        buf_clear(&s->line);
    }
    dispatch(s, s->last_read_us);
    if (s->error)
        return s->error;
    return s->finished || s->done ? NULL : "stream_cut";
}

/* A complete whole answer: one JSON object with choices, its time the answer's end. */
static const char *finish_body(struct stream *s)
{
    struct stream_chunk c;
    if (stream_scan(s->body.data ? s->body.data : "", s->body.len, &c) < 0)
        return CLASS_PROTOCOL;
    if (c.error) {
        error_object(s, c.error_code);
        return s->error;
    }
    if (c.choices <= 0)
        return CLASS_PROTOCOL;
    s->first_us = s->last_us = s->last_read_us;
    s->text_chunks = c.text ? 1 : 0;
    s->text_len = c.text_len;
    s->usage_prompt = c.prompt_tokens;
    s->usage_completion = c.completion_tokens;
    return NULL;
}

static const char *verdict(struct stream *s, enum stream_end how)
{
    if (how == STREAM_END_CANCELLED)
        return "cancelled";
    if (s->head_seen && s->http_status != 0 && !ok_status(s->http_status))
        return CLASS_HTTP;
    if (how == STREAM_END_CONNECT)
        return "connect";
    if (how == STREAM_END_TIMEOUT)
        return "timeout";
    if (s->error)
        return s->error;
    if (how == STREAM_END_CUT)
        return "stream_cut";
    if (how != STREAM_END_OK || !s->head_seen || s->http_status == 0)
        return CLASS_PROTOCOL;
    return s->sse ? finish_sse(s) : finish_body(s);
}

void stream_finish(struct stream *s, enum stream_end how, int64_t prompt_estimate, struct record *r)
{
    r->error_class = verdict(s, how);
    r->http_status = s->error == CLASS_HTTP && r->error_class == CLASS_HTTP && ok_status(s->http_status)
                         ? s->error_status
                         : s->http_status;
    r->first_chunk_us = s->first_us;
    r->last_chunk_us = s->last_us;
    r->itl_us = s->itl;
    r->n_itl = s->n_itl;
    int64_t completion = s->sse ? s->text_chunks : (s->text_len + 3) / 4;
    r->prompt_tokens = s->usage_prompt >= 0 ? s->usage_prompt : prompt_estimate;
    r->completion_tokens = s->usage_completion >= 0 ? s->usage_completion : completion;
    r->tokens_estimated = s->usage_prompt < 0 || s->usage_completion < 0;
}
