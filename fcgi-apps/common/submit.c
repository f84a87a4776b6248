/* submit: a row and its SLURM job in one transaction, and the sweep that settles the jobs whose
 * transaction ended with an unknown outcome. The submit holds a transaction-level advisory lock on
 * (aifb-<kind>, id) until its COMMIT or ROLLBACK, so that the sweep never judges a row whose
 * transaction is still open. */
#include "submit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "job_state.h"
#include "log.h"
#include "mono.h"
#include "remote.h"
#include "req.h"

/* The lock of one row's submit: the kind's tag and the id, in the two-key space of advisory locks
 * (which does not overlap the one-key space of the periodic work's locks). */
static const struct db_stmt st_hold =
    DB_STMT("submit_hold", "SELECT pg_advisory_xact_lock(hashtext($1), ($2::bigint % 2147483648)::int)", 2, false);
static const struct db_stmt st_try_hold = DB_STMT(
    "submit_try_hold", "SELECT pg_try_advisory_xact_lock(hashtext($1), ($2::bigint % 2147483648)::int)", 2, false);

/* This process's sweeps, per kind: when the last ran, and whether one is wanted now (a submit of
 * this process ended with an unknown outcome). */
static struct {
    char kind[8];
    double at;
    bool wanted;
} sweeps[4];

static size_t sweep_of(const char *kind)
{
    size_t i = 0;
    for (; i + 1 < sizeof(sweeps) / sizeof(sweeps[0]) && sweeps[i].kind[0]; i++)
        if (strcmp(sweeps[i].kind, kind) == 0)
            return i;
    snprintf(sweeps[i].kind, sizeof(sweeps[i].kind), "%s", kind);
    return i;
}

static void want_sweep(const char *kind)
{
    sweeps[sweep_of(kind)].wanted = true;
}

/* Due when wanted, until one has run whole, and every SUBMIT_SWEEP_S seconds after. */
static bool due(size_t i)
{
    return sweeps[i].wanted || !sweeps[i].at || mono_now() - sweeps[i].at >= SUBMIT_SWEEP_S;
}

struct submit_tx {
    struct req *r;
    const struct submit *s;
    const char *tag; /* aifb-<kind> */
    int64_t id, job;
    const char *lost; /* the job's name when the submit's answer was lost (sbatch may have run) */
};

static enum err submit_body(void *ctx)
{
    struct submit_tx *t = ctx;
    struct req *r = t->r;
    struct db *db = r->app->db;
    PGresult *res;
    json_t *answer;
    t->id = t->job = 0;
    t->lost = NULL;
    enum err e = db_exec(db, r->arena, t->s->insert, t->s->insert_args, &res, &r->detail);
    if (e)
        return e;
    t->id = db_int(res, 0, 0);
    const char *hold[] = {t->tag, arena_i64(r->arena, t->id)};
    e = db_exec(db, r->arena, &st_hold, hold, &res, &r->detail);
    if (e)
        return e;
    const char *name = arena_printf(r->arena, "%s-%" PRId64, t->tag, t->id);
    json_t *in = t->s->request(r, t->s->ctx, t->id);
    json_object_set_new(in, "job_name", json_string(name));
    e = agent_call(r->app, r->arena, "submit", NULL, 0, in, &answer, &r->detail);
    if (e) {
        if (agent_unknown_outcome(e))
            t->lost = name; /* taken back once the transaction is over (its row is not kept) */
        return e;
    }
    t->job = json_integer_value(json_object_get(answer, "job_id"));
    if (t->job <= 0) {
        t->job = 0;
        return req_fail(r, ERR_AGENT_FAILED, "submit answered no job_id");
    }
    return db_exec(db, r->arena, t->s->set_job, t->s->set_args(r, t->s->ctx, t->id, t->job), &res, &r->detail);
}

