using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Discovery;

/// <summary>The <c>GET /api/cluster/info</c> document (control-plane spec §2.3).</summary>
public sealed record ClusterInfo
{
    [JsonPropertyName("server_id")]
    public required string ServerId { get; init; }

    /// <summary>Informational only: clients decide compatibility from the protocol manifests, never from this.</summary>
    [JsonPropertyName("version")]
    public required string Version { get; init; }

    /// <summary>The build identity a rolling upgrade gates its cutover on.</summary>
    [JsonPropertyName("server_build_id")]
    public required string ServerBuildId { get; init; }

    [JsonPropertyName("default_namespace")]
    public required string DefaultNamespace { get; init; }

    [JsonPropertyName("supported_sdk_versions")]
    public required SupportedSdkVersions SupportedSdkVersions { get; init; }

    [JsonPropertyName("capabilities")]
    public required ServerFeatureCapabilities Capabilities { get; init; }

    [JsonPropertyName("worker_fleet")]
    public required WorkerFleetSummary WorkerFleet { get; init; }

    [JsonPropertyName("task_repair")]
    public required TaskRepairSnapshot TaskRepair { get; init; }

    [JsonPropertyName("limits")]
    public required RequestLimits Limits { get; init; }

    [JsonPropertyName("structural_limits")]
    public required StructuralLimits StructuralLimits { get; init; }

    [JsonPropertyName("client_compatibility")]
    public required ClientCompatibility ClientCompatibility { get; init; }

    [JsonPropertyName("auth_composition_contract")]
    public required ContractManifest AuthCompositionContract { get; init; }

    [JsonPropertyName("control_plane")]
    public required ControlPlaneDescriptor ControlPlane { get; init; }

    [JsonPropertyName("worker_protocol")]
    public required WorkerProtocolDescriptor WorkerProtocol { get; init; }

    [JsonPropertyName("bridge_adapter_outcome_contract")]
    public required ContractManifest BridgeAdapterOutcomeContract { get; init; }

    [JsonPropertyName("topology")]
    public required TopologySnapshot Topology { get; init; }

    [JsonPropertyName("coordination_health")]
    public required CoordinationHealth CoordinationHealth { get; init; }
}

/// <summary>
/// Client build ranges. The upper bounds sit above the 2.x releases because the CLI refuses to run (exit 8)
/// when its own build falls outside the advertised <c>cli</c> range.
/// </summary>
public sealed record SupportedSdkVersions
{
    [JsonPropertyName("php")]
    public string Php { get; init; } = ClientVersionRanges.Php;

    [JsonPropertyName("python")]
    public string Python { get; init; } = ClientVersionRanges.Python;

    [JsonPropertyName("cli")]
    public string Cli { get; init; } = ClientVersionRanges.Cli;
}

/// <summary>One source for the ranges published both in <c>supported_sdk_versions</c> and in <c>client_compatibility.clients</c>.</summary>
internal static class ClientVersionRanges
{
    public const string Php = ">=1.0";
    public const string Python = ">=0.2,<3.0";
    public const string Cli = ">=0.1,<3.0";
}

/// <summary>The feature flags of <c>capabilities</c> (§2.3.2); <c>payload_codecs_engine_specific</c> is omitted because no PHP codec exists here.</summary>
public sealed record ServerFeatureCapabilities
{
    [JsonPropertyName("workflow_tasks")]
    public bool WorkflowTasks { get; init; } = true;

    [JsonPropertyName("activity_tasks")]
    public bool ActivityTasks { get; init; } = true;

    [JsonPropertyName("signals")]
    public bool Signals { get; init; } = true;

    [JsonPropertyName("queries")]
    public bool Queries { get; init; } = true;

    [JsonPropertyName("updates")]
    public bool Updates { get; init; } = true;

    [JsonPropertyName("schedules")]
    public bool Schedules { get; init; } = true;

    [JsonPropertyName("schedule_jitter")]
    public bool ScheduleJitter { get; init; } = true;

    [JsonPropertyName("schedule_max_runs")]
    public bool ScheduleMaxRuns { get; init; } = true;

    [JsonPropertyName("search_attributes")]
    public bool SearchAttributes { get; init; } = true;

    [JsonPropertyName("history_export")]
    public bool HistoryExport { get; init; } = true;

    [JsonPropertyName("continue_as_new")]
    public bool ContinueAsNew { get; init; } = true;

