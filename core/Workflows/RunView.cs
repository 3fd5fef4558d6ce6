using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// The run view of describe and describe-run (control-plane spec §4.3, §4.5). Field order follows the spec table;
/// <c>started_at</c>/<c>closed_at</c> are ts-micro, the engine-description fields (<c>last_progress_at</c> and the
/// deadlines) ts-offset, as upstream emits them.
/// </summary>
public sealed record RunView(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("workflow_type")] string WorkflowType,
    [property: JsonPropertyName("business_key")] string? BusinessKey,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("status_bucket")] string? StatusBucket,
    [property: JsonPropertyName("is_terminal")] bool IsTerminal,
    [property: JsonPropertyName("closed_reason")] string? ClosedReason,
    [property: JsonPropertyName("task_queue")] string TaskQueue,
    [property: JsonPropertyName("run_number")] int RunNumber,
    [property: JsonPropertyName("run_count")] int RunCount,
    [property: JsonPropertyName("is_current_run")] bool IsCurrentRun,
    [property: JsonPropertyName("compatibility")] string? Compatibility,
    [property: JsonPropertyName("payload_codec")] string PayloadCodec,
    [property: JsonPropertyName("execution_timeout_seconds")] int? ExecutionTimeoutSeconds,
    [property: JsonPropertyName("run_timeout_seconds")] int? RunTimeoutSeconds,
    [property: JsonPropertyName("execution_deadline_at")] string? ExecutionDeadlineAt,
    [property: JsonPropertyName("run_deadline_at")] string? RunDeadlineAt,
    [property: JsonPropertyName("input")] JsonNode? Input,
    [property: JsonPropertyName("output")] JsonNode? Output,
    [property: JsonPropertyName("input_envelope")] JsonObject? InputEnvelope,
    [property: JsonPropertyName("output_envelope")] JsonObject? OutputEnvelope,
    [property: JsonPropertyName("started_at")] string? StartedAt,
    [property: JsonPropertyName("closed_at")] string? ClosedAt,
    [property: JsonPropertyName("last_progress_at")] string? LastProgressAt,
    [property: JsonPropertyName("wait_kind")] string? WaitKind,
    [property: JsonPropertyName("wait_reason")] string? WaitReason,
    [property: JsonPropertyName("memo")] JsonNode Memo,
    [property: JsonPropertyName("search_attributes")] JsonNode SearchAttributes,
    [property: JsonPropertyName("actions")] RunActions Actions)
{
    /// <summary>The fingerprint the run is pinned to (rollout contract §7.1, §7.4); omitted while none is recorded.</summary>
    [JsonPropertyName("workflow_definition_fingerprint")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WorkflowDefinitionFingerprint { get; init; }

    internal static RunView From(RunViewRow row)
    {
        var terminal = RunStatuses.IsTerminal(row.Status);
        var current = row.IsCurrentRun;
        var input = row.Arguments;
        return new RunView(
            row.WorkflowId,
            row.RunId,
            row.Namespace,
            row.WorkflowType,
            row.BusinessKey,
            row.Status,
            row.StatusBucket,
            terminal,
            row.ClosedReason,
            row.TaskQueue,
            row.RunNumber,
            row.RunCount,
            current,
            row.Compatibility,
            row.PayloadCodec,
            row.ExecutionTimeoutSeconds,
            row.RunTimeoutSeconds,
            Offset(row.ExecutionDeadlineAt),
            Offset(row.RunDeadlineAt),
            // No arguments decode to an empty list; an envelope the server cannot decode (external storage, a foreign
            // codec) is null rather than a misleading empty list, and the raw envelope below still carries it.
            input is null ? new JsonArray() : PayloadInput.TryDecodeForDisplay(input),
            PayloadInput.TryDecodeForDisplay(row.Output),
            input?.ToJson(),
            row.Output?.ToJson(),
            Micro(row.StartedAt),
            Micro(row.ClosedAt),
            Offset(row.LastProgressAt),
            row.WaitKind,
            row.WaitReason,
            row.Memo,
            row.SearchAttributes,
            new RunActions(
                CanSignal: current && !terminal,
                // Queries are routed to workers, so "resolvable workflow class" is always true in service mode.
                CanQuery: !terminal,
                CanUpdate: current && !terminal,
                CanCancel: current && !terminal,
                CanTerminate: current && !terminal,
                CanRepair: current && !terminal,
                CanArchive: terminal && row.ArchivedAt is null))
        {
            WorkflowDefinitionFingerprint = row.WorkflowDefinitionFingerprint,
        };
    }

    internal static string? Micro(DateTimeOffset? value) => value is { } v ? WireTime.Micro(v) : null;

    internal static string? Offset(DateTimeOffset? value) => value is { } v ? WireTime.Offset(v) : null;
}

/// <summary>What the caller may do with the run now (control-plane spec §4.3 <c>actions</c>).</summary>
public sealed record RunActions(
    [property: JsonPropertyName("can_signal")] bool CanSignal,
    [property: JsonPropertyName("can_query")] bool CanQuery,
    [property: JsonPropertyName("can_update")] bool CanUpdate,
    [property: JsonPropertyName("can_cancel")] bool CanCancel,
    [property: JsonPropertyName("can_terminate")] bool CanTerminate,
    [property: JsonPropertyName("can_repair")] bool CanRepair,
    [property: JsonPropertyName("can_archive")] bool CanArchive);

/// <summary>One run joined with its instance, as every run-scoped read loads it.</summary>
internal sealed record RunViewRow
{
    public required string Namespace { get; init; }

    public required string WorkflowId { get; init; }

    public required string RunId { get; init; }

    public required int RunCount { get; init; }

    public string? CurrentRunId { get; init; }

    public bool IsCurrentRun => CurrentRunId == RunId;

    public required string WorkflowType { get; init; }

    public string? BusinessKey { get; init; }

    public required string Status { get; init; }

    public string? StatusBucket { get; init; }

    public string? ClosedReason { get; init; }

    public required string TaskQueue { get; init; }

    public required int RunNumber { get; init; }

    public string? Compatibility { get; init; }

    public string? WorkflowDefinitionFingerprint { get; init; }

    public required string PayloadCodec { get; init; }

    public int? ExecutionTimeoutSeconds { get; init; }

    public int? RunTimeoutSeconds { get; init; }

    public DateTimeOffset? ExecutionDeadlineAt { get; init; }

    public DateTimeOffset? RunDeadlineAt { get; init; }

    public PayloadEnvelope? Arguments { get; init; }

    public PayloadEnvelope? Output { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    public DateTimeOffset? LastProgressAt { get; init; }

    public string? WaitKind { get; init; }

    public string? WaitReason { get; init; }

    public DateTimeOffset? WaitStartedAt { get; init; }

    public required JsonNode Memo { get; init; }

    public required JsonNode SearchAttributes { get; init; }

    public DateTimeOffset? ArchivedAt { get; init; }

    public string? ArchiveCommandId { get; init; }

    public string? ArchiveReason { get; init; }

    public string? LivenessState { get; init; }

    public string? LivenessReason { get; init; }

    public bool RepairAttention { get; init; }

    public bool TaskProblem { get; init; }

    public string? NextTaskId { get; init; }

    public string? NextTaskType { get; init; }

    public string? NextTaskStatus { get; init; }

    public DateTimeOffset? NextTaskAt { get; init; }

    public long LastHistorySequence { get; init; }

    public long HistorySizeBytes { get; init; }

    public DateTimeOffset SortAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
