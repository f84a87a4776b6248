/* workload: the checks of the workload JSON and the struct aifb-loadgen runs from. Each object's
 * members are declared in a table and checked by input_object (types, ranges, unknown members);
 * elements of arrays and the rules between members follow by hand, each naming its field. */
#include "workload.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

#define URL_PATTERN "https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
#define URL_MAX 2048
#define ITEM_MAX (1024 * 1024)     /* bytes of one inline prompt */
#define EXTRA_BODY_MAX (64 * 1024) /* bytes of extra_body as JSON */
#define SLO_MAX_MS 1e9
#define TIMEOUT_MAX_S 86400.0

static const char *const apis[] = {"completions", "chat", NULL};
static const char *const modes[] = {"closed", "open", NULL};
static const char *const arrivals[] = {"constant", "poisson", "gamma", NULL};
static const char *const sources[] = {"inline", "jsonl", "sharegpt", "random", NULL};

/* An object's declared members, and which of its numbers must be above 0: input_object's ranges
 * are closed, so "> 0" is checked before it, to say so for 0 and for negatives alike. */
struct decl {
    const struct field *fields;
    const char *const *positive; /* NULL-terminated */
};

static const struct field top_fields[] = {
    F_ARR("targets", F_OPT, 0, WORKLOAD_MAX_TARGETS),
    F_ENUM("api", F_OPT, apis),
    F_STR("model", F_OPT, 1, 256, "[[:print:]]+"),
    F_BOOL("stream", F_OPT),
    F_INT("max_tokens", F_OPT, 1, WORKLOAD_MAX_TOKENS),
    F_NUM("temperature", F_OPT, 0, 2),
    F_BOOL("ignore_eos", F_OPT),
    F_BOOL("preconnect", F_OPT),
    F_OBJ("extra_body", F_OPT, NULL),
    F_OBJ("load", F_OPT, NULL),
    F_OBJ("prompts", F_OPT, NULL),
    F_OBJ("slo", F_OPT, NULL),
    F_ARR("percentiles", F_OPT, 1, WORKLOAD_MAX_PERCENTILES),
    F_INT("requests", F_OPT, 1, WORKLOAD_MAX_REQUESTS),
    F_NUM("duration_s", F_OPT, 0, WORKLOAD_MAX_DURATION_S),
    F_NUM("warmup_s", F_OPT, 0, WORKLOAD_MAX_DURATION_S),
    F_NUM("cooldown_s", F_OPT, 0, WORKLOAD_MAX_DURATION_S),
    F_INT("seed", F_OPT, 0, 1LL << 53),
    F_NUM("timeout_s", F_OPT, 0, TIMEOUT_MAX_S),
    F_INT("run_id", F_OPT, 0, INT64_MAX),
    F_STR("pushgateway", F_OPT, 1, URL_MAX, URL_PATTERN),
    F_NUM("push_interval_s", F_OPT, 0.1, 60),
    F_END,
};
static const char *const top_positive[] = {"duration_s", "timeout_s", NULL};

static const struct field load_fields[] = {
    F_ENUM("mode", F_OPT, modes),
    F_INT("concurrency", F_OPT, 1, WORKLOAD_MAX_CONCURRENCY),
    F_NUM("rate", F_OPT, 0, WORKLOAD_MAX_RATE),
    F_ENUM("arrival", F_OPT, arrivals),
    F_NUM("burstiness", F_OPT, 0, 1000),
    F_INT("max_concurrency", F_OPT, 1, WORKLOAD_MAX_CONCURRENCY),
    F_ARR("stages", F_OPT, 1, WORKLOAD_MAX_STAGES),
    F_NUM("ramp_s", F_OPT, 0, WORKLOAD_MAX_DURATION_S),
    F_END,
};
static const char *const load_positive[] = {"rate", "burstiness", NULL};

/* A stage's rate or concurrency may be 0: a pause in the run. */
static const struct field stage_fields[] = {
    F_NUM("duration_s", F_REQ, 0, WORKLOAD_MAX_DURATION_S),
    F_NUM("rate", F_OPT, 0, WORKLOAD_MAX_RATE),
    F_INT("concurrency", F_OPT, 0, WORKLOAD_MAX_CONCURRENCY),
    F_END,
};
static const char *const stage_positive[] = {"duration_s", NULL};

