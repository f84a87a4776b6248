/* replay: a recorded CSV served as if it were a GPU, for tests and demos on machines without one.
 * Either format of source.h is read whole at open (8 MiB at most); rows of one timestamp form one
 * sample, and samples come back in order, then again from the first with each GPU's energy raised by
 * what one lap used, so that the counter never goes back. A sample's taken is the time it is served,
 * not the recorded one: the replay stands in for a GPU read now. Each format's memory "used" is that
 * of the tool that recorded it (NVML's includes driver-reserved memory, nvidia-smi's does not). */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "buf.h"
#include "csv.h"

#define REPLAY_FILE_MAX (8 * 1024 * 1024)
#define REPLAY_SAME_S 0.5 /* rows closer in time than this, of different GPUs, are one sample */
#define NVML_CSV_HEADER                                                                                                \
    "t,index,name,uuid,util_gpu,util_mem,mem_total,mem_used,power_mw,temp_c,sm_mhz,mem_mhz,energy_mj"
#define NVML_CSV_FIELDS 13

/* The numeric columns of the NVML format, from the fifth on, with the unit NVML gives them. */
static const struct {
    size_t offset;
    enum csv_unit unit;
} nvml_cols[NVML_CSV_FIELDS - 4] = {
    {offsetof(struct gpu_reading, util_ratio), CSV_UNIT_PERCENT},
    {offsetof(struct gpu_reading, mem_util_ratio), CSV_UNIT_PERCENT},
    {offsetof(struct gpu_reading, mem_total_bytes), CSV_UNIT_NONE},
    {offsetof(struct gpu_reading, mem_used_bytes), CSV_UNIT_NONE},
    {offsetof(struct gpu_reading, power_watts), CSV_UNIT_MW},
    {offsetof(struct gpu_reading, temp_celsius), CSV_UNIT_NONE},
    {offsetof(struct gpu_reading, sm_clock_hz), CSV_UNIT_MHZ},
    {offsetof(struct gpu_reading, mem_clock_hz), CSV_UNIT_MHZ},
    {offsetof(struct gpu_reading, energy_joules), CSV_UNIT_MJ},
};

/* A field of the NVML format: a number without a unit, or a "not available" spelling (NAN). */
static int nvml_number(struct csv_field f, double *v)
{
    struct csv_field unit;
    if (csv_missing(f)) {
        *v = NAN;
        return 0;
    }
    return csv_number(f, v, &unit) == 0 && unit.len == 0 ? 0 : -1;
}

static int nvml_fields(const struct csv_field *f, struct gpu_reading *out, double *t, char *why, size_t n)
{
    static const char *const names[NVML_CSV_FIELDS - 4] = {"util_gpu", "util_mem", "mem_total", "mem_used", "power_mw",
                                                           "temp_c",   "sm_mhz",   "mem_mhz",   "energy_mj"};
    if (nvml_number(f[0], t) < 0 || isnan(*t)) {
        backend_why(why, n, "t: \"%.*s\" is not a time", (int)(f[0].len > 40 ? 40 : f[0].len), f[0].p);
        return -1;
    }
    out->index = csv_index(f[1], CSV_INDEX_MAX);
    if (out->index < 0) {
        backend_why(why, n, "index: \"%.*s\" is not a GPU index", (int)(f[1].len > 40 ? 40 : f[1].len), f[1].p);
        return -1;
    }
    if ((!csv_missing(f[2]) && csv_copy(f[2], out->name, sizeof(out->name)) < 0) ||
        (!csv_missing(f[3]) && csv_copy(f[3], out->uuid, sizeof(out->uuid)) < 0)) {
        backend_why(why, n, "name or uuid: too long");
        return -1;
    }
    for (int i = 0; i < NVML_CSV_FIELDS - 4; i++) {
        const struct csv_field *v = &f[4 + i];
        double x;
        if (nvml_number(*v, &x) < 0) {
            backend_why(why, n, "%s: \"%.*s\" is not a number", names[i], (int)(v->len > 40 ? 40 : v->len), v->p);
            return -1;
        }
        *(double *)(void *)((char *)out + nvml_cols[i].offset) = csv_unit_apply(x, nvml_cols[i].unit);
    }
    return 0;
}

