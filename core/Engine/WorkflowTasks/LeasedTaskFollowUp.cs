using System.Text.Json.Nodes;
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
    /// Closes the completed task with its answer, marks the run waiting, marks the signals the task saw as applied and
    /// creates the follow-up task, if anything is still unseen. Returns the new task id, or null.
    /// </summary>
    public static async Task<string?> CreateAsync(
        EngineTransaction tx, RunState run, WorkflowTaskRow task, ClosingTask closing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(closing);
        var cutoff = task.HistoryCutoffSequence ?? 0;
        var (unseen, pending) = await CloseAndReadAsync(tx, run.Id, cutoff, task.Id, closing, cancellationToken);
        if (unseen && await InsertAsync(tx, run, ResumeContext.None, cancellationToken) is { } resumed)
        {
            return resumed;
        }

        return pending is not null ? await InsertAsync(tx, run, pending, cancellationToken) : null;
    }

    /// <summary>
    /// One statement: closes the task (<see cref="WorkflowTaskStore"/>'s SQL; before the follow-up is inserted, since
    /// one open workflow task per run is an index), marks the run waiting (<see cref="RunWriter"/>'s SQL), marks the
    /// signals the task saw as applied (<see cref="SignalStore"/>'s SQL), and reads whether an activity, timer or child
    /// outcome was recorded while the task was leased, after its history cutoff (the run needs another task to see it),
    /// and the oldest signal or accepted update still waiting, as the resume context of the task that delivers it. The
    /// read sees the statement's snapshot, so the signals it just applied are excluded by the complement of their
    /// predicate; the tables it reads are not the ones the task and run updates write.
    /// </summary>
    private static async Task<(bool Unseen, ResumeContext? Pending)> CloseAndReadAsync(
        EngineTransaction tx, string runId, long cutoff, string taskId, ClosingTask closing, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            $"""
            WITH closed AS ({WorkflowTaskStore.CompleteSql("$3", "$4", "$5")}),
                 waiting AS ({RunWriter.MarkWaitingSql("$1", "$6", "$7")}),
                 applied AS ({SignalStore.MarkAppliedThroughSql("$1", "$2")})
            SELECT EXISTS (
                       SELECT 1 FROM workflow_history_events
                        WHERE run_id = $1 AND sequence > $2 AND workflow_task_id IS DISTINCT FROM $3
                          AND event_type IN ('ActivityCompleted', 'ActivityFailed', 'ActivityTimedOut', 'ActivityCancelled', 'TimerFired',
                                             'ChildRunCompleted', 'ChildRunFailed', 'ChildRunCancelled', 'ChildRunTerminated')),
                   m.kind, m.id, m.name, m.signal_wait_id, m.workflow_command_id
              FROM (SELECT 1) AS one
              LEFT JOIN LATERAL (
                  (SELECT 'signal' AS kind, id, signal_name AS name, signal_wait_id, workflow_command_id, received_at AS at
                     FROM workflow_signals
                    WHERE run_id = $1 AND status = 'received' AND (history_sequence > $2 OR history_sequence IS NULL)
                    ORDER BY history_sequence LIMIT 1)
                  UNION ALL
                  (SELECT 'update', id, update_name, NULL, workflow_command_id, accepted_at
                     FROM workflow_updates WHERE run_id = $1 AND status = 'accepted'
                    ORDER BY accepted_at, id LIMIT 1)
                  ORDER BY at
                  LIMIT 1) AS m ON true
            """,
            runId, cutoff, taskId, closing.Answer.ToJsonString(), closing.RequestSha256, closing.Waiting.LastStepSequence,
            SqlValue.Text(closing.Waiting.WaitKind));
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var unseen = reader.GetBoolean(0);
        if (reader.IsDBNull(1))
        {
            return (unseen, null);
        }

        var id = reader.GetString(2);
        var commandId = reader.StringOrNull(5);
        // Python applies an update only on a task that names it, so an update-driven task carries workflow_update_id.
        return (unseen, reader.GetString(1) == "signal"
            ? ResumeContext.Of(
                ("workflow_wait_kind", "signal"),
                ("open_wait_id", $"signal-application:{id}"),
                ("resume_source_kind", "workflow_signal"),
                ("resume_source_id", id),
                ("workflow_signal_id", id),
                ("signal_name", reader.GetString(3)),
                ("signal_wait_id", reader.StringOrNull(4)),
                ("workflow_command_id", commandId))
            : ResumeContext.Of(
                ("workflow_wait_kind", "update"),
                ("open_wait_id", $"update:{id}"),
                ("resume_source_kind", "workflow_update"),
                ("resume_source_id", id),
                ("workflow_update_id", id),
                ("workflow_command_id", commandId)));
    }

    private static Task<string?> InsertAsync(EngineTransaction tx, RunState run, ResumeContext resume, CancellationToken cancellationToken) =>
        TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, resume), cancellationToken);
}

/// <summary>How a completed task that leaves its run open closes: its answer, the commands' fingerprint, the run's wait.</summary>
public sealed record ClosingTask(JsonObject Answer, byte[] RequestSha256, RunWaiting Waiting);
