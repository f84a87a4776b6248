/* gen: the life of one simulated request. Due times come from sim (first token at scheduled + TTFT,
 * each next at the previous due time + ITL), so that a late wake-up delays one write but never the
 * schedule; metrics observe the times the tokens were made, as vLLM observes its own. A stream writes
 * a chunk when --tokens-per-chunk tokens are made (or the last one). */
#include "gen.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

#define SCRATCH_MAX (16 * 1024 * 1024)

struct gen {
    struct gen_engine *e;
    struct conn *c;
    struct sim_seq seq;
    struct loop_timer timer;
    struct sim_rng rng; /* this request's ITL spread */
    struct api_request req;
    struct api_ident ident;
    struct api_stamp stamp;
    int64_t arrival, due; /* CLOCK_MONOTONIC */
    int64_t last_at;      /* when the previous token was written */
    int64_t emitted;      /* tokens generated so far */
    int64_t written;      /* of them, those a stream chunk has carried */
    int64_t cut_after;    /* tokens before the cut; -1: not cut */
    bool running;
};

static double seconds(int64_t ns)
{
    return (double)ns / 1e9;
}

static void on_due(void *arg);
static void admit_from(struct gen_engine *e, int64_t at);

static void on_thaw(void *arg)
{
    struct gen_engine *e = arg;
    admit_from(e, e->admit.frozen_until_ns);
}

void gen_engine_init(struct gen_engine *e, struct loop *loop, const struct sim_config *cfg, const char *model_json)
{
    e->loop = loop;
    e->cfg = *cfg;
    sim_admit_init(&e->admit, cfg->max_num_seqs);
    vmetrics_init(&e->metrics);
    sim_rng_seed(&e->rng, cfg->seed);
    sim_rng_seed(&e->ids, cfg->seed ^ (uint64_t)loop_realtime() ^ ((uint64_t)getpid() << 32));
    e->seq = 0;
    e->model_json = model_json;
    loop_timer_init(&e->thaw, on_thaw, e);
    buf_init(&e->scratch, SCRATCH_MAX);
    e->live = 0;
}

void gen_engine_free(struct gen_engine *e)
{
    loop_timer_cancel(e->loop, &e->thaw);
    buf_free(&e->scratch);
}

bool gen_draw_error(struct gen_engine *e)
{
    return sim_rng_chance(&e->rng, e->cfg.error_rate);
}

/* Ends g: frees its slot (admitting the next at at), counts it, and frees it. */
static void end(struct gen *g, enum vmetrics_reason reason, int64_t at)
{
    struct gen_engine *e = g->e;
    if (g->running) {
        loop_timer_cancel(e->loop, &g->timer);
        sim_admit_release(&e->admit);
        vmetrics_finished(&e->metrics, reason, seconds(g->last_at - g->arrival));
    } else {
        sim_admit_remove(&e->admit, &g->seq);
        vmetrics_finished(&e->metrics, VMETRICS_ABORT, 0);
    }
    e->live--;
    free(g);
    admit_from(e, at);
}

/* The client went away (or its socket failed): vLLM aborts the request. */
static void on_abort(void *arg)
{
    struct gen *g = arg;
    end(g, VMETRICS_ABORT, loop_now());
}

static void schedule(struct gen *g, int64_t scheduled)
{
    g->running = true;
    /* From the arrival's own stamp, so that both read one clock reading apart at most. */
    g->stamp.scheduled_ns = g->stamp.arrival_ns + (scheduled - g->arrival);
    g->due = sim_first_due(&g->e->cfg, scheduled, g->req.prompt_tokens);
    loop_timer_set(g->e->loop, &g->timer, g->due);
}

/* Runs waiting generations while slots are free, each scheduled when its slot freed (at). */
static void admit_from(struct gen_engine *e, int64_t at)
{
    struct sim_seq *s;
    while ((s = sim_admit_next(&e->admit, at)) != NULL) {
        struct gen *g = (struct gen *)((char *)s - offsetof(struct gen, seq));
        schedule(g, sim_admit_time(s, at));
    }
}

/* Appends the event just formatted in scratch to the output, framed as the connection needs. */
static void put_event(struct gen *g, int rc)
{
    struct buf *sc = &g->e->scratch;
    struct buf *out = conn_out(g->c);
    if (rc < 0)
        out->overflow = true; /* conn_flush then treats the connection as broken */
    else if (conn_chunked(g->c))
        http_write_chunk(out, sc->data, sc->len);
    else
        buf_append(out, sc->data, sc->len);
    buf_clear(sc);
}

static void write_stream_head(struct gen *g)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "x-aifb-arrival-ns: %" PRId64 "\r\n", g->stamp.arrival_ns);
    http_write_head(conn_out(g->c), 200, "text/event-stream; charset=utf-8",
                    conn_chunked(g->c) ? HTTP_LENGTH_CHUNKED : HTTP_LENGTH_NONE, conn_keep_alive(g->c), conn_date(g->c),
                    extra);
}

/* Writes the tokens made since the last chunk as one chunk (the first also stamps first_token_ns),
 * and after the last one the usage chunk, [DONE] and the end of the body. Returns conn_flush's result. */
