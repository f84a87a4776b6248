/* openapi: the OpenAPI 3.1 document of an app, generated from its route table: each route's path,
 * method, role (as bearer security), declared parameters and JSON body (as JSON Schema), and the one
 * error shape of lib/err.def. Served at GET /api/<app>/v1/openapi.json (h_system.c) and printed by
 * `aifb-<app> --openapi`, so that both are the same document. */
#ifndef AIFB_OPENAPI_H
#define AIFB_OPENAPI_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct app_def;

/* The document of def's table. Returns a new reference (the caller's), or NULL when memory ran out. */
json_t *openapi_document(const struct app_def *def);

/* Writes the document to out, indented, with a final newline. Returns 0, or -1 when it could not be
 * built or written. */
int openapi_print(const struct app_def *def, FILE *out);

/* Translates a route table's pattern (a POSIX extended regex that must match the whole value) into
 * an ECMA-262 one that JSON Schema applies unanchored: POSIX classes ([[:print:]] ...) spelled out
 * in ASCII, literal braces and brackets escaped, and ^(?:...)$ around it unless it is anchored at
 * both ends already. Writes it NUL-terminated into out (n bytes; 4 * strlen(posix) + 16 is always
 * enough). Returns 0, or -1 when out is too small or the pattern uses what ECMA-262 cannot say (an
 * unknown class, a collating element of more than one character, an unclosed bracket). */
int openapi_pattern(const char *posix, char *out, size_t n);

#endif
