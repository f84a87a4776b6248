/* input: validation of declared inputs. */
#include "input.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_unconst.h"
#include "num.h"

/* Compiled patterns, keyed by the pattern's address (patterns live in static route tables). */
#define RE_CACHE 128
static struct {
    const char *pattern;
    regex_t re;
} re_cache[RE_CACHE];
static size_t re_n;

/* Compiles pattern anchored at both ends, so that it must match the whole value. */
static int compile(regex_t *re, const char *pattern)
{
    size_t n = strlen(pattern) + 5;
    char *anchored = malloc(n);
    if (!anchored)
        return -1;
    snprintf(anchored, n, "^(%s)$", pattern);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    return rc == 0 ? 0 : -1;
}

bool input_pattern_valid(const char *pattern)
{
    regex_t re;
    if (compile(&re, pattern) < 0)
        return false;
    regfree(&re);
    return true;
}

static bool pattern_ok(const char *pattern, const char *s)
{
    for (size_t i = 0; i < re_n; i++)
        if (re_cache[i].pattern == pattern)
            return regexec(&re_cache[i].re, s, 0, NULL, 0) == 0;
    regex_t re;
    if (compile(&re, pattern) < 0)
        return false; /* route_table_check refuses these at start-up */
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    if (re_n < RE_CACHE) {
        re_cache[re_n].pattern = pattern;
        re_cache[re_n].re = re;
        re_n++;
    } else {
        regfree(&re);
    }
    return ok;
}

static enum err bad(struct arena *a, const char **detail, const char *prefix, const char *name, const char *why)
{
    *detail = arena_printf(a, "field=%s%s%s: %s", prefix, *prefix ? "." : "", name, why);
    return ERR_INVALID_INPUT;
}

static const char *enum_list(struct arena *a, const char *const *v)
{
    size_t len = 1;
    for (const char *const *p = v; *p; p++)
        len += strlen(*p) + 2;
    char *s = arena_alloc(a, len), *w = s;
    for (const char *const *p = v; *p; p++) {
        size_t k = strlen(*p);
        if (p != v) {
            memcpy(w, ", ", 2);
            w += 2;
        }
        memcpy(w, *p, k);
        w += k;
    }
    *w = '\0';
    return s;
}

static enum err check_string(const struct field *f, const char *s, size_t len, const char *prefix, struct arena *a,
                             const char **detail)
{
    if (memchr(s, '\0', len))
        return bad(a, detail, prefix, f->name, "must not contain NUL bytes");
    if ((int64_t)len < f->min || (f->max && (int64_t)len > f->max))
        return bad(a, detail, prefix, f->name,
                   arena_printf(a, "length must be in [%lld, %lld]", (long long)f->min, (long long)f->max));
    if (f->pattern && !pattern_ok(f->pattern, s))
        return bad(a, detail, prefix, f->name, arena_printf(a, "must match %s", f->pattern));
    return ERR_OK;
}

static enum err check_enum(const struct field *f, const char *s, const char *prefix, struct arena *a,
                           const char **detail)
{
    for (const char *const *v = f->values; *v; v++)
        if (strcmp(*v, s) == 0)
            return ERR_OK;
    return bad(a, detail, prefix, f->name, arena_printf(a, "must be one of: %s", enum_list(a, f->values)));
}

static enum err check_int(const struct field *f, int64_t x, const char *prefix, struct arena *a, const char **detail)
{
    if (x < f->min || x > f->max)
        return bad(a, detail, prefix, f->name,
                   arena_printf(a, "must be an integer in [%lld, %lld]", (long long)f->min, (long long)f->max));
    return ERR_OK;
}

static enum err check_num(const struct field *f, double x, const char *prefix, struct arena *a, const char **detail)
{
    if (!isfinite(x) || x < f->fmin || x > f->fmax)
        return bad(a, detail, prefix, f->name, arena_printf(a, "must be a number in [%g, %g]", f->fmin, f->fmax));
    return ERR_OK;
}

