using System.Text.Json.Serialization;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>worker_protocol</c> in cluster info (§2.3.8) plus the negotiation descriptor of rollout contract §2.3, so a
/// rollout tool can check that the accepted-version sets of old and new nodes overlap.
/// </summary>
public sealed record WorkerProtocolDescriptor
{
    /// <summary>The advertised <c>MAJOR.MINOR</c>; the Python SDK refuses to start unless it is 1.x with x ≥ 1.</summary>
    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("request_header_rule")]
    public string RequestHeaderRule { get; init; } = "same_major_and_minor_less_than_or_equal_to_advertised";

    [JsonPropertyName("accepted_request_versions_by_default")]
    public required IReadOnlyList<string> AcceptedRequestVersionsByDefault { get; init; }

    [JsonPropertyName("fail_closed_on")]
    public IReadOnlyList<string> FailClosedOn { get; init; } =
        ["missing_header", "malformed_version", "different_major", "minor_greater_than_advertised"];

    [JsonPropertyName("server_capabilities")]
    public required ServerCapabilities ServerCapabilities { get; init; }

    [JsonPropertyName("external_execution_surface_contract")]
    public required ContractManifest ExternalExecutionSurfaceContract { get; init; }

    [JsonPropertyName("external_executor_config_contract")]
    public required ContractManifest ExternalExecutorConfigContract { get; init; }

    [JsonPropertyName("invocable_carrier_contract")]
    public required ContractManifest InvocableCarrierContract { get; init; }

    [JsonPropertyName("external_task_input_contract")]
    public required ContractManifest ExternalTaskInputContract { get; init; }

    [JsonPropertyName("external_task_result_contract")]
    public required ContractManifest ExternalTaskResultContract { get; init; }

    public static WorkerProtocolDescriptor From(ServerSettings settings, ServerCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new WorkerProtocolDescriptor
        {
            Version = settings.WorkerProtocolVersion,
            AcceptedRequestVersionsByDefault = AcceptedVersions(settings.WorkerProtocolVersion),
            ServerCapabilities = capabilities,
            ExternalExecutionSurfaceContract = ContractManifests.ExternalExecutionSurface(),
            ExternalExecutorConfigContract = ContractManifests.ExternalExecutorConfig(),
            InvocableCarrierContract = ContractManifests.InvocableCarrier(),
            ExternalTaskInputContract = ContractManifests.ExternalTaskInput(),
            ExternalTaskResultContract = ContractManifests.ExternalTaskResult(),
        };
    }

    /// <summary>Every <c>MAJOR.m</c> for m in 0..MINOR; an unparseable version accepts only itself (exact match).</summary>
    private static string[] AcceptedVersions(string advertised)
    {
        if (!ProtocolVersion.TryParse(advertised, out var version))
        {
            return [advertised];
        }

        return [.. Enumerable.Range(0, version.Minor + 1).Select(minor => new ProtocolVersion(version.Major, minor).ToString())];
    }
}

/// <summary>
/// <c>server_capabilities</c> (worker protocol §1.8): nested in cluster info and added to every worker-plane response.
/// </summary>
public sealed record ServerCapabilities
{
    [JsonPropertyName("long_poll_timeout")]
    public required int LongPollTimeout { get; init; }

    /// <summary>Terminal commands first. <c>open_condition_wait</c> is listed because the engine accepts it.</summary>
    [JsonPropertyName("supported_workflow_task_commands")]
    public IReadOnlyList<string> SupportedWorkflowTaskCommands { get; init; } =
    [
        "complete_workflow", "fail_workflow", "continue_as_new",
        "schedule_activity", "start_timer", "start_child_workflow", "complete_update", "fail_update",
        "record_side_effect", "record_version_marker", "upsert_search_attributes", "open_condition_wait",
    ];

    [JsonPropertyName("workflow_task_poll_request_idempotency")]
    public bool WorkflowTaskPollRequestIdempotency { get; init; } = true;

    [JsonPropertyName("history_page_size_default")]
    public int HistoryPageSizeDefault { get; init; } = 500;

    [JsonPropertyName("history_page_size_max")]
    public int HistoryPageSizeMax { get; init; } = 1000;

    /// <summary>The Python SDK will not send queries or poll query tasks unless this is true.</summary>
    [JsonPropertyName("query_tasks")]
    public bool QueryTasks { get; init; } = true;

    [JsonPropertyName("activity_retry_policy")]
    public bool ActivityRetryPolicy { get; init; } = true;

    [JsonPropertyName("activity_timeouts")]
    public bool ActivityTimeouts { get; init; } = true;

    [JsonPropertyName("child_workflow_retry_policy")]
    public bool ChildWorkflowRetryPolicy { get; init; } = true;

    [JsonPropertyName("child_workflow_timeouts")]
    public bool ChildWorkflowTimeouts { get; init; } = true;

    [JsonPropertyName("parent_close_policy")]
    public bool ParentClosePolicy { get; init; } = true;

    [JsonPropertyName("non_retryable_failures")]
    public bool NonRetryableFailures { get; init; } = true;

    [JsonPropertyName("response_compression")]
    public required IReadOnlyList<string> ResponseCompression { get; init; }

    [JsonPropertyName("history_compression")]
    public HistoryCompression HistoryCompression { get; init; } = new();

    [JsonPropertyName("external_execution_surface")]
    public NamedContractReference ExternalExecutionSurface { get; init; } =
        new(ContractSchemas.ExternalExecutionSurface, 1, "activity_grade_external_execution");

    [JsonPropertyName("external_executor_config")]
    public ExecutorConfigReference ExternalExecutorConfig { get; init; } = new();

    [JsonPropertyName("invocable_carrier")]
    public CarrierReference InvocableCarrier { get; init; } =
        new(ContractSchemas.InvocableCarrier, 1, ContractManifests.InvocableHttpCarrier);

    [JsonPropertyName("external_task_input")]
    public ManifestReference ExternalTaskInput { get; init; } = new(ContractSchemas.ExternalTaskInput, 1);

    [JsonPropertyName("external_task_result")]
    public ManifestReference ExternalTaskResult { get; init; } = new(ContractSchemas.ExternalTaskResult, 1);

    public static ServerCapabilities From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ServerCapabilities
        {
            LongPollTimeout = settings.WorkerPollTimeoutSeconds,
            ResponseCompression = ResponseEncodings.Advertised(settings),
        };
    }
}

public sealed record HistoryCompression
{
    [JsonPropertyName("supported_encodings")]
    public IReadOnlyList<string> SupportedEncodings { get; init; } = ["gzip", "deflate"];

    /// <summary>History pages with at least this many events may be compressed.</summary>
    [JsonPropertyName("compression_threshold")]
    public int CompressionThreshold { get; init; } = 50;
}

public sealed record NamedContractReference(
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("name")] string Name);

public sealed record CarrierReference(
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("carrier_type")] string CarrierType);

public sealed record ExecutorConfigReference
{
    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ContractSchemas.ExternalExecutorConfig;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("config_schema")]
    public string ConfigSchema { get; init; } = ContractSchemas.ExternalExecutorConfigFile;

    [JsonPropertyName("config_schema_version")]
    public int ConfigSchemaVersion { get; init; } = 1;
}

/// <summary>Response codings the compression middleware may pick (control-plane spec §1.12).</summary>
public static class ResponseEncodings
{
    public static IReadOnlyList<string> Advertised(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.CompressionEnabled ? ["gzip", "deflate"] : [];
    }
}
