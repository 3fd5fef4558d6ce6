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

/// <summary>
/// Query-string rules with Laravel's messages, so a 422 reads like upstream's. Values arrive as strings, hence not
/// <see cref="RequestValidator"/>'s typed JSON readers; its error map is reused for the envelope.
/// </summary>
internal static class QueryParameters
{
    public static int? Integer(RequestValidator validator, string field, string? value, int min, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var label = field.Replace('_', ' ');
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            validator.AddError(field, $"The {label} field must be an integer.");
            return null;
        }

        if (number < min)
        {
            validator.AddError(field, string.Create(CultureInfo.InvariantCulture, $"The {label} field must be at least {min}."));
            return null;
        }

        if (number > max)
        {
            validator.AddError(field, string.Create(CultureInfo.InvariantCulture, $"The {label} field must not be greater than {max}."));
            return null;
        }

        return number;
    }

    /// <summary>
    /// Upstream accepts only <c>1</c>/<c>0</c> in a query string; <c>true</c>/<c>false</c> are accepted too because
    /// clients that serialise booleans as words would otherwise get a 422 for an obviously meant value (spec §16.10).
    /// </summary>
    public static bool? Boolean(RequestValidator validator, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        switch (value.Trim().ToUpperInvariant())
        {
            case "1":
            case "TRUE":
                return true;
            case "0":
            case "FALSE":
                return false;
            default:
                validator.AddError(field, $"The {field.Replace('_', ' ')} field must be true or false.");
                return null;
        }
    }

    /// <summary>Laravel's <c>$request->boolean()</c>: lenient, anything unrecognised is false.</summary>
    public static bool Lenient(string? value) =>
        value?.Trim().ToUpperInvariant() is "1" or "TRUE" or "ON" or "YES";
}

/// <summary>Workflow list tokens: base64 of the decimal row offset of the next page (control-plane spec §1.11).</summary>
public static class WorkflowListPageToken
{
    public static string Encode(long offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));

    /// <summary>An absent or undecodable token means the first page, as upstream treats it.</summary>
    public static long Decode(string? token) => HistoryPageToken.TryDecode(token, out var offset) ? offset : 0;
}
