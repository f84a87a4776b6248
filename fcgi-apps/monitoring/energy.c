/* energy: the counter's increase per GPU is summed from its values at each step of the window, a
 * value lower than the one before being a reset (the driver reloaded: the count starts again from
 * zero). Values are those Prometheus holds at each step: the last scrape at or before it, so both ends
 * lag by the same scrape age and the increase is that of a window of the run's length. */
#include "energy.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "catalog.h"
#include "collect.h"
#include "db.h"
#include "job_state.h"
#include "num.h"
#include "prom.h"
#include "req.h"
#include "rows.h"
#include "out.h"

#define ENERGY_METRIC "gpu_energy_joules_total" /* the catalogue's: either name set of the exporter */
#define ENERGY_COLUMNS                                                                                                 \
    "run_id, window_start, window_end, extract(epoch FROM window_end - window_start)::float8 AS seconds,"              \
    " slurm_job_ids, gpus, joules, joules / nullif(extract(epoch FROM window_end - window_start), 0)::float8"          \
    " AS mean_power_w, output_tokens, joules_per_output_token, per_gpu, measured_at"

/* The run, its window, its services' jobs and the tokens its load generator counted in the window. */
static const struct db_stmt st_run =
    DB_STMT("energy_run",
            "SELECT r.state, extract(epoch FROM w.window_start)::float8, extract(epoch FROM w.window_end)::float8,"
            " (SELECT string_agg(DISTINCT v.slurm_job_id::text, '|') FROM services v WHERE v.slurm_job_id IS NOT NULL"
            "   AND (v.id = r.service_id OR v.group_id = r.group_id)),"
            " coalesce((SELECT sum(output_tokens) FROM run_timeline t WHERE t.run_id = r.id),"
            "   (r.summary->>'total_output_tokens')::numeric)::bigint"
            " FROM runs r JOIN run_window w ON w.run_id = r.id WHERE r.id = $1",
            1, true);
static const struct db_stmt st_store = DB_STMT(
    "energy_store",
    DB_JSON_ROW("INSERT INTO run_energy (run_id, window_start, window_end, slurm_job_ids, gpus, joules, output_tokens,"
                " joules_per_output_token, per_gpu) VALUES ($1, to_timestamp($2::float8), to_timestamp($3::float8),"
                " string_to_array($4, '|')::bigint[], $5, $6, $7, $6::float8 / nullif($7::bigint, 0), $8::jsonb)"
                " ON CONFLICT (run_id) DO UPDATE SET window_start = EXCLUDED.window_start,"
                " window_end = EXCLUDED.window_end, slurm_job_ids = EXCLUDED.slurm_job_ids, gpus = EXCLUDED.gpus,"
                " joules = EXCLUDED.joules, output_tokens = EXCLUDED.output_tokens,"
                " joules_per_output_token = EXCLUDED.joules_per_output_token, per_gpu = EXCLUDED.per_gpu,"
                " measured_at = now() RETURNING " ENERGY_COLUMNS),
    8, true);
static const struct db_stmt st_get =
    DB_STMT("energy_get", DB_JSON_ROW("SELECT " ENERGY_COLUMNS " FROM run_energy WHERE run_id = $1"), 1, true);

/* The increase of one series' counter over its values; -1 when it has fewer than two. */
static double increase(const json_t *values)
{
    double sum = 0, prev = NAN;
    size_t i, n = 0;
    const json_t *pt;
    json_array_foreach(values, i, pt)
    {
        const char *s = json_string_value(json_array_get(pt, 1));
        double v = NAN;
        if (s && !num_f64(s, &v))
            v = NAN;
        if (!isfinite(v))
            continue;
        if (n++ > 0)
            sum += v >= prev ? v - prev : v;
        prev = v;
    }
    return n >= 2 ? sum : -1;
}

/* Each GPU's increase into per_gpu (its labels and joules); the sum and the count of GPUs. */
static void add_up(const json_t *result, json_t *per_gpu, double *joules, int *gpus)
{
    size_t i;
    const json_t *item;
    json_array_foreach(result, i, item)
    {
        double j = increase(json_object_get(item, "values"));
        if (j < 0)
            continue;
        json_t *g = json_deep_copy(json_object_get(item, "metric"));
        if (!json_is_object(g)) {
            json_decref(g);
            g = json_object();
        }
        json_object_del(g, "__name__");
        json_object_set_new(g, "joules", json_real(j));
        json_array_append_new(per_gpu, g);
        *joules += j;
        (*gpus)++;
    }
}

