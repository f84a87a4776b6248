/* out: one JSON object on stdout. */
#include "out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *out_strn(const char *s, size_t len)
{
    if (!s)
        return json_null();
    json_t *j = memchr(s, '\0', len) ? NULL : json_stringn(s, len);
    if (j)
        return j;
    /* not UTF-8 (a node name or message in another encoding): keep its ASCII */
    char *copy = malloc(len + 1);
    if (!copy)
        return json_string("");
    for (size_t i = 0; i < len; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 || s[i] == '\0' ? '?' : s[i];
    j = json_stringn(copy, len);
    free(copy);
    return j;
}

json_t *out_str(const char *s)
{
    return out_strn(s, s ? strlen(s) : 0);
}

static void decref(void *j)
{
    json_decref(j);
}

json_t *out_keep(struct arena *a, json_t *j)
{
    if (j)
        arena_defer(a, decref, j);
    return j;
}

char *out_text(struct arena *a, const json_t *j, size_t flags)
{
    size_t n = j ? json_dumpb(j, NULL, 0, flags) : 0;
    if (!n)
        return NULL;
    char *text = arena_alloc(a, n + 1);
    if (json_dumpb(j, text, n, flags) != n)
        return NULL;
    text[n] = '\0';
    return text;
}

int out_print(const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        return -1;
    int rc = fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout) != 0 ? -1 : 0;
    free(text);
    return rc;
}

int out_error(enum err e, const char *detail)
{
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(err_string(e)));
    json_object_set_new(j, "hint", json_string(err_hint(e)));
    json_object_set_new(j, "detail", out_str(detail ? detail : ""));
    json_object_set_new(j, "request_id", json_string(""));
    int rc = out_print(j);
    json_decref(j);
    return rc;
}
