/* sample: one reading of every GPU of a node, whichever source made it (NVML, nvidia-smi, a replayed
 * recording), in Prometheus base units. A field a GPU does not report ([N/A], NVML_ERROR_NOT_SUPPORTED)
 * is NAN and left out of the exposition. */
#ifndef AIFB_GPU_SAMPLE_H
#define AIFB_GPU_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define GPU_MAX 64
#define GPU_NAME_MAX 96
#define GPU_UUID_MAX 96

struct gpu_reading {
    int index;
    char name[GPU_NAME_MAX]; /* "NVIDIA H200" */
    char uuid[GPU_UUID_MAX]; /* "GPU-24ed5512-..." */
    double util_ratio;       /* GPU busy, 0..1 */
    double mem_util_ratio;   /* memory controller busy, 0..1 */
    double mem_used_bytes;
    double mem_total_bytes;
    double power_watts;
    double energy_joules; /* since the driver loaded: a counter; NAN where the GPU has none */
    double temp_celsius;
    double sm_clock_hz;
    double mem_clock_hz;
    double clock_events; /* NVML's clocks event (throttle) reasons bitmask; NAN: unknown */
};

struct gpu_sample {
    double taken; /* CLOCK_REALTIME seconds */
    size_t n;
    struct gpu_reading gpu[GPU_MAX];
};

/* Every field NAN, index -1, strings empty: a reading nothing has filled yet. */
void gpu_reading_clear(struct gpu_reading *r);

#endif
