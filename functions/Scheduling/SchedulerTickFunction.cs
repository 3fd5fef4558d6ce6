using DurableWorkflow.Core.Scheduling;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Functions.Scheduling;

/// <summary>
/// The scheduler tick on the Functions timer. The timer's singleton lock covers one host id only and slots can fire the
/// same slot twice, so the tick still takes the PostgreSQL advisory lock inside <see cref="SchedulerTickRunner"/>.
/// </summary>
public sealed partial class SchedulerTickFunction(SchedulerTickRunner runner, ILogger<SchedulerTickFunction> logger)
{
    public const string Name = "SchedulerTick";

    [Function(Name)]
    public async Task SchedulerTick(
        [TimerTrigger("%SCHEDULER_CRON%", RunOnStartup = false, UseMonitor = true)] TimerInfo timer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var outcome = await runner.RunAsync(timer.IsPastDue, cancellationToken);
        foreach (var line in outcome.Logs)
        {
            TickLog(logger, outcome.Status, line);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Scheduler tick {Status}: {Line}")]
    private static partial void TickLog(ILogger logger, SchedulerTickStatus status, string line);
}
