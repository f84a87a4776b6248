/* reader: byte ranges, tails read from the end and streaming fixed-string search over a log file's
 * fd, plus UTF-8 repair. Everything reads with pread, so the fd's offset is never used or moved. */
#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "utf8.h"

/* The search window: a line up to this long is kept whole; past it, its head and the last nlen - 1
 * bytes seen are kept (see struct search), which still leaves a block for each read. */
#define WINDOW (2 * READER_LINE_MAX + READER_BLOCK)

static void *block_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        errno = ENOMEM;
    return p;
}

ssize_t reader_range(int fd, off_t offset, size_t len, struct buf *out)
{
    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    if (len == 0)
        return 0;
    size_t bsize = len < READER_BLOCK ? len : READER_BLOCK;
    char *blk = block_alloc(bsize);
    if (!blk)
        return -1;
    ssize_t rc = -1;
    size_t total = 0;
    while (total < len) {
        size_t want = len - total < bsize ? len - total : bsize;
        ssize_t n = pread_full(fd, blk, want, offset + (off_t)total);
        if (n < 0)
            goto out;
        if (n > 0 && buf_append(out, blk, (size_t)n) < 0) {
            errno = ENOBUFS;
            goto out;
        }
        total += (size_t)n;
        if ((size_t)n < want)
            break;
    }
    rc = (ssize_t)total;
out:
    free(blk);
    return rc;
}

/* Where the last `lines` lines of the first size bytes start, scanning no lower than size - cap - 1
 * (the byte before the cap, to see whether the cap falls on a line start). Returns READER_WHOLE or
 * READER_CUT with *start, or -1 with errno. */
static int tail_start(int fd, off_t size, long lines, size_t cap, off_t *start)
{
    off_t limit = (size_t)size > cap ? size - (off_t)cap : 0; /* the text may start no lower */
    off_t lowest = limit > 0 ? limit - 1 : 0;
    off_t last_nl = -1; /* the lowest '\n' seen, but the final one */
    long seen = 0;
    char *blk = block_alloc(READER_BLOCK);
    if (!blk)
        return -1;
    int rc = -1;
    for (off_t hi = size; hi > lowest;) {
        off_t lo = hi - lowest > READER_BLOCK ? hi - READER_BLOCK : lowest;
        ssize_t n = pread_full(fd, blk, (size_t)(hi - lo), lo);
        if (n < 0)
            goto out;
        if (n < hi - lo) {
            errno = EAGAIN;
            goto out;
        }
        size_t k = (size_t)n;
        if (hi == size && blk[k - 1] == '\n') /* it ends the last line */
            k--;
        const char *nl;
        while (k > 0 && (nl = memrchr(blk, '\n', k))) {
            last_nl = lo + (nl - blk);
            if (++seen == lines) {
                *start = last_nl + 1;
                rc = READER_WHOLE;
                goto out;
            }
            k = (size_t)(nl - blk);
        }
        hi = lo;
    }
    if (limit == 0) {
        *start = 0;
        rc = READER_WHOLE;
    } else {
        *start = last_nl >= 0 ? last_nl + 1 : limit;
        rc = READER_CUT;
    }
out:
    free(blk);
    return rc;
}

int reader_tail(int fd, off_t size, long lines, struct buf *out, off_t *start)
{
    if (size < 0) {
        errno = EINVAL;
        return -1;
    }
    *start = size;
    if (lines <= 0 || size == 0)
        return READER_WHOLE;
    size_t cap = out->max > out->len ? out->max - out->len : 0;
    off_t from;
    int cut = tail_start(fd, size, lines, cap, &from);
    if (cut < 0)
        return -1;
    *start = from;
    return reader_range(fd, from, (size_t)(size - from), out) < 0 ? -1 : cut;
}

