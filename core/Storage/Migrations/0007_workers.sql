-- Worker fleet: registrations (poll gating, query routing, cohorts), build-id rollout intent
-- (drain/resume/promote) and compatibility fleet heartbeats (rollout contract 5.4, 6).

CREATE TABLE IF NOT EXISTS workflow_worker_registrations (
    -- Config-like rows with a low insert rate, so the namespace FK is cheap here (see 0002 for hot tables).
    namespace                        varchar(128) NOT NULL REFERENCES workflow_namespaces (name),
    worker_id                        varchar(255) COLLATE "C" NOT NULL,
    -- Exactly one queue per registration; polls must name the same queue.
    task_queue                       varchar(255) COLLATE "C" NOT NULL,
    runtime                          varchar(64)  NOT NULL,
    sdk_version                      varchar(64),
    build_id                         varchar(255) COLLATE "C",
    -- Cohort key: trimmed build id, '' for the unversioned cohort. Generated so drain/resume and the
    -- build-ids view join on exactly what the rollout table stores.
    build_id_key                     varchar(255) COLLATE "C" GENERATED ALWAYS AS (COALESCE(btrim(build_id), '')) STORED,
    -- Empty array = accepts every type (PHP semantics).
    supported_workflow_types         jsonb        NOT NULL DEFAULT '[]',
    supported_activity_types         jsonb        NOT NULL DEFAULT '[]',
    -- workflow type -> fingerprint; checked by the re-registration guard, fingerprint pinning and query routing.
    workflow_definition_fingerprints jsonb        NOT NULL DEFAULT '{}',
    capabilities                     jsonb        NOT NULL DEFAULT '[]',
    workflow_command_contracts       jsonb        NOT NULL DEFAULT '{}',
    max_concurrent_workflow_tasks    integer      NOT NULL DEFAULT 100,
    max_concurrent_activity_tasks    integer      NOT NULL DEFAULT 100,
    task_slots                       jsonb,
    process_metrics                  jsonb,
    heartbeat_interval_seconds       integer,
    -- Stored status: active | draining. "stale" is derived at read time from last_heartbeat_at and is never
    -- written, so no background job has to sweep registrations.
    status                           varchar(16)  NOT NULL DEFAULT 'active',
    last_heartbeat_at                timestamptz,
    -- registered_at on the wire; first_seen_at of a cohort is min(created_at).
    created_at                       timestamptz  NOT NULL DEFAULT now(),
    updated_at                       timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, worker_id)
);

-- Cohort aggregation, drain stamping, task-queue pollers, and query-worker lookup (namespace + queue prefix).
CREATE INDEX IF NOT EXISTS workflow_worker_registrations_cohort_idx
    ON workflow_worker_registrations (namespace, task_queue, build_id_key);
-- GET /api/workers orders by last heartbeat.
CREATE INDEX IF NOT EXISTS workflow_worker_registrations_heartbeat_idx
    ON workflow_worker_registrations (namespace, last_heartbeat_at DESC);

CREATE TABLE IF NOT EXISTS workflow_worker_build_id_rollouts (
    namespace          varchar(128) NOT NULL REFERENCES workflow_namespaces (name),
    task_queue         varchar(255) COLLATE "C" NOT NULL,
    -- Never NULL: '' is the unversioned cohort, so the primary key works without NULL-distinct tricks.
    build_id           varchar(255) COLLATE "C" NOT NULL DEFAULT '',
    -- active | draining
    drain_intent       varchar(16)  NOT NULL DEFAULT 'active',
    -- Set by the first drain and kept by repeated drains; cleared by resume.
    drained_at         timestamptz,
    promoted_at        timestamptz,
    rolled_back_at     timestamptz,
    -- Promote: new starts on this queue are pinned to this build.
    new_start_selected boolean      NOT NULL DEFAULT false,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, task_queue, build_id)
);

-- At most one build per queue takes new starts; a promote clears the previous one in the same transaction.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_worker_build_id_rollouts_new_start_uidx
    ON workflow_worker_build_id_rollouts (namespace, task_queue)
    WHERE new_start_selected;

CREATE TABLE IF NOT EXISTS workflow_worker_compatibility_heartbeats (
    worker_id   varchar(255) COLLATE "C" NOT NULL,
    -- sha256 hex of {namespace, connection, queue}: one row per scope a worker serves.
    scope_key   char(64)     COLLATE "C" NOT NULL,
    namespace   varchar(128),
    host        varchar(255),
    process_id  varchar(64),
    -- Always NULL in this server (no queue connections); kept so fleet output and scope matching follow the
    -- contract, where NULL means "matches any".
    connection  varchar(255),
    queue       varchar(255) COLLATE "C",
    -- Markers this worker accepts: [build_id], [] when unversioned, ["*"] for wildcard.
    supported   jsonb        NOT NULL DEFAULT '[]',
    recorded_at timestamptz  NOT NULL DEFAULT now(),
    -- Live iff expires_at >= now(); TTL 30 s.
    expires_at  timestamptz  NOT NULL,
    PRIMARY KEY (worker_id, scope_key)
);

-- Live fleet of a namespace (readiness, operator metrics, "blocked" detection).
CREATE INDEX IF NOT EXISTS workflow_worker_compatibility_heartbeats_live_idx
    ON workflow_worker_compatibility_heartbeats (namespace, expires_at);
-- Pruning of expired rows.
CREATE INDEX IF NOT EXISTS workflow_worker_compatibility_heartbeats_expires_idx
    ON workflow_worker_compatibility_heartbeats (expires_at);
