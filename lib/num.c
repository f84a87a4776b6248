/* num: strtoll and strtod with their end pointers, errno and range checked. */
#include "num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool num_i64(const char *s, int64_t *v)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return false;
    *v = x;
    return true;
}

bool num_i64n(const char *s, size_t n, int64_t *v)
{
    char buf[24];
    if (!s || n == 0 || n >= sizeof(buf) || memchr(s, '\0', n))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return num_i64(buf, v);
}

bool num_f64(const char *s, double *v)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (*end || end == s || !isfinite(x) || (errno == ERANGE && fabs(x) > 1))
        return false;
    *v = x;
    return true;
}

int num_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
