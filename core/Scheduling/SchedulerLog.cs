using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>Scheduler log events (ids 1200–1299).</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Scheduler lease acquired by {Owner} with token {Token}")]
    public static partial void LeaseAcquired(ILogger logger, string owner, long token);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Scheduler tick skipped: the lease is held by another scheduler")]
    public static partial void LeaseHeld(ILogger logger);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Scheduler lease token {Token} lost during pass {Pass}; the tick stops")]
    public static partial void LeaseLost(ILogger logger, long token, string pass);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Schedule {Namespace}/{ScheduleId} fired occurrence {Occurrence} as {WorkflowId}")]
    public static partial void Fired(ILogger logger, string @namespace, string scheduleId, DateTimeOffset? occurrence, string workflowId);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "Schedule {ScheduleRef} failed to fire occurrence {Occurrence}")]
    public static partial void FireFailed(ILogger logger, Exception exception, string scheduleRef, DateTimeOffset? occurrence);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Schedule {ScheduleId}: {Policy} of the previous run was refused ({Reason})")]
    public static partial void CloseOtherRefused(ILogger logger, string scheduleId, string policy, string reason);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Warning, Message = "Scheduler pass {Pass} failed; the next tick retries")]
    public static partial void PassFailed(ILogger logger, Exception exception, string pass);
}
