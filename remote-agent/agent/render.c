/* render: shell quoting, {{name}} templates and the agent's script prologue.
 * Pure: no I/O, nothing kept between calls. The prologue is bash that every rendered script starts
 * with; recipes build on the functions it defines (see remote-agent/README.md, "Recipes"). */
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

int render_quote(struct buf *out, const char *s, size_t len)
{
    if (buf_append(out, "'", 1) < 0)
        return -1;
    for (const char *end = s + len; s < end;) {
        const char *q = memchr(s, '\'', (size_t)(end - s));
        size_t run = q ? (size_t)(q - s) : (size_t)(end - s);
        if (buf_append(out, s, run) < 0)
            return -1;
        s += run;
        if (q) {
            /* close the quote, an escaped quote, reopen: the only way to put ' in a quoted word */
            if (buf_append(out, "'\\''", 4) < 0)
                return -1;
            s++;
        }
    }
    return buf_append(out, "'", 1);
}

/* The shortest %.Ng form of d that reads back as d. */
static void real_text(double d, char *out, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        double back;
        if (num_f64(out, &back) && back == d)
            return;
    }
}

static int scalar_words(struct buf *out, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return render_quote(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" PRId64, (int64_t)json_integer_value(v));
        return render_quote(out, num, strlen(num));
    case JSON_REAL:
        real_text(json_real_value(v), num, sizeof(num));
        return render_quote(out, num, strlen(num));
    case JSON_TRUE:
        return render_quote(out, "true", 4);
    case JSON_FALSE:
        return render_quote(out, "false", 5);
    case JSON_NULL:
        return render_quote(out, "", 0);
    case JSON_OBJECT:
    case JSON_ARRAY:
        break;
    }
    return -1;
}

int render_value(struct buf *out, const json_t *v)
{
    if (!v)
        return render_quote(out, "", 0);
    if (!json_is_array(v))
        return scalar_words(out, v);
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        if (json_is_array(item) || json_is_object(item))
            return -1;
        if ((i > 0 && buf_append(out, " ", 1) < 0) || scalar_words(out, item) < 0)
            return -1;
    }
    return 0;
}

bool render_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > 64 || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int render_placeholders(const char *line, void (*fn)(const char *name, size_t len, void *ctx), void *ctx,
                        const char **bad)
{
    for (const char *p = strstr(line, "{{"); p; p = strstr(p, "{{")) {
        const char *name = p + 2, *end = strstr(name, "}}");
        if (!end || !render_name_ok(name, (size_t)(end - name))) {
            if (bad)
                *bad = p;
            return -1;
        }
        if (fn)
            fn(name, (size_t)(end - name), ctx);
        p = end + 2;
    }
    return 0;
}

static const struct render_var *find_var(const struct render_var *vars, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return &vars[i];
    return NULL;
}

/* One line: text between placeholders copied, each placeholder replaced by its var's words. */
static enum err render_line(struct buf *out, const char *line, const struct render_var *vars, size_t nvars,
                            const char **bad_name)
{
    const char *p = line;
    for (const char *open = strstr(p, "{{"); open; open = strstr(p, "{{")) {
        const char *name = open + 2, *close = strstr(name, "}}");
        size_t len = close ? (size_t)(close - name) : 0;
        const struct render_var *v = close && render_name_ok(name, len) ? find_var(vars, nvars, name, len) : NULL;
        if (!v) {
            *bad_name = open;
            return ERR_RECIPE_INVALID;
        }
        if (buf_append(out, p, (size_t)(open - p)) < 0 || buf_puts(out, v->words) < 0)
            return ERR_RECIPE_INVALID;
        p = close + 2;
    }
    if (buf_puts(out, p) < 0 || buf_append(out, "\n", 1) < 0)
        return ERR_RECIPE_INVALID;
    return ERR_OK;
}

enum err render_lines(struct buf *out, const char *const *lines, size_t n, const struct render_var *vars, size_t nvars,
                      const char **bad_name)
{
    *bad_name = NULL;
    for (size_t i = 0; i < n; i++) {
        enum err e = render_line(out, lines[i], vars, nvars, bad_name);
        if (e)
            return e;
    }
    return ERR_OK;
}

/* The start of every script. Recipes use aifb_job_dir (as {{job_dir}}), aifb_pids and the functions;
 * the README documents each. Placeholders here are the agent's own, never a user's. */
