/* listing: sscanf takes the four leading fields; the rest of the line is the name, which must pass
 * categorize_path_ok (so that a name with spaces, escapes or traversal is skipped, not guessed at). */
#include "listing.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "categorize.h"

enum listing_kind listing_parse(const char *line, struct listing_entry *e)
{
    char perms[16], date[16], tod[16];
    long long size;
    int off = 0;
    if (sscanf(line, "%15s %lld %15s %15s %n", perms, &size, date, tod, &off) != 4 || off == 0)
        return LISTING_SKIP;
    if (perms[0] == 'd')
        return LISTING_FOLDER;
    struct tm tm = {0};
    const char *end = strptime(date, "%Y/%m/%d", &tm);
    if (perms[0] != '-' || size < 0 || !end || *end)
        return LISTING_SKIP;
    end = strptime(tod, "%H:%M:%S", &tm);
    if (!end || *end || !categorize_path_ok(line + off))
        return LISTING_SKIP;
    e->path = line + off;
    e->size = size;
    e->mtime = (int64_t)timegm(&tm);
    return LISTING_FILE;
}