int nvml_csv_line_parse(const char *line, struct gpu_reading *out, double *t, char *why, size_t n)
{
    struct csv_field f[NVML_CSV_FIELDS];
    double when = NAN;
    gpu_reading_clear(out);
    if (t)
        *t = NAN;
    if (!csv_line_clean(line)) {
        backend_why(why, n, "the line holds bytes NVML's recording does not");
        return -1;
    }
    int count = csv_split(line, f, NVML_CSV_FIELDS);
    if (count == 1 && f[0].len == 0) {
        backend_why(why, n, "an empty line");
        return -1;
    }
    if (count != NVML_CSV_FIELDS) {
        backend_why(why, n, "%s fields where the format has %d", count < 0 ? "more" : "fewer", NVML_CSV_FIELDS);
        return -1;
    }
    if (nvml_fields(f, out, &when, why, n) < 0) {
        gpu_reading_clear(out);
        return -1;
    }
    if (t)
        *t = when;
    return 0;
}

/* The replay source. */

struct span {
    size_t first, n; /* a sample's rows */
};

struct row {
    double t; /* recorded time; NAN: the format has none */
    struct gpu_reading g;
};

struct replay {
    struct row *rows;
    size_t nrows, rows_cap;
    struct span *samples;
    size_t nsamples, samples_cap;
    double lap_energy[GPU_MAX]; /* J added per lap, by position in the sample */
    size_t next;
    double laps; /* done so far */
};

/* The format of a recording, from its header line. */
struct format {
    struct smi_header *smi; /* NULL: the NVML format */
};

static void replay_close(void *impl)
{
    struct replay *r = impl;
    if (!r)
        return;
    free(r->rows);
    free(r->samples);
    free(r);
}

/* Room for one more element in p (cap elements of sz bytes, len used): p, or a larger copy; NULL out
 * of memory, p then still valid. */