static const char *const prologue[] = {
    "#!/bin/bash",
    "# Rendered by aifb-agent from a recipe; every substituted value is one single-quoted word.",
    "set -euo pipefail",
    "aifb_recipe={{recipe}}",
    "aifb_state_dir={{state_dir}}",
    "aifb_pending_dir={{pending_dir}}",
    "aifb_token={{token}}",
    "case \"${SLURM_JOB_ID:-}\" in '' | *[!0-9]*) echo 'aifb: not run by SLURM (no SLURM_JOB_ID)' >&2; exit 1 ;; esac",
    "aifb_job_dir=\"$aifb_state_dir/jobs/$SLURM_JOB_ID\"",
    "# The agent renames the pending folder to the job's when sbatch answers, and the job may start first;",
    "# the token tells this job's folder from one an earlier job with the same id left.",
    "aifb_mine() {",
    "    local t=''",
    "    IFS= read -r t 2>/dev/null <\"$aifb_job_dir/token\" || true",
    "    [ \"$t\" = \"$aifb_token\" ]",
    "}",
    "aifb_i=0 aifb_wait=${AIFB_JOB_DIR_WAIT:-600}",
    "case $aifb_wait in '' | *[!0-9]*) aifb_wait=600 ;; esac",
    "until aifb_mine; do",
    "    if [ \"$aifb_i\" -ge \"$aifb_wait\" ]; then",
    "        echo 'aifb: the agent did not move the pending folder: this job does' >&2",
    "        if [ -e \"$aifb_job_dir\" ]; then mv -T \"$aifb_job_dir\" "
    "\"$aifb_state_dir/stale/$SLURM_JOB_ID-$aifb_token\"; fi",
    "        mv -T \"$aifb_pending_dir\" \"$aifb_job_dir\"",
    "        break",
    "    fi",
    "    aifb_i=$((aifb_i + 1))",
    "    sleep 0.1",
    "done",
    "echo \"aifb: recipe $aifb_recipe, job $SLURM_JOB_ID on $(hostname -s)\" >&2",
    "aifb_pids=()",
    "aifb_cleanup() {",
    "    local p",
    "    rm -f \"$aifb_job_dir/endpoint.json\" \"$aifb_job_dir/endpoint.json.tmp\"",
    "    for p in \"${aifb_pids[@]}\"; do kill -TERM \"$p\" 2>/dev/null || true; done",
    "    for p in \"${aifb_pids[@]}\"; do wait \"$p\" 2>/dev/null || true; done",
    "}",
    "trap aifb_cleanup EXIT",
    "trap 'exit 143' TERM",
    "trap 'exit 129' HUP",
    "trap 'exit 130' INT",
    "aifb_node_addr() {",
    "    local a",
    "    a=$(getent hosts \"$(hostname -s)\" | awk '{ print $1; exit }') || true",
    "    [ -n \"$a\" ] || { echo \"aifb: $(hostname -s) does not resolve\" >&2; return 1; }",
    "    printf '%s\\n' \"$a\"",
    "}",
    "aifb_listen_addr() {",
    "    if [ -n \"$1\" ]; then printf '%s\\n' \"$1\"; else aifb_node_addr; fi",
    "}",
    "aifb_public_addr() {",
    "    case \"$1\" in '' | 0.0.0.0 | ::) aifb_node_addr ;; *) printf '%s\\n' \"$1\" ;; esac",
    "}",
    "aifb_port_free() {",
    "    ! timeout 5 bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' aifb-port \"$1\" \"$2\" 2>/dev/null",
    "}",
    "aifb_free_port() {",
    "    local host=$1 first=$2 last=$3 n p i t taken",
    "    shift 3",
    "    n=$((last - first + 1))",
    "    p=$((first + (RANDOM * 32768 + RANDOM) % n))",
    "    for ((i = 0; i < n && i < 2000; i++)); do",
    "        taken=0",
    "        for t in \"$@\"; do [ \"$t\" != \"$p\" ] || taken=1; done",
    "        if [ \"$taken\" = 0 ] && aifb_port_free \"$host\" \"$p\"; then printf '%s\\n' \"$p\"; return 0; fi",
    "        p=$((p >= last ? first : p + 1))",
    "    done",
    "    echo \"aifb: no free port in $first-$last on $host\" >&2",
    "    return 1",
    "}",
    "aifb_http_ok() {",
    "    timeout 10 bash -c '",
    "        h=$1; case $h in *:*) h=\"[$h]\" ;; esac",
    "        exec 3<>\"/dev/tcp/$1/$2\" || exit 1",
    "        printf \"GET %s HTTP/1.1\\r\\nHost: %s:%s\\r\\nConnection: close\\r\\n\\r\\n\" \"$3\" \"$h\" \"$2\" >&3",
    "        IFS= read -r line <&3 || exit 1",
    "        case $line in \"HTTP/1.\"?\" 200\"*) exit 0 ;; esac",
    "        exit 1' aifb-http \"$@\" 2>/dev/null",
    "}",
    "aifb_still_waiting() {",
    "    if ! kill -0 \"$1\" 2>/dev/null; then echo \"aifb: the service exited before $3\" >&2; return 1; fi",
    "    if [ \"$SECONDS\" -ge \"$2\" ]; then echo \"aifb: gave up waiting for $3\" >&2; return 1; fi",
    "}",
    "aifb_wait_port_file() {",
    "    local deadline=$((SECONDS + $2)) p=''",
    "    until [[ $p =~ ^[0-9]+$ ]]; do",
    "        aifb_still_waiting \"$3\" \"$deadline\" 'its port file' || return 1",
    "        sleep 0.1",
    "        [ ! -s \"$1\" ] || IFS= read -r p <\"$1\" || true",
    "    done",
    "    aifb_port=$p",
    "}",
    "aifb_wait_http() {",
    "    local deadline=$((SECONDS + $4))",
    "    until aifb_http_ok \"$1\" \"$2\" \"$3\"; do",
    "        aifb_still_waiting \"$5\" \"$deadline\" \"http://$1:$2$3 to answer\" || return 1",
    "        sleep 0.5",
    "    done",
    "}",
    "aifb_write_endpoint() {",
    "    local tmp=\"$aifb_job_dir/endpoint.json.tmp\"",
    "    if [ $# -ge 3 ]; then",
    "        printf '{\"host\":\"%s\",\"port\":%d,\"replicas\":%s}\\n' \"$1\" \"$2\" \"$3\" >\"$tmp\"",
    "    else",
    "        printf '{\"host\":\"%s\",\"port\":%d}\\n' \"$1\" \"$2\" >\"$tmp\"",
    "    fi",
    "    mv -f \"$tmp\" \"$aifb_job_dir/endpoint.json\"",
    "    echo \"aifb: ready at $1:$2\" >&2",
    "}",
    "aifb_wait_services() {",
    "    local rc=0",
    "    wait -n || rc=$?",
    "    echo \"aifb: a service exited with status $rc\" >&2",
    "    return \"$rc\"",
    "}",
    "# ---- the recipe",
};

