using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Timers;
using Npgsql;

namespace DurableWorkflow.Api.Hosting;

/// <summary>
/// Runs the timer pump on every API node: it sleeps until the next due timer (at most one second, so timers created
/// on other nodes are seen promptly) or until a timer is scheduled on this node. Activity timeouts are the scheduler
/// tick's (<c>ActivityTimeoutPass</c>), which runs every second by default.
/// </summary>
public sealed class TimerPumpService(
    TimerPump pump, WakeBus wakeBus, TimeProvider clock, ILogger<TimerPumpService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var wake = wakeBus.Subscribe([WakeChannels.Timers]);
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = MaxSleep;
            try
            {
                await pump.FireDueAsync(stoppingToken);
                if (await pump.NextDueAsync(stoppingToken) is { } next)
                {
                    var until = next - clock.GetUtcNow();
                    sleep = until < TimeSpan.Zero ? TimeSpan.Zero : until < MaxSleep ? until : MaxSleep;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; timers and deadlines are durable rows and are acted on in a later pass.
                logger.LogWarning(ex, "Timer pass failed; retrying");
            }

            await wake.WaitAsync(sleep, clock, stoppingToken);
        }
    }
}
