/* buf: a growable byte buffer with a hard cap, for replies, metrics text and log lines.
 * Appends past the cap fail and leave the buffer marked as overflowed. */
#ifndef AIFB_BUF_H
#define AIFB_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated when len > 0 or after buf_cstr */
    size_t len;
    size_t cap;
    size_t max;    /* hard cap on len */
    bool overflow; /* an append was refused */
};

/* Starts an empty buffer that may grow to max bytes. Allocates nothing yet. */
void buf_init(struct buf *b, size_t max);

/* Appends; returns 0, or -1 (and sets overflow) when the result would pass max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a C string (an empty string for an empty buffer); owned by b. */
const char *buf_cstr(struct buf *b);

/* Empties the buffer, keeping its memory. */
void buf_clear(struct buf *b);

/* Releases the memory; b can be used again after buf_init. */
void buf_free(struct buf *b);

/* For arena_defer: buf_free on a struct buf *. */
void buf_free_cb(void *b);

#endif
