using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>
/// The singleton scheduler tick. The Functions timer and the standalone timer are only wake-up calls: slots, host ids
/// and a fleet of standalone nodes may all tick. The PostgreSQL lease (<see cref="SchedulerLease"/>) decides who the
/// scheduler is, and its fencing token is proven by every write a pass makes, so a tick that stalled or lost its
/// connection past the lease writes nothing. (A session advisory lock is deliberately not used: a non-holder winning
/// it at the same instant would make the holder skip its tick.)
/// </summary>
public sealed class SchedulerTickRunner(
    ServerSettings settings,
    SchedulerLease lease,
    IEnumerable<ISchedulerPass> passes,
    ILogger<SchedulerTickRunner> logger)
{
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

        var logs = new List<string> { $"scheduler tick: lease token {fence.Token}{(isPastDue ? " (past due)" : string.Empty)}" };
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

        return new SchedulerTickOutcome(SchedulerTickStatus.Ran, logs);
    }
}

public enum SchedulerTickStatus
{
    Ran,
    LeaseHeld,
    LeaseLost,
    Disabled,
}

public sealed record SchedulerTickOutcome(SchedulerTickStatus Status, IReadOnlyList<string> Logs);
