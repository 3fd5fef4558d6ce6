using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Queries;

/// <summary>The run a query addresses, as the broker needs it to route and answer.</summary>
public sealed record QueryTarget(
    string WorkflowId,
    string RunId,
    string TargetScope,
    string WorkflowType,
    string TaskQueue,
    string PayloadCodec,
    string? DefinitionFingerprint);

/// <summary>
/// The control-plane half of worker-routed queries (worker-protocol spec §5.1, §5.5): find a query worker, enqueue an
/// ephemeral query task, and wait for the worker's answer. Tasks live in <c>workflow_query_tasks</c> rather than a
/// cache, so the answer reaches a caller waiting on any node (docs/schema.md §6.9).
/// </summary>
public sealed class QueryTaskBroker(NpgsqlDataSource dataSource, WakeBus wakeBus, ServerSettings settings, TimeProvider clock)
{
    /// <summary>A lease outlives the caller's wait, so an answered task is never handed to a second worker meanwhile.</summary>
    public const int LeaseSeconds = 60;

    private const int PruneBatch = 100;

    /// <summary>Rows stay readable past the caller's wait for a late worker answer; afterwards they are pruned.</summary>
    private int TtlSeconds => Math.Max(180, settings.QueryTaskTimeoutSeconds + LeaseSeconds + 60);

    public async Task<ApiResult<JsonObject>> QueryAsync(
        string ns, QueryTarget target, string queryName, PayloadEnvelope arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(arguments);
        if (!settings.Compatibility.PinToRecordedFingerprint)
        {
            // Hot swap (rollout contract §7.2): a recorded fingerprint constrains nobody.
            target = target with { DefinitionFingerprint = null };
        }

        var (anyWorker, pinnedWorker) = await FindQueryWorkersAsync(ns, target, cancellationToken);
        if (!anyWorker)
        {
            return Failed(target, queryName, 409, "query_worker_unavailable",
                $"No active non-PHP worker is registered for workflow type [{target.WorkflowType}] on task queue [{target.TaskQueue}].");
        }

        if (!pinnedWorker)
        {
            return Failed(target, queryName, 409, "query_worker_incompatible",
                $"Query workers exist for workflow type [{target.WorkflowType}] on task queue [{target.TaskQueue}], but none advertise the recorded workflow definition fingerprint [{target.DefinitionFingerprint}].");
        }

        var queryTaskId = Ulid.NewId();
        if (!await EnqueueAsync(ns, target, queryTaskId, queryName, arguments, cancellationToken))
        {
            return Failed(target, queryName, 429, "query_task_queue_full",
                $"Query task queue [{target.TaskQueue}] in namespace [{ns}] already holds {settings.QueryTaskMaxPendingPerQueue} pending query tasks.")
                .With("limit", settings.QueryTaskMaxPendingPerQueue);
        }

        var answer = await LongPoll.WaitForAsync(
            wakeBus,
            clock,
            [WakeChannels.QueryResult(queryTaskId)],
            TimeSpan.FromSeconds(settings.QueryTaskTimeoutSeconds),
            token => ReadAnswerAsync(queryTaskId, token),
            cancellationToken);
        if (answer is null && await MarkTimedOutAsync(queryTaskId, cancellationToken))
        {
            return Failed(target, queryName, 504, "query_worker_timeout",
                "Timed out waiting for a worker to execute the workflow query.");
        }

        // Not marked timed out: the worker answered between the last probe and the timeout, and its answer wins.
        answer ??= await ReadAnswerAsync(queryTaskId, cancellationToken);
        return answer is null
            ? Failed(target, queryName, 504, "query_worker_timeout", "Timed out waiting for a worker to execute the workflow query.")
            : Answer(target, queryName, answer);
    }

