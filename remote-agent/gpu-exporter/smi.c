/* smi: the nvidia-smi source, the fallback where NVML cannot be loaded: one
 * `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` per sample (a fork and a few tens of
 * ms), and the parser of its CSV, which also reads recordings made with a header and units.
 * Memory "used" here is nvidia-smi's: memory allocated by contexts, without what the driver reserves
 * (0 MiB on an idle H200, where NVML says 615 MiB); nvidia-smi has no energy counter, so energy is NAN. */
#include "source.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "backend.h"
#include "buf.h"
#include "csv.h"
#include "proc.h"

#define SMI_TIMEOUT_MS 5000      /* nvidia-smi takes seconds on many GPUs without persistence mode */
#define SMI_ERR_MAX 4096         /* what nvidia-smi writes on stderr, kept for a failure's message */
#define SMI_OUT_MAX (256 * 1024) /* GPU_MAX lines of about 200 bytes, with room */

enum col { COL_OTHER, COL_TIMESTAMP, COL_INDEX, COL_NAME, COL_UUID, COL_NUMBER, COL_HEX };

struct column {
    enum col kind;
    enum csv_unit unit; /* COL_NUMBER: the unit of its values */
    size_t offset;      /* COL_NUMBER, COL_HEX: of the double in struct gpu_reading */
    const char *name;   /* COL_OTHER: NULL */
};

struct smi_header {
    int n;
    struct column col[CSV_FIELDS_MAX];
};

#define AT(field) offsetof(struct gpu_reading, field)

/* The fields the exporter reads, with their aliases (nvidia-smi --help-query-gpu) and the unit
 * nvidia-smi gives them; every other field is read past. */
static const struct column known[] = {
    {COL_TIMESTAMP, CSV_UNIT_NONE, 0, "timestamp"},
    {COL_INDEX, CSV_UNIT_NONE, 0, "index"},
    {COL_NAME, CSV_UNIT_NONE, 0, "name"},
    {COL_NAME, CSV_UNIT_NONE, 0, "gpu_name"},
    {COL_UUID, CSV_UNIT_NONE, 0, "uuid"},
    {COL_UUID, CSV_UNIT_NONE, 0, "gpu_uuid"},
    {COL_NUMBER, CSV_UNIT_PERCENT, AT(util_ratio), "utilization.gpu"},
    {COL_NUMBER, CSV_UNIT_PERCENT, AT(mem_util_ratio), "utilization.memory"},
    {COL_NUMBER, CSV_UNIT_MIB, AT(mem_total_bytes), "memory.total"},
    {COL_NUMBER, CSV_UNIT_MIB, AT(mem_used_bytes), "memory.used"},
    {COL_NUMBER, CSV_UNIT_W, AT(power_watts), "power.draw"},
    {COL_NUMBER, CSV_UNIT_NONE, AT(temp_celsius), "temperature.gpu"},
    {COL_NUMBER, CSV_UNIT_MHZ, AT(sm_clock_hz), "clocks.current.sm"},
    {COL_NUMBER, CSV_UNIT_MHZ, AT(sm_clock_hz), "clocks.sm"},
    {COL_NUMBER, CSV_UNIT_MHZ, AT(mem_clock_hz), "clocks.current.memory"},
    {COL_NUMBER, CSV_UNIT_MHZ, AT(mem_clock_hz), "clocks.mem"},
    {COL_HEX, CSV_UNIT_NONE, AT(clock_events), "clocks_event_reasons.active"},
    {COL_HEX, CSV_UNIT_NONE, AT(clock_events), "clocks_throttle_reasons.active"},
};

/* What the live source asks for. Drivers before 535 call the reasons "throttle"; nvidia-smi refuses
 * the whole query for a field it does not know, so open tries the second list when the first fails. */
#define SMI_FIELDS_BASE                                                                                                \
    "index,name,uuid,utilization.gpu,utilization.memory,memory.total,memory.used,power.draw,temperature.gpu,"          \
    "clocks.current.sm,clocks.current.memory,"
static const char *const field_lists[] = {
    SMI_FIELDS_BASE "clocks_event_reasons.active",
    SMI_FIELDS_BASE "clocks_throttle_reasons.active",
};