static const struct field prompts_fields[] = {
    F_ENUM("source", F_REQ, sources),
    F_ARR("items", F_OPT, 1, WORKLOAD_MAX_PROMPTS),
    F_STR("path", F_OPT, 1, 1024, "[A-Za-z0-9._/-]+"),
    F_STR("field", F_OPT, 1, 256, "[[:print:]]+"),
    F_INT("input_len", F_OPT, 1, WORKLOAD_MAX_TOKENS),
    F_INT("output_len", F_OPT, 1, WORKLOAD_MAX_TOKENS),
    F_NUM("range_ratio", F_OPT, 0, 1),
    F_END,
};

static const struct field slo_fields[] = {
    F_NUM("ttft_ms", F_OPT, 0, SLO_MAX_MS),
    F_NUM("tpot_ms", F_OPT, 0, SLO_MAX_MS),
    F_NUM("e2el_ms", F_OPT, 0, SLO_MAX_MS),
    F_END,
};
static const char *const slo_positive[] = {"ttft_ms", "tpot_ms", "e2el_ms", NULL};

static const struct decl top_decl = {top_fields, top_positive};
static const struct decl load_decl = {load_fields, load_positive};
static const struct decl stage_decl = {stage_fields, stage_positive};
static const struct decl prompts_decl = {prompts_fields, NULL};
static const struct decl slo_decl = {slo_fields, slo_positive};

/* Members the request body is made of, which extra_body may not replace. */
static const char *const body_owned[] = {"model", "prompt", "messages", "stream", "max_tokens", NULL};

static enum err refuse(struct arena *a, const char **detail, const char *field, const char *why)
{
    *detail = arena_printf(a, "field=%s: %s", field, why);
    return ERR_INVALID_INPUT;
}

/* A member that is there and not null (input_object reads null as absent; so does everything here). */
static const json_t *member(const json_t *obj, const char *name)
{
    const json_t *v = obj ? json_object_get(obj, name) : NULL;
    return json_is_null(v) ? NULL : v;
}

static enum err check_object(struct arena *a, const struct decl *d, const json_t *obj, const char *prefix,
                             const char **detail)
{
    if (!json_is_object(obj))
        return refuse(a, detail, prefix, "must be an object");
    for (const char *const *p = d->positive; p && *p; p++) {
        const json_t *v = member(obj, *p);
        if (json_is_number(v) && !(json_number_value(v) > 0))
            return refuse(a, detail, arena_printf(a, "%s.%s", prefix, *p), "must be > 0");
    }
    return input_object(d->fields, obj, prefix, a, detail);
}

/* The index of v's string in a NULL-terminated list (input_object has checked it is one), def when absent. */
static int enum_index(const json_t *v, const char *const *values, int def)
{
    if (!v)
        return def;
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], json_string_value(v)) == 0)
            return i;
    return def;
}

static double num_or(const json_t *obj, const char *name, double def)
{
    const json_t *v = member(obj, name);
    return v ? json_number_value(v) : def;
}

static int64_t int_or(const json_t *obj, const char *name, int64_t def)
{
    const json_t *v = member(obj, name);
    return v ? (int64_t)json_integer_value(v) : def;
}

static bool bool_or(const json_t *obj, const char *name, bool def)
{
    const json_t *v = member(obj, name);
    return v ? json_is_true(v) : def;
}

/* A string element: no NUL byte, then f's length and pattern (detail names the element). */
static enum err check_string_elem(struct arena *a, const json_t *s, struct field f, const char **detail)
{
    struct slot out;
    if (!json_is_string(s))
        return refuse(a, detail, f.name, "must be a string");
    if (strlen(json_string_value(s)) != json_string_length(s))
        return refuse(a, detail, f.name, "must not contain NUL bytes");
    return input_scalar(&f, json_string_value(s), &out, a, detail);
}

