using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.SearchAttributes;
using DurableWorkflow.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Workflows;

/// <summary>The start command (control-plane spec §4.2): validation, duplicate policy and the start transaction.</summary>
public sealed partial class WorkflowStartService(NpgsqlDataSource dataSource, WakeBus wakeBus, StartRouter router, ILogger<WorkflowStartService> logger)
{
    public const string DefaultTaskQueue = "default";
    public const int MaxMemoBytes = 262_144;
    public const int MaxSearchAttributeKeyLength = 128;
    public const int MaxSearchAttributeValueBytes = 2048;

    private static readonly string[] DuplicatePolicies = ["fail", "use-existing"];

    private static readonly (string Field, string Message)[] UnsupportedFields =
    [
        ("workflow_execution_timeout", "Use execution_timeout_seconds instead of workflow_execution_timeout."),
        ("workflow_run_timeout", "Use run_timeout_seconds instead of workflow_run_timeout."),
        ("workflow_task_timeout", "The workflow_task_timeout field is not supported by the v2 workflow start API."),
        ("retry_policy", "The retry_policy field is not supported by the v2 workflow start API."),
        ("idempotency_key", "The idempotency_key field is not supported by the v2 workflow start API."),
        ("request_id", "The request_id field is not supported by the v2 workflow start API."),
    ];

