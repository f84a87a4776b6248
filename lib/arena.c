/* arena: bump allocation in a chain of blocks, plus a stack of cleanups.
 * The first block is kept across resets so a worker's steady state allocates nothing. */
#include "arena.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
    struct block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *ptr;
};

struct arena {
    struct block *head; /* current block; the chain ends at the first block */
    struct block *first;
    struct cleanup *cleanups;
    size_t used;
};

#define ALIGN (alignof(max_align_t))

static void oom(size_t n)
{
    fprintf(stderr, "aifb: out of memory allocating %zu bytes\n", n);
    abort();
}

static struct block *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(struct block))
        oom(size);
    struct block *b = malloc(sizeof(*b) + size);
    if (!b)
        oom(size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_new(size_t first_block)
{
    struct arena *a = malloc(sizeof(*a));
    if (!a)
        oom(sizeof(*a));
    if (first_block < 256)
        first_block = 256;
    a->first = a->head = block_new(first_block);
    a->cleanups = NULL;
    a->used = 0;
    return a;
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    if (need < n)
        oom(n);
    if (need == 0)
        need = ALIGN;
    struct block *b = a->head;
    if (b->size - b->used < need) {
        /* Grow geometrically up to 1 MiB blocks; a bigger request gets a block of its own size. */
        size_t size = b->size < (1u << 19) ? b->size * 2 : (1u << 20);
        if (size < need)
            size = need;
        struct block *nb = block_new(size);
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom(SIZE_MAX);
    void *p = arena_alloc(a, nmemb * size);
    memset(p, 0, nmemb * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return arena_strdup(a, "");
    char *s = arena_alloc(a, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *arena_i64(struct arena *a, int64_t v)
{
    return arena_printf(a, "%" PRId64, v);
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct cleanup *c = arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->cleanups;
    a->cleanups = c;
}

static void run_cleanups(struct arena *a)
{
    /* A cleanup may allocate or defer more; drain until none is left. */
    while (a->cleanups) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ptr);
    }
}

void arena_reset(struct arena *a)
{
    run_cleanups(a);
    struct block *b = a->head;
    while (b != a->first) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    a->head = a->first;
    a->first->used = 0;
    a->used = 0;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    free(a->first);
    free(a);
}

size_t arena_used(const struct arena *a)
{
    return a->used;
}
