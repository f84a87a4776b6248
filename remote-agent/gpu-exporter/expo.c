/* expo: the Prometheus text exposition of one GPU sample, under aifb's names (base units) or
 * dcgm-exporter's (its units and labels), followed by the exporter's own aifb_gpu_exporter_* series.
 * A family whose every GPU lacks the field (NAN) is left out whole, HELP and TYPE included. */
#include "expo.h"

#include <math.h>
#include <stdio.h>

#define MIB (1024.0 * 1024.0)

enum field {
    F_UTIL,
    F_MEM_UTIL,
    F_MEM_USED,
    F_MEM_FREE,
    F_MEM_TOTAL,
    F_POWER,
    F_ENERGY,
    F_TEMP,
    F_SM_CLOCK,
    F_MEM_CLOCK,
    F_CLOCK_EVENTS,
};

struct family {
    const char *name;
    const char *type;
    const char *help;
    enum field field;
    double scale; /* from the sample's base unit to the family's */
};

static const struct family aifb_families[] = {
    {"aifb_gpu_utilization_ratio", "gauge", "Fraction of the last sample period the GPU was busy (0..1).", F_UTIL, 1},
    {"aifb_gpu_memory_utilization_ratio", "gauge",
     "Fraction of the last sample period the memory controller was busy (0..1).", F_MEM_UTIL, 1},
    {"aifb_gpu_memory_used_bytes", "gauge", "GPU memory in use (NVML counts driver-reserved memory as used).",
     F_MEM_USED, 1},
    {"aifb_gpu_memory_total_bytes", "gauge", "GPU memory in all.", F_MEM_TOTAL, 1},
    {"aifb_gpu_power_watts", "gauge", "Power draw of the GPU.", F_POWER, 1},
    {"aifb_gpu_energy_joules_total", "counter", "Energy the GPU used since the driver loaded.", F_ENERGY, 1},
    {"aifb_gpu_temperature_celsius", "gauge", "GPU core temperature.", F_TEMP, 1},
    {"aifb_gpu_sm_clock_hertz", "gauge", "Current SM clock.", F_SM_CLOCK, 1},
    {"aifb_gpu_memory_clock_hertz", "gauge", "Current memory clock.", F_MEM_CLOCK, 1},
    {"aifb_gpu_clock_event_reasons", "gauge",
     "Bitmask of NVML's clocks event (throttle) reasons; 0 when nothing holds the clocks back.", F_CLOCK_EVENTS, 1},
};

