using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine.Messages;

/// <summary>An update about to be accepted by a control-plane command.</summary>
public sealed record NewUpdate(
    string Id,
    string Namespace,
    string RunId,
    string CommandId,
    string Name,
    string? RequestId,
    string ArgumentsJson,
    string PayloadCodec);

/// <summary>What an accepted update carried, read back as it closes.</summary>
public sealed record ClosedUpdate(string Id, string Name, string? CommandId, string? ArgumentsJson, string? FailureMessage);

/// <summary>
/// Every write of <c>workflow_updates</c> (docs/schema.md §5.3): accepted by a control-plane update, completed or
/// failed by the workflow task that applies it, failed when the run closes first. Callers pass their own transaction
/// and wake <see cref="WakeChannels.Update"/> themselves, after the events that answer the waiting caller.
/// </summary>
public static class UpdateStore
{
    /// <summary>Inserts an accepted update; returns its acceptance time by the database clock.</summary>
    public static async Task<DateTimeOffset> AcceptAsync(EngineTransaction tx, NewUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(update);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_updates (id, namespace, run_id, workflow_command_id, update_name, request_id, arguments,
                                          payload_codec, status, accepted_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, 'accepted', now())
            RETURNING accepted_at
            """,
            update.Id, update.Namespace, update.RunId, update.CommandId, update.Name, SqlValue.Text(update.RequestId),
            update.ArgumentsJson, update.PayloadCodec);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.Time(0);
    }

    /// <summary>
    /// Completes (no <paramref name="failure"/>) or fails an accepted update of the run. The caller has checked that it
    /// is accepted under the run lock.
    /// </summary>
    public static async Task<ClosedUpdate> CloseAsync(
        EngineTransaction tx, string runId, string updateId, JsonObject? result, JsonObject? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var update = tx.Command(
            """
            UPDATE workflow_updates
               SET status = $3, result = $4::jsonb, failure = $5::jsonb, applied_at = now(), closed_at = now(), updated_at = now()
             WHERE id = $1 AND run_id = $2 AND status = 'accepted'
            RETURNING update_name, workflow_command_id, arguments::text
            """,
            updateId, runId, failure is null ? "completed" : "failed", SqlValue.Json(result), SqlValue.Json(failure));
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ClosedUpdate(updateId, reader.GetString(0), reader.StringOrNull(1), reader.StringOrNull(2), null);
    }

    /// <summary>
    /// Accepted updates can never be applied once the run is closed; they fail, as upstream's PendingUpdateCloser does.
    /// Returns them in id order.
    /// </summary>
    public static async Task<IReadOnlyList<ClosedUpdate>> FailAcceptedOfRunAsync(
        EngineTransaction tx, string runId, string closedReason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var failed = new List<ClosedUpdate>();
        await using var close = tx.Command(
            """
            UPDATE workflow_updates
               SET status = 'failed', closed_at = now(), updated_at = now(),
                   failure = jsonb_build_object(
                       'message', format('Workflow run closed as %s before accepted update %s could be applied.', $2::text, update_name),
                       'exception_class', 'RuntimeException', 'non_retryable', true)
             WHERE run_id = $1 AND status = 'accepted'
            RETURNING id, update_name, workflow_command_id, failure ->> 'message'
            """,
            runId, closedReason);
        await using var reader = await close.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            failed.Add(new ClosedUpdate(reader.GetString(0), reader.GetString(1), reader.StringOrNull(2), null, reader.GetString(3)));
        }

        return [.. failed.OrderBy(u => u.Id, StringComparer.Ordinal)];
    }
}
