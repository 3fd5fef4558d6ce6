-- Workflow aggregate: instances, runs and the run-owned durable state (timers, waits, child/continue links,
-- failures). docs/schema.md explains every status machine and the queries that run against these tables.
--
-- Conventions shared by every script from 0002 on:
-- * Status/kind columns are varchar without CHECK constraints. The wire vocabularies grow with protocol minors,
--   and widening a CHECK later means removing the old constraint, which additive-only migrations forbid.
-- * Server-generated ids (runs, tasks, events, commands, attempts, ...) are lower-case 26-char ULIDs kept as
--   varchar(26) COLLATE "C": they are echoed to clients byte-for-byte (no uuid round trip), byte order is ULID
--   time order, and "C" comparisons are plain memcmp.
-- * Caller-chosen identifiers (workflow ids, task queues, worker ids, build ids) are COLLATE "C" too, so
--   equality is byte-exact and ORDER BY gives upstream's byte-wise (PHP strcmp) order whatever the database
--   locale is.
-- * A payload column holds the wire envelope verbatim as jsonb: {"codec","blob"} or {"codec","external_storage"}.
--   Both shapes fit one nullable column and go back to the wire unchanged. The engine never looks inside a
--   blob, and TOAST already handles the values (at most 2 MiB, capped by the payload gate).
-- * namespace columns on high-write tables carry no foreign key. Each FK check takes FOR KEY SHARE on the
--   single namespace row; thousands of concurrent starts/appends would then pile MultiXacts onto that row.
--   Namespaces are never removed by the API, so the FK would protect nothing.

