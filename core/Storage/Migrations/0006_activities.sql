-- Activities: one execution per schedule_activity step, one attempt per claim. The transport (ready/leased
-- task, lease expiry) lives in workflow_tasks; these rows hold the retry policy, the deadlines and the outcome.

CREATE TABLE IF NOT EXISTS workflow_activity_executions (
    id                            varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace                     varchar(128) NOT NULL,
    run_id                        varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- Step sequence shared by ActivityScheduled/Started/Completed/Failed/TimedOut.
    sequence                      integer      NOT NULL,
    activity_type                 varchar(255) NOT NULL,
    task_queue                    varchar(255) COLLATE "C" NOT NULL,
    compatibility                 varchar(255) COLLATE "C",
    -- pending -> running -> completed | failed | timed_out | cancelled; running -> pending when a retry is
    -- scheduled (attempt_count > 0 then means "retrying").
    status                        varchar(16)  NOT NULL DEFAULT 'pending',
    payload_codec                 varchar(32)  NOT NULL DEFAULT 'avro',
    arguments                     jsonb,
    -- Snapshot served to workers ({snapshot_version: 1, max_attempts, backoff_seconds, *_timeout,
    -- non_retryable_error_types}); NULL when the command carried neither policy nor timeouts.
    retry_policy                  jsonb,
    -- No retry policy means exactly one attempt.
    max_attempts                  integer      NOT NULL DEFAULT 1,
    start_to_close_timeout        integer,
    schedule_to_start_timeout     integer,
    schedule_to_close_timeout     integer,
    heartbeat_timeout             integer,
    -- schedule-to-start deadline: armed at schedule time and cleared by the first claim, so a later retry
    -- spent waiting in 'pending' cannot trip it.
    schedule_deadline_at          timestamptz,
    -- start-to-close deadline of the current attempt.
    close_deadline_at             timestamptz,
    schedule_to_close_deadline_at timestamptz,
    heartbeat_deadline_at         timestamptz,
    -- Earliest deadline that applies in the current status (rollout contract 9.9). It is generated, so the
    -- timeout index can never disagree with the four deadline columns and their status rules.
    timeout_due_at                timestamptz  GENERATED ALWAYS AS (
        CASE status
            WHEN 'pending' THEN LEAST(schedule_deadline_at, schedule_to_close_deadline_at)
            WHEN 'running' THEN LEAST(close_deadline_at, heartbeat_deadline_at, schedule_to_close_deadline_at)
        END) STORED,
    attempt_count                 integer      NOT NULL DEFAULT 0,
    current_attempt_id            varchar(26)  COLLATE "C",
    -- parallel_group_* keys exactly as the command sent them, copied onto every event of this step.
    parallel_group                jsonb,
    -- The workflow task whose completion scheduled it (workflow_task_id in activity events).
    workflow_task_id              varchar(26)  COLLATE "C",
    result                        jsonb,
    failure_id                    varchar(26)  COLLATE "C",
    started_at                    timestamptz,
    last_heartbeat_at             timestamptz,
    closed_at                     timestamptz,
    created_at                    timestamptz  NOT NULL DEFAULT now(),
    updated_at                    timestamptz  NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS workflow_activity_executions_run_sequence_uidx
    ON workflow_activity_executions (run_id, sequence);

-- Activity-timeout enforcement and activities.timeout_overdue: "timeout_due_at <= now()" in due order.
-- Closed executions compute NULL and are not in the index.
CREATE INDEX IF NOT EXISTS workflow_activity_executions_timeout_idx
    ON workflow_activity_executions (timeout_due_at)
    WHERE timeout_due_at IS NOT NULL;

-- Operator metrics (open / pending / running / retrying) per namespace.
CREATE INDEX IF NOT EXISTS workflow_activity_executions_open_idx
    ON workflow_activity_executions (namespace, status)
    WHERE status IN ('pending', 'running');

CREATE TABLE IF NOT EXISTS workflow_activity_attempts (
    id                    varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace             varchar(128) NOT NULL,
    activity_execution_id varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_activity_executions (id),
    run_id                varchar(26)  COLLATE "C" NOT NULL,
    -- The task the attempt was claimed through: the guard answers task_mismatch when the path's task differs.
    task_id               varchar(26)  COLLATE "C" NOT NULL,
    attempt_number        integer      NOT NULL,
    -- running -> completed | failed | cancelled | expired (lease lost) | timed_out
    status                varchar(16)  NOT NULL DEFAULT 'running',
    -- The guard compares the caller's lease_owner with this value (lease_owner_mismatch).
    lease_owner           varchar(255) COLLATE "C" NOT NULL,
    lease_expires_at      timestamptz,
    started_at            timestamptz  NOT NULL DEFAULT now(),
    last_heartbeat_at     timestamptz,
    close_deadline_at     timestamptz,
    heartbeat_deadline_at timestamptz,
    -- Last heartbeat progress {message, current, total, unit, details}.
    progress              jsonb,
    -- Normalised failure payload of a failed/timed-out attempt (ActivityRetryScheduled needs it).
    failure               jsonb,
    failure_category      varchar(32),
    timeout_kind          varchar(32),
    closed_at             timestamptz
);

CREATE UNIQUE INDEX IF NOT EXISTS workflow_activity_attempts_execution_number_uidx
    ON workflow_activity_attempts (activity_execution_id, attempt_number);
CREATE INDEX IF NOT EXISTS workflow_activity_attempts_task_idx
    ON workflow_activity_attempts (task_id);
