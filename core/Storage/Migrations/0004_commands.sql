-- Control-plane commands (start, signal, update, cancel, terminate, repair, archive) and the signal/update
-- messages they deliver into runs. Queries are never durable and don't appear here (see workflow_query_tasks).

CREATE TABLE IF NOT EXISTS workflow_commands (
    id                   varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace            varchar(128) NOT NULL,
    -- No FK: a rejected start for an id that never got an instance is still recorded (for example
    -- rejected_compatibility_blocked).
    workflow_instance_id varchar(255) COLLATE "C" NOT NULL,
    run_id               varchar(26)  COLLATE "C",
    requested_run_id     varchar(26)  COLLATE "C",
    -- From workflow_instances.last_command_sequence; NULL when no instance row exists.
    command_sequence     bigint,
    -- start | signal | update | cancel | terminate | repair | archive
    command_type         varchar(32)  NOT NULL,
    -- instance | run
    target_scope         varchar(16)  NOT NULL DEFAULT 'instance',
    -- accepted | rejected
    status               varchar(16)  NOT NULL,
    -- Engine CommandOutcome value (started_new, signal_received, rejected_not_active, ...).
    outcome              varchar(64),
    rejection_reason     varchar(64),
    -- Caller-supplied reason for cancel/terminate/archive (<=1000 chars).
    reason               varchar(1000),
    request_id           varchar(255),
    -- Signal/update name echoed back as signal_name / update_name.
    operation_name       varchar(256),
    payload_codec        varchar(32),
    payload              jsonb,
    -- control_plane | schedule | worker | system
    source               varchar(32)  NOT NULL DEFAULT 'control_plane',
    -- Attribution (optional request headers, schedule id, trigger) for the command object in events.
    context              jsonb        NOT NULL DEFAULT '{}',
    -- The response body as first answered, so a request_id replay gets the same answer.
    response             jsonb,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    applied_at           timestamptz
);

CREATE UNIQUE INDEX IF NOT EXISTS workflow_commands_instance_sequence_uidx
    ON workflow_commands (workflow_instance_id, command_sequence)
    WHERE command_sequence IS NOT NULL;

-- request_id makes a retried command idempotent: the second insert conflicts and the engine replays
-- "response". Only accepted commands reserve the id, so a retry after a rejection is evaluated afresh.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_commands_request_uidx
    ON workflow_commands (namespace, workflow_instance_id, command_type, request_id)
    WHERE request_id IS NOT NULL AND status = 'accepted';

CREATE INDEX IF NOT EXISTS workflow_commands_run_idx
    ON workflow_commands (run_id, created_at);

CREATE TABLE IF NOT EXISTS workflow_signals (
    id                  varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace           varchar(128) NOT NULL,
    run_id              varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    workflow_command_id varchar(26)  COLLATE "C",
    signal_name         varchar(256) NOT NULL,
    signal_wait_id      varchar(64)  COLLATE "C",
    arguments           jsonb,
    payload_codec       varchar(32)  NOT NULL DEFAULT 'avro',
    -- Sequence of its SignalReceived event; a completed workflow task has "seen" every signal at or below the
    -- last sequence it was given.
    history_sequence    bigint,
    -- received -> applied (a completed workflow task saw it) | discarded (run closed first)
    status              varchar(16)  NOT NULL DEFAULT 'received',
    received_at         timestamptz  NOT NULL DEFAULT now(),
    applied_at          timestamptz
);

-- "Did a signal arrive that no workflow task has seen yet?" is checked on every completion
-- (worker protocol 3.4.2), and pending_signal_count is a structural limit.
CREATE INDEX IF NOT EXISTS workflow_signals_run_received_idx
    ON workflow_signals (run_id, history_sequence)
    WHERE status = 'received';

CREATE TABLE IF NOT EXISTS workflow_updates (
    id                  varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace           varchar(128) NOT NULL,
    run_id              varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    workflow_command_id varchar(26)  COLLATE "C",
    update_name         varchar(256) NOT NULL,
    request_id          varchar(255),
    arguments           jsonb,
    payload_codec       varchar(32)  NOT NULL DEFAULT 'avro',
    -- accepted -> completed | failed; rejected when validation refused it (never accepted)
    status              varchar(16)  NOT NULL DEFAULT 'accepted',
    -- Step sequence of its UpdateApplied event.
    workflow_sequence   integer,
    result              jsonb,
    failure_id          varchar(26)  COLLATE "C",
    -- {message, exception_type, exception_class, non_retryable, ...} for fail_update / rejection.
    failure             jsonb,
    validation_errors   jsonb,
    accepted_at         timestamptz,
    applied_at          timestamptz,
    rejected_at         timestamptz,
    closed_at           timestamptz,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now()
);

-- Open updates of a run: completion validates complete_update/fail_update ids against them, and
-- pending_update_count is a structural limit.
CREATE INDEX IF NOT EXISTS workflow_updates_run_open_idx
    ON workflow_updates (run_id, accepted_at)
    WHERE status = 'accepted';
