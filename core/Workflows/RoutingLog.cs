using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Workflows;

/// <summary>Compatibility routing events (rollout contract §5, §7), ids 1400–1449.</summary>
public static partial class RoutingLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Start of workflow {WorkflowId} on {Namespace}/{TaskQueue} refused in fail mode: {Refusal}")]
    public static partial void StartRefused(this ILogger logger, string workflowId, string @namespace, string taskQueue, string refusal);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Schedule fire on {Namespace}/{TaskQueue} refused in fail mode: {Refusal}")]
    public static partial void ScheduleFireRefused(this ILogger logger, string @namespace, string taskQueue, string refusal);
}
