-- Lookups by run of two tables that had no index on run_id, so each was a scan of the whole table and grew with it:
-- the run close's open-work check reads a run's running attempts, and retention deletes a run's attempts and waits.
CREATE INDEX IF NOT EXISTS workflow_activity_attempts_run_idx
    ON workflow_activity_attempts (run_id);
CREATE INDEX IF NOT EXISTS workflow_waits_run_idx
    ON workflow_waits (run_id);
