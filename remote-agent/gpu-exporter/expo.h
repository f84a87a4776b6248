/* expo: the Prometheus text exposition of a sample. Names follow Prometheus conventions (base units,
 * _total counters) under aifb_gpu_, or, with dcgm set, dcgm-exporter's names and units
 * (DCGM_FI_DEV_GPU_UTIL in %, DCGM_FI_DEV_FB_USED in MiB, DCGM_FI_DEV_POWER_USAGE in W,
 * DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION in mJ, DCGM_FI_DEV_GPU_TEMP, DCGM_FI_DEV_SM_CLOCK and
 * DCGM_FI_DEV_MEM_CLOCK in MHz, with labels gpu, UUID, modelName, Hostname) so that existing dashboards
 * work. Every series has the labels gpu, uuid, name, host and slurm_job_id (empty outside a job);
 * a replayed sample adds replay="true". Text passes promtool check metrics. */
#ifndef AIFB_GPU_EXPO_H
#define AIFB_GPU_EXPO_H

#include <stdbool.h>

#include "buf.h"
#include "sample.h"

struct expo_labels {
    const char *host;
    const char *slurm_job_id; /* "" outside a job */
    bool replay;
};

/* Appends the exposition of s to out, with the exporter's own aifb_gpu_exporter_* series (samples
 * taken, sample errors, seconds of the last sample, its source as a label). Returns 0 or -1 (out full).
 * s may be NULL (no sample yet): then only the exporter's own series are written. */
struct expo_stats {
    unsigned long long samples, errors;
    double last_sample_seconds; /* what the last sample cost */
    const char *source;         /* source_kind */
};
int expo_write(struct buf *out, const struct gpu_sample *s, const struct expo_labels *l, const struct expo_stats *st,
               bool dcgm);

#endif