/* A base URL: the pattern, a port in 1..65535 if given. *out: a copy in the arena without trailing '/'. */
static enum err parse_url(struct arena *a, const json_t *s, const char *name, const char **out, const char **detail)
{
    enum err e = check_string_elem(a, s, (struct field)F_STR(name, F_REQ, 1, URL_MAX, URL_PATTERN), detail);
    if (e)
        return e;
    char *url = arena_strdup(a, json_string_value(s));
    const char *host = strstr(url, "://") + 3, *colon = strchr(host, ':');
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10); /* the pattern allows 1 to 5 digits, then '/' or the end */
        if (end == colon + 1 || (*end && *end != '/') || port < 1 || port > 65535)
            return refuse(a, detail, name, "port must be in [1, 65535]");
    }
    size_t len = strlen(url);
    while (len > (size_t)(host - url) && url[len - 1] == '/')
        url[--len] = '\0';
    *out = url;
    return ERR_OK;
}

static enum err parse_targets(struct arena *a, const json_t *doc, bool require, struct workload *w, const char **detail)
{
    const json_t *arr = member(doc, "targets");
    if (require && json_array_size(arr) == 0)
        return refuse(a, detail, "workload.targets", "is required: 1 to 64 base URLs");
    const char **t = arena_calloc(a, json_array_size(arr) + 1, sizeof(*t));
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        enum err e = parse_url(a, s, arena_printf(a, "workload.targets[%zu]", i), &t[i], detail);
        if (e)
            return e;
    }
    w->targets = t;
    w->ntargets = json_array_size(arr);
    return ERR_OK;
}

static enum err parse_percentiles(struct arena *a, const json_t *arr, struct workload *w, const char **detail)
{
    static const double defaults[] = {50, 90, 95, 99};
    if (!arr) {
        memcpy(w->percentiles, defaults, sizeof(defaults));
        w->npercentiles = sizeof(defaults) / sizeof(defaults[0]);
        return ERR_OK;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *name = arena_printf(a, "workload.percentiles[%zu]", i);
        double p = json_number_value(v);
        if (!json_is_number(v) || !(p > 0 && p <= 100))
            return refuse(a, detail, name, "must be a number in (0, 100]");
        for (size_t k = 0; k < i; k++)
            if (w->percentiles[k] == p)
                return refuse(a, detail, name, "is given twice");
        w->percentiles[i] = p;
    }
    w->npercentiles = json_array_size(arr);
    return ERR_OK;
}

static enum err parse_extra_body(struct arena *a, const json_t *obj, struct workload *w, const char **detail)
{
    w->extra_body = obj;
    if (!obj)
        return ERR_OK;
    for (const char *const *k = body_owned; *k; k++)
        if (json_object_get(obj, *k))
            return refuse(a, detail, arena_printf(a, "workload.extra_body.%s", *k),
                          "is set by aifb-loadgen and cannot be replaced");
    if (json_dumpb(obj, NULL, 0, JSON_COMPACT) > EXTRA_BODY_MAX)
        return refuse(a, detail, "workload.extra_body", "must be at most 65536 bytes as JSON");
    return ERR_OK;
}

/* One stage: its object, and rate or concurrency as the mode wants. */
static enum err parse_stage(struct arena *a, const json_t *obj, size_t i, enum wl_mode mode, struct wl_stage *st,
                            const char **detail)
{
    const char *name = arena_printf(a, "workload.load.stages[%zu]", i);
    enum err e = check_object(a, &stage_decl, obj, name, detail);
    if (e)
        return e;
    const char *want = mode == WL_OPEN ? "rate" : "concurrency", *other = mode == WL_OPEN ? "concurrency" : "rate";
    if (!member(obj, want))
        return refuse(a, detail, arena_printf(a, "%s.%s", name, want),
                      mode == WL_OPEN ? "is required in open loop" : "is required in closed loop");
    if (member(obj, other))
        return refuse(a, detail, arena_printf(a, "%s.%s", name, other),
                      mode == WL_OPEN ? "only in closed loop" : "only in open loop");
    st->duration_s = num_or(obj, "duration_s", 0);
    st->rate = num_or(obj, "rate", 0);
    st->concurrency = int_or(obj, "concurrency", 0);
    return ERR_OK;
}

