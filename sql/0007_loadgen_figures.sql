-- aifb schema, version 7: the figures of a run computed by one definition in SQL and in aifb-loadgen's
-- own summary (remote-agent/loadgen/stats.c), so that run_summary_json() of a single-rank run equals
-- the rank's summary-<rank>.json in every figure both give (tests/integration/47_loadgen.sh and
-- 70_runs.sh compare them). Also: each request's connect time, and the timeline's chunks beside its
-- tokens.

-- The time a request spent opening its connection (name lookup, TCP, TLS), in microseconds; 0 when it
-- reused one. NULL for records loaded before this version (unknown).
ALTER TABLE request_records ADD COLUMN connect_us bigint CHECK (connect_us >= 0);

-- output_tokens now counts tokens (each request's count placed at its chunks, as
-- run_output_tokens_peak() below places them); chunks counts the chunks with choices that arrived in
-- the second. NULL for seconds loaded before this version, whose output_tokens counted chunks.
ALTER TABLE run_timeline ADD COLUMN chunks integer CHECK (chunks >= 0);

-- As in sql/0003, with each request's connect time at the end: ttft_ms - connect_ms is its TTFT
-- without the connect (the view of a client whose connections were open before).
CREATE OR REPLACE VIEW run_request_metrics AS
SELECT run_id, rank, seq, phase, error_class, http_status,
       error_class IS NULL AS ok,
       (first_chunk_us - sent_us)::float8 / 1000 AS ttft_ms,
       CASE WHEN completion_tokens > 1 AND last_chunk_us IS NOT NULL
            THEN (last_chunk_us - first_chunk_us)::float8 / 1000 / (completion_tokens - 1) END AS tpot_ms,
       (coalesce(last_chunk_us, done_us) - sent_us)::float8 / 1000 AS e2el_ms,
       (sent_us - scheduled_us)::float8 / 1000 AS client_wait_ms,
       CASE WHEN completion_tokens > 0 AND last_chunk_us IS NOT NULL
            THEN (last_chunk_us - sent_us)::float8 / 1000 / completion_tokens END AS guidellm_tpot_ms,
       prompt_tokens, completion_tokens, tokens_estimated,
       to_timestamp(sent_us::float8 / 1e6) AS sent_at,
       connect_us::float8 / 1000 AS connect_ms
FROM request_records;

CREATE OR REPLACE VIEW run_timeline_total AS
SELECT run_id, to_timestamp(second) AS time, second, sum(started)::bigint AS started,
       sum(completed)::bigint AS completed, sum(failed)::bigint AS failed,
       sum(output_tokens)::bigint AS output_tokens, sum(in_flight)::bigint AS in_flight,
       sum(chunks)::bigint AS chunks
FROM run_timeline GROUP BY run_id, second;

