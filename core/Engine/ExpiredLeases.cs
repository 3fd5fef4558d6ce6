using DurableWorkflow.Core.Coordination;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The poll path's lease recovery (rollout contract §8.2): a poll that finds nothing claimable, and then the shared
/// probe loop of its queue while it is parked, return a few expired leases of the queue to ready, each in its own
/// transaction under the run lock; and the loop's look at when the queue's next ready task becomes claimable.
/// </summary>
public static class ExpiredLeases
{
    public const int RecoveredPerPoll = 5;

    /// <summary>Key prefix of the per-task poll-path recovery lock (rollout contract §8.2), one row per recovered lease.</summary>
    public const string RecoveryLockPrefix = "server:workflow-task-expired-lease-recovery:";

    /// <summary>
    /// Recovers up to <see cref="RecoveredPerPoll"/> (or <paramref name="limits"/>' scan limit) expired leases of one
    /// task type on one queue: the shared probe loop's pass. See <see cref="RecoverAsync"/>.
    /// </summary>
    public static async Task<int> RecoverOnQueueAsync(
        NpgsqlDataSource dataSource,
        WakeBus wakeBus,
        string ns,
        string taskType,
        string queue,
        Func<EngineTransaction, RunState, string, CancellationToken, Task<bool>> recover,
        CancellationToken cancellationToken,
        ExpiredLeaseRecoveryLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(recover);
        await using var command = dataSource.CreateCommand(FindSql);
        var found = await FindAsync(command, ns, taskType, queue, limits, cancellationToken);
        return await RecoverAsync(dataSource, wakeBus, found, recover, limits, cancellationToken);
    }

    /// <summary>
    /// The first probe's lookup of the same leases as <see cref="RecoverOnQueueAsync"/>, in the poll's claim
    /// transaction <paramref name="tx"/> so that it costs no transaction of its own. The leases are recovered by the
    /// returned <see cref="FoundExpiredLeases.RecoverAsync"/>, to be called once <paramref name="tx"/> committed: the
    /// recovery transactions take run locks, which the claim transaction must not be holding a connection for.
    /// </summary>
    public static async Task<FoundExpiredLeases> FindOnQueueAsync(
        EngineTransaction tx,
        WakeBus wakeBus,
        string ns,
        string taskType,
        string queue,
        Func<EngineTransaction, RunState, string, CancellationToken, Task<bool>> recover,
        CancellationToken cancellationToken,
        ExpiredLeaseRecoveryLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(recover);
        await using var command = tx.Command(FindSql);
        var found = await FindAsync(command, ns, taskType, queue, limits, cancellationToken);
        var dataSource = tx.DataSource;
        return found.Count == 0
            ? FoundExpiredLeases.None
            : new FoundExpiredLeases(token => RecoverAsync(dataSource, wakeBus, found, recover, limits, token));
    }

    /// <summary>
    /// Returns <paramref name="found"/> expired leases to ready, each in its own transaction under the run lock. With
    /// <paramref name="limits"/>, each task is first locked for its TTL through an atomic add in
    /// <c>workflow_coordination_leases</c>, so across any number of nodes a given expired lease is recovered by the
    /// poll path at most once per TTL.
    /// </summary>
    private static async Task<int> RecoverAsync(
        NpgsqlDataSource dataSource,
        WakeBus wakeBus,
        List<(string TaskId, string RunId)> found,
        Func<EngineTransaction, RunState, string, CancellationToken, Task<bool>> recover,
        ExpiredLeaseRecoveryLimits? limits,
        CancellationToken cancellationToken)
    {
        var recovered = 0;
        foreach (var (taskId, runId) in found)
        {
            if (limits is not null && !await CoordinationLeases.TryAddAsync(dataSource, RecoveryLockPrefix + taskId, "poll-path", limits.LockSeconds, overwrite: false, cancellationToken))
            {
                continue;
            }

            await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
            var run = await RunState.LockAsync(tx, runId, cancellationToken);
            if (run is not null && await recover(tx, run, taskId, cancellationToken))
            {
                recovered++;
            }

            await tx.CommitAsync(cancellationToken);
        }

        return recovered;
    }

    /// <summary>
    /// How long until the queue next needs a look, by the database clock: the earliest ready task of one type on one
    /// queue (of a run that can still take it) becomes claimable, or the earliest lease of that type on it runs out.
    /// Zero or less when one of them is due now, null when no task waits and none is leased.
    /// </summary>
    /// <remarks>
    /// The claim index orders by priority before <c>available_at</c>, so the earliest <c>available_at</c> of the whole
    /// backlog is a walk over every ready task of the queue. A backlog is exactly when the probe loops call this on
    /// every wake-up, so "something is due now" is answered by the first claimable entry instead, and the minimum is
    /// only taken over tasks not yet due, which are few (back-offs and delayed starts).
    /// </remarks>
    public static async Task<TimeSpan?> NextAvailableOnQueueAsync(
        NpgsqlDataSource dataSource, string ns, string taskType, string queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            """
            SELECT extract(epoch FROM LEAST(
                       CASE WHEN EXISTS (SELECT 1
                                           FROM workflow_tasks t
                                           JOIN workflow_runs r ON r.id = t.run_id
                                          WHERE t.status = 'ready' AND t.namespace = $1 AND t.task_type = $2
                                            AND t.task_queue = $3 AND t.available_at <= now()
                                            AND r.status IN ('pending', 'running', 'waiting'))
                            THEN now()
                            ELSE (SELECT min(t.available_at)
                                    FROM workflow_tasks t
                                    JOIN workflow_runs r ON r.id = t.run_id
                                   WHERE t.status = 'ready' AND t.namespace = $1 AND t.task_type = $2
                                     AND t.task_queue = $3 AND t.available_at > now()
                                     AND r.status IN ('pending', 'running', 'waiting')) END,
                       (SELECT min(lease_expires_at)
                          FROM workflow_tasks
                         WHERE status = 'leased' AND namespace = $1 AND task_type = $2 AND task_queue = $3)) - now())::float8
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = taskType });
        command.Parameters.Add(new NpgsqlParameter { Value = queue });
        return await command.ExecuteScalarAsync(cancellationToken) is double seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    private const string FindSql =
        """
        SELECT id, run_id FROM workflow_tasks
         WHERE status = 'leased' AND namespace = $1 AND task_type = $2 AND task_queue = $3
           AND lease_expires_at <= now()
         ORDER BY lease_expires_at
         LIMIT $4
        """;

    private static async Task<List<(string TaskId, string RunId)>> FindAsync(
        NpgsqlCommand command, string ns, string taskType, string queue, ExpiredLeaseRecoveryLimits? limits, CancellationToken cancellationToken)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = taskType });
        command.Parameters.Add(new NpgsqlParameter { Value = queue });
        command.Parameters.Add(new NpgsqlParameter { Value = limits?.ScanLimit ?? RecoveredPerPoll });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add((reader.GetString(0), reader.GetString(1)));
        }

        return found;
    }
}

/// <summary>The poll path's recovery knobs: <c>DW_EXPIRED_WORKFLOW_TASK_RECOVERY_SCAN_LIMIT</c> and <c>_TTL_SECONDS</c>.</summary>
public sealed record ExpiredLeaseRecoveryLimits(int ScanLimit, int LockSeconds);
