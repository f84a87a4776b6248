/* remote: the command line, the exchange, and the reading of the answer. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "settings.h"
#include "ssh.h"
#include "out.h"

#define AGENT_OUT_MAX (4 * 1024 * 1024)

static const char SAFE[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/";

static void decref_cb(void *j)
{
    json_decref(j);
}

static const char *command(struct app *app, struct arena *a, const char *verb, const char *const *args, size_t nargs)
{
    const char *agent = settings_str(app->config, SETTING_CLUSTER_AGENT);
    /* In the arena, not on the stack: the arena frees it after this function has returned. */
    struct buf *cmd = arena_alloc(a, sizeof(*cmd));
    buf_init(cmd, 8192);
    arena_defer(a, buf_free_cb, cmd);
    if (strspn(agent, SAFE) != strlen(agent) || strspn(verb, SAFE) != strlen(verb))
        return NULL;
    buf_printf(cmd, "'%s' '%s'", agent, verb);
    for (size_t i = 0; i < nargs; i++) {
        if (!*args[i] || strspn(args[i], SAFE) != strlen(args[i]) || strchr(args[i], '/'))
            return NULL;
        buf_printf(cmd, " '%s'", args[i]);
    }
    return cmd->overflow ? NULL : buf_cstr(cmd);
}

static enum err no_cluster(const char **detail)
{
    *detail = "no cluster is configured (cluster.host)";
    return ERR_CLUSTER_UNAVAILABLE;
}

/* The agent's one JSON object in outb: its answer (exit 0) or its error shape. */
static enum err read_answer(struct arena *a, const char *verb, int status, struct buf *outb, json_t **out,
                            const char **detail)
{
    json_error_t jerr;
    json_t *j = json_loadb(buf_cstr(outb), outb->len, 0, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        log_error("agent %s: exit %d, answer not a JSON object: %.200s", verb, status, buf_cstr(outb));
        *detail = arena_printf(a, "aifb-agent %s exited with %d and no JSON answer (is it installed?)", verb, status);
        return ERR_AGENT_FAILED;
    }
    arena_defer(a, decref_cb, j);
    if (status != 0) {
        const char *code = json_string_value(json_object_get(j, "error"));
        const char *d = json_string_value(json_object_get(j, "detail"));
        *detail = arena_strdup(a, d ? d : "");
        enum err e = err_from_string(code);
        return e == ERR_OK || e == ERR_INTERNAL ? ERR_AGENT_FAILED : e;
    }
    *out = j;
    return ERR_OK;
}

/* What agent_output keeps of the stream: the first bytes (the error shape, if it failed). */
struct output_tap {
    ssh_sink sink;
    void *ctx;
    struct buf *head;
};

static int tap(void *ctx, const char *data, size_t len)
{
    struct output_tap *t = ctx;
    if (t->head->len < 4096)
        buf_append(t->head, data, len < 4096 - t->head->len ? len : 4096 - t->head->len);
    return t->sink(t->ctx, data, len);
}

enum err agent_output(struct app *app, struct arena *a, int64_t job_id, const char *name, double total_s, ssh_sink sink,
                      void *ctx, const char **detail)
{
    if (!app->ssh)
        return no_cluster(detail);
    const char *args[] = {arena_printf(a, "%lld", (long long)job_id), name};
    const char *cmd = command(app, a, "output", args, 2);
    if (!cmd) {
        *detail = "an agent argument has characters outside [A-Za-z0-9._-]";
        return ERR_INTERNAL;
    }
    struct buf *head = arena_alloc(a, sizeof(*head));
    buf_init(head, 8192);
    arena_defer(a, buf_free_cb, head);
    struct output_tap t = {sink, ctx, head};
    int status;
    enum err e = ssh_exec_stream(app->ssh, cmd, total_s, tap, &t, &status, detail);
    if (e || status == 0)
        return e;
    json_t *ignored;
    e = read_answer(a, "output", status, head, &ignored, detail);
    return e ? e : ERR_AGENT_FAILED;
}

