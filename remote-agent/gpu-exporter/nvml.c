/* nvml: the NVML source. libnvidia-ml.so.1 comes with the driver, so it is loaded at run time with
 * dlopen (no CUDA headers, no link-time dependency: the same binary runs on a node without GPUs and
 * falls back to nvidia-smi). Device handles, names and UUIDs are read once at open; a sample is a
 * dozen calls per GPU (4-5 ms on an H200), no fork. Memory "used" here is NVML's (nvmlDeviceGetMemoryInfo,
 * v1): total minus free, which includes what the driver reserves (615 MiB on an idle H200, where
 * nvidia-smi says 0 MiB); total is the same in both (143771 MiB = 150754820096 bytes). */
#include "source.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* The few declarations of nvml.h this needs, as NVML documents them. nvmlDevice_t is an opaque
 * pointer; enums are passed as int, as the C ABI does. */
#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_TEMPERATURE_GPU 0
#define NVML_CLOCK_SM 1
#define NVML_CLOCK_MEM 2
#define NVML_LIB "libnvidia-ml.so.1"

struct nvml_device; /* never defined: only pointers to it travel */

struct nvml_utilization {
    unsigned int gpu, memory; /* % of the last sample period */
};

struct nvml_memory {
    unsigned long long total, free, used; /* bytes */
};

/* The entry points, resolved by dlsym; a NULL optional one leaves its field NAN. */
struct nvml_api {
    int (*init)(void);
    int (*shutdown)(void);
    int (*count)(unsigned int *);
    int (*handle)(unsigned int, struct nvml_device **);
    const char *(*error_string)(int);
    int (*name)(struct nvml_device *, char *, unsigned int);
    int (*uuid)(struct nvml_device *, char *, unsigned int);
    int (*util)(struct nvml_device *, struct nvml_utilization *);
    int (*memory)(struct nvml_device *, struct nvml_memory *);
    int (*power)(struct nvml_device *, unsigned int *);            /* mW */
    int (*energy)(struct nvml_device *, unsigned long long *);     /* mJ since the driver loaded */
    int (*temperature)(struct nvml_device *, int, unsigned int *); /* degrees C */
    int (*clock)(struct nvml_device *, int, unsigned int *);       /* MHz */
    int (*events)(struct nvml_device *, unsigned long long *);     /* bitmask */
};

struct nvml {
    void *dl;
    struct nvml_api api;
    bool initialised;
    size_t n;
    struct nvml_device *dev[GPU_MAX];
    int index[GPU_MAX];
    char name[GPU_MAX][GPU_NAME_MAX];
    char uuid[GPU_MAX][GPU_UUID_MAX];
};

/* dlsym into a function pointer: ISO C has no conversion from void * to one, so the bytes are copied
 * (the POSIX way). Leaves *fn NULL when the library lacks the symbol. */
static void bind(void *dl, const char *symbol, void *fn, size_t size)
{
    void *p = dlsym(dl, symbol);
    memcpy(fn, &p, size);
}

#define BIND(dl, field, symbol) bind(dl, symbol, &(field), sizeof(field))

static void bind_all(void *dl, struct nvml_api *a)
{
    BIND(dl, a->init, "nvmlInit_v2");
    BIND(dl, a->shutdown, "nvmlShutdown");
    BIND(dl, a->count, "nvmlDeviceGetCount_v2");
    BIND(dl, a->handle, "nvmlDeviceGetHandleByIndex_v2");
    BIND(dl, a->error_string, "nvmlErrorString");
    BIND(dl, a->name, "nvmlDeviceGetName");
    BIND(dl, a->uuid, "nvmlDeviceGetUUID");
    BIND(dl, a->util, "nvmlDeviceGetUtilizationRates");
    BIND(dl, a->memory, "nvmlDeviceGetMemoryInfo");
    BIND(dl, a->power, "nvmlDeviceGetPowerUsage");
    BIND(dl, a->energy, "nvmlDeviceGetTotalEnergyConsumption");
    BIND(dl, a->temperature, "nvmlDeviceGetTemperature");
    BIND(dl, a->clock, "nvmlDeviceGetClockInfo");
    /* "Throttle" was renamed "event" in driver 535; older libraries have only the old name. */
    BIND(dl, a->events, "nvmlDeviceGetCurrentClocksEventReasons");
    if (!a->events)
        BIND(dl, a->events, "nvmlDeviceGetCurrentClocksThrottleReasons");
}