/* One header field, "utilization.gpu [%]" or "utilization.gpu", into *c. Returns 0, or -1 for an
 * empty name or a unit that is not the one nvidia-smi gives that field. */
static int header_field(struct csv_field f, struct column *c, char *why, size_t n)
{
    struct csv_field name = f, unit = {NULL, 0};
    const char *open = memchr(f.p, '[', f.len);
    if (open && f.p[f.len - 1] == ']') {
        name.len = (size_t)(open - f.p);
        while (name.len > 0 && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
            name.len--;
        unit = (struct csv_field){open + 1, f.len - (size_t)(open - f.p) - 2};
    }
    if (name.len == 0) {
        backend_why(why, n, "a header field without a name");
        return -1;
    }
    *c = (struct column){COL_OTHER, CSV_UNIT_NONE, 0, NULL};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (csv_eq(name, known[i].name))
            *c = known[i];
    enum csv_unit u;
    if (c->kind == COL_NUMBER && unit.len > 0 && (!csv_unit_parse(unit, &u) || u != c->unit)) {
        backend_why(why, n, "%s in [%.*s]: not the unit nvidia-smi gives it", c->name,
                    (int)(unit.len > 16 ? 16 : unit.len), unit.p);
        return -1;
    }
    return 0;
}

struct smi_header *smi_header_parse(const char *line, char *why, size_t n)
{
    struct csv_field f[CSV_FIELDS_MAX];
    if (!csv_line_clean(line)) {
        backend_why(why, n, "the header holds bytes nvidia-smi does not write");
        return NULL;
    }
    int count = csv_split(line, f, CSV_FIELDS_MAX);
    if (count < 0) {
        backend_why(why, n, "the header has more than %d fields", CSV_FIELDS_MAX);
        return NULL;
    }
    struct smi_header *h = calloc(1, sizeof(*h));
    if (!h) {
        backend_why(why, n, "out of memory");
        return NULL;
    }
    bool any = false;
    for (int i = 0; i < count; i++) {
        if (header_field(f[i], &h->col[i], why, n) < 0) {
            free(h);
            return NULL;
        }
        any = any || h->col[i].kind != COL_OTHER;
    }
    if (!any) {
        free(h);
        backend_why(why, n, "the header names no field the exporter reads");
        return NULL;
    }
    h->n = count;
    return h;
}

void smi_header_free(struct smi_header *h)
{
    free(h);
}

/* The n digits at p as a number, or -1 when one is not a digit. */
static int fixed_int(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* nvidia-smi's "YYYY/MM/DD HH:MM:SS.mmm", in local time as it prints it, to epoch seconds. A
 * recording's timestamps only group and order its rows, so the time zone does not matter there. */
static int parse_timestamp(struct csv_field f, double *t)
{
    const char *p = f.p;
    if (f.len < 19 || p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[13] != ':' || p[16] != ':')
        return -1;
    struct tm tm = {.tm_year = fixed_int(p, 4) - 1900,
                    .tm_mon = fixed_int(p + 5, 2) - 1,
                    .tm_mday = fixed_int(p + 8, 2),
                    .tm_hour = fixed_int(p + 11, 2),
                    .tm_min = fixed_int(p + 14, 2),
                    .tm_sec = fixed_int(p + 17, 2),
                    .tm_isdst = -1};
    if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
        tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
        return -1;
    double frac = 0, scale = 0.1;
    if (f.len > 19) {
        int digits = (int)f.len - 20;
        if (p[19] != '.' || digits < 1 || digits > 9)
            return -1;
        for (int i = 0; i < digits; i++, scale /= 10) {
            int d = fixed_int(p + 20 + i, 1);
            if (d < 0)
                return -1;
            frac += d * scale;
        }
    }
    time_t s = mktime(&tm);
    if (s == (time_t)-1)
        return -1;
    *t = (double)s + frac;
    return 0;
}

/* A field's value as the why of a refusal: capped, and printable since the line was checked. */
#define SHOWN(f) (int)((f).len > 40 ? 40 : (f).len), (f).p

static int number_value(const struct column *c, struct csv_field f, struct gpu_reading *out, char *why, size_t n)
{
    if (csv_missing(f))
        return 0; /* stays NAN */
    double v;
    struct csv_field unit;
    enum csv_unit u = c->unit;
    int rc = c->kind == COL_HEX ? csv_hex(f, &v) : csv_number(f, &v, &unit);
    if (rc == 0 && c->kind == COL_NUMBER && unit.len > 0 && (!csv_unit_parse(unit, &u) || u != c->unit))
        rc = -1; /* "--format=csv" writes the unit after the value: it must be the header's */
    if (rc < 0) {
        backend_why(why, n, "%s: \"%.*s\" is not a number", c->name, SHOWN(f));
        return -1;
    }
    *(double *)(void *)((char *)out + c->offset) = csv_unit_apply(v, u);
    return 0;
}

static int text_value(const struct column *c, struct csv_field f, struct gpu_reading *out, char *why, size_t n)
{
    char *dst = c->kind == COL_NAME ? out->name : out->uuid;
    size_t cap = c->kind == COL_NAME ? sizeof(out->name) : sizeof(out->uuid);
    if (csv_missing(f))
        return 0; /* stays "" */
    if (csv_copy(f, dst, cap) < 0) {
        backend_why(why, n, "%s: longer than %zu bytes", c->name, cap - 1);
        return -1;
    }
    return 0;
}

static int index_value(struct csv_field f, struct gpu_reading *out, char *why, size_t n)
{
    out->index = csv_index(f, CSV_INDEX_MAX);
    if (out->index >= 0)
        return 0;
    backend_why(why, n, "index: \"%.*s\" is not a GPU index", SHOWN(f));
    return -1;
}

static int field_value(const struct column *c, struct csv_field f, struct gpu_reading *out, double *taken, char *why,
                       size_t n)
{
    switch (c->kind) {
    case COL_OTHER:
        return 0;
    case COL_TIMESTAMP:
        if (parse_timestamp(f, taken) == 0)
            return 0;
        backend_why(why, n, "timestamp: \"%.*s\" is not YYYY/MM/DD HH:MM:SS.mmm", SHOWN(f));
        return -1;
    case COL_INDEX:
        return index_value(f, out, why, n);
    case COL_NAME:
    case COL_UUID:
        return text_value(c, f, out, why, n);
    case COL_NUMBER:
    case COL_HEX:
        break;
    }
    return number_value(c, f, out, why, n);
}

int smi_line_parse(const struct smi_header *h, const char *line, struct gpu_reading *out, double *taken, char *why,
                   size_t n)
{
    struct csv_field f[CSV_FIELDS_MAX];
    double t = NAN;
    gpu_reading_clear(out);
    if (taken)
        *taken = NAN;
    if (!csv_line_clean(line)) {
        backend_why(why, n, "the line holds bytes nvidia-smi does not write");
        return -1;
    }
    int count = csv_split(line, f, CSV_FIELDS_MAX);
    if (count == 1 && f[0].len == 0) {
        backend_why(why, n, "an empty line");
        return -1;
    }
    if (count < 0 || count != h->n) {
        if (count < 0)
            backend_why(why, n, "more than %d fields where the header has %d", CSV_FIELDS_MAX, h->n);
        else
            backend_why(why, n, "%d fields where the header has %d", count, h->n);
        return -1;
    }
    for (int i = 0; i < count; i++)
        if (field_value(&h->col[i], f[i], out, &t, why, n) < 0) {
            gpu_reading_clear(out);
            return -1;
        }
    if (taken)
        *taken = t;
    return 0;
}

/* The live source. */

struct smi {
    char *program;
    const char *fields; /* one of field_lists */
    struct smi_header *h;
};

/* The first line of what nvidia-smi said, for a why: its errors go to stdout. */
static void first_line(const char *s, char *dst, size_t cap)
{
    size_t len = strcspn(s, "\r\n");
    len = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < len; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    dst[len] = '\0';
}

/* Why a run gave no usable output, or 0 when it did. *refused: it ran and exited non-zero. */
static int run_failed(const char *program, int rc, const struct proc_result *r, bool *refused, char *why, size_t n)
{
    char said[160];
    *refused = false;
    if (rc < 0 && r->exec_errno) {
        backend_why(why, n, "%s: cannot run it: %s", program, strerror(r->exec_errno));
        return -1;
    }
    if (rc < 0 || r->timed_out) {
        backend_why(why, n, "%s: no answer within %d s", program, SMI_TIMEOUT_MS / 1000);
        return -1;
    }
    if (r->status != 0) { /* nvidia-smi says why on stdout; stderr for anything else */
        first_line(r->out_len ? r->out : r->err, said, sizeof(said));
        backend_why(why, n, "%s: exit status %d: %s", program, r->status, said);
        *refused = true;
        return -1;
    }
    if (r->out_truncated) {
        backend_why(why, n, "%s: more than %d bytes of output", program, SMI_OUT_MAX);
        return -1;
    }
    return 0;
}

/* Parses nvidia-smi's lines (the buffer is cut into C strings in place) into out, GPU_MAX at most. */
static int parse_output(const char *program, char *data, size_t data_len, const struct smi_header *h,
                        struct gpu_sample *out, char *why, size_t n)
{
    char *p = data, *end = data + data_len;
    char line_why[200];
    for (int line = 1; p && p < end && out->n < GPU_MAX; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0'; /* the text is NUL-terminated, so stop == end is writable */
        char *text = p;
        size_t len = (size_t)(stop - text);
        p = nl ? nl + 1 : NULL;
        if (len == 0)
            continue;
        if (strlen(text) != len) {
            backend_why(why, n, "%s: line %d: a NUL byte", program, line);
            return -1;
        }
        if (smi_line_parse(h, text, &out->gpu[out->n], NULL, line_why, sizeof(line_why)) < 0) {
            backend_why(why, n, "%s: line %d: %s", program, line, line_why);
            return -1;
        }
        out->n++;
    }
    if (out->n == 0) {
        backend_why(why, n, "%s: lists no GPU", program);
        return -1;
    }
    return 0;
}

/* One run of nvidia-smi with fields, parsed into out. Returns 0 or -1 with why; *refused as run_failed. */
static int query(const char *program, const char *fields, const struct smi_header *h, struct gpu_sample *out,
                 bool *refused, char *why, size_t n)
{
    char q[512];
    snprintf(q, sizeof(q), "--query-gpu=%s", fields);
    const char *argv[] = {program, q, "--format=csv,noheader,nounits", NULL};
    struct arena *a = arena_new(16384);
    struct proc_result r;
    out->n = 0;
    int rc = a ? proc_run(a, argv, SMI_TIMEOUT_MS, SMI_OUT_MAX, SMI_ERR_MAX, &r) : -1;
    if (!a)
        r = (struct proc_result){.status = -1, .exec_errno = ENOMEM};
    rc = run_failed(program, rc, &r, refused, why, n);
    if (rc == 0)
        rc = parse_output(program, r.out, r.out_len, h, out, why, n);
    arena_free(a);
    return rc;
}

static void smi_close(void *impl)
{
    struct smi *s = impl;
    if (!s)
        return;
    smi_header_free(s->h);
    free(s->program);
    free(s);
}

/* Tries each field list until nvidia-smi accepts one and lists a GPU. */
void *smi_open(const char *program, char *why, size_t n)
{
    struct smi *s = calloc(1, sizeof(*s));
    struct gpu_sample *scratch = malloc(sizeof(*scratch));
    if (s && scratch)
        s->program = strdup(program ? program : "nvidia-smi");
    if (!s || !scratch || !s->program) {
        backend_why(why, n, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < sizeof(field_lists) / sizeof(field_lists[0]); i++) {
        bool refused = false;
        smi_header_free(s->h);
        s->h = smi_header_parse(field_lists[i], why, n);
        if (!s->h)
            goto fail;
        if (query(s->program, field_lists[i], s->h, scratch, &refused, why, n) == 0) {
            s->fields = field_lists[i];
            free(scratch);
            return s;
        }
        if (!refused)
            break; /* not a field it does not know: another list will not help */
    }
fail:
    free(scratch);
    smi_close(s);
    return NULL;
}

static int smi_read(void *impl, struct gpu_sample *out, char *why, size_t n)
{
    struct smi *s = impl;
    bool refused;
    out->taken = backend_realtime();
    return query(s->program, s->fields, s->h, out, &refused, why, n);
}

const struct source_ops smi_ops = {"nvidia-smi", smi_read, smi_close};
