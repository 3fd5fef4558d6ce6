-- Custom search attribute definitions per namespace (control plane 6). System attributes (WorkflowType,
-- WorkflowId, RunId, Status, StartTime, CloseTime, TaskQueue, BuildId) are fixed in code and never stored.
-- Attribute values live on workflow_runs.search_attributes (jsonb). No value index exists yet because the API
-- filters only by type, status and id/business-key substring; a GIN index can be added later without
-- breaking anything.
CREATE TABLE IF NOT EXISTS search_attribute_definitions (
    namespace  varchar(128) NOT NULL REFERENCES workflow_namespaces (name),
    -- ^[a-zA-Z][a-zA-Z0-9_]*$, <=128; compared byte-exact.
    name       varchar(128) COLLATE "C" NOT NULL,
    -- keyword | text | int | double | bool | datetime | keyword_list
    type       varchar(32)  NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, name)
);
