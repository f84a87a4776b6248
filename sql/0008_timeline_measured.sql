-- aifb schema, version 8: max_output_tokens_per_s from the timeline. run_output_tokens_peak() (sql/0007)
-- placed every chunk of a run again, one row each: 2.5 million chunks took 2 s, so a run of a million
-- requests of 256 tokens would spend minutes of its load there. aifb-loadgen now writes, per rank and
-- second, the tokens of the completed requests of the measure phase placed at their chunks by the
-- same rule (measured_tokens); the peak is the busiest second of their sum over the ranks, NULL when
-- no such request had a chunk, as stats.c has it. Runs loaded before keep the per-chunk way.
ALTER TABLE run_timeline ADD COLUMN measured_tokens integer CHECK (measured_tokens >= 0);

ALTER FUNCTION run_output_tokens_peak(bigint) RENAME TO run_output_tokens_peak_chunks;

CREATE FUNCTION run_output_tokens_peak(p_run bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM run_timeline WHERE run_id = p_run)
          OR EXISTS (SELECT 1 FROM run_timeline WHERE run_id = p_run AND measured_tokens IS NULL)
        THEN run_output_tokens_peak_chunks(p_run)
        WHEN NOT EXISTS (SELECT 1 FROM request_records WHERE run_id = p_run AND phase = 'measure'
                          AND error_class IS NULL AND first_chunk_us IS NOT NULL)
        THEN NULL
        ELSE (SELECT max(n) FROM (SELECT sum(measured_tokens)::bigint AS n FROM run_timeline
                                   WHERE run_id = p_run GROUP BY second) s)
    END
$$;
