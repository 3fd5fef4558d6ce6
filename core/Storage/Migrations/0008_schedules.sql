-- Schedules and their own history (control plane 9, rollout contract 9.1-9.8). The scheduler tick reads
-- everything it needs from these rows; nothing about due-ness lives in the cache.

CREATE TABLE IF NOT EXISTS workflow_schedules (
    -- Internal identity of one incarnation. A soft-removed schedule id may be created again later, so the
    -- user-facing schedule_id alone cannot be the key.
    id                          varchar(26)   COLLATE "C" PRIMARY KEY,
    namespace                   varchar(128)  NOT NULL REFERENCES workflow_namespaces (name),
    schedule_id                 varchar(128)  COLLATE "C" NOT NULL,
    -- {cron_expressions, intervals, timezone}, stored verbatim.
    spec                        jsonb         NOT NULL,
    -- {workflow_type, task_queue, input, execution_timeout_seconds, run_timeout_seconds}
    action                      jsonb         NOT NULL,
    -- skip | buffer_one | buffer_all | allow_all | cancel_other | terminate_other
    overlap_policy              varchar(32)   NOT NULL DEFAULT 'skip',
    jitter_seconds              integer       NOT NULL DEFAULT 0,
    max_runs                    integer,
    -- Counts down per successful fire; reaching 0 soft-removes the schedule (max_runs_exhausted).
    remaining_actions           integer,
    -- NULL when empty (describe returns null).
    memo                        jsonb,
    search_attributes           jsonb,
    note                        varchar(1000),
    -- active | paused | deleted (soft: hidden from every route except history)
    status                      varchar(16)   NOT NULL DEFAULT 'active',
    -- Includes jitter. Paused schedules keep theirs, but the due index ignores them.
    next_fire_at                timestamptz,
    last_fired_at               timestamptz,
    fires_count                 bigint        NOT NULL DEFAULT 0,
    failures_count              bigint        NOT NULL DEFAULT 0,
    skipped_trigger_count       bigint        NOT NULL DEFAULT 0,
    last_skip_reason            varchar(255),
    last_skipped_at             timestamptz,
    -- Ring of the last 10 fires: {workflow_id, run_id, outcome, fired_at, occurrence_time, fire_lag_ms, reason}.
    recent_actions              jsonb         NOT NULL DEFAULT '[]',
    -- FIFO of deferred fires: {buffered_at, occurrence_time}.
    buffered_actions            jsonb         NOT NULL DEFAULT '[]',
    latest_workflow_instance_id varchar(255)  COLLATE "C",
    -- Source of workflow_schedule_history.sequence. A new incarnation starts from the highest sequence already
    -- recorded for its schedule_id, so history of a reused id stays one increasing stream.
    last_history_sequence       bigint        NOT NULL DEFAULT 0,
    paused_at                   timestamptz,
    resumed_at                  timestamptz,
    deleted_at                  timestamptz,
    created_at                  timestamptz   NOT NULL DEFAULT now(),
    updated_at                  timestamptz   NOT NULL DEFAULT now()
);

-- Ids are unique among live schedules only; soft-removed incarnations keep their rows for history.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_schedules_live_id_uidx
    ON workflow_schedules (namespace, schedule_id)
    WHERE status <> 'deleted';

-- Tick phase 2 and schedules.missed / oldest_overdue_at: active schedules by next_fire_at.
CREATE INDEX IF NOT EXISTS workflow_schedules_due_idx
    ON workflow_schedules (next_fire_at)
    WHERE status = 'active' AND next_fire_at IS NOT NULL;

-- Tick phase 1 (drain buffers) visits only schedules that have something buffered.
CREATE INDEX IF NOT EXISTS workflow_schedules_buffered_idx
    ON workflow_schedules (id)
    WHERE status = 'active' AND buffered_actions <> '[]'::jsonb;

-- GET /api/schedules: newest first per namespace.
CREATE INDEX IF NOT EXISTS workflow_schedules_list_idx
    ON workflow_schedules (namespace, created_at DESC, id DESC)
    WHERE status <> 'deleted';

CREATE TABLE IF NOT EXISTS workflow_schedule_history (
    namespace            varchar(128) NOT NULL,
    schedule_id          varchar(128) COLLATE "C" NOT NULL,
    sequence             bigint       NOT NULL CHECK (sequence >= 1),
    id                   varchar(26)  COLLATE "C" NOT NULL,
    -- Which incarnation recorded the event.
    schedule_ref         varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_schedules (id),
    -- ScheduleCreated | SchedulePaused | ScheduleResumed | ScheduleUpdated | ScheduleTriggered |
    -- ScheduleTriggerSkipped | ScheduleDeleted
    event_type           varchar(64)  NOT NULL,
    payload              jsonb        NOT NULL DEFAULT '{}',
    workflow_instance_id varchar(255) COLLATE "C",
    workflow_run_id      varchar(26)  COLLATE "C",
    -- Occurrence this event is about (triggers/skips). Deliberately not unique: backfills may repeat one
    -- (rollout contract 9.8).
    occurrence_time      timestamptz,
    recorded_at          timestamptz  NOT NULL DEFAULT now(),
    -- GET .../history pages by after_sequence on the user-facing id, including removed schedules.
    PRIMARY KEY (namespace, schedule_id, sequence)
);