static const char *error_text(const struct nvml *m, int rc)
{
    const char *s = m->api.error_string ? m->api.error_string(rc) : NULL;
    return s ? s : "unknown error";
}

static void nvml_close(void *impl)
{
    struct nvml *m = impl;
    if (!m)
        return;
    if (m->initialised)
        m->api.shutdown();
    if (m->dl)
        dlclose(m->dl);
    free(m);
}

/* NVML's strings into ours, NUL-terminated and printable whatever the library wrote: they become
 * Prometheus label values. */
static void keep_text(char *dst, size_t cap, int rc)
{
    if (rc != NVML_SUCCESS) {
        dst[0] = '\0';
        return;
    }
    dst[cap - 1] = '\0';
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

/* The handles of the GPUs this process may use, with their names and UUIDs. Under a SLURM job's
 * device cgroup NVML may count GPUs whose handle it then refuses: those are left out. */
static void find_devices(struct nvml *m, unsigned int count)
{
    for (unsigned int i = 0; i < count && m->n < GPU_MAX; i++) {
        struct nvml_device *d = NULL;
        if (m->api.handle(i, &d) != NVML_SUCCESS || !d)
            continue;
        size_t k = m->n++;
        m->dev[k] = d;
        m->index[k] = (int)i;
        keep_text(m->name[k], GPU_NAME_MAX, m->api.name ? m->api.name(d, m->name[k], GPU_NAME_MAX) : -1);
        keep_text(m->uuid[k], GPU_UUID_MAX, m->api.uuid ? m->api.uuid(d, m->uuid[k], GPU_UUID_MAX) : -1);
    }
}

/* Loads the library and initialises NVML. Returns 0 or -1 with why. */
static int load(struct nvml *m, char *why, size_t n)
{
    /* AIFB_NVML_LIBRARY: a driver in an unusual place, or the unit tests' recording of an H200 */
    const char *lib = getenv("AIFB_NVML_LIBRARY");
    m->dl = dlopen(lib && *lib ? lib : NVML_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!m->dl) {
        const char *e = dlerror();
        backend_why(why, n, "NVML: cannot load %s (no NVIDIA driver here?): %s", lib && *lib ? lib : NVML_LIB,
                    e ? e : "dlopen failed");
        return -1;
    }
    bind_all(m->dl, &m->api);
    if (!m->api.init || !m->api.shutdown || !m->api.count || !m->api.handle) {
        backend_why(why, n,
                    "NVML: " NVML_LIB " lacks nvmlInit_v2, nvmlDeviceGetCount_v2 or nvmlDeviceGetHandleByIndex_v2");
        return -1;
    }
    int rc = m->api.init();
    if (rc != NVML_SUCCESS) {
        backend_why(why, n, "NVML: nvmlInit_v2: %s (%d)", error_text(m, rc), rc);
        return -1;
    }
    m->initialised = true;
    return 0;
}

void *nvml_open(char *why, size_t n)
{
    struct nvml *m = calloc(1, sizeof(*m));
    if (!m) {
        backend_why(why, n, "out of memory");
        return NULL;
    }
    if (load(m, why, n) < 0)
        goto fail;
    unsigned int count = 0;
    int rc = m->api.count(&count);
    if (rc != NVML_SUCCESS) {
        backend_why(why, n, "NVML: nvmlDeviceGetCount_v2: %s (%d)", error_text(m, rc), rc);
        goto fail;
    }
    find_devices(m, count);
    if (m->n == 0) {
        backend_why(why, n, "NVML: no GPU (%u counted, none with a handle this process may use)", count);
        goto fail;
    }
    return m;
fail:
    nvml_close(m);
    return NULL;
}

/* One call's outcome: a value, or NAN when the entry point is missing or the call fails (NOT_SUPPORTED
 * above all: energy before Volta, utilization under MIG). *lost is set when the GPU has fallen off the
 * bus, which no field can paper over. */
static double got(int rc, double value, bool *lost)
{
    if (rc == NVML_ERROR_GPU_IS_LOST)
        *lost = true;
    return rc == NVML_SUCCESS ? value : NAN;
}

static void read_memory(const struct nvml *m, struct nvml_device *d, struct gpu_reading *r, bool *lost)
{
    struct nvml_utilization u = {0, 0}; /* set: got() reads them even when the call failed */
    struct nvml_memory mem = {0, 0, 0};
    if (m->api.util) {
        int rc = m->api.util(d, &u);
        r->util_ratio = got(rc, u.gpu / 100.0, lost);
        r->mem_util_ratio = got(rc, u.memory / 100.0, lost);
    }
    if (m->api.memory) {
        int rc = m->api.memory(d, &mem);
        r->mem_total_bytes = got(rc, (double)mem.total, lost);
        r->mem_used_bytes = got(rc, (double)mem.used, lost);
    }
}

/* Each call comes first, its value after: a call and a read of its out-parameter in the same argument
 * list would be unsequenced (GCC evaluates arguments right to left and read the previous value). */
static void read_power(const struct nvml *m, struct nvml_device *d, struct gpu_reading *r, bool *lost)
{
    unsigned int v = 0;
    unsigned long long ll = 0;
    int rc;
    if (m->api.power) {
        rc = m->api.power(d, &v);
        r->power_watts = got(rc, v / 1000.0, lost);
    }
    if (m->api.energy) {
        rc = m->api.energy(d, &ll);
        r->energy_joules = got(rc, (double)ll / 1000.0, lost);
    }
    if (m->api.temperature) {
        rc = m->api.temperature(d, NVML_TEMPERATURE_GPU, &v);
        r->temp_celsius = got(rc, v, lost);
    }
}

static void read_clocks(const struct nvml *m, struct nvml_device *d, struct gpu_reading *r, bool *lost)
{
    unsigned int v = 0;
    unsigned long long ll = 0;
    int rc;
    if (m->api.clock) {
        rc = m->api.clock(d, NVML_CLOCK_SM, &v);
        r->sm_clock_hz = got(rc, v * 1e6, lost);
        rc = m->api.clock(d, NVML_CLOCK_MEM, &v);
        r->mem_clock_hz = got(rc, v * 1e6, lost);
    }
    if (m->api.events) {
        rc = m->api.events(d, &ll);
        r->clock_events = got(rc, (double)ll, lost);
    }
}

static int nvml_read(void *impl, struct gpu_sample *out, char *why, size_t n)
{
    struct nvml *m = impl;
    out->taken = backend_realtime();
    for (size_t k = 0; k < m->n; k++) {
        struct gpu_reading *r = &out->gpu[k];
        bool lost = false;
        gpu_reading_clear(r);
        r->index = m->index[k];
        memcpy(r->name, m->name[k], sizeof(r->name));
        memcpy(r->uuid, m->uuid[k], sizeof(r->uuid));
        read_memory(m, m->dev[k], r, &lost);
        read_power(m, m->dev[k], r, &lost);
        read_clocks(m, m->dev[k], r, &lost);
        if (lost) {
            backend_why(why, n, "NVML: GPU %d (%s) is lost", r->index, r->uuid);
            return -1;
        }
    }
    out->n = m->n;
    return 0;
}

const struct source_ops nvml_ops = {"nvml", nvml_read, nvml_close};
