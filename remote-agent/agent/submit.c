/* submit: request on stdin -> checked values -> rendered script -> sbatch -> STATE/jobs/<id>. */
#include "submit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "input.h"
#include "out.h"
#include "slurm_opts.h"
#include "render.h"
#include "state.h"

static const struct field request_fields[] = {
    F_STR("recipe", F_REQ, 1, 64, RECIPE_NAME_PATTERN),
    F_OBJ("params", F_OPT, NULL),
    F_STR("job_name", F_OPT, 1, 64, SLURM_NAME_PATTERN),
    F_STR("time_limit", F_OPT, 1, 32, SLURM_TIME_PATTERN),
    F_STR("partition", F_OPT, 1, 64, SLURM_NAME_PATTERN),
    F_STR("account", F_OPT, 1, 64, SLURM_NAME_PATTERN),
    F_STR("qos", F_OPT, 1, 64, SLURM_NAME_PATTERN),
    F_INT("nodes", F_OPT, 1, 1024),
    F_INT("ntasks", F_OPT, 1, 65536),
    F_INT("cpus_per_task", F_OPT, 1, 1024),
    F_STR("mem", F_OPT, 1, 16, SLURM_MEM_PATTERN),
    F_ARR("kinds", F_OPT, 1, 4),
    F_END,
};

enum err submit_check(struct arena *a, const json_t *req, const char **detail)
{
    if (!json_is_object(req)) {
        *detail = "the request must be a JSON object";
        return ERR_INVALID_JSON;
    }
    return input_object(request_fields, req, "", a, detail);
}

/* A copy in the arena: the request may change (submit stores the job name it settles on). */
static const char *opt_str(struct arena *a, const json_t *req, const char *key)
{
    return arena_strdup(a, json_string_value(json_object_get(req, key)));
}

