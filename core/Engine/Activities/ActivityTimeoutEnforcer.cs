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
        var due = await ActivityStore.FindTimeoutDueAsync(dataSource, BatchSize, cancellationToken);
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
        return await ActivityStore.RunOfExecutionAsync(dataSource, executionId, cancellationToken) is { } runId
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

        var task = await ActivityStore.LockOpenTaskOfExecutionAsync(tx, executionId, cancellationToken);
        if (await ActivityStore.LockExpiredAsync(tx, executionId, cancellationToken) is not { } expired)
        {
            return false;
        }

        var (execution, currentAttemptId, lastHeartbeatAt, kind) = expired;
        var attempt = currentAttemptId is null ? null : await ActivityStore.LockAttemptAsync(tx, currentAttemptId, cancellationToken);

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
        await ActivityStore.TimeOutAttemptAsync(tx, attempt.Id, failure, kind, cancellationToken);
    }

    /// <summary>Back to pending with a new task after the failure back-off.</summary>
    private static async Task ScheduleRetryAsync(
        EngineTransaction tx, RunState run, ActivityTaskRow task, ActivityExecutionRow execution, ActivityAttemptRow? attempt,
        string kind, string message, int attemptNumber, CancellationToken cancellationToken)
    {
        var backoff = ActivityPolicy.BackoffSeconds(execution, attemptNumber);
        await ActivityStore.ReopenAfterTimeoutAsync(tx, execution.Id, kind == ScheduleToStart, backoff, cancellationToken);
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
        await ActivityStore.CloseTimedOutAsync(tx, execution.Id, failureId, cancellationToken);
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
