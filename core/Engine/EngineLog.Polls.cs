using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Engine;

/// <summary>Poll path events, ids 1100–1199.</summary>
public static partial class EngineLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Shared probe of {Kind} queue {Namespace}/{TaskQueue} started")]
    public static partial void QueueProbeStarted(this ILogger logger, PollKind kind, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Shared probe of {Kind} queue {Namespace}/{TaskQueue} stopped: no poll is parked")]
    public static partial void QueueProbeStopped(this ILogger logger, PollKind kind, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Shared probe of {Kind} queue {Namespace}/{TaskQueue} failed; parked polls keep waiting for wake signals until the next probe")]
    public static partial void QueueProbeFailed(this ILogger logger, Exception exception, PollKind kind, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Shared probe found unsignalled work on {Kind} queue {Namespace}/{TaskQueue}; waking its parked polls")]
    public static partial void QueueProbeFoundWork(this ILogger logger, PollKind kind, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Shared probe returned {Count} expired leases of {Kind} queue {Namespace}/{TaskQueue} to the queue")]
    public static partial void QueueProbeRecoveredLeases(this ILogger logger, int count, PollKind kind, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Poll {PollRequestId} of worker {WorkerId} is already in flight; the duplicate waits for its answer")]
    public static partial void PollRequestInFlight(this ILogger logger, string pollRequestId, string workerId);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Poll {PollRequestId} of worker {WorkerId} took over a reservation that expired or whose lease is gone")]
    public static partial void PollRequestTakenOver(this ILogger logger, string pollRequestId, string workerId);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Reservation of poll {PollRequestId} of worker {WorkerId} was not released; it expires on its own")]
    public static partial void PollRequestReleaseFailed(this ILogger logger, Exception exception, string pollRequestId, string workerId);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "Purged {Count} expired poll request records")]
    public static partial void PollRequestsPurged(this ILogger logger, int count);
}
