using DurableWorkflow.Core.Engine.Messages;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>
/// What arrived while a workflow task was leased is not in its history cutoff, and could not get its own task (one
/// open workflow task per run). When that task completes without closing the run, the run gets the next task now
/// rather than waiting for something else to wake it (ENGINE HEAD behaviour, worker-protocol spec §3.4.2).
/// </summary>
public static class LeasedTaskFollowUp
{
    /// <summary>
    /// Marks the signals the task saw as applied and creates the follow-up task, if anything is still unseen. The
    /// completed task must already be closed. Returns the new task id, or null.
    /// </summary>
    public static async Task<string?> CreateAsync(EngineTransaction tx, RunState run, WorkflowTaskRow task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(task);
        var cutoff = task.HistoryCutoffSequence ?? 0;
        await SignalStore.MarkAppliedThroughAsync(tx, run.Id, cutoff, cancellationToken);

        if (await HasUnseenOutcomesAsync(tx, run.Id, cutoff, task.Id, cancellationToken)
            && await InsertAsync(tx, run, ResumeContext.None, cancellationToken) is { } resumed)
        {
            return resumed;
        }

        return await PendingMessageAsync(tx, run.Id, cancellationToken) is { } resume
            ? await InsertAsync(tx, run, resume, cancellationToken)
            : null;
    }

    /// <summary>
    /// An activity, timer or child outcome recorded while the task was leased, after its history cutoff: the run needs
    /// another task to see it.
    /// </summary>
    private static async Task<bool> HasUnseenOutcomesAsync(EngineTransaction tx, string runId, long cutoff, string taskId, CancellationToken cancellationToken)
    {
        await using var unseen = tx.Command(
            """
            SELECT EXISTS (
                SELECT 1 FROM workflow_history_events
                 WHERE run_id = $1 AND sequence > $2 AND workflow_task_id IS DISTINCT FROM $3
                   AND event_type IN ('ActivityCompleted', 'ActivityFailed', 'ActivityTimedOut', 'ActivityCancelled', 'TimerFired',
                                      'ChildRunCompleted', 'ChildRunFailed', 'ChildRunCancelled', 'ChildRunTerminated'))
            """,
            runId, cutoff, taskId);
        return await unseen.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>The oldest signal or accepted update still waiting, as the resume context of the task that delivers it.</summary>
    private static async Task<ResumeContext?> PendingMessageAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var pending = tx.Command(
            """
            (SELECT 'signal' AS kind, id, signal_name, signal_wait_id, workflow_command_id, received_at AS at
               FROM workflow_signals WHERE run_id = $1 AND status = 'received'
              ORDER BY history_sequence LIMIT 1)
            UNION ALL
            (SELECT 'update', id, update_name, NULL, workflow_command_id, accepted_at
               FROM workflow_updates WHERE run_id = $1 AND status = 'accepted'
              ORDER BY accepted_at, id LIMIT 1)
            ORDER BY at
            LIMIT 1
            """,
            runId);
        await using var reader = await pending.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var id = reader.GetString(1);
        var commandId = reader.StringOrNull(4);
        // Python applies an update only on a task that names it, so an update-driven task carries workflow_update_id.
        return reader.GetString(0) == "signal"
            ? ResumeContext.Of(
                ("workflow_wait_kind", "signal"),
                ("open_wait_id", $"signal-application:{id}"),
                ("resume_source_kind", "workflow_signal"),
                ("resume_source_id", id),
                ("workflow_signal_id", id),
                ("signal_name", reader.GetString(2)),
                ("signal_wait_id", reader.StringOrNull(3)),
                ("workflow_command_id", commandId))
            : ResumeContext.Of(
                ("workflow_wait_kind", "update"),
                ("open_wait_id", $"update:{id}"),
                ("resume_source_kind", "workflow_update"),
                ("resume_source_id", id),
                ("workflow_update_id", id),
                ("workflow_command_id", commandId));
    }

    private static Task<string?> InsertAsync(EngineTransaction tx, RunState run, ResumeContext resume, CancellationToken cancellationToken) =>
        TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, resume), cancellationToken);
}
