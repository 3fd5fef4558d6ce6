using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>
/// The workflow-task half of the worker plane (worker-protocol spec §3): long-poll claims, history pages, heartbeats,
/// completions and failures. Every state change is one transaction; wake signals only shorten waits.
/// </summary>
public sealed class WorkflowTaskService(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    PollRunner polls,
    ServerSettings settings,
    ILogger<WorkflowTaskService> logger)
{
    public const int DefaultHistoryPageSize = 500;
    public const int MaxHistoryPageSize = 1000;

    public async Task<ApiResult<JsonObject>> PollAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var pageSize = v.Integer("history_page_size", min: 1, max: MaxHistoryPageSize) ?? DefaultHistoryPageSize;
        return await polls.RunAsync(
            ns,
            v,
            PollKind.Workflow,
            settings.WorkerPollTimeoutSeconds,
            new QueueProbe(RecoverExpiredLeasesAsync, NextAvailableAsync, FindExpiredLeasesAsync),
            poll => new TaskPoll(
                async (reservation, tx, look, token) => await TryClaimAsync(ns, poll.Worker, reservation, tx, pageSize, look, token),
                async (record, token) => await FindReplayableAsync(ns, poll.Worker.WorkerId, record, token) is { } task
                    ? TaskPayload(task, await ReadRunFieldsAsync(task.RunId, token),
                        await ReadHistoryPageAsync(task.RunId, 0, task.HistoryCutoffSequence ?? 0, pageSize, token))
                    : null),
            cancellationToken);
    }

    public async Task<ApiResult<JsonObject>> HistoryAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("workflow_task_attempt", required: true, min: 1, max: int.MaxValue);
        var token = v.String("next_history_page_token", required: true);
        var pageSize = v.Integer("history_page_size", min: 1, max: MaxHistoryPageSize) ?? DefaultHistoryPageSize;
        if (!v.IsValid)
        {
            return v.ToError();
        }

        WorkflowTaskRow task;
        await using (var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken))
        {
            var locked = await WorkflowTaskStore.LockAsync(tx, ns, taskId, cancellationToken);
            if (locked is not { } found)
            {
                return WorkflowTaskStore.TaskNotFound(taskId, attempt!.Value);
            }

            if (await GuardOrCommitRecoveryAsync(tx, found.Run, found.Task, "history", owner!, attempt!.Value, cancellationToken) is { } refused)
            {
                return refused;
            }

            task = found.Task;
            await tx.CommitAsync(cancellationToken);
        }

        if (!HistoryPageToken.TryDecode(token, out var after))
        {
            return new ApiError(400, "invalid_page_token", "The history page token is invalid.").With("task_id", taskId);
        }

        var page = await ReadHistoryPageAsync(task.RunId, after, task.HistoryCutoffSequence ?? 0, pageSize, cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_task_attempt"] = attempt,
            ["history_events"] = page.Events,
            ["total_history_events"] = task.HistoryCutoffSequence ?? 0,
            ["next_history_page_token"] = page.NextToken,
        });
    }

    public async Task<ApiResult<JsonObject>> HeartbeatAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("workflow_task_attempt", required: true, min: 1, max: int.MaxValue);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var locked = await WorkflowTaskStore.LockAsync(tx, ns, taskId, cancellationToken);
        if (locked is not { } found)
        {
            return WorkflowTaskStore.TaskNotFound(taskId, attempt!.Value).With("renewed", false);
        }

        if (await GuardOrCommitRecoveryAsync(tx, found.Run, found.Task, "heartbeat", owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused.With("renewed", false);
        }

        var expires = await WorkflowTaskStore.RenewAsync(tx, taskId, settings.WorkflowTaskLeaseSeconds, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_task_attempt"] = attempt,
            ["lease_owner"] = owner,
            ["renewed"] = true,
            ["lease_expires_at"] = WireTime.Micro(expires),
            ["run_status"] = found.Run.Status,
            ["task_status"] = "leased",
            ["reason"] = null,
        });
    }

    /// <summary>
    /// Completes a leased workflow task in one transaction (worker-protocol spec §3.4): validate, lock, replay the stored
    /// answer to an identical retry, guard the lease, apply the command batch, close the task, create the follow-up task
    /// for what arrived during the lease, and record the answer with the task.
    /// </summary>
    public async Task<ApiResult<JsonObject>> CompleteAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("workflow_task_attempt", required: true, min: 1, max: int.MaxValue);
        var commandsNode = body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("commands", out var raw)
            ? JsonNode.Parse(raw.GetRawText())
            : null;
        var commands = CommandValidator.Validate(commandsNode);
        if (commands.Error?.Details["errors"] is JsonObject commandErrors)
        {
            foreach (var (field, messages) in commandErrors)
            {
                foreach (var message in messages!.AsArray())
                {
                    v.AddError(field, (string)message!);
                }
            }
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        var requestSha256 = SHA256.HashData(Encoding.UTF8.GetBytes(commandsNode?.ToJsonString() ?? "null"));
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var locked = await WorkflowTaskStore.LockAsync(tx, ns, taskId, cancellationToken);
        if (locked is not { } found)
        {
            return WorkflowTaskStore.TaskNotFound(taskId, attempt!.Value);
        }

        var (run, task) = found;
        if (task.ReplayableResponse is { } previous && task.LeaseOwner == owner && task.AttemptCount == attempt
            && task.ReplayableRequestSha256 is { } answered && CryptographicOperations.FixedTimeEquals(answered, requestSha256))
        {
            // A retried completion whose answer was lost gets the original answer, and nothing is written twice. A
            // different body falls through to the guard, which refuses it: the task is no longer leased.
            EngineLog.CompletionReplayed(logger, taskId, attempt!.Value);
            return ApiResult<JsonObject>.Ok(previous);
        }

        if (await GuardOrCommitRecoveryAsync(tx, run, task, "completion", owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        var applier = new CommandApplier(tx, run, new CompletingTask(taskId, task.HistoryCutoffSequence ?? 0, task.ResumeContext));
        var (batch, invalid) = await applier.ApplyAsync(commands.Value!, cancellationToken);
        if (invalid is not null)
        {
            // Nothing of the batch may survive; the transaction is rolled back by disposal.
            EngineLog.CommandBatchRefused(logger, taskId, run.Id, invalid);
            return new ApiError(409, "invalid_commands", invalid)
                .With("task_id", taskId)
                .With("workflow_task_attempt", attempt)
                .With("outcome", "completed")
                .With("recorded", false);
        }

        // The task closes (with its answer) before the follow-up is created: one open workflow task per run is an index,
        // not a check. A run left waiting records that wait with the task's close. A follow-up is rare, and then the
        // answer is rewritten to name it.
        var createdTaskIds = new JsonArray([.. batch!.CreatedTaskIds.Select(id => (JsonNode?)id)]);
        var answer = new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_task_attempt"] = attempt,
            ["outcome"] = "completed",
            ["recorded"] = true,
            ["run_id"] = run.Id,
            ["run_status"] = batch.RunStatus,
            ["created_task_ids"] = createdTaskIds,
            ["reason"] = null,
        };
        if (batch.Waiting is not { } waiting)
        {
            await WorkflowTaskStore.CompleteAsync(tx, taskId, answer, requestSha256, cancellationToken);
        }
        else if (await LeasedTaskFollowUp.CreateAsync(tx, run, task, new ClosingTask(answer, requestSha256, waiting), cancellationToken) is { } followUp)
        {
            createdTaskIds.Add(followUp);
            await WorkflowTaskStore.RecordAnswerAsync(tx, taskId, answer, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(answer);
    }

    public async Task<ApiResult<JsonObject>> FailAsync(string ns, string taskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("workflow_task_attempt", required: true, min: 1, max: int.MaxValue);
        var failure = v.Object("failure");
        var message = failure is { } f ? new RequestValidator(f).String("message") : null;
        if (failure is not null && string.IsNullOrWhiteSpace(message))
        {
            v.AddError("failure.message", "The failure.message field is required.");
        }
        else if (failure is null && v.IsValid)
        {
            v.AddError("failure", "The failure field is required.");
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var locked = await WorkflowTaskStore.LockAsync(tx, ns, taskId, cancellationToken);
        if (locked is not { } found)
        {
            return WorkflowTaskStore.TaskNotFound(taskId, attempt!.Value);
        }

        if (await GuardOrCommitRecoveryAsync(tx, found.Run, found.Task, "failure", owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        await WorkflowTaskStore.RetryAfterFailureAsync(tx, taskId, message!, failure!.Value.GetRawText(), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        EngineLog.WorkflowTaskFailed(logger, owner!, taskId, attempt!.Value);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_task_attempt"] = attempt,
            ["outcome"] = "failed",
            ["recorded"] = true,
            ["reason"] = null,
            ["next_task_id"] = null,
        });
    }

    /// <summary>
    /// The ownership guard. A lease found expired is recovered on the spot and that recovery is COMMITTED here, so the
    /// late holder learns its lease is gone and the task is back in the queue in the same breath; the caller must not
    /// write anything else in <paramref name="tx"/> after a refusal.
    /// </summary>
    private async Task<ApiError?> GuardOrCommitRecoveryAsync(
        EngineTransaction tx, RunState run, WorkflowTaskRow task, string operation, string owner, int attempt, CancellationToken cancellationToken)
    {
        var refused = WorkflowTaskStore.Guard(run, task, owner, attempt);
        if (refused is null)
        {
            return null;
        }

        EngineLog.WorkflowTaskFenced(logger, operation, task.Id, attempt, owner, refused.Reason);
        if (refused.Reason == "lease_expired" && await WorkflowTaskStore.RecoverExpiredAsync(tx, run, task.Id, cancellationToken))
        {
            await tx.CommitAsync(cancellationToken);
            EngineLog.LeaseRecovered(logger, "workflow", task.Id, run.Namespace, task.TaskQueue, run.IsOpen);
        }

        return refused;
    }

    private async Task<int> RecoverExpiredLeasesAsync(string ns, string queue, CancellationToken cancellationToken) =>
        LoggedRecovery(ns, queue, await ExpiredLeases.RecoverOnQueueAsync(
            dataSource, wakeBus, ns, "workflow", queue, WorkflowTaskStore.RecoverExpiredAsync, cancellationToken, RecoveryLimits));

    private async Task<FoundExpiredLeases> FindExpiredLeasesAsync(EngineTransaction tx, string ns, string queue, CancellationToken cancellationToken)
    {
        var found = await ExpiredLeases.FindOnQueueAsync(tx, wakeBus, ns, "workflow", queue, WorkflowTaskStore.RecoverExpiredAsync, cancellationToken, RecoveryLimits);
        return new FoundExpiredLeases(async token => LoggedRecovery(ns, queue, await found.RecoverAsync(token)));
    }

    private ExpiredLeaseRecoveryLimits RecoveryLimits =>
        new(settings.ExpiredWorkflowTaskRecoveryScanLimit, settings.ExpiredWorkflowTaskRecoveryTtlSeconds);

    private int LoggedRecovery(string ns, string queue, int recovered)
    {
        if (recovered > 0)
        {
            EngineLog.LeasesRecoveredOnQueue(logger, recovered, "workflow", ns, queue);
        }

        return recovered;
    }

    private Task<TimeSpan?> NextAvailableAsync(string ns, string queue, CancellationToken cancellationToken) =>
        ExpiredLeases.NextAvailableOnQueueAsync(dataSource, ns, "workflow", queue, cancellationToken);

    /// <summary>
    /// Claims, records the poll, reads the first history page and commits, normally in one statement (see
    /// <see cref="WorkflowTaskStore.ClaimAsync"/>), in the transaction the poll runner hands over (see
    /// <see cref="PollTransactions"/>), which stays the runner's: nothing claimable leaves it untouched, and a refused
    /// claim leaves it for the runner to roll back.
    /// </summary>
    private async Task<PollClaim<JsonObject>> TryClaimAsync(
        string ns, WorkerRegistration worker, PollReservation? reservation, EngineTransaction tx, int pageSize, bool look,
        CancellationToken cancellationToken)
    {
        var claim = await WorkflowTaskStore.ClaimAsync(
            tx, ns, worker, settings.WorkflowTaskLeaseSeconds, settings.Compatibility.PinToRecordedFingerprint, reservation, pageSize, look,
            cancellationToken);
        if (claim.Value is not { } claimed)
        {
            return new PollClaim<JsonObject>(null, claim.Refused, claim.Look);
        }

        var cutoff = claimed.Task.HistoryCutoffSequence ?? 0;
        var events = claimed.PageIsShort
            ? await HistoryStore.ReadPageAsync(tx, claimed.Task.RunId, 0, cutoff, pageSize, cancellationToken)
            : claimed.FirstPage;
        var page = Page(events, 0, cutoff);
        await tx.CommitAsync(cancellationToken);
        return new PollClaim<JsonObject>(TaskPayload(claimed.Task, claimed.Run, page), Refused: false);
    }

    /// <summary>
    /// The task a recorded poll answer carried, while that lease is still the worker's: a retried poll (same
    /// <c>poll_request_id</c>) gets it back instead of a second task, and the first lease does not leak.
    /// </summary>
    private async Task<WorkflowTaskRow?> FindReplayableAsync(string ns, string workerId, PollRequestRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {WorkflowTaskRow.ColumnsOf("t")}
              FROM workflow_tasks t
             WHERE t.id = $1 AND t.namespace = $2 AND t.status = 'leased' AND t.lease_owner = $3 AND t.attempt_count = $4
               AND t.lease_expires_at > now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = record.TaskId! });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(SqlValue.Int(record.TaskAttempt));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? WorkflowTaskRow.Read(reader) : null;
    }

    /// <summary>A replayed poll's run fields, read back as they stand (a fresh claim gets them from its statement).</summary>
    private async Task<TaskRunFields> ReadRunFieldsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT workflow_instance_id, workflow_type, payload_codec, arguments::text, status FROM workflow_runs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TaskRunFields(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.JsonOrNull(3), reader.GetString(4));
    }

    private static JsonObject TaskPayload(WorkflowTaskRow task, TaskRunFields run, (JsonArray Events, string? NextToken) page)
    {
        var cutoff = task.HistoryCutoffSequence ?? 0;
        var payload = new JsonObject
        {
            ["task_id"] = task.Id,
            ["workflow_id"] = run.WorkflowId,
            ["run_id"] = task.RunId,
            ["workflow_task_attempt"] = task.AttemptCount,
            ["workflow_type"] = run.WorkflowType,
            ["payload_codec"] = run.PayloadCodec,
            ["arguments"] = run.Arguments,
            ["run_status"] = run.Status,
            ["last_history_sequence"] = cutoff,
            ["history_events"] = page.Events,
            ["total_history_events"] = cutoff,
            ["next_history_page_token"] = page.NextToken,
            ["task_queue"] = task.TaskQueue,
            ["connection"] = null,
            ["compatibility"] = task.Compatibility,
            ["lease_owner"] = task.LeaseOwner,
            ["lease_expires_at"] = task.LeaseExpiresAt is { } e ? WireTime.Micro(e) : null,
            ["task_kind"] = "workflow",
        };
        foreach (var (key, value) in ResumeContext.Expand(task.ResumeContext))
        {
            payload[key] = value?.DeepClone();
        }

        return payload;
    }

    private async Task<(JsonArray Events, string? NextToken)> ReadHistoryPageAsync(string runId, long after, long cutoff, int pageSize, CancellationToken cancellationToken)
    {
        var events = await HistoryStore.ReadPageAsync(dataSource, runId, after, cutoff, pageSize, cancellationToken);
        return Page(events, after, cutoff);
    }

    private static (JsonArray Events, string? NextToken) Page(IReadOnlyList<HistoryEventRecord> events, long after, long cutoff)
    {
        var array = new JsonArray([.. events.Select(e => JsonSerializer.SerializeToNode(WorkerHistoryEvent.From(e)))]);
        var last = events.Count > 0 ? events[^1].Sequence : after;
        return (array, last < cutoff ? HistoryPageToken.Encode(last) : null);
    }
}
