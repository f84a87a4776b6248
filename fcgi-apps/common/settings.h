/* settings: the keys of aifb.conf (settings.def) with their types, defaults and ranges. At start-up
 * settings_check refuses a key the list lacks and a value that is not of its type or out of range,
 * from the file or from an AIFB_<KEY> override; afterwards the typed getters read a key by its enum,
 * so that a misspelt key does not compile and each default is written once. */
#ifndef AIFB_SETTINGS_H
#define AIFB_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

struct config;

enum setting {
#define SETTING(name, key, type, def, min, max, choices, doc) SETTING_##name,
#include "settings.def"
#undef SETTING
    SETTING_COUNT
};

/* What a value must be. min and max of a row bound an INT's value and the others' length. */
enum settings_type {
    SETTINGS_T_TEXT,        /* any text without control characters */
    SETTINGS_T_PATH,        /* a local path (a program: a name on PATH too) */
    SETTINGS_T_REMOTE_PATH, /* a path on the login node: [A-Za-z0-9._/-], no ".." component */
    SETTINGS_T_URL,         /* http:// or https://, or empty where min is 0 */
    SETTINGS_T_ADDRESS,     /* host:port, the port 1 to 65535 */
    SETTINGS_T_INT,         /* a decimal whole number in [min, max] */
    SETTINGS_T_CHOICE,      /* one of the row's choices */
};

/* Checks c, loaded from path (NULL: no file), against the list: each key of the file must be in it,
 * and each value it gives, or the environment gives, of its row's type and range. Returns 0, or -1
 * with one line in err naming the key and where it came from ("FILE:LINE: unknown key 'x'",
 * "AIFB_WORKERS: ..."). */
int settings_check(const struct config *c, const char *path, char *err, size_t errlen);

/* The text of s: from the environment, the file, or the list's default; NULL when none of them has
 * one. Owned by c, the environment or the list. Not for a row of one program (settings_app_str). */
const char *settings_str(const struct config *c, enum setting s);

/* The value of an INT row s; its default when the text does not parse (settings_check refused that
 * already), 0 when it has none. Not for a row of one program (settings_app_int). */
long long settings_int(const struct config *c, enum setting s);

/* The same for a row of one program ("<app>.workers"), for the program app ("server"). */
const char *settings_app_str(const struct config *c, enum setting s, const char *app);
long long settings_app_int(const struct config *c, enum setting s, const char *app);

/* The key of row s as the list writes it ("<app>.workers" for a row of one program). */
const char *settings_key(enum setting s);

/* Writes the README's table of the keys (Markdown, one row a key) to out. Returns 0, or -1 on a
 * write error. */
int settings_doc(FILE *out);

#endif
