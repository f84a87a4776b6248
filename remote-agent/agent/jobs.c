/* jobs: status, list, cancel and endpoint. */
#include "jobs.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "jobstate.h"
#include "out.h"
#include "state.h"

#define ENDPOINT_FILE_MAX 65536
#define ENDPOINT_MAX_REPLICAS 64

static bool host_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 255 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:_-") == n;
}

static json_t *host_port(const json_t *o)
{
    const char *host = json_string_value(json_object_get(o, "host"));
    const json_t *port = json_object_get(o, "port");
    if (!host_ok(host) || !json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
        return NULL;
    return json_pack("{s:s, s:I}", "host", host, "port", json_integer_value(port));
}

json_t *jobs_endpoint_check(const json_t *doc)
{
    json_t *ep = json_is_object(doc) ? host_port(doc) : NULL;
    const json_t *reps = json_object_get(doc, "replicas"), *item;
    if (!ep || !reps)
        return ep;
    json_t *list = json_array();
    size_t i;
    bool ok = json_is_array(reps) && json_array_size(reps) >= 1 && json_array_size(reps) <= ENDPOINT_MAX_REPLICAS;
    json_array_foreach(reps, i, item)
    {
        json_t *hp = ok ? host_port(item) : NULL;
        ok = hp != NULL;
        if (ok)
            json_array_append_new(list, hp);
    }
    if (!ok) {
        json_decref(list);
        json_decref(ep);
        return NULL;
    }
    json_object_set_new(ep, "replicas", list);
    return ep;
}

/* The checked endpoint of an agent's job (arena-owned), NULL when there is none. */
static json_t *endpoint_of(struct agent *ag, int64_t id)
{
    const char *path = arena_printf(ag->arena, "%s/endpoint.json", state_job_dir(ag->arena, ag->state_dir, id));
    json_t *doc = state_read_json(ag->arena, path, ENDPOINT_FILE_MAX);
    return doc ? out_keep(ag->arena, jobs_endpoint_check(doc)) : NULL;
}

static enum err parse_id(struct agent *ag, const char *arg, int64_t *id)
{
    if (jobstate_parse_id(arg, strlen(arg), id))
        return ERR_OK;
    ag->detail = arena_printf(ag->arena, "field=job_id: '%.24s' is not a job id (digits)", arg);
    return ERR_INVALID_INPUT;
}

/* The distinct ids of the arguments, in order. */
static enum err parse_ids(struct agent *ag, int argc, const char *const *argv, int64_t **ids, size_t *n)
{
    if (argc < 1) {
        ag->detail = "status takes 1 to 500 job ids";
        return ERR_USAGE;
    }
    if (argc > AGENT_MAX_IDS) {
        ag->detail = arena_printf(ag->arena, "field=job_id: at most %d job ids in one call", AGENT_MAX_IDS);
        return ERR_INVALID_INPUT;
    }
    *ids = arena_calloc(ag->arena, (size_t)argc, sizeof(**ids));
    *n = 0;
    for (int i = 0; i < argc; i++) {
        int64_t id;
        enum err e = parse_id(ag, argv[i], &id);
        if (e)
            return e;
        size_t k = 0;
        while (k < *n && (*ids)[k] != id)
            k++;
        if (k == *n)
            (*ids)[(*n)++] = id;
    }
    return ERR_OK;
}

/* Puts each row of got into rows at its id's index, unless a row is there already. */
static void merge(struct jobstate_row *rows, const int64_t *ids, size_t n, const struct jobstate_row *got, size_t ngot)
{
    for (size_t g = 0; g < ngot; g++)
        for (size_t i = 0; i < n; i++)
            if (ids[i] == got[g].job_id && !rows[i].job_id)
                rows[i] = got[g];
}

/* The ids with no row yet, in *missing (arena); returns their count. */
static size_t missing(struct agent *ag, const struct jobstate_row *rows, const int64_t *ids, size_t n, int64_t **out)
{
    size_t m = 0;
    *out = arena_calloc(ag->arena, n ? n : 1, sizeof(**out));
    for (size_t i = 0; i < n; i++)
        if (!rows[i].job_id)
            (*out)[m++] = ids[i];
    return m;
}

/* rows[i] for ids[i] from squeue, then scontrol, then sacct -c and sacct; job_id 0 where none knows it. */
static enum err gather(struct agent *ag, const int64_t *ids, size_t n, struct jobstate_row *rows)
{
    struct jobstate_row *got;
    size_t ngot;
    int64_t *left;
    enum err e = slurm_squeue(&ag->slurm, ids, n, &got, &ngot);
    if (e) {
        ag->detail = ag->slurm.detail;
        return e;
    }
    merge(rows, ids, n, got, ngot);
    size_t m = missing(ag, rows, ids, n, &left);
    for (size_t i = 0; i < m && i < SLURM_SCONTROL_MAX; i++) {
        struct jobstate_row row;
        bool found;
        e = slurm_scontrol(&ag->slurm, left[i], &row, &found);
        if (e != ERR_OK) {
            ag->detail = ag->slurm.detail;
            return e;
        }
        if (found)
            merge(rows, ids, n, &row, 1);
    }
    for (int completion = 1; completion >= 0; completion--) {
        m = missing(ag, rows, ids, n, &left);
        if (m == 0)
            break;
        ngot = slurm_sacct(&ag->slurm, left, m, completion, &got);
        merge(rows, ids, n, got, ngot);
    }
    return ERR_OK;
}

static json_t *job_json(struct agent *ag, int64_t id, const struct jobstate_row *row)
{
    bool known = row->job_id != 0;
    json_t *ep = known && row->slurm_state && strcmp(row->slurm_state, "RUNNING") == 0 ? endpoint_of(ag, id) : NULL;
    enum job_state st = known ? jobstate_normalise(row->slurm_state, ep != NULL) : JOB_UNKNOWN;
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:O?}", "job_id", (json_int_t)id, "state", job_state_name(st),
                     "slurm_state", out_str(known ? row->slurm_state : NULL), "node", out_str(row->node), "reason",
                     out_str(row->reason), "exit_code", out_str(row->exit_code), "endpoint", ep);
}

