using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Core.Engine.Links;
using DurableWorkflow.Core.Engine.Messages;
using DurableWorkflow.Core.Engine.Timers;
using DurableWorkflow.Core.Engine.Waits;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine;

/// <summary>How a run ends; the closing event itself is appended by the caller.</summary>
public sealed record RunClosure(string Status, string ClosedReason, JsonObject? Output = null, JsonObject? Failure = null, string? FailureId = null)
{
    /// <summary>False for continue-as-new: the parent keeps waiting for the successor run.</summary>
    public bool NotifyParent { get; init; } = true;

    /// <summary>The last workflow step the closing task used, saved with the closure; null leaves it as it is.</summary>
    public int? LastStepSequence { get; init; }
}

/// <summary>
/// Closes a run in the caller's transaction: open tasks, timers, waits and activities are settled, undelivered signals
/// are discarded, the run's open children get its parent-close policy, and a parent run learns the outcome of its
/// child (or sees it retried) and gets a workflow task to react to it.
/// </summary>
public static class RunCloser
{
    public static async Task CloseAsync(EngineTransaction tx, RunState run, RunClosure closure, string? keepTaskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(closure);
        var open = await CloseRowAsync(tx, run.Id, closure, keepTaskId, cancellationToken);
        if (open.Tasks)
        {
            await TaskRows.CancelOpenOfRunAsync(tx, run.Id, keepTaskId, cancellationToken);
        }

        if (open.Waits)
        {
            await WaitStore.CancelOpenOfRunAsync(tx, run.Id, cancellationToken);
        }

        if (open.Signals)
        {
            await SignalStore.DiscardUndeliveredAsync(tx, run.Id, cancellationToken);
        }

        var settled = await SettleTimersAndActivitiesAsync(tx, run.Id, open, cancellationToken);
        if (closure.Status is RunStatus.Cancelled or RunStatus.Terminated && settled.Count > 0)
        {
            // Replayers and operators see which steps the cancellation cut short, as the engine records them.
            await HistoryStore.AppendAsync(tx, run.Id, settled, null, null, cancellationToken);
        }

        if (open.Updates)
        {
            await FailAcceptedUpdatesAsync(tx, run, closure.ClosedReason, cancellationToken);
        }

        if (!closure.NotifyParent)
        {
            // Continue-as-new: the successor run inherits both the open child links and the parent's step.
            return;
        }

        if (open.Children)
        {
            await ChildWorkflowPolicies.ApplyParentClosePolicyAsync(tx, run, closure.ClosedReason, cancellationToken);
        }

        if (run.ParentRunId is { } parentRunId)
        {
            await NotifyParentAsync(tx, run, parentRunId, closure, cancellationToken);
        }
    }

