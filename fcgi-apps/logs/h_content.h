/* h_content: what an indexed log file holds, read from the mirror: a byte range, the last lines, a
 * fixed-string search with line numbers, and the whole file as a download. Files are addressed by
 * id only; the path comes from log_files and is opened through mirror_open.
 *
 * Declarations for routes.c (the path parameter id, then the query parameters):
 *
 *   static const struct field content_params[] = {
 *       F_ID("id"), F_INT("offset", F_OPT, 0, INT64_MAX), F_INT("length", F_OPT, 1, 4194304), F_END,
 *   };
 *   static const struct field tail_params[] = {F_ID("id"), F_INT("lines", F_OPT, 1, 100000), F_END};
 *   static const struct field search_params[] = {
 *       F_ID("id"), F_STR("q", F_REQ, 1, 256, "[^[:cntrl:]]+"), F_INT("max", F_OPT, 1, 10000), F_END,
 *   };
 *
 *   {HTTP_GET, "/v1/files/{id}/content", h_files_content, ROLE_READ, 0, content_params, NULL},
 *   {HTTP_GET, "/v1/files/{id}/tail", h_files_tail, ROLE_READ, 0, tail_params, NULL},
 *   {HTTP_GET, "/v1/files/{id}/search", h_files_search, ROLE_READ, 0, search_params, NULL},
 *   {HTTP_GET, "/v1/files/{id}/download", h_files_download, ROLE_READ, 0, id_param, NULL},
 *
 * Every handler answers 404 log_file_not_found for an unknown id, 410 log_file_gone when the mirror
 * lacks the file, 400 invalid_input when the mirror refuses the indexed path (logged: it should not
 * happen), 500 internal when the file cannot be read (logged). */
#ifndef AIFB_LOGS_H_CONTENT_H
#define AIFB_LOGS_H_CONTENT_H

#include "err.h"

struct req;

/* GET .../content?offset=0&length=65536 (length at most 4194304): the raw bytes [offset, offset +
 * length), fewer at the end, as text/plain; charset=utf-8 with X-Aifb-Offset and X-Aifb-File-Size.
 * An offset at or past the end is 416 range_not_satisfiable (an empty file answers offset 0 with
 * no bytes). */
enum err h_files_content(struct req *r);

/* GET .../tail?lines=100 (1..100000): {"id", "path", "size_bytes", "start_offset", "lines" (returned),
 * "truncated" (the lines passed the cap, 4 MiB or less where the reply cap needs it: text is the end
 * of them, from a line start when one is within), "text"}. Bytes that are not UTF-8 read as U+FFFD. */
enum err h_files_tail(struct req *r);

/* GET .../search?q=TEXT&max=1000 (q: 1..256 bytes, case-sensitive, not a regex; max 1..10000):
 * {"id", "path", "q", "hits": [{"line": 1-based, "text": the line, cut to 64 KiB}], "more": a hit
 * past max, or past what the reply cap (reply.max_bytes) holds, was left out}. */
enum err h_files_search(struct req *r);

/* GET .../download: the whole file (its size when opened), streamed in 64 KiB pieces as text/plain;
 * charset=utf-8 with Content-Disposition: attachment; filename="<basename>". */
enum err h_files_download(struct req *r);

#endif
