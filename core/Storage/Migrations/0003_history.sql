-- Run history: append-only, paged by sequence (worker-plane history pages, control-plane history, export).
CREATE TABLE IF NOT EXISTS workflow_history_events (
    run_id              varchar(26)  COLLATE "C" NOT NULL REFERENCES workflow_runs (id),
    -- 1-based, gap-free per run; assigned from workflow_runs.last_history_sequence under the run lock. The
    -- primary key makes a double-append fail rather than silently fork history.
    sequence            bigint       NOT NULL CHECK (sequence >= 1),
    -- Wire "id" of the event (ULID). Nothing looks events up by id, so it gets no index of its own; the
    -- generator guarantees uniqueness.
    id                  varchar(26)  COLLATE "C" NOT NULL,
    event_type          varchar(64)  NOT NULL,
    -- Event attributes exactly as served. Payload blobs inside are bare base64 strings with a payload_codec
    -- sibling, because that is the history wire shape (worker protocol 6.4).
    payload             jsonb        NOT NULL DEFAULT '{}',
    workflow_task_id    varchar(26)  COLLATE "C",
    workflow_command_id varchar(26)  COLLATE "C",
    -- "recorded_at" on the worker plane, "timestamp" on the control plane.
    recorded_at         timestamptz  NOT NULL DEFAULT now(),
    -- (run_id, sequence) is both the identity and the paging order: "sequence > token ORDER BY sequence
    -- LIMIT n" is a single index range scan.
    PRIMARY KEY (run_id, sequence)
);
