namespace DurableWorkflow.Core.Engine.Messages;

/// <summary>A signal about to be stored with the history sequence of its <c>SignalReceived</c> event.</summary>
public sealed record NewSignal(
    string Id,
    string Namespace,
    string RunId,
    string CommandId,
    string Name,
    string SignalWaitId,
    string ArgumentsJson,
    string PayloadCodec,
    long HistorySequence);

/// <summary>
/// Every write of <c>workflow_signals</c> (docs/schema.md §5.2): received by a control-plane signal, applied when the
/// workflow task that saw it completes, discarded when the run closes. Callers pass their own transaction.
/// </summary>
public static class SignalStore
{
    public static async Task ReceiveAsync(EngineTransaction tx, NewSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(signal);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_signals (id, namespace, run_id, workflow_command_id, signal_name, signal_wait_id, arguments,
                                          payload_codec, history_sequence)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
            """,
            signal.Id, signal.Namespace, signal.RunId, signal.CommandId, signal.Name, signal.SignalWaitId, signal.ArgumentsJson,
            signal.PayloadCodec, signal.HistorySequence);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Marks the received signals at or before a completed task's history cutoff as applied: a statement for the
    /// caller's CTE (<c>LeasedTaskFollowUp</c> reads what is still pending in the same statement). A signal left
    /// received has <c>history_sequence</c> after the cutoff or NULL.
    /// </summary>
    internal static string MarkAppliedThroughSql(string runId, string cutoff) =>
        $"UPDATE workflow_signals SET status = 'applied', applied_at = now() WHERE run_id = {runId} AND status = 'received' AND history_sequence <= {cutoff}";

    /// <summary>A closing run's undelivered signals can never be applied.</summary>
    public static async Task DiscardUndeliveredAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var discard = tx.Command(
            "UPDATE workflow_signals SET status = 'discarded' WHERE run_id = $1 AND status = 'received'", runId);
        await discard.ExecuteNonQueryAsync(cancellationToken);
    }
}
