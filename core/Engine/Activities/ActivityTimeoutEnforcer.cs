using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>
/// Enforces the four activity timeouts (rollout contract §9.9, docs/schema.md §7.3): the expired attempt is closed as
/// <c>timed_out</c> and its task cancelled; then either a retry task is scheduled or the step ends with
/// <c>ActivityTimedOut</c> and the workflow is resumed. Any number of nodes may run it: each execution is re-checked
/// under the locks, so a second enforcement of the same execution finds nothing expired and changes nothing.
/// </summary>
public sealed class ActivityTimeoutEnforcer(NpgsqlDataSource dataSource, WakeBus wakeBus, ILogger<ActivityTimeoutEnforcer> logger)
{
    private const int BatchSize = 100;

    /// <summary>The engine's exception class, which the SDKs surface to workflow code.</summary>
    private const string ExceptionClass = @"Workflow\V2\Exceptions\ActivityTimeoutException";

    private const string ScheduleToClose = "schedule_to_close";
    private const string ScheduleToStart = "schedule_to_start";
    private const string Heartbeat = "heartbeat";

    public async Task<int> EnforceDueAsync(CancellationToken cancellationToken)
    {
        // timeout_due_at is generated from the four deadline predicates, so its partial index answers exactly them.
        var due = new List<(string ExecutionId, string RunId)>();
        await using (var find = dataSource.CreateCommand(
            "SELECT id, run_id FROM workflow_activity_executions WHERE timeout_due_at <= now() ORDER BY timeout_due_at LIMIT $1"))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var enforced = 0;
        foreach (var (executionId, runId) in due)
        {
            if (await EnforceAsync(executionId, runId, null, cancellationToken))
            {
                enforced++;
            }
        }

        if (due.Count > 0)
        {
            EngineLog.ActivityTimeoutPass(logger, due.Count, enforced);
        }

        return enforced;
    }

    /// <summary>
    /// Enforces one execution if a deadline of it has passed; false when there was nothing to do. A
    /// <paramref name="guard"/> runs first inside the transaction (the scheduler's lease fence): when it answers false,
    /// nothing is written.
    /// </summary>
    public async Task<bool> EnforceAsync(
        string executionId, Func<EngineTransaction, CancellationToken, Task<bool>>? guard, CancellationToken cancellationToken)
    {
        await using var find = dataSource.CreateCommand("SELECT run_id FROM workflow_activity_executions WHERE id = $1");
        find.Parameters.Add(new NpgsqlParameter { Value = executionId });
        return await find.ExecuteScalarAsync(cancellationToken) is string runId
            && await EnforceAsync(executionId, runId, guard, cancellationToken);
    }