static enum err parse_stages(struct arena *a, const json_t *arr, struct workload *w, const char **detail)
{
    w->nstages = json_array_size(arr);
    w->stages = arena_calloc(a, w->nstages + 1, sizeof(*w->stages));
    bool sends = false;
    for (size_t i = 0; i < w->nstages; i++) {
        enum err e = parse_stage(a, json_array_get(arr, i), i, w->mode, &w->stages[i], detail);
        if (e)
            return e;
        sends |= w->stages[i].rate > 0 || w->stages[i].concurrency > 0;
        /* a closed loop's pool is sized by concurrency: the largest stage's */
        if (w->stages[i].concurrency > w->concurrency)
            w->concurrency = w->stages[i].concurrency;
    }
    if (!sends)
        return refuse(a, detail, "workload.load.stages", "no stage sends anything (every rate or concurrency is 0)");
    return ERR_OK;
}

/* Members that apply to one mode only, and those that stages replace. */
static enum err load_members(struct arena *a, const json_t *load, const struct workload *w, const char **detail)
{
    static const char *const open_only[] = {"rate", "arrival", "burstiness", "max_concurrency", NULL};
    for (const char *const *k = open_only; w->mode == WL_CLOSED && *k; k++)
        if (member(load, *k))
            return refuse(a, detail, arena_printf(a, "workload.load.%s", *k), "only in open loop (mode \"open\")");
    if (w->mode == WL_OPEN && member(load, "concurrency"))
        return refuse(a, detail, "workload.load.concurrency",
                      "only in closed loop (open loop caps in-flight requests with max_concurrency)");
    if (w->mode == WL_OPEN && member(load, "ramp_s"))
        return refuse(a, detail, "workload.load.ramp_s", "only in closed loop (an open loop sets its rate)");
    if (member(load, "burstiness") && w->arrival != WL_GAMMA)
        return refuse(a, detail, "workload.load.burstiness", "only with arrival \"gamma\"");
    if (member(load, "stages")) {
        if (member(load, "rate"))
            return refuse(a, detail, "workload.load.rate", "not with stages (each stage gives its rate)");
        if (member(load, "concurrency"))
            return refuse(a, detail, "workload.load.concurrency", "not with stages (each stage gives its concurrency)");
    } else if (w->mode == WL_OPEN && !member(load, "rate")) {
        return refuse(a, detail, "workload.load.rate", "is required in open loop (or stages)");
    }
    return ERR_OK;
}

static enum err parse_load(struct arena *a, const json_t *load, struct workload *w, const char **detail)
{
    if (load) {
        enum err e = check_object(a, &load_decl, load, "workload.load", detail);
        if (e)
            return e;
    }
    w->mode = (enum wl_mode)enum_index(member(load, "mode"), modes, WL_CLOSED);
    w->arrival = (enum wl_arrival)enum_index(member(load, "arrival"), arrivals, WL_POISSON);
    w->burstiness = num_or(load, "burstiness", 1);
    w->max_concurrency = int_or(load, "max_concurrency", 0);
    w->ramp_s = num_or(load, "ramp_s", 0);
    enum err e = load_members(a, load, w, detail);
    if (e)
        return e;
    if (member(load, "stages"))
        return parse_stages(a, member(load, "stages"), w, detail);
    w->rate = num_or(load, "rate", 0);
    w->concurrency = w->mode == WL_CLOSED ? int_or(load, "concurrency", 1) : 0;
    return ERR_OK;
}

/* The path of a dataset: relative, without "..": the file must lie in the datasets folder. */
static enum err check_path(struct arena *a, const char *path, const char **detail)
{
    if (path[0] == '/')
        return refuse(a, detail, "workload.prompts.path", "must be relative to the datasets folder");
    if (strstr(path, ".."))
        return refuse(a, detail, "workload.prompts.path", "must not contain \"..\"");
    return ERR_OK;
}

/* Which source each member belongs to; a member of another source is refused. */
static enum err prompts_members(struct arena *a, const json_t *p, enum wl_source src, const char **detail)
{
    static const struct {
        const char *name;
        unsigned sources; /* bit (1 << wl_source) */
    } owners[] = {
        {"items", 1u << WL_INLINE},      {"path", 1u << WL_JSONL | 1u << WL_SHAREGPT},
        {"field", 1u << WL_JSONL},       {"input_len", 1u << WL_RANDOM},
        {"output_len", 1u << WL_RANDOM}, {"range_ratio", 1u << WL_RANDOM},
    };
    static const char *const required[] = {"items", "path", "path", "input_len"};
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
        if (member(p, owners[i].name) && !(owners[i].sources & 1u << src))
            return refuse(a, detail, arena_printf(a, "workload.prompts.%s", owners[i].name),
                          arena_printf(a, "does not apply to source \"%s\"", sources[src]));
    if (!member(p, required[src]))
        return refuse(a, detail, arena_printf(a, "workload.prompts.%s", required[src]),
                      arena_printf(a, "is required with source \"%s\"", sources[src]));
    if (num_or(p, "range_ratio", 0) >= 1)
        return refuse(a, detail, "workload.prompts.range_ratio", "must be < 1");
    return ERR_OK;
}

