using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// The descriptive manifests of cluster info. Each call returns a fresh tree because <see cref="JsonObject"/> is mutable
/// and a node can have only one parent.
/// </summary>
public static class ContractManifests
{
    public const string InvocableHttpCarrier = "invocable_http";

    public static ContractManifest AuthComposition() => new()
    {
        Schema = ContractSchemas.AuthComposition,
        Version = 1,
        Body = new JsonObject
        {
            ["scope"] = "external_execution_carriers",
            ["unknown_field_policy"] = "reject",
            // The Python SDK refuses to start unless these four objects carry exactly the values it checks (worker protocol §8.1).
            ["precedence"] = new JsonObject
            {
                ["connection_values"] = Strings("flag", "environment", "selected_profile", "default"),
                ["profile_selection"] = Strings("flag_env", "DW_ENV", "current_profile", "default_profile"),
            },
            ["canonical_environment"] = new JsonObject
            {
                ["server_url"] = "DURABLE_WORKFLOW_SERVER_URL",
                ["namespace"] = "DURABLE_WORKFLOW_NAMESPACE",
                ["auth_token"] = "DURABLE_WORKFLOW_AUTH_TOKEN",
                ["tls_verify"] = "DURABLE_WORKFLOW_TLS_VERIFY",
                ["profile"] = "DW_ENV",
            },
            ["auth_material"] = new JsonObject
            {
                ["token"] = new JsonObject { ["status"] = "supported", ["transport"] = "bearer_authorization_header", ["effective_config_value"] = "redacted" },
                ["mtls"] = new JsonObject { ["status"] = "reserved" },
                ["signed_headers"] = new JsonObject { ["status"] = "reserved" },
            },
            ["effective_config"] = new JsonObject
            {
                ["required_fields"] = Strings("server_url", "namespace", "profile", "auth", "tls", "identity"),
            },
            ["redaction"] = new JsonObject
            {
                ["never_echo"] = Strings(
                    "bearer_tokens", "private_keys", "shared_signature_keys", "client_certificate_private_key_material",
                    "raw_authorization_headers"),
            },
            ["resolution"] = new JsonObject
            {
                ["missing_server_url"] = "fail_closed",
                ["unknown_profile"] = "fail_closed",
            },
        },
    };

    public static ContractManifest ExternalExecutionSurface() => new()
    {
        Schema = ContractSchemas.ExternalExecutionSurface,
        Version = 1,
        Body = new JsonObject
        {
            ["product_boundary"] = new JsonObject
            {
                ["durable_state_owner"] = "server",
                ["executor_owns"] = Strings("handler_code", "side_effects"),
                ["task_kinds"] = Strings("workflow_task", "activity_task"),
            },
            ["runtime_boundary"] = new JsonObject
            {
                ["transport"] = "worker_protocol_http",
                ["leases"] = "server_issued",
                ["history_authority"] = "server",
            },
            ["mvp"] = new JsonObject
            {
                ["carriers"] = Strings(InvocableHttpCarrier),
                ["payload_codecs"] = Strings("avro"),
            },
            ["contract_seams"] = new JsonObject
            {
                ["task_input"] = ContractSchemas.ExternalTaskInput,
                ["task_result"] = ContractSchemas.ExternalTaskResult,
                ["executor_config"] = ContractSchemas.ExternalExecutorConfig,
                ["carrier"] = ContractSchemas.InvocableCarrier,
                ["auth"] = ContractSchemas.AuthComposition,
            },
            ["carrier_neutrality"] = new JsonObject
            {
                ["envelopes_are_carrier_neutral"] = true,
                ["carrier_specific_fields_allowed_in"] = Strings("metadata"),
            },
            ["non_goals"] = Strings("in_process_plugins", "server_hosted_user_code", "exactly_once_side_effects"),
        },
    };