    private async Task<bool> EnforceAsync(
        string executionId, string runId, Func<EngineTransaction, CancellationToken, Task<bool>>? guard, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (guard is not null && !await guard(tx, cancellationToken))
        {
            return false;
        }

        // The lock order of every activity outcome (run → task → execution → attempt), so a racing /complete either
        // commits first and leaves nothing expired, or waits and then answers stale_attempt.
        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        if (run is not { IsOpen: true })
        {
            // A closing run settles its own activities.
            return false;
        }

        var task = await LockOpenTaskAsync(tx, executionId, cancellationToken);
        if (await LockExpiredAsync(tx, executionId, cancellationToken) is not { } expired)
        {
            return false;
        }

        var (execution, currentAttemptId, lastHeartbeatAt, kind) = expired;
        var attempt = currentAttemptId is null ? null : await LockAttemptAsync(tx, currentAttemptId, cancellationToken);

        // An open execution always has one open task, and a running one a running attempt that task carries; rows that
        // disagree are left to repair rather than guessed at.
        if (task is null || (execution.Status == "running" && (attempt is not { Status: "running" } || task.AttemptId != attempt.Id)))
        {
            return false;
        }

        var message = Message(execution, kind, lastHeartbeatAt);
        // A schedule-to-start timeout uses up an attempt that never started, so a step nobody claims cannot retry forever.
        var attemptNumber = kind == ScheduleToStart ? execution.AttemptCount + 1 : Math.Max(1, execution.AttemptCount);
        await CloseTransportAsync(tx, task, attempt, kind, message, cancellationToken);
        var retrying = kind != ScheduleToClose && attemptNumber < execution.MaxAttempts;
        if (retrying)
        {
            await ScheduleRetryAsync(tx, run, task, execution, attempt, kind, message, attemptNumber, cancellationToken);
        }
        else
        {
            await RecordTimedOutAsync(tx, run, execution, attempt, kind, message, attemptNumber, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        EngineLog.ActivityTimedOut(logger, execution.Id, runId, kind, retrying);
        return true;
    }

    private static async Task<ActivityTaskRow?> LockOpenTaskAsync(EngineTransaction tx, string executionId, CancellationToken cancellationToken)
    {
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
    /// Locks the execution and re-checks its deadlines against the database clock that armed them; null when none has
    /// passed any more. The kinds are tried in the contract's precedence order.
    /// </summary>
    private static async Task<(ActivityExecutionRow Execution, string? CurrentAttemptId, DateTimeOffset? LastHeartbeatAt, string Kind)?> LockExpiredAsync(
        EngineTransaction tx, string executionId, CancellationToken cancellationToken)
    {
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

        return (ActivityExecutionRow.Read(reader), reader.IsDBNull(21) ? null : reader.GetString(21),
            ActivityExecutionRow.ReadTime(reader, 22), reader.GetString(23));
    }

    private static async Task<ActivityAttemptRow?> LockAttemptAsync(EngineTransaction tx, string attemptId, CancellationToken cancellationToken)
    {
        await using var read = tx.Command($"SELECT {ActivityAttemptRow.Columns} FROM workflow_activity_attempts a WHERE a.id = $1 FOR UPDATE", attemptId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ActivityAttemptRow.Read(reader) : null;
    }

    /// <summary>
    /// The task is cancelled, not failed: the worker still holding it learns from its next heartbeat that it must stop,
    /// and a late outcome is answered <c>stale_attempt</c>.
    /// </summary>
    private static async Task CloseTransportAsync(
        EngineTransaction tx, ActivityTaskRow task, ActivityAttemptRow? attempt, string kind, string message, CancellationToken cancellationToken)
    {
        await ActivityStore.CancelTaskAsync(tx, task.Id, cancellationToken);

        if (attempt is null)
        {
            return;
        }

        var failure = new JsonObject { ["class"] = ExceptionClass, ["message"] = message, ["timeout_kind"] = kind };
        await using var close = tx.Command(
            """
            UPDATE workflow_activity_attempts
               SET status = 'timed_out', failure = $2::jsonb, failure_category = 'timeout', timeout_kind = $3,
                   lease_expires_at = NULL, closed_at = now()
             WHERE id = $1
            """,
            attempt.Id, failure.ToJsonString(), kind);
        await close.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Back to pending with a new task after the failure back-off. A step that was never claimed gets a fresh
    /// schedule-to-start deadline, or its expired one would time the retry out on the next pass.
    /// </summary>
    private static async Task ScheduleRetryAsync(
        EngineTransaction tx, RunState run, ActivityTaskRow task, ActivityExecutionRow execution, ActivityAttemptRow? attempt,
        string kind, string message, int attemptNumber, CancellationToken cancellationToken)
    {
        var backoff = ActivityPolicy.BackoffSeconds(execution, attemptNumber);
        await using (var reopen = tx.Command(
            """
            UPDATE workflow_activity_executions
               SET status = 'pending', current_attempt_id = NULL, close_deadline_at = NULL, heartbeat_deadline_at = NULL,
                   last_heartbeat_at = NULL,
                   schedule_deadline_at = CASE WHEN $2 THEN now() + make_interval(secs => $3 + schedule_to_start_timeout) END,
                   attempt_count = CASE WHEN $2 THEN attempt_count + 1 ELSE attempt_count END,
                   updated_at = now()
             WHERE id = $1
            """,
            execution.Id, kind == ScheduleToStart, backoff))
        {
            await reopen.ExecuteNonQueryAsync(cancellationToken);
        }

        var (retryTaskId, availableAt) = await ActivityStore.InsertRetryTaskAsync(tx, run.Namespace, task, execution, backoff, cancellationToken);
        var payload = ActivityEvents.RetryScheduled(execution, attempt?.Id, attemptNumber, task.Id, retryTaskId, availableAt, backoff);
        payload["timeout_kind"] = kind;
        payload["message"] = message;
        payload["exception_class"] = ExceptionClass;
        await HistoryStore.AppendAsync(tx, run.Id, [ActivityEvents.Finish("ActivityRetryScheduled", payload, execution, "pending",
            attempt is null ? null : ActivityEvents.Attempt(attempt, "timed_out", null, attempt.LastHeartbeatAt))], null, null, cancellationToken);
    }

    /// <summary>The step ends: a failure record, <c>ActivityTimedOut</c> (SDKs replay it like <c>ActivityFailed</c>), and the wake.</summary>
    private static async Task RecordTimedOutAsync(
        EngineTransaction tx, RunState run, ActivityExecutionRow execution, ActivityAttemptRow? attempt, string kind, string message,
        int attemptNumber, CancellationToken cancellationToken)
    {
        var failureId = await ActivityStore.InsertFailureAsync(tx, run, execution,
            new ActivityFailureRow("timeout", "timeout", null, ExceptionClass, message, null, false), cancellationToken);
        await using (var close = tx.Command(
            "UPDATE workflow_activity_executions SET status = 'timed_out', failure_id = $2, closed_at = now(), updated_at = now() WHERE id = $1",
            execution.Id, failureId))
        {
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        var payload = ActivityEvents.Base(execution, attempt?.Id);
        payload["attempt_number"] = attemptNumber;
        payload["failure_id"] = failureId;
        payload["failure_category"] = "timeout";
        payload["timeout_kind"] = kind;
        payload["message"] = message;
        payload["exception_class"] = ExceptionClass;
        payload["schedule_deadline_at"] = Offset(execution.ScheduleDeadlineAt);
        payload["close_deadline_at"] = Offset(execution.CloseDeadlineAt);
        payload["schedule_to_close_deadline_at"] = Offset(execution.ScheduleToCloseDeadlineAt);
        payload["heartbeat_deadline_at"] = Offset(execution.HeartbeatDeadlineAt);
        await HistoryStore.AppendAsync(tx, run.Id, [ActivityEvents.Finish("ActivityTimedOut", payload, execution, "timed_out",
            attempt is null ? null : ActivityEvents.Attempt(attempt, "timed_out", null, attempt.LastHeartbeatAt))], null, null, cancellationToken);
        if (await ActivityStore.GroupSettledAsync(tx, execution, cancellationToken))
        {
            await ActivityStore.ResumeWorkflowAsync(tx, run, execution, attempt?.Id, "ActivityTimedOut", cancellationToken);
        }
    }

    /// <summary>The engine's wording, so operators see the same message from either server.</summary>
    private static string Message(ActivityExecutionRow execution, string kind, DateTimeOffset? lastHeartbeatAt) => kind switch
    {
        ScheduleToStart => $"Activity {execution.ActivityType} schedule-to-start deadline expired at {Offset(execution.ScheduleDeadlineAt)}.",
        ScheduleToClose => $"Activity {execution.ActivityType} schedule-to-close deadline expired at {Offset(execution.ScheduleToCloseDeadlineAt)}.",
        Heartbeat => $"Activity {execution.ActivityType} heartbeat deadline expired at {Offset(execution.HeartbeatDeadlineAt)} "
            + $"(last heartbeat: {Offset(lastHeartbeatAt) ?? "never"}).",
        _ => $"Activity {execution.ActivityType} start-to-close deadline expired at {Offset(execution.CloseDeadlineAt)}.",
    };

    private static string? Offset(DateTimeOffset? value) => value is { } at ? WireTime.Offset(at) : null;
}