struct measure {
    const char *run_id, *jobs, *tokens;
    double start, end;
};

__attribute__((format(printf, 4, 5))) static enum err refuse(struct arena *a, const char **detail, enum err e,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *detail = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return e;
}

/* The run's row, checked: ended, with a window and service jobs. */
static enum err load(struct app *app, struct arena *a, struct measure *m, const char **detail)
{
    const char *p[] = {m->run_id};
    PGresult *res;
    enum err e = db_exec(app->db, a, &st_run, p, &res, detail);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        return refuse(a, detail, ERR_RUN_NOT_FOUND, "run %s", m->run_id);
    const char *state = PQgetvalue(res, 0, 0);
    /* ended, "unknown" too: a job SLURM forgot has ended, and its window says what it used */
    if (!job_state_terminal_name(state))
        return refuse(a, detail, ERR_RUN_STATE, "run %s is %s: its energy is measured once it has ended", m->run_id,
                      state);
    if (PQgetisnull(res, 0, 1) || PQgetisnull(res, 0, 2))
        return refuse(a, detail, ERR_NO_ENERGY_DATA, "run %s never started: it has no window", m->run_id);
    if (PQgetisnull(res, 0, 3))
        return refuse(a, detail, ERR_NO_ENERGY_DATA,
                      "run %s loaded no aifb service (a URL target): there is no SLURM job whose GPUs to read",
                      m->run_id);
    m->start = db_float(res, 0, 1);
    m->end = db_float(res, 0, 2);
    if (!(m->end > m->start))
        return refuse(a, detail, ERR_NO_ENERGY_DATA, "run %s has an empty window", m->run_id);
    m->jobs = arena_strdup(a, PQgetvalue(res, 0, 3));
    m->tokens = PQgetisnull(res, 0, 4) ? NULL : arena_strdup(a, PQgetvalue(res, 0, 4));
    return ERR_OK;
}

enum err energy_measure(struct app *app, struct arena *a, const char *run_id, const char **row, const char **detail)
{
    struct measure m = {.run_id = run_id};
    enum err e = load(app, a, &m, detail);
    if (e)
        return e;
    struct prom_window w = {m.start, m.end, fmax(1, (m.end - m.start) / (PROM_POINTS_PER_QUERY - 1))};
    const char *q = catalog_query(a, catalog_find(ENERGY_METRIC), m.jobs, 0);
    json_t *result;
    e = prom_query_range(collect_prom_url(app), q, &w, collect_prom_timeout_ms(app), a, &result, detail);
    if (e)
        return e == ERR_INVALID_INPUT ? ERR_INTERNAL : e;
    json_t *per_gpu = json_array();
    double joules = 0;
    int gpus = 0;
    add_up(result, per_gpu, &joules, &gpus);
    json_decref(result);
    const char *pg = out_text(a, per_gpu, JSON_COMPACT);
    json_decref(per_gpu);
    if (gpus == 0) {
        *detail = arena_printf(a,
                               "Prometheus has no %s for SLURM job %s in run %s's window (is the job's"
                               " aifb-gpu-exporter pushing?)",
                               q, m.jobs, run_id);
        return ERR_NO_ENERGY_DATA;
    }
    const char *p[] = {run_id,
                       arena_printf(a, "%.3f", m.start),
                       arena_printf(a, "%.3f", m.end),
                       m.jobs,
                       arena_printf(a, "%d", gpus),
                       arena_printf(a, "%.17g", joules),
                       m.tokens,
                       pg ? pg : "[]"};
    PGresult *res;
    e = db_exec(app->db, a, &st_store, p, &res, detail);
    if (e)
        return e;
    *row = arena_strdup(a, PQgetvalue(res, 0, 0));
    return ERR_OK;
}

enum err energy_stored(struct app *app, struct arena *a, const char *run_id, const char **row, const char **detail)
{
    const char *p[] = {run_id};
    PGresult *res;
    *row = NULL;
    enum err e = db_exec(app->db, a, &st_get, p, &res, detail);
    if (e)
        return e;
    if (PQntuples(res) > 0)
        *row = arena_strdup(a, PQgetvalue(res, 0, 0));
    return ERR_OK;
}
