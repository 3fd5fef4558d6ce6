using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.WorkflowTasks;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>The retry-policy snapshot of an execution, as served to workers and applied to failures.</summary>
public static class ActivityPolicy
{
    /// <summary>
    /// The §4.1 <c>retry_policy</c> snapshot; null when the command gave neither a policy nor a timeout (PHP then omits
    /// the key).
    /// </summary>
    public static JsonObject? Snapshot(ActivityExecutionRow execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        if (execution.RetryPolicy is null && execution.StartToCloseTimeout is null && execution.ScheduleToStartTimeout is null
            && execution.ScheduleToCloseTimeout is null && execution.HeartbeatTimeout is null)
        {
            return null;
        }

        return new JsonObject
        {
            ["snapshot_version"] = 1,
            ["max_attempts"] = execution.MaxAttempts,
            ["backoff_seconds"] = new JsonArray([.. Backoff(execution).Select(b => (JsonNode?)b)]),
            ["start_to_close_timeout"] = execution.StartToCloseTimeout,
            ["schedule_to_start_timeout"] = execution.ScheduleToStartTimeout,
            ["schedule_to_close_timeout"] = execution.ScheduleToCloseTimeout,
            ["heartbeat_timeout"] = execution.HeartbeatTimeout,
            ["non_retryable_error_types"] = new JsonArray([.. NonRetryableErrorTypes(execution).Select(t => (JsonNode?)t)]),
        };
    }

    /// <summary>Back-off before attempt n + 1: <c>backoff_seconds[min(n − 1, len − 1)]</c>, 0 when the list is empty (§4.3).</summary>
    public static int BackoffSeconds(ActivityExecutionRow execution, int attemptNumber)
    {
        var backoff = Backoff(execution);
        return backoff.Count == 0 ? 0 : backoff[Math.Clamp(attemptNumber - 1, 0, backoff.Count - 1)];
    }

    public static IReadOnlyList<string> NonRetryableErrorTypes(ActivityExecutionRow execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return execution.RetryPolicy?["non_retryable_error_types"] is JsonArray types
            ? [.. types.OfType<JsonValue>().Select(t => t.TryGetValue<string>(out var s) ? s : null).OfType<string>()]
            : [];
    }

    /// <summary>The engine accepts a single number as a one-entry list; negative or non-numeric entries are dropped.</summary>
    private static List<int> Backoff(ActivityExecutionRow execution)
    {
        var node = execution.RetryPolicy?["backoff_seconds"];
        if (node is JsonArray list)
        {
            return [.. list.Select(CommandValidator.ReadInt).OfType<int>().Where(b => b >= 0)];
        }

        return CommandValidator.ReadInt(node) is int single and >= 0 ? [single] : [];
    }
}
