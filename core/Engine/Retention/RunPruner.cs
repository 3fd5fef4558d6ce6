using Npgsql;

namespace DurableWorkflow.Core.Engine.Retention;

/// <summary>
/// History retention's SQL (rollout contract §9.10): which closed runs of a namespace are past their retention, and
/// pruning one of them. The run row stays (with <c>pruned_at</c> set) so describe keeps answering; everything hanging
/// off it goes, in one transaction under the run lock with the run re-verified terminal, closed and expired.
/// </summary>
public static class RunPruner
{
    public const int MaxLimit = 100;

    /// <summary>
    /// Child tables in delete order (attempts before their executions); the first two counts are reported by name.
    /// Links are the run's own child links; a link naming this run as the child belongs to its parent.
    /// </summary>
    private static readonly (string Table, string Column)[] Owned =
    [
        ("workflow_history_events", "run_id"),
        ("workflow_tasks", "run_id"),
        ("workflow_activity_attempts", "run_id"),
        ("workflow_activity_executions", "run_id"),
        ("workflow_timers", "run_id"),
        ("workflow_waits", "run_id"),
        ("workflow_failures", "run_id"),
        ("workflow_signals", "run_id"),
        ("workflow_updates", "run_id"),
        ("workflow_commands", "run_id"),
        ("workflow_links", "parent_workflow_run_id"),
    ];

    /// <summary>The namespace's <c>retention_days</c>, else <paramref name="fallbackDays"/> (<c>DW_HISTORY_RETENTION_DAYS</c>).</summary>
    public static async Task<int> RetentionDaysAsync(NpgsqlDataSource dataSource, string ns, int fallbackDays, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var read = dataSource.CreateCommand("SELECT retention_days FROM workflow_namespaces WHERE name = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = ns });
        return await read.ExecuteScalarAsync(cancellationToken) is int days ? days : fallbackDays;
    }

    /// <summary>Expired runs of one namespace, oldest <c>closed_at</c> first, and the cutoff they were measured against.</summary>
    public static async Task<(List<string> RunIds, DateTimeOffset Cutoff)> ExpiredAsync(
        NpgsqlDataSource dataSource, string ns, int retentionDays, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var find = dataSource.CreateCommand(
            """
            WITH c AS (SELECT now() - make_interval(days => $2) AS cutoff)
            SELECT c.cutoff, r.id
              FROM c LEFT JOIN LATERAL (
                  SELECT id, closed_at FROM workflow_runs
                   WHERE namespace = $1 AND closed_at IS NOT NULL AND archived_at IS NULL AND pruned_at IS NULL
                     AND status_bucket IN ('completed', 'failed') AND closed_at < c.cutoff
                   ORDER BY closed_at, id
                   LIMIT $3) r ON true
             ORDER BY r.closed_at, r.id
            """);
        find.Parameters.Add(new NpgsqlParameter { Value = ns });
        find.Parameters.Add(new NpgsqlParameter<int> { TypedValue = retentionDays });
        find.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var ids = new List<string>();
        var cutoff = DateTimeOffset.MinValue;
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cutoff = reader.GetFieldValue<DateTimeOffset>(0);
            if (!reader.IsDBNull(1))
            {
                ids.Add(reader.GetString(1));
            }
        }

        return (ids, cutoff);
    }

    /// <summary>Prunes one run of <paramref name="ns"/> when it is still terminal, closed, not archived and past retention.</summary>
    public static async Task<PruneOutcome> PruneAsync(EngineTransaction tx, string ns, string runId, int retentionDays, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using (var check = tx.Command(
            """
            SELECT status_bucket <> 'running', closed_at IS NOT NULL, archived_at IS NOT NULL, pruned_at IS NOT NULL,
                   closed_at < now() - make_interval(days => $3)
              FROM workflow_runs WHERE id = $1 AND namespace = $2
               FOR UPDATE
            """,
            runId, ns, retentionDays))
        {
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return PruneOutcome.Skipped("run_not_found");
            }

            var reason = !reader.GetBoolean(0) || !reader.GetBoolean(1) ? "run_not_terminal"
                : reader.GetBoolean(2) ? "run_archived"
                : reader.GetBoolean(3) ? "run_already_pruned"
                : !reader.GetBoolean(4) ? "run_not_expired"
                : null;
            if (reason is not null)
            {
                return PruneOutcome.Skipped(reason);
            }
        }

        var counts = new int[Owned.Length];
        for (var i = 0; i < Owned.Length; i++)
        {
            var (table, column) = Owned[i];
            await using var delete = tx.Command($"DELETE FROM {table} WHERE {column} = $1", runId);
            counts[i] = await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await RunWriter.MarkPrunedAsync(tx, runId, cancellationToken);

        return new PruneOutcome(null, counts[0], counts[1]);
    }
}

/// <summary>A prune that happened (counts), or a skip with its reason.</summary>
public sealed record PruneOutcome(string? SkipReason, int HistoryEventsDeleted, int TasksDeleted)
{
    public static PruneOutcome Skipped(string reason) => new(reason, 0, 0);
}
