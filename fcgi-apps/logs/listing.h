/* listing: one line of `rsync --list-only --no-h` as aifb-logs reads it:
 *   "-rw-r--r--            123 2026/11/27 12:34:56 logs/vllm/aifb-svc-3-77.out"
 * (permissions, size, date and time in the local zone, which aifb-logs sets to UTC, then the name). */
#ifndef AIFB_LOGS_LISTING_H
#define AIFB_LOGS_LISTING_H

#include <stdint.h>

struct listing_entry {
    const char *path; /* inside the line */
    int64_t size;
    int64_t mtime; /* Unix seconds */
};

enum listing_kind {
    LISTING_FILE = 1,   /* a regular file whose path categorize_path_ok takes: *e is filled */
    LISTING_FOLDER = 0, /* a folder (or the root "."): nothing to do */
    LISTING_SKIP = -1,  /* anything else: a link, a device, a name out of the rules, a line not of this form */
};

/* Reads line (NUL-terminated, without its newline). */
enum listing_kind listing_parse(const char *line, struct listing_entry *e);

#endif
