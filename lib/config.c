/* config: a small parser for `key = value` files and the AIFB_* overrides. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_KEYS 128
#define CONFIG_MAX_FILE (1024 * 1024)

struct config {
    size_t n;
    char *keys[CONFIG_MAX_KEYS];
    char *values[CONFIG_MAX_KEYS];
    int lines[CONFIG_MAX_KEYS]; /* the line that set each key last */
};

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static int key_ok(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++)
        if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '.' || *k == '_' || *k == '-'))
            return 0;
    return 1;
}

static int set(struct config *c, const char *k, const char *v, int line)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -1;
            free(c->values[i]);
            c->values[i] = nv;
            c->lines[i] = line;
            return 0;
        }
    if (c->n == CONFIG_MAX_KEYS)
        return -1;
    c->keys[c->n] = strdup(k);
    c->values[c->n] = strdup(v);
    c->lines[c->n] = line;
    if (!c->keys[c->n] || !c->values[c->n])
        return -1;
    c->n++;
    return 0;
}

static int parse_line(struct config *c, char *line, char *end, int lineno, char *errbuf, size_t errlen)
{
    char *s = trim(line, end);
    if (*s == '\0' || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(errbuf, errlen, "line %d: expected 'key = value'", lineno);
        return -1;
    }
    char *key = trim(s, eq);
    char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
    if (!key_ok(key)) {
        snprintf(errbuf, errlen, "line %d: bad key (use a-z, 0-9, '.', '_', '-')", lineno);
        return -1;
    }
    if (set(c, key, val, lineno) < 0) {
        snprintf(errbuf, errlen, "line %d: too many keys", lineno);
        return -1;
    }
    return 0;
}

struct config *config_parse(const char *text, char *errbuf, size_t errlen)
{
    struct config *c = calloc(1, sizeof(*c));
    char *copy = strdup(text ? text : "");
    if (!c || !copy) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    int lineno = 0;
    for (char *p = copy; *p;) {
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        lineno++;
        if (parse_line(c, p, end, lineno, errbuf, errlen) < 0)
            goto fail;
        p = nl ? nl + 1 : end;
    }
    free(copy);
    return c;
fail:
    free(copy);
    config_free(c);
    return NULL;
}

struct config *config_load(const char *path, char *errbuf, size_t errlen)
{
    if (!path)
        return config_parse("", errbuf, errlen);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(CONFIG_MAX_FILE + 1);
    size_t n = text ? fread(text, 1, CONFIG_MAX_FILE + 1, f) : 0;
    int bad = ferror(f) || !text || n > CONFIG_MAX_FILE;
    fclose(f);
    struct config *c = NULL;
    if (bad)
        snprintf(errbuf, errlen, "%s: unreadable or over %d bytes", path, CONFIG_MAX_FILE);
    else {
        text[n] = '\0';
        c = config_parse(text, errbuf, errlen);
    }
    free(text);
    return c;
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->keys[i]);
        free(c->values[i]);
    }
    free(c);
}

size_t config_count(const struct config *c)
{
    return c ? c->n : 0;
}

int config_entry(const struct config *c, size_t i, const char **key, const char **value, int *line)
{
    if (!c || i >= c->n)
        return -1;
    *key = c->keys[i];
    *value = c->values[i];
    *line = c->lines[i];
    return 0;
}

void config_env_name(const char *key, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "AIFB_");
    for (; *key && k + 1 < n; key++)
        out[k++] = (*key == '.' || *key == '-') ? '_' : (char)toupper((unsigned char)*key);
    out[k] = '\0';
}

const char *config_get(const struct config *c, const char *key, const char *def)
{
    char name[160];
    config_env_name(key, name, sizeof(name));
    const char *v = getenv(name);
    if (v)
        return v;
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            return c->values[i];
    return def;
}

int config_get_int(const struct config *c, const char *key, long long def, long long min, long long max, long long *out,
                   char *errbuf, size_t errlen)
{
    const char *v = config_get(c, key, NULL);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || x < min || x > max) {
        snprintf(errbuf, errlen, "%s: '%s' is not a whole number in [%lld, %lld]", key, v, min, max);
        return -1;
    }
    *out = x;
    return 0;
}
