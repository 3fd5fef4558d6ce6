-- History export and run debug read every signal and update of a run, whatever its status; the partial indexes of
-- 0004 only cover open messages.
CREATE INDEX IF NOT EXISTS workflow_signals_run_idx ON workflow_signals (run_id, received_at);
CREATE INDEX IF NOT EXISTS workflow_updates_run_idx ON workflow_updates (run_id, created_at);
