using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Waits;

/// <summary>A condition wait as opened, resolved or timed out.</summary>
public sealed record ConditionWait(int Sequence, string? ConditionKey, string? DefinitionFingerprint, string? TimerId, int? TimeoutSeconds);

/// <summary>
/// Every write of <c>workflow_waits</c> (docs/schema.md §3.5): a condition wait opened by a workflow task, satisfied
/// by a signal-driven task, timed out by its timer, cancelled when the run closes. Callers pass their own transaction.
/// </summary>
public static class WaitStore
{
    private const string Columns = "sequence, condition_key, condition_definition_fingerprint, timer_id, timeout_seconds";

    /// <summary>
    /// Opens a condition wait. The wire id is per run (<paramref name="waitId"/>, <c>condition:&lt;step&gt;</c>); the
    /// row key adds the run id because wait ids are a global key.
    /// </summary>
    public static async Task OpenConditionAsync(
        EngineTransaction tx, string ns, string runId, string waitId, ConditionWait wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(wait);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_waits (id, namespace, run_id, wait_kind, sequence, condition_key, condition_definition_fingerprint,
                                        timeout_seconds, timer_id)
            VALUES ($1 || ':' || $3, $2, $3, 'condition', $4, $5, $6, $7, $8)
            """,
            waitId, ns, runId, wait.Sequence, SqlValue.Text(wait.ConditionKey), SqlValue.Text(wait.DefinitionFingerprint),
            SqlValue.Int(wait.TimeoutSeconds), SqlValue.Text(wait.TimerId));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Satisfies the run's latest open condition wait by a signal; null when none is open.</summary>
    public static async Task<ConditionWait?> SatisfyLatestConditionAsync(
        EngineTransaction tx, string runId, string? signalId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var satisfy = tx.Command(
            $"""
            UPDATE workflow_waits SET status = 'satisfied', resolved_at = now(), satisfied_by_signal_id = $2
             WHERE id = (SELECT id FROM workflow_waits WHERE run_id = $1 AND status = 'open' AND wait_kind = 'condition'
                          ORDER BY sequence DESC LIMIT 1)
            RETURNING {Columns}
            """,
            runId, SqlValue.Text(signalId));
        await using var reader = await satisfy.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Times out the open wait at <paramref name="sequence"/> when its timer fires; null when it was no longer open.</summary>
    public static async Task<ConditionWait?> TimeOutAsync(EngineTransaction tx, string runId, int sequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var timeOut = tx.Command(
            $"""
            UPDATE workflow_waits SET status = 'timed_out', resolved_at = now()
             WHERE run_id = $1 AND sequence = $2 AND status = 'open'
            RETURNING {Columns}
            """,
            runId, sequence);
        await using var reader = await timeOut.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>A closing run's open waits are cancelled.</summary>
    public static async Task CancelOpenOfRunAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var cancel = tx.Command(
            "UPDATE workflow_waits SET status = 'cancelled', resolved_at = now() WHERE run_id = $1 AND status = 'open'", runId);
        await cancel.ExecuteNonQueryAsync(cancellationToken);
    }

    private static ConditionWait Read(NpgsqlDataReader reader) =>
        new(reader.GetInt32(0), reader.StringOrNull(1), reader.StringOrNull(2), reader.StringOrNull(3), reader.Int32OrNull(4));
}
