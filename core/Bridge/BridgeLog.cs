using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Bridge;

/// <summary>Bridge webhook events (ids 1570–1589).</summary>
internal static partial class BridgeLog
{
    [LoggerMessage(EventId = 1570, Level = LogLevel.Information,
        Message = "Bridge event {Adapter}/{IdempotencyKey} in namespace {Namespace}: {Action} accepted for workflow {WorkflowId}")]
    public static partial void EventAccepted(this ILogger logger, string adapter, string idempotencyKey, string @namespace, string action, string? workflowId);

    [LoggerMessage(EventId = 1571, Level = LogLevel.Information,
        Message = "Bridge event {Adapter}/{IdempotencyKey} in namespace {Namespace} is a redelivery; answered with its first outcome")]
    public static partial void EventDuplicate(this ILogger logger, string adapter, string idempotencyKey, string @namespace);

    [LoggerMessage(EventId = 1572, Level = LogLevel.Information,
        Message = "Bridge event {Adapter}/{IdempotencyKey} in namespace {Namespace} rejected: {Reason}")]
    public static partial void EventRejected(this ILogger logger, string adapter, string? idempotencyKey, string @namespace, string reason);
}
