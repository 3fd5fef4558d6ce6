-- Namespaces scope every workflow, task, schedule and worker registration.
CREATE TABLE IF NOT EXISTS workflow_namespaces (
    name                     varchar(128) PRIMARY KEY,
    description              varchar(1000),
    retention_days           integer      NOT NULL DEFAULT 30,
    status                   varchar(32)  NOT NULL DEFAULT 'active',
    external_payload_storage jsonb,
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now(),
    -- insertion order for listings; names are compared lower-cased and stored lower-cased
    seq                      bigint GENERATED ALWAYS AS IDENTITY
);

CREATE UNIQUE INDEX IF NOT EXISTS workflow_namespaces_seq_idx ON workflow_namespaces (seq);
