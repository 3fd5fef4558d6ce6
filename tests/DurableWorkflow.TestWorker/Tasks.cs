using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>A leased workflow task (worker-protocol §3.1.5). <see cref="Json"/> is the task object as received.</summary>
public sealed class WorkflowTask(JsonObject json)
{
    public JsonObject Json { get; } = json ?? throw new ArgumentNullException(nameof(json));

    public string TaskId => Text("task_id")!;

    public string WorkflowId => Text("workflow_id")!;

    public string RunId => Text("run_id")!;

    public int Attempt => (int)Json["workflow_task_attempt"]!;

    public string WorkflowType => Text("workflow_type")!;

    public string? PayloadCodec => Text("payload_codec");

    public string? LeaseOwner => Text("lease_owner");

    public string? WaitKind => Text("workflow_wait_kind");

    public string? NextHistoryPageToken => Text("next_history_page_token");

    public IReadOnlyList<JsonObject> HistoryEvents => Events(Json["history_events"]);

    public string? Text(string key) => Json[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    internal static IReadOnlyList<JsonObject> Events(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(e => e!.AsObject())] : [];
}

/// <summary>A leased activity task (worker-protocol §4.1).</summary>
public sealed class ActivityTask(JsonObject json)
{
    public JsonObject Json { get; } = json ?? throw new ArgumentNullException(nameof(json));

    public string TaskId => Text("task_id")!;

    public string WorkflowId => Text("workflow_id")!;

    public string RunId => Text("run_id")!;

    public string ActivityType => Text("activity_type")!;

    public string AttemptId => Text("activity_attempt_id")!;

    public int AttemptNumber => (int)Json["attempt_number"]!;

    public string? PayloadCodec => Text("payload_codec");

    /// <summary>The decoded positional arguments (empty when the task carries none).</summary>
    public JsonArray Arguments => Payloads.DecodeArguments(Json["arguments"]);

    public string? Text(string key) => Json[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>A leased query task (worker-protocol §5.2).</summary>
public sealed class QueryTask(JsonObject json)
{
    public JsonObject Json { get; } = json ?? throw new ArgumentNullException(nameof(json));

    public string QueryTaskId => Text("query_task_id")!;

    public int Attempt => (int)Json["query_task_attempt"]!;

    public string WorkflowId => Text("workflow_id")!;

    public string RunId => Text("run_id")!;

    public string QueryName => Text("query_name")!;

    public string? PayloadCodec => Text("payload_codec");

    public IReadOnlyList<JsonObject> HistoryEvents => WorkflowTask.Events(Json["history_events"]);

    public JsonArray QueryArguments => Payloads.DecodeArguments(Json["query_arguments"]);

    public string? Text(string key) => Json[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
