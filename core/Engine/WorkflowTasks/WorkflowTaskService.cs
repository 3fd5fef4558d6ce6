using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workers;
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
    ServerSettings settings)
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
            new QueueProbe(RecoverExpiredLeasesAsync, NextAvailableAsync),
            poll => new TaskPoll(
                async (reservation, token) => await TryClaimAsync(ns, poll.Worker, reservation, token) is { } task
                    ? await BuildTaskPayloadAsync(task, pageSize, token)
                    : null,
                async (record, token) => await FindReplayableAsync(ns, poll.Worker.WorkerId, record, token) is { } task
                    ? await BuildTaskPayloadAsync(task, pageSize, token)
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

            if (await GuardAsync(tx, found.Run, found.Task, owner!, attempt!.Value, cancellationToken) is { } refused)
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

        if (await GuardAsync(tx, found.Run, found.Task, owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused.With("renewed", false);
        }

        await using var renew = tx.Command(
            "UPDATE workflow_tasks SET lease_expires_at = now() + make_interval(secs => $2), updated_at = now() WHERE id = $1 RETURNING lease_expires_at",
            taskId, settings.WorkflowTaskLeaseSeconds);
        var expires = DbTime.FromScalar(await renew.ExecuteScalarAsync(cancellationToken));
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

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var locked = await WorkflowTaskStore.LockAsync(tx, ns, taskId, cancellationToken);
        if (locked is not { } found)
        {
            return WorkflowTaskStore.TaskNotFound(taskId, attempt!.Value);
        }

        var (run, task) = found;
        if (task.ReplayableResponse is { } previous && task.LeaseOwner == owner && task.AttemptCount == attempt)
        {
            // A retried completion whose answer was lost gets the original answer, and nothing is written twice.
            return ApiResult<JsonObject>.Ok(previous);
        }

        if (await GuardAsync(tx, run, task, owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        var applier = new CommandApplier(tx, run, new CompletingTask(taskId, task.HistoryCutoffSequence ?? 0, task.ResumeContext));
        var (batch, invalid) = await applier.ApplyAsync(commands.Value!, cancellationToken);
        if (invalid is not null)
        {
            // Nothing of the batch may survive; the transaction is rolled back by disposal.
            return new ApiError(409, "invalid_commands", invalid)
                .With("task_id", taskId)
                .With("workflow_task_attempt", attempt)
                .With("outcome", "completed")
                .With("recorded", false);
        }

        var response = new JsonObject
        {
            ["task_id"] = taskId,
            ["workflow_task_attempt"] = attempt,
            ["outcome"] = "completed",
            ["recorded"] = true,
            ["run_id"] = run.Id,
            ["run_status"] = batch!.RunStatus,
            ["created_task_ids"] = new JsonArray([.. batch.CreatedTaskIds.Select(id => (JsonNode?)id)]),
            ["reason"] = null,
        };
        await using (var close = tx.Command(
            "UPDATE workflow_tasks SET status = 'completed', closed_at = now(), outcome_response = $2::jsonb, updated_at = now() WHERE id = $1",
            taskId, response.ToJsonString()))
        {
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        if (batch.RunStatus == RunStatus.Waiting)
        {
            await ResumeForPendingMessagesAsync(tx, run, task.HistoryCutoffSequence ?? 0, response, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(response);
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

        if (await GuardAsync(tx, found.Run, found.Task, owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        // The same row is offered again after the repair back-off (3 s doubling to 60 s); the run never fails from this.
        await using (var retry = tx.Command(
            """
            UPDATE workflow_tasks
               SET status = 'ready',
                   available_at = now() + LEAST(60, 3 * power(2, GREATEST(repair_count - 1, 0))) * interval '1 second',
                   lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL,
                   repair_count = repair_count + 1, last_error = $2, last_failed_at = now(), failure = $3::jsonb, updated_at = now()
             WHERE id = $1
            """,
            taskId, message, failure!.Value.GetRawText()))
        {
            await retry.ExecuteNonQueryAsync(cancellationToken);
        }

        tx.Wake(WakeChannels.WorkflowTasks(ns, found.Task.TaskQueue));
        await tx.CommitAsync(cancellationToken);
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
    /// Signals and updates that arrived while the task was leased are not in its history cutoff; they get the next
    /// task now rather than waiting for something else to wake the run (ENGINE HEAD behaviour).
    /// </summary>
    private static async Task ResumeForPendingMessagesAsync(EngineTransaction tx, RunState run, long cutoff, JsonObject response, CancellationToken cancellationToken)
    {
        await using (var applied = tx.Command(
            "UPDATE workflow_signals SET status = 'applied', applied_at = now() WHERE run_id = $1 AND status = 'received' AND history_sequence <= $2",
            run.Id, cutoff))
        {
            await applied.ExecuteNonQueryAsync(cancellationToken);
        }

        if (await HasUnseenOutcomesAsync(tx, run.Id, cutoff, response["task_id"]!.GetValue<string>(), cancellationToken))
        {
            var resumed = await TaskWriter.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
                run.Compatibility, run.Priority, ResumeContext.None), cancellationToken);
            if (resumed is not null)
            {
                response["created_task_ids"]!.AsArray().Add(resumed);
                return;
            }
        }

        ResumeContext resume;
        await using (var pending = tx.Command(
            """
            (SELECT 'signal' AS kind, id, signal_name, signal_wait_id, workflow_command_id, received_at AS at
               FROM workflow_signals WHERE run_id = $1 AND status = 'received'
              ORDER BY history_sequence LIMIT 1)
            UNION ALL
            (SELECT 'update', id, update_name, NULL, workflow_command_id, accepted_at
               FROM workflow_updates WHERE run_id = $1 AND status = 'accepted'
              ORDER BY accepted_at, id LIMIT 1)
            ORDER BY at
            LIMIT 1
            """,
            run.Id))
        {
            await using var reader = await pending.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return;
            }

            var id = reader.GetString(1);
            var commandId = reader.IsDBNull(4) ? null : reader.GetString(4);
            // Python applies an update only on a task that names it, so an update-driven task carries workflow_update_id.
            resume = reader.GetString(0) == "signal"
                ? ResumeContext.Of(
                    ("workflow_wait_kind", "signal"),
                    ("open_wait_id", $"signal-application:{id}"),
                    ("resume_source_kind", "workflow_signal"),
                    ("resume_source_id", id),
                    ("workflow_signal_id", id),
                    ("signal_name", reader.GetString(2)),
                    ("signal_wait_id", reader.IsDBNull(3) ? null : reader.GetString(3)),
                    ("workflow_command_id", commandId))
                : ResumeContext.Of(
                    ("workflow_wait_kind", "update"),
                    ("open_wait_id", $"update:{id}"),
                    ("resume_source_kind", "workflow_update"),
                    ("resume_source_id", id),
                    ("workflow_update_id", id),
                    ("workflow_command_id", commandId));
        }

        var next = await TaskWriter.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, resume), cancellationToken);
        if (next is not null)
        {
            response["created_task_ids"]!.AsArray().Add(next);
        }
    }

    /// <summary>
    /// An activity, timer or child outcome recorded while this task was leased could not create its own task (one open
    /// workflow task per run), and this task's history stopped before it: the run needs another task to see it.
    /// </summary>
    private static async Task<bool> HasUnseenOutcomesAsync(EngineTransaction tx, string runId, long cutoff, string taskId, CancellationToken cancellationToken)
    {
        await using var unseen = tx.Command(
            """
            SELECT EXISTS (
                SELECT 1 FROM workflow_history_events
                 WHERE run_id = $1 AND sequence > $2 AND workflow_task_id IS DISTINCT FROM $3
                   AND event_type IN ('ActivityCompleted', 'ActivityFailed', 'ActivityTimedOut', 'ActivityCancelled', 'TimerFired',
                                      'ChildRunCompleted', 'ChildRunFailed', 'ChildRunCancelled', 'ChildRunTerminated'))
            """,
            runId, cutoff, taskId);
        return await unseen.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task<ApiError?> GuardAsync(
        EngineTransaction tx, RunState run, WorkflowTaskRow task, string owner, int attempt, CancellationToken cancellationToken)
    {
        var refused = WorkflowTaskStore.Guard(run, task, owner, attempt);
        if (refused?.Reason == "lease_expired")
        {
            // The late holder learns its lease is gone, and the task goes back to the queue in the same breath.
            await WorkflowTaskStore.RecoverExpiredAsync(tx, run, task.Id, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        return refused;
    }

    private Task<int> RecoverExpiredLeasesAsync(string ns, string queue, CancellationToken cancellationToken) =>
        ExpiredLeases.RecoverOnQueueAsync(dataSource, wakeBus, ns, "workflow", queue, WorkflowTaskStore.RecoverExpiredAsync, cancellationToken);

    private Task<TimeSpan?> NextAvailableAsync(string ns, string queue, CancellationToken cancellationToken) =>
        ExpiredLeases.NextAvailableOnQueueAsync(dataSource, ns, "workflow", queue, cancellationToken);

    private async Task<WorkflowTaskRow?> TryClaimAsync(
        string ns, WorkerRegistration worker, PollReservation? reservation, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        WorkflowTaskRow? claimed;
        await using (var claim = tx.Command(
            $"""
            WITH picked AS (
                SELECT t.id, r.last_history_sequence
                  FROM workflow_tasks t
                  JOIN workflow_runs r ON r.id = t.run_id
                 WHERE t.status = 'ready'
                   AND t.namespace = $1 AND t.task_type = 'workflow' AND t.task_queue = $2
                   AND t.available_at <= now()
                   AND (t.compatibility IS NULL OR t.compatibility = $3)
                   AND (cardinality($4::text[]) = 0 OR t.workflow_type = ANY ($4))
                   AND r.status IN ('pending', 'running', 'waiting')
                   AND (r.workflow_definition_fingerprint IS NULL OR r.workflow_definition_fingerprint = ($5::jsonb ->> r.workflow_type))
                 ORDER BY t.priority, t.available_at, t.id
                 LIMIT 1
                   FOR UPDATE OF t SKIP LOCKED
                   FOR NO KEY UPDATE OF r SKIP LOCKED)
            UPDATE workflow_tasks t
               SET status = 'leased', lease_owner = $6, leased_at = now(),
                   lease_expires_at = now() + make_interval(secs => $7), attempt_count = t.attempt_count + 1,
                   history_cutoff_sequence = picked.last_history_sequence,
                   last_claim_error = NULL, last_claim_failed_at = NULL, last_dispatched_at = now(), updated_at = now()
              FROM picked
             WHERE t.id = picked.id
            RETURNING {WorkflowTaskRow.ColumnsOf("t")}
            """,
            ns, worker.TaskQueue, RunWriter.Text(worker.MatchingBuildId), worker.SupportedWorkflowTypes.ToArray(),
            JsonSerializer.Serialize(worker.WorkflowDefinitionFingerprints), worker.WorkerId, settings.WorkflowTaskLeaseSeconds))
        {
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            claimed = await reader.ReadAsync(cancellationToken) ? WorkflowTaskRow.Read(reader) : null;
        }

        if (claimed is null)
        {
            return null;
        }

        await using (var running = tx.Command(
            """
            UPDATE workflow_runs
               SET status = CASE WHEN status IN ('pending', 'waiting') THEN 'running' ELSE status END,
                   liveness_state = 'workflow_task_leased', next_task_id = $2, next_task_type = 'workflow',
                   next_task_status = 'leased', updated_at = now()
             WHERE id = $1
            """,
            claimed.RunId, claimed.Id))
        {
            await running.ExecuteNonQueryAsync(cancellationToken);
        }

        if (reservation is not null
            && !await PollRequestStore.RecordClaimAsync(tx, reservation, claimed.Id, claimed.AttemptCount, null, claimed.LeaseExpiresAt!.Value, cancellationToken))
        {
            // This poll's reservation expired and a duplicate took the key over: disposal rolls the lease back.
            return null;
        }

        await tx.CommitAsync(cancellationToken);
        return claimed;
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
        command.Parameters.Add(RunWriter.Int(record.TaskAttempt));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? WorkflowTaskRow.Read(reader) : null;
    }

    private async Task<JsonObject> BuildTaskPayloadAsync(WorkflowTaskRow task, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT workflow_instance_id, workflow_type, payload_codec, arguments::text, status FROM workflow_runs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = task.RunId });
        string workflowId;
        string workflowType;
        string codec;
        JsonNode? arguments;
        string runStatus;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            workflowId = reader.GetString(0);
            workflowType = reader.GetString(1);
            codec = reader.GetString(2);
            arguments = reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3));
            runStatus = reader.GetString(4);
        }

        var cutoff = task.HistoryCutoffSequence ?? 0;
        var page = await ReadHistoryPageAsync(task.RunId, 0, cutoff, pageSize, cancellationToken);
        var payload = new JsonObject
        {
            ["task_id"] = task.Id,
            ["workflow_id"] = workflowId,
            ["run_id"] = task.RunId,
            ["workflow_task_attempt"] = task.AttemptCount,
            ["workflow_type"] = workflowType,
            ["payload_codec"] = codec,
            ["arguments"] = arguments,
            ["run_status"] = runStatus,
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
        var array = new JsonArray([.. events.Select(e => JsonSerializer.SerializeToNode(WorkerHistoryEvent.From(e)))]);
        var last = events.Count > 0 ? events[^1].Sequence : after;
        return (array, last < cutoff ? HistoryPageToken.Encode(last) : null);
    }
}
