using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Http;

/// <summary>One workflow operation of the control-plane response contract (control-plane spec §1.10).</summary>
public sealed record WorkflowOperation(
    string Name,
    string? OperationNameField,
    IReadOnlyList<string> RequiredFields,
    IReadOnlyList<string> SuccessFields);

/// <summary>
/// The <c>control_plane</c> block the CLI validates on every <c>/workflows</c> response, success or error. The operation
/// is derived from method and path alone so that pipeline errors (401 aside) carry the block too.
/// </summary>
public static class ControlPlaneContract
{
    public const string ResponseSchema = "durable-workflow.v2.control-plane-response";
    public const string ContractSchema = "durable-workflow.v2.control-plane-response.contract";
    public const string LegacyFieldPolicy = "reject_non_canonical";

    private static readonly string[] NamedOperationRequired = ["workflow_id", "operation_name", "operation_name_field"];

    public static IReadOnlyDictionary<string, string> LegacyFields { get; } = new Dictionary<string, string>
    {
        ["query"] = "query_name",
        ["signal"] = "signal_name",
        ["update"] = "update_name",
        ["wait_policy"] = "wait_for",
    };

    public static IReadOnlyList<string> ProjectedFields { get; } =
    [
        "run_id", "workflow_type", "namespace", "business_key", "status", "status_bucket", "is_terminal", "task_queue",
        "run_number", "run_count", "workflow_count", "is_current_run", "compatibility", "started_at", "closed_at",
        "last_progress_at", "wait_kind", "wait_reason", "next_page_token", "command_id", "command_status",
        "command_source", "target_scope", "outcome", "reason", "rejection_reason", "validation_errors", "result",
        "result_envelope", "update_id", "update_status", "wait_for", "wait_timed_out", "wait_timeout_seconds",
        "blocked_reason", "message", "diagnostic_status",
    ];

    public static IReadOnlyList<WorkflowOperation> Operations { get; } =
    [
        new("list", null, [], []),
        new("start", null, [], ["workflow_id", "outcome"]),
        new("describe", null, ["workflow_id"], []),
        new("list_runs", null, ["workflow_id"], []),
        new("describe_run", null, ["workflow_id"], ["run_id"]),
        new("debug_workflow", null, ["workflow_id"], ["run_id", "diagnostic_status"]),
        new("history", null, ["workflow_id", "run_id"], ["next_page_token"]),
        new("signal", "signal_name", NamedOperationRequired, ["outcome"]),
        new("query", "query_name", NamedOperationRequired, ["result"]),
        new("update", "update_name", NamedOperationRequired, ["outcome"]),
        new("cancel", null, ["workflow_id"], ["outcome"]),
        new("terminate", null, ["workflow_id"], ["outcome"]),
        new("repair", null, ["workflow_id"], ["outcome"]),
        new("archive", null, ["workflow_id"], ["outcome"]),
    ];

    private static readonly Dictionary<string, WorkflowOperation> ByName = Operations.ToDictionary(o => o.Name);

    /// <summary>
    /// Matches a request (with the already URL-decoded path) to a workflow operation, or null when the path is not one;
    /// history export has no block.
    /// </summary>
    public static WorkflowOperationMatch? Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "api" || segments[1] != "workflows")
        {
            return null;
        }

        var rest = segments[2..];
        var get = string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase);
        var post = string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase);

        switch (rest.Length)
        {
            case 0:
                return get ? Create("list", null, null, null) : post ? Create("start", null, null, null) : null;
            case 1:
                return get ? Create("describe", rest[0], null, null) : null;
        }

        var workflowId = rest[0];
        string? runId = null;
        var tail = rest[1..];
        if (tail[0] == "runs")
        {
            if (tail.Length == 1)
            {
                return get ? Create("list_runs", workflowId, null, null) : null;
            }

            runId = tail[1];
            tail = tail[2..];
            if (tail.Length == 0)
            {
                return get ? Create("describe_run", workflowId, runId, null) : null;
            }
        }

        return (tail, get, post) switch
        {
            (["debug"], true, _) => Create("debug_workflow", workflowId, runId, null),
            (["history"], true, _) when runId is not null => Create("history", workflowId, runId, null),
            (["signal", var name], _, true) => Create("signal", workflowId, runId, name),
            (["query", var name], _, true) => Create("query", workflowId, runId, name),
            (["update", var name], _, true) => Create("update", workflowId, runId, name),
            (["cancel"], _, true) => Create("cancel", workflowId, runId, null),
            (["terminate"], _, true) => Create("terminate", workflowId, runId, null),
            (["repair"], _, true) when runId is null => Create("repair", workflowId, null, null),
            (["archive"], _, true) when runId is null => Create("archive", workflowId, null, null),
            _ => null,
        };
    }

    /// <summary>Adds URL ids to the body when missing, then the <c>control_plane</c> block projected from the body.</summary>
    public static void Attach(JsonObject body, WorkflowOperationMatch match)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(match);
        if (match.WorkflowId is not null && !body.ContainsKey("workflow_id"))
        {
            body["workflow_id"] = match.WorkflowId;
        }

        if (match.RunId is not null && !body.ContainsKey("run_id"))
        {
            body["run_id"] = match.RunId;
        }

        var operation = match.Operation;
        var block = new JsonObject
        {
            ["schema"] = ResponseSchema,
            ["version"] = 1,
            ["operation"] = operation.Name,
            ["workflow_id"] = body["workflow_id"]?.DeepClone(),
            ["contract"] = ContractJson(operation),
        };

        if (operation.OperationNameField is { } nameField && !string.IsNullOrEmpty(match.OperationName))
        {
            block["operation_name"] = match.OperationName;
            block["operation_name_field"] = nameField;
        }

        foreach (var field in ProjectedFields)
        {
            if (body.TryGetPropertyValue(field, out var value))
            {
                block[field] = value?.DeepClone();
            }
        }

        body["control_plane"] = block;
    }

    public static JsonObject ContractJson(WorkflowOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var legacy = new JsonObject();
        foreach (var (key, value) in LegacyFields)
        {
            legacy[key] = value;
        }

        return new JsonObject
        {
            ["schema"] = ContractSchema,
            ["version"] = 1,
            ["legacy_field_policy"] = LegacyFieldPolicy,
            ["legacy_fields"] = legacy,
            ["required_fields"] = new JsonArray([.. operation.RequiredFields.Select(f => (JsonNode?)f)]),
            ["success_fields"] = new JsonArray([.. operation.SuccessFields.Select(f => (JsonNode?)f)]),
        };
    }

    private static WorkflowOperationMatch Create(string operation, string? workflowId, string? runId, string? operationName) =>
        new(ByName[operation], workflowId, runId, operationName);
}

public sealed record WorkflowOperationMatch(WorkflowOperation Operation, string? WorkflowId, string? RunId, string? OperationName);
