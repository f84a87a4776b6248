-- One list of the states aifb gives a SLURM job, a service and a run, for SQL: job_states() names
-- each in order and says whether it is terminal (never left). The C list is
-- fcgi-apps/common/job_state.def; 10_api holds the two to each other. The tables' CHECKs, the runs'
-- partial index and the apps' statements use these functions instead of lists of their own.
CREATE FUNCTION job_states() RETURNS TABLE (state text, terminal boolean) LANGUAGE sql IMMUTABLE AS $$
    VALUES ('pending', false), ('starting', false), ('running', false), ('completing', false),
           ('completed', true), ('failed', true), ('cancelled', true), ('timeout', true), ('unknown', true)
$$;

-- True for a terminal state, false for a live one, NULL for a name that is not a state. One
-- expression with no FROM, so that the planner inlines it (the runs' partial index and the
-- reconcilers' statements use it); 10_api holds it to job_states().
CREATE FUNCTION job_state_terminal(p_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_state WHEN 'pending' THEN false WHEN 'starting' THEN false WHEN 'running' THEN false
                        WHEN 'completing' THEN false WHEN 'completed' THEN true WHEN 'failed' THEN true
                        WHEN 'cancelled' THEN true WHEN 'timeout' THEN true WHEN 'unknown' THEN true END
$$;

ALTER TABLE services DROP CONSTRAINT services_state_check,
    ADD CONSTRAINT services_state_check CHECK (job_state_terminal(state) IS NOT NULL);
ALTER TABLE runs DROP CONSTRAINT runs_state_check,
    ADD CONSTRAINT runs_state_check CHECK (job_state_terminal(state) IS NOT NULL);

DROP INDEX runs_state;
CREATE INDEX runs_state ON runs (state) WHERE NOT job_state_terminal(state);

-- The log files a retention cut takes (aifb-logs's retention, and its dry run): every file older
-- than p_days (NULL: no age limit), then, the newest kept first, every file past p_bytes in all
-- (NULL: no size limit).
CREATE FUNCTION log_retention_cut(p_days float8, p_bytes bigint)
RETURNS TABLE (id bigint, path text, size_bytes bigint, modified_at timestamptz) LANGUAGE sql STABLE AS $$
    SELECT f.id, f.path, f.size_bytes, f.modified_at FROM log_files f
     WHERE p_days IS NOT NULL AND f.modified_at < now() - make_interval(secs => p_days * 86400)
    UNION
    SELECT x.id, x.path, x.size_bytes, x.modified_at FROM (
        SELECT f.id, f.path, f.size_bytes, f.modified_at,
               sum(f.size_bytes) OVER (ORDER BY f.modified_at DESC, f.id DESC) AS kept
          FROM log_files f) x
     WHERE p_bytes IS NOT NULL AND x.kept > p_bytes
$$;
