/* h_content: what an indexed log file holds, read from the mirror: a byte range, the last lines, a
 * fixed-string search with line numbers, and the whole file as a download. Files are addressed by
 * id only; the path comes from log_files and is opened through mirror_open.
 *
 * Every handler answers 404 log_file_not_found for an unknown id, 410 log_file_gone when the mirror
 * lacks the file or no longer holds it as a regular file (a link put in its place: refused, logged),
 * 500 internal when the file cannot be read (logged). Routes: fcgi-apps/logs/routes.c. */
#ifndef AIFB_LOGS_H_CONTENT_H
#define AIFB_LOGS_H_CONTENT_H

#include "err.h"

struct req;

/* GET .../content?offset=0&length=65536 (length at most 4194304): the raw bytes [offset, offset +
 * length), fewer at the end, as text/plain; charset=utf-8 with X-Aifb-Offset and X-Aifb-File-Size.
 * An offset at or past the end is 416 range_not_satisfiable (an empty file answers offset 0 with
 * no bytes). */
enum err h_content_get(struct req *r);

/* GET .../tail?lines=100 (1..100000): {"id", "path", "size_bytes", "start_offset", "lines" (returned),
 * "truncated" (the lines passed the cap, 4 MiB or less where the reply cap needs it: text is the end
 * of them, from a line start when one is within), "text"}. Bytes that are not UTF-8 read as U+FFFD. */
enum err h_content_tail(struct req *r);

/* GET .../search?q=TEXT&max=1000 (q: 1..256 bytes, case-sensitive, not a regex; max 1..10000):
 * {"id", "path", "q", "hits": [{"line": 1-based, "text": the line, cut to 64 KiB}], "more": a hit
 * past max, or past what the reply cap (reply.max_bytes) holds, was left out}. */
enum err h_content_search(struct req *r);

/* GET .../download: the whole file (its size when opened), streamed in 64 KiB pieces as text/plain;
 * charset=utf-8 with Content-Disposition: attachment; filename="<basename>". */
enum err h_content_download(struct req *r);

#endif