enum err input_scalar(const struct field *f, const char *raw, struct slot *p, struct arena *a, const char **detail)
{
    p->decl = f;
    p->set = true;
    p->raw = raw;
    char *end;
    errno = 0;
    switch (f->type) {
    case FIELD_INT:
        /* strtoll alone would take " 5" and "+5" */
        if (!(isdigit((unsigned char)raw[0]) || (raw[0] == '-' && isdigit((unsigned char)raw[1]))))
            return bad(a, detail, "", f->name, "must be a whole number");
        p->i = strtoll(raw, &end, 10);
        if (errno || end == raw || *end)
            return bad(a, detail, "", f->name, "must be a whole number");
        p->d = (double)p->i;
        return check_int(f, p->i, "", a, detail);
    case FIELD_NUM:
        /* decimal only: strtod alone would take " 1", "0x10" and "infinity" */
        if (!*raw || strspn(raw, "0123456789+-.eE") != strlen(raw))
            return bad(a, detail, "", f->name, "must be a number");
        p->d = strtod(raw, &end);
        if (errno || end == raw || *end)
            return bad(a, detail, "", f->name, "must be a number");
        return check_num(f, p->d, "", a, detail);
    case FIELD_STR:
        return check_string(f, raw, strlen(raw), "", a, detail);
    case FIELD_ENUM:
        return check_enum(f, raw, "", a, detail);
    case FIELD_BOOL:
        if (strcmp(raw, "true") == 0 || strcmp(raw, "1") == 0)
            p->b = true;
        else if (strcmp(raw, "false") == 0 || strcmp(raw, "0") == 0)
            p->b = false;
        else
            return bad(a, detail, "", f->name, "must be true or false");
        return ERR_OK;
    case FIELD_OBJECT:
    case FIELD_ARRAY:
    case FIELD_MAP:
        break;
    }
    return bad(a, detail, "", f->name, "cannot be given in a URL");
}

static enum err check_map(const struct field *f, const json_t *v, const char *prefix, struct arena *a,
                          const char **detail)
{
    if (!json_is_object(v))
        return bad(a, detail, prefix, f->name, "must be an object of strings");
    if ((int64_t)json_object_size(v) > f->max)
        return bad(a, detail, prefix, f->name, arena_printf(a, "must have at most %lld members", (long long)f->max));
    const char *key;
    json_t *m;
    json_object_foreach(json_unconst(v), key, m)
    {
        const char *name = arena_printf(a, "%s[%.64s]", f->name, key);
        if (f->pattern && !pattern_ok(f->pattern, key))
            return bad(a, detail, prefix, name, arena_printf(a, "names must match %s", f->pattern));
        if (!json_is_string(m) || json_string_length(m) > 1024)
            return bad(a, detail, prefix, name, "must be a string of at most 1024 bytes");
    }
    return ERR_OK;
}

static enum err check_member(const struct field *f, const json_t *v, const char *prefix, struct arena *a,
                             const char **detail)
{
    switch (f->type) {
    case FIELD_INT:
        if (!json_is_integer(v))
            return bad(a, detail, prefix, f->name, "must be an integer");
        return check_int(f, json_integer_value(v), prefix, a, detail);
    case FIELD_NUM:
        if (!json_is_number(v))
            return bad(a, detail, prefix, f->name, "must be a number");
        return check_num(f, json_number_value(v), prefix, a, detail);
    case FIELD_STR:
        if (!json_is_string(v))
            return bad(a, detail, prefix, f->name, "must be a string");
        return check_string(f, json_string_value(v), json_string_length(v), prefix, a, detail);
    case FIELD_ENUM:
        if (!json_is_string(v))
            return bad(a, detail, prefix, f->name, "must be a string");
        return check_enum(f, json_string_value(v), prefix, a, detail);
    case FIELD_BOOL:
        return json_is_boolean(v) ? ERR_OK : bad(a, detail, prefix, f->name, "must be true or false");
    case FIELD_ARRAY:
        if (!json_is_array(v))
            return bad(a, detail, prefix, f->name, "must be an array");
        if ((int64_t)json_array_size(v) < f->min || (f->max && (int64_t)json_array_size(v) > f->max))
            return bad(a, detail, prefix, f->name,
                       arena_printf(a, "must have [%lld, %lld] elements", (long long)f->min, (long long)f->max));
        return ERR_OK;
    case FIELD_MAP:
        return check_map(f, v, prefix, a, detail);
    case FIELD_OBJECT:
        if (!json_is_object(v))
            return bad(a, detail, prefix, f->name, "must be an object");
        if (!f->fields)
            return ERR_OK;
        return input_object(f->fields, v, *prefix ? arena_printf(a, "%s.%s", prefix, f->name) : f->name, a, detail);
    }
    return bad(a, detail, prefix, f->name, "has an undeclared type");
}