    /// <summary>
    /// A query worker (worker-protocol spec §5.1): same namespace and queue, not PHP, heartbeat inside the stale window,
    /// the run's type among its supported types (or none declared); then whether one of them also advertises the run's
    /// pinned fingerprint (rollout contract §7.3 item 2; always true for an unpinned run).
    /// Draining workers count, as poll admission lets their query polls through.
    /// </summary>
    private async Task<(bool Any, bool Pinned)> FindQueryWorkersAsync(string ns, QueryTarget target, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT count(*) > 0, count(*) FILTER (WHERE $5::text IS NULL OR workflow_definition_fingerprints ->> $4 = $5) > 0
              FROM workflow_worker_registrations
             WHERE namespace = $1 AND task_queue = $2 AND lower(runtime) <> 'php'
               AND last_heartbeat_at > now() - make_interval(secs => $3)
               AND (jsonb_array_length(supported_workflow_types) = 0 OR supported_workflow_types @> jsonb_build_array($4::text))
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = target.TaskQueue });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.WorkerStaleAfterSeconds });
        command.Parameters.Add(new NpgsqlParameter { Value = target.WorkflowType });
        command.Parameters.Add(SqlValue.Text(target.DefinitionFingerprint));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetBoolean(0), reader.GetBoolean(1));
    }

    /// <summary>Inserts the task unless the queue's pending backlog is at its cap (approximate, as upstream's is).</summary>
    private async Task<bool> EnqueueAsync(
        string ns, QueryTarget target, string queryTaskId, string queryName, PayloadEnvelope arguments, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        await using (var prune = tx.Command(
            """
            DELETE FROM workflow_query_tasks
             WHERE id IN (SELECT id FROM workflow_query_tasks WHERE expires_at <= now() LIMIT $1)
            """,
            PruneBatch))
        {
            await prune.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var count = tx.Command(
            "SELECT count(*) FROM workflow_query_tasks WHERE status = 'pending' AND namespace = $1 AND task_queue = $2",
            ns, target.TaskQueue))
        {
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= settings.QueryTaskMaxPendingPerQueue)
            {
                return false;
            }
        }

        await using (var insert = tx.Command(
            """
            INSERT INTO workflow_query_tasks (id, namespace, task_queue, workflow_instance_id, run_id, workflow_type,
                                              required_fingerprint, query_name, query_arguments, payload_codec,
                                              wait_deadline_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10,
                    now() + make_interval(secs => $11), now() + make_interval(secs => $12))
            """,
            queryTaskId, ns, target.TaskQueue, target.WorkflowId, target.RunId, target.WorkflowType,
            SqlValue.Text(target.DefinitionFingerprint), queryName, arguments.ToJson().ToJsonString(), target.PayloadCodec,
            settings.QueryTaskTimeoutSeconds, TtlSeconds))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        tx.Wake(WakeChannels.QueryTasks(ns, target.TaskQueue));
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    private async Task<QueryAnswer?> ReadAnswerAsync(string queryTaskId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT status, result::text, result_envelope::text, failure_reason, failure_message
              FROM workflow_query_tasks
             WHERE id = $1 AND status IN ('completed', 'failed')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = queryTaskId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new QueryAnswer(
            reader.GetString(0) == "completed",
            reader.JsonOrNull(1),
            Canonical(reader.JsonOrNull(2)),
            reader.StringOrNull(3),
            reader.StringOrNull(4));
    }

    /// <summary>False when the worker's answer landed first: a completed or failed task is never overwritten.</summary>
    private async Task<bool> MarkTimedOutAsync(string queryTaskId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE workflow_query_tasks
               SET status = 'timed_out', lease_owner = NULL, lease_expires_at = NULL, closed_at = now()
             WHERE id = $1 AND status IN ('pending', 'leased')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = queryTaskId });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static ApiResult<JsonObject> Answer(QueryTarget target, string queryName, QueryAnswer answer)
    {
        if (!answer.Completed)
        {
            var reason = string.IsNullOrWhiteSpace(answer.FailureReason) ? "query_rejected" : answer.FailureReason;
            return Failed(target, queryName, reason == "rejected_unknown_query" ? 404 : 409, reason,
                string.IsNullOrWhiteSpace(answer.FailureMessage) ? "Query failed on the worker." : answer.FailureMessage);
        }

        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["workflow_id"] = target.WorkflowId,
            ["run_id"] = target.RunId,
            ["target_scope"] = target.TargetScope,
            ["query_name"] = queryName,
            ["result"] = answer.Result,
            ["result_envelope"] = answer.ResultEnvelope,
            ["reason"] = null,
        });
    }

    private static ApiError Failed(QueryTarget target, string queryName, int status, string reason, string message) =>
        new ApiError(status, reason, message)
            .With("workflow_id", target.WorkflowId)
            .With("run_id", target.RunId)
            .With("target_scope", target.TargetScope)
            .With("query_name", queryName)
            .With("result", null);

    /// <summary>jsonb sorts object keys; the envelope goes back out in its wire order, codec first.</summary>
    private static JsonNode? Canonical(JsonNode? envelope) =>
        PayloadEnvelope.TryParseEnvelope(envelope, out var parsed) ? parsed.ToJson() : envelope;

    private sealed record QueryAnswer(bool Completed, JsonNode? Result, JsonNode? ResultEnvelope, string? FailureReason, string? FailureMessage);
}
