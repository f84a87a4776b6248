/* Unit tests of fcgi-apps/logs/reader: byte ranges (past the end, short at the end, over a block, the
 * cap), tails (empty file, no final newline, one exact block, lines across the 64 KiB blocks, more
 * lines asked than there are, the cap with and without a line start, a 1 GB file in milliseconds),
 * search (hits across reads and in lines longer than the window, line numbers checked against a
 * naive reference, max and more, a needle longer than the lines) and UTF-8 repair. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "../../fcgi-apps/logs/reader.h"

static char tmpdir[] = "/tmp/aifb-test-reader-XXXXXX";
static int nfiles;

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
}

/* A new file in tmpdir holding len bytes of data, open for reading. */
static int file_of(const char *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/f%d", tmpdir, nfiles++);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        ck_assert_int_gt(n, 0);
        done += (size_t)n;
    }
    return fd;
}

static int file_str(const char *s)
{
    return file_of(s, strlen(s));
}

/* A deterministic pseudo-random stream (tests must repeat). */
static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* ---- range ---- */

START_TEST(test_range)
{
    char data[200000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    int fd = file_of(data, sizeof(data));
    struct buf b;
    buf_init(&b, 1 << 20);

    ck_assert_int_eq(reader_range(fd, 10, 150000, &b), 150000); /* over several blocks */
    ck_assert_mem_eq(b.data, data + 10, 150000);
    buf_clear(&b);
    ck_assert_int_eq(reader_range(fd, sizeof(data) - 10, 50, &b), 10); /* short at the end */
    ck_assert_mem_eq(b.data, data + sizeof(data) - 10, 10);
    buf_clear(&b);
    ck_assert_int_eq(reader_range(fd, sizeof(data), 50, &b), 0);        /* at the end */
    ck_assert_int_eq(reader_range(fd, sizeof(data) + 1000, 50, &b), 0); /* past it */
    ck_assert_int_eq(reader_range(fd, 0, 0, &b), 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(reader_range(fd, -1, 10, &b), -1);
    ck_assert_int_eq(errno, EINVAL);

    struct buf small;
    buf_init(&small, 100);
    ck_assert_int_eq(reader_range(fd, 0, 101, &small), -1);
    ck_assert_int_eq(errno, ENOBUFS);
    ck_assert_int_eq(reader_range(fd, 0, 100, &b), 100);
    buf_free(&small);
    buf_free(&b);
    close(fd);
}
END_TEST

/* ---- tail ---- */

/* The last n lines of s, the naive way: their start offset (reader_tail's rule, no cap). */
static size_t naive_tail_start(const char *s, size_t len, long n)
{
    if (len == 0 || n <= 0)
        return len;
    size_t end = s[len - 1] == '\n' ? len - 1 : len;
    long seen = 0;
    for (size_t i = end; i > 0; i--)
        if (s[i - 1] == '\n' && ++seen == n)
            return i;
    return 0;
}

/* Checks reader_tail against the naive rule for n lines of data (no cap). */
static void check_tail(int fd, const char *data, size_t len, long n)
{
    struct buf b;
    buf_init(&b, READER_TAIL_MAX);
    off_t start = -1;
    ck_assert_int_eq(reader_tail(fd, (off_t)len, n, &b, &start), READER_WHOLE);
    size_t want = naive_tail_start(data, len, n);
    ck_assert_int_eq(start, (off_t)want);
    ck_assert_uint_eq(b.len, len - want);
    if (b.len)
        ck_assert_mem_eq(b.data, data + want, b.len);
    buf_free(&b);
}

START_TEST(test_tail_small)
{
    struct buf b;
    buf_init(&b, READER_TAIL_MAX);
    off_t start = -1;
    int fd = file_str("");
    ck_assert_int_eq(reader_tail(fd, 0, 10, &b, &start), READER_WHOLE);
    ck_assert_int_eq(start, 0);
    ck_assert_uint_eq(b.len, 0);
    close(fd);

    fd = file_str("a\nb\nc"); /* no final newline: "c" is a line */
    ck_assert_int_eq(reader_tail(fd, 5, 1, &b, &start), READER_WHOLE);
    ck_assert_str_eq(buf_cstr(&b), "c");
    ck_assert_int_eq(start, 4);
    buf_clear(&b);
    ck_assert_int_eq(reader_tail(fd, 5, 2, &b, &start), READER_WHOLE);
    ck_assert_str_eq(buf_cstr(&b), "b\nc");
    ck_assert_int_eq(reader_count_lines(b.data, b.len), 2);
    buf_clear(&b);
    ck_assert_int_eq(reader_tail(fd, 5, 99, &b, &start), READER_WHOLE); /* more than there are */
    ck_assert_str_eq(buf_cstr(&b), "a\nb\nc");
    ck_assert_int_eq(start, 0);
    buf_clear(&b);
    ck_assert_int_eq(reader_tail(fd, 5, 0, &b, &start), READER_WHOLE);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(start, 5);
    close(fd);

    fd = file_str("a\nb\nc\n"); /* the final newline starts no empty line */
    ck_assert_int_eq(reader_tail(fd, 6, 1, &b, &start), READER_WHOLE);
    ck_assert_str_eq(buf_cstr(&b), "c\n");
    ck_assert_int_eq(start, 4);
    ck_assert_int_eq(reader_count_lines(b.data, b.len), 1);
    buf_clear(&b);
    ck_assert_int_eq(reader_tail(fd, 6, 3, &b, &start), READER_WHOLE);
    ck_assert_str_eq(buf_cstr(&b), "a\nb\nc\n");
    ck_assert_int_eq(reader_count_lines(b.data, b.len), 3);
    buf_clear(&b);
    close(fd);

    fd = file_str("\n\n\n"); /* three empty lines */
    ck_assert_int_eq(reader_tail(fd, 3, 1, &b, &start), READER_WHOLE);
    ck_assert_str_eq(buf_cstr(&b), "\n");
    ck_assert_int_eq(start, 2);
    buf_clear(&b);
    ck_assert_int_eq(reader_tail(fd, 3, 5, &b, &start), READER_WHOLE);
    ck_assert_int_eq(reader_count_lines(b.data, b.len), 3);
    buf_free(&b);
    close(fd);
    ck_assert_int_eq(reader_count_lines("", 0), 0);
    ck_assert_int_eq(reader_count_lines("x", 1), 1);
}
END_TEST

START_TEST(test_tail_one_block)
{
    /* exactly one block: 1024 lines of 64 bytes */
    static char data[READER_BLOCK];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = i % 64 == 63 ? '\n' : (char)('0' + (i / 64) % 10);
    int fd = file_of(data, sizeof(data));
    check_tail(fd, data, sizeof(data), 1);
    check_tail(fd, data, sizeof(data), 1023);
    check_tail(fd, data, sizeof(data), 1024);
    check_tail(fd, data, sizeof(data), 1025);
    check_tail(fd, data, sizeof(data), 100000);
    close(fd);
    /* the same bytes but the last newline: a final line without '\n' */
    fd = file_of(data, sizeof(data) - 1);
    check_tail(fd, data, sizeof(data) - 1, 1);
    check_tail(fd, data, sizeof(data) - 1, 1024);
    check_tail(fd, data, sizeof(data) - 1, 1025);
    close(fd);
}
END_TEST

START_TEST(test_tail_across_blocks)
{
    /* lines of many lengths, some long ones and one that spans each 64 KiB boundary from the end */
    size_t len = 5 * READER_BLOCK + 321;
    char *data = malloc(len);
    size_t i = 0;
    while (i < len) {
        size_t l = rnd(10) == 0 ? 1 + rnd(3 * READER_BLOCK / 2) : rnd(200);
        for (size_t k = 0; k < l && i < len; k++)
            data[i++] = (char)('a' + rnd(26));
        if (i < len)
            data[i++] = '\n';
    }
    for (int b = 1; b <= 4; b++) { /* a newline right before and after each boundary counted from the end */
        data[len - (size_t)b * READER_BLOCK - 1] = '\n';
        data[len - (size_t)b * READER_BLOCK + 1] = '\n';
    }
    int fd = file_of(data, len);
    long total = reader_count_lines(data, len);
    for (long n = 1; n <= total + 2; n += n < 20 ? 1 : 7)
        check_tail(fd, data, len, n);
    close(fd);
    data[len - 1] = '\n';
    fd = file_of(data, len);
    for (long n = 1; n <= total + 2; n += n < 20 ? 1 : 7)
        check_tail(fd, data, len, n);
    close(fd);
    free(data);
}
END_TEST

START_TEST(test_tail_cap)
{
    struct buf b;
    off_t start;
    /* 20 lines of 30 bytes, cap 100: the last 100 bytes hold 3 whole lines and the end of one */
    char data[600];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = i % 30 == 29 ? '\n' : 'x';
    int fd = file_of(data, sizeof(data));
    buf_init(&b, 100);
    ck_assert_int_eq(reader_tail(fd, 600, 10, &b, &start), READER_CUT);
    ck_assert_int_eq(start, 510);
    ck_assert_uint_eq(b.len, 90);
    ck_assert_int_eq(reader_count_lines(b.data, b.len), 3);
    buf_free(&b);
    buf_init(&b, 100); /* 3 lines fit: no cut */
    ck_assert_int_eq(reader_tail(fd, 600, 3, &b, &start), READER_WHOLE);
    ck_assert_int_eq(start, 510);
    buf_free(&b);
    buf_init(&b, 90); /* the cap falls right on a line start */
    ck_assert_int_eq(reader_tail(fd, 600, 4, &b, &start), READER_CUT);
    ck_assert_int_eq(start, 510);
    ck_assert_uint_eq(b.len, 90);
    buf_free(&b);
    close(fd);

    /* one line of 500 bytes, cap 100: no line start within, so the last 100 bytes */
    memset(data, 'y', 500);
    fd = file_of(data, 500);
    buf_init(&b, 100);
    ck_assert_int_eq(reader_tail(fd, 500, 1, &b, &start), READER_CUT);
    ck_assert_int_eq(start, 400);
    ck_assert_uint_eq(b.len, 100);
    buf_free(&b);
    close(fd);

    /* the real cap: 6 MiB of 1000-byte lines, all of them asked */
    size_t len = 6 << 20;
    char *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = i % 1000 == 999 ? '\n' : 'z';
    fd = file_of(big, len);
    buf_init(&b, READER_TAIL_MAX);
    ck_assert_int_eq(reader_tail(fd, (off_t)len, 100000, &b, &start), READER_CUT);
    ck_assert_uint_le(b.len, READER_TAIL_MAX);
    ck_assert_uint_eq(start % 1000, 0);
    ck_assert_uint_eq(b.len, len - (size_t)start);
    ck_assert_int_eq(big[start - 1], '\n');
    buf_free(&b);
    close(fd);
    free(big);
}
END_TEST

START_TEST(test_tail_1gb)
{
    /* a sparse 1 GB file whose last MB is lines: the tail starts from the end (its speed is in
     * tests/bench/logs.sh, not asserted here) */
    int fd = file_str("");
    off_t size = (off_t)1 << 30;
    static char lines[1000000];
    ck_assert_int_eq(ftruncate(fd, size - (off_t)sizeof(lines)), 0);
    for (size_t i = 0; i < sizeof(lines); i++)
        lines[i] = i % 100 == 99 ? '\n' : 'L';
    ck_assert_int_eq(pwrite(fd, lines, sizeof(lines), size - (off_t)sizeof(lines)), (ssize_t)sizeof(lines));
    struct buf b;
    buf_init(&b, READER_TAIL_MAX);
    off_t start;
    ck_assert_int_eq(reader_tail(fd, size, 1000, &b, &start), READER_WHOLE);
    ck_assert_int_eq(start, size - 100000);
    ck_assert_uint_eq(b.len, 100000);
    buf_free(&b);
    close(fd);
}
END_TEST

/* ---- search ---- */

struct hit_log {
    long n;
    long line[64];
    size_t len[64];
    char text[64][32];
    long stop_after; /* 0: never */
};

static int log_hit(void *ctx, long line_no, const char *line, size_t len)
{
    struct hit_log *h = ctx;
    if (h->n < 64) {
        h->line[h->n] = line_no;
        h->len[h->n] = len;
        snprintf(h->text[h->n], sizeof(h->text[0]), "%.*s", (int)(len < 31 ? len : 31), line);
    }
    h->n++;
    return h->stop_after && h->n >= h->stop_after;
}

static long search(int fd, const char *needle, long max, struct hit_log *h, bool *more)
{
    memset(h, 0, sizeof(*h));
    return reader_search(fd, needle, strlen(needle), max, log_hit, h, more);
}

START_TEST(test_search_small)
{
    struct hit_log h;
    bool more;
    int fd = file_str("foo\nbar foo\nbaz\nfo\no\nfoofoo\nend foo"); /* last line without '\n' */
    ck_assert_int_eq(search(fd, "foo", 100, &h, &more), 4);
    ck_assert(!more);
    ck_assert_int_eq(h.line[0], 1);
    ck_assert_str_eq(h.text[0], "foo");
    ck_assert_int_eq(h.line[1], 2);
    ck_assert_str_eq(h.text[1], "bar foo");
    ck_assert_int_eq(h.line[2], 6); /* twice in the line: one hit */
    ck_assert_int_eq(h.line[3], 7);
    ck_assert_str_eq(h.text[3], "end foo");

    ck_assert_int_eq(search(fd, "foo", 2, &h, &more), 2); /* max and more */
    ck_assert(more);
    ck_assert_int_eq(h.n, 2);
    ck_assert_int_eq(search(fd, "foo", 4, &h, &more), 4);
    ck_assert(!more);
    ck_assert_int_eq(search(fd, "foo", 0, &h, &more), 0);
    ck_assert(more);
    ck_assert_int_eq(h.n, 0);

    ck_assert_int_eq(search(fd, "foo\nbar", 100, &h, &more), 0);        /* never within one line */
    ck_assert_int_eq(search(fd, "foo bar foo baz", 100, &h, &more), 0); /* longer than any line */
    ck_assert_int_eq(search(fd, "fo\no", 100, &h, &more), 0);
    ck_assert_int_eq(search(fd, "Foo", 100, &h, &more), 0); /* case-sensitive */
    ck_assert_int_eq(search(fd, "f.o", 100, &h, &more), 0); /* not a regex */
    ck_assert_int_eq(search(fd, "o", 100, &h, &more), 6);
    ck_assert_int_eq(h.line[3], 5);

    memset(&h, 0, sizeof(h));
    h.stop_after = 1; /* the callback stops it */
    ck_assert_int_eq(reader_search(fd, "foo", 3, 100, log_hit, &h, &more), 1);
    ck_assert(!more);
    ck_assert_int_eq(reader_search(fd, "", 0, 100, log_hit, &h, &more), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(reader_search(fd, "x", 1, -1, log_hit, &h, &more), -1);
    close(fd);

    fd = file_str("");
    ck_assert_int_eq(search(fd, "x", 10, &h, &more), 0);
    ck_assert(!more);
    close(fd);
}
END_TEST

/* The naive search: each line (split on '\n') that holds needle, as (line number, length cut). */
struct ref_hit {
    long line;
    size_t off, len;
};

static long naive_search(const char *s, size_t len, const char *needle, struct ref_hit *out, long max)
{
    long n = 0, line = 1;
    size_t nlen = strlen(needle);
    for (size_t ls = 0; ls < len; line++) {
        const char *nl = memchr(s + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - s) : len;
        if (memmem(s + ls, le - ls, needle, nlen) && n < max) {
            size_t l = le - ls;
            out[n++] = (struct ref_hit){line, ls, l > READER_LINE_MAX ? READER_LINE_MAX : l};
        }
        ls = le + 1;
    }
    return n;
}

struct hit_check {
    const char *data;
    const struct ref_hit *want;
    long n;
};

static int check_hit(void *ctx, long line_no, const char *line, size_t len)
{
    struct hit_check *c = ctx;
    ck_assert_int_lt(c->n, 100000);
    const struct ref_hit *w = &c->want[c->n++];
    ck_assert_int_eq(line_no, w->line);
    ck_assert_uint_eq(len, w->len);
    ck_assert_mem_eq(line, c->data + w->off, len);
    return 0;
}

/* Checks reader_search against naive_search for needle over data. */
static void check_search(const char *data, size_t len, const char *needle)
{
    static struct ref_hit want[100000];
    long n = naive_search(data, len, needle, want, 100000);
    int fd = file_of(data, len);
    struct hit_check c = {data, want, 0};
    bool more;
    ck_assert_int_eq(reader_search(fd, needle, strlen(needle), 100000, check_hit, &c, &more), n);
    ck_assert_int_eq(c.n, n);
    ck_assert(!more);
    if (n > 1) { /* max one short of all of them */
        c.n = 0;
        ck_assert_int_eq(reader_search(fd, needle, strlen(needle), n - 1, check_hit, &c, &more), n - 1);
        ck_assert(more);
    }
    close(fd);
}

/* Writes needle at data + at (within len). */
static void plant(char *data, size_t len, size_t at, const char *needle)
{
    size_t n = strlen(needle);
    if (at + n <= len)
        memcpy(data + at, needle, n);
}

START_TEST(test_search_across_blocks)
{
    const char *needle = "NEEDLE-42";
    size_t len = 9 * READER_BLOCK + 77;
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = rnd(40) == 0 ? '\n' : (char)('a' + rnd(26));
    for (int k = 0; k < 300; k++)
        plant(data, len, rnd((uint32_t)len), needle);
    for (size_t b = 1; b <= 8; b++) /* straddling each block and window edge */
        for (size_t d = 1; d < strlen(needle); d += 3)
            plant(data, len, b * READER_BLOCK - d, needle);
    check_search(data, len, needle);
    check_search(data, len, "q"); /* a hit on most lines */
    data[len - 1] = '\n';
    check_search(data, len, needle);
    free(data);
}
END_TEST

START_TEST(test_search_long_lines)
{
    /* lines longer than the window: the needle at the start, in the dropped middle, across a read,
     * at the very end; each reported cut to 64 KiB, with the line numbers after them right */
    const char *needle = "XYZZY";
    size_t len = 48 * READER_BLOCK;
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + rnd(26));
    size_t pos = 0;
    size_t line_lens[] = {10,    300000, 5,      200000, 1,      131072, 131071, 131073, 70000,
                          65536, 65535,  196607, 196608, 196609, 262144, 400000, 3};
    for (size_t k = 0; k < sizeof(line_lens) / sizeof(line_lens[0]) && pos < len; k++) {
        size_t l = line_lens[k];
        if (pos + l >= len)
            break;
        switch (k % 5) {
        case 0:
            plant(data, len, pos, needle);
            break;
        case 1:
            plant(data, len, pos + l / 2, needle);
            break;
        case 2:
            plant(data, len, pos + l - strlen(needle), needle);
            break;
        case 3:
            plant(data, len, pos + 2 * READER_BLOCK - 2, needle); /* across a read */
            break;
        default:
            break; /* none */
        }
        pos += l;
        data[pos++] = '\n';
    }
    for (; pos < len; pos++) /* short lines after them */
        if (rnd(50) == 0)
            data[pos] = '\n';
    plant(data, len, len - 3 * READER_BLOCK, needle);
    check_search(data, len, needle);
    data[len - 1] = 'X'; /* a final long line without '\n' holding it at its end */
    memset(data + len - 300000, 'k', 300000 - 5);
    memcpy(data + len - 5, needle, 5);
    check_search(data, len, needle);
    free(data);
}
END_TEST

START_TEST(test_search_random)
{
    /* random files of short and very long lines, needles of several lengths planted anywhere */
    const char *needles[] = {"!", "#$%", "<needle>", "0123456789abcdefghijklmnopqrstuvwxyz0123456789"};
    for (int round = 0; round < 12; round++) {
        size_t len = READER_BLOCK + rnd(12 * READER_BLOCK);
        char *data = malloc(len);
        for (size_t i = 0; i < len;) {
            size_t l = rnd(6) == 0 ? rnd(4 * READER_BLOCK) : rnd(300);
            for (size_t k = 0; k < l && i < len; k++)
                data[i++] = (char)('a' + rnd(20));
            if (i < len)
                data[i++] = '\n';
        }
        const char *needle = needles[round % 4];
        for (int k = 0; k < 40; k++)
            plant(data, len, rnd((uint32_t)len), needle);
        check_search(data, len, needle);
        free(data);
    }
}
END_TEST

START_TEST(test_search_long_needle)
{
    /* a needle as long as READER_LINE_MAX, straddling everything; one byte more is refused */
    size_t nlen = READER_LINE_MAX;
    char *needle = malloc(nlen + 2);
    for (size_t i = 0; i < nlen + 1; i++)
        needle[i] = (char)('A' + rnd(26));
    needle[nlen] = '\0';
    size_t len = 6 * READER_BLOCK;
    char *data = malloc(len);
    memset(data, '.', len);
    data[100] = '\n';
    memcpy(data + 3 * READER_BLOCK - 7, needle, nlen);
    check_search(data, len, needle);
    needle[nlen] = 'A';
    needle[nlen + 1] = '\0';
    int fd = file_of(data, len);
    bool more;
    ck_assert_int_eq(reader_search(fd, needle, nlen + 1, 10, check_hit, NULL, &more), -1);
    ck_assert_int_eq(errno, EINVAL);
    close(fd);
    free(needle);
    free(data);
}
END_TEST

/* ---- UTF-8 ---- */

static const char *fixed(struct buf *b, const char *s, size_t len)
{
    buf_clear(b);
    ck_assert_int_eq(reader_utf8(s, len, b), 0);
    return buf_cstr(b);
}

START_TEST(test_utf8)
{
    struct buf b;
    buf_init(&b, 1024);
    ck_assert_str_eq(fixed(&b, "plain", 5), "plain");
    ck_assert_str_eq(fixed(&b, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    ck_assert_str_eq(fixed(&b, "a\377b", 3), "a\357\277\275b");
    ck_assert_str_eq(fixed(&b, "x\xc3", 2), "x\xef\xbf\xbd");                               /* cut inside a character */
    ck_assert_str_eq(fixed(&b, "\xa9z", 2), "\xef\xbf\xbdz");                               /* starts inside one */
    ck_assert_str_eq(fixed(&b, "a\0b", 3), "a\357\277\275b");                               /* NUL */
    ck_assert_str_eq(fixed(&b, "\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong */
    ck_assert_str_eq(fixed(&b, "\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    ck_assert_str_eq(fixed(&b, "", 0), "");
    struct buf tiny;
    buf_init(&tiny, 3);
    ck_assert_int_eq(reader_utf8("\xff\xff", 2, &tiny), -1);
    buf_free(&tiny);
    buf_free(&b);
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("logs_reader");
    TCase *tc = tcase_create("reader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_range);
    tcase_add_test(tc, test_tail_small);
    tcase_add_test(tc, test_tail_one_block);
    tcase_add_test(tc, test_tail_across_blocks);
    tcase_add_test(tc, test_tail_cap);
    tcase_add_test(tc, test_tail_1gb);
    tcase_add_test(tc, test_search_small);
    tcase_add_test(tc, test_search_across_blocks);
    tcase_add_test(tc, test_search_long_lines);
    tcase_add_test(tc, test_search_random);
    tcase_add_test(tc, test_search_long_needle);
    tcase_add_test(tc, test_utf8);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reader_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
