using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Timers;
using Npgsql;

namespace DurableWorkflow.Api.Hosting;

/// <summary>
/// Runs the timer pump on every API node. Each pass is one scan (due timers, overdue runs, next due time), and the
/// pump then sleeps until the next due timer or run deadline, or until a commit schedules one (the timers wake
/// channel: in-process, and from other nodes through Redis). The sleep is bounded so a timer scheduled where no signal
/// reaches this node still fires: one second without Redis, <see cref="LongPoll.SignalledReprobeInterval"/> while the
/// Redis subscription is connected (a reconnect wakes the pump at once). Activity timeouts are the scheduler tick's
/// (<c>ActivityTimeoutPass</c>).
/// </summary>
public sealed class TimerPumpService(
    TimerPump pump, WakeBus wakeBus, TimeProvider clock, ILogger<TimerPumpService> logger) : BackgroundService
{
    private static readonly TimeSpan UnsignalledMaxSleep = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var wake = wakeBus.Subscribe([WakeChannels.Timers]);
        while (!stoppingToken.IsCancellationRequested)
        {
            var maxSleep = wakeBus.ReceivesRemoteSignals ? LongPoll.SignalledReprobeInterval : UnsignalledMaxSleep;
            var sleep = maxSleep;
            try
            {
                if ((await pump.RunPassAsync(stoppingToken)).NextDueIn is { } next)
                {
                    sleep = next < TimeSpan.Zero ? TimeSpan.Zero : next < maxSleep ? next : maxSleep;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; timers and deadlines are durable rows and are acted on in a later pass.
                logger.LogWarning(ex, "Timer pass failed; retrying");
                sleep = UnsignalledMaxSleep;
            }

            await wake.WaitAsync(sleep, clock, stoppingToken);
        }
    }
}
