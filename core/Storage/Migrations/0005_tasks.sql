-- Task transport: workflow, activity and timer tasks share one table so that the claim, the lease recovery
-- and the repair columns behave the same for all of them (rollout contract 8.2-8.4, 10.1). Also: the queue
-- registry, poll-request idempotency records and query tasks.
--
-- Engine rule: status and task_type predicates are written as SQL literals (status = 'ready'), never as bind
-- parameters. A partial index is only usable when the planner can prove its WHERE clause from the query
-- text, and a generic plan with $n cannot prove that.

CREATE TABLE IF NOT EXISTS workflow_tasks (
    id                       varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace                varchar(128) NOT NULL,
    run_id                   varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- workflow | activity | timer (timer tasks are claimed by the server's own timer loop, not by workers)
    task_type                varchar(16)  NOT NULL,
    -- ready -> leased -> completed | failed | cancelled; leased -> ready on lease expiry, deregistration or
    -- workflow-task /fail (same row, delayed by available_at).
    status                   varchar(16)  NOT NULL DEFAULT 'ready',
    task_queue               varchar(255) COLLATE "C" NOT NULL,
    -- Copied from the run at creation, so the marker filter is evaluated on the task row alone.
    compatibility            varchar(255) COLLATE "C",
    -- Copied from the run (workflow type) / execution (activity type) so supported_*_types filters need no join.
    workflow_type            varchar(255) NOT NULL,
    activity_type            varchar(255),
    activity_execution_id    varchar(26)  COLLATE "C",
    -- Attempt created by the latest claim of an activity task (worker echoes it as activity_attempt_id).
    activity_attempt_id      varchar(26)  COLLATE "C",
    retry_of_task_id         varchar(26)  COLLATE "C",
    timer_id                 varchar(26)  COLLATE "C",
    -- 0..9, lower first; the start API default is 5.
    priority                 smallint     NOT NULL DEFAULT 5,
    -- Not claimable before this instant (timer fire time, retry/failure back-off).
    available_at             timestamptz  NOT NULL DEFAULT now(),
    -- Workflow tasks: the resume context keys (workflow_wait_kind, open_wait_id, resume_source_kind, ...)
    -- served verbatim in the poll response.
    resume_context           jsonb        NOT NULL DEFAULT '{}',
    -- Incremented by every claim; it is the workflow_task_attempt fencing token.
    attempt_count            integer      NOT NULL DEFAULT 0,
    -- Workflow tasks: the run's last_history_sequence at claim. History pages for this lease stop there, and
    -- at completion signals/updates recorded after it are still unseen, so the next workflow task is created.
    history_cutoff_sequence  bigint,
    -- Kept after completion (not cleared) so a retried identical completion can be recognised and replayed.
    lease_owner              varchar(255) COLLATE "C",
    leased_at                timestamptz,
    lease_expires_at         timestamptz,
    -- Repair / diagnostics columns (rollout contract 8.3, control plane 4.7 and 10.2).
    repair_count             integer      NOT NULL DEFAULT 0,
    repair_available_at      timestamptz,
    last_dispatched_at       timestamptz,
    last_dispatch_attempt_at timestamptz,
    last_dispatch_error      text,
    last_claim_failed_at     timestamptz,
    last_claim_error         text,
    last_error               text,
    last_failed_at           timestamptz,
    -- Last /fail body ({message, type, stack_trace}) of a workflow task.
    failure                  jsonb,
    -- Response body of the successful completion, replayed for an identical retry.
    outcome_response         jsonb,
    closed_at                timestamptz,
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now()
);

-- The claim: FOR UPDATE SKIP LOCKED over this index in (priority, available_at, id) order. Equality on
-- (namespace, task_type, task_queue) then an ordered walk; "available_at <= now()" is checked inside the
-- index, and only ready rows are in it, so it stays as small as the backlog.
CREATE INDEX IF NOT EXISTS workflow_tasks_ready_claim_idx
    ON workflow_tasks (namespace, task_type, task_queue, priority, available_at, id)
    WHERE status = 'ready';

-- The timer loop works across namespaces and queues, so it needs its own ordering by fire time.
CREATE INDEX IF NOT EXISTS workflow_tasks_ready_timer_idx
    ON workflow_tasks (available_at, id)
    WHERE status = 'ready' AND task_type = 'timer';

-- Lease-expiry scan of the repair pass: oldest expiry first over all leased tasks. INCLUDE lets it answer
-- the candidate list from the index (index-only once the visibility map allows).
CREATE INDEX IF NOT EXISTS workflow_tasks_leased_expiry_idx
    ON workflow_tasks (lease_expires_at) INCLUDE (id, task_type, run_id)
    WHERE status = 'leased';

-- Per-queue view of leases: poll-path recovery (up to 5 expired leases of the polled queue), task-queue
-- stats and current_leases, admission leased counts.
CREATE INDEX IF NOT EXISTS workflow_tasks_leased_queue_idx
    ON workflow_tasks (namespace, task_type, task_queue, lease_expires_at)
    WHERE status = 'leased';

-- Deregistration hands a worker's leases back; also per-worker diagnostics.
CREATE INDEX IF NOT EXISTS workflow_tasks_leased_owner_idx
    ON workflow_tasks (namespace, lease_owner)
    WHERE status = 'leased';

CREATE INDEX IF NOT EXISTS workflow_tasks_run_idx
    ON workflow_tasks (run_id, created_at);

-- "At most one workflow task per run is ready or leased" (worker protocol 3), enforced by the database so
-- racing signal/repair/timer paths cannot create a second one: they insert ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_tasks_open_workflow_task_uidx
    ON workflow_tasks (run_id)
    WHERE task_type = 'workflow' AND status IN ('ready', 'leased');

-- Same guarantee for one activity execution / one timer.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_tasks_open_activity_task_uidx
    ON workflow_tasks (activity_execution_id)
    WHERE task_type = 'activity' AND status IN ('ready', 'leased');
CREATE UNIQUE INDEX IF NOT EXISTS workflow_tasks_open_timer_task_uidx
    ON workflow_tasks (timer_id)
    WHERE task_type = 'timer' AND status IN ('ready', 'leased');

-- dispatch_overdue (ready, due, not re-stamped within redispatch_after_seconds): metrics and the repair pass
-- order by this exact expression.
CREATE INDEX IF NOT EXISTS workflow_tasks_ready_dispatch_idx
    ON workflow_tasks ((COALESCE(last_dispatched_at, created_at)))
    WHERE status = 'ready';

-- claim_failed / dispatch_failed are rare; these partial indexes hold only the affected rows, so they cost
-- nothing on the normal path and keep the two metrics and repair predicates cheap.
CREATE INDEX IF NOT EXISTS workflow_tasks_claim_failed_idx
    ON workflow_tasks (last_claim_failed_at)
    WHERE status = 'ready' AND last_claim_failed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS workflow_tasks_dispatch_failed_idx
    ON workflow_tasks (last_dispatch_attempt_at)
    WHERE status = 'ready' AND last_dispatch_error IS NOT NULL;

-- Queues ever used in a namespace (task-queue listing). Written with INSERT ... ON CONFLICT DO NOTHING when a
-- task or registration names a queue, so the listing doesn't need a DISTINCT over the whole task table.
CREATE TABLE IF NOT EXISTS workflow_task_queues (
    namespace  varchar(128) NOT NULL,
    name       varchar(255) COLLATE "C" NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, name)
);