    /// <summary>No executor config file is loaded by this server, so <c>runtime</c> always reports <c>not_configured</c>.</summary>
    public static ContractManifest ExternalExecutorConfig() => new()
    {
        Schema = ContractSchemas.ExternalExecutorConfig,
        Version = 1,
        Body = new JsonObject
        {
            ["config_schema"] = new JsonObject
            {
                ["schema"] = ContractSchemas.ExternalExecutorConfigFile,
                ["version"] = 1,
            },
            ["steady_state_surface"] = "config_file",
            ["override_precedence"] = Strings("overlay", "base", "defaults"),
            ["server_runtime"] = new JsonObject
            {
                ["path_setting"] = "DW_EXTERNAL_EXECUTOR_CONFIG_PATH",
                ["overlay_setting"] = "DW_EXTERNAL_EXECUTOR_CONFIG_OVERLAY",
                ["reload"] = "on_restart",
            },
            ["validation"] = new JsonObject
            {
                ["unknown_field_policy"] = "reject",
                ["invalid_config"] = "fail_closed",
            },
            ["redaction"] = new JsonObject
            {
                ["fields"] = Strings("auth.token", "headers.authorization"),
                ["replacement"] = "[redacted]",
            },
            ["runtime"] = new JsonObject
            {
                ["configured"] = false,
                ["status"] = "not_configured",
                ["source"] = null,
                ["overlay"] = null,
                ["summary"] = new JsonObject
                {
                    ["carrier_count"] = 0,
                    ["mapping_count"] = 0,
                    ["mapping_kinds"] = new JsonArray(),
                },
                ["errors"] = new JsonArray(),
            },
        },
    };

    public static ContractManifest InvocableCarrier() => new()
    {
        Schema = ContractSchemas.InvocableCarrier,
        Version = 1,
        Body = new JsonObject
        {
            ["carrier_type"] = InvocableHttpCarrier,
            ["scope"] = Strings("activity_task"),
            ["config_binding"] = new JsonObject
            {
                ["config_schema"] = ContractSchemas.ExternalExecutorConfigFile,
                ["section"] = "carriers",
            },
            ["target_fields"] = Strings("url", "timeout_seconds", "headers"),
            ["request"] = new JsonObject
            {
                ["method"] = "POST",
                ["content_type"] = "application/json",
                ["body"] = ContractSchemas.ExternalTaskInputEnvelope,
            },
            ["response"] = new JsonObject
            {
                ["content_type"] = "application/json",
                ["body"] = ContractSchemas.ExternalTaskResultEnvelope,
            },
            ["failure_mapping"] = new JsonObject
            {
                ["timeout"] = "timeout",
                ["http_5xx"] = "handler_crash",
                ["connection_error"] = "handler_crash",
                ["invalid_response_body"] = "malformed_output",
            },
            ["auth"] = new JsonObject
            {
                ["composition"] = ContractSchemas.AuthComposition,
                ["modes"] = Strings("none", "bearer_token"),
            },
            ["rollout_safety"] = new JsonObject
            {
                ["unknown_carrier_type"] = "fail_closed",
                ["unknown_contract_version"] = "fail_closed",
            },
        },
    };

    public static ContractManifest ExternalTaskInput() => new()
    {
        Schema = ContractSchemas.ExternalTaskInput,
        Version = 1,
        Body = new JsonObject
        {
            ["unknown_field_policy"] = "ignore",
            ["versioning"] = Versioning(ContractSchemas.ExternalTaskInputEnvelope),
            ["payload_support"] = PayloadSupport(),
            ["scope"] = Strings("workflow_task", "activity_task"),
            ["envelopes"] = new JsonObject
            {
                ["workflow_task"] = Strings("schema", "version", "task", "workflow", "lease", "payloads", "history", "headers"),
                ["activity_task"] = Strings("schema", "version", "task", "workflow", "lease", "payloads", "deadlines", "headers"),
            },
            ["fixtures"] = Strings(
                "external-task-input/workflow-task.v1.json",
                "external-task-input/activity-task.v1.json"),
        },
    };