enum err input_object(const struct field *fields, const json_t *obj, const char *prefix, struct arena *a,
                      const char **detail)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_unconst(obj), key, v)
    {
        const struct field *f = fields;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (!f->name)
            return bad(a, detail, prefix, key, "unknown field");
        /* null reads as absent, as most JSON producers write optional members that way */
        if (json_is_null(v))
            continue;
        enum err e = check_member(f, v, prefix, a, detail);
        if (e)
            return e;
    }
    for (const struct field *f = fields; f->name; f++) {
        const json_t *m = json_object_get(obj, f->name);
        if (f->required && (!m || json_is_null(m)))
            return bad(a, detail, prefix, f->name, "is required");
    }
    return ERR_OK;
}

size_t input_count(const struct field *fields)
{
    size_t n = 0;
    while (fields && fields[n].name)
        n++;
    return n;
}

static struct inputs *slots_of(const struct field *fields, const json_t *obj, const char *where, struct arena *a)
{
    struct inputs *in = arena_calloc(a, 1, sizeof(*in));
    in->n = input_count(fields);
    in->slot = arena_calloc(a, in->n ? in->n : 1, sizeof(*in->slot));
    in->where = where;
    in->arena = a;
    input_slots_fill(in->slot, fields, obj, where, a);
    return in;
}

/* One member's slot from its accepted value v (NULL or null: absent). */
static void slot_fill(struct slot *s, const struct field *f, const json_t *v, const char *where, struct arena *a)
{
    s->decl = f;
    if (f->type == FIELD_OBJECT && f->fields)
        s->obj = slots_of(f->fields, json_is_object(v) ? v : NULL, arena_printf(a, "%s.%s", where, f->name), a);
    if (!v || json_is_null(v))
        return;
    s->set = true;
    s->json = v;
    s->raw = json_string_value(v);
    s->i = json_is_integer(v) ? json_integer_value(v) : 0;
    s->d = json_number_value(v);
    s->b = json_is_true(v);
}

void input_slots_fill(struct slot *slots, const struct field *fields, const json_t *obj, const char *where,
                      struct arena *a)
{
    for (size_t i = 0; fields && fields[i].name; i++)
        slot_fill(&slots[i], &fields[i], obj ? json_object_get(obj, fields[i].name) : NULL, where, a);
}

const struct slot *input_find(const struct inputs *in, const char *name)
{
    for (size_t i = 0; i < in->n; i++)
        if (strcmp(in->slot[i].decl->name, name) == 0)
            return &in->slot[i];
    return NULL;
}

int input_pct_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = num_hex_digit((unsigned char)r[1]), lo = hi < 0 ? -1 : num_hex_digit((unsigned char)r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

enum err input_query(const char *qs, struct arena *a, struct query_pair **pairs, size_t *n, const char **detail)
{
    *n = 0;
    *pairs = NULL;
    if (!qs || !*qs)
        return ERR_OK;
    size_t cap = 1;
    for (const char *p = qs; *p; p++)
        cap += *p == '&';
    struct query_pair *out = arena_calloc(a, cap, sizeof(*out));
    char *copy = arena_strdup(a, qs);
    for (char *item = copy, *next; item; item = next) {
        next = strchr(item, '&');
        if (next)
            *next++ = '\0';
        if (!*item)
            continue;
        char *eq = strchr(item, '=');
        char *val = eq ? eq + 1 : item + strlen(item);
        if (eq)
            *eq = '\0';
        if (input_pct_decode(item) < 0 || input_pct_decode(val) < 0 || !*item) {
            *detail = arena_printf(a, "query: bad parameter near '%.40s'", item);
            return ERR_INVALID_INPUT;
        }
        for (size_t i = 0; i < *n; i++)
            if (strcmp(out[i].name, item) == 0) {
                *detail = arena_printf(a, "field=%.64s: given twice", item);
                return ERR_INVALID_INPUT;
            }
        out[*n].name = item;
        out[*n].value = val;
        (*n)++;
    }
    *pairs = out;
    return ERR_OK;
}
