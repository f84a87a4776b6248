/* settings: the list of settings.def as a table, the start-up check of a loaded config against it,
 * typed getters by enum, and the README's table made from it. The values stay in struct config;
 * this module only knows what they may be. */
#include "settings.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "num.h"

struct row {
    const char *key;
    enum settings_type type;
    const char *def;
    long long min, max;
    const char *choices;
    const char *doc;
};

static const struct row rows[SETTING_COUNT] = {
#define SETTING(name, k, t, d, lo, hi, ch, text)                                                                       \
    [SETTING_##name] = {.key = k, .type = SETTINGS_T_##t, .def = d, .min = lo, .max = hi, .choices = ch, .doc = text},
#include "settings.def"
#undef SETTING
};

/* The programs that share the file; a row "<app>.x" stands for one key of each. */
static const char *const apps[] = {"server", "client", "monitoring", "logs"};
#define N_APPS (sizeof(apps) / sizeof(apps[0]))

#define APP_PREFIX "<app>."
#define KEY_MAX 128

static bool per_app(const struct row *r)
{
    return strncmp(r->key, APP_PREFIX, strlen(APP_PREFIX)) == 0;
}

/* The key of row r for the program app ("server.workers"), written into out. */
static const char *app_key(const struct row *r, const char *app, char *out, size_t n)
{
    snprintf(out, n, "%s.%s", app, r->key + strlen(APP_PREFIX));
    return out;
}

/* The row of a key the file gave, or -1 when the list has none. */
static int row_of(const char *key)
{
    char k[KEY_MAX];
    for (int s = 0; s < SETTING_COUNT; s++) {
        if (!per_app(&rows[s])) {
            if (strcmp(rows[s].key, key) == 0)
                return s;
            continue;
        }
        for (size_t a = 0; a < N_APPS; a++)
            if (strcmp(app_key(&rows[s], apps[a], k, sizeof(k)), key) == 0)
                return s;
    }
    return -1;
}

/* Whether v is one of the space-separated words. */
static bool has_word(const char *words, const char *v)
{
    size_t n = strlen(v);
    for (const char *w = words; *w; w += strspn(w, " ")) {
        size_t len = strcspn(w, " ");
        if (len == n && strncmp(w, v, n) == 0)
            return true;
        w += len;
    }
    return false;
}

/* [A-Za-z0-9._/-], not empty, no ".." component: quoted safely into a shell command there. */
static bool remote_path_ok(const char *v)
{
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-";
    if (strspn(v, safe) != strlen(v))
        return false;
    for (const char *p = v; (p = strstr(p, "..")); p += 2)
        if ((p == v || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return false;
    return true;
}

static bool address_ok(const char *v)
{
    const char *colon = strrchr(v, ':');
    int64_t port;
    return colon && colon > v && num_i64(colon + 1, &port) && port >= 1 && port <= 65535;
}

static bool url_ok(const char *v)
{
    return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0;
}

/* What is wrong with v as a value of r, written into why; 0 when nothing. */
static int type_check(const struct row *r, const char *v, char *why, size_t n)
{
    int64_t x;
    switch (r->type) {
    case SETTINGS_T_INT:
        if (num_i64(v, &x) && x >= r->min && x <= r->max)
            return 0;
        snprintf(why, n, "'%s' is not a whole number from %lld to %lld", v, r->min, r->max);
        return -1;
    case SETTINGS_T_CHOICE:
        if (has_word(r->choices, v))
            return 0;
        snprintf(why, n, "'%s' is not one of: %s", v, r->choices);
        return -1;
    case SETTINGS_T_REMOTE_PATH:
        if (remote_path_ok(v))
            return 0;
        snprintf(why, n, "'%s' has characters outside [A-Za-z0-9._/-] or a '..'", v);
        return -1;
    case SETTINGS_T_URL:
        if (!*v || url_ok(v))
            return 0;
        snprintf(why, n, "'%s' is not an http:// or https:// URL", v);
        return -1;
    case SETTINGS_T_ADDRESS:
        if (address_ok(v))
            return 0;
        snprintf(why, n, "'%s' is not host:port (port 1 to 65535)", v);
        return -1;
    case SETTINGS_T_TEXT:
    case SETTINGS_T_PATH:
        return 0;
    }
    return 0;
}

/* What is wrong with v as a value of r: a control character, its length, its type. */
static int value_check(const struct row *r, const char *v, char *why, size_t n)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(why, n, "has a control character");
            return -1;
        }
    size_t len = strlen(v);
    if (r->type != SETTINGS_T_INT && (long long)len < r->min) {
        if (len == 0)
            snprintf(why, n, "is empty");
        else
            snprintf(why, n, "is under %lld bytes", r->min);
        return -1;
    }
    if (r->type != SETTINGS_T_INT && r->max && (long long)len > r->max) {
        snprintf(why, n, "is over %lld bytes", r->max);
        return -1;
    }
    return type_check(r, v, why, n);
}

/* Every key of the file is in the list, with a value of its type. */
static int check_file(const struct config *c, const char *path, char *err, size_t errlen)
{
    const char *key, *v;
    int line;
    char why[200];
    for (size_t i = 0; config_entry(c, i, &key, &v, &line) == 0; i++) {
        int s = row_of(key);
        if (s < 0) {
            snprintf(err, errlen, "%s:%d: unknown key '%s' (see README.md, Configuration)", path, line, key);
            return -1;
        }
        if (value_check(&rows[s], v, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%d: %s: %s", path, line, key, why);
            return -1;
        }
    }
    return 0;
}

/* The override of key in the environment, when there is one, is of its type; a key without a
 * default that is not one program's must be set somewhere. */
static int check_env(const struct config *c, const struct row *r, const char *key, const char *path, char *err,
                     size_t errlen)
{
    char name[KEY_MAX + 8], why[200];
    config_env_name(key, name, sizeof(name));
    const char *v = getenv(name);
    if (v && value_check(r, v, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s (environment): %s: %s", name, key, why);
        return -1;
    }
    if (!r->def && !per_app(r) && !config_get(c, key, NULL)) {
        snprintf(err, errlen, "%s: not set (in %s or %s)", key, path, name);
        return -1;
    }
    return 0;
}

int settings_check(const struct config *c, const char *path, char *err, size_t errlen)
{
    char key[KEY_MAX];
    path = path ? path : "(no config file)";
    if (check_file(c, path, err, errlen) < 0)
        return -1;
    for (int s = 0; s < SETTING_COUNT; s++) {
        const struct row *r = &rows[s];
        for (size_t a = 0; a < (per_app(r) ? N_APPS : 1); a++)
            if (check_env(c, r, per_app(r) ? app_key(r, apps[a], key, sizeof(key)) : r->key, path, err, errlen) < 0)
                return -1;
    }
    return 0;
}

/* The value of row s (for app, on a row of one program) as text, or its default. */
static const char *text_of(const struct config *c, enum setting s, const char *app)
{
    char key[KEY_MAX];
    assert(s >= 0 && s < SETTING_COUNT && per_app(&rows[s]) == (app != NULL));
    return config_get(c, app ? app_key(&rows[s], app, key, sizeof(key)) : rows[s].key, rows[s].def);
}

static long long int_of(const struct config *c, enum setting s, const char *app)
{
    const struct row *r = &rows[s];
    assert(r->type == SETTINGS_T_INT);
    int64_t v;
    if (num_i64(text_of(c, s, app), &v) && v >= r->min && v <= r->max)
        return v;
    return r->def && num_i64(r->def, &v) ? v : 0;
}

const char *settings_str(const struct config *c, enum setting s)
{
    return text_of(c, s, NULL);
}

long long settings_int(const struct config *c, enum setting s)
{
    return int_of(c, s, NULL);
}

const char *settings_app_str(const struct config *c, enum setting s, const char *app)
{
    return text_of(c, s, app);
}

long long settings_app_int(const struct config *c, enum setting s, const char *app)
{
    return int_of(c, s, app);
}

const char *settings_key(enum setting s)
{
    assert(s >= 0 && s < SETTING_COUNT);
    return rows[s].key;
}

static const char *type_name(enum settings_type t)
{
    static const char *const names[] = {
        [SETTINGS_T_TEXT] = "text",    [SETTINGS_T_PATH] = "path",         [SETTINGS_T_REMOTE_PATH] = "remote path",
        [SETTINGS_T_URL] = "URL",      [SETTINGS_T_ADDRESS] = "host:port", [SETTINGS_T_INT] = "integer",
        [SETTINGS_T_CHOICE] = "choice"};
    return names[t];
}

/* The "allowed" cell of row r. */
static int doc_allowed(FILE *out, const struct row *r)
{
    switch (r->type) {
    case SETTINGS_T_INT:
        return fprintf(out, "%lld to %lld", r->min, r->max);
    case SETTINGS_T_CHOICE:
        for (const char *w = r->choices; *w;) {
            size_t n = strcspn(w, " ");
            if (fprintf(out, "%s`%.*s`", w == r->choices ? "" : ", ", (int)n, w) < 0)
                return -1;
            w += n + (w[n] == ' ');
        }
        return 0;
    case SETTINGS_T_REMOTE_PATH:
        return fprintf(out, "`[A-Za-z0-9._/-]`, no `..`");
    case SETTINGS_T_URL:
        return fprintf(out, "`http://` or `https://`%s", r->min ? "" : ", or empty");
    case SETTINGS_T_ADDRESS:
        return fprintf(out, "port 1 to 65535");
    case SETTINGS_T_TEXT:
    case SETTINGS_T_PATH:
        break;
    }
    if (r->max)
        return fprintf(out, "%s%lld bytes", r->min ? "1 to " : "up to ", r->max);
    return fprintf(out, "%s", r->min ? "not empty" : "");
}

/* The "default" cell of row r: (none) where the meaning says what then, (empty), or the text. */
static int doc_default(FILE *out, const struct row *r)
{
    if (!r->def)
        return fprintf(out, "(none)");
    if (!*r->def)
        return fprintf(out, "(empty)");
    return r->type == SETTINGS_T_INT ? fprintf(out, "%s", r->def) : fprintf(out, "`%s`", r->def);
}

static int doc_row(FILE *out, const struct row *r)
{
    if (fprintf(out, "| `%s` | %s | ", r->key, type_name(r->type)) < 0 || doc_default(out, r) < 0)
        return -1;
    if (fprintf(out, " | ") < 0 || doc_allowed(out, r) < 0)
        return -1;
    return fprintf(out, " | %s |\n", r->doc) < 0 ? -1 : 0;
}

int settings_doc(FILE *out)
{
    if (fprintf(out, "| key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n") < 0)
        return -1;
    for (int s = 0; s < SETTING_COUNT; s++)
        if (doc_row(out, &rows[s]) < 0)
            return -1;
    return fflush(out) == 0 ? 0 : -1;
}
