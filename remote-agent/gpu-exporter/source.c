/* source: the one struct source the exporter holds, whichever backend fills it; the backends are in
 * nvml.c, smi.c and replay.c. */
#include "source.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backend.h"

struct source {
    const struct source_ops *ops;
    void *impl;
};

void backend_why(char *why, size_t n, const char *fmt, ...)
{
    if (!why || n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

double backend_realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wraps a backend's state; the source owns impl from here on. */
static struct source *wrap(const struct source_ops *ops, void *impl, char *why, size_t n)
{
    if (!impl)
        return NULL;
    struct source *s = malloc(sizeof(*s));
    if (!s) {
        ops->close(impl);
        backend_why(why, n, "out of memory");
        return NULL;
    }
    s->ops = ops;
    s->impl = impl;
    return s;
}

struct source *source_nvml_open(char *why, size_t n)
{
    return wrap(&nvml_ops, nvml_open(why, n), why, n);
}

struct source *source_smi_open(const char *program, char *why, size_t n)
{
    return wrap(&smi_ops, smi_open(program, why, n), why, n);
}

struct source *source_replay_open(const char *path, char *why, size_t n)
{
    return wrap(&replay_ops, replay_open(path, why, n), why, n);
}

int source_read(struct source *s, struct gpu_sample *out, char *why, size_t n)
{
    assert(s && out);
    out->n = 0;
    if (why && n > 0)
        why[0] = '\0';
    if (s->ops->read(s->impl, out, why, n) == 0)
        return 0;
    if (why && n > 0 && why[0] == '\0')
        backend_why(why, n, "%s: the sample failed", s->ops->kind);
    out->n = 0;
    return -1;
}

const char *source_kind(const struct source *s)
{
    return s->ops->kind;
}

bool source_is_replay(const struct source *s)
{
    return s->ops == &replay_ops;
}

void source_close(struct source *s)
{
    if (!s)
        return;
    s->ops->close(s->impl);
    free(s);
}
