using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Scheduling;
using Npgsql;

namespace DurableWorkflow.Server.Hosting;

/// <summary>
/// Drives the scheduler tick from an in-process timer on a standalone node (the Functions app uses a timer trigger).
/// Several standalone nodes may all run it: the advisory lock inside the tick keeps one scheduler at a time.
/// </summary>
public sealed class StandaloneScheduler(
    SchedulerTickRunner runner,
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

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.SchedulerIntervalSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await runner.RunAsync(isPastDue: false, stoppingToken);
            }
            catch (NpgsqlException ex)
            {
                // The database may be down or restarting; the next tick retries, nothing is lost by skipping one.
                logger.LogWarning(ex, "Scheduler tick failed; retrying at the next interval");
            }
        }
    }
}
