-- A completion is replayed only to an identical retry (worker protocol 3.4.4): the SHA-256 of the completed request's
-- commands is kept beside outcome_response, so a different body for an already completed task is refused with
-- task_not_leased instead of getting the first answer. Additive: rows completed by an older node have no fingerprint
-- and are never replayed, which Python treats like PHP's 409.
ALTER TABLE workflow_tasks ADD COLUMN IF NOT EXISTS outcome_request_sha256 bytea;