    public static ContractManifest ExternalTaskResult() => new()
    {
        Schema = ContractSchemas.ExternalTaskResult,
        Version = 1,
        Body = new JsonObject
        {
            ["unknown_field_policy"] = "ignore",
            ["versioning"] = Versioning(ContractSchemas.ExternalTaskResultEnvelope),
            ["exit_codes"] = new JsonObject
            {
                ["zero"] = "result_envelope_required",
                ["non_zero_with_envelope"] = "envelope_decides",
                ["non_zero_without_envelope"] = "handler_crash",
            },
            ["stderr_policy"] = new JsonObject
            {
                ["affects_outcome"] = false,
                ["reported_as"] = "raw_output.stderr_preview",
            },
            ["payload_support"] = PayloadSupport(),
            ["envelopes"] = new JsonObject
            {
                ["succeeded"] = Strings("schema", "version", "outcome", "task", "result", "metadata"),
                ["failed"] = Strings("schema", "version", "outcome", "task", "failure", "metadata"),
                ["failure_kinds"] = Strings(
                    "timeout", "cancellation", "handler_crash", "decode_failure", "malformed_output", "unsupported_payload"),
            },
            ["fixtures"] = Strings(
                "external-task-result/success.v1.json",
                "external-task-result/failure.v1.json",
                "external-task-result/cancellation.v1.json",
                "external-task-result/handler-crash.v1.json",
                "external-task-result/decode-failure.v1.json",
                "external-task-result/malformed-output.v1.json",
                "external-task-result/unsupported-payload-codec.v1.json",
                "external-task-result/unsupported-payload-reference.v1.json"),
        },
    };

    public static ContractManifest BridgeAdapterOutcome() => new()
    {
        Schema = ContractSchemas.BridgeAdapterOutcome,
        Version = 1,
        Body = new JsonObject
        {
            ["boundary"] = new JsonObject
            {
                ["route"] = "POST /api/bridge-adapters/webhook/{adapter}",
                ["roles"] = Strings("operator", "admin"),
                ["actions"] = Strings("start_workflow", "signal_workflow", "update_workflow"),
            },
            ["patterns"] = new JsonObject
            {
                ["start_workflow"] = Strings("workflow_type", "workflow_id", "task_queue", "business_key", "duplicate_policy"),
                ["signal_workflow"] = Strings("workflow_id", "signal_name"),
                ["update_workflow"] = Strings("workflow_id", "update_name", "wait_for", "wait_timeout_seconds"),
            },
            ["idempotency"] = new JsonObject
            {
                ["key_field"] = "idempotency_key",
                ["max_length"] = 255,
                ["repeat_outcome"] = "duplicate",
            },
            ["visibility"] = new JsonObject
            {
                ["correlation_field"] = "correlation",
                ["echoed_in_outcome"] = true,
            },
            ["outcomes"] = new JsonObject
            {
                ["accepted"] = new JsonObject { ["http_status"] = 202 },
                ["duplicate"] = new JsonObject { ["http_status"] = 200 },
                ["rejected"] = new JsonObject { ["http_status"] = 422 },
            },
            ["rejection_reasons"] = Strings(
                "unknown_target", "auth_failed", "malformed_payload", "duplicate_start",
                "unsupported_routing", "unsupported_action", "payload_too_large", "adapter_unavailable"),
            ["examples"] = new JsonArray(new JsonObject
            {
                ["action"] = "start_workflow",
                ["outcome"] = "accepted",
                ["control_plane_outcome"] = "started_new",
            }),
            ["reference_journeys"] = Strings("event_starts_workflow", "event_signals_workflow", "event_updates_workflow"),
        },
    };

    private static JsonObject Versioning(string envelopeSchema) => new()
    {
        ["envelope_schema"] = envelopeSchema,
        ["current_version"] = 1,
        ["additive_changes"] = "same_version",
        ["breaking_changes"] = "new_version",
    };

    private static JsonObject PayloadSupport() => new()
    {
        ["codecs"] = Strings("avro"),
        ["external_storage_references"] = false,
    };

    private static JsonArray Strings(params string[] values) => new([.. values.Select(v => (JsonNode?)v)]);
}
