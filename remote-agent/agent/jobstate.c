/* jobstate: parsers of squeue/scontrol/sacct output and the state mapping. */
#include "jobstate.h"

#include <string.h>

#define MAX_FIELDS 8

bool jobstate_parse_id(const char *s, size_t len, int64_t *id)
{
    if (len == 0 || len > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v == 0)
        return false;
    *id = v;
    return true;
}

/* A copy of a field, or NULL for SLURM's ways of saying "nothing". */
static const char *value(struct arena *a, const char *s, size_t len)
{
    static const char *const none[] = {"None", "(null)", "None assigned", NULL};
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    if (len == 0)
        return NULL;
    for (const char *const *n = none; *n; n++)
        if (strlen(*n) == len && memcmp(*n, s, len) == 0)
            return NULL;
    return arena_strndup(a, s, len);
}

/* The leading state word: upper-case letters and '_' ("CANCELLED by 0" and "CANCELLED+" give CANCELLED). */
static const char *state_word(struct arena *a, const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && ((s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_'))
        n++;
    return n ? arena_strndup(a, s, n) : NULL;
}

/* Splits line (len bytes) at sep into at most MAX_FIELDS fields; returns how many there are, or
 * MAX_FIELDS + 1 when there are more. */
static size_t split(const char *line, size_t len, char sep, const char **f, size_t *flen)
{
    size_t n = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (n == MAX_FIELDS)
            return MAX_FIELDS + 1;
        f[n] = p;
        flen[n++] = q ? (size_t)(q - p) : (size_t)(end - p);
        if (!q)
            return n;
        p = q + 1;
    }
}

/* Rows from the lines of four '|'-separated fields whose first is a plain job id; others are skipped. */
static size_t parse_table(struct arena *a, const char *text, struct jobstate_row **rows, bool sacct)
{
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    struct jobstate_row *out = arena_calloc(a, lines, sizeof(*out));
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p), flen[MAX_FIELDS];
        const char *f[MAX_FIELDS];
        struct jobstate_row r = {0};
        if (split(p, len, '|', f, flen) == 4 && jobstate_parse_id(f[0], flen[0], &r.job_id))
            r.slurm_state = state_word(a, f[1], flen[1]);
        if (r.slurm_state) {
            r.node = value(a, f[sacct ? 3 : 2], flen[sacct ? 3 : 2]);
            r.reason = sacct ? NULL : value(a, f[3], flen[3]);
            r.exit_code = sacct ? value(a, f[2], flen[2]) : NULL;
            out[n++] = r;
        }
        p = nl ? nl + 1 : p + len;
    }
    *rows = out;
    return n;
}

size_t jobstate_parse_squeue(struct arena *a, const char *text, struct jobstate_row **rows)
{
    return parse_table(a, text, rows, false);
}

size_t jobstate_parse_sacct(struct arena *a, const char *text, struct jobstate_row **rows)
{
    return parse_table(a, text, rows, true);
}

/* The value of Key= among space-separated words of the first line; *len its length. NULL: absent. */
static const char *word_value(const char *text, const char *key, size_t *len)
{
    size_t k = strlen(key), line = strcspn(text, "\n");
    for (size_t i = 0; i + k < line; i++) {
        if ((i == 0 || text[i - 1] == ' ') && memcmp(text + i, key, k) == 0 && text[i + k] == '=') {
            const char *v = text + i + k + 1;
            *len = strcspn(v, " \n");
            return v;
        }
    }
    return NULL;
}

bool jobstate_parse_scontrol(struct arena *a, const char *text, struct jobstate_row *row)
{
    size_t len;
    const char *v;
    memset(row, 0, sizeof(*row));
    v = word_value(text, "JobId", &len);
    if (!v || !jobstate_parse_id(v, len, &row->job_id))
        return false;
    v = word_value(text, "JobState", &len);
    row->slurm_state = v ? state_word(a, v, len) : NULL;
    if (!row->slurm_state)
        return false;
    v = word_value(text, "NodeList", &len);
    if (v)
        row->node = value(a, v, len);
    v = word_value(text, "Reason", &len);
    if (v)
        row->reason = value(a, v, len);
    v = word_value(text, "ExitCode", &len);
    if (v)
        row->exit_code = value(a, v, len);
    return true;
}

static const struct {
    const char *word;
    enum job_state state;
} states[] = {
    {"PENDING", JOB_PENDING},       {"REQUEUED", JOB_PENDING},      {"REQUEUE_HOLD", JOB_PENDING},
    {"REQUEUE_FED", JOB_PENDING},   {"RESV_DEL_HOLD", JOB_PENDING}, {"CONFIGURING", JOB_STARTING},
    {"RUNNING", JOB_RUNNING}, /* "starting" until the endpoint is there */
    {"COMPLETING", JOB_COMPLETING}, {"STAGE_OUT", JOB_COMPLETING},  {"COMPLETED", JOB_COMPLETED},
    {"FAILED", JOB_FAILED},         {"NODE_FAIL", JOB_FAILED},      {"OUT_OF_MEMORY", JOB_FAILED},
    {"BOOT_FAIL", JOB_FAILED},      {"CANCELLED", JOB_CANCELLED},   {"PREEMPTED", JOB_CANCELLED},
    {"TIMEOUT", JOB_TIMEOUT},       {"DEADLINE", JOB_TIMEOUT},
};

enum job_state jobstate_normalise(const char *slurm_state, bool endpoint_ready)
{
    if (!slurm_state)
        return JOB_UNKNOWN;
    size_t len = strcspn(slurm_state, " +");
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (strlen(states[i].word) != len || memcmp(states[i].word, slurm_state, len) != 0)
            continue;
        if (states[i].state == JOB_RUNNING && !endpoint_ready)
            return JOB_STARTING;
        return states[i].state;
    }
    return JOB_UNKNOWN;
}