static void *grow(void *p, size_t *cap, size_t len, size_t sz)
{
    if (len < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 64;
    void *q = realloc(p, c * sz);
    if (q)
        *cap = c;
    return q;
}

/* Whether a row starts a new sample: another time, a GPU already in this one, or a full one. "Another
 * time" allows REPLAY_SAME_S, since nvidia-smi stamps each GPU's row as it reads it, a few ms apart on
 * one query; a GPU seen twice splits the queries however fast they come. Rows with neither time nor
 * index have nothing to group them and stand alone. */
static bool starts_sample(const struct replay *r, const struct row *row)
{
    if (r->nsamples == 0)
        return true;
    const struct span *s = &r->samples[r->nsamples - 1];
    double t = row->t, first_t = r->rows[s->first].t;
    if (s->n == GPU_MAX || isnan(t) != isnan(first_t) || (!isnan(t) && fabs(t - first_t) >= REPLAY_SAME_S))
        return true;
    if (row->g.index < 0)
        return isnan(t);
    for (size_t i = s->first; i < s->first + s->n; i++)
        if (r->rows[i].g.index == row->g.index)
            return true;
    return false;
}

static int add_row(struct replay *r, const struct row *row)
{
    struct row *rows = grow(r->rows, &r->rows_cap, r->nrows, sizeof(*rows));
    if (!rows)
        return -1;
    r->rows = rows;
    if (starts_sample(r, row)) {
        struct span *samples = grow(r->samples, &r->samples_cap, r->nsamples, sizeof(*samples));
        if (!samples)
            return -1;
        r->samples = samples;
        r->samples[r->nsamples++] = (struct span){r->nrows, 0};
    }
    r->rows[r->nrows++] = *row;
    r->samples[r->nsamples - 1].n++;
    return 0;
}

/* Per position in the sample: the energy used from the first sample to the last, plus one mean step
 * (the step from the last sample back to the first), so that the next lap carries on rising. */
static void lap_energy(struct replay *r)
{
    for (size_t p = 0; p < GPU_MAX; p++) {
        double first = NAN, last = NAN;
        size_t k = 0;
        for (size_t s = 0; s < r->nsamples; s++) {
            double e = r->samples[s].n > p ? r->rows[r->samples[s].first + p].g.energy_joules : NAN;
            if (isnan(e))
                continue;
            first = k++ == 0 ? e : first;
            last = e;
        }
        double used = k > 1 ? fmax(0, last - first) : 0;
        r->lap_energy[p] = k > 1 ? used + used / (double)(k - 1) : 0;
    }
}

/* Reads the whole file into b (capped). Returns 0 or -1 with why. O_NONBLOCK and S_ISREG: a FIFO or a
 * device named as the recording is refused rather than waited on. */
static int slurp(const char *path, struct buf *b, char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        backend_why(why, n, "replay %s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char chunk[65536];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof(chunk))) > 0 || (got < 0 && errno == EINTR))
        if (got > 0 && buf_append(b, chunk, (size_t)got) < 0)
            break;
    int e = errno;
    close(fd);
    if (b->overflow || got < 0) {
        if (b->overflow)
            backend_why(why, n, "replay %s: larger than %d MiB", path, REPLAY_FILE_MAX >> 20);
        else
            backend_why(why, n, "replay %s: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

/* One data line into r: parsed with the format, a line that equals the header skipped (a recording
 * appended to), a cut last line (the recorder was stopped) dropped. Returns 0 or -1 with why. */
static int take_line(struct replay *r, const struct format *fmt, const char *line, const char *header, bool last,
                     char *why, size_t n)
{
    struct row row;
    if (strcmp(line, header) == 0)
        return 0;
    int rc = fmt->smi ? smi_line_parse(fmt->smi, line, &row.g, &row.t, why, n)
                      : nvml_csv_line_parse(line, &row.g, &row.t, why, n);
    if (rc < 0)
        return last ? 0 : -1;
    if (add_row(r, &row) < 0) {
        backend_why(why, n, "out of memory");
        return -1;
    }
    return 0;
}

/* The header line picks the format. Returns 0 or -1 with why. */
static int pick_format(const char *header, struct format *fmt, char *why, size_t n)
{
    char hwhy[160];
    fmt->smi = NULL;
    if (strcmp(header, NVML_CSV_HEADER) == 0)
        return 0;
    fmt->smi = smi_header_parse(header, hwhy, sizeof(hwhy));
    if (fmt->smi)
        return 0;
    backend_why(why, n, "the header is neither NVML's (" NVML_CSV_HEADER ") nor nvidia-smi's: %s", hwhy);
    return -1;
}

/* Cuts the text into lines (in place: CR/LF become NUL) and loads them. Returns 0 or -1 with why. */
static int load_lines(struct replay *r, char *p, char *end, const char *path, char *why, size_t n)
{
    struct format fmt = {NULL};
    const char *header = NULL;
    char lwhy[200];
    int rc = 0;
    for (int line = 1; p < end && rc == 0; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *stop = nl ? nl : end;
        size_t len = (size_t)(stop - p);
        *stop = '\0';
        if (len > 0 && p[len - 1] == '\r')
            p[--len] = '\0';
        if (strlen(p) != len) {
            backend_why(why, n, "replay %s: line %d: a NUL byte", path, line);
            rc = -1;
        } else if (*p == '\0') {
            /* blank lines carry nothing */
        } else if (!header) {
            header = p;
            rc = pick_format(header, &fmt, lwhy, sizeof(lwhy));
            if (rc < 0)
                backend_why(why, n, "replay %s: line %d: %s", path, line, lwhy);
        } else {
            rc = take_line(r, &fmt, p, header, !nl, lwhy, sizeof(lwhy));
            if (rc < 0)
                backend_why(why, n, "replay %s: line %d: %s", path, line, lwhy);
        }
        p = stop + 1;
    }
    smi_header_free(fmt.smi);
    return rc;
}

void *replay_open(const char *path, char *why, size_t n)
{
    struct buf b;
    struct replay *r = calloc(1, sizeof(*r));
    buf_init(&b, REPLAY_FILE_MAX);
    if (!r) {
        backend_why(why, n, "out of memory");
        return NULL;
    }
    if (slurp(path, &b, why, n) < 0 || (b.len > 0 && load_lines(r, b.data, b.data + b.len, path, why, n) < 0))
        goto fail;
    if (r->nsamples == 0) {
        backend_why(why, n, "replay %s: holds no sample", path);
        goto fail;
    }
    lap_energy(r);
    buf_free(&b);
    return r;
fail:
    buf_free(&b);
    replay_close(r);
    return NULL;
}

static int replay_read(void *impl, struct gpu_sample *out, char *why, size_t n)
{
    struct replay *r = impl;
    const struct span *s = &r->samples[r->next];
    (void)why, (void)n;
    out->taken = backend_realtime();
    out->n = s->n;
    for (size_t k = 0; k < s->n; k++) {
        struct gpu_reading *g = &out->gpu[k];
        *g = r->rows[s->first + k].g;
        if (g->index < 0)
            g->index = (int)k;
        g->energy_joules += r->laps * r->lap_energy[k];
    }
    if (++r->next == r->nsamples) {
        r->next = 0;
        r->laps += 1;
    }
    return 0;
}

const struct source_ops replay_ops = {"replay", replay_read, replay_close};