/* dcgm-exporter's default counters, with its help texts and units, so that its dashboards work. */
static const struct family dcgm_families[] = {
    {"DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", F_UTIL, 100},
    {"DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %).", F_MEM_UTIL, 100},
    {"DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).", F_MEM_USED, 1 / MIB},
    {"DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB).", F_MEM_FREE, 1 / MIB},
    {"DCGM_FI_DEV_FB_TOTAL", "gauge", "Framebuffer memory total (in MiB).", F_MEM_TOTAL, 1 / MIB},
    {"DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).", F_POWER, 1},
    {"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter", "Total energy consumption since boot (in mJ).", F_ENERGY, 1000},
    {"DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C).", F_TEMP, 1},
    {"DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz).", F_SM_CLOCK, 1e-6},
    {"DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (in MHz).", F_MEM_CLOCK, 1e-6},
    {"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "gauge", "Current clock throttle reasons.", F_CLOCK_EVENTS, 1},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The label names of a GPU series in each name set. */
struct label_names {
    const char *gpu, *uuid, *name, *host;
};
static const struct label_names aifb_names = {"gpu", "uuid", "name", "host"};
static const struct label_names dcgm_names = {"gpu", "UUID", "modelName", "Hostname"};

static double field_value(const struct gpu_reading *r, enum field f)
{
    switch (f) {
    case F_UTIL:
        return r->util_ratio;
    case F_MEM_UTIL:
        return r->mem_util_ratio;
    case F_MEM_USED:
        return r->mem_used_bytes;
    case F_MEM_FREE:
        return r->mem_total_bytes - r->mem_used_bytes; /* NAN when either is */
    case F_MEM_TOTAL:
        return r->mem_total_bytes;
    case F_POWER:
        return r->power_watts;
    case F_ENERGY:
        return r->energy_joules;
    case F_TEMP:
        return r->temp_celsius;
    case F_SM_CLOCK:
        return r->sm_clock_hz;
    case F_MEM_CLOCK:
        return r->mem_clock_hz;
    case F_CLOCK_EVENTS:
        return r->clock_events;
    }
    return NAN;
}

/* A label value with the exposition format's three escapes: backslash, double quote, newline. */
static void put_escaped(struct buf *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        buf_append(out, run, (size_t)(s - run));
        buf_puts(out, esc);
        run = s + 1;
    }
    buf_append(out, run, (size_t)(s - run));
}

static void put_label(struct buf *out, const char *sep, const char *name, const char *value)
{
    buf_printf(out, "%s%s=\"", sep, name);
    put_escaped(out, value);
    buf_puts(out, "\"");
}

/* The labels every series carries, after the series' own (sep is "" when there are none). */
static void put_common(struct buf *out, const char *sep, const char *host_label, const struct expo_labels *l)
{
    put_label(out, sep, host_label, l->host ? l->host : "");
    put_label(out, ",", "slurm_job_id", l->slurm_job_id ? l->slurm_job_id : "");
    if (l->replay)
        put_label(out, ",", "replay", "true");
}

/* 15 significant digits: enough for any counter or byte count a GPU reaches, and it hides the noise
 * of unit conversion (0.29 * 100 prints 29, not 28.999999999999996). */
static void put_value(struct buf *out, double v)
{
    if (isinf(v))
        buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else
        buf_printf(out, "%.15g", v);
}

static void put_gpu_series(struct buf *out, const char *name, const struct gpu_reading *r, size_t i,
                           const struct label_names *ln, const struct expo_labels *l, double v)
{
    buf_printf(out, "%s{%s=\"%d\"", name, ln->gpu, r->index >= 0 ? r->index : (int)i);
    put_label(out, ",", ln->uuid, r->uuid);
    put_label(out, ",", ln->name, r->name);
    put_common(out, ",", ln->host, l);
    buf_puts(out, "} ");
    put_value(out, v);
    buf_puts(out, "\n");
}

static void put_family(struct buf *out, const struct family *f, const struct gpu_sample *s,
                       const struct label_names *ln, const struct expo_labels *l)
{
    size_t n = s->n < GPU_MAX ? s->n : GPU_MAX;
    int written = 0;
    for (size_t i = 0; i < n; i++) {
        double v = field_value(&s->gpu[i], f->field) * f->scale;
        if (isnan(v))
            continue;
        if (!written++)
            buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
        put_gpu_series(out, f->name, &s->gpu[i], i, ln, l, v);
    }
}

static void put_own(struct buf *out, const char *name, const char *type, const char *help, const struct expo_labels *l,
                    double v)
{
    if (isnan(v))
        return;
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s{", name, help, name, type, name);
    put_common(out, "", "host", l);
    buf_puts(out, "} ");
    put_value(out, v);
    buf_puts(out, "\n");
}

/* The exporter's own series keep aifb's names and labels in both name sets: dcgm-exporter has no
 * such series for a dashboard to expect. */
static void put_stats(struct buf *out, const struct expo_labels *l, const struct expo_stats *st)
{
    put_own(out, "aifb_gpu_exporter_samples_total", "counter", "Samples attempted, failed ones included.", l,
            (double)st->samples);
    put_own(out, "aifb_gpu_exporter_sample_errors_total", "counter", "Samples that failed (not published).", l,
            (double)st->errors);
    put_own(out, "aifb_gpu_exporter_last_sample_seconds", "gauge", "Time the last sample took.", l,
            st->last_sample_seconds);
    buf_puts(out, "# HELP aifb_gpu_exporter_info Where the samples come from (nvml, nvidia-smi or replay).\n"
                  "# TYPE aifb_gpu_exporter_info gauge\naifb_gpu_exporter_info{");
    put_label(out, "", "source", st->source ? st->source : "");
    put_common(out, ",", "host", l);
    buf_puts(out, "} 1\n");
}

int expo_write(struct buf *out, const struct gpu_sample *s, const struct expo_labels *l, const struct expo_stats *st,
               bool dcgm)
{
    const struct family *fam = dcgm ? dcgm_families : aifb_families;
    size_t nfam = dcgm ? COUNT(dcgm_families) : COUNT(aifb_families);
    for (size_t i = 0; s && i < nfam; i++)
        put_family(out, &fam[i], s, dcgm ? &dcgm_names : &aifb_names, l);
    put_stats(out, l, st);
    return out->overflow ? -1 : 0;
}