enum err submit_job(struct req *r, const struct submit *s, int64_t *id, int64_t *job)
{
    struct submit_tx t = {r, s, arena_printf(r->arena, "aifb-%s", s->kind), 0, 0, NULL};
    enum err e = db_tx(r->app->db, r->arena, submit_body, &t, &r->detail);
    if (t.lost) { /* sbatch may have run: no job without its row (now, or by the next sweep) */
        agent_cancel_named(r->app, r->arena, t.lost);
        want_sweep(s->kind);
    }
    if (e == ERR_DB_OUTCOME_UNKNOWN) {
        r->detail = arena_printf(r->arena,
                                 "%s; id=%" PRId64 ", SLURM job %" PRId64 " (%s-%" PRId64 "): the job is"
                                 " cancelled within seconds unless the row was committed",
                                 r->detail, t.id, t.job, t.tag, t.id);
        log_warn("submit: %s", r->detail);
        want_sweep(s->kind);
    } else if (e && t.job > 0) { /* the job runs but its row is gone: take it back */
        const char *arg[] = {arena_i64(r->arena, t.job)};
        const char *ignored;
        json_t *answer;
        agent_call(r->app, r->arena, "cancel", arg, 1, NULL, &answer, &ignored);
    }
    *id = t.id;
    *job = t.job;
    return e;
}

/* -- the sweep */

struct settle_tx {
    struct app *app;
    struct arena *a;
    const struct db_stmt *exists;
    const char *tag, *id;
    bool orphan;
    const char *detail;
};

/* An orphan: its submit's transaction has ended (the lock is free) and left no row. The row's id
 * came from a sequence, so no later transaction can make it. */
static enum err settle_body(void *ctx)
{
    struct settle_tx *t = ctx;
    const char *hold[] = {t->tag, t->id}, *p[] = {t->id};
    PGresult *res;
    t->orphan = false;
    enum err e = db_exec(t->app->db, t->a, &st_try_hold, hold, &res, &t->detail);
    if (e || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        return e; /* the submit is still open */
    e = db_exec(t->app->db, t->a, t->exists, p, &res, &t->detail);
    if (e)
        return e;
    t->orphan = PQntuples(res) == 0;
    return ERR_OK;
}

/* The id in name when it is tag-<digits>, else NULL. */
static const char *id_of(struct arena *a, const char *name, const char *tag)
{
    size_t n = strlen(tag);
    if (!name || strncmp(name, tag, n) != 0 || name[n] != '-' || !name[n + 1] ||
        strspn(name + n + 1, "0123456789") != strlen(name + n + 1) || strlen(name + n + 1) > 18)
        return NULL;
    return arena_strdup(a, name + n + 1);
}

static void settle(struct settle_tx *t, const json_t *job)
{
    const char *state = agent_job_state(job); /* NULL: a state SLURM names and the agent does not map: live */
    t->id = id_of(t->a, json_string_value(json_object_get(job, "job_name")), t->tag);
    if (!t->id || (state && job_state_terminal_name(state)))
        return;
    enum err e = db_tx(t->app->db, t->a, settle_body, t, &t->detail);
    if (e || !t->orphan) {
        if (e)
            log_warn("submit: sweep: %s-%s: %s: %s", t->tag, t->id, err_string(e), t->detail);
        return;
    }
    const char *arg[] = {arena_i64(t->a, json_integer_value(json_object_get(job, "job_id")))};
    json_t *answer;
    const char *detail;
    e = agent_call(t->app, t->a, "cancel", arg, 1, NULL, &answer, &detail);
    if (e && e != ERR_JOB_NOT_FOUND)
        log_warn("submit: sweep: cannot cancel job %s (%s-%s), which has no row: %s", arg[0], t->tag, t->id, detail);
    else
        log_warn("submit: sweep: cancelled job %s (%s-%s): its row was never committed", arg[0], t->tag, t->id);
}

void submit_sweep(struct app *app, struct arena *a, const char *kind, const struct db_stmt *exists)
{
    size_t n = sweep_of(kind);
    double started = mono_now();
    if (!app->ssh || !due(n))
        return;
    json_t *answer, *job;
    const char *detail;
    size_t i;
    enum err e = agent_call(app, a, "list", NULL, 0, NULL, &answer, &detail);
    if (e) {
        log_warn("submit: sweep: agent list: %s: %s", err_string(e), detail);
        return;
    }
    struct settle_tx t = {app, a, exists, arena_printf(a, "aifb-%s", kind), NULL, false, ""};
    json_array_foreach(json_object_get(answer, "jobs"), i, job)
    {
        if (!db_lock_held(app->db))
            return; /* the pass's connection is gone: the next pass sweeps again */
        settle(&t, job);
    }
    if (db_lock_held(app->db)) { /* swept whole: not again until wanted or due */
        sweeps[n].at = started;
        sweeps[n].wanted = false;
    }
}
