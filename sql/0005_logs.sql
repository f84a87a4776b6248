-- aifb schema, version 5: the log mirror's syncs, and the files taken out of it on purpose.
--
-- aifb-logs lists the cluster's log folder with rsync, fetches what is new or changed (rsync's delta
-- transfer for a file that grew), and indexes what it fetched in log_files (sql/0001). A file deleted
-- through the API or by retention leaves a tombstone so that the next sync does not bring it back.

-- One row per sync: what it moved, how long it took, and why it failed.
CREATE TABLE log_syncs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger           text NOT NULL CHECK (trigger IN ('interval', 'api')),
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    ok                boolean,
    files_listed      bigint CHECK (files_listed >= 0),
    files_wanted      bigint CHECK (files_wanted >= 0),
    files_transferred bigint CHECK (files_transferred >= 0),
    bytes_transferred bigint CHECK (bytes_transferred >= 0),
    files_indexed     bigint CHECK (files_indexed >= 0),
    files_skipped     bigint CHECK (files_skipped >= 0),
    list_ms           bigint, -- how long each step took: rsync's listing, the diff in PostgreSQL,
    diff_ms           bigint, -- rsync's fetch, the index's upsert
    fetch_ms          bigint,
    index_ms          bigint,
    error             text
);
CREATE INDEX log_syncs_ok_idx ON log_syncs (id) WHERE ok;

CREATE TABLE log_tombstones (
    path            text PRIMARY KEY CHECK (path !~ '(^/|(^|/)\.\.(/|$))' AND path !~ '[[:cntrl:]]'),
    reason          text NOT NULL CHECK (reason IN ('api', 'retention')),
    remote_deleted  boolean NOT NULL DEFAULT false,
    deleted_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX log_files_modified_idx ON log_files (modified_at);
CREATE INDEX log_files_service_idx ON log_files (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX log_files_run_idx ON log_files (run_id) WHERE run_id IS NOT NULL;

-- Files and bytes per category, for the stats route and Grafana.
CREATE VIEW log_category_stats AS
SELECT category, count(*) AS files, coalesce(sum(size_bytes), 0)::bigint AS bytes,
       min(modified_at) AS oldest, max(modified_at) AS newest
FROM log_files GROUP BY category;
