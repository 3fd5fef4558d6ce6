using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Scheduling;
using Npgsql;

namespace DurableWorkflow.Server.Hosting;

/// <summary>
/// Drives the scheduler tick from an in-process timer on a standalone node (the Functions app uses a timer trigger).
/// Several standalone nodes may all run it: the lease inside the tick keeps one scheduler at a time. On shutdown the
/// lease is released so the next scheduler takes over at its next tick instead of waiting for the expiry.
/// </summary>
public sealed class StandaloneScheduler(
    SchedulerTickRunner runner,
    SchedulerLease lease,
    ServerSettings settings,
    TimeProvider clock,
    ILogger<StandaloneScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.SchedulerEnabled)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(settings.SchedulerIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            // Ticks land just after whole interval boundaries, where cron and interval occurrences fall, so a one-second
            // schedule is fired within its own second rather than drifting into the next one.
            var now = clock.GetUtcNow();
            var next = new DateTimeOffset((now.UtcTicks / interval.Ticks + 1) * interval.Ticks, TimeSpan.Zero).AddMilliseconds(20);
            await Task.Delay(next - now, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await runner.RunAsync(isPastDue: false, stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // The database may be down or restarting; the next tick retries, nothing is lost by skipping one.
                logger.LogWarning(ex, "Scheduler tick failed; retrying at the next interval");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (settings.SchedulerEnabled)
        {
            try
            {
                await lease.ReleaseAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException)
            {
                // The lease then simply expires; the next scheduler waits for that instead. A disposed data source was
                // seen when a test host tore the container down while stopping, so shutdown must not fail on it either.
                logger.LogWarning(ex, "Could not release the scheduler lease at shutdown");
            }
        }
    }
}
