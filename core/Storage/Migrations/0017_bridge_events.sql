-- Bridge webhook idempotency (control-plane spec 11.2, issue 14). One row per (namespace, adapter, idempotency key)
-- holding the first outcome that took effect, so a provider's redelivery of the same event answers `duplicate` with
-- that outcome on any node and after any restart. Rejections are not stored: a corrected redelivery may still succeed.
-- Owner: core/Bridge/BridgeEventStore.cs.
CREATE TABLE IF NOT EXISTS workflow_bridge_events (
    namespace       varchar(128) COLLATE "C" NOT NULL,
    adapter         varchar(255) COLLATE "C" NOT NULL,
    idempotency_key varchar(255) COLLATE "C" NOT NULL,
    action          varchar(32)  COLLATE "C" NOT NULL,
    http_status     smallint     NOT NULL,
    outcome         jsonb        NOT NULL,
    workflow_id     varchar(128) COLLATE "C",
    run_id          varchar(64)  COLLATE "C",
    created_at      timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, adapter, idempotency_key)
);

-- Operators look events up by the workflow they touched.
CREATE INDEX IF NOT EXISTS workflow_bridge_events_workflow_idx
    ON workflow_bridge_events (namespace, workflow_id)
    WHERE workflow_id IS NOT NULL;
