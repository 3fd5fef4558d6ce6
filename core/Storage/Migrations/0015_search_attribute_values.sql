-- Typed search-attribute values (control plane 6, issue 14), so visibility queries on GET /api/workflows can filter
-- by custom attributes with equality, ranges and IN on an index. workflow_runs.search_attributes (jsonb) stays the
-- value clients read back; this table is the filterable projection of its defined attributes, written in the same
-- transaction (SearchAttributeStore owns it). A side table rather than a GIN/expression index on the jsonb column:
-- a jsonb_path_ops GIN index serves only containment (equality), expression indexes would need DDL per attribute at
-- run time, and casting jsonb text to numbers or timestamps in a WHERE clause fails on a value stored before its
-- definition existed. Here values are converted once, on write, after validation.
CREATE TABLE IF NOT EXISTS workflow_search_attribute_values (
    run_id         varchar(26)  COLLATE "C" NOT NULL,
    namespace      varchar(128) NOT NULL,
    name           varchar(128) COLLATE "C" NOT NULL,
    -- 0 for a scalar; the element index of a keyword_list value (one row per element, so = and IN match any).
    ordinal        integer      NOT NULL DEFAULT 0,
    -- Exactly one of these is set, by the attribute's type: keyword/text/keyword_list -> keyword_value,
    -- int/double -> number_value, bool -> bool_value, datetime -> time_value.
    keyword_value  text         COLLATE "C",
    number_value   numeric,
    bool_value     boolean,
    time_value     timestamptz,
    PRIMARY KEY (run_id, name, ordinal)
);

-- A predicate on one attribute drives the query from here when it is selective; partial so each index only holds
-- the rows of its value kind.
CREATE INDEX IF NOT EXISTS workflow_search_attribute_values_keyword_idx
    ON workflow_search_attribute_values (namespace, name, keyword_value, run_id) WHERE keyword_value IS NOT NULL;
CREATE INDEX IF NOT EXISTS workflow_search_attribute_values_number_idx
    ON workflow_search_attribute_values (namespace, name, number_value, run_id) WHERE number_value IS NOT NULL;
CREATE INDEX IF NOT EXISTS workflow_search_attribute_values_time_idx
    ON workflow_search_attribute_values (namespace, name, time_value, run_id) WHERE time_value IS NOT NULL;
CREATE INDEX IF NOT EXISTS workflow_search_attribute_values_bool_idx
    ON workflow_search_attribute_values (namespace, name, bool_value, run_id) WHERE bool_value IS NOT NULL;
