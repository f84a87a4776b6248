/* libFuzzer harness for aifb-gpu-exporter's CSV parsers: what nvidia-smi printed, or a recording that
 * anyone may have written. The first byte picks the target: an NVML recording row, an nvidia-smi
 * header line and the lines after it, or the whole bytes as a replay file (through a memfd). A refused
 * line must leave an empty reading and a why; an accepted one NUL-terminated strings and a valid index. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../remote-agent/gpu-exporter/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const struct gpu_reading *r, const char *why, size_t why_size)
{
    if (strnlen(why, why_size) == why_size)
        abort(); /* why not terminated */
    if (strnlen(r->name, sizeof(r->name)) == sizeof(r->name) || strnlen(r->uuid, sizeof(r->uuid)) == sizeof(r->uuid))
        abort();
    if (rc == 0 && r->index < -1)
        abort();
    if (rc < 0 && (r->index != -1 || r->name[0] || r->uuid[0] || !isnan(r->power_watts) || !why[0]))
        abort(); /* a refusal leaves nothing half-filled, and says why */
    if (rc != 0 && rc != -1)
        abort();
}

static void smi_lines(char *text)
{
    char why[128];
    struct gpu_reading r;
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    struct smi_header *h = smi_header_parse(text, why, sizeof(why));
    if (!h)
        return;
    for (char *line = nl ? nl + 1 : NULL; line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        double t;
        why[0] = '\0';
        check(smi_line_parse(h, line, &r, &t, why, sizeof(why)), &r, why, sizeof(why));
    }
    smi_header_free(h);
}

static void replay(const uint8_t *data, size_t size)
{
    static struct gpu_sample s;
    char why[160], path[64];
    int fd = memfd_create("replay", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct source *src = source_replay_open(path, why, sizeof(why));
    close(fd);
    if (!src)
        return;
    for (int i = 0; i < 4; i++)
        if (source_read(src, &s, why, sizeof(why)) < 0 || s.n < 1 || s.n > GPU_MAX)
            abort(); /* a replay that opened always has a sample */
    source_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 3 == 2) {
        replay(data + 1, size - 1);
        return 0;
    }
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] % 3 == 0) {
        char why[128] = "";
        struct gpu_reading r;
        double t;
        check(nvml_csv_line_parse(text, &r, &t, why, sizeof(why)), &r, why, sizeof(why));
    } else {
        smi_lines(text);
    }
    free(text);
    return 0;
}
