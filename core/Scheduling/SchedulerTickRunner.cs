using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>
/// The singleton scheduler tick. The Functions timer and the standalone timer are only wake-up calls: slots, host ids
/// and a fleet of standalone nodes may all tick. The PostgreSQL lease (<see cref="SchedulerLease"/>) decides who the
/// scheduler is, and its fencing token is proven by every write a pass makes, so a tick that stalled or lost its
/// connection past the lease writes nothing. The lease holder then also takes a session advisory lock, so two ticks of
/// the same holder (a past-due timer beside a regular one) never overlap; non-holders never touch the lock, so they
/// cannot make the holder skip.
/// </summary>
public sealed class SchedulerTickRunner(
    NpgsqlDataSource dataSource,
    ServerSettings settings,
    SchedulerLease lease,
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

        if (await lease.TryAcquireAsync(cancellationToken) is not { } fence)
        {
            SchedulerLog.LeaseHeld(logger);
            return new SchedulerTickOutcome(SchedulerTickStatus.LeaseHeld, ["scheduler tick: skipped, another scheduler holds the lease"]);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await TryLockAsync(connection, cancellationToken))
        {
            return new SchedulerTickOutcome(SchedulerTickStatus.LockHeld, ["scheduler tick: skipped, another tick holds the lock"]);
        }

        var logs = new List<string> { $"scheduler tick: lease token {fence.Token}{(isPastDue ? " (past due)" : string.Empty)}" };
        try
        {
            foreach (var pass in passes)
            {
                // Renewed before each pass, so a long tick keeps its lease; a changed token means it was lost meanwhile.
                if (await lease.TryAcquireAsync(cancellationToken) is not { } renewed || renewed != fence)
                {
                    SchedulerLog.LeaseLost(logger, fence.Token, pass.Name);
                    logs.Add($"{pass.Name}: stopped, lease token {fence.Token} lost");
                    return new SchedulerTickOutcome(SchedulerTickStatus.LeaseLost, logs);
                }

                try
                {
                    var summary = await pass.RunAsync(fence, cancellationToken);
                    logs.Add($"{pass.Name}: {summary}");
                }
                catch (SchedulerLeaseLostException)
                {
                    SchedulerLog.LeaseLost(logger, fence.Token, pass.Name);
                    logs.Add($"{pass.Name}: stopped, lease token {fence.Token} lost");
                    return new SchedulerTickOutcome(SchedulerTickStatus.LeaseLost, logs);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // One pass's database trouble must not starve the others; each is idempotent and resumes next tick.
                    SchedulerLog.PassFailed(logger, ex, pass.Name);
                    logs.Add($"{pass.Name}: failed ({ex.GetType().Name})");
                }
            }
        }
        finally
        {
            await UnlockAsync(connection);
        }

        return new SchedulerTickOutcome(SchedulerTickStatus.Ran, logs);
    }

    /// <summary>
    /// Pooled connections are not reset on return (<see cref="Configuration.ConnectionDefaults"/>), so a lock whose
    /// release failed on a still-open connection would outlive the tick: that connection is then dropped from the pool
    /// instead, which ends its session and the lock with it.
    /// </summary>
    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            NpgsqlConnection.ClearPool(connection);
            throw;
        }
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
    LeaseHeld,
    LeaseLost,
    Disabled,
}

public sealed record SchedulerTickOutcome(SchedulerTickStatus Status, IReadOnlyList<string> Logs);