CREATE TABLE IF NOT EXISTS workflow_instances (
    -- Caller-chosen (<=128 chars on start) or a generated ULID. Keyed by id alone rather than (namespace, id)
    -- because an id stays reserved across namespaces (409 workflow_id_reserved_in_namespace).
    id                        varchar(255) COLLATE "C" PRIMARY KEY,
    namespace                 varchar(128) NOT NULL,
    workflow_type             varchar(255) NOT NULL,
    business_key              varchar(255),
    -- No FK to workflow_runs: runs reference instances, and a cycle would force deferred constraints on every
    -- start. The engine sets it in the same transaction that inserts the run.
    current_run_id            varchar(26)  COLLATE "C",
    run_count                 integer      NOT NULL DEFAULT 0,
    -- Source of workflow_commands.command_sequence; bumped under this row's lock so numbers are gap-free.
    last_command_sequence     bigint       NOT NULL DEFAULT 0,
    -- Execution timeout covers the whole continue-as-new chain, so it lives on the instance, not the run.
    execution_timeout_seconds integer,
    execution_deadline_at     timestamptz,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workflow_runs (
    id                              varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace                       varchar(128) NOT NULL,
    workflow_instance_id            varchar(255) COLLATE "C" NOT NULL REFERENCES workflow_instances (id),
    run_number                      integer      NOT NULL,
    workflow_type                   varchar(255) NOT NULL,
    business_key                    varchar(255),
    -- Always a concrete queue: the start path resolves the server default, so the claim index never has to
    -- handle a NULL queue.
    task_queue                      varchar(255) COLLATE "C" NOT NULL,
    -- Build-id marker stamped once at start (never '*'); every task of the run copies it.
    compatibility                   varchar(255) COLLATE "C",
    -- Fingerprint pinned at start, if any; immutable for the run and checked at workflow-task claim.
    workflow_definition_fingerprint varchar(255),
    priority                        smallint     NOT NULL DEFAULT 5,
    -- pending | running | waiting | completed | failed | cancelled | terminated (wire values).
    status                          varchar(32)  NOT NULL DEFAULT 'pending',
    -- Generated so list filters and metrics can never disagree with status.
    status_bucket                   varchar(16)  GENERATED ALWAYS AS (
        CASE
            WHEN status IN ('pending', 'running', 'waiting') THEN 'running'
            WHEN status = 'completed' THEN 'completed'
            WHEN status IN ('failed', 'cancelled', 'terminated') THEN 'failed'
        END) STORED,
    -- completed | failed | timed_out | cancelled | terminated | continued. "continued" is a closed reason of
    -- a completed run, never a status.
    closed_reason                   varchar(32),
    payload_codec                   varchar(32)  NOT NULL DEFAULT 'avro',
    arguments                       jsonb,
    output                          jsonb,
    memo                            jsonb        NOT NULL DEFAULT '{}',
    search_attributes               jsonb        NOT NULL DEFAULT '{}',
    execution_timeout_seconds       integer,
    run_timeout_seconds             integer,
    execution_deadline_at           timestamptz,
    run_deadline_at                 timestamptz,
    -- The deadline sweep needs the earlier of the two; generated so its index can't go stale.
    deadline_at                     timestamptz  GENERATED ALWAYS AS (LEAST(execution_deadline_at, run_deadline_at)) STORED,
    -- Highest history sequence written; incremented under the run lock by every append.
    last_history_sequence           bigint       NOT NULL DEFAULT 0,
    history_size_bytes              bigint       NOT NULL DEFAULT 0,
    -- Per-run step counter (worker protocol 6.3): one number per step command, starting at 1.
    last_step_sequence              integer      NOT NULL DEFAULT 0,
    parent_workflow_instance_id     varchar(255) COLLATE "C",
    parent_workflow_run_id          varchar(26)  COLLATE "C",
    parent_sequence                 integer,
    continued_from_run_id           varchar(26)  COLLATE "C",
    continued_to_run_id             varchar(26)  COLLATE "C",
    retry_attempt                   integer      NOT NULL DEFAULT 0,
    retry_of_run_id                 varchar(26)  COLLATE "C",
    cancel_requested_at             timestamptz,
    archived_at                     timestamptz,
    archive_command_id              varchar(26)  COLLATE "C",
    archive_reason                  varchar(1000),
    -- Set once retention has pruned the run's detail rows; the run row itself stays so describe keeps working.
    pruned_at                       timestamptz,
    -- Snapshot of the declared signals/queries/updates for this type, taken from worker registrations so
    -- signal/update validation doesn't depend on which workers happen to be online.
    command_contract                jsonb,
    -- Liveness projection (rollout contract 8.1). It lives on the run row and is written in the same
    -- transaction as the change it describes, so a separate summary table can never drift or go missing.
    liveness_state                  varchar(64),
    liveness_reason                 text,
    wait_kind                       varchar(32),
    wait_reason                     text,
    wait_started_at                 timestamptz,
    next_task_id                    varchar(26)  COLLATE "C",
    next_task_type                  varchar(16),
    next_task_status                varchar(16),
    next_task_at                    timestamptz,
    repair_attention                boolean      NOT NULL DEFAULT false,
    task_problem                    boolean      NOT NULL DEFAULT false,
    last_progress_at                timestamptz,
    -- List order key. Fixed at start so that paging stays stable while runs change state.
    sort_at                         timestamptz  NOT NULL DEFAULT now(),
    started_at                      timestamptz,
    -- NULL exactly while the run is open; partial indexes below rely on that invariant.
    closed_at                       timestamptz,
    created_at                      timestamptz  NOT NULL DEFAULT now(),
    updated_at                      timestamptz  NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS workflow_runs_instance_run_number_uidx
    ON workflow_runs (workflow_instance_id, run_number);

-- GET /api/workflows pages newest-first per namespace, optionally by status bucket or type.
CREATE INDEX IF NOT EXISTS workflow_runs_list_idx
    ON workflow_runs (namespace, sort_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS workflow_runs_list_bucket_idx
    ON workflow_runs (namespace, status_bucket, sort_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS workflow_runs_list_type_idx
    ON workflow_runs (namespace, workflow_type, sort_at DESC, id DESC);

-- Operator metrics and the repair pass only look at open runs, grouped by liveness state.
CREATE INDEX IF NOT EXISTS workflow_runs_open_liveness_idx
    ON workflow_runs (namespace, liveness_state)
    WHERE closed_at IS NULL;

-- Deadline sweep: open runs whose execution/run deadline has passed.
CREATE INDEX IF NOT EXISTS workflow_runs_open_deadline_idx
    ON workflow_runs (deadline_at)
    WHERE closed_at IS NULL AND deadline_at IS NOT NULL;

-- Retention: closed, not archived, not yet pruned; oldest closed_at first.
CREATE INDEX IF NOT EXISTS workflow_runs_retention_idx
    ON workflow_runs (namespace, closed_at)
    WHERE closed_at IS NOT NULL AND archived_at IS NULL AND pruned_at IS NULL;

-- Parent/child and continue-as-new relations. The wire's workflow_link_id names a row here.
CREATE TABLE IF NOT EXISTS workflow_links (
    id                          varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace                   varchar(128) NOT NULL,
    -- child_workflow | continue_as_new
    link_type                   varchar(32)  NOT NULL,
    parent_workflow_instance_id varchar(255) COLLATE "C" NOT NULL,
    parent_workflow_run_id      varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    parent_sequence             integer,
    child_call_id               varchar(64)  COLLATE "C",
    child_workflow_instance_id  varchar(255) COLLATE "C" NOT NULL,
    -- The newest child run: a child retry moves this forward, while the link itself stays the parent's step.
    child_workflow_run_id       varchar(26)  COLLATE "C",
    parent_close_policy         varchar(32),
    retry_policy                jsonb,
    timeout_policy              jsonb,
    -- parallel_group_* keys exactly as the command sent them, copied onto ChildRun* events.
    parallel_group              jsonb,
    -- open -> resolved (the parent has received its ChildRun* event); continue_as_new links start resolved.
    status                      varchar(16)  NOT NULL DEFAULT 'open',
    child_status                varchar(32),
    resolved_at                 timestamptz,
    created_at                  timestamptz  NOT NULL DEFAULT now(),
    updated_at                  timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS workflow_links_parent_idx
    ON workflow_links (parent_workflow_run_id, parent_sequence);
-- A closing child looks up its parent step; parent-close policies walk the other way (index above).
CREATE INDEX IF NOT EXISTS workflow_links_child_run_idx
    ON workflow_links (child_workflow_run_id);
CREATE INDEX IF NOT EXISTS workflow_links_child_instance_idx
    ON workflow_links (child_workflow_instance_id);

-- Durable timers (start_timer and condition/signal wait timeouts). Firing is driven by a timer task in
-- workflow_tasks; this row records what was promised and how it ended.
CREATE TABLE IF NOT EXISTS workflow_timers (
    id                varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace         varchar(128) NOT NULL,
    run_id            varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- Step sequence; a condition-timeout timer reuses its wait's number.
    sequence          integer      NOT NULL,
    -- NULL for plain timers, else condition_timeout | signal_timeout.
    timer_kind        varchar(32),
    condition_wait_id varchar(64)  COLLATE "C",
    signal_wait_id    varchar(64)  COLLATE "C",
    delay_seconds     integer      NOT NULL,
    fire_at           timestamptz  NOT NULL,
    -- pending -> fired | cancelled
    status            varchar(16)  NOT NULL DEFAULT 'pending',
    fired_at          timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS workflow_timers_run_sequence_idx
    ON workflow_timers (run_id, sequence);
-- pending_timer_count structural limit and "cancel the wait's timeout timer".
CREATE INDEX IF NOT EXISTS workflow_timers_run_pending_idx
    ON workflow_timers (run_id)
    WHERE status = 'pending';

-- Open condition/signal waits. History is the source of truth for replay. This row lets a signal find "the
-- latest open wait" without scanning history.
CREATE TABLE IF NOT EXISTS workflow_waits (
    -- Any unique string works on the wire; the engine uses a ULID.
    id                               varchar(64)  COLLATE "C" PRIMARY KEY,
    namespace                        varchar(128) NOT NULL,
    run_id                           varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- condition | signal
    wait_kind                        varchar(16)  NOT NULL,
    sequence                         integer      NOT NULL,
    condition_key                    text,
    condition_definition_fingerprint varchar(255),
    signal_name                      varchar(256),
    timeout_seconds                  integer,
    timer_id                         varchar(26)  COLLATE "C",
    -- open -> satisfied | timed_out | cancelled
    status                           varchar(16)  NOT NULL DEFAULT 'open',
    satisfied_by_signal_id           varchar(26)  COLLATE "C",
    opened_at                        timestamptz  NOT NULL DEFAULT now(),
    resolved_at                      timestamptz
);

CREATE INDEX IF NOT EXISTS workflow_waits_run_open_idx
    ON workflow_waits (run_id, sequence)
    WHERE status = 'open';

-- Failure records referenced by failure_id in history events and listed by the debug view.
CREATE TABLE IF NOT EXISTS workflow_failures (
    id               varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace        varchar(128) NOT NULL,
    run_id           varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- workflow_run | activity_execution | child_workflow_run | workflow_task | ...
    source_kind      varchar(32)  NOT NULL,
    source_id        varchar(64)  COLLATE "C",
    propagation_kind varchar(32),
    -- application | cancelled | terminated | timeout | activity | child_workflow | task_failure | internal |
    -- structural_limit
    failure_category varchar(32)  NOT NULL,
    exception_type   varchar(255),
    -- Python sends module.QualName, which has no useful length bound.
    exception_class  text,
    message          text,
    -- Normalised failure object ({class, type, message, code, trace, details, ...}) as replayed on the wire.
    exception        jsonb,
    non_retryable    boolean      NOT NULL DEFAULT false,
    handled          boolean      NOT NULL DEFAULT false,
    created_at       timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS workflow_failures_run_idx
    ON workflow_failures (run_id, created_at DESC);
