using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Failures;
using DurableWorkflow.Core.Engine.Messages;
using DurableWorkflow.Core.Engine.Queries;
using DurableWorkflow.Core.Engine.Repair;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// The workflow commands of the control plane (control-plane spec §4.6): signal, query, update, cancel, terminate,
/// repair and archive. Each durable command is one transaction that locks the instance (command numbering, current
/// run, <c>request_id</c> replay) and then the run, and records a <c>workflow_commands</c> row; queries are routed to
/// workers by <see cref="QueryTaskBroker"/> and never written to history.
/// </summary>
public sealed class WorkflowCommandService(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    QueryTaskBroker queries,
    ServerSettings settings,
    TimeProvider clock,
    ILogger<WorkflowCommandService> logger)
{
    /// <summary>Upper bound on <c>wait_for: completed</c>, so an update call cannot pin a request for long.</summary>
    public const int MaxUpdateWaitSeconds = 60;

    private const int MaxTransactionAttempts = 3;
    private static readonly string[] WaitForValues = ["accepted", "completed"];

    public async Task<ApiResult<JsonObject>> SignalAsync(
        string ns, CommandTarget target, string signalName, JsonElement? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (CommandRequest.NameError("signal", signalName) is { } badName)
        {
            return badName;
        }

        var v = new RequestValidator(body);
        var arguments = CommandRequest.Arguments(v, body);
        var requestId = v.String("request_id", maxLength: CommandRequest.MaxRequestIdLength);
        return await ExecuteAsync(ns, target, "signal", Invalid(v), requestId, 202,
            (scope, token) => ReceiveSignalAsync(scope, signalName, arguments, token), cancellationToken);
    }

    public async Task<ApiResult<JsonObject>> UpdateAsync(
        string ns, CommandTarget target, string updateName, JsonElement? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (CommandRequest.NameError("update", updateName) is { } badName)
        {
            return badName;
        }

        var v = new RequestValidator(body);
        var arguments = CommandRequest.Arguments(v, body);
        var requestId = v.String("request_id", maxLength: CommandRequest.MaxRequestIdLength);
        var waitFor = v.OneOf("wait_for", WaitForValues) ?? "accepted";
        var requestedTimeout = v.Integer("wait_timeout_seconds", min: 1, max: int.MaxValue);
        if (v.Has("wait_policy"))
        {
            v.AddError("wait_policy", "The wait_policy field is no longer supported. Use wait_for.");
        }

        int? waitTimeout = waitFor == "completed"
            ? Math.Min(requestedTimeout ?? settings.UpdateWaitCompletionTimeoutSeconds, MaxUpdateWaitSeconds)
            : null;
        var result = await ExecuteAsync(ns, target, "update", Invalid(v), requestId, 202,
            (scope, token) => AcceptUpdateAsync(scope, updateName, arguments, waitFor, waitTimeout, token), cancellationToken);
        return result.Value?["update_id"]?.GetValue<string>() is { } updateId
            ? await SettleUpdateAsync(result.Value, updateId, waitFor, waitTimeout, cancellationToken)
            : result;
    }

    public Task<ApiResult<JsonObject>> CancelAsync(string ns, CommandTarget target, JsonElement? body, CancellationToken cancellationToken) =>
        CloseAsync(ns, target, body, RunEnding.Cancel, cancellationToken);

    public Task<ApiResult<JsonObject>> TerminateAsync(string ns, CommandTarget target, JsonElement? body, CancellationToken cancellationToken) =>
        CloseAsync(ns, target, body, RunEnding.Terminate, cancellationToken);

    public async Task<ApiResult<JsonObject>> RepairAsync(string ns, string workflowId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var requestId = v.String("request_id", maxLength: CommandRequest.MaxRequestIdLength);
        return await ExecuteAsync(ns, new CommandTarget(workflowId), "repair", Invalid(v), requestId, 200, RepairRunAsync, cancellationToken);
    }

    public async Task<ApiResult<JsonObject>> ArchiveAsync(string ns, string workflowId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var reason = v.String("reason", maxLength: CommandRequest.MaxReasonLength);
        var requestId = v.String("request_id", maxLength: CommandRequest.MaxRequestIdLength);
        return await ExecuteAsync(ns, new CommandTarget(workflowId), "archive", Invalid(v), requestId, 200,
            (scope, token) => ArchiveRunAsync(scope, reason, token), cancellationToken);
    }

    /// <summary>
    /// A query is read-only and not a durable command: it resolves the current run without locks and is answered by a
    /// worker through a query task (a C# server has no in-process replay).
    /// </summary>
    public async Task<ApiResult<JsonObject>> QueryAsync(
        string ns, CommandTarget target, string queryName, JsonElement? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (CommandRequest.NameError("query", queryName) is { } badName)
        {
            return badName;
        }

        await using var command = dataSource.CreateCommand(
            """
            SELECT r.id, r.workflow_type, r.task_queue, r.payload_codec, r.workflow_definition_fingerprint
              FROM workflow_instances i
              JOIN workflow_runs r ON r.id = i.current_run_id
             WHERE i.id = $1 AND i.namespace = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = target.WorkflowId });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        QueryTarget? run = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                run = new QueryTarget(target.WorkflowId, reader.GetString(0), target.Scope, reader.GetString(1), reader.GetString(2),
                    reader.GetString(3), reader.StringOrNull(4));
            }
        }

        if (run is null)
        {
            return NotFound(target);
        }

        if (target.RunId is { } requested && requested != run.RunId)
        {
            return HistoricalRun(target);
        }

        var v = new RequestValidator(body);
        var arguments = CommandRequest.Arguments(v, body);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        return await queries.QueryAsync(ns, run, queryName, arguments, cancellationToken);
    }

    private Task<ApiResult<JsonObject>> CloseAsync(
        string ns, CommandTarget target, JsonElement? body, RunEnding ending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var v = new RequestValidator(body);
        var reason = v.String("reason", maxLength: CommandRequest.MaxReasonLength);
        var requestId = v.String("request_id", maxLength: CommandRequest.MaxRequestIdLength);
        return ExecuteAsync(ns, target, ending.CommandType, Invalid(v), requestId, 200,
            (scope, token) => CloseRunAsync(scope, ending, reason, token), cancellationToken);
    }

    /// <summary>
    /// Runs one command transaction in upstream's check order: instance (404), current run (409 for a historical
    /// run), body validation (422), <c>request_id</c> replay, then the command itself against the locked run. A deadlock
    /// victim wrote nothing, so it is simply evaluated again.
    /// </summary>
    private async Task<ApiResult<JsonObject>> ExecuteAsync(
        string ns,
        CommandTarget target,
        string commandType,
        ApiError? invalid,
        string? requestId,
        int replayStatus,
        Func<CommandScope, CancellationToken, Task<ApiResult<JsonObject>>> apply,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
                var result = await ExecuteOnceAsync(tx, ns, target, commandType, invalid, requestId, replayStatus, apply, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                               && attempt < MaxTransactionAttempts)
            {
                // Retried from scratch: the rolled-back attempt left no trace.
                EngineLog.TransactionRetried(logger, commandType, target.WorkflowId, ex.SqlState, attempt);
            }
        }
    }

    private static async Task<ApiResult<JsonObject>> ExecuteOnceAsync(
        EngineTransaction tx,
        string ns,
        CommandTarget target,
        string commandType,
        ApiError? invalid,
        string? requestId,
        int replayStatus,
        Func<CommandScope, CancellationToken, Task<ApiResult<JsonObject>>> apply,
        CancellationToken cancellationToken)
    {
        string? currentRunId;
        await using (var instance = tx.Command(
            "SELECT current_run_id FROM workflow_instances WHERE id = $1 AND namespace = $2 FOR NO KEY UPDATE",
            target.WorkflowId, ns))
        {
            currentRunId = await instance.ExecuteScalarAsync(cancellationToken) as string;
        }

        if (currentRunId is null)
        {
            return NotFound(target);
        }

        if (target.RunId is { } requested && requested != currentRunId)
        {
            return HistoricalRun(target);
        }

        if (invalid is not null)
        {
            return invalid;
        }

        if (requestId is not null)
        {
            await using var replay = tx.Command(
                """
                SELECT response::text FROM workflow_commands
                 WHERE namespace = $1 AND workflow_instance_id = $2 AND command_type = $3 AND request_id = $4
                   AND status = 'accepted'
                """,
                ns, target.WorkflowId, commandType, requestId);
            if (await replay.ExecuteScalarAsync(cancellationToken) is string stored)
            {
                return ApiResult<JsonObject>.Ok(JsonNode.Parse(stored)!.AsObject(), replayStatus);
            }
        }

        var run = await RunState.LockAsync(tx, currentRunId, cancellationToken);
        return await apply(new CommandScope(tx, ns, target, commandType, requestId, run!), cancellationToken);
    }

    /// <summary>Signal delivery (docs/schema.md §5.2): history event, signal row, and a workflow task if none is open.</summary>
    private static async Task<ApiResult<JsonObject>> ReceiveSignalAsync(
        CommandScope scope, string name, PayloadEnvelope arguments, CancellationToken cancellationToken)
    {
        var run = scope.Run;
        var nameField = new JsonObject { ["signal_name"] = name };
        if (!run.IsOpen)
        {
            return await scope.RejectNotActiveAsync(nameField, cancellationToken);
        }

        var signalId = Ulid.NewId();
        var signalWaitId = await OpenSignalWaitIdAsync(scope.Tx, run.Id, name, cancellationToken) ?? $"signal-command:{scope.CommandId}";
        var body = await scope.RecordAsync(new CommandRecord("accepted", "signal_received")
        {
            OperationName = name,
            Payload = arguments,
            Extra = nameField,
        }, cancellationToken);

        var received = scope.EventPayload();
        received["signal_id"] = signalId;
        received["signal_name"] = name;
        received["signal_wait_id"] = signalWaitId;
        received["arguments"] = CommandRequest.HistoryValue(arguments);
        received["payload_codec"] = arguments.Codec;
        var sequences = await scope.AppendAsync([new NewHistoryEvent("SignalReceived", received)], cancellationToken);
        await SignalStore.ReceiveAsync(scope.Tx, new NewSignal(signalId, run.Namespace, run.Id, scope.CommandId, name, signalWaitId,
            arguments.ToJson().ToJsonString(), arguments.Codec, sequences[0]), cancellationToken);
        await scope.ResumeAsync(ResumeContext.ForSignal(signalId, name, signalWaitId, scope.CommandId), cancellationToken);
        return ApiResult<JsonObject>.Ok(body, 202);
    }

    /// <summary>
    /// The run's oldest open signal wait for this name, unless an earlier signal of that name is still undelivered
    /// (then this one is buffered behind it, as upstream's <c>signal-command:</c> wait id says).
    /// </summary>
    private static async Task<string?> OpenSignalWaitIdAsync(EngineTransaction tx, string runId, string name, CancellationToken cancellationToken)
    {
        await using var wait = tx.Command(
            """
            SELECT w.id FROM workflow_waits w
             WHERE w.run_id = $1 AND w.status = 'open' AND w.wait_kind = 'signal' AND w.signal_name = $2
               AND NOT EXISTS (SELECT 1 FROM workflow_signals s WHERE s.run_id = $1 AND s.status = 'received' AND s.signal_name = $2)
             ORDER BY w.sequence
             LIMIT 1
            """,
            runId, name);
        return await wait.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static async Task<ApiResult<JsonObject>> AcceptUpdateAsync(
        CommandScope scope, string name, PayloadEnvelope arguments, string waitFor, int? waitTimeout, CancellationToken cancellationToken)
    {
        var run = scope.Run;
        if (!run.IsOpen)
        {
            return await scope.RejectNotActiveAsync(UpdateFields(name, null, null, waitFor, waitTimeout), cancellationToken);
        }

        var updateId = Ulid.NewId();
        var acceptedAt = await UpdateStore.AcceptAsync(scope.Tx, new NewUpdate(updateId, run.Namespace, run.Id, scope.CommandId, name,
            scope.RequestId, arguments.ToJson().ToJsonString(), arguments.Codec), cancellationToken);
        var body = await scope.RecordAsync(new CommandRecord("accepted", null)
        {
            OperationName = name,
            Payload = arguments,
            Extra = UpdateFields(name, updateId, acceptedAt, waitFor, waitTimeout),
        }, cancellationToken);

        var accepted = scope.EventPayload();
        accepted["update_id"] = updateId;
        accepted["update_name"] = name;
        accepted["arguments"] = CommandRequest.HistoryValue(arguments);
        accepted["payload_codec"] = arguments.Codec;
        accepted["ordering_state"] = "ready";
        accepted["queued_behind_command_id"] = null;
        accepted["queued_behind_command_sequence"] = null;
        accepted["queued_behind_command_type"] = null;
        await scope.AppendAsync([new NewHistoryEvent("UpdateAccepted", accepted)], cancellationToken);
        await scope.ResumeAsync(ResumeContext.ForUpdate(updateId), cancellationToken);
        return ApiResult<JsonObject>.Ok(body, 202);
    }

    private static JsonObject UpdateFields(string name, string? updateId, DateTimeOffset? acceptedAt, string waitFor, int? waitTimeout) => new()
    {
        ["update_name"] = name,
        ["update_id"] = updateId,
        ["update_status"] = updateId is null ? null : "accepted",
        ["workflow_sequence"] = null,
        ["result"] = null,
        ["result_envelope"] = null,
        ["failure_id"] = null,
        ["failure_message"] = null,
        ["accepted_at"] = acceptedAt is { } at ? WireTime.Micro(at) : null,
        ["applied_at"] = null,
        ["rejected_at"] = null,
        ["closed_at"] = null,
        ["wait_for"] = waitFor,
        ["wait_timed_out"] = false,
        ["wait_timeout_seconds"] = waitTimeout,
    };

    /// <summary>
    /// Brings an accepted update's answer up to date: with <c>wait_for: completed</c> it first waits (bounded) for the
    /// workflow task that completes or fails it. Status: 200 completed, 422 failed, 202 still only accepted.
    /// </summary>
    private async Task<ApiResult<JsonObject>> SettleUpdateAsync(
        JsonObject accepted, string updateId, string waitFor, int? waitTimeout, CancellationToken cancellationToken)
    {
        UpdateRow? row;
        var timedOut = false;
        if (waitTimeout is { } seconds)
        {
            UpdateRow? last = null;

            // Boxed, so "the update is gone" (a null row) also ends the wait.
            var settled = await LongPoll.WaitForAsync(
                wakeBus,
                clock,
                [WakeChannels.Update(updateId)],
                TimeSpan.FromSeconds(seconds),
                async token =>
                {
                    last = await ReadUpdateAsync(updateId, token);
                    return last is null || last.Status != "accepted" ? new StrongBox<UpdateRow?>(last) : null;
                },
                cancellationToken);
            timedOut = settled is null;
            row = last;
        }
        else
        {
            row = await ReadUpdateAsync(updateId, cancellationToken);
        }

        var body = (JsonObject)accepted.DeepClone();
        if (row is not null)
        {
            body["update_status"] = row.Status;
            body["outcome"] = row.Status switch
            {
                "completed" => "update_completed",
                "failed" => "update_failed",
                _ => null,
            };
            body["workflow_sequence"] = row.WorkflowSequence;
            // jsonb sorts keys, so a parsed envelope is re-emitted in its wire order (codec first).
            var parsed = PayloadEnvelope.TryParseEnvelope(row.Result, out var envelope);
            body["result_envelope"] = parsed ? envelope!.ToJson() : row.Result?.DeepClone();
            body["result"] = parsed ? PayloadInput.TryDecodeForDisplay(envelope) : null;
            body["failure_id"] = row.FailureId;
            body["failure_message"] = row.FailureMessage;
            body["accepted_at"] = Micro(row.AcceptedAt);
            body["applied_at"] = Micro(row.AppliedAt);
            body["rejected_at"] = Micro(row.RejectedAt);
            body["closed_at"] = Micro(row.ClosedAt);
            if (row.Status == "failed")
            {
                body["message"] = row.FailureMessage ?? "The update failed.";
            }
        }

        body["wait_for"] = waitFor;
        body["wait_timed_out"] = timedOut;
        body["wait_timeout_seconds"] = waitTimeout;
        var status = row?.Status switch
        {
            "completed" => 200,
            "failed" => 422,
            _ => 202,
        };
        return ApiResult<JsonObject>.Ok(body, status);
    }

    private async Task<UpdateRow?> ReadUpdateAsync(string updateId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT status, workflow_sequence, result::text, failure_id, failure ->> 'message', accepted_at, applied_at,
                   rejected_at, closed_at
              FROM workflow_updates
             WHERE id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = updateId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new UpdateRow(
            reader.GetString(0),
            reader.Int32OrNull(1),
            reader.JsonOrNull(2),
            reader.StringOrNull(3),
            reader.StringOrNull(4),
            reader.TimeOrNull(5),
            reader.TimeOrNull(6),
            reader.TimeOrNull(7),
            reader.TimeOrNull(8));
    }

    /// <summary>
    /// Cancel and terminate (worker-protocol spec §6.2): the request and closing events, a failure record, the run
    /// closed with its open work, and accepted updates failed so their waiting callers are answered.
    /// </summary>
    private static async Task<ApiResult<JsonObject>> CloseRunAsync(
        CommandScope scope, RunEnding ending, string? reason, CancellationToken cancellationToken)
    {
        var run = scope.Run;
        if (!run.IsOpen)
        {
            return await scope.RejectNotActiveAsync(null, cancellationToken);
        }

        var body = await scope.RecordAsync(new CommandRecord("accepted", ending.Status) { Reason = reason }, cancellationToken);
        var hasReason = !string.IsNullOrEmpty(reason);
        var message = hasReason ? $"Workflow {ending.Status}: {reason}" : $"Workflow {ending.Status}.";
        var failureId = await FailureStore.InsertAsync(scope.Tx, new NewFailure
        {
            Namespace = run.Namespace,
            RunId = run.Id,
            SourceKind = "workflow_run",
            SourceId = run.Id,
            PropagationKind = ending.Status,
            Category = ending.Status,
            ExceptionClass = ending.ExceptionClass,
            Message = message,
            NonRetryable = true,
        }, cancellationToken);

        if (ending == RunEnding.Cancel)
        {
            await RunWriter.MarkCancelRequestedAsync(scope.Tx, run.Id, cancellationToken);
        }

        var request = scope.EventPayload();
        request["command_type"] = ending.CommandType;
        var closed = scope.EventPayload();
        closed["failure_id"] = failureId;
        closed["failure_category"] = ending.Status;
        closed["closed_reason"] = ending.Status;
        closed["exception_class"] = ending.ExceptionClass;
        closed["message"] = message;
        if (hasReason)
        {
            request["reason"] = reason;
            closed["reason"] = reason;
        }

        await scope.AppendAsync([new NewHistoryEvent(ending.RequestedEvent, request), new NewHistoryEvent(ending.ClosedEvent, closed)], cancellationToken);
        var closure = new JsonObject
        {
            ["failure_category"] = ending.Status,
            ["exception_class"] = ending.ExceptionClass,
            ["message"] = message,
        };
        await RunCloser.CloseAsync(scope.Tx, run, new RunClosure(ending.Status, ending.Status, Failure: closure, FailureId: failureId), null, cancellationToken);
        return ApiResult<JsonObject>.Ok(body);
    }

    /// <summary>
    /// Repair (control-plane spec §4.6): an open run that nothing would ever resume gets a workflow task again. A
    /// leased task whose lease expired goes back to ready; undelivered signals and updates get a task that carries
    /// them; an idle run with no timer, activity, child, wait or task left gets a plain task.
    /// </summary>
    private static async Task<ApiResult<JsonObject>> RepairRunAsync(CommandScope scope, CancellationToken cancellationToken)
    {
        var run = scope.Run;
        if (!run.IsOpen)
        {
            return await scope.RejectNotActiveAsync(null, cancellationToken);
        }

        string? livenessState;
        string? waitKind;
        await using (var read = scope.Tx.Command("SELECT liveness_state, wait_kind FROM workflow_runs WHERE id = $1", run.Id))
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            livenessState = reader.StringOrNull(0);
            waitKind = reader.StringOrNull(1);
        }

        string? taskId = null;
        var open = await OpenWorkflowTaskAsync(scope.Tx, run.Id, cancellationToken);
        if (open is { Expired: true } && await WorkflowTaskStore.RecoverExpiredAsync(scope.Tx, run, open.Value.Id, cancellationToken))
        {
            taskId = open.Value.Id;
            livenessState = "workflow_task_lease_expired";
        }
        else if (open is null && await TaskRepairStore.WorkflowResumeAsync(scope.Tx, run.Id, cancellationToken) is { } resume)
        {
            taskId = await scope.ResumeAsync(resume, cancellationToken);
            livenessState = "repair_needed";
        }

        var outcome = taskId is null ? "repair_not_needed" : "repair_dispatched";
        var body = await scope.RecordAsync(new CommandRecord("accepted", outcome), cancellationToken);
        var requested = scope.EventPayload();
        requested["command_type"] = "repair";
        requested["outcome"] = outcome;
        requested["liveness_state"] = livenessState;
        requested["wait_kind"] = waitKind;
        requested["task_id"] = taskId;
        requested["task_type"] = taskId is null ? null : "workflow";
        await scope.AppendAsync([new NewHistoryEvent("RepairRequested", requested)], cancellationToken);
        return ApiResult<JsonObject>.Ok(body);
    }

    private static async Task<(string Id, bool Expired)?> OpenWorkflowTaskAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            """
            SELECT id, (status = 'leased' AND lease_expires_at <= now())
              FROM workflow_tasks
             WHERE run_id = $1 AND task_type = 'workflow' AND status IN ('ready', 'leased')
               FOR UPDATE
            """,
            runId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>Archive (control-plane spec §4.6): closed runs only; a second archive is recorded as not needed.</summary>
    private static async Task<ApiResult<JsonObject>> ArchiveRunAsync(CommandScope scope, string? reason, CancellationToken cancellationToken)
    {
        var run = scope.Run;
        if (run.IsOpen)
        {
            return await scope.RejectAsync(409, "run_not_closed", "rejected_run_not_closed",
                $"Workflow run [{run.Id}] is {run.Status}; only closed runs can be archived.", null, cancellationToken);
        }

        bool alreadyArchived;
        await using (var read = scope.Tx.Command("SELECT archived_at IS NOT NULL FROM workflow_runs WHERE id = $1", run.Id))
        {
            alreadyArchived = (bool)(await read.ExecuteScalarAsync(cancellationToken))!;
        }

        var outcome = alreadyArchived ? "archive_not_needed" : "archived";
        var body = await scope.RecordAsync(new CommandRecord("accepted", outcome) { Reason = reason }, cancellationToken);
        var requested = scope.EventPayload();
        requested["command_type"] = "archive";
        requested["outcome"] = outcome;
        var events = new List<NewHistoryEvent> { new("ArchiveRequested", requested) };
        if (!alreadyArchived)
        {
            await RunWriter.ArchiveAsync(scope.Tx, run.Id, scope.CommandId, reason, cancellationToken);
            var archived = scope.EventPayload();
            archived["archive_command_id"] = scope.CommandId;
            events.Add(new NewHistoryEvent("WorkflowArchived", archived));
        }

        if (!string.IsNullOrEmpty(reason))
        {
            foreach (var e in events)
            {
                e.Payload["reason"] = reason;
            }
        }

        await scope.AppendAsync(events, cancellationToken);
        return ApiResult<JsonObject>.Ok(body);
    }

    private static ApiError? Invalid(RequestValidator v) => v.IsValid ? null : v.ToError();

    private static ApiError NotFound(CommandTarget target)
    {
        var error = new ApiError(404, "instance_not_found", "Workflow not found.").With("workflow_id", target.WorkflowId);
        return target.RunId is { } runId ? error.With("run_id", runId) : error;
    }

    private static ApiError HistoricalRun(CommandTarget target) =>
        new ApiError(409, "historical_run_command_rejected",
                "Commands cannot target historical runs. Use the instance-level endpoint to command the current run, or omit the run ID.")
            .With("workflow_id", target.WorkflowId)
            .With("run_id", target.RunId)
            .With("target_scope", "run");

    private static string? Micro(DateTimeOffset? value) => value is { } v ? WireTime.Micro(v) : null;

    private sealed record UpdateRow(
        string Status,
        int? WorkflowSequence,
        JsonNode? Result,
        string? FailureId,
        string? FailureMessage,
        DateTimeOffset? AcceptedAt,
        DateTimeOffset? AppliedAt,
        DateTimeOffset? RejectedAt,
        DateTimeOffset? ClosedAt);

    /// <summary>How cancel and terminate differ: command, status (also closed reason and failure category), events.</summary>
    private sealed record RunEnding(string CommandType, string Status, string RequestedEvent, string ClosedEvent, string ExceptionClass)
    {
        public static readonly RunEnding Cancel = new("cancel", RunStatus.Cancelled, "CancelRequested", "WorkflowCancelled",
            "Workflow\\V2\\Exceptions\\WorkflowCancelledException");

        public static readonly RunEnding Terminate = new("terminate", RunStatus.Terminated, "TerminateRequested", "WorkflowTerminated",
            "Workflow\\V2\\Exceptions\\WorkflowTerminatedException");
    }
}