static int write_stream_chunk(struct gen *g, bool last)
{
    struct buf *sc = &g->e->scratch;
    const struct api_ident *id = &g->ident;
    bool usage = g->req.include_usage;
    int64_t rt = loop_realtime();
    struct api_usage so_far = {g->req.prompt_tokens, g->written};
    const struct api_usage *cont = g->req.continuous_usage ? &so_far : NULL;
    if (g->written == 0)
        g->stamp.first_token_ns = rt;
    g->stamp.last_token_ns = rt;
    if (id->kind == API_CHAT && g->written == 0)
        put_event(g, api_event_role(sc, id, cont));
    so_far.completion_tokens = g->emitted;
    put_event(
        g, api_event_token(sc, id, g->written, g->emitted - g->written, last, cont, last && !usage ? &g->stamp : NULL));
    g->written = g->emitted;
    if (last) {
        if (usage)
            put_event(g, api_event_usage(sc, id, g->req.prompt_tokens, g->req.max_tokens, &g->stamp));
        put_event(g, api_event_done(sc));
        if (conn_chunked(g->c))
            http_write_last_chunk(conn_out(g->c));
    }
    return conn_flush(g->c);
}

static int write_body(struct gen *g)
{
    struct buf *sc = &g->e->scratch;
    char extra[64];
    snprintf(extra, sizeof(extra), "x-aifb-arrival-ns: %" PRId64 "\r\n", g->stamp.arrival_ns);
    int rc = api_body(sc, &g->ident, g->req.prompt_tokens, g->req.max_tokens, &g->stamp);
    struct buf *out = conn_out(g->c);
    http_write_head(out, 200, "application/json", (long long)sc->len, conn_keep_alive(g->c), conn_date(g->c), extra);
    if (rc < 0)
        out->overflow = true;
    buf_append(out, sc->data, sc->len);
    buf_clear(sc);
    return conn_flush(g->c);
}

/* Records token g->emitted as generated now. A whole answer's stamp has its tokens' times (a
 * stream's has its chunks' writes). */
static void count_token(struct gen *g, int64_t now)
{
    struct vmetrics *m = &g->e->metrics;
    if (g->emitted == 0)
        vmetrics_first_token(m, seconds(now - g->arrival), g->req.prompt_tokens);
    else
        vmetrics_next_token(m, seconds(now - g->last_at));
    if (!g->req.stream) {
        int64_t rt = loop_realtime();
        if (g->emitted == 0)
            g->stamp.first_token_ns = rt;
        g->stamp.last_token_ns = rt;
    }
    g->last_at = now;
}

static void on_due(void *arg)
{
    struct gen *g = arg;
    struct conn *c = g->c;
    g->due = g->timer.due_ns; /* a stall may have moved it */
    if (g->emitted == g->cut_after) {
        int64_t due = g->due;
        end(g, VMETRICS_ABORT, due);
        conn_cut(c);
        return;
    }
    bool last = g->emitted + 1 == g->req.max_tokens;
    count_token(g, loop_now());
    g->emitted++;
    int rc = 0;
    if (g->req.stream && (last || g->emitted - g->written >= g->e->cfg.tokens_per_chunk))
        rc = write_stream_chunk(g, last);
    else if (!g->req.stream && last)
        rc = write_body(g);
    if (rc < 0)
        return; /* the connection's abort hook ends g */
    if (!last) {
        g->due = sim_next_due(&g->e->cfg, &g->rng, g->due);
        loop_timer_set(g->e->loop, &g->timer, g->due);
        return;
    }
    conn_done(c);
    end(g, VMETRICS_LENGTH, g->due);
}

void gen_start(struct gen_engine *e, struct conn *c, const struct api_request *req, int64_t arrival_ns,
               int64_t arrival_rt_ns)
{
    struct gen *g = calloc(1, sizeof(*g));
    if (!g) {
        log_error("out of memory for a generation");
        abort();
    }
    uint64_t n = e->seq++;
    g->e = e;
    g->c = c;
    g->req = *req;
    g->arrival = arrival_ns;
    g->stamp.arrival_ns = arrival_rt_ns;
    g->seq.arrival_ns = arrival_ns;
    g->cut_after = req->stream && sim_rng_chance(&e->rng, e->cfg.cut_rate) ? sim_cut_after(req->max_tokens) : -1;
    sim_rng_seed(&g->rng, sim_request_seed(e->cfg.seed, n));
    uint64_t hi = sim_rng_next(&e->ids), lo = sim_rng_next(&e->ids);
    api_ident_init(&g->ident, req->kind, hi, lo, arrival_rt_ns / 1000000000LL, e->model_json);
    loop_timer_init(&g->timer, on_due, g);
    conn_on_abort(c, on_abort, g);
    e->live++;
    if (req->stream) {
        write_stream_head(g);
        conn_flush(c); /* a failure kicks the connection, whose abort hook ends g */
    }
    if (sim_admit_submit(&e->admit, &g->seq, arrival_ns))
        schedule(g, arrival_ns);
}

int64_t gen_stall(struct gen_engine *e, int64_t ms)
{
    int64_t delta = ms * SIM_NS_PER_MS;
    loop_timers_shift(e->loop, delta);
    sim_admit_freeze(&e->admit, loop_now() + delta);
    loop_timer_set(e->loop, &e->thaw, e->admit.frozen_until_ns);
    return e->admit.frozen_until_ns;
}