static int64_t opt_int(const json_t *req, const char *key)
{
    const json_t *v = json_object_get(req, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static bool mem_ok(const char *s)
{
    size_t d = strspn(s, "0123456789");
    return d >= 1 && d <= 9 && (s[d] == '\0' || (strchr("KMGT", s[d]) && s[d + 1] == '\0'));
}

enum err submit_options(struct arena *a, const json_t *req, const struct recipe *r, const json_t *values,
                        struct submit_opts *o, const char **detail)
{
    memset(o, 0, sizeof(*o));
    o->recipe = r->name;
    o->job_name = opt_str(a, req, "job_name");
    if (!o->job_name)
        o->job_name = arena_printf(a, "aifb-%s", r->name);
    o->time_limit = opt_str(a, req, "time_limit");
    o->partition = opt_str(a, req, "partition");
    o->account = opt_str(a, req, "account");
    o->qos = opt_str(a, req, "qos");
    o->nodes = opt_int(req, "nodes");
    o->ntasks = opt_int(req, "ntasks");
    o->cpus_per_task = opt_int(req, "cpus_per_task");
    o->mem = opt_str(a, req, "mem");
    if (!o->cpus_per_task && r->cpus_param && json_is_integer(json_object_get(values, r->cpus_param)))
        o->cpus_per_task = json_integer_value(json_object_get(values, r->cpus_param));
    if (!o->mem && r->mem_param)
        o->mem = arena_strdup(a, json_string_value(json_object_get(values, r->mem_param)));
    if (o->mem && !*o->mem)
        o->mem = NULL; /* an empty mem parameter: the partition's default */
    o->gpus = recipe_gpus(r, values);
    if (o->cpus_per_task > 1024) {
        *detail = arena_printf(a, "field=params.%s: more than 1024 CPUs per task", r->cpus_param);
        return ERR_INVALID_INPUT;
    }
    if (o->mem && !mem_ok(o->mem)) {
        *detail = arena_printf(a, "field=params.%s: must be a memory size such as 16G", r->mem_param);
        return ERR_INVALID_INPUT;
    }
    if (o->gpus > SUBMIT_MAX_GPUS) {
        *detail = arena_printf(a, "field=params.%s: %" PRId64 " GPUs is over the limit of %d", r->gpu_factors[0],
                               o->gpus, SUBMIT_MAX_GPUS);
        return ERR_INVALID_INPUT;
    }
    return ERR_OK;
}

const char **submit_argv(struct arena *a, const struct submit_opts *o, const char *state_dir, const char *script)
{
    const char **v = arena_calloc(a, 24, sizeof(*v));
    size_t n = 0;
    v[n++] = "sbatch";
    v[n++] = "--parsable";
    v[n++] = arena_printf(a, "--job-name=%s", o->job_name);
    /* a folder per recipe: the log syncer tells what a file is from its path alone */
    v[n++] = arena_printf(a, "--output=%s/logs/%s/%%x-%%j.out", state_dir, o->recipe);
    v[n++] = arena_printf(a, "--error=%s/logs/%s/%%x-%%j.err", state_dir, o->recipe);
    v[n++] = arena_printf(a, "--chdir=%s", state_dir);
    if (o->time_limit)
        v[n++] = arena_printf(a, "--time=%s", o->time_limit);
    if (o->partition)
        v[n++] = arena_printf(a, "--partition=%s", o->partition);
    if (o->account)
        v[n++] = arena_printf(a, "--account=%s", o->account);
    if (o->qos)
        v[n++] = arena_printf(a, "--qos=%s", o->qos);
    if (o->nodes)
        v[n++] = arena_printf(a, "--nodes=%" PRId64, o->nodes);
    if (o->ntasks)
        v[n++] = arena_printf(a, "--ntasks=%" PRId64, o->ntasks);
    if (o->cpus_per_task)
        v[n++] = arena_printf(a, "--cpus-per-task=%" PRId64, o->cpus_per_task);
    if (o->mem)
        v[n++] = arena_printf(a, "--mem=%s", o->mem);
    if (o->gpus > 0)
        v[n++] = arena_printf(a, "--gres=gpu:%" PRId64, o->gpus);
    v[n++] = script;
    v[n] = NULL;
    return v;
}

enum err submit_read_stdin(struct agent *ag, json_t **req)
{
    struct buf b;
    buf_init(&b, SUBMIT_STDIN_MAX);
    char chunk[65536];
    ssize_t n;
    while (!b.overflow && (n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        buf_append(&b, chunk, (size_t)n);
    }
    json_error_t jerr;
    enum err e = ERR_OK;
    if (b.overflow) {
        ag->detail = arena_printf(ag->arena, "stdin: more than %u bytes", SUBMIT_STDIN_MAX);
        e = ERR_BODY_TOO_LARGE;
        goto out;
    }
    *req = out_keep(ag->arena, json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr));
    if (!*req) {
        ag->detail = arena_printf(ag->arena, "stdin: line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        e = ERR_INVALID_JSON;
    }
out:
    buf_free(&b);
    return e;
}

/* A request may name the kinds of recipe it is for ("kinds": ["llm", "vector-db"] from aifb-server,
 * ["loadgen"] from aifb-client), so that a service is never made from a load generator's recipe. */
static enum err kind_allowed(struct agent *ag, const json_t *req, const struct recipe *r)
{
    const json_t *kinds = json_object_get(req, "kinds");
    size_t i;
    const json_t *k;
    if (!kinds)
        return ERR_OK;
    json_array_foreach(kinds, i, k)
    {
        if (json_is_string(k) && strcmp(json_string_value(k), r->kind) == 0)
            return ERR_OK;
    }
    ag->detail =
        arena_printf(ag->arena, "field=recipe: '%s' is a %s recipe, not one this call takes", r->name, r->kind);
    return ERR_INVALID_INPUT;
}

/* The request, its recipe, its values and its options, all checked. */
static enum err check_all(struct agent *ag, const json_t *req, struct recipe **r, json_t **values,
                          struct submit_opts *o)
{
    enum err e = submit_check(ag->arena, req, &ag->detail);
    if (e)
        return e;
    e = recipe_load(ag->arena, ag->recipes_dir, json_string_value(json_object_get(req, "recipe")), r, &ag->detail);
    if (e)
        return e;
    e = kind_allowed(ag, req, *r);
    if (e)
        return e;
    e = recipe_values(ag->arena, *r, json_object_get(req, "params"), values, &ag->detail);
    if (e)
        return e;
    return submit_options(ag->arena, req, *r, *values, o, &ag->detail);
}

#define OVER_CAP "field=params: the rendered values are over the script's size cap"

/* vars[i] for each parameter of r: its name and its value in values as shell words (in a). Errors:
 * ERR_INVALID_INPUT where a value renders over the script's size cap. */
static enum err render_values(struct arena *a, const struct recipe *r, const json_t *values, struct render_var *vars)
{
    struct buf w;
    buf_init(&w, SUBMIT_SCRIPT_MAX);
    enum err e = ERR_OK;
    for (size_t i = 0; i < r->nparams && !e; i++) {
        buf_clear(&w);
        vars[i].name = r->params[i].name;
        if (render_value(&w, json_object_get(values, vars[i].name)) < 0)
            e = ERR_INVALID_INPUT;
        vars[i].words = arena_strndup(a, buf_cstr(&w), w.len);
    }
    buf_free(&w);
    return e;
}

/* The script for r with values, for a job whose pending folder is pending. */
static enum err script_text(struct agent *ag, const struct recipe *r, const json_t *values, const char *pending,
                            const char *token, struct buf *out)
{
    struct render_var *vars = arena_calloc(ag->arena, r->nparams + 1, sizeof(*vars));
    enum err e = render_values(ag->arena, r, values, vars);
    if (e) {
        ag->detail = OVER_CAP;
        return e;
    }
    struct render_job job = {r->name, ag->state_dir, pending, token, ag->bin_dir};
    const char *bad = NULL;
    e = render_script(out, &job, r->script, r->nlines, vars, r->nparams, &bad);
    if (e)
        ag->detail =
            e == ERR_INVALID_INPUT ? OVER_CAP
            : bad                  ? arena_printf(ag->arena, "recipe %s: bad placeholder at '%.20s'", r->name, bad)
                  : arena_printf(ag->arena, "recipe %s: the script is over %u bytes", r->name, SUBMIT_SCRIPT_MAX);
    return e;
}

/* Writes script.sh (0700) and request.json (0600) into a new pending folder. */
static enum err write_pending(struct agent *ag, const struct buf *script, const json_t *req, const char *pending)
{
    char *text = json_dumps(req, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text) {
        ag->detail = "cannot write the request as JSON";
        return ERR_INTERNAL;
    }
    enum err e = state_write(ag->arena, arena_printf(ag->arena, "%s/script.sh", pending), script->data, script->len,
                             0700, &ag->detail);
    if (e)
        goto out;
    e = state_write(ag->arena, arena_printf(ag->arena, "%s/request.json", pending), text, strlen(text), 0600,
                    &ag->detail);
out:
    free(text);
    return e;
}

/* sbatch's refusal of an option names the field only when the caller gave it: a default of the
 * cluster's or the recipe's that sbatch refuses is the cluster's problem, a slurm_error. */
static enum err refused(struct agent *ag, const struct submit_opts *o, enum err e)
{
    const char *d = ag->slurm.detail;
    const char *given = !strncmp(d, "field=partition:", 16)    ? o->partition
                        : !strncmp(d, "field=account:", 14)    ? o->account
                        : !strncmp(d, "field=qos:", 10)        ? o->qos
                        : !strncmp(d, "field=time_limit:", 17) ? o->time_limit
                                                               : NULL;
    if (e != ERR_INVALID_INPUT || given)
        return e;
    ag->slurm.detail = strchr(d, ' ') ? strchr(d, ' ') + 1 : d;
    return ERR_SLURM_ERROR;
}

/* From the pending folder to a submitted job: sbatch, then the rename; undone on failure. */
static enum err launch(struct agent *ag, const struct submit_opts *o, const char *pending, const char *token,
                       int64_t *id)
{
    int logs;
    /* sbatch and slurmd do not make a missing --output folder: the job would lose its output silently */
    enum err e = state_logs_dir(ag->arena, ag->state_dir, o->recipe, &logs, &ag->detail);
    if (e)
        return e;
    close(logs);
    const char **argv = submit_argv(ag->arena, o, ag->state_dir, arena_printf(ag->arena, "%s/script.sh", pending));
    e = slurm_sbatch(&ag->slurm, argv, id);
    if (e != ERR_OK) {
        e = refused(ag, o, e);
        ag->detail = ag->slurm.detail;
        return e;
    }
    e = state_commit(ag->arena, ag->state_dir, pending, token, *id, &ag->detail);
    if (e && slurm_scancel(&ag->slurm, *id) != ERR_OK)
        ag->detail = arena_printf(ag->arena, "%s; and job %" PRId64 " could not be cancelled: %s", ag->detail, *id,
                                  ag->slurm.detail);
    return e;
}

/* The checked request req as a job: its pending folder with script and request, then sbatch; the
 * folder is removed on failure. *id is the job's id, 0 where sbatch gave none. */
static enum err submit_checked(struct agent *ag, json_t *req, const struct recipe *r, const json_t *values,
                               const struct submit_opts *o, int64_t *id)
{
    const char *pending = NULL, *token = NULL;
    struct buf script;
    buf_init(&script, SUBMIT_SCRIPT_MAX);
    enum err e = state_pending_new(ag->arena, ag->state_dir, &pending, &token, &ag->detail);
    if (e)
        goto out;
    json_object_set_new(req, "job_name", json_string(o->job_name));
    e = script_text(ag, r, values, pending, token, &script);
    if (e)
        goto out;
    e = write_pending(ag, &script, req, pending);
    if (e)
        goto out;
    e = launch(ag, o, pending, token, id);
out:
    if (e && pending)
        state_remove(pending);
    buf_free(&script);
    return e;
}

enum err submit_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    (void)argv;
    struct recipe *r = NULL;
    json_t *req = NULL, *values = NULL;
    struct submit_opts o;
    int64_t id = 0;
    if (argc) {
        ag->detail = "submit takes no arguments; the request comes on stdin";
        return ERR_USAGE;
    }
    enum err e = submit_read_stdin(ag, &req);
    if (e)
        return e;
    e = check_all(ag, req, &r, &values, &o);
    if (e)
        return e;
    e = submit_checked(ag, req, r, values, &o, &id);
    audit_record(ag, &(struct audit_entry){"submit", id, r->name, o.job_name, e, NULL});
    if (e)
        return e;
    *reply = out_keep(ag->arena, json_pack("{s:I, s:s, s:s, s:s}", "job_id", (json_int_t)id, "recipe", r->name,
                                           "job_name", o.job_name, "state", "pending"));
    return ERR_OK;
}
