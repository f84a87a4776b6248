/* csv: fields, numbers, units and "not available" spellings of nvidia-smi's CSV and the NVML
 * recording. Everything works on slices of the caller's line; nothing is copied but numbers, which
 * strtod needs NUL-terminated. */
#include "csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

#define NUMBER_MAX 64 /* longer than any number nvidia-smi prints */

bool csv_line_clean(const char *line)
{
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return false;
    }
    return true;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct csv_field trim(const char *p, size_t len)
{
    while (len > 0 && blank(*p))
        p++, len--;
    while (len > 0 && blank(p[len - 1]))
        len--;
    return (struct csv_field){p, len};
}

int csv_split(const char *line, struct csv_field *f, int max)
{
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    int n = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (n == max)
            return -1;
        f[n++] = trim(p, (size_t)(stop - p));
        if (!comma)
            return n;
        p = comma + 1;
    }
}

bool csv_eq(struct csv_field f, const char *s)
{
    return strlen(s) == f.len && memcmp(f.p, s, f.len) == 0;
}

bool csv_missing(struct csv_field f)
{
    if (f.len >= 2 && f.p[0] == '[' && f.p[f.len - 1] == ']')
        return true;
    return csv_eq(f, "N/A") || csv_eq(f, "Not Supported");
}

static const struct {
    const char *name;
    enum csv_unit unit;
} unit_names[] = {
    {"%", CSV_UNIT_PERCENT}, {"MiB", CSV_UNIT_MIB}, {"W", CSV_UNIT_W},
    {"mW", CSV_UNIT_MW},     {"MHz", CSV_UNIT_MHZ}, {"mJ", CSV_UNIT_MJ},
};

bool csv_unit_parse(struct csv_field f, enum csv_unit *u)
{
    for (size_t i = 0; i < sizeof(unit_names) / sizeof(unit_names[0]); i++)
        if (csv_eq(f, unit_names[i].name)) {
            *u = unit_names[i].unit;
            return true;
        }
    return false;
}

double csv_unit_apply(double v, enum csv_unit u)
{
    switch (u) {
    case CSV_UNIT_PERCENT:
        return v / 100.0;
    case CSV_UNIT_MIB:
        return v * 1048576.0;
    case CSV_UNIT_MW:
    case CSV_UNIT_MJ:
        return v / 1000.0;
    case CSV_UNIT_MHZ:
        return v * 1e6;
    case CSV_UNIT_NONE:
    case CSV_UNIT_W:
        break;
    }
    return v;
}

static size_t digits(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9')
        i++;
    return i;
}

/* The length of the decimal number at the start of p (sign, digits, fraction, exponent), 0 if none.
 * Written out because strtod alone also takes "inf", "nan", hex floats and leading blanks. */
static size_t number_len(const char *p, size_t len)
{
    size_t i = (len > 0 && (p[0] == '-' || p[0] == '+')) ? 1 : 0;
    size_t whole = digits(p + i, len - i), frac = 0;
    i += whole;
    if (i < len && p[i] == '.') {
        frac = digits(p + i + 1, len - i - 1);
        i += 1 + frac;
    }
    if (whole + frac == 0)
        return 0;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (p[j] == '-' || p[j] == '+'))
            j++;
        size_t exp = digits(p + j, len - j);
        if (exp > 0)
            i = j + exp;
    }
    return i;
}

int csv_number(struct csv_field f, double *v, struct csv_field *unit)
{
    size_t len = number_len(f.p, f.len);
    if (len == 0 || len >= NUMBER_MAX)
        return -1;
    if (len < f.len && !blank(f.p[len]) && f.p[len] != '%')
        return -1; /* "12abc": a unit is set off by a blank, but for "%" */
    char tmp[NUMBER_MAX];
    memcpy(tmp, f.p, len);
    tmp[len] = '\0';
    if (!num_f64(tmp, v))
        return -1;
    *unit = trim(f.p + len, f.len - len);
    return 0;
}

/* The bitmask is kept as a double like every field: exact up to bit 52, far above NVML's reasons. */
int csv_hex(struct csv_field f, double *v)
{
    if (f.len < 3 || f.len > 18 || f.p[0] != '0' || (f.p[1] != 'x' && f.p[1] != 'X'))
        return -1;
    unsigned long long x = 0;
    for (size_t i = 2; i < f.len; i++) {
        int d = num_hex_digit((unsigned char)f.p[i]);
        if (d < 0)
            return -1;
        x = x << 4 | (unsigned)d;
    }
    *v = (double)x;
    return 0;
}

int csv_index(struct csv_field f, int max)
{
    double v;
    struct csv_field unit;
    if (csv_number(f, &v, &unit) < 0 || unit.len > 0 || v < 0 || v > max || v != floor(v))
        return -1;
    return (int)v;
}

int csv_copy(struct csv_field f, char *dst, size_t n)
{
    if (f.len >= n)
        return -1;
    memcpy(dst, f.p, f.len);
    dst[f.len] = '\0';
    return 0;
}