    /// <summary>
    /// Closes the run row and reads what it still has open, in one statement, so the owners' settling statements run
    /// only where there is something to settle. The run lock is held and every writer of these rows takes it first, so
    /// nothing opens between this read and the statements it skips. The predicates are the owners' own; the read sees
    /// the other tables as they stood before the statement, and the statement writes only the run row.
    /// </summary>
    private static async Task<OpenWork> CloseRowAsync(
        EngineTransaction tx, string runId, RunClosure closure, string? keepTaskId, CancellationToken cancellationToken)
    {
        await using var close = tx.Command(
            """
            WITH closed AS (
                UPDATE workflow_runs
                   SET status = $3, closed_reason = $4, closed_at = now(), output = COALESCE($5::jsonb, output),
                       last_step_sequence = COALESCE($6, last_step_sequence),
                       liveness_state = 'closed', liveness_reason = NULL, wait_kind = NULL, wait_reason = NULL,
                       wait_started_at = NULL, next_task_id = NULL, next_task_type = NULL, next_task_status = NULL,
                       next_task_at = NULL, updated_at = now()
                 WHERE id = $1
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM workflow_tasks WHERE run_id = $1 AND status IN ('ready', 'leased') AND id IS DISTINCT FROM $2),
                   EXISTS (SELECT 1 FROM workflow_waits WHERE run_id = $1 AND status = 'open'),
                   EXISTS (SELECT 1 FROM workflow_signals WHERE run_id = $1 AND status = 'received'),
                   EXISTS (SELECT 1 FROM workflow_timers WHERE run_id = $1 AND status = 'pending'),
                   EXISTS (SELECT 1 FROM workflow_activity_executions WHERE run_id = $1 AND status IN ('pending', 'running'))
                       OR EXISTS (SELECT 1 FROM workflow_activity_attempts WHERE run_id = $1 AND status = 'running'),
                   EXISTS (SELECT 1 FROM workflow_updates WHERE run_id = $1 AND status = 'accepted'),
                   EXISTS (SELECT 1 FROM workflow_links
                            WHERE parent_workflow_run_id = $1 AND link_type = 'child_workflow' AND status = 'open'
                              AND parent_close_policy IN ('request_cancel', 'terminate') AND child_workflow_run_id IS NOT NULL),
                   (SELECT count(*) FROM closed)
            """,
            runId, SqlValue.Text(keepTaskId), closure.Status, closure.ClosedReason, SqlValue.Json(closure.Output),
            SqlValue.Int(closure.LastStepSequence));
        await using var reader = await close.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new OpenWork(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
            reader.GetBoolean(5), reader.GetBoolean(6));
    }

    private static async Task FailAcceptedUpdatesAsync(EngineTransaction tx, RunState run, string closedReason, CancellationToken cancellationToken)
    {
        var failed = await UpdateStore.FailAcceptedOfRunAsync(tx, run.Id, closedReason, cancellationToken);
        if (failed.Count == 0)
        {
            return;
        }

        var events = failed.Select(u => new NewHistoryEvent("UpdateCompleted", new JsonObject
        {
            ["workflow_command_id"] = u.CommandId,
            ["update_id"] = u.Id,
            ["workflow_instance_id"] = run.InstanceId,
            ["workflow_run_id"] = run.Id,
            ["update_name"] = u.Name,
            ["failure_category"] = "application",
            ["non_retryable"] = true,
            ["exception_class"] = "RuntimeException",
            ["message"] = u.FailureMessage,
            ["terminal_reason"] = closedReason,
        })).ToList();
        await HistoryStore.AppendAsync(tx, run.Id, events, null, null, cancellationToken);
        foreach (var update in failed)
        {
            tx.Wake(WakeChannels.Update(update.Id));
        }
    }

    private static async Task<List<NewHistoryEvent>> SettleTimersAndActivitiesAsync(
        EngineTransaction tx, string runId, OpenWork open, CancellationToken cancellationToken)
    {
        var events = new List<NewHistoryEvent>();
        var timers = open.Timers ? await TimerStore.CancelPendingOfRunAsync(tx, runId, cancellationToken) : [];
        foreach (var timer in timers)
        {
            var payload = new JsonObject
            {
                ["timer_id"] = timer.Id,
                ["sequence"] = timer.Sequence,
                ["delay_seconds"] = timer.DelaySeconds,
                ["fire_at"] = Http.WireTime.Micro(timer.FireAt),
                ["cancelled_at"] = Http.WireTime.Micro(timer.CancelledAt!.Value),
            };
            if (timer.Kind is not null)
            {
                payload["timer_kind"] = timer.Kind;
                payload["condition_wait_id"] = timer.ConditionWaitId;
            }

            events.Add(new NewHistoryEvent("TimerCancelled", payload));
        }

        var activities = open.Activities ? await ActivityStore.CancelOpenOfRunAsync(tx, runId, cancellationToken) : [];
        foreach (var activity in activities)
        {
            events.Add(new NewHistoryEvent("ActivityCancelled", new JsonObject
            {
                ["activity_execution_id"] = activity.ExecutionId,
                ["activity_attempt_id"] = activity.AttemptId,
                ["activity_class"] = activity.ActivityType,
                ["activity_type"] = activity.ActivityType,
                ["sequence"] = activity.Sequence,
                ["attempt_number"] = activity.AttemptCount,
                ["cancelled_at"] = Http.WireTime.Micro(activity.CancelledAt),
            }));
        }

        return [.. events.OrderBy(e => e.Payload["sequence"]!.GetValue<int>())];
    }

