-- aifb schema, version 1: the tables every app shares.
-- Applied once, in a transaction, by scripts/stack (and by the tests through it); the runner records
-- the version in schema_migrations. Later changes go in new numbered files, never here.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens. Only the SHA-256 of a token is stored; the token itself is shown once when made.
CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role          text NOT NULL CHECK (role IN ('read', 'operate', 'admin')),
    token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- Replicas of one deployment answer as one id.
CREATE TABLE service_groups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    recipe      text NOT NULL CHECK (recipe ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    replicas    integer NOT NULL CHECK (replicas BETWEEN 1 AND 64),
    config      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE services (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    recipe         text NOT NULL CHECK (recipe ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    group_id       bigint REFERENCES service_groups (id) ON DELETE SET NULL,
    config         jsonb NOT NULL DEFAULT '{}'::jsonb,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN
                   ('pending', 'starting', 'running', 'completing', 'completed',
                    'failed', 'cancelled', 'timeout', 'unknown')),
    slurm_job_id   bigint CHECK (slurm_job_id > 0),
    node           text,
    port           integer CHECK (port BETWEEN 1 AND 65535),
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz
);
CREATE INDEX services_state_idx ON services (state);
CREATE INDEX services_group_idx ON services (group_id) WHERE group_id IS NOT NULL;

-- Every state a service went through, with when: the reconciler appends, nothing updates.
CREATE TABLE service_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    state       text NOT NULL,
    detail      text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_events_service_idx ON service_events (service_id, at);

-- A benchmark run (a client group): its configuration, its SLURM job and its summary.
CREATE TABLE runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    service_id     bigint REFERENCES services (id) ON DELETE SET NULL,
    group_id       bigint REFERENCES service_groups (id) ON DELETE SET NULL,
    target_url     text,
    config         jsonb NOT NULL DEFAULT '{}'::jsonb,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN
                   ('pending', 'starting', 'running', 'completing', 'completed',
                    'failed', 'cancelled', 'timeout', 'unknown')),
    slurm_job_id   bigint CHECK (slurm_job_id > 0),
    summary        jsonb,
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    ended_at       timestamptz,
    CHECK (ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX runs_state_idx ON runs (state);
CREATE INDEX runs_service_idx ON runs (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX runs_created_idx ON runs (created_at);

-- One row per request a load generator sent. Times are microseconds since the run's start so that
-- every rank's clock reads on one axis; gaps between chunks are kept as an array.
CREATE TABLE request_records (
    run_id            bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    rank              integer NOT NULL DEFAULT 0 CHECK (rank >= 0),
    seq               bigint NOT NULL CHECK (seq >= 0),
    scheduled_us      bigint NOT NULL,
    sent_us           bigint NOT NULL,
    first_chunk_us    bigint,
    last_chunk_us     bigint,
    done_us           bigint,
    itl_us            integer[],
    prompt_tokens     integer CHECK (prompt_tokens >= 0),
    completion_tokens integer CHECK (completion_tokens >= 0),
    tokens_estimated  boolean NOT NULL DEFAULT false,
    http_status       integer,
    error_class       text,
    PRIMARY KEY (run_id, rank, seq)
);

-- Scrape targets registered by hand or by the apps; served to Prometheus as http_sd.
CREATE TABLE targets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('service', 'client', 'exporter', 'other')),
    address     text NOT NULL CHECK (address ~ '^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$'),
    metrics_path text NOT NULL DEFAULT '/metrics' CHECK (metrics_path ~ '^/[A-Za-z0-9._/-]{0,255}$'),
    labels      jsonb NOT NULL DEFAULT '{}'::jsonb,
    service_id  bigint REFERENCES services (id) ON DELETE CASCADE,
    run_id      bigint REFERENCES runs (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (address, metrics_path)
);

CREATE TABLE monitoring_sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 128),
    state       text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed', 'collected')),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    step_s      double precision NOT NULL DEFAULT 1 CHECK (step_s > 0),
    watch       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

-- The index of the log mirror. `path` is relative to the mirror root and never leaves it.
CREATE TABLE log_files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path          text NOT NULL UNIQUE CHECK (path !~ '(^/|(^|/)\.\.(/|$))' AND path !~ '[[:cntrl:]]'),
    category      text NOT NULL CHECK (category IN ('server', 'client', 'vllm', 'vector-db',
                                                    'monitoring', 'agent', 'uncategorized')),
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    modified_at   timestamptz NOT NULL,
    service_id    bigint REFERENCES services (id) ON DELETE SET NULL,
    run_id        bigint REFERENCES runs (id) ON DELETE SET NULL,
    slurm_job_id  bigint CHECK (slurm_job_id > 0),
    indexed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_files_category_idx ON log_files (category);
CREATE INDEX log_files_job_idx ON log_files (slurm_job_id) WHERE slurm_job_id IS NOT NULL;
