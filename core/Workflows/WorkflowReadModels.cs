using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workflows;

/// <summary>Query-string values of <c>GET /api/workflows</c> as sent; empty strings count as absent.</summary>
public sealed record WorkflowListRequest(string? WorkflowType, string? Status, string? Query, string? PageSize, string? NextPageToken);

/// <summary>Query-string values of <c>GET …/runs/{runId}/history</c> as sent; empty strings count as absent.</summary>
public sealed record WorkflowHistoryRequest(string? PageSize, string? NextPageToken, string? WaitNewEvent);

/// <summary>One row of the workflow list: one run of the namespace (control-plane spec §4.1).</summary>
public sealed record WorkflowListItem(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("workflow_type")] string WorkflowType,
    [property: JsonPropertyName("business_key")] string? BusinessKey,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("status_bucket")] string? StatusBucket,
    [property: JsonPropertyName("task_queue")] string TaskQueue,
    [property: JsonPropertyName("is_terminal")] bool IsTerminal,
    [property: JsonPropertyName("started_at")] string? StartedAt,
    [property: JsonPropertyName("closed_at")] string? ClosedAt,
    [property: JsonPropertyName("search_attributes")] JsonNode SearchAttributes);

public sealed record WorkflowListResponse(
    [property: JsonPropertyName("workflows")] IReadOnlyList<WorkflowListItem> Workflows,
    [property: JsonPropertyName("workflow_count")] int WorkflowCount,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken);

/// <summary>
/// One run of an instance (control-plane spec §4.4). <c>workflow_id</c>, <c>status_bucket</c> and
/// <c>is_current_run</c> are not emitted by server@HEAD but are in the clients' fixture; spec §15 recommends them.
/// </summary>
public sealed record WorkflowRunItem(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("run_number")] int RunNumber,
    [property: JsonPropertyName("workflow_type")] string WorkflowType,
    [property: JsonPropertyName("business_key")] string? BusinessKey,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("status_bucket")] string? StatusBucket,
    [property: JsonPropertyName("task_queue")] string TaskQueue,
    [property: JsonPropertyName("started_at")] string? StartedAt,
    [property: JsonPropertyName("closed_at")] string? ClosedAt,
    [property: JsonPropertyName("is_current_run")] bool IsCurrentRun);

public sealed record WorkflowRunsResponse(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_count")] int RunCount,
    [property: JsonPropertyName("runs")] IReadOnlyList<WorkflowRunItem> Runs);

/// <summary>A history event as the control plane serves it (worker-protocol spec §6.1, last paragraph).</summary>
public sealed record ControlPlaneHistoryEvent(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("payload")] JsonElement Payload)
{
    public static ControlPlaneHistoryEvent From(HistoryEventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.Sequence, record.EventType, WireTime.Micro(record.RecordedAt), record.Payload);
    }
}

public sealed record WorkflowHistoryResponse(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("events")] IReadOnlyList<ControlPlaneHistoryEvent> Events,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken);
