-- aifb schema, version 3: benchmark runs as aifb-loadgen makes them, and SQL over their records.
--
-- A run is one SLURM job of aifb-loadgen with K tasks (ranks). When it ends, aifb-client loads each
-- rank's records and per-second timeline with COPY, then stores the summary that
-- run_summary_json() computes. The views below give the same figures to anyone querying the
-- history directly (Grafana, psql). Definitions are vllm bench serve's: TTFT to the first chunk
-- with choices, TPOT per request over its tokens after the first, ITL per chunk gap, E2EL to the
-- last chunk; percentiles interpolate linearly (percentile_cont, numpy's default); std is the
-- population one (numpy's default). Only records of the measure phase count.

-- Where in the run a request was scheduled: warm-up and cool-down are kept but left out of figures.
ALTER TABLE request_records ADD COLUMN phase text NOT NULL DEFAULT 'measure'
    CHECK (phase IN ('warmup', 'measure', 'cooldown'));
ALTER TABLE request_records ADD CONSTRAINT request_records_error_class
    CHECK (error_class IS NULL OR error_class ~ '^[a-z_]{1,32}$');

-- The tasks of the run's job, how many records were loaded, and why it stopped when asked to.
ALTER TABLE runs ADD COLUMN ntasks integer NOT NULL DEFAULT 1 CHECK (ntasks BETWEEN 1 AND 1024);
ALTER TABLE runs ADD COLUMN records_loaded bigint;
ALTER TABLE runs ADD COLUMN stop_requested boolean NOT NULL DEFAULT false;
CREATE INDEX runs_state ON runs (state) WHERE state IN ('pending', 'starting', 'running', 'completing');
CREATE INDEX runs_service ON runs (service_id, id);

-- One line per rank and whole second of wall time (epoch seconds): what aifb-loadgen counted then.
CREATE TABLE run_timeline (
    run_id        bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    rank          integer NOT NULL CHECK (rank >= 0),
    second        bigint NOT NULL,
    started       integer NOT NULL CHECK (started >= 0),
    completed     integer NOT NULL CHECK (completed >= 0),
    failed        integer NOT NULL CHECK (failed >= 0),
    output_tokens integer NOT NULL CHECK (output_tokens >= 0),
    in_flight     integer NOT NULL CHECK (in_flight >= 0),
    PRIMARY KEY (run_id, rank, second)
);

-- Each request's own figures, in milliseconds.
CREATE VIEW run_request_metrics AS
SELECT run_id, rank, seq, phase, error_class, http_status,
       error_class IS NULL AS ok,
       (first_chunk_us - sent_us)::float8 / 1000 AS ttft_ms,
       CASE WHEN completion_tokens > 1 AND last_chunk_us IS NOT NULL
            THEN (last_chunk_us - first_chunk_us)::float8 / 1000 / (completion_tokens - 1) END AS tpot_ms,
       (coalesce(last_chunk_us, done_us) - sent_us)::float8 / 1000 AS e2el_ms,
       (sent_us - scheduled_us)::float8 / 1000 AS client_wait_ms,
       -- GuideLLM's time per output token counts the first token too
       CASE WHEN completion_tokens > 0 AND last_chunk_us IS NOT NULL
            THEN (last_chunk_us - sent_us)::float8 / 1000 / completion_tokens END AS guidellm_tpot_ms,
       prompt_tokens, completion_tokens, tokens_estimated,
       to_timestamp(sent_us::float8 / 1e6) AS sent_at
FROM request_records;

-- Every value of every latency metric of the measure phase, successful requests only (client_wait
-- counts every request: it is the client's own delay).
CREATE VIEW run_metric_values AS
SELECT run_id, 'ttft_ms'::text AS metric, ttft_ms AS value
  FROM run_request_metrics WHERE phase = 'measure' AND ok AND ttft_ms IS NOT NULL
UNION ALL
SELECT run_id, 'tpot_ms', tpot_ms FROM run_request_metrics WHERE phase = 'measure' AND ok AND tpot_ms IS NOT NULL
UNION ALL
SELECT run_id, 'e2el_ms', e2el_ms FROM run_request_metrics WHERE phase = 'measure' AND ok AND e2el_ms IS NOT NULL
UNION ALL
SELECT r.run_id, 'itl_ms', g::float8 / 1000
  FROM request_records r, unnest(r.itl_us) AS g
 WHERE r.phase = 'measure' AND r.error_class IS NULL
UNION ALL
SELECT run_id, 'client_wait_ms', client_wait_ms FROM run_request_metrics WHERE phase = 'measure'
UNION ALL
SELECT run_id, 'guidellm_tpot_ms', guidellm_tpot_ms
  FROM run_request_metrics WHERE phase = 'measure' AND ok AND guidellm_tpot_ms IS NOT NULL
UNION ALL -- AIPerf's output token throughput per user: 1 / its inter-token latency (vllm's TPOT)
SELECT run_id, 'aiperf_tokens_per_s_per_user', 1000 / tpot_ms
  FROM run_request_metrics WHERE phase = 'measure' AND ok AND tpot_ms > 0;

-- Per run and metric: count, mean, median, population std, min, max and the usual percentiles.
CREATE VIEW run_latency_summary AS
SELECT run_id, metric, count(*) AS n, avg(value) AS mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median,
       stddev_pop(value) AS std, min(value) AS min, max(value) AS max,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY value) AS p90,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99,
       percentile_cont(0.999) WITHIN GROUP (ORDER BY value) AS p99_9
FROM run_metric_values GROUP BY run_id, metric;

-- run_latency_summary kept when a run is loaded, so that reading a large run's results costs a lookup.
CREATE TABLE run_latency (
    run_id bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    metric text NOT NULL,
    n      bigint NOT NULL,
    mean   float8, median float8, std float8, min float8, max float8,
    p90    float8, p95 float8, p99 float8, p99_9 float8,
    PRIMARY KEY (run_id, metric)
);

-- Per run: counts, window and throughputs (the measure phase).
CREATE VIEW run_totals AS
SELECT run_id,
       count(*) FILTER (WHERE error_class IS NULL) AS completed,
       count(*) FILTER (WHERE error_class IS NOT NULL) AS failed,
       count(*) FILTER (WHERE tokens_estimated) AS tokens_estimated,
       coalesce(sum(prompt_tokens) FILTER (WHERE error_class IS NULL), 0) AS total_input_tokens,
       coalesce(sum(completion_tokens) FILTER (WHERE error_class IS NULL), 0) AS total_output_tokens,
       (max(done_us) - min(sent_us))::float8 / 1e6 AS duration
FROM request_records WHERE phase = 'measure' GROUP BY run_id;

CREATE VIEW run_throughput AS
SELECT t.*,
       t.completed / nullif(t.duration, 0) AS request_throughput,
       t.total_output_tokens / nullif(t.duration, 0) AS output_throughput,
       (t.total_input_tokens + t.total_output_tokens) / nullif(t.duration, 0) AS total_token_throughput
FROM run_totals t;

-- The whole run's timeline: every rank's seconds summed.
CREATE VIEW run_timeline_total AS
SELECT run_id, to_timestamp(second) AS time, second, sum(started)::bigint AS started,
       sum(completed)::bigint AS completed, sum(failed)::bigint AS failed,
       sum(output_tokens)::bigint AS output_tokens, sum(in_flight)::bigint AS in_flight
FROM run_timeline GROUP BY run_id, second;

-- The most requests in flight at once: a sweep over sends (+1) and ends (-1), ends first on ties.
CREATE FUNCTION run_max_concurrency(p_run bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(level), 0) FROM (
        SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS level FROM (
            SELECT sent_us AS t, 1 AS d FROM request_records WHERE run_id = p_run AND phase = 'measure'
            UNION ALL
            SELECT coalesce(done_us, sent_us), -1 FROM request_records WHERE run_id = p_run AND phase = 'measure'
        ) e
    ) s
$$;

-- The summary of a run under vllm bench serve's result names, with the client's own wait, the
-- errors by class and the schedule self-check. Percentiles: the workload's (default 50, 90, 95,
-- 99); goodput: the workload's SLOs. achieved_rate: sends per second over the span of the sends
-- (not of the answers, which would count the service's latency against the client);
-- max_output_tokens_per_s: the busiest second of the timeline (every phase). The AIPerf and GuideLLM
-- variants are named as such, each with its mean, median and p99.
CREATE FUNCTION run_summary_json(p_run bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
WITH cfg AS (
    SELECT coalesce(config #> '{workload,percentiles}', '[50, 90, 95, 99]'::jsonb) AS pcts,
           config #> '{workload,slo}' AS slo, config #> '{workload,load}' AS load
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
), dists AS ( -- the other tools' variants, under their own names
    SELECT metric, jsonb_build_object('mean', mean, 'median', median, 'p99', p99) AS dist
      FROM lat
), good AS (
    SELECT count(*) AS n FROM run_request_metrics r, cfg
     WHERE r.run_id = p_run AND r.phase = 'measure' AND r.ok
       AND (cfg.slo->'ttft_ms' IS NULL OR r.ttft_ms <= (cfg.slo->>'ttft_ms')::float8)
       AND (cfg.slo->'tpot_ms' IS NULL OR r.tpot_ms IS NULL OR r.tpot_ms <= (cfg.slo->>'tpot_ms')::float8)
       AND (cfg.slo->'e2el_ms' IS NULL OR r.e2el_ms <= (cfg.slo->>'e2el_ms')::float8)
), errs AS (
    SELECT coalesce(jsonb_object_agg(error_class, n), '{}'::jsonb) AS j FROM (
        SELECT error_class, count(*) AS n FROM request_records
         WHERE run_id = p_run AND phase = 'measure' AND error_class IS NOT NULL GROUP BY error_class) e
), wait AS (
    SELECT avg(value) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99, max(value) AS max
      FROM run_metric_values WHERE run_id = p_run AND metric = 'client_wait_ms'
), peak AS (
    SELECT max(output_tokens) AS m FROM run_timeline_total WHERE run_id = p_run
), tp AS (
    SELECT * FROM run_throughput WHERE run_id = p_run
), sent AS (
    SELECT count(*) AS n, (max(sent_us) - min(sent_us))::float8 / 1e6 AS span
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
        'max_output_tokens_per_s', peak.m,
        'max_concurrent_requests', run_max_concurrency(p_run),
        'tokens_estimated', coalesce(tp.tokens_estimated, 0),
        'errors', errs.j,
        'client_wait_ms', jsonb_build_object('mean', wait.mean, 'median', wait.median, 'p99', wait.p99,
                                             'max', wait.max),
        'self_check', jsonb_build_object(
            'requested_rate', (cfg.load->>'rate')::float8,
            'achieved_rate', (sent.n - 1) / nullif(sent.span, 0))
       ) || latj.j || jsonb_build_object(
        'aiperf', jsonb_build_object(
            'inter_token_latency_ms', (SELECT dist FROM dists WHERE metric = 'tpot_ms'),
            'output_token_throughput_per_user', (SELECT dist FROM dists WHERE metric = 'aiperf_tokens_per_s_per_user')),
        'guidellm', jsonb_build_object(
            'time_per_output_token_ms', (SELECT dist FROM dists WHERE metric = 'guidellm_tpot_ms'),
            'inter_token_latency_ms', (SELECT dist FROM dists WHERE metric = 'tpot_ms'),
            'request_latency_ms', (SELECT dist FROM dists WHERE metric = 'e2el_ms')))
  FROM cfg, good, errs, wait, peak, latj, sent LEFT JOIN tp ON true
$$;
