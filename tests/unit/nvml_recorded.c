/* nvml_recorded: a libnvidia-ml.so.1 stand-in for the unit tests of the exporter's NVML binding. It
 * answers every entry point the exporter binds with the values NVML gave on the H200 of
 * tests/unit/fixtures/gpu/nvml-load.csv (row 1, idle), GPU 1 with each number + 1, so that a value
 * landing in the wrong field, a wrong unit or a wrong argument order shows. Built as a shared
 * library (Makefile) and loaded through AIFB_NVML_LIBRARY. The real library is checked on a GPU by
 * tests/device/gpu_check.sh. */
#include <stdio.h>
#include <string.h>

typedef struct dev *dev_t_;
struct util {
    unsigned int gpu, memory;
};
struct mem {
    unsigned long long total, free, used;
};

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, dev_t_ *d);
const char *nvmlErrorString(int rc);
int nvmlDeviceGetName(dev_t_ d, char *out, unsigned int len);
int nvmlDeviceGetUUID(dev_t_ d, char *out, unsigned int len);
int nvmlDeviceGetUtilizationRates(dev_t_ d, struct util *u);
int nvmlDeviceGetMemoryInfo(dev_t_ d, struct mem *m);
int nvmlDeviceGetPowerUsage(dev_t_ d, unsigned int *mw);
int nvmlDeviceGetTotalEnergyConsumption(dev_t_ d, unsigned long long *mj);
int nvmlDeviceGetTemperature(dev_t_ d, int sensor, unsigned int *c);
int nvmlDeviceGetClockInfo(dev_t_ d, int type, unsigned int *mhz);
int nvmlDeviceGetCurrentClocksEventReasons(dev_t_ d, unsigned long long *r);

static unsigned int gpu_of(dev_t_ d)
{
    return (unsigned int)((unsigned long)d - 1);
}

int nvmlInit_v2(void)
{
    return 0;
}
int nvmlShutdown(void)
{
    return 0;
}
int nvmlDeviceGetCount_v2(unsigned int *n)
{
    *n = 2;
    return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, dev_t_ *d)
{
    if (i > 1)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *d = (dev_t_)(unsigned long)(i + 1);
    return 0;
}
const char *nvmlErrorString(int rc)
{
    return rc ? "recorded error" : "Success";
}
int nvmlDeviceGetName(dev_t_ d, char *out, unsigned int len)
{
    (void)d;
    snprintf(out, len, "NVIDIA H200");
    return 0;
}
int nvmlDeviceGetUUID(dev_t_ d, char *out, unsigned int len)
{
    snprintf(out, len, "GPU-24ed5512-1c52-cc5f-1ef3-80a906fc33a%u", gpu_of(d));
    return 0;
}
int nvmlDeviceGetUtilizationRates(dev_t_ d, struct util *u)
{
    u->gpu = 0 + gpu_of(d);
    u->memory = 0 + 2 * gpu_of(d);
    return 0;
}
int nvmlDeviceGetMemoryInfo(dev_t_ d, struct mem *m)
{
    m->total = 150754820096ULL + gpu_of(d);
    m->used = 644939776ULL + gpu_of(d);
    m->free = m->total - m->used;
    return 0;
}
int nvmlDeviceGetPowerUsage(dev_t_ d, unsigned int *mw)
{
    *mw = 86626 + gpu_of(d);
    return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(dev_t_ d, unsigned long long *mj)
{
    *mj = 2506713ULL + gpu_of(d);
    return 0;
}
int nvmlDeviceGetTemperature(dev_t_ d, int sensor, unsigned int *c)
{
    *c = sensor == 0 ? 39 + gpu_of(d) : 0;
    return sensor == 0 ? 0 : 2;
}
int nvmlDeviceGetClockInfo(dev_t_ d, int type, unsigned int *mhz)
{
    *mhz = type == 1 ? 900 + gpu_of(d) : type == 2 ? 3201 + gpu_of(d) : 0;
    return type == 1 || type == 2 ? 0 : 2;
}
/* GPU 1 does not support it: the field must come back NAN, the others unharmed */
int nvmlDeviceGetCurrentClocksEventReasons(dev_t_ d, unsigned long long *r)
{
    *r = 1;
    return gpu_of(d) ? 3 : 0;
}
