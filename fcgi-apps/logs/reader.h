/* reader: the ways aifb-logs reads a log file, given an fd of a regular file: a byte range, the last
 * lines (read backwards from the end, so a tail costs the same for 1 KB and 1 GB), a fixed-string
 * search with line numbers, and the UTF-8 repair that JSON needs. Pure: no request, database or
 * config; every error is -1 with errno. Memory: at most 192 KiB per call, freed before it returns. */
#ifndef AIFB_LOGS_READER_H
#define AIFB_LOGS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

#define READER_BLOCK (64 * 1024)          /* bytes read at a time */
#define READER_LINE_MAX (64 * 1024)       /* a search hit's text is cut to this */
#define READER_TAIL_MAX (4 * 1024 * 1024) /* the usual cap of a tail, as out's max */

/* Appends to out the bytes [offset, offset + len) of fd, fewer where the file ends. Returns the
 * count appended (0 at or past the end), or -1 with errno: EINVAL for a negative offset, ENOBUFS
 * when out's cap refuses them (out then holds what came before), or as pread(2). */
ssize_t reader_range(int fd, off_t offset, size_t len, struct buf *out);

/* What reader_tail gives besides -1. */
enum { READER_WHOLE = 0, READER_CUT = 1 };

/* Appends to out the last `lines` lines of fd's first size bytes (size: the file's size from fstat),
 * reading backwards in READER_BLOCK blocks and never before what it returns (or the cap). A last line
 * without '\n' counts as a line; a final '\n' does not start an empty one. *start gets the offset
 * of the first byte appended. The cap is the room left in out (out->max - out->len): when the lines
 * pass it, the text is the last cap bytes, from the first line start within them when there is one,
 * and READER_CUT is returned. Returns READER_WHOLE, READER_CUT, or -1 with errno (EAGAIN when the
 * file shrank under the read). lines <= 0 gives nothing, at size. */
int reader_tail(int fd, off_t size, long lines, struct buf *out, off_t *start);

/* The number of lines in s (len bytes), counted as reader_tail counts them. */
long reader_count_lines(const char *s, size_t len);

/* Called for each line holding the needle: line_no counts from 1, line (len bytes, not
 * NUL-terminated, no '\n', cut to READER_LINE_MAX) is valid during the call only. Returns 0 to go
 * on, anything else to stop the search. */
typedef int (*reader_hit_fn)(void *ctx, long line_no, const char *line, size_t len);

/* Streams through fd from its start in blocks and calls hit for each line that contains needle
 * (nlen bytes, case-sensitive, no regex) up to max_hits lines; lines of any length are searched
 * whole. Returns the number of hits reported, and *more tells whether a line beyond max_hits holds
 * the needle too (the search stops at the first such line). A needle with '\n' matches nothing.
 * Errors: -1 with errno: EINVAL for nlen of 0 or over READER_LINE_MAX or a negative max_hits, or as
 * pread(2). When hit stops the search, the hits so far are returned with *more false. */
long reader_search(int fd, const char *needle, size_t nlen, long max_hits, reader_hit_fn hit, void *ctx, bool *more);

/* Appends s (len bytes) to out with each byte that does not belong to valid UTF-8, and each NUL,
 * replaced by U+FFFD, so that jansson takes it. Returns 0, or -1 when out's cap refuses it. */
int reader_utf8(const char *s, size_t len, struct buf *out);

#endif
