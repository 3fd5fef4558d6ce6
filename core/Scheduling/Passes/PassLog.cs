using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>Repair and retention pass log events (ids 1230–1299).</summary>
internal static partial class PassLog
{
    [LoggerMessage(EventId = 1230, Level = LogLevel.Information,
        Message = "Repair pass: {Existing} existing and {Missing} missing-task candidates selected, {Repaired} tasks repaired, {Created} created, {Failures} failures")]
    public static partial void RepairPass(ILogger logger, int existing, int missing, int repaired, int created, int failures);

    [LoggerMessage(EventId = 1243, Level = LogLevel.Debug, Message = "Repair pass found no candidates")]
    public static partial void RepairPassIdle(ILogger logger);

    [LoggerMessage(EventId = 1231, Level = LogLevel.Debug, Message = "Repair pass throttled: another pass ran within the loop throttle window")]
    public static partial void RepairThrottled(ILogger logger);

    [LoggerMessage(EventId = 1232, Level = LogLevel.Information, Message = "Repair pass skipped: required tables are missing (boot or migration window)")]
    public static partial void RepairTablesMissing(ILogger logger);

    [LoggerMessage(EventId = 1233, Level = LogLevel.Warning, Message = "Repair of task {TaskId} failed")]
    public static partial void RepairTaskFailed(ILogger logger, Exception exception, string taskId);

    [LoggerMessage(EventId = 1234, Level = LogLevel.Warning, Message = "Repair of missing tasks of run {RunId} failed")]
    public static partial void RepairRunFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 1240, Level = LogLevel.Information,
        Message = "Retention pruned run {RunId} of {Namespace}: {HistoryEvents} history events, {Tasks} tasks")]
    public static partial void RunPruned(ILogger logger, string runId, string @namespace, int historyEvents, int tasks);

    [LoggerMessage(EventId = 1241, Level = LogLevel.Warning, Message = "Retention of run {RunId} failed")]
    public static partial void PruneFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 1242, Level = LogLevel.Warning, Message = "Inline retention pass of namespace {Namespace} failed; the heartbeat was recorded")]
    public static partial void InlineRetentionFailed(ILogger logger, Exception exception, string @namespace);
}
