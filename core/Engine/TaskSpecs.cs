namespace DurableWorkflow.Core.Engine;

/// <summary>A run's next workflow task; inserted only when the run has no open workflow task.</summary>
public sealed record WorkflowTaskSpec(
    string Namespace,
    string RunId,
    string TaskQueue,
    string WorkflowType,
    string? Compatibility,
    int Priority,
    ResumeContext Resume,
    string? TaskId = null,
    int DelaySeconds = 0);

/// <summary>The transport of one activity attempt: the first one, or a retry after a back-off.</summary>
public sealed record ActivityTaskSpec(
    string Namespace,
    string RunId,
    string TaskQueue,
    string WorkflowType,
    string? Compatibility,
    int Priority,
    string ActivityType,
    string ExecutionId,
    string? RetryOfTaskId = null,
    int DelaySeconds = 0);

/// <summary>The task the timer pump takes when a durable timer is due.</summary>
public sealed record TimerTaskSpec(
    string Namespace,
    string RunId,
    string TaskQueue,
    string WorkflowType,
    string? Compatibility,
    int Priority,
    string TimerId,
    DateTimeOffset FireAt);

/// <summary>A task row just inserted.</summary>
public sealed record InsertedTask(string Id, DateTimeOffset AvailableAt);

/// <summary>
/// How a lease is given up. The same row goes back to ready (so redelivery never duplicates a task), or is cancelled
/// when its run has ended.
/// </summary>
public sealed record LeaseRelease
{
    /// <summary>False when the run has ended: the task is cancelled instead of offered again.</summary>
    public required bool RunOpen { get; init; }

    /// <summary>Only a lease that has expired by the database clock is released (recovery re-checks under the run lock).</summary>
    public bool ExpiredOnly { get; init; }

    /// <summary>The workflow-task repair back-off (3 s doubling to 60 s) delays the next offer.</summary>
    public bool BackOff { get; init; }

    /// <summary>The worker's <c>/fail</c> message and body, kept for diagnostics.</summary>
    public string? Error { get; init; }

    public string? FailureJson { get; init; }
}

/// <summary>A task whose lease was given up.</summary>
/// <param name="ClaimableIn">How long until the task can be claimed (a back-off), zero when it can be now.</param>
public sealed record ReleasedTask(
    string Id, string TaskType, string Namespace, string TaskQueue, string? ActivityExecutionId, string? ActivityAttemptId, TimeSpan ClaimableIn);
