/* backend: what source.c dispatches to. Each source (nvml.c, smi.c, replay.c) has an open function that
 * returns its own state, and a table of operations on that state; source.c wraps them in a struct
 * source. Also the two helpers every backend uses. */
#ifndef AIFB_GPU_BACKEND_H
#define AIFB_GPU_BACKEND_H

#include <stddef.h>

#include "sample.h"

struct source_ops {
    const char *kind; /* what source_kind returns */
    /* Fills out (out->n, out->gpu[], out->taken). Returns 0, or -1 with why[]. */
    int (*read)(void *impl, struct gpu_sample *out, char *why, size_t n);
    void (*close)(void *impl);
};

extern const struct source_ops nvml_ops, smi_ops, replay_ops;

/* Each returns its state (freed by its ops' close), or NULL with why[]. The arguments are those of
 * source_nvml_open, source_smi_open and source_replay_open. */
void *nvml_open(char *why, size_t n);
void *smi_open(const char *program, char *why, size_t n);
void *replay_open(const char *path, char *why, size_t n);

/* snprintf into why[n] when why is not NULL and n > 0. */
void backend_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* CLOCK_REALTIME in seconds: gpu_sample.taken. */
double backend_realtime(void);

#endif