static enum err parse_items(struct arena *a, const json_t *arr, struct wl_prompts *wp, const char **detail)
{
    const char **items = arena_calloc(a, json_array_size(arr) + 1, sizeof(*items));
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        const char *name = arena_printf(a, "workload.prompts.items[%zu]", i);
        enum err e = check_string_elem(a, s, (struct field)F_STR(name, F_REQ, 1, ITEM_MAX, NULL), detail);
        if (e)
            return e;
        items[i] = json_string_value(s);
    }
    wp->items = items;
    wp->nitems = json_array_size(arr);
    return ERR_OK;
}

static enum err parse_prompts(struct arena *a, const json_t *p, struct workload *w, const char **detail)
{
    if (!p) { /* none named: random prompts of WORKLOAD_DEFAULT_INPUT_LEN tokens, as vllm bench serve's default dataset
               */
        w->prompts = (struct wl_prompts){.source = WL_RANDOM, .input_len = WORKLOAD_DEFAULT_INPUT_LEN};
        return ERR_OK;
    }
    enum err e = check_object(a, &prompts_decl, p, "workload.prompts", detail);
    if (e)
        return e;
    struct wl_prompts *wp = &w->prompts;
    wp->source = (enum wl_source)enum_index(member(p, "source"), sources, WL_INLINE);
    e = prompts_members(a, p, wp->source, detail);
    if (e)
        return e;
    if (wp->source == WL_INLINE) {
        e = parse_items(a, member(p, "items"), wp, detail);
        if (e)
            return e;
    }
    wp->path = json_string_value(member(p, "path"));
    if (wp->path) {
        e = check_path(a, wp->path, detail);
        if (e)
            return e;
    }
    wp->field = wp->source == WL_JSONL ? json_string_value(member(p, "field")) : NULL;
    if (wp->source == WL_JSONL && !wp->field)
        wp->field = "prompt";
    wp->input_len = int_or(p, "input_len", 0);
    wp->output_len = int_or(p, "output_len", 0);
    wp->range_ratio = num_or(p, "range_ratio", 0);
    return ERR_OK;
}

static enum err parse_slo(struct arena *a, const json_t *slo, struct workload *w, const char **detail)
{
    if (slo) {
        enum err e = check_object(a, &slo_decl, slo, "workload.slo", detail);
        if (e)
            return e;
    }
    w->slo.ttft_ms = num_or(slo, "ttft_ms", 0);
    w->slo.tpot_ms = num_or(slo, "tpot_ms", 0);
    w->slo.e2el_ms = num_or(slo, "e2el_ms", 0);
    return ERR_OK;
}

/* The bounds of the run: by count, time or stages, with warm-up and cool-down inside the time. */
static enum err check_bounds(struct arena *a, const struct workload *w, const char **detail)
{
    if (w->nstages && w->duration_s > 0)
        return refuse(a, detail, "workload.duration_s", "not with load.stages (their sum is the duration)");
    if (w->requests == 0 && w->duration_s == 0 && w->nstages == 0)
        return refuse(a, detail, "workload.requests", "a run needs requests, duration_s or load.stages");
    double d = workload_duration(w);
    if (d > 0 && !(w->warmup_s + w->cooldown_s < d))
        return refuse(a, detail, "workload.warmup_s",
                      arena_printf(a, "warmup_s + cooldown_s must be below the duration (%g s)", d));
    /* the connections to open are the streams that may be in flight: an open loop must cap them */
    if (w->preconnect && w->mode == WL_OPEN && w->max_concurrency == 0)
        return refuse(a, detail, "workload.preconnect",
                      "needs load.max_concurrency in open loop (the number of connections to open)");
    return ERR_OK;
}

