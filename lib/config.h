/* config: `key = value` lines from one file, each key overridable by AIFB_<KEY> in the
 * environment (dots and dashes become underscores, letters upper case), then defaults. */
#ifndef AIFB_CONFIG_H
#define AIFB_CONFIG_H

#include <stddef.h>

struct config;

/* Parses text (a whole file's contents). Returns a config the caller frees with config_free,
 * or NULL with a message naming the line in errbuf. */
struct config *config_parse(const char *text, char *errbuf, size_t errlen);

/* Reads and parses path; NULL path gives an empty config (environment and defaults only). */
struct config *config_load(const char *path, char *errbuf, size_t errlen);

void config_free(struct config *c);

/* How many keys the file gave (a key given twice counts once). */
size_t config_count(const struct config *c);

/* The i-th key the file gave (0 <= i < config_count, in the order they first appear), the value the
 * file gives it (the environment aside) and the line that set it last. Returns 0, or -1 when i is
 * out of range. The strings are owned by c. */
int config_entry(const struct config *c, size_t i, const char **key, const char **value, int *line);

/* Writes AIFB_<KEY>, the environment variable that overrides key, into out (n bytes, cut to fit). */
void config_env_name(const char *key, char *out, size_t n);

/* The value of key: environment first, then the file, then def. Owned by c or the environment. */
const char *config_get(const struct config *c, const char *key, const char *def);

/* The value of key as an integer within [min, max]. Returns 0, or -1 with a message in errbuf
 * when the value is not a whole number in range. */
int config_get_int(const struct config *c, const char *key, long long def, long long min, long long max, long long *out,
                   char *errbuf, size_t errlen);

#endif
