/* arena: one allocator per request, dropped as a whole when the request ends (nginx's pool).
 * Allocation never fails: on out-of-memory the process aborts, since a worker cannot answer
 * anything useful without memory and the master starts a fresh one. Cleanups registered with
 * arena_defer run in reverse order at reset or free, so handlers never free by hand. */
#ifndef AIFB_ARENA_H
#define AIFB_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* Returns a new arena whose first block holds first_block bytes; the caller owns it. */
struct arena *arena_new(size_t first_block);

/* Returns n bytes aligned for any type, valid until the next reset or free. */
void *arena_alloc(struct arena *a, size_t n);

/* As arena_alloc for nmemb * size bytes, zeroed; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);

/* Copies of s (or of its first n bytes), NUL-terminated, owned by the arena. NULL gives NULL. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena; returns the NUL-terminated string. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* v in decimal, in the arena: a statement's parameter, an agent's argument. */
char *arena_i64(struct arena *a, int64_t v);

/* Registers fn(ptr) to run at the next reset or free, after any registered later. */
void arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

/* Runs the cleanups and forgets every allocation, keeping the first block for reuse. */
void arena_reset(struct arena *a);

/* Runs the cleanups and releases everything, a included. NULL is ignored. */
void arena_free(struct arena *a);

/* Bytes handed out since the last reset (for tests and caps). */
size_t arena_used(const struct arena *a);

#endif