    private static async Task NotifyParentAsync(EngineTransaction tx, RunState child, string parentRunId, RunClosure closure, CancellationToken cancellationToken)
    {
        var parent = await RunState.LockAsync(tx, parentRunId, cancellationToken);
        if (await ChildWorkflowPolicies.TryRetryChildAsync(tx, child, parent, closure, cancellationToken))
        {
            return;
        }

        // A parent that is closing right now already holds its own lock in this transaction and has been marked
        // closed, so a child closed by its parent-close policy stops here and never resumes it.
        if (parent is null || !parent.IsOpen)
        {
            return;
        }

        var link = await LinkStore.ResolveChildAsync(tx, child.Id, closure.Status, cancellationToken);
        var linkId = link?.Id;
        var childCallId = link?.ChildCallId;
        var parallel = link?.ParallelGroup;

        var eventType = closure.Status switch
        {
            RunStatus.Completed => "ChildRunCompleted",
            RunStatus.Cancelled => "ChildRunCancelled",
            RunStatus.Terminated => "ChildRunTerminated",
            _ => "ChildRunFailed",
        };
        var payload = new JsonObject
        {
            ["sequence"] = child.ParentSequence,
            ["workflow_link_id"] = linkId,
            ["child_call_id"] = childCallId,
            ["child_workflow_instance_id"] = child.InstanceId,
            ["child_workflow_run_id"] = child.Id,
            ["child_workflow_class"] = child.WorkflowType,
            ["child_workflow_type"] = child.WorkflowType,
            ["child_run_number"] = child.RunNumber,
            ["child_status"] = closure.Status,
            ["closed_reason"] = closure.ClosedReason,
            ["closed_at"] = Http.WireTime.Micro(DateTimeOffset.UtcNow),
        };
        if (closure.Status == RunStatus.Completed)
        {
            var blob = closure.Output?["blob"]?.DeepClone();
            payload["output"] = blob;
            payload["result"] = blob?.DeepClone();
            payload["payload_codec"] = closure.Output?["codec"]?.DeepClone() ?? child.PayloadCodec;
        }
        else if (closure.Failure is { } failure)
        {
            payload["failure_id"] = closure.FailureId;
            foreach (var key in new[] { "failure_category", "exception_type", "exception_class", "message", "exception", "code" })
            {
                if (failure[key] is { } value)
                {
                    payload[key] = value.DeepClone();
                }
            }
        }

        ParallelGroup.CopyInto(parallel, payload);
        await HistoryStore.AppendAsync(tx, parent.Id, [new NewHistoryEvent(eventType, payload)], null, null, cancellationToken);
        await TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(parent.Namespace, parent.Id, parent.TaskQueue, parent.WorkflowType,
            parent.Compatibility, parent.Priority, ResumeContext.Of(
                ("workflow_wait_kind", "child"),
                ("open_wait_id", $"child:{childCallId ?? child.Id}"),
                ("resume_source_kind", "child_workflow_run"),
                ("resume_source_id", child.Id),
                ("child_call_id", childCallId),
                ("child_workflow_run_id", child.Id),
                ("workflow_sequence", child.ParentSequence),
                ("workflow_event_type", eventType))), cancellationToken);
    }

    /// <summary>Which of the run's rows are still open when it closes.</summary>
    private sealed record OpenWork(bool Tasks, bool Waits, bool Signals, bool Timers, bool Activities, bool Updates, bool Children);
}