static void parse_scalars(const json_t *doc, struct workload *w)
{
    w->api = (enum wl_api)enum_index(member(doc, "api"), apis, WL_COMPLETIONS);
    w->model = json_string_value(member(doc, "model"));
    w->stream = bool_or(doc, "stream", true);
    w->max_tokens = int_or(doc, "max_tokens", 128);
    w->has_temperature = member(doc, "temperature") != NULL;
    w->temperature = num_or(doc, "temperature", 0);
    w->ignore_eos = bool_or(doc, "ignore_eos", false);
    w->preconnect = bool_or(doc, "preconnect", false);
    w->requests = int_or(doc, "requests", 0);
    w->duration_s = num_or(doc, "duration_s", 0);
    w->warmup_s = num_or(doc, "warmup_s", 0);
    w->cooldown_s = num_or(doc, "cooldown_s", 0);
    w->seed = (uint64_t)int_or(doc, "seed", 0);
    w->timeout_s = num_or(doc, "timeout_s", 600);
    w->run_id = int_or(doc, "run_id", 0);
    w->push_interval_s = num_or(doc, "push_interval_s", 1);
}

enum err workload_parse(struct arena *a, const json_t *doc, bool require_targets, struct workload *w,
                        const char **detail)
{
    memset(w, 0, sizeof(*w));
    enum err e = check_object(a, &top_decl, doc, "workload", detail);
    if (e)
        return e;
    parse_scalars(doc, w);
    e = parse_targets(a, doc, require_targets, w, detail);
    if (e)
        return e;
    e = parse_extra_body(a, member(doc, "extra_body"), w, detail);
    if (e)
        return e;
    e = parse_load(a, member(doc, "load"), w, detail);
    if (e)
        return e;
    e = parse_prompts(a, member(doc, "prompts"), w, detail);
    if (e)
        return e;
    e = parse_slo(a, member(doc, "slo"), w, detail);
    if (e)
        return e;
    e = parse_percentiles(a, member(doc, "percentiles"), w, detail);
    if (e)
        return e;
    e = check_bounds(a, w, detail);
    if (e)
        return e;
    if (member(doc, "pushgateway")) {
        e = parse_url(a, member(doc, "pushgateway"), "workload.pushgateway", &w->pushgateway, detail);
        if (e)
            return e;
    }
    if (w->nstages)
        w->duration_s = workload_duration(w);
    return ERR_OK;
}

/* total split over ranks, the remainder to the lowest ranks. */
static int64_t split(int64_t total, int rank, int ranks)
{
    return total / ranks + (rank < total % ranks ? 1 : 0);
}

void workload_share(struct workload *w, int rank, int ranks)
{
    assert(ranks >= 1 && rank >= 0 && rank < ranks);
    bool none = false;
    w->rate /= ranks;
    if (w->concurrency > 0) {
        w->concurrency = split(w->concurrency, rank, ranks);
        none |= w->mode == WL_CLOSED && w->nstages == 0 && w->concurrency == 0;
    }
    if (w->max_concurrency > 0) {
        w->max_concurrency = split(w->max_concurrency, rank, ranks);
        none |= w->max_concurrency == 0; /* 0 would read as "no cap" */
    }
    if (w->nstages) {
        bool sends = false;
        w->concurrency = 0;
        for (size_t i = 0; i < w->nstages; i++) {
            struct wl_stage *st = &w->stages[i];
            st->rate /= ranks;
            st->concurrency = split(st->concurrency, rank, ranks);
            sends |= st->rate > 0 || st->concurrency > 0;
            if (st->concurrency > w->concurrency)
                w->concurrency = st->concurrency;
        }
        none |= !sends;
    }
    if (w->requests > 0) {
        w->requests = split(w->requests, rank, ranks);
        none |= w->requests == 0;
    }
    w->seed += (uint64_t)rank;
    if (none)
        w->requests = -1;
}

double workload_duration(const struct workload *w)
{
    if (w->nstages == 0)
        return w->duration_s;
    double sum = 0;
    for (size_t i = 0; i < w->nstages; i++)
        sum += w->stages[i].duration_s;
    return sum;
}