static const char *const builtins[] = {"aifb_bin", "state_dir", "job_dir", NULL};

bool render_builtin(const char *name)
{
    for (const char *const *b = builtins; *b; b++)
        if (strcmp(*b, name) == 0)
            return true;
    return false;
}

/* A quoted word in a small buffer of its own; NULL when it does not fit. */
static char *quoted(struct buf *tmp, const char *s)
{
    buf_clear(tmp);
    if (render_quote(tmp, s, strlen(s)) < 0)
        return NULL;
    return strdup(buf_cstr(tmp));
}

enum err render_script(struct buf *out, const struct render_job *job, const char *const *lines, size_t n,
                       const struct render_var *params, size_t nparams, const char **bad_name)
{
    enum err e = ERR_RECIPE_INVALID;
    struct buf tmp;
    buf_init(&tmp, 64 * 1024);
    char *q[] = {quoted(&tmp, job->recipe), quoted(&tmp, job->state_dir), quoted(&tmp, job->pending_dir),
                 quoted(&tmp, job->token), quoted(&tmp, job->bin_dir)};
    struct render_var head[] = {{"recipe", q[0]}, {"state_dir", q[1]}, {"pending_dir", q[2]}, {"token", q[3]}};
    struct render_var *vars = calloc(nparams + 3, sizeof(*vars));
    bool ok = vars != NULL;
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        ok = ok && q[i];
    *bad_name = NULL;
    if (!ok)
        goto out;
    e = render_lines(out, prologue, sizeof(prologue) / sizeof(prologue[0]), head, 4, bad_name);
    if (e)
        goto out;
    if (nparams)
        memcpy(vars, params, nparams * sizeof(*vars));
    vars[nparams] = (struct render_var){"aifb_bin", q[4]};
    vars[nparams + 1] = (struct render_var){"state_dir", q[1]};
    vars[nparams + 2] = (struct render_var){"job_dir", "\"$aifb_job_dir\""};
    e = render_lines(out, lines, n, vars, nparams + 3, bad_name);
out:
    free(vars);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        free(q[i]);
    buf_free(&tmp);
    return e;
}
