using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>A <c>workflow_activity_executions</c> row: one per <c>schedule_activity</c> step, shared by all its attempts.</summary>
public sealed record ActivityExecutionRow
{
    public required string Id { get; init; }

    public required string RunId { get; init; }

    public required int Sequence { get; init; }

    public required string ActivityType { get; init; }

    public required string TaskQueue { get; init; }

    public required string Status { get; init; }

    public required string PayloadCodec { get; init; }

    public JsonObject? Arguments { get; init; }

    /// <summary>The policy exactly as the command sent it; null when the command carried none.</summary>
    public JsonObject? RetryPolicy { get; init; }

    public required int MaxAttempts { get; init; }

    public int? StartToCloseTimeout { get; init; }

    public int? ScheduleToStartTimeout { get; init; }

    public int? ScheduleToCloseTimeout { get; init; }

    public int? HeartbeatTimeout { get; init; }

    public DateTimeOffset? ScheduleDeadlineAt { get; init; }

    public DateTimeOffset? CloseDeadlineAt { get; init; }

    public DateTimeOffset? ScheduleToCloseDeadlineAt { get; init; }

    public DateTimeOffset? HeartbeatDeadlineAt { get; init; }

    public required int AttemptCount { get; init; }

    public JsonObject? ParallelGroup { get; init; }

    public string? WorkflowTaskId { get; init; }

    internal const string Columns =
        """
        e.id, e.run_id, e.sequence, e.activity_type, e.task_queue, e.status, e.payload_codec, e.arguments::text,
        e.retry_policy::text, e.max_attempts, e.start_to_close_timeout, e.schedule_to_start_timeout,
        e.schedule_to_close_timeout, e.heartbeat_timeout, e.schedule_deadline_at, e.close_deadline_at,
        e.schedule_to_close_deadline_at, e.heartbeat_deadline_at, e.attempt_count, e.parallel_group::text, e.workflow_task_id
        """;

    internal const int ColumnCount = 21;

    internal static ActivityExecutionRow Read(NpgsqlDataReader reader, int at = 0) => new()
    {
        Id = reader.GetString(at),
        RunId = reader.GetString(at + 1),
        Sequence = reader.GetInt32(at + 2),
        ActivityType = reader.GetString(at + 3),
        TaskQueue = reader.GetString(at + 4),
        Status = reader.GetString(at + 5),
        PayloadCodec = reader.GetString(at + 6),
        Arguments = reader.JsonObjectOrNull(at + 7),
        RetryPolicy = reader.JsonObjectOrNull(at + 8),
        MaxAttempts = reader.GetInt32(at + 9),
        StartToCloseTimeout = reader.Int32OrNull(at + 10),
        ScheduleToStartTimeout = reader.Int32OrNull(at + 11),
        ScheduleToCloseTimeout = reader.Int32OrNull(at + 12),
        HeartbeatTimeout = reader.Int32OrNull(at + 13),
        ScheduleDeadlineAt = reader.TimeOrNull(at + 14),
        CloseDeadlineAt = reader.TimeOrNull(at + 15),
        ScheduleToCloseDeadlineAt = reader.TimeOrNull(at + 16),
        HeartbeatDeadlineAt = reader.TimeOrNull(at + 17),
        AttemptCount = reader.GetInt32(at + 18),
        ParallelGroup = reader.JsonObjectOrNull(at + 19),
        WorkflowTaskId = reader.StringOrNull(at + 20),
    };
}

/// <summary>The <c>workflow_tasks</c> columns an activity task operation decides on.</summary>
public sealed record ActivityTaskRow
{
    public required string Id { get; init; }

    public required string RunId { get; init; }

    public required string Status { get; init; }

    public required string TaskQueue { get; init; }

    public string? Compatibility { get; init; }

    public required int Priority { get; init; }

    public required string WorkflowType { get; init; }

    public required string ExecutionId { get; init; }

    /// <summary>The attempt of the latest claim; a completion naming any other attempt is stale.</summary>
    public string? AttemptId { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    internal const string Columns =
        """
        t.id, t.run_id, t.status, t.task_queue, t.compatibility, t.priority, t.workflow_type, t.activity_execution_id,
        t.activity_attempt_id, t.lease_expires_at
        """;

    internal const int ColumnCount = 10;

    internal static ActivityTaskRow Read(NpgsqlDataReader reader, int at = 0) => new()
    {
        Id = reader.GetString(at),
        RunId = reader.GetString(at + 1),
        Status = reader.GetString(at + 2),
        TaskQueue = reader.GetString(at + 3),
        Compatibility = reader.StringOrNull(at + 4),
        Priority = reader.GetInt16(at + 5),
        WorkflowType = reader.GetString(at + 6),
        ExecutionId = reader.GetString(at + 7),
        AttemptId = reader.StringOrNull(at + 8),
        LeaseExpiresAt = reader.TimeOrNull(at + 9),
    };
}

/// <summary>A <c>workflow_activity_attempts</c> row: one per claim.</summary>
public sealed record ActivityAttemptRow
{
    public required string Id { get; init; }

    public required int AttemptNumber { get; init; }

    public required string Status { get; init; }

    public required string LeaseOwner { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? LastHeartbeatAt { get; init; }

    internal const string Columns = "a.id, a.attempt_number, a.status, a.lease_owner, a.lease_expires_at, a.started_at, a.last_heartbeat_at";

    internal const int ColumnCount = 7;

    internal static ActivityAttemptRow Read(NpgsqlDataReader reader, int at = 0) => new()
    {
        Id = reader.GetString(at),
        AttemptNumber = reader.GetInt32(at + 1),
        Status = reader.GetString(at + 2),
        LeaseOwner = reader.GetString(at + 3),
        LeaseExpiresAt = reader.TimeOrNull(at + 4),
        StartedAt = reader.GetFieldValue<DateTimeOffset>(at + 5),
        LastHeartbeatAt = reader.TimeOrNull(at + 6),
    };
}

/// <summary>What one claim statement leased and started: the task, its execution, the new attempt and the workflow id.</summary>
public sealed record ClaimedActivity(ActivityTaskRow Task, ActivityExecutionRow Execution, ActivityAttemptRow Attempt, string WorkflowId);

/// <summary>Everything a complete/fail/heartbeat decides on, locked in the engine's order: run, task, execution, attempt.</summary>
public sealed record LockedActivity(RunState Run, ActivityTaskRow Task, ActivityExecutionRow Execution, ActivityAttemptRow Attempt);
