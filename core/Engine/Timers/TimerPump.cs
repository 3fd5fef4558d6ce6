using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Failures;
using DurableWorkflow.Core.Engine.Waits;
using DurableWorkflow.Core.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>
/// Fires due timers (worker-protocol spec §8.7): the timer becomes fired, <c>TimerFired</c> is appended and the run
/// gets a workflow task. Any number of nodes may run it; each timer task is taken with <c>SKIP LOCKED</c> and
/// re-checked under the run lock, so a timer fires exactly once.
/// </summary>
public sealed class TimerPump(NpgsqlDataSource dataSource, WakeBus wakeBus, ILogger<TimerPump> logger)
{
    private const int BatchSize = 100;

    /// <summary>
    /// One pass: fires the due timers and times out the overdue runs found by one scan. Returns what it did and how
    /// long until the next known due time (zero when a batch was full and more may be due now).
    /// </summary>
    public async Task<TimerPass> RunPassAsync(CancellationToken cancellationToken)
    {
        var scan = await TimerStore.ScanAsync(dataSource, BatchSize, cancellationToken);
        var fired = 0;
        foreach (var (taskId, runId) in scan.DueTimers)
        {
            if (await FireAsync(taskId, runId, cancellationToken))
            {
                fired++;
            }
        }

        var timedOut = 0;
        foreach (var runId in scan.OverdueRuns)
        {
            if (await TimeOutAsync(runId, cancellationToken))
            {
                timedOut++;
            }
        }

        if (scan.DueTimers.Count > 0 || timedOut > 0)
        {
            EngineLog.TimerPass(logger, scan.DueTimers.Count, fired, timedOut);
        }

        var more = scan.DueTimers.Count == BatchSize || scan.OverdueRuns.Count == BatchSize;
        return new TimerPass(fired, timedOut, more ? TimeSpan.Zero : scan.NextDueIn);
    }

    /// <summary>
    /// A run past its run or execution deadline fails with <c>closed_reason = timed_out</c> and a
    /// <c>WorkflowTimedOut</c> event; its open tasks are cancelled and a parent learns of it.
    /// </summary>
    private async Task<bool> TimeOutAsync(string runId, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        if (run is null || !run.IsOpen || !await IsOverdueAsync(tx, runId, cancellationToken))
        {
            return false;
        }

        var kind = await TimeoutKindAsync(tx, runId, cancellationToken);
        var failureId = Ulid.NewId();
        var message = kind == "execution_timeout" ? "Workflow execution timed out." : "Workflow run timed out.";
        var failure = new JsonObject
        {
            ["failure_id"] = failureId,
            ["timeout_kind"] = kind,
            ["failure_category"] = "timeout",
            ["message"] = message,
            ["exception_class"] = "WorkflowTimedOut",
        };
        await FailureStore.InsertAsync(tx, new NewFailure
        {
            Id = failureId,
            Namespace = run.Namespace,
            RunId = run.Id,
            SourceKind = "workflow_run",
            SourceId = run.Id,
            Category = "timeout",
            ExceptionClass = "WorkflowTimedOut",
            Message = message,
            NonRetryable = true,
        }, cancellationToken);

        await HistoryStore.AppendAsync(tx, run.Id, [new NewHistoryEvent("WorkflowTimedOut", (JsonObject)failure.DeepClone())], null, null, cancellationToken);
        await RunCloser.CloseAsync(tx, run, new RunClosure(RunStatus.Failed, "timed_out", Failure: failure, FailureId: failureId), null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        EngineLog.RunTimedOut(logger, run.Id, kind);
        return true;
    }

    private static async Task<bool> IsOverdueAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var check = tx.Command("SELECT deadline_at <= now() FROM workflow_runs WHERE id = $1", runId);
        return await check.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task<string> TimeoutKindAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var kind = tx.Command(
            "SELECT CASE WHEN execution_deadline_at <= now() THEN 'execution_timeout' ELSE 'run_timeout' END FROM workflow_runs WHERE id = $1", runId);
        return (string)(await kind.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<bool> FireAsync(string taskId, string runId, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        if (run is null)
        {
            return false;
        }

        if (await TimerStore.TakeDueTaskAsync(tx, taskId, cancellationToken) is not { } timerId)
        {
            return false;
        }

        // A closed run's timer task is still taken, so the pump does not find it again; the timer itself stays as the
        // run's closure left it.
        if (!run.IsOpen || await TimerStore.MarkFiredAsync(tx, timerId, cancellationToken) is not { } timer)
        {
            await tx.CommitAsync(cancellationToken);
            return false;
        }

        var sequence = timer.Sequence;
        var conditionWaitId = timer.ConditionWaitId;
        var payload = new JsonObject
        {
            ["timer_id"] = timerId,
            ["sequence"] = sequence,
            ["delay_seconds"] = timer.DelaySeconds,
            ["fire_at"] = WireTime.Micro(timer.FireAt),
            ["fired_at"] = WireTime.Micro(timer.FiredAt!.Value),
        };
        if (timer.Kind is not null)
        {
            payload["timer_kind"] = timer.Kind;
            payload["condition_wait_id"] = conditionWaitId;
        }

        ResumeContext resume;
        if (conditionWaitId is not null)
        {
            var wait = await WaitStore.TimeOutAsync(tx, runId, sequence, cancellationToken);
            var key = wait?.ConditionKey;
            var fingerprint = wait?.DefinitionFingerprint;
            payload["condition_key"] = key;
            payload["condition_definition_fingerprint"] = fingerprint;
            resume = ResumeContext.Of(
                ("workflow_wait_kind", "condition"), ("open_wait_id", conditionWaitId), ("resume_source_kind", "timer"),
                ("resume_source_id", timerId), ("timer_id", timerId), ("workflow_sequence", sequence),
                ("workflow_event_type", "TimerFired"), ("condition_wait_id", conditionWaitId), ("condition_key", key),
                ("condition_definition_fingerprint", fingerprint));
        }
        else
        {
            resume = ResumeContext.Of(
                ("workflow_wait_kind", "timer"), ("open_wait_id", $"timer:{timerId}"), ("resume_source_kind", "timer"),
                ("resume_source_id", timerId), ("timer_id", timerId), ("workflow_sequence", sequence),
                ("workflow_event_type", "TimerFired"));
        }

        await HistoryStore.AppendAsync(tx, runId, [new NewHistoryEvent("TimerFired", payload)], null, null, cancellationToken);
        await TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, resume), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }
}
