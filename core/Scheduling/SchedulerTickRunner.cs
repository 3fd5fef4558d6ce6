using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>One unit of scheduler work run inside the tick's lock (schedules, activity timeouts, retention, repair).</summary>
public interface ISchedulerPass
{
    string Name { get; }

    /// <summary>Does a bounded amount of work and returns a one-line summary for the invocation log.</summary>
    Task<string> RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The singleton scheduler tick. The Functions timer is only a wake-up call: its singleton covers one host id, and a
/// staging slot or a standalone node may tick too, so exclusivity comes from a PostgreSQL advisory lock held for the
/// duration of the tick. A tick that finds the lock taken does nothing.
/// </summary>
public sealed class SchedulerTickRunner(
    NpgsqlDataSource dataSource,
    ServerSettings settings,
    IEnumerable<ISchedulerPass> passes,
    ILogger<SchedulerTickRunner> logger)
{
    /// <summary>Advisory lock key: the ASCII bytes of "DWSCHED", stable across releases so old and new nodes exclude each other.</summary>
    public const long AdvisoryLockKey = 0x44_57_53_43_48_45_44;

    public async Task<SchedulerTickOutcome> RunAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        if (!settings.SchedulerEnabled)
        {
            return new SchedulerTickOutcome(SchedulerTickStatus.Disabled, ["scheduler tick: disabled on this node (DW_SCHEDULER_ENABLED=false)"]);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await TryLockAsync(connection, cancellationToken))
        {
            logger.LogInformation("Scheduler tick skipped: another scheduler holds the lock");
            return new SchedulerTickOutcome(SchedulerTickStatus.LockHeld, ["scheduler tick: skipped, another scheduler holds the lock"]);
        }

        var logs = new List<string> { isPastDue ? "scheduler tick: lock acquired (past due)" : "scheduler tick: lock acquired" };
        try
        {
            foreach (var pass in passes)
            {
                var summary = await pass.RunAsync(cancellationToken);
                logs.Add($"{pass.Name}: {summary}");
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }

        return new SchedulerTickOutcome(SchedulerTickStatus.Ran, logs);
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}

public enum SchedulerTickStatus
{
    Ran,
    LockHeld,
    Disabled,
}

public sealed record SchedulerTickOutcome(SchedulerTickStatus Status, IReadOnlyList<string> Logs);