/* {"jobs":[...]} for ids; with_request adds recipe and job_name from each job's request.json. */
static enum err jobs_reply(struct agent *ag, const int64_t *ids, size_t n, bool with_request, json_t **reply)
{
    struct jobstate_row *rows = arena_calloc(ag->arena, n ? n : 1, sizeof(*rows));
    enum err e = n ? gather(ag, ids, n, rows) : ERR_OK;
    if (e)
        return e;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = job_json(ag, ids[i], &rows[i]);
        if (with_request) {
            json_t *req = state_job_request(ag->arena, ag->state_dir, ids[i]);
            json_object_set_new(j, "recipe", out_str(json_string_value(json_object_get(req, "recipe"))));
            json_object_set_new(j, "job_name", out_str(json_string_value(json_object_get(req, "job_name"))));
        }
        json_array_append_new(list, j);
    }
    *reply = out_keep(ag->arena, json_pack("{s:o}", "jobs", list));
    return ERR_OK;
}

enum err jobs_status(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    int64_t *ids;
    size_t n;
    enum err e = parse_ids(ag, argc, argv, &ids, &n);
    return e ? e : jobs_reply(ag, ids, n, false, reply);
}

enum err jobs_list(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    (void)argv;
    if (argc) {
        ag->detail = "list takes no arguments";
        return ERR_USAGE;
    }
    int64_t *ids;
    size_t n = state_job_ids(ag->arena, ag->state_dir, AGENT_LIST_MAX, &ids);
    return jobs_reply(ag, ids, n, true, reply);
}

/* The one id argument of a verb about one of this agent's jobs. */
static enum err own_job(struct agent *ag, const char *verb, int argc, const char *const *argv, int64_t *id)
{
    if (argc != 1) {
        ag->detail = arena_printf(ag->arena, "%s takes one job id", verb);
        return ERR_USAGE;
    }
    enum err e = parse_id(ag, argv[0], id);
    if (e)
        return e;
    if (!state_job_exists(ag->arena, ag->state_dir, *id)) {
        ag->detail = arena_printf(ag->arena, "job_id=%" PRId64, *id);
        return ERR_JOB_NOT_FOUND;
    }
    return ERR_OK;
}

enum err jobs_cancel(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    int64_t id;
    enum err e = own_job(ag, "cancel", argc, argv, &id);
    if (e)
        return e;
    e = slurm_scancel(&ag->slurm, id);
    json_t *req = state_job_request(ag->arena, ag->state_dir, id);
    audit_record(ag, &(struct audit_entry){"cancel", id, json_string_value(json_object_get(req, "recipe")),
                                           json_string_value(json_object_get(req, "job_name")), e, NULL});
    if (e) {
        ag->detail = ag->slurm.detail;
        return e;
    }
    /* the job's trap removes it too; a cancelled job's endpoint must not be taken meanwhile */
    unlink(arena_printf(ag->arena, "%s/endpoint.json", state_job_dir(ag->arena, ag->state_dir, id)));
    *reply = out_keep(ag->arena, json_pack("{s:I, s:b}", "job_id", (json_int_t)id, "cancelled", 1));
    return ERR_OK;
}

enum err jobs_endpoint(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    int64_t id;
    enum err e = own_job(ag, "endpoint", argc, argv, &id);
    if (e)
        return e;
    json_t *ep = endpoint_of(ag, id);
    *reply = out_keep(ag->arena, json_pack("{s:I, s:b}", "job_id", (json_int_t)id, "ready", ep != NULL));
    if (ep)
        json_object_update(*reply, ep);
    return ERR_OK;
}
