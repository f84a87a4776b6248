/* log: one line per event on stderr (the stack sends it to var/log/aifb-<app>.log), written with
 * a single write() so that lines from several workers never interleave. */
#ifndef AIFB_LOG_H
#define AIFB_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Names the program in every line and sets the lowest level written. name is not copied. */
void log_init(const char *name, enum log_level min);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Writes "<time> <name>[<pid>] <level>: <message>". */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes an access line as is, prefixed with the time and program, newline added. */
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