-- max_output_tokens_per_s, by the definition of stats.c's max_tokens_per_s: the most output tokens of
-- completed requests of the measure phase in one whole epoch second, each request's completion_tokens
-- (T, 0 when unknown) placed at its m chunks with choices (the first at first_chunk_us, each next
-- its itl_us gap later), chunk k taking floor((k + 1) T / m) - floor(k T / m). NULL when no such
-- request had a chunk. (vllm bench serve counts one token per chunk, a chat role chunk included.)
-- Integer arithmetic throughout (sum() of bigint is numeric: cast back), as in C.
CREATE OR REPLACE FUNCTION run_output_tokens_peak(p_run bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT max(tokens)::bigint FROM (
        SELECT c.at / 1000000 AS second, sum((c.k + 1) * r.t / r.m - c.k * r.t / r.m) AS tokens
          FROM (SELECT first_chunk_us, itl_us, greatest(coalesce(completion_tokens, 0), 0)::bigint AS t,
                       coalesce(cardinality(itl_us), 0)::bigint + 1 AS m
                  FROM request_records
                 WHERE run_id = p_run AND phase = 'measure' AND error_class IS NULL
                   AND first_chunk_us IS NOT NULL) r
         CROSS JOIN LATERAL (
               SELECT g.k, (r.first_chunk_us + sum(g.gap) OVER (ORDER BY g.k ROWS UNBOUNDED PRECEDING))::bigint AS at
                 FROM (SELECT 0::bigint AS k, 0::bigint AS gap
                       UNION ALL
                       SELECT u.k, u.gap FROM unnest(r.itl_us) WITH ORDINALITY AS u(gap, k)) g
         ) c
         GROUP BY 1
    ) s
$$;

-- The rate the workload asks (its nominal one): load.rate, or with stages their rates weighted by
-- their durations; NULL in closed loop. The run's whole rate (a rank's summary gives its share).
CREATE OR REPLACE FUNCTION run_requested_rate(p_workload jsonb) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN coalesce(p_workload #>> '{load,mode}', 'closed') <> 'open' THEN NULL
        WHEN jsonb_typeof(p_workload #> '{load,stages}') = 'array' THEN (
            SELECT sum((st->>'duration_s')::float8 * coalesce((st->>'rate')::float8, 0))
                   / nullif(sum((st->>'duration_s')::float8), 0)
              FROM jsonb_array_elements(p_workload #> '{load,stages}') AS st)
        ELSE (p_workload #>> '{load,rate}')::float8
    END
$$;

-- The summary of a run, as in sql/0003 with these changes, each to the definition of stats.c:
-- max_output_tokens_per_s from run_output_tokens_peak() (tokens, measure phase; it was the busiest
-- second of the timeline over every phase); goodput only when an SLO is set (a member given null
-- is not set); a variant's distribution without values has null figures (it was null); and the
-- schedule self-check whole: lag p50 and p99, the nominal rate, the rate the
-- seeded schedule asked (scheduled_rate: (n - 1) / the span of the measured scheduled_us), the sent
-- rate (the same over sent_us), and fell_behind: an open loop whose lag p99 is over 10 ms or whose
-- sent rate is below 95% of its schedule's, the client judged against its own schedule.
CREATE OR REPLACE FUNCTION run_summary_json(p_run bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
WITH cfg AS (
    SELECT CASE WHEN jsonb_typeof(config #> '{workload,percentiles}') = 'array'
                THEN config #> '{workload,percentiles}' ELSE '[50, 90, 95, 99]'::jsonb END AS pcts,
           CASE WHEN jsonb_typeof(config #> '{workload,slo}') = 'object'
                 AND coalesce(config #>> '{workload,slo,ttft_ms}', config #>> '{workload,slo,tpot_ms}',
                              config #>> '{workload,slo,e2el_ms}') IS NOT NULL
                THEN config #> '{workload,slo}' END AS slo,
           config #>> '{workload,load,mode}' = 'open' AS open_loop,
           run_requested_rate(config -> 'workload') AS requested_rate
      FROM runs WHERE id = p_run
), q AS (
    SELECT array_agg(x::float8 / 100 ORDER BY ord) AS fr, array_agg(trim_scale(x::numeric)::text ORDER BY ord) AS names
      FROM cfg, jsonb_array_elements_text(cfg.pcts) WITH ORDINALITY AS p(x, ord)
), lat AS (
    SELECT v.metric, avg(v.value) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY v.value) AS median,
           stddev_pop(v.value) AS std, percentile_cont((SELECT fr FROM q)) WITHIN GROUP (ORDER BY v.value) AS ps,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY v.value) AS p99
      FROM run_metric_values v WHERE v.run_id = p_run GROUP BY v.metric
), latj AS (
    SELECT coalesce(jsonb_object_agg(k, val), '{}'::jsonb) AS j FROM (
        SELECT 'mean_' || m.metric AS k, to_jsonb(l.mean) AS val
          FROM unnest(ARRAY['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']) AS m(metric) LEFT JOIN lat l USING (metric)
        UNION ALL
        SELECT 'median_' || m.metric, to_jsonb(l.median)
          FROM unnest(ARRAY['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']) AS m(metric) LEFT JOIN lat l USING (metric)
        UNION ALL
        SELECT 'std_' || m.metric, to_jsonb(l.std)
          FROM unnest(ARRAY['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']) AS m(metric) LEFT JOIN lat l USING (metric)
        UNION ALL
        SELECT 'p' || n.name || '_' || m.metric, to_jsonb(l.ps[n.i])
          FROM unnest(ARRAY['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']) AS m(metric)
          CROSS JOIN unnest((SELECT names FROM q)) WITH ORDINALITY AS n(name, i)
          LEFT JOIN lat l USING (metric)
    ) kv
), dists AS ( -- the other tools' variants, under their own names; without values, null figures (as stats.c)
    SELECT m.metric, jsonb_build_object('mean', l.mean, 'median', l.median, 'p99', l.p99) AS dist
      FROM unnest(ARRAY['tpot_ms', 'aiperf_tokens_per_s_per_user', 'guidellm_tpot_ms', 'e2el_ms']) AS m(metric)
      LEFT JOIN lat l USING (metric)
), good AS ( -- stats.c's good(): every SLO set is met; no TPOT (one token) meets the TPOT SLO
    SELECT count(*) AS n FROM run_request_metrics r, cfg
     WHERE r.run_id = p_run AND r.phase = 'measure' AND r.ok
       AND (cfg.slo->>'ttft_ms' IS NULL OR r.ttft_ms <= (cfg.slo->>'ttft_ms')::float8)
       AND (cfg.slo->>'tpot_ms' IS NULL OR r.tpot_ms IS NULL OR r.tpot_ms <= (cfg.slo->>'tpot_ms')::float8)
       AND (cfg.slo->>'e2el_ms' IS NULL OR r.e2el_ms <= (cfg.slo->>'e2el_ms')::float8)
), errs AS (
    SELECT coalesce(jsonb_object_agg(error_class, n), '{}'::jsonb) AS j FROM (
        SELECT error_class, count(*) AS n FROM request_records
         WHERE run_id = p_run AND phase = 'measure' AND error_class IS NOT NULL GROUP BY error_class) e
), wait AS (
    SELECT avg(value) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99, max(value) AS max
      FROM run_metric_values WHERE run_id = p_run AND metric = 'client_wait_ms'
), tp AS (
    SELECT * FROM run_throughput WHERE run_id = p_run
), sent AS ( -- stats.c's rate_over(): n - 1 events over the span of the measured sends, of their schedule
    SELECT (count(*) - 1) / nullif((max(sent_us) - min(sent_us))::float8 / 1e6, 0) AS achieved,
           (count(*) - 1) / nullif((max(scheduled_us) - min(scheduled_us))::float8 / 1e6, 0) AS scheduled
      FROM request_records WHERE run_id = p_run AND phase = 'measure'
)
SELECT jsonb_build_object(
        'completed', coalesce(tp.completed, 0), 'failed', coalesce(tp.failed, 0),
        'duration', tp.duration,
        'total_input_tokens', coalesce(tp.total_input_tokens, 0),
        'total_output_tokens', coalesce(tp.total_output_tokens, 0),
        'request_throughput', tp.request_throughput,
        'request_goodput', CASE WHEN cfg.slo IS NULL THEN NULL ELSE good.n / nullif(tp.duration, 0) END,
        'output_throughput', tp.output_throughput,
        'total_token_throughput', tp.total_token_throughput,
        'max_output_tokens_per_s', run_output_tokens_peak(p_run),
        'max_concurrent_requests', run_max_concurrency(p_run),
        'tokens_estimated', coalesce(tp.tokens_estimated, 0),
        'errors', errs.j,
        'client_wait_ms', jsonb_build_object('mean', wait.mean, 'median', wait.median, 'p99', wait.p99,
                                             'max', wait.max),
        'self_check', jsonb_build_object(
            'schedule_lag_p50_ms', wait.median,
            'schedule_lag_p99_ms', wait.p99,
            'requested_rate', cfg.requested_rate,
            'scheduled_rate', sent.scheduled,
            'achieved_rate', sent.achieved,
            'fell_behind', coalesce(cfg.open_loop, false)
                           AND coalesce(wait.p99 > 10 OR sent.achieved < 0.95 * sent.scheduled, false))
       ) || latj.j || jsonb_build_object(
        'aiperf', jsonb_build_object(
            'inter_token_latency_ms', (SELECT dist FROM dists WHERE metric = 'tpot_ms'),
            'output_token_throughput_per_user', (SELECT dist FROM dists WHERE metric = 'aiperf_tokens_per_s_per_user')),
        'guidellm', jsonb_build_object(
            'time_per_output_token_ms', (SELECT dist FROM dists WHERE metric = 'guidellm_tpot_ms'),
            'inter_token_latency_ms', (SELECT dist FROM dists WHERE metric = 'tpot_ms'),
            'request_latency_ms', (SELECT dist FROM dists WHERE metric = 'e2el_ms')))
  FROM cfg, good, errs, wait, latj, sent LEFT JOIN tp ON true
$$;
