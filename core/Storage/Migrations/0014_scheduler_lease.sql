-- The scheduler lease (rollout contract 9.1, issue 10). The advisory lock only covers one session; a tick whose
-- connection died, or whose process stalled past the lease, must not keep writing. Every scheduler transaction first
-- extends this row by (owner, token, unexpired), so a takeover (which increments token) waits for in-flight writes
-- and then fences the previous holder out.
CREATE TABLE IF NOT EXISTS scheduler_leases (
    name        varchar(64)  COLLATE "C" PRIMARY KEY,
    owner       varchar(255) COLLATE "C" NOT NULL,
    -- Incremented on every change of owner (and on a re-acquire after expiry), never on a renewal.
    token       bigint       NOT NULL CHECK (token >= 1),
    acquired_at timestamptz  NOT NULL DEFAULT now(),
    renewed_at  timestamptz  NOT NULL DEFAULT now(),
    expires_at  timestamptz  NOT NULL
);

-- Catch-up and history: every fire knows the occurrence it was for (history rows already carry it).
CREATE INDEX IF NOT EXISTS workflow_schedule_history_occurrence_idx
    ON workflow_schedule_history (schedule_ref, occurrence_time)
    WHERE occurrence_time IS NOT NULL;
