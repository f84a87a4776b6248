-- aifb schema, version 4: what a monitoring session collected from Prometheus, the energy of runs,
-- and the one list of scrape targets that Prometheus discovers.
--
-- A collection asks Prometheus for the session's series over its window at one step and keeps every
-- point here, so that the record outlives Prometheus's retention. Re-collecting replaces it whole.

ALTER TABLE monitoring_sessions ADD COLUMN collected_at timestamptz;
ALTER TABLE monitoring_sessions ADD COLUMN collected_step_s double precision CHECK (collected_step_s > 0);
ALTER TABLE monitoring_sessions ADD COLUMN collected_points bigint CHECK (collected_points >= 0);

-- One series of one metric of the catalogue: its Prometheus labels and the query that gave it.
CREATE TABLE session_series (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES monitoring_sessions (id) ON DELETE CASCADE,
    metric      text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]{0,63}$'),
    query       text NOT NULL,
    labels      jsonb NOT NULL,
    UNIQUE (session_id, metric, labels)
);

-- One point per step of the window where the series had a value. NaN is kept (the value was NaN).
CREATE TABLE session_samples (
    series_id   bigint NOT NULL REFERENCES session_series (id) ON DELETE CASCADE,
    ts          timestamptz NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (series_id, ts)
);

-- min, mean, p95 and max per series, NaN left out (PostgreSQL would rank it above every number);
-- p95 interpolates linearly, as the run figures do.
CREATE VIEW session_series_summary AS
SELECT s.session_id, s.id AS series_id, s.metric, s.labels,
       count(x.value) AS samples,
       min(x.value) AS min, avg(x.value) AS mean,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY x.value) AS p95,
       max(x.value) AS max,
       min(x.ts) AS first_ts, max(x.ts) AS last_ts
FROM session_series s
LEFT JOIN session_samples x ON x.series_id = s.id AND x.value <> 'NaN'::float8
GROUP BY s.id;

-- The long table Grafana and psql read: one row per step and series.
CREATE VIEW session_points AS
SELECT s.session_id, s.metric, s.labels, x.ts, x.value
FROM session_series s JOIN session_samples x ON x.series_id = s.id;

-- The GPU energy of a run: the increase of aifb_gpu_energy_joules_total of its service jobs' GPUs
-- over the run's window, and per output token. Kept because Prometheus forgets.
CREATE TABLE run_energy (
    run_id          bigint PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    slurm_job_ids   bigint[] NOT NULL,
    gpus            integer NOT NULL CHECK (gpus >= 0),
    joules          double precision NOT NULL CHECK (joules >= 0),
    output_tokens   bigint CHECK (output_tokens >= 0),
    joules_per_output_token double precision,
    per_gpu         jsonb NOT NULL DEFAULT '[]'::jsonb,
    measured_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (window_end > window_start)
);

-- The window a run loaded its target: the whole seconds its load generator counted (every rank),
-- else the job's start and end as aifb-client saw them.
CREATE VIEW run_window AS
SELECT r.id AS run_id,
       coalesce(to_timestamp(t.first_second), r.started_at) AS window_start,
       coalesce(to_timestamp(t.last_second + 1), r.ended_at) AS window_end
FROM runs r
LEFT JOIN (SELECT run_id, min(second) AS first_second, max(second) AS last_second
           FROM run_timeline GROUP BY run_id) t ON t.run_id = r.id;

-- Every scrape target as Prometheus http_sd, at one place: running services through aifb-server's
-- metrics proxy (labelled __aifb_proxy, which Prometheus's configuration sends the API token to and
-- only to), and, unless only_services, the targets registered through aifb-monitoring.
-- A registered target's own labels never start with __ (Prometheus's reserved names; the route refuses
-- them and this drops them), so none can ask for the token. http_address is where Prometheus reaches nginx.
CREATE FUNCTION scrape_targets_sd(http_address text, only_services boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(t.g ORDER BY t.k, t.id), '[]'::json) FROM (
        SELECT 0 AS k, id, json_build_object('targets', json_build_array(http_address), 'labels',
               json_build_object('__metrics_path__', '/api/server/v1/services/' || id || '/metrics',
                                 '__aifb_proxy', 'true', 'aifb_kind', 'service',
                                 'aifb_service_id', id::text, 'aifb_service', name, 'aifb_recipe', recipe,
                                 'aifb_group_id', coalesce(group_id::text, ''),
                                 'slurm_job_id', coalesce(slurm_job_id::text, ''), 'node', coalesce(node, ''))) AS g
        FROM services WHERE state = 'running' AND endpoint_host IS NOT NULL
        UNION ALL
        SELECT 1, id, json_build_object('targets', json_build_array(address), 'labels',
               (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(labels) AS e(k, v)
                WHERE k !~ '^__')
               || jsonb_build_object('__metrics_path__', metrics_path, 'aifb_kind', kind,
                                     'aifb_target_id', id::text))
        FROM targets WHERE NOT only_services
    ) t
$$;

-- A series' labels as Prometheus writes them: {gpu="0",host="n1"} (sorted, values escaped).
CREATE FUNCTION prom_labels_text(labels jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '{' || coalesce(string_agg(k || '="' || replace(replace(replace(v, '\', '\\'), '"', '\"'), E'\n', '\n')
                                      || '"', ',' ORDER BY k), '') || '}'
    FROM jsonb_each_text(labels) AS e(k, v)
$$;
