using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Workflows;

/// <summary>What one command writes into <c>workflow_commands</c> and answers (control-plane spec §4.6.1).</summary>
internal sealed record CommandRecord(string Status, string? Outcome)
{
    public string? RejectionReason { get; init; }

    /// <summary>The caller's reason (cancel, terminate, archive).</summary>
    public string? Reason { get; init; }

    /// <summary>The signal or update name.</summary>
    public string? OperationName { get; init; }

    public PayloadEnvelope? Payload { get; init; }

    /// <summary>Response keys after the common ones: <c>signal_name</c>, the update fields, ...</summary>
    public JsonObject Extra { get; init; } = [];
}

/// <summary>
/// One command's transaction once its instance and run are locked (lock order instance → run → task): it numbers the
/// command from the instance counter, records the <c>workflow_commands</c> row together with its first answer (which
/// a <c>request_id</c> retry replays), and resumes the run with a workflow task when the command needs one.
/// </summary>
internal sealed class CommandScope(EngineTransaction tx, string ns, CommandTarget target, string commandType, string? requestId, RunState run)
{
    public EngineTransaction Tx => tx;

    public RunState Run => run;

    public string? RequestId => requestId;

    public string CommandId { get; } = Ulid.NewId();

    /// <summary>Records the command and returns its response body.</summary>
    public async Task<JsonObject> RecordAsync(CommandRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var sequence = await RunWriter.NextCommandSequenceAsync(tx, run.InstanceId, cancellationToken);

        var accepted = record.Status == "accepted";
        var body = new JsonObject
        {
            ["outcome"] = record.Outcome,
            ["workflow_id"] = run.InstanceId,
            ["run_id"] = run.Id,
            ["requested_run_id"] = target.RunId,
            ["resolved_run_id"] = run.Id,
            ["command_id"] = CommandId,
            ["command_sequence"] = sequence,
            ["target_scope"] = target.Scope,
            ["workflow_type"] = run.WorkflowType,
            ["command_status"] = record.Status,
            ["command_source"] = "control_plane",
            ["reason"] = accepted ? record.Reason : record.RejectionReason,
            ["rejection_reason"] = record.RejectionReason,
            ["validation_errors"] = null,
        };
        foreach (var (key, value) in record.Extra)
        {
            body[key] = value?.DeepClone();
        }

        await CommandStore.InsertAsync(tx, new NewCommand(CommandId, ns, run, target, sequence, commandType, requestId, record, body),
            cancellationToken);
        return body;
    }

    /// <summary>Records a rejected command and answers it as an error carrying the command fields.</summary>
    public async Task<ApiError> RejectAsync(
        int status, string rejectionReason, string outcome, string message, JsonObject? extra, CancellationToken cancellationToken)
    {
        var body = await RecordAsync(new CommandRecord("rejected", outcome)
        {
            RejectionReason = rejectionReason,
            Extra = extra ?? [],
        }, cancellationToken);
        var error = new ApiError(status, rejectionReason, message);
        foreach (var (key, value) in body)
        {
            if (key != "reason")
            {
                error.With(key, value?.DeepClone());
            }
        }

        return error;
    }

    /// <summary>The answer to a command against a run that has already closed.</summary>
    public Task<ApiError> RejectNotActiveAsync(JsonObject? extra, CancellationToken cancellationToken) =>
        RejectAsync(409, "run_not_active", "rejected_not_active",
            $"Workflow run [{run.Id}] is {run.Status} and no longer accepts commands.", extra, cancellationToken);

    /// <summary>
    /// Gives the run a workflow task unless one is already ready or leased (that one sees the new history, or the
    /// completion path creates the next task for messages it did not see). Returns the new task id, if any.
    /// </summary>
    public async Task<string?> ResumeAsync(ResumeContext resume, CancellationToken cancellationToken)
    {
        var taskId = await TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue,
            run.WorkflowType, run.Compatibility, run.Priority, resume), cancellationToken);
        if (taskId is not null)
        {
            await RunWriter.MarkTaskReadyAsync(tx, run.Id, taskId, cancellationToken);
        }

        return taskId;
    }

    /// <summary>Appends events written on behalf of this command.</summary>
    public Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<NewHistoryEvent> events, CancellationToken cancellationToken) =>
        HistoryStore.AppendAsync(tx, run.Id, events, null, CommandId, cancellationToken);

    /// <summary>The id keys every command event starts with.</summary>
    public JsonObject EventPayload() => new()
    {
        ["workflow_command_id"] = CommandId,
        ["workflow_instance_id"] = run.InstanceId,
        ["workflow_run_id"] = run.Id,
    };
}
