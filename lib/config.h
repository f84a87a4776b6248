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

/* The value of key: environment first, then the file, then def. Owned by c or the environment. */
const char *config_get(const struct config *c, const char *key, const char *def);

/* The value of key as an integer within [min, max]. Returns 0, or -1 with a message in errbuf
 * when the value is not a whole number in range. */
int config_get_int(const struct config *c, const char *key, long long def, long long min, long long max, long long *out,
                   char *errbuf, size_t errlen);

#endif
