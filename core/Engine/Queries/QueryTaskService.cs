using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Queries;

/// <summary>
/// The query-task half of the worker plane (worker-protocol spec §5.2–§5.4): long-poll leases, completions and
/// failures. A completion or failure wakes the control-plane caller waiting in <see cref="QueryTaskBroker"/>.
/// </summary>
public sealed class QueryTaskService(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    PollRunner polls,
    ServerSettings settings)
{
    public async Task<ApiResult<JsonObject>> PollAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        return await polls.RunAsync(
            ns,
            v,
            PollKind.Query,
            settings.WorkerPollTimeoutSeconds,
            new QueueProbe(ReleaseExpiredLeasesAsync, NextAvailableAsync, ReleaseExpiredLeasesAsync),
            poll => new TaskPoll(
                async (reservation, tx, look, token) => await TryClaimAsync(ns, poll.Worker, reservation, tx, look, token),
                async (record, token) => await FindReplayableAsync(ns, poll.Worker.WorkerId, record, token) is { } task
                    ? await BuildTaskPayloadAsync(task, token)
                    : null),
            cancellationToken);
    }

    public async Task<ApiResult<JsonObject>> CompleteAsync(string ns, string queryTaskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("query_task_attempt", required: true, min: 1, max: int.MaxValue);
        var envelope = v.Object("result_envelope");
        if (envelope is { } e)
        {
            // Handed to the caller verbatim, so it must be a complete inline envelope.
            foreach (var key in new[] { "codec", "blob" })
            {
                if (!e.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.String)
                {
                    v.AddError($"result_envelope.{key}", $"The result_envelope.{key} field is required and must be a string.");
                }
            }

            if (v.IsValid && PayloadInput.ParseCommandPayload(JsonNode.Parse(e.GetRawText()), null, "result_envelope") is { IsValid: false } parsed)
            {
                v.AddError(parsed.ErrorField ?? "result_envelope", parsed.Error!);
            }
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        var result = body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("result", out var raw) && raw.ValueKind != JsonValueKind.Null
            ? raw.GetRawText()
            : null;
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await GuardAsync(tx, ns, queryTaskId, owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        await using (var complete = tx.Command(
            """
            UPDATE workflow_query_tasks
               SET status = 'completed', result = $2::jsonb, result_envelope = $3::jsonb, closed_at = now()
             WHERE id = $1
            """,
            queryTaskId, SqlValue.JsonText(result), SqlValue.JsonText(envelope?.GetRawText())))
        {
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        tx.Wake(WakeChannels.QueryResult(queryTaskId));
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["query_task_id"] = queryTaskId,
            ["query_task_attempt"] = attempt,
            ["outcome"] = "completed",
        });
    }

    public async Task<ApiResult<JsonObject>> FailAsync(string ns, string queryTaskId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var owner = v.String("lease_owner", required: true);
        var attempt = v.Integer("query_task_attempt", required: true, min: 1, max: int.MaxValue);
        var failure = v.Object("failure");
        string? message = null;
        string? reason = null;
        if (failure is { } f)
        {
            message = new RequestValidator(f).String("message");
            var reasonField = new RequestValidator(f);
            reason = reasonField.String("reason", maxLength: 255);
            if (string.IsNullOrWhiteSpace(message))
            {
                v.AddError("failure.message", "The failure.message field is required.");
            }

            if (!reasonField.IsValid)
            {
                v.AddError("failure.reason", "The failure.reason field must be a string of at most 255 characters.");
            }
        }
        else if (v.IsValid)
        {
            v.AddError("failure", "The failure field is required.");
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        reason = string.IsNullOrWhiteSpace(reason) ? "query_rejected" : reason;
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await GuardAsync(tx, ns, queryTaskId, owner!, attempt!.Value, cancellationToken) is { } refused)
        {
            return refused;
        }

        await using (var fail = tx.Command(
            """
            UPDATE workflow_query_tasks
               SET status = 'failed', failure_reason = $2, failure_message = $3, failure = $4::jsonb, closed_at = now()
             WHERE id = $1
            """,
            queryTaskId, reason, message, failure!.Value.GetRawText()))
        {
            await fail.ExecuteNonQueryAsync(cancellationToken);
        }

        tx.Wake(WakeChannels.QueryResult(queryTaskId));
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["query_task_id"] = queryTaskId,
            ["query_task_attempt"] = attempt,
            ["outcome"] = "failed",
            ["reason"] = reason,
        });
    }

    /// <summary>The lease guard of docs/schema.md §6.9, in the spec's order; the row stays locked for the update.</summary>
    private static async Task<ApiError?> GuardAsync(
        EngineTransaction tx, string ns, string queryTaskId, string owner, int attempt, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            """
            SELECT status, lease_owner, attempt_count, lease_expires_at, lease_expires_at <= now()
              FROM workflow_query_tasks
             WHERE id = $1 AND namespace = $2
               FOR UPDATE
            """,
            queryTaskId, ns);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Rejected(404, "query_task_not_found", "Query task not found.", queryTaskId);
        }

        var leaseOwner = reader.StringOrNull(1);
        var currentAttempt = reader.GetInt32(2);
        if (reader.GetString(0) != "leased")
        {
            return Rejected(409, "query_task_not_leased", "Query task is not currently leased.", queryTaskId);
        }

        if (leaseOwner != owner)
        {
            return Rejected(409, "lease_owner_mismatch", "Query task lease is owned by another worker.", queryTaskId)
                .With("lease_owner", leaseOwner);
        }

        if (currentAttempt != attempt)
        {
            return Rejected(409, "query_task_attempt_mismatch", "Query task lease attempt does not match the current claim.", queryTaskId)
                .With("current_attempt", currentAttempt);
        }

        if (!reader.IsDBNull(4) && reader.GetBoolean(4))
        {
            return Rejected(409, "lease_expired", "Query task lease has expired.", queryTaskId)
                .With("lease_expires_at", WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return null;
    }

    private static ApiError Rejected(int status, string reason, string message, string queryTaskId) =>
        new ApiError(status, reason, message).With("query_task_id", queryTaskId).With("outcome", "rejected");

    /// <summary>An expired lease goes back to pending while its caller still waits, so another worker can answer.</summary>
    private async Task<int> ReleaseExpiredLeasesAsync(string ns, string queue, CancellationToken cancellationToken)
    {
        await using var release = dataSource.CreateCommand(ReleaseExpiredSql);
        return await ReleaseExpiredLeasesAsync(release, ns, queue, cancellationToken);
    }

    /// <summary>
    /// A poll's first probe releases the expired leases in its claim's transaction: one statement, so the release
    /// itself is the lookup, and it takes effect with that transaction's commit.
    /// </summary>
    private static async Task<FoundExpiredLeases> ReleaseExpiredLeasesAsync(EngineTransaction tx, string ns, string queue, CancellationToken cancellationToken)
    {
        await using var release = tx.Command(ReleaseExpiredSql);
        return FoundExpiredLeases.Released(await ReleaseExpiredLeasesAsync(release, ns, queue, cancellationToken));
    }

    private const string ReleaseExpiredSql =
        """
        UPDATE workflow_query_tasks
           SET status = 'pending', lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL
         WHERE status = 'leased' AND lease_expires_at <= now() AND namespace = $1 AND task_queue = $2
           AND wait_deadline_at > now()
        """;

    private static async Task<int> ReleaseExpiredLeasesAsync(NpgsqlCommand release, string ns, string queue, CancellationToken cancellationToken)
    {
        release.Parameters.Add(new NpgsqlParameter { Value = ns });
        release.Parameters.Add(new NpgsqlParameter { Value = queue });
        return await release.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Zero when a pending query task of the queue is waiting for a worker, else how long until the earliest lease of a
    /// still-awaited query task runs out; null when neither exists.
    /// </summary>
    private async Task<TimeSpan?> NextAvailableAsync(string ns, string queue, CancellationToken cancellationToken)
    {
        await using var next = dataSource.CreateCommand(
            """
            SELECT extract(epoch FROM LEAST(
                       CASE WHEN EXISTS (SELECT 1 FROM workflow_query_tasks
                                          WHERE status = 'pending' AND namespace = $1 AND task_queue = $2 AND wait_deadline_at > now())
                            THEN now() END,
                       (SELECT min(lease_expires_at) FROM workflow_query_tasks
                         WHERE status = 'leased' AND namespace = $1 AND task_queue = $2 AND wait_deadline_at > now())) - now())::float8
            """);
        next.Parameters.Add(new NpgsqlParameter { Value = ns });
        next.Parameters.Add(new NpgsqlParameter { Value = queue });
        return await next.ExecuteScalarAsync(cancellationToken) is double seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    private const string LeasedColumns =
        """
        q.id, q.attempt_count, q.run_id, q.workflow_instance_id, q.workflow_type, q.query_name,
        q.payload_codec, q.query_arguments::text, q.task_queue, q.lease_owner, q.lease_expires_at
        """;

    /// <summary>The claim of a query poll, in the transaction the poll runner owns (see <see cref="TaskPoll"/>).</summary>
    private async Task<PollClaim<JsonObject>> TryClaimAsync(
        string ns, WorkerRegistration worker, PollReservation? reservation, EngineTransaction tx, bool look, CancellationToken cancellationToken)
    {
        var claim = await TryLeaseAsync(ns, worker, reservation, tx, cancellationToken);
        return claim.Value is { } task
            ? new PollClaim<JsonObject>(await BuildTaskPayloadAsync(task, cancellationToken), Refused: false)
            : new PollClaim<JsonObject>(null, claim.Refused, look ? QueryLook : default);
    }

    /// <summary>
    /// What a query poll's empty claim reports when asked to look: that other parked query polls should try. Queries are
    /// few and short-lived, so this keeps their wake-up as broad as a signal to all rather than reading the queue again.
    /// </summary>
    private static readonly ClaimLook QueryLook = new(Mine: false, Any: true);

    /// <summary>
    /// Leases the oldest eligible query task. With a reservation, the same transaction records the lease under the
    /// poll's <c>poll_request_id</c>, so a retried poll whose answer was lost gets this task back instead of stranding
    /// it until the lease runs out.
    /// </summary>
    private async Task<PollClaim<LeasedQueryTask>> TryLeaseAsync(
        string ns, WorkerRegistration worker, PollReservation? reservation, EngineTransaction tx, CancellationToken cancellationToken)
    {
        LeasedQueryTask? leased;
        await using (var claim = tx.Command(
            $"""
            UPDATE workflow_query_tasks q
               SET status = 'leased', lease_owner = $3, leased_at = now(),
                   lease_expires_at = now() + make_interval(secs => $6), attempt_count = q.attempt_count + 1
             WHERE q.id = (SELECT id FROM workflow_query_tasks
                            WHERE status = 'pending' AND namespace = $1 AND task_queue = $2
                              AND wait_deadline_at > now()
                              AND (cardinality($4::text[]) = 0 OR workflow_type = ANY ($4))
                              AND (required_fingerprint IS NULL OR required_fingerprint = ($5::jsonb ->> workflow_type))
                            ORDER BY created_at, id
                            LIMIT 1
                              FOR UPDATE SKIP LOCKED)
            RETURNING {LeasedColumns}
            """,
            ns, worker.TaskQueue, worker.WorkerId, worker.SupportedWorkflowTypes.ToArray(),
            JsonSerializer.Serialize(worker.WorkflowDefinitionFingerprints), QueryTaskBroker.LeaseSeconds))
        {
            leased = await ReadLeasedAsync(claim, cancellationToken);
        }

        if (leased is null)
        {
            return default;
        }

        if (reservation is not null
            && !await PollRequestStore.RecordClaimAsync(tx, reservation, leased.Id, leased.Attempt, null, leased.LeaseExpiresAt, cancellationToken))
        {
            // Another poll holds the key: the caller rolls the lease back.
            return new PollClaim<LeasedQueryTask>(null, Refused: true);
        }

        await tx.CommitAsync(cancellationToken);
        return new PollClaim<LeasedQueryTask>(leased, Refused: false);
    }

    /// <summary>The task a recorded poll answer carried, while that lease is still this worker's.</summary>
    private async Task<LeasedQueryTask?> FindReplayableAsync(string ns, string workerId, PollRequestRecord record, CancellationToken cancellationToken)
    {
        await using var replay = dataSource.CreateCommand(
            $"""
            SELECT {LeasedColumns}
              FROM workflow_query_tasks q
             WHERE q.id = $1 AND q.namespace = $2 AND q.status = 'leased' AND q.lease_owner = $3 AND q.attempt_count = $4
               AND q.lease_expires_at > now()
            """);
        replay.Parameters.Add(new NpgsqlParameter { Value = record.TaskId! });
        replay.Parameters.Add(new NpgsqlParameter { Value = ns });
        replay.Parameters.Add(new NpgsqlParameter { Value = workerId });
        replay.Parameters.Add(SqlValue.Int(record.TaskAttempt));
        return await ReadLeasedAsync(replay, cancellationToken);
    }

    private static async Task<LeasedQueryTask?> ReadLeasedAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new LeasedQueryTask(
            reader.GetString(0),
            reader.GetInt32(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetString(4),
            reader.GetString(5),
            reader.GetString(6),
            reader.JsonOrNull(7),
            reader.GetString(8),
            reader.GetString(9),
            reader.GetFieldValue<DateTimeOffset>(10));
    }

    /// <summary>
    /// The task object of worker-protocol spec §5.2. The Python worker replays the <b>complete</b> history, so it is
    /// served unpaged, cut at the sequence the payload reports.
    /// </summary>
    private async Task<JsonObject> BuildTaskPayloadAsync(LeasedQueryTask task, CancellationToken cancellationToken)
    {
        string runStatus;
        JsonNode? workflowArguments;
        long lastSequence;
        await using (var run = dataSource.CreateCommand(
            "SELECT status, arguments::text, last_history_sequence FROM workflow_runs WHERE id = $1"))
        {
            run.Parameters.Add(new NpgsqlParameter { Value = task.RunId });
            await using var reader = await run.ExecuteReaderAsync(cancellationToken);
            var found = await reader.ReadAsync(cancellationToken);
            runStatus = found ? reader.GetString(0) : "unknown";
            workflowArguments = found ? reader.JsonOrNull(1) : null;
            lastSequence = found ? reader.GetInt64(2) : 0;
        }

        var events = await HistoryStore.ReadPageAsync(dataSource, task.RunId, 0, lastSequence, int.MaxValue, cancellationToken);
        return new JsonObject
        {
            ["query_task_id"] = task.Id,
            ["query_task_attempt"] = task.Attempt,
            ["workflow_id"] = task.WorkflowId,
            ["run_id"] = task.RunId,
            ["workflow_type"] = task.WorkflowType,
            ["query_name"] = task.QueryName,
            ["payload_codec"] = task.PayloadCodec,
            ["workflow_arguments"] = workflowArguments,
            ["query_arguments"] = task.QueryArguments,
            ["run_status"] = runStatus,
            ["last_history_sequence"] = lastSequence,
            ["history_events"] = new JsonArray([.. events.Select(e => JsonSerializer.SerializeToNode(WorkerHistoryEvent.From(e)))]),
            ["task_queue"] = task.TaskQueue,
            ["lease_owner"] = task.LeaseOwner,
            ["lease_expires_at"] = WireTime.Micro(task.LeaseExpiresAt),
        };
    }

    private sealed record LeasedQueryTask(
        string Id,
        int Attempt,
        string RunId,
        string WorkflowId,
        string WorkflowType,
        string QueryName,
        string PayloadCodec,
        JsonNode? QueryArguments,
        string TaskQueue,
        string LeaseOwner,
        DateTimeOffset LeaseExpiresAt);
}