long reader_count_lines(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    long n = 0;
    const char *end = s + len;
    for (const char *p = s; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        n++;
    return s[len - 1] == '\n' ? n : n + 1;
}

/* The search's state. w holds the bytes from the start of line number `line` on. A line too long for
 * w (long_line) keeps only its head, w[0, READER_LINE_MAX), and then the last nlen - 1 bytes seen, so
 * that a needle across two reads is still found; long_match says whether the dropped bytes held it. */
struct search {
    const char *needle;
    size_t nlen;
    long max_hits;
    reader_hit_fn hit;
    void *ctx;
    char *w;
    size_t wlen;
    long line;
    long hits;
    bool more;
    bool long_line;
    bool long_match;
};

static long count_nl(const char *p, size_t n)
{
    long c = 0;
    const char *end = p + n;
    for (; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        c++;
    return c;
}

/* Hands over the line at s->line. Returns non-zero to stop: past max_hits (more is set), or hit said so. */
static int report(struct search *s, const char *text, size_t len)
{
    if (s->hits == s->max_hits) {
        s->more = true;
        return 1;
    }
    s->hits++;
    return s->hit(s->ctx, s->line, text, len > READER_LINE_MAX ? READER_LINE_MAX : len);
}

/* Searches the whole lines in w[from, end), from a line start to just past a '\n' (or the end of
 * the file), as grep does: memmem over the lot, and newlines counted only up to each hit. */
static int scan_lines(struct search *s, size_t from, size_t end)
{
    for (size_t p = from; p < end;) {
        const char *m = memmem(s->w + p, end - p, s->needle, s->nlen);
        if (!m) {
            s->line += count_nl(s->w + p, end - p);
            return 0;
        }
        size_t at = (size_t)(m - s->w);
        const char *before = memrchr(s->w + p, '\n', at - p);
        size_t ls = before ? (size_t)(before - s->w) + 1 : p;
        s->line += count_nl(s->w + p, ls - p);
        const char *after = memchr(m, '\n', end - at);
        size_t le = after ? (size_t)(after - s->w) : end;
        if (report(s, s->w + ls, le - ls))
            return 1;
        s->line++;
        p = le + 1;
    }
    return 0;
}

/* Keeps the head of the long line at w[0] and the last nlen - 1 bytes after it. */
static void keep_head(struct search *s)
{
    size_t carry = s->nlen - 1;
    memmove(s->w + READER_LINE_MAX, s->w + s->wlen - carry, carry);
    s->wlen = READER_LINE_MAX + carry;
}

/* Goes on with the long line at w[0] after a read. Returns non-zero to stop; *from gets where the
 * next line starts in w (s->wlen while the long line goes on). */
static int long_line_step(struct search *s, bool eof, size_t *from)
{
    size_t base = READER_LINE_MAX;
    const char *nl = memchr(s->w + base, '\n', s->wlen - base);
    size_t stop = nl ? (size_t)(nl - s->w) : s->wlen;
    if (!s->long_match && memmem(s->w + base, stop - base, s->needle, s->nlen))
        s->long_match = true;
    if (!nl && !eof) {
        keep_head(s);
        *from = s->wlen;
        return 0;
    }
    s->long_line = false;
    *from = nl ? stop + 1 : s->wlen;
    if (s->long_match && report(s, s->w, base))
        return 1;
    s->line++;
    return 0;
}

/* Takes in what the last read appended to w. Returns non-zero to stop. */
static int step(struct search *s, bool eof)
{
    size_t from = 0;
    if (s->long_line && long_line_step(s, eof, &from))
        return 1;
    if (s->long_line)
        return 0;
    size_t end = s->wlen;
    if (!eof) {
        const char *nl = memrchr(s->w + from, '\n', s->wlen - from);
        end = nl ? (size_t)(nl - s->w) + 1 : from;
    }
    if (end > from && scan_lines(s, from, end))
        return 1;
    memmove(s->w, s->w + end, s->wlen - end);
    s->wlen -= end;
    if (!eof && s->wlen == WINDOW) { /* one line fills w: keep its head and go on */
        s->long_line = true;
        s->long_match = memmem(s->w, s->wlen, s->needle, s->nlen) != NULL;
        keep_head(s);
    }
    return 0;
}

long reader_search(int fd, const char *needle, size_t nlen, long max_hits, reader_hit_fn hit, void *ctx, bool *more)
{
    *more = false;
    if (nlen == 0 || nlen > READER_LINE_MAX || max_hits < 0) {
        errno = EINVAL;
        return -1;
    }
    if (memchr(needle, '\n', nlen))
        return 0;
    struct search s = {.needle = needle, .nlen = nlen, .max_hits = max_hits, .hit = hit, .ctx = ctx, .line = 1};
    s.w = block_alloc(WINDOW);
    if (!s.w)
        return -1;
    long rc = -1;
    for (off_t off = 0;;) {
        size_t want = WINDOW - s.wlen;
        ssize_t n = pread_full(fd, s.w + s.wlen, want, off);
        if (n < 0)
            goto out;
        off += n;
        s.wlen += (size_t)n;
        bool eof = (size_t)n < want;
        if (step(&s, eof) || eof)
            break;
    }
    rc = s.hits;
    *more = s.more;
out:
    free(s.w);
    return rc;
}

int reader_utf8(const char *s, size_t len, struct buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the valid bytes not yet appended */
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char(u + i, len - i);
        if (n > 0) {
            i += n;
            continue;
        }
        if (buf_append(out, s + run, i - run) < 0 || buf_append(out, "\xEF\xBF\xBD", 3) < 0)
            return -1;
        run = ++i;
    }
    return buf_append(out, s + run, len - run);
}
