-- History retention also expires bridge idempotency keys (workflow_bridge_events) older than the namespace's
-- retention_days; this index lets each pass find a namespace's oldest keys without reading the table.
-- Owner: core/Bridge/BridgeEventStore.cs.
CREATE INDEX IF NOT EXISTS workflow_bridge_events_created_idx
    ON workflow_bridge_events (namespace, created_at);
