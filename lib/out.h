/* out: the agent's answer, exactly one JSON object on stdout: the verb's reply, or the error shape
 * every aifb program uses, {"error","hint","detail","request_id"} (request_id is "" here). */
#ifndef AIFB_OUT_H
#define AIFB_OUT_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"
#include "err.h"

/* A JSON string of s (len bytes), with bytes that are not valid UTF-8 (and NUL) replaced by '?';
 * json null for NULL s. A new reference. */
json_t *out_strn(const char *s, size_t len);
json_t *out_str(const char *s);

/* Hands j to the arena, which drops the reference when it is freed; returns j. */
json_t *out_keep(struct arena *a, json_t *j);

/* j serialised with jansson's flags, as NUL-terminated text in the arena: the one way aifb turns
 * JSON into text it keeps (an SQL parameter, a command's input). NULL when j is NULL or cannot be
 * written (flags without JSON_ENCODE_ANY and j not an object or array). */
char *out_text(struct arena *a, const json_t *j, size_t flags);

/* Writes j compactly and a newline on stdout. Returns 0, or -1 when stdout fails. */
int out_print(const json_t *j);

/* Writes the error shape of e with detail (NULL: "") on stdout. Returns 0 or -1 as out_print. */
int out_error(enum err e, const char *detail);

#endif