-- Poll-request idempotency (worker protocol 3.1.3, rollout contract 10.5). This lives in the database, not
-- the cache: the stored result is written in the same transaction as the claim it describes, so a poll
-- retried after a lost response (or on another node) always finds its task instead of leaking a 300 s lease.
CREATE TABLE IF NOT EXISTS workflow_poll_requests (
    -- sha256 of namespace, task_kind, task_queue, build_id, worker_id, poll_request_id (NUL-separated).
    -- Hashed because the natural key (up to ~1100 characters of caller text) can exceed the btree row limit.
    request_key         bytea        PRIMARY KEY,
    namespace           varchar(128) NOT NULL,
    -- workflow | activity | query
    task_kind           varchar(16)  NOT NULL,
    task_queue          varchar(255) COLLATE "C" NOT NULL,
    build_id            varchar(255) COLLATE "C",
    worker_id           varchar(255) COLLATE "C" NOT NULL,
    poll_request_id     varchar(255) COLLATE "C" NOT NULL,
    -- pending (leader still polling) -> completed (task_id set, or NULL for an empty result)
    status              varchar(16)  NOT NULL DEFAULT 'pending',
    task_id             varchar(26)  COLLATE "C",
    -- workflow_task_attempt / query_task_attempt at claim time; replay only while it is still current.
    task_attempt        integer,
    activity_attempt_id varchar(26)  COLLATE "C",
    created_at          timestamptz  NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    -- pending: leader deadline (poll timeout + grace), after which a duplicate may take over;
    -- completed: lease end + 5 s (max 1 h), or 5-60 s for empty results.
    expires_at          timestamptz  NOT NULL
);