    public async Task<ApiResult<WorkflowStartResponse>> StartAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var request = Validate(body, out var input);
        if (request.Error is { } error)
        {
            return error;
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var result = await InsertAsync(tx, ns, request.Value!, input, gate: true, cancellationToken);
        if (result.Status == 201)
        {
            await tx.CommitAsync(cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Starts a run inside the caller's transaction, which commits it (the scheduler's fire: the run and the schedule's
    /// fire record commit together or not at all). The body is the same as the start route's; the workflow id is
    /// always generated, so the start never meets a duplicate. The compatibility gate is the scheduler's own
    /// (<c>IScheduleStartGate</c>), so a refusal is a skip, not a failed start.
    /// </summary>
    public async Task<ApiResult<WorkflowStartResponse>> StartWithinAsync(EngineTransaction tx, string ns, JsonElement body, CancellationToken cancellationToken)
    {
        var request = Validate(body, out var input);
        if (request.Error is { } error)
        {
            return error;
        }

        return await InsertAsync(tx, ns, request.Value! with { WorkflowId = Ulid.NewId() }, input, gate: false, cancellationToken);
    }

    /// <summary>Writes the start; only a new run (201) leaves the transaction for the caller to commit.</summary>
    private async Task<ApiResult<WorkflowStartResponse>> InsertAsync(
        EngineTransaction tx, string ns, StartRequest start, JsonObject? input, bool gate, CancellationToken cancellationToken)
    {
        if (await SearchAttributeMismatchAsync(tx, ns, start.SearchAttributes, cancellationToken) is { } mismatch)
        {
            // The gate's refusal outranks the attribute check, so a mismatching start still asks the router alone.
            var refused = await router.ResolveAsync(tx, ns, start.TaskQueue, start.WorkflowType, start.BuildId, start.Fingerprint, gate, start.WorkflowId,
                cancellationToken);
            return refused.Refusal is { } blocked && refused.InstanceExists is false
                ? await RejectBlockedAsync(tx, ns, start, refused, blocked, cancellationToken)
                : mismatch;
        }

        var commandId = Ulid.NewId();
        var runId = Ulid.NewId();
        var response = new WorkflowStartResponse(start.WorkflowId, runId, start.WorkflowType, ns, "pending", start.BusinessKey,
            PayloadEnvelope.DefaultCodec, "started_new");

        // The accepted command is written by the statement that claims the id, so a duplicate records only its rejection;
        // the routing rides in that statement too, and a refused start claims nothing.
        var (created, route) = await RunWriter.StartAsync(tx, new NewInstance(start.WorkflowId, ns, start.WorkflowType, start.BusinessKey, runId,
            start.ExecutionTimeoutSeconds, 1, RecordExecutionDeadline: true,
            OnClaim: CommandStore.AcceptedStart(commandId, ns, runId, JsonSerializer.Serialize(response))), new NewRun
        {
            Namespace = ns,
            InstanceId = start.WorkflowId,
            RunId = runId,
            WorkflowType = start.WorkflowType,
            BusinessKey = start.BusinessKey,
            TaskQueue = start.TaskQueue,
            Priority = start.Priority,
            PayloadCodec = input?["codec"]?.GetValue<string>() ?? PayloadEnvelope.DefaultCodec,
            Arguments = input,
            Memo = start.Memo,
            SearchAttributes = start.SearchAttributes,
            ExecutionTimeoutSeconds = start.ExecutionTimeoutSeconds,
            RunTimeoutSeconds = start.RunTimeoutSeconds,
            CommandId = commandId,
        }, router.Claim(ns, start.TaskQueue, start.WorkflowType, start.BuildId, start.Fingerprint, gate, start.WorkflowId), cancellationToken);
        if (created is null && route!.Refusal is { } refusal && !route.InstanceExists)
        {
            return await RejectBlockedAsync(tx, ns, start, route, refusal, cancellationToken);
        }

        if (created is null)
        {
            return await ResolveDuplicateAsync(tx, ns, start, cancellationToken);
        }

        return ApiResult<WorkflowStartResponse>.Ok(response, 201);
    }

    /// <summary>A 422 on <c>search_attributes</c> naming each attribute whose value does not have its defined type.</summary>
    private static async Task<ApiError?> SearchAttributeMismatchAsync(EngineTransaction tx, string ns, JsonObject attributes, CancellationToken cancellationToken)
    {
        if (attributes.Count == 0)
        {
            return null;
        }

        var types = await SearchAttributeStore.TypesAsync(tx, ns, [.. attributes.Select(a => a.Key)], cancellationToken);
        var problems = SearchAttributeService.Mismatches(attributes, types);
        if (problems.Count == 0)
        {
            return null;
        }

        var errors = new RequestValidator(null);
        foreach (var problem in problems)
        {
            errors.AddError("search_attributes", problem);
        }

        return errors.ToError();
    }

    /// <summary>
    /// The fail-mode start gate's refusal (rollout contract §5.5): no instance and no run, only the rejected start
    /// command, committed so the refusal stays visible; the caller gets 409 <c>compatibility_blocked</c>.
    /// </summary>
    private async Task<ApiResult<WorkflowStartResponse>> RejectBlockedAsync(
        EngineTransaction tx, string ns, StartRequest start, StartRoute route, string refusal, CancellationToken cancellationToken)
    {
        logger.StartRefused(start.WorkflowId, ns, start.TaskQueue, refusal);
        var error = new ApiError(409, "compatibility_blocked", $"Workflow execution unavailable: {refusal}")
            .With("workflow_id", start.WorkflowId)
            .With("workflow_type", start.WorkflowType)
            .With("namespace", ns)
            .With("outcome", "rejected_compatibility_blocked")
            .With("blocked_reason", "compatibility_blocked")
            .With("compatibility", route.Marker)
            .With("task_queue", start.TaskQueue);
        await CommandStore.InsertStartAsync(tx, Ulid.NewId(), ns, start.WorkflowId, null, null, "rejected", "rejected_compatibility_blocked",
            "compatibility_blocked", error.ToJson().ToJsonString(), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return error;
    }

    private static async Task<ApiResult<WorkflowStartResponse>> ResolveDuplicateAsync(
        EngineTransaction tx, string ns, StartRequest start, CancellationToken cancellationToken)
    {
        string existingNamespace;
        string? currentRunId;
        await using (var read = tx.Command(
            "SELECT namespace, current_run_id FROM workflow_instances WHERE id = $1 FOR NO KEY UPDATE", start.WorkflowId))
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            existingNamespace = reader.GetString(0);
            currentRunId = reader.StringOrNull(1);
        }

        if (existingNamespace != ns)
        {
            return new ApiError(409, "workflow_id_reserved_in_namespace", $"Workflow [{start.WorkflowId}] is already reserved in another namespace.")
                .With("workflow_id", start.WorkflowId);
        }

        var run = await ReadRunSummaryAsync(tx, currentRunId!, cancellationToken);
        var open = run.Status is "pending" or "running" or "waiting";
        if (start.DuplicatePolicy == "use-existing" && open)
        {
            await tx.CommitAsync(cancellationToken);
            return ApiResult<WorkflowStartResponse>.Ok(
                new WorkflowStartResponse(start.WorkflowId, run.RunId, run.WorkflowType, ns, run.Status, run.BusinessKey, run.PayloadCodec, "returned_existing_active"),
                200);
        }

        var response = new WorkflowStartResponse(start.WorkflowId, run.RunId, run.WorkflowType, ns, run.Status, run.BusinessKey, run.PayloadCodec, "rejected_duplicate")
        {
            Reason = "duplicate_not_allowed",
            Message = $"Workflow [{start.WorkflowId}] has already been started.",
        };
        await RecordCommandAsync(tx, ns, start.WorkflowId, run.RunId, Ulid.NewId(), null, "rejected", "rejected_duplicate", "instance_already_started", response, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<WorkflowStartResponse>.Ok(response, 409);
    }

    private static async Task<RunSummary> ReadRunSummaryAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            "SELECT id, workflow_type, status, business_key, payload_codec FROM workflow_runs WHERE id = $1", runId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new RunSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2),
            reader.StringOrNull(3), reader.GetString(4));
    }

    private static async Task RecordCommandAsync(
        EngineTransaction tx, string ns, string workflowId, string runId, string commandId, long? sequence, string status,
        string outcome, string? rejectionReason, WorkflowStartResponse response, CancellationToken cancellationToken)
    {
        await CommandStore.InsertStartAsync(tx, commandId, ns, workflowId, runId, sequence, status, outcome, rejectionReason,
            JsonSerializer.Serialize(response), cancellationToken);
    }

    private static ApiResult<StartRequest> Validate(JsonElement? body, out JsonObject? input)
    {
        input = null;
        var v = new RequestValidator(body);
        foreach (var (field, message) in UnsupportedFields)
        {
            if (v.Has(field))
            {
                v.AddError(field, message);
            }
        }

        var workflowType = v.String("workflow_type", required: true, maxLength: 255);
        var workflowId = v.String("workflow_id", maxLength: 128, pattern: WorkflowIdPattern());
        var taskQueue = v.String("task_queue", maxLength: 255);
        var businessKey = v.String("business_key", maxLength: 255);
        var duplicatePolicy = v.String("duplicate_policy");
        if (duplicatePolicy is not null && !DuplicatePolicies.Contains(duplicatePolicy))
        {
            v.AddError("duplicate_policy", "The duplicate_policy field only supports fail or use-existing.");
        }

        var executionTimeout = v.Integer("execution_timeout_seconds", min: 1, max: int.MaxValue);
        var runTimeout = v.Integer("run_timeout_seconds", min: 1, max: int.MaxValue);
        var priority = v.Integer("priority", min: 0, max: 9);
        var buildId = v.String("build_id", maxLength: 255) ?? v.String("compatibility", maxLength: 255);
        if (buildId?.Trim() == Configuration.CompatibilityMarkers.Wildcard)
        {
            v.AddError(v.Has("build_id") ? "build_id" : "compatibility", "A run cannot be pinned to the wildcard marker *.");
        }

        var fingerprint = v.String("workflow_definition_fingerprint", maxLength: 255);
        var memo = ValidateMemo(v);
        var searchAttributes = ValidateSearchAttributes(v);

        var inputNode = body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("input", out var raw)
            ? JsonNode.Parse(raw.GetRawText())
            : null;
        var parsed = PayloadInput.ParseArguments(inputNode, "input");
        if (parsed.Error is { } inputError)
        {
            v.AddError(parsed.ErrorField ?? "input", inputError);
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        input = parsed.Envelope?.ToJson();
        return ApiResult<StartRequest>.Ok(new StartRequest(
            workflowId ?? Ulid.NewId(),
            workflowType!,
            string.IsNullOrWhiteSpace(taskQueue) ? DefaultTaskQueue : taskQueue,
            businessKey,
            duplicatePolicy ?? "fail",
            executionTimeout,
            runTimeout,
            priority ?? 5,
            string.IsNullOrWhiteSpace(buildId) ? null : buildId.Trim(),
            string.IsNullOrWhiteSpace(fingerprint) ? null : fingerprint.Trim(),
            memo,
            searchAttributes));
    }

    private static JsonObject ValidateMemo(RequestValidator v)
    {
        var memo = v.Object("memo");
        if (memo is not { } value)
        {
            return [];
        }

        var text = value.GetRawText();
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxMemoBytes)
        {
            v.AddError("memo", $"The memo field must not be greater than {MaxMemoBytes} bytes when JSON encoded.");
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject ValidateSearchAttributes(RequestValidator v)
    {
        var attributes = v.Object("search_attributes");
        if (attributes is not { } value)
        {
            return [];
        }

        foreach (var property in value.EnumerateObject())
        {
            if (property.Name.Length == 0 || property.Name.Length > MaxSearchAttributeKeyLength || !SearchAttributeKeyPattern().IsMatch(property.Name))
            {
                v.AddError("search_attributes", $"The search attribute key [{property.Name}] is invalid.");
                continue;
            }

            var strings = property.Value.ValueKind switch
            {
                JsonValueKind.String => [property.Value.GetString()!],
                JsonValueKind.Array => property.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!),
                _ => [],
            };
            if (strings.Any(s => System.Text.Encoding.UTF8.GetByteCount(s) > MaxSearchAttributeValueBytes))
            {
                v.AddError("search_attributes", $"The search attribute [{property.Name}] value must not be greater than {MaxSearchAttributeValueBytes} bytes.");
            }
        }

        return JsonNode.Parse(value.GetRawText())!.AsObject();
    }

    [GeneratedRegex("^[a-zA-Z0-9._:-]+$")]
    private static partial Regex WorkflowIdPattern();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_]*$")]
    private static partial Regex SearchAttributeKeyPattern();

    private sealed record StartRequest(
        string WorkflowId,
        string WorkflowType,
        string TaskQueue,
        string? BusinessKey,
        string DuplicatePolicy,
        int? ExecutionTimeoutSeconds,
        int? RunTimeoutSeconds,
        int Priority,
        string? BuildId,
        string? Fingerprint,
        JsonObject Memo,
        JsonObject SearchAttributes);

    private sealed record RunSummary(string RunId, string WorkflowType, string Status, string? BusinessKey, string PayloadCodec);
}

public sealed record WorkflowStartResponse(
    [property: JsonPropertyName("workflow_id")] string WorkflowId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("workflow_type")] string WorkflowType,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("business_key")] string? BusinessKey,
    [property: JsonPropertyName("payload_codec")] string PayloadCodec,
    [property: JsonPropertyName("outcome")] string Outcome)
{
    [JsonPropertyName("reason")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }
}
