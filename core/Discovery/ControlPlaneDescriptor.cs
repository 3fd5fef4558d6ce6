using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>control_plane</c> in cluster info (§2.3.7). There is exactly one control-plane version, so no range keys exist;
/// the CLI refuses to run unless <c>version</c> is "2" and <c>request_contract</c> carries the schema and version below.
/// </summary>
public sealed record ControlPlaneDescriptor
{
    public static ControlPlaneDescriptor Current { get; } = new();

    [JsonPropertyName("version")]
    public string Version { get; init; } = ApiErrors.ControlPlaneVersion;

    [JsonPropertyName("header")]
    public string Header { get; init; } = HeaderNames.ControlPlaneVersion;

    [JsonPropertyName("response_contract")]
    public ControlPlaneResponseContract ResponseContract { get; init; } = new();

    [JsonPropertyName("request_contract")]
    public ControlPlaneRequestContract RequestContract { get; init; } = new();
}

/// <summary>How workflow responses carry the <c>control_plane</c> block (§1.10).</summary>
public sealed record ControlPlaneResponseContract
{
    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ControlPlaneContract.ResponseSchema;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("contract")]
    public ResponseContractRules Contract { get; init; } = new();

    [JsonPropertyName("projected_fields")]
    public IReadOnlyList<string> ProjectedFields { get; init; } = ControlPlaneContract.ProjectedFields;

    /// <summary>Built from the table the response pipeline uses, so discovery and the per-response block cannot drift.</summary>
    [JsonPropertyName("operations")]
    public IReadOnlyDictionary<string, ControlPlaneOperation> Operations { get; init; } =
        ControlPlaneContract.Operations
            .ToDictionary(o => o.Name, o => new ControlPlaneOperation(o.OperationNameField, o.RequiredFields, o.SuccessFields))
            .AsReadOnly();
}

public sealed record ResponseContractRules
{
    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ControlPlaneContract.ContractSchema;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("legacy_field_policy")]
    public string LegacyFieldPolicy { get; init; } = ControlPlaneContract.LegacyFieldPolicy;

    [JsonPropertyName("legacy_fields")]
    public IReadOnlyDictionary<string, string> LegacyFields { get; init; } = ControlPlaneContract.LegacyFields;
}

/// <summary>One row of the §1.10 operation table.</summary>
public sealed record ControlPlaneOperation(
    [property: JsonPropertyName("operation_name_field")] string? OperationNameField,
    [property: JsonPropertyName("required_fields")] IReadOnlyList<string> RequiredFields,
    [property: JsonPropertyName("success_fields")] IReadOnlyList<string> SuccessFields);

/// <summary>Request-side field rules the CLI and SDK validate locally before sending.</summary>
public sealed record ControlPlaneRequestContract
{
    public const string SchemaName = "durable-workflow.v2.control-plane-request.contract";

    [JsonPropertyName("schema")]
    public string Schema { get; init; } = SchemaName;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("operations")]
    public RequestContractOperations Operations { get; init; } = new();
}

public sealed record RequestContractOperations
{
    [JsonPropertyName("list")]
    public RequestOperationRules List { get; init; } = new()
    {
        Fields = new Dictionary<string, RequestFieldRule>
        {
            ["status"] = new()
            {
                CanonicalValues = ["running", "completed", "failed"],
                RejectedAliases = new Dictionary<string, string>
                {
                    ["cancelled"] = "failed",
                    ["terminated"] = "failed",
                    ["pending"] = "running",
                    ["waiting"] = "running",
                },
            },
        },
    };

    [JsonPropertyName("start")]
    public RequestOperationRules Start { get; init; } = new()
    {
        Fields = new Dictionary<string, RequestFieldRule>
        {
            ["duplicate_policy"] = new()
            {
                CanonicalValues = ["fail", "use-existing"],
                RejectedAliases = new Dictionary<string, string> { ["use_existing"] = "use-existing" },
            },
            ["execution_timeout_seconds"] = new() { Type = "integer", Min = 1 },
            ["run_timeout_seconds"] = new() { Type = "integer", Min = 1 },
            ["payload_codec"] = new()
            {
                Type = "string",
                CanonicalValues = ["avro"],
                Description = "Payload codec of the workflow input; taken from the input envelope when omitted.",
            },
        },
        UnsupportedFields =
        [
            "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout",
            "retry_policy", "idempotency_key", "request_id",
        ],
    };

    [JsonPropertyName("update")]
    public RequestOperationRules Update { get; init; } = new()
    {
        Fields = new Dictionary<string, RequestFieldRule>
        {
            ["wait_for"] = new() { CanonicalValues = ["accepted", "completed"] },
        },
        RemovedFields = new Dictionary<string, string> { ["wait_policy"] = "Use wait_for." },
    };
}

public sealed record RequestOperationRules
{
    [JsonPropertyName("fields")]
    public required IReadOnlyDictionary<string, RequestFieldRule> Fields { get; init; }

    [JsonPropertyName("unsupported_fields")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? UnsupportedFields { get; init; }

    /// <summary>Removed field → what to send instead.</summary>
    [JsonPropertyName("removed_fields")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? RemovedFields { get; init; }
}

/// <summary>Validation rule for one request field; unset parts are omitted from the wire.</summary>
public sealed record RequestFieldRule
{
    [JsonPropertyName("type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; init; }

    [JsonPropertyName("min")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Min { get; init; }

    [JsonPropertyName("canonical_values")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? CanonicalValues { get; init; }

    /// <summary>Alias → canonical value the client should have sent.</summary>
    [JsonPropertyName("rejected_aliases")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? RejectedAliases { get; init; }

    [JsonPropertyName("description")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; init; }
}
