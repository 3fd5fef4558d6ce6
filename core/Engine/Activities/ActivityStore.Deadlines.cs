using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>An open execution one of whose deadlines has passed, locked, with the kind that passed first.</summary>
public sealed record ExpiredActivity(ActivityExecutionRow Execution, string? CurrentAttemptId, DateTimeOffset? LastHeartbeatAt, string Kind);

/// <summary>
/// The deadline SQL of activities (docs/schema.md §7.3): heartbeats re-arm the heartbeat deadline, and the rows the
/// timeout pass (<see cref="ActivityTimeoutEnforcer"/>, which keeps the policy) finds, locks and closes.
/// </summary>
public static partial class ActivityStore
{
    /// <summary>Records a heartbeat on the execution and its attempt; returns the heartbeat time by the database clock.</summary>
    public static async Task<DateTimeOffset> RecordHeartbeatAsync(
        EngineTransaction tx, ActivityExecutionRow execution, string attemptId, DateTimeOffset leaseExpiresAt, JsonObject progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(progress);
        await using (var beat = tx.Command(
            """
            UPDATE workflow_activity_executions
               SET last_heartbeat_at = now(), heartbeat_deadline_at = now() + make_interval(secs => heartbeat_timeout), updated_at = now()
             WHERE id = $1
            """,
            execution.Id))
        {
            await beat.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var attemptBeat = tx.Command(
            """
            UPDATE workflow_activity_attempts
               SET last_heartbeat_at = now(), lease_expires_at = $2, heartbeat_deadline_at = now() + make_interval(secs => $3),
                   progress = $4::jsonb
             WHERE id = $1
            RETURNING last_heartbeat_at
            """,
            attemptId, leaseExpiresAt, SqlValue.Int(execution.HeartbeatTimeout), progress.ToJsonString());
        return await ReadTimeAsync(attemptBeat, cancellationToken);
    }

    /// <summary>Executions with a passed deadline, earliest first (the partial index on <c>timeout_due_at</c> answers it).</summary>
    public static async Task<IReadOnlyList<(string ExecutionId, string RunId)>> FindTimeoutDueAsync(
        NpgsqlDataSource dataSource, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var due = new List<(string, string)>();
        await using var find = dataSource.CreateCommand(
            "SELECT id, run_id FROM workflow_activity_executions WHERE timeout_due_at <= now() ORDER BY timeout_due_at LIMIT $1");
        find.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add((reader.GetString(0), reader.GetString(1)));
        }

        return due;
    }

    /// <summary>The run of an execution; null when the execution is unknown.</summary>
    public static async Task<string?> RunOfExecutionAsync(NpgsqlDataSource dataSource, string executionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var find = dataSource.CreateCommand("SELECT run_id FROM workflow_activity_executions WHERE id = $1");
        find.Parameters.Add(new NpgsqlParameter { Value = executionId });
        return await find.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Locks the execution's ready or leased task; null when it has none.</summary>
    public static async Task<ActivityTaskRow?> LockOpenTaskOfExecutionAsync(EngineTransaction tx, string executionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command(
            $"""
            SELECT {ActivityTaskRow.Columns} FROM workflow_tasks t
             WHERE t.activity_execution_id = $1 AND t.task_type = 'activity' AND t.status IN ('ready', 'leased')
               FOR UPDATE
            """,
            executionId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ActivityTaskRow.Read(reader) : null;
    }

    /// <summary>
    /// Locks the open execution and re-checks its deadlines against the database clock that armed them; null when none
    /// has passed any more. The kinds are tried in the rollout contract's precedence order.
    /// </summary>
    public static async Task<ExpiredActivity?> LockExpiredAsync(EngineTransaction tx, string executionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command(
            $"""
            SELECT {ActivityExecutionRow.Columns}, e.current_attempt_id, e.last_heartbeat_at,
                   CASE WHEN e.schedule_to_close_deadline_at <= now() THEN 'schedule_to_close'
                        WHEN e.status = 'pending' AND e.schedule_deadline_at <= now() THEN 'schedule_to_start'
                        WHEN e.status = 'running' AND e.heartbeat_deadline_at <= now() THEN 'heartbeat'
                        WHEN e.status = 'running' AND e.close_deadline_at <= now() THEN 'start_to_close'
                   END
              FROM workflow_activity_executions e
             WHERE e.id = $1 AND e.status IN ('pending', 'running')
               FOR UPDATE
            """,
            executionId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(23))
        {
            return null;
        }

        return new ExpiredActivity(ActivityExecutionRow.Read(reader), reader.StringOrNull(21), reader.TimeOrNull(22), reader.GetString(23));
    }

    public static async Task<ActivityAttemptRow?> LockAttemptAsync(EngineTransaction tx, string attemptId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command($"SELECT {ActivityAttemptRow.Columns} FROM workflow_activity_attempts a WHERE a.id = $1 FOR UPDATE", attemptId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ActivityAttemptRow.Read(reader) : null;
    }

    public static async Task TimeOutAttemptAsync(EngineTransaction tx, string attemptId, JsonObject failure, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(failure);
        await using var close = tx.Command(
            """
            UPDATE workflow_activity_attempts
               SET status = 'timed_out', failure = $2::jsonb, failure_category = 'timeout', timeout_kind = $3,
                   lease_expires_at = NULL, closed_at = now()
             WHERE id = $1
            """,
            attemptId, failure.ToJsonString(), kind);
        await close.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Back to pending after a timeout, for a retry <paramref name="backoffSeconds"/> from now. A step that was never
    /// claimed (<paramref name="neverStarted"/>) counts the attempt and gets a fresh schedule-to-start deadline, or its
    /// expired one would time the retry out on the next pass.
    /// </summary>
    public static async Task ReopenAfterTimeoutAsync(
        EngineTransaction tx, string executionId, bool neverStarted, int backoffSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var reopen = tx.Command(
            """
            UPDATE workflow_activity_executions
               SET status = 'pending', current_attempt_id = NULL, close_deadline_at = NULL, heartbeat_deadline_at = NULL,
                   last_heartbeat_at = NULL,
                   schedule_deadline_at = CASE WHEN $2 THEN now() + make_interval(secs => $3 + schedule_to_start_timeout) END,
                   attempt_count = CASE WHEN $2 THEN attempt_count + 1 ELSE attempt_count END,
                   updated_at = now()
             WHERE id = $1
            """,
            executionId, neverStarted, backoffSeconds);
        await reopen.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task CloseTimedOutAsync(EngineTransaction tx, string executionId, string failureId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var close = tx.Command(
            "UPDATE workflow_activity_executions SET status = 'timed_out', failure_id = $2, closed_at = now(), updated_at = now() WHERE id = $1",
            executionId, failureId);
        await close.ExecuteNonQueryAsync(cancellationToken);
    }
}