    [JsonPropertyName("child_workflows")]
    public bool ChildWorkflows { get; init; } = true;

    [JsonPropertyName("activity_timeouts")]
    public bool ActivityTimeouts { get; init; } = true;

    [JsonPropertyName("activity_retry_policy")]
    public bool ActivityRetryPolicy { get; init; } = true;

    [JsonPropertyName("child_workflow_retry_policy")]
    public bool ChildWorkflowRetryPolicy { get; init; } = true;

    [JsonPropertyName("child_workflow_timeouts")]
    public bool ChildWorkflowTimeouts { get; init; } = true;

    [JsonPropertyName("parent_close_policy")]
    public bool ParentClosePolicy { get; init; } = true;

    [JsonPropertyName("non_retryable_failures")]
    public bool NonRetryableFailures { get; init; } = true;

    [JsonPropertyName("history_retention")]
    public bool HistoryRetention { get; init; } = true;

    [JsonPropertyName("payload_codec_envelope")]
    public bool PayloadCodecEnvelope { get; init; } = true;

    [JsonPropertyName("payload_codec_envelope_responses")]
    public bool PayloadCodecEnvelopeResponses { get; init; } = true;

    [JsonPropertyName("bridge_adapter_outcome_contract")]
    public bool BridgeAdapterOutcomeContract { get; init; } = true;

    [JsonPropertyName("external_executor_config_contract")]
    public bool ExternalExecutorConfigContract { get; init; } = true;

    [JsonPropertyName("invocable_carrier_contract")]
    public bool InvocableCarrierContract { get; init; } = true;

    [JsonPropertyName("payload_codecs")]
    public IReadOnlyList<string> PayloadCodecs { get; init; } = ["avro"];

    [JsonPropertyName("response_compression")]
    public required IReadOnlyList<string> ResponseCompression { get; init; }
}

/// <summary>Request-level limits (§2.3.3).</summary>
public sealed record RequestLimits
{
    [JsonPropertyName("max_payload_bytes")]
    public required int MaxPayloadBytes { get; init; }

    [JsonPropertyName("max_memo_bytes")]
    public int MaxMemoBytes { get; init; } = 262_144;

    [JsonPropertyName("max_search_attributes")]
    public int MaxSearchAttributes { get; init; } = 100;

    [JsonPropertyName("max_search_attribute_key_length")]
    public int MaxSearchAttributeKeyLength { get; init; } = 128;

    [JsonPropertyName("max_search_attribute_value_bytes")]
    public int MaxSearchAttributeValueBytes { get; init; } = 2048;

    [JsonPropertyName("max_operation_name_length")]
    public int MaxOperationNameLength { get; init; } = 256;

    [JsonPropertyName("max_pending_activities")]
    public int MaxPendingActivities { get; init; } = 2000;

    [JsonPropertyName("max_pending_children")]
    public int MaxPendingChildren { get; init; } = 2000;
}

/// <summary>Per-run structural limits (control-plane spec §10.2); also part of the operator metrics.</summary>
public sealed record StructuralLimits
{
    public static StructuralLimits Defaults { get; } = new();

    [JsonPropertyName("pending_activity_count")]
    public int PendingActivityCount { get; init; } = 2000;

    [JsonPropertyName("pending_child_count")]
    public int PendingChildCount { get; init; } = 1000;

    [JsonPropertyName("pending_timer_count")]
    public int PendingTimerCount { get; init; } = 2000;

    [JsonPropertyName("pending_signal_count")]
    public int PendingSignalCount { get; init; } = 5000;

    [JsonPropertyName("pending_update_count")]
    public int PendingUpdateCount { get; init; } = 500;

    [JsonPropertyName("command_batch_size")]
    public int CommandBatchSize { get; init; } = 1000;

    [JsonPropertyName("payload_size_bytes")]
    public int PayloadSizeBytes { get; init; } = 2_097_152;

    [JsonPropertyName("memo_size_bytes")]
    public int MemoSizeBytes { get; init; } = 262_144;

    [JsonPropertyName("search_attribute_size_bytes")]
    public int SearchAttributeSizeBytes { get; init; } = 40_960;

    [JsonPropertyName("history_transaction_size")]
    public int HistoryTransactionSize { get; init; } = 5000;

    [JsonPropertyName("warning_threshold_percent")]
    public int WarningThresholdPercent { get; init; } = 80;
}
