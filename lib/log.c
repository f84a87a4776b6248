/* log: timestamped lines on stderr, one write() each. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "aifb";
static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *name, enum log_level min)
{
    prog = name;
    min_level = min;
}

int log_level_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcmp(s, level_names[i]) == 0)
            return (int)i;
    return -1;
}

static size_t stamp(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(out + k, n - k, ".%03ldZ %s[%ld] ", ts.tv_nsec / 1000000, prog, (long)getpid());
    return m > 0 ? k + (size_t)m : k;
}

static void emit(char *line, size_t k, size_t cap, const char *fmt, va_list ap)
{
    int m = vsnprintf(line + k, cap - k - 1, fmt, ap);
    size_t len = m < 0 ? k : k + (size_t)m;
    if (len > cap - 2)
        len = cap - 2; /* truncated: still one line */
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere left to report a failed log write */
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    size_t k = stamp(line, sizeof(line));
    int m = snprintf(line + k, sizeof(line) - k, "%s: ", level_names[level]);
    k += m > 0 ? (size_t)m : 0;
    va_list ap;
    va_start(ap, fmt);
    emit(line, k, sizeof(line), fmt, ap);
    va_end(ap);
}

void log_access(const char *fmt, ...)
{
    char line[2048];
    size_t k = stamp(line, sizeof(line));
    va_list ap;
    va_start(ap, fmt);
    emit(line, k, sizeof(line), fmt, ap);
    va_end(ap);
}
