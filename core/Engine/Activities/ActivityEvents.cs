using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>
/// Payloads of the activity history events (worker-protocol §6.2). Every event of a step carries the step's
/// <c>sequence</c> and its <c>parallel_group_*</c> keys, because Python pairs scheduling and resolution by them.
/// </summary>
public static class ActivityEvents
{
    /// <summary>
    /// The keys every activity event starts with, in the catalogue's order. The attempt is null only for a step that
    /// timed out before any claim.
    /// </summary>
    public static JsonObject Base(ActivityExecutionRow execution, string? attemptId)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return new JsonObject
        {
            ["activity_execution_id"] = execution.Id,
            ["activity_attempt_id"] = attemptId,
            ["activity_class"] = execution.ActivityType,
            ["activity_type"] = execution.ActivityType,
            ["sequence"] = execution.Sequence,
        };
    }

    /// <summary>
    /// <c>ActivityRetryScheduled</c> up to its cause: a failure retry adds the exception keys, a timeout retry the
    /// timeout kind.
    /// </summary>
    public static JsonObject RetryScheduled(
        ActivityExecutionRow execution, string? attemptId, int afterAttempt, string retryOfTaskId, string retryTaskId,
        DateTimeOffset retryAvailableAt, int backoffSeconds)
    {
        var payload = Base(execution, attemptId);
        payload["retry_task_id"] = retryTaskId;
        payload["retry_of_task_id"] = retryOfTaskId;
        payload["retry_available_at"] = WireTime.Micro(retryAvailableAt);
        payload["retry_backoff_seconds"] = backoffSeconds;
        payload["retry_after_attempt_id"] = attemptId;
        payload["retry_after_attempt"] = afterAttempt;
        payload["max_attempts"] = execution.MaxAttempts;
        payload["retry_policy"] = ActivityPolicy.Snapshot(execution);
        return payload;
    }

    /// <summary>Appends the trailing keys: execution mode, scheduling task, snapshots and the parallel group.</summary>
    public static NewHistoryEvent Finish(
        string eventType, JsonObject payload, ActivityExecutionRow execution, string executionStatus, JsonObject? attempt)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(execution);
        payload["execution_mode"] = "remote";
        payload["local_activity"] = false;
        payload["workflow_task_id"] = execution.WorkflowTaskId;
        payload["activity"] = Snapshot(execution, executionStatus);
        if (attempt is not null)
        {
            payload["activity_attempt"] = attempt;
        }

        ParallelGroup.CopyInto(execution.ParallelGroup, payload);
        return new NewHistoryEvent(eventType, payload);
    }

    /// <summary>The attempt as events show it, with the status the transition leaves it in.</summary>
    public static JsonObject Attempt(ActivityAttemptRow attempt, string status, DateTimeOffset? leaseExpiresAt, DateTimeOffset? lastHeartbeatAt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        return new JsonObject
        {
            ["id"] = attempt.Id,
            ["attempt_number"] = attempt.AttemptNumber,
            ["status"] = status,
            ["lease_owner"] = attempt.LeaseOwner,
            ["started_at"] = WireTime.Micro(attempt.StartedAt),
            ["lease_expires_at"] = leaseExpiresAt is { } lease ? WireTime.Micro(lease) : null,
            ["last_heartbeat_at"] = lastHeartbeatAt is { } beat ? WireTime.Micro(beat) : null,
        };
    }

    /// <summary>Same keys as the <c>activity</c> object of <c>ActivityScheduled</c>, plus where the execution now stands.</summary>
    private static JsonObject Snapshot(ActivityExecutionRow execution, string status) => new()
    {
        ["id"] = execution.Id,
        ["type"] = execution.ActivityType,
        ["queue"] = execution.TaskQueue,
        ["status"] = status,
        ["attempt_count"] = execution.AttemptCount,
        ["retry_policy"] = execution.RetryPolicy?.DeepClone(),
        ["start_to_close_timeout"] = execution.StartToCloseTimeout,
        ["schedule_to_start_timeout"] = execution.ScheduleToStartTimeout,
        ["schedule_to_close_timeout"] = execution.ScheduleToCloseTimeout,
        ["heartbeat_timeout"] = execution.HeartbeatTimeout,
    };
}
