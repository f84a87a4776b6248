/* categorize: the rule table is matched with fnmatch(FNM_PATHNAME), so that '*' never crosses a '/'. */
#include "categorize.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

static const struct {
    const char *pattern;
    const char *category;
} rules[] = {
    {"logs/vllm/*", "vllm"},
    {"logs/vllm-replicas/*", "vllm"},
    {"logs/simllm/*", "vllm"},
    {"logs/qdrant/*", "vector-db"},
    {"logs/loadgen/*", "client"},
    {"logs/agent/*", "agent"},
    {"jobs/*/gpu-exporter.log", "monitoring"},
    {"logs/*/aifb-run-*", "client"},
    {"logs/*/aifb-svc-*", "server"}, /* a service of another recipe: some other inference server */
    {"logs/aifb-run-*", "client"},   /* the flat layout */
    {"logs/aifb-svc-*", "server"},
};

/* The number of digits at s; *v their value (0 when none or too many). */
static size_t digits(const char *s, int64_t *v)
{
    size_t n = strspn(s, "0123456789");
    if (n > 18 || !num_i64n(s, n, v))
        *v = 0;
    return n;
}

/* <name>-<job id>.out|.err: the job id at the end of the base name. */
static int64_t job_of_name(const char *base)
{
    const char *dot = strrchr(base, '.');
    if (!dot || (strcmp(dot, ".out") != 0 && strcmp(dot, ".err") != 0))
        return 0;
    const char *p = dot;
    while (p > base && p[-1] >= '0' && p[-1] <= '9')
        p--;
    int64_t v;
    return p > base && p[-1] == '-' && digits(p, &v) == (size_t)(dot - p) ? v : 0;
}

/* aifb-svc-<id>-... or aifb-run-<id>-...: the id after prefix. */
static int64_t id_after(const char *base, const char *prefix)
{
    size_t n = strlen(prefix);
    int64_t v;
    if (strncmp(base, prefix, n) != 0)
        return 0;
    size_t d = digits(base + n, &v);
    return d > 0 && base[n + d] == '-' ? v : 0;
}

void categorize(const char *path, struct log_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->category = "uncategorized";
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (fnmatch(rules[i].pattern, path, FNM_PATHNAME) == 0) {
            m->category = rules[i].category;
            break;
        }
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(path, "jobs/", 5) == 0)
        digits(path + 5, &m->job);
    else
        m->job = job_of_name(base);
    m->service = id_after(base, "aifb-svc-");
    m->run = id_after(base, "aifb-run-");
}

static bool component_ok(const char *s, size_t n)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!memchr(ok, s[i], sizeof(ok) - 1))
            return false;
    return true;
}

bool categorize_path_ok(const char *path)
{
    size_t len = strlen(path), parts = 0;
    if (len == 0 || len > 255) /* as the agent's rmlog takes them */
        return false;
    const char *comp[4];
    size_t clen[4];
    for (const char *p = path;; parts++) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (parts == 4 || !component_ok(p, n))
            return false;
        comp[parts] = p;
        clen[parts] = n;
        if (!slash) {
            parts++;
            break;
        }
        p = slash + 1;
    }
    if (clen[0] == 4 && strncmp(comp[0], "logs", 4) == 0)
        return parts == 2 || parts == 3;
    if (clen[0] == 4 && strncmp(comp[0], "jobs", 4) == 0) /* only .log: a job folder holds its token too */
        return parts == 3 && strspn(comp[1], "0123456789") == clen[1] && clen[2] > 4 &&
               strcmp(comp[2] + clen[2] - 4, ".log") == 0;
    return false;
}
