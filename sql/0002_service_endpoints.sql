-- aifb schema, version 2: where a running service answers, and the state the reconciler saw last.
-- The agent reports the node's address and port once the service's health check passes; the
-- server reaches it there through an SSH direct-tcpip channel from the login node.
ALTER TABLE services ADD COLUMN endpoint_host text
    CHECK (endpoint_host IS NULL OR endpoint_host ~ '^[A-Za-z0-9._:-]{1,253}$');
ALTER TABLE services ADD COLUMN slurm_state text;
ALTER TABLE services ADD COLUMN checked_at timestamptz;

-- Replicas of a group are chosen round-robin among the healthy ones.
ALTER TABLE service_groups ADD COLUMN next_replica bigint NOT NULL DEFAULT 0;
