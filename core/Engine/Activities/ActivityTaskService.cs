using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>
/// The activity half of the worker plane (worker-protocol spec §4): long-poll claims, completions, failures with
/// retries, heartbeats, and redelivery of expired leases. Every state change is one transaction; wake signals only
/// shorten waits.
/// </summary>
public sealed class ActivityTaskService(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    PollRunner polls,
    ServerSettings settings,
    ILogger<ActivityTaskService> logger)
{
    public async Task<ApiResult<JsonObject>> PollAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        return await polls.RunAsync(
            ns,
            v,
            PollKind.Activity,
            settings.WorkerPollTimeoutSeconds,
            new QueueProbe(RecoverExpiredLeasesAsync, NextAvailableAsync, FindExpiredLeasesAsync),
            poll => new TaskPoll(
                async (reservation, tx, look, token) => await TryClaimAsync(ns, poll.Worker, reservation, tx, look, token),
                async (record, token) => await IsReplayableAsync(ns, poll.Worker.WorkerId, record, token)
                    ? await BuildTaskPayloadAsync(record.TaskId!, token)
                    : null),
            cancellationToken);
    }

    public async Task<ApiResult<JsonObject>> CompleteAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var attemptId = v.String("activity_attempt_id", required: true);
        var owner = v.String("lease_owner", required: true);
        var result = PayloadField.Parse(Field(body, "result"), "result");
        if (!result.IsValid)
        {
            v.AddError(result.ErrorField!, result.Error!);
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var (found, refused) = await ActivityStore.LockAsync(tx, ns, taskId, attemptId!, owner!, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var locked = found!;
        if (Unrecordable(locked, "completed") is { } ignored)
        {
            // Nothing was written; disposal rolls back and releases the locks.
            EngineLog.ActivityOutcomeFenced(logger, "completion", taskId, attemptId!, owner!, ignored.Reason);
            return ignored;
        }

        var envelope = result.Envelope?.ToJson();
        var rows = new ActivityOutcomeRows { Result = envelope };
        string? next = null;

        // A run that already completed or failed no longer waits for the step (§4.2 rule 4): only the rows close.
        if (!locked.Run.IsOpen)
        {
            await ActivityStore.CloseAsync(tx, locked, "completed", rows, cancellationToken);
        }
        else
        {
            var execution = locked.Execution;

            // Outside a parallel group the closure always wakes the workflow, so the closing statement inserts its task.
            var grouped = ActivityStore.IsGroupMember(execution);
            if (grouped)
            {
                await ActivityStore.CloseAsync(tx, locked, "completed", rows, cancellationToken);
            }
            else
            {
                next = await ActivityStore.CloseAndResumeAsync(tx, locked, "completed", rows, "ActivityCompleted", cancellationToken);
            }

            var payload = ActivityEvents.Base(execution, locked.Attempt.Id);
            payload["attempt_number"] = locked.Attempt.AttemptNumber;
            payload["result"] = result.Envelope is { Blob: { } blob } ? blob : envelope;
            payload["payload_codec"] = result.Envelope?.Codec ?? execution.PayloadCodec;
            await HistoryStore.AppendAsync(tx, execution.RunId, [ActivityEvents.Finish("ActivityCompleted", payload, execution, "completed",
                ActivityEvents.Attempt(locked.Attempt, "completed", null, locked.Attempt.LastHeartbeatAt))], null, null, cancellationToken);
            if (grouped && await ActivityStore.GroupSettledAsync(tx, execution, cancellationToken))
            {
                next = await ActivityStore.ResumeWorkflowAsync(tx, locked.Run, execution, locked.Attempt.Id, "ActivityCompleted", cancellationToken);
            }
        }

        await tx.CommitAsync(cancellationToken);
        return Recorded(taskId, locked.Attempt.Id, "completed", next);
    }

    public async Task<ApiResult<JsonObject>> FailAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var attemptId = v.String("activity_attempt_id", required: true);
        var owner = v.String("lease_owner", required: true);
        var failure = ActivityFailure.Read(body, v);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var (found, refused) = await ActivityStore.LockAsync(tx, ns, taskId, attemptId!, owner!, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var locked = found!;
        if (Unrecordable(locked, "failed") is { } ignored)
        {
            // Nothing was written; disposal rolls back and releases the locks.
            EngineLog.ActivityOutcomeFenced(logger, "failure", taskId, attemptId!, owner!, ignored.Reason);
            return ignored;
        }

        if (!locked.Run.IsOpen)
        {
            // As for completions (§4.2 rule 4): the rows close, history stays as the run ended it.
            await ActivityStore.CloseAsync(tx, locked, "failed", new ActivityOutcomeRows { Failure = failure!.Raw }, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return Recorded(taskId, locked.Attempt.Id, "failed", null);
        }

        var execution = locked.Execution;
        var nonRetryable = failure!.IsNonRetryable(execution);
        var next = !nonRetryable && locked.Attempt.AttemptNumber < execution.MaxAttempts
            ? await ScheduleRetryAsync(tx, ns, locked, failure, cancellationToken)
            : await RecordFailedAsync(tx, locked, failure, nonRetryable, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return Recorded(taskId, locked.Attempt.Id, "failed", next);
    }

    public async Task<ApiResult<JsonObject>> HeartbeatAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var attemptId = v.String("activity_attempt_id", required: true);
        var owner = v.String("lease_owner", required: true);
        var message = v.String("message");
        var unit = v.String("unit");
        var current = Number(body, "current", v);
        var total = Number(body, "total", v);
        var details = Field(body, "details");
        if (details is not (null or JsonObject or JsonArray))
        {
            v.AddError("details", "The details field must be an array.");
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var (locked, refused) = await ActivityStore.LockAsync(tx, ns, taskId, attemptId!, owner!, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var (run, task, execution, attempt) = locked!;
        if (HeartbeatStop(locked) is { } stop)
        {
            return ApiResult<JsonObject>.Ok(HeartbeatResponse(taskId, locked, stop.CancelRequested, stop.Reason, attempt.LeaseExpiresAt, attempt.LastHeartbeatAt));
        }

        var progress = new JsonObject { ["message"] = message, ["current"] = current, ["total"] = total, ["unit"] = unit, ["details"] = details };
        var leaseExpiresAt = await ActivityStore.RenewAsync(tx, task.Id, cancellationToken);

        var heartbeatAt = await ActivityStore.RecordHeartbeatAsync(tx, execution, attempt.Id, leaseExpiresAt, progress, cancellationToken);

        var payload = ActivityEvents.Base(execution, attempt.Id);
        payload["attempt_number"] = attempt.AttemptNumber;
        payload["heartbeat_at"] = WireTime.Micro(heartbeatAt);
        payload["lease_expires_at"] = WireTime.Micro(leaseExpiresAt);
        var recorded = ActivityEvents.Finish("ActivityHeartbeatRecorded", payload, execution, execution.Status,
            ActivityEvents.Attempt(attempt, attempt.Status, leaseExpiresAt, heartbeatAt));
        payload["progress"] = progress.DeepClone();
        await HistoryStore.AppendAsync(tx, run.Id, [recorded], null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(HeartbeatResponse(taskId, locked, false, null, leaseExpiresAt, heartbeatAt));
    }

    /// <summary>
    /// Recorder rules 1–2 of worker-protocol §4.2: a cancelled or terminated run ignores the outcome (the run's closure
    /// already cancelled the execution, attempt and task), and an attempt that is no longer the task's live attempt —
    /// lease recovered, superseded, or already recorded — is stale. Both change nothing.
    /// </summary>
    private static ApiError? Unrecordable(LockedActivity locked, string outcome)
    {
        var (run, task, execution, attempt) = locked;
        if (run.Status is RunStatus.Cancelled or RunStatus.Terminated)
        {
            const string message = "Activity outcome ignored because the workflow run is already closed.";
            return ActivityStore.Refusal(409, $"run_{run.Status}", message, task.Id, attempt.Id)
                .With("error", message)
                .With("outcome", "ignored")
                .With("recorded", false)
                .With("next_task_id", null)
                .With("cancel_requested", true)
                .With("can_continue", false)
                .With("run_status", run.Status)
                .With("run_closed_reason", run.ClosedReason)
                .With("run_closed_at", run.ClosedAt is { } closed ? WireTime.Micro(closed) : null)
                .With("activity_status", execution.Status)
                .With("attempt_status", attempt.Status)
                .With("task_status", task.Status)
                .With("lease_owner", attempt.LeaseOwner)
                .With("lease_expires_at", attempt.LeaseExpiresAt is { } lease ? WireTime.Micro(lease) : null);
        }

        if (task.Status != "leased" || task.AttemptId != attempt.Id || attempt.Status != "running")
        {
            return ActivityStore.Refusal(409, "stale_attempt", "Activity attempt is no longer current; its outcome was not recorded.", task.Id, attempt.Id)
                .With("outcome", outcome)
                .With("recorded", false)
                .With("next_task_id", null);
        }

        return null;
    }

    /// <summary>Why a heartbeat may not continue the attempt (worker-protocol §4.4), first match wins; null when it may.</summary>
    private static (string Reason, bool CancelRequested)? HeartbeatStop(LockedActivity locked)
    {
        var (run, task, execution, attempt) = locked;
        return run.Status switch
        {
            RunStatus.Cancelled or RunStatus.Terminated => ($"run_{run.Status}", true),
            _ when !run.IsOpen => ("run_closed", false),
            _ when task.Status == "cancelled" => ("task_cancelled", true),
            _ when execution.Status == "cancelled" => ("activity_cancelled", true),
            _ when attempt.Status != "running" => ("attempt_closed", false),
            _ when task.AttemptId != attempt.Id => ("stale_attempt", false),
            _ when task.Status != "leased" => ("task_not_leased", false),
            _ when execution.Status != "running" => ("activity_not_running", false),
            _ => null,
        };
    }

    private static JsonObject HeartbeatResponse(
        string taskId, LockedActivity locked, bool cancelRequested, string? reason, DateTimeOffset? leaseExpiresAt, DateTimeOffset? lastHeartbeatAt) => new()
    {
        ["task_id"] = taskId,
        ["activity_attempt_id"] = locked.Attempt.Id,
        ["lease_owner"] = locked.Attempt.LeaseOwner,
        ["cancel_requested"] = cancelRequested,
        ["can_continue"] = reason is null,
        ["reason"] = reason,
        ["run_closed_reason"] = locked.Run.ClosedReason,
        ["run_closed_at"] = locked.Run.ClosedAt is { } closed ? WireTime.Micro(closed) : null,
        ["heartbeat_recorded"] = reason is null,
        ["lease_expires_at"] = leaseExpiresAt is { } lease ? WireTime.Micro(lease) : null,
        ["last_heartbeat_at"] = lastHeartbeatAt is { } beat ? WireTime.Micro(beat) : null,
    };

    /// <summary>Attempt failed with attempts left: a new task after the back-off, no workflow task (§4.3).</summary>
    private static async Task<string> ScheduleRetryAsync(
        EngineTransaction tx, string ns, LockedActivity locked, ActivityFailure failure, CancellationToken cancellationToken)
    {
        var (_, task, execution, attempt) = locked;
        await ActivityStore.CloseAsync(tx, locked, "failed", new ActivityOutcomeRows { Failure = failure.Raw, Retrying = true }, cancellationToken);
        var backoff = ActivityPolicy.BackoffSeconds(execution, attempt.AttemptNumber);
        var (retryTaskId, availableAt) = await ActivityStore.InsertRetryTaskAsync(tx, ns, task, execution, backoff, cancellationToken);
        var payload = ActivityEvents.RetryScheduled(execution, attempt.Id, attempt.AttemptNumber, task.Id, retryTaskId, availableAt, backoff);
        AddFailureKeys(payload, failure, failure.Exception(nonRetryable: false));
        await HistoryStore.AppendAsync(tx, execution.RunId, [ActivityEvents.Finish("ActivityRetryScheduled", payload, execution, "pending",
            ActivityEvents.Attempt(attempt, "failed", null, attempt.LastHeartbeatAt))], null, null, cancellationToken);
        return retryTaskId;
    }

    /// <summary>
    /// Final failure: a failure record, <c>ActivityFailed</c>, and the workflow task that lets the workflow react (a
    /// failure wakes the workflow even inside a parallel group, so the closing statement inserts it).
    /// </summary>
    private static async Task<string?> RecordFailedAsync(
        EngineTransaction tx, LockedActivity locked, ActivityFailure failure, bool nonRetryable, CancellationToken cancellationToken)
    {
        var (run, _, execution, attempt) = locked;
        var exception = failure.Exception(nonRetryable);
        var failureId = await ActivityStore.InsertFailureAsync(tx, run, execution, new ActivityFailureRow(
            "activity", ActivityFailure.Category, failure.Type, failure.ExceptionClass, failure.Message, exception, nonRetryable), cancellationToken);
        var next = await ActivityStore.CloseAndResumeAsync(tx, locked, "failed",
            new ActivityOutcomeRows { Failure = failure.Raw, FailureId = failureId }, "ActivityFailed", cancellationToken);
        var payload = ActivityEvents.Base(execution, attempt.Id);
        payload["attempt_number"] = attempt.AttemptNumber;
        payload["failure_id"] = failureId;
        payload["failure_category"] = ActivityFailure.Category;
        payload["non_retryable"] = nonRetryable;
        AddFailureKeys(payload, failure, exception);
        await HistoryStore.AppendAsync(tx, run.Id, [ActivityEvents.Finish("ActivityFailed", payload, execution, "failed",
            ActivityEvents.Attempt(attempt, "failed", null, attempt.LastHeartbeatAt))], null, null, cancellationToken);
        return next;
    }

    private static void AddFailureKeys(JsonObject payload, ActivityFailure failure, JsonObject exception)
    {
        payload["exception_type"] = failure.Type;
        payload["exception_class"] = failure.ExceptionClass;
        payload["message"] = failure.Message;
        payload["code"] = failure.Code;
        payload["exception"] = exception;
    }

    private static ApiResult<JsonObject> Recorded(string taskId, string attemptId, string outcome, string? nextTaskId) =>
        ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["task_id"] = taskId,
            ["activity_attempt_id"] = attemptId,
            ["outcome"] = outcome,
            ["recorded"] = true,
            ["reason"] = null,
            ["next_task_id"] = nextTaskId,
        });

    /// <summary>
    /// Claims, records the poll and commits, in the transaction the poll runner hands over (see
    /// <see cref="PollTransactions"/>), which this method owns; the payload is built from what the claim statement returned.
    /// </summary>
    private async Task<PollClaim<JsonObject>> TryClaimAsync(
        string ns, WorkerRegistration worker, PollReservation? reservation, EngineTransaction tx, bool look, CancellationToken cancellationToken)
    {
        var attemptId = Ulid.NewId();
        var claim = await ActivityStore.ClaimAsync(tx, ns, worker, attemptId, reservation, look, cancellationToken);
        if (claim.Value is not { } claimed)
        {
            return new PollClaim<JsonObject>(null, claim.Refused, claim.Look);
        }

        var (task, execution, attempt, workflowId) = claimed;
        var payload = ActivityEvents.Base(execution, attemptId);
        payload["attempt_number"] = attempt.AttemptNumber;
        payload["lease_expires_at"] = WireTime.Micro(task.LeaseExpiresAt!.Value);
        await HistoryStore.AppendAsync(tx, task.RunId, [ActivityEvents.Finish("ActivityStarted", payload, execution, "running",
            ActivityEvents.Attempt(attempt, "running", task.LeaseExpiresAt, null))], null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new PollClaim<JsonObject>(
            TaskPayload(task.Id, workflowId, execution, attemptId, attempt.AttemptNumber, task.TaskQueue, worker.WorkerId, task.LeaseExpiresAt.Value),
            Refused: false);
    }

    private async Task<int> RecoverExpiredLeasesAsync(string ns, string queue, CancellationToken cancellationToken) =>
        LoggedRecovery(ns, queue, await ExpiredLeases.RecoverOnQueueAsync(dataSource, wakeBus, ns, "activity", queue, ActivityStore.RecoverExpiredAsync, cancellationToken));

    private async Task<FoundExpiredLeases> FindExpiredLeasesAsync(EngineTransaction tx, string ns, string queue, CancellationToken cancellationToken)
    {
        var found = await ExpiredLeases.FindOnQueueAsync(tx, wakeBus, ns, "activity", queue, ActivityStore.RecoverExpiredAsync, cancellationToken);
        return new FoundExpiredLeases(async token => LoggedRecovery(ns, queue, await found.RecoverAsync(token)));
    }

    private int LoggedRecovery(string ns, string queue, int recovered)
    {
        if (recovered > 0)
        {
            EngineLog.LeasesRecoveredOnQueue(logger, recovered, "activity", ns, queue);
        }

        return recovered;
    }

    private Task<TimeSpan?> NextAvailableAsync(string ns, string queue, CancellationToken cancellationToken) =>
        ExpiredLeases.NextAvailableOnQueueAsync(dataSource, ns, "activity", queue, cancellationToken);

    /// <summary>
    /// Whether the task a recorded poll answer carried is still leased to the worker under the same attempt: a retried
    /// poll (same <c>poll_request_id</c>) then gets it back instead of a second task, and the first lease does not leak.
    /// </summary>
    private async Task<bool> IsReplayableAsync(string ns, string workerId, PollRequestRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT EXISTS (
                SELECT 1 FROM workflow_tasks t
                 WHERE t.id = $1 AND t.namespace = $2 AND t.status = 'leased' AND t.lease_owner = $3
                   AND t.activity_attempt_id = $4 AND t.lease_expires_at > now())
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = record.TaskId! });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(SqlValue.Text(record.ActivityAttemptId));
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>A replayed poll's task, read back as it stands.</summary>
    private async Task<JsonObject> BuildTaskPayloadAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT t.id, t.task_queue, t.lease_owner, t.lease_expires_at, t.activity_attempt_id, a.attempt_number,
                   r.workflow_instance_id, {ActivityExecutionRow.Columns}
              FROM workflow_tasks t
              JOIN workflow_activity_executions e ON e.id = t.activity_execution_id
              JOIN workflow_activity_attempts a ON a.id = t.activity_attempt_id
              JOIN workflow_runs r ON r.id = t.run_id
             WHERE t.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return TaskPayload(reader.GetString(0), reader.GetString(6), ActivityExecutionRow.Read(reader, 7), reader.GetString(4),
            reader.GetInt32(5), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// <summary>The §4.1 task object; keys whose value is null are left out, as PHP does.</summary>
    private static JsonObject TaskPayload(
        string taskId, string workflowId, ActivityExecutionRow execution, string attemptId, int attemptNumber, string taskQueue,
        string leaseOwner, DateTimeOffset leaseExpiresAt)
    {
        var deadlines = new JsonObject();
        foreach (var (key, at) in new[]
                 {
                     ("schedule_to_start", execution.ScheduleDeadlineAt), ("start_to_close", execution.CloseDeadlineAt),
                     ("schedule_to_close", execution.ScheduleToCloseDeadlineAt), ("heartbeat", execution.HeartbeatDeadlineAt),
                 })
        {
            if (at is { } value)
            {
                deadlines[key] = WireTime.Offset(value);
            }
        }

        var task = new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_id"] = workflowId,
            ["run_id"] = execution.RunId,
            ["activity_execution_id"] = execution.Id,
            ["activity_attempt_id"] = attemptId,
            ["idempotency_key"] = execution.Id,
            ["attempt_number"] = attemptNumber,
            ["attempt"] = attemptNumber,
            ["activity_type"] = execution.ActivityType,
            ["payload_codec"] = execution.PayloadCodec,
            ["arguments"] = execution.Arguments?.DeepClone(),
            ["retry_policy"] = ActivityPolicy.Snapshot(execution),
            ["task_queue"] = taskQueue,
            ["lease_owner"] = leaseOwner,
            ["lease_expires_at"] = WireTime.Micro(leaseExpiresAt),
            ["deadlines"] = deadlines.Count == 0 ? null : deadlines,
        };
        foreach (var key in task.Where(pair => pair.Value is null).Select(pair => pair.Key).ToList())
        {
            task.Remove(key);
        }

        return task;
    }

    private static JsonNode? Field(JsonElement? body, string name) =>
        body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var raw) ? JsonNode.Parse(raw.GetRawText()) : null;

    private static JsonNode? Number(JsonElement? body, string name, RequestValidator v)
    {
        var node = Field(body, name);
        if (node is not null && node.GetValueKind() != JsonValueKind.Number)
        {
            v.AddError(name, $"The {name} field must be a number.");
            return null;
        }

        return node;
    }
}