enum err agent_call(struct app *app, struct arena *a, const char *verb, const char *const *args, size_t nargs,
                    const json_t *input, json_t **out, const char **detail)
{
    *out = NULL;
    if (!app->ssh)
        return no_cluster(detail);
    /* A job submitted or cancelled cannot be rolled back: a transaction around this call must not
     * run again (its second run would submit a second job). */
    if (strcmp(verb, "submit") == 0 || strcmp(verb, "cancel") == 0 || strcmp(verb, "rmlog") == 0)
        db_tx_external(app->db);
    const char *cmd = command(app, a, verb, args, nargs);
    if (!cmd) {
        *detail = "an agent argument has characters outside [A-Za-z0-9._-]";
        return ERR_INTERNAL;
    }
    const char *stdin_data = input ? out_text(a, input, JSON_COMPACT) : "";
    struct buf *outb = arena_alloc(a, sizeof(*outb));
    buf_init(outb, AGENT_OUT_MAX);
    arena_defer(a, buf_free_cb, outb);
    int status;
    enum err e = ssh_exec(app->ssh, a, cmd, stdin_data, strlen(stdin_data), outb, &status, detail);
    if (e)
        return e;
    return read_answer(a, verb, status, outb, out, detail);
}

enum err loadgen_check(struct app *app, struct arena *a, const json_t *workload, json_t **out, const char **detail)
{
    *out = NULL;
    if (!app->ssh)
        return no_cluster(detail);
    const char *prog = settings_str(app->config, SETTING_CLUSTER_LOADGEN);
    if (strspn(prog, SAFE) != strlen(prog)) {
        *detail = "cluster.loadgen has characters outside [A-Za-z0-9._/-]";
        return ERR_INTERNAL;
    }
    const char *cmd = arena_printf(a, "'%s' --check --config -", prog);
    const char *stdin_data = out_text(a, workload, JSON_COMPACT);
    if (!stdin_data)
        stdin_data = "{}";
    struct buf *outb = arena_alloc(a, sizeof(*outb));
    buf_init(outb, 65536);
    arena_defer(a, buf_free_cb, outb);
    int status;
    enum err e = ssh_exec(app->ssh, a, cmd, stdin_data, strlen(stdin_data), outb, &status, detail);
    return e ? e : read_answer(a, "aifb-loadgen --check", status, outb, out, detail);
}

const char *agent_job_state(const json_t *job)
{
    const char *st = json_string_value(json_object_get(job, "state"));
    if (!st)
        return "unknown";
    if (strcmp(st, "unknown") == 0 && json_string_value(json_object_get(job, "slurm_state")))
        return NULL;
    return st;
}

bool agent_unknown_outcome(enum err e)
{
    return e == ERR_CLUSTER_TIMEOUT || e == ERR_SLURM_TIMEOUT;
}

void agent_cancel_named(struct app *app, struct arena *a, const char *name)
{
    json_t *answer, *job, *ignored;
    const char *detail;
    size_t i;
    if (agent_call(app, a, "list", NULL, 0, NULL, &answer, &detail)) {
        log_warn("agent: a job named %s may run: list failed: %s", name, detail);
        return;
    }
    json_array_foreach(json_object_get(answer, "jobs"), i, job)
    {
        const char *n = json_string_value(json_object_get(job, "job_name"));
        if (!n || strcmp(n, name) != 0)
            continue;
        const char *id[] = {arena_printf(a, "%lld", (long long)json_integer_value(json_object_get(job, "job_id")))};
        if (agent_call(app, a, "cancel", id, 1, NULL, &ignored, &detail))
            log_warn("agent: cannot cancel job %s (%s): %s", id[0], name, detail);
        else
            log_warn("agent: cancelled job %s (%s), submitted although its answer was lost", id[0], name);
    }
}