CREATE INDEX IF NOT EXISTS workflow_poll_requests_expires_idx
    ON workflow_poll_requests (expires_at);

-- Query tasks: ephemeral (TTL ~180 s) and never in history. They live in the database so any node can take
-- the worker's completion and hand it to the control-plane caller waiting on another node.
CREATE TABLE IF NOT EXISTS workflow_query_tasks (
    id                   varchar(26)  COLLATE "C" PRIMARY KEY,
    namespace            varchar(128) NOT NULL,
    task_queue           varchar(255) COLLATE "C" NOT NULL,
    workflow_instance_id varchar(255) COLLATE "C" NOT NULL,
    -- No FK: a query task must never block run retention, and it expires on its own.
    run_id               varchar(26)  COLLATE "C" NOT NULL,
    workflow_type        varchar(255) NOT NULL,
    -- Recorded fingerprint of the run; only workers advertising it for workflow_type may lease the task.
    required_fingerprint varchar(255),
    query_name           varchar(256) NOT NULL,
    query_arguments      jsonb,
    payload_codec        varchar(32)  NOT NULL DEFAULT 'avro',
    -- pending -> leased -> completed | failed | timed_out; leased -> pending on lease expiry
    status               varchar(16)  NOT NULL DEFAULT 'pending',
    attempt_count        integer      NOT NULL DEFAULT 0,
    lease_owner          varchar(255) COLLATE "C",
    leased_at            timestamptz,
    lease_expires_at     timestamptz,
    -- Worker answer, handed to the caller verbatim: plain "result" JSON and the {codec, blob} envelope.
    result               jsonb,
    result_envelope      jsonb,
    failure_reason       varchar(255),
    failure_message      text,
    failure              jsonb,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    -- Caller gives up at created_at + query wait (30 s); the row may be pruned after created_at + TTL.
    wait_deadline_at     timestamptz  NOT NULL,
    expires_at           timestamptz  NOT NULL,
    closed_at            timestamptz
);

-- Claim (oldest pending first) and the per-queue pending cap (1024 -> 429 query_task_queue_full).
CREATE INDEX IF NOT EXISTS workflow_query_tasks_pending_idx
    ON workflow_query_tasks (namespace, task_queue, created_at, id)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS workflow_query_tasks_leased_expiry_idx
    ON workflow_query_tasks (lease_expires_at)
    WHERE status = 'leased';
CREATE INDEX IF NOT EXISTS workflow_query_tasks_expires_idx
    ON workflow_query_tasks (expires_at);
