-- Each latency metric's distribution, kept when a run is loaded (as run_latency keeps its summary),
-- so that a chart of a run of a million records reads one row per metric, never the records:
-- a histogram of RUN_DISTRIBUTION_BUCKETS equal buckets from the metric's min to its max, and the
-- CDF as the value at each of run_cdf_quantiles(). Computed from the records on demand, the ITL
-- histogram of a 1,000,000-record run took 21 s.

CREATE FUNCTION run_cdf_quantiles() RETURNS float8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(q ORDER BY q)
      FROM (SELECT g / 100.0 AS q FROM generate_series(0, 100) AS g UNION ALL VALUES (0.999), (0.9999)) AS t
$$;

CREATE TABLE run_distribution (
    run_id bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    metric text NOT NULL,
    n      bigint NOT NULL,
    lo     float8 NOT NULL,    -- the first bucket starts at the metric's min
    width  float8 NOT NULL,    -- each bucket's width: (max - min) / buckets; 0 when all values are one
    counts bigint[] NOT NULL,  -- values per bucket; the last one holds the max
    q      float8[] NOT NULL,  -- the CDF: at quantile q[i] ...
    value  float8[] NOT NULL,  -- ... the metric is value[i] (percentile_cont, as run_latency)
    PRIMARY KEY (run_id, metric)
);

-- Computes and keeps p_run's distributions (the caller has removed any old ones); returns how many
-- metrics it kept.
CREATE FUNCTION run_distribution_keep(p_run bigint, p_buckets int DEFAULT 50) RETURNS bigint
LANGUAGE sql AS $$
WITH v AS (SELECT metric, value FROM run_metric_values WHERE run_id = p_run),
r AS (SELECT metric, count(*) AS n, min(value) AS lo, max(value) AS hi,
             percentile_cont(run_cdf_quantiles()) WITHIN GROUP (ORDER BY value) AS value
        FROM v GROUP BY metric),
c AS (SELECT v.metric,
             CASE WHEN r.hi > r.lo THEN least(width_bucket(v.value, r.lo, r.hi, p_buckets), p_buckets) ELSE 1 END AS b,
             count(*) AS k
        FROM v JOIN r USING (metric) GROUP BY 1, 2),
h AS (SELECT r.metric, array_agg(coalesce(c.k, 0) ORDER BY s.b) AS counts
        FROM r CROSS JOIN generate_series(1, p_buckets) AS s (b)
        LEFT JOIN c ON c.metric = r.metric AND c.b = s.b
       GROUP BY r.metric),
ins AS (INSERT INTO run_distribution (run_id, metric, n, lo, width, counts, q, value)
        SELECT p_run, r.metric, r.n, r.lo, (r.hi - r.lo) / p_buckets, h.counts, run_cdf_quantiles(), r.value
          FROM r JOIN h USING (metric)
        RETURNING 1)
SELECT count(*) FROM ins
$$;

-- The runs loaded before this migration get theirs now.
SELECT run_distribution_keep(id) FROM runs WHERE records_loaded > 0;
