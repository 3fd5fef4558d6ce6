-- Time-boxed coordination keys that must hold across nodes and survive a Redis outage: the repair-pass loop
-- throttle, the inline retention pass (once per 60 s per namespace), and the scheduler's last-tick marker.
-- Mutual exclusion inside a tick uses PostgreSQL advisory locks instead (docs/schema.md, "Coordination");
-- a row here only says "someone did this recently, don't repeat it before expires_at".
--
-- Acquire = INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE expires_at <= now() RETURNING: a returned row
-- means this caller won.
CREATE TABLE IF NOT EXISTS workflow_coordination_leases (
    name        varchar(255) COLLATE "C" PRIMARY KEY,
    holder      varchar(255) NOT NULL,
    acquired_at timestamptz  NOT NULL DEFAULT now(),
    expires_at  timestamptz  NOT NULL,
    details     jsonb        NOT NULL DEFAULT '{}'
);
