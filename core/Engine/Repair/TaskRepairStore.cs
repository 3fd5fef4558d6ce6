using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Repair;

/// <summary>
/// The task repair pass's reads and transitions (rollout contract §8.3–8.4): candidate selection, the per-candidate
/// transitions under the run lock, and the <c>repair_needed</c> liveness projection. Every row it changes is written
/// through its owner (<see cref="TaskRows"/> and the kind stores for tasks, <see cref="RunWriter"/> for runs,
/// <see cref="CoordinationLeases"/> for the throttle).
/// </summary>
public static class TaskRepairStore
{
    /// <summary>Tables a pass reads or writes; when any is missing (boot or migration window) the pass does nothing.</summary>
    public static readonly IReadOnlyList<string> RequiredTables =
    [
        "workflow_tasks", "workflow_runs", "workflow_activity_executions", "workflow_worker_compatibility_heartbeats",
        "workflow_coordination_leases", "workflow_timers", "workflow_waits", "workflow_links", "workflow_signals", "workflow_updates",
    ];

    /// <summary>The shared throttle key of throttle-respecting passes (rollout contract §8.4 step 2).</summary>
    public const string ThrottleKey = "workflow:v2:task-watchdog:looping";

    /// <summary>Most runs one projection marks <c>repair_needed</c>, so a pass stays bounded after a long outage.</summary>
    public const int ProjectionLimit = 1000;

    public static async Task<bool> TablesPresentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var check = dataSource.CreateCommand("SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest($1::text[]) AS t");
        check.Parameters.Add(new NpgsqlParameter { Value = RequiredTables.ToArray() });
        return await check.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// The loop throttle as an atomic add: a respecting pass wins only when no unexpired key exists; a forced pass
    /// overwrites the key and always proceeds. False means "throttled".
    /// </summary>
    public static Task<bool> TryEnterAsync(EngineTransaction tx, string holder, int throttleSeconds, bool respectThrottle, CancellationToken cancellationToken) =>
        CoordinationLeases.TryAddAsync(tx, ThrottleKey, holder, throttleSeconds, overwrite: !respectThrottle, cancellationToken);

    /// <summary>Up to <paramref name="limit"/> existing-task candidates, one per (connection, queue, compatibility) scope in turn, oldest first.</summary>
    public static async Task<List<(string TaskId, string RunId)>> SelectExistingAsync(
        NpgsqlDataSource dataSource, int redispatchAfterSeconds, IReadOnlyList<string>? runIds, string? instanceId, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var select = dataSource.CreateCommand(
            $"""
            WITH {TaskRepairCandidateSql.Ctes},
            ranked AS (SELECT id, run_id, since, row_number() OVER (PARTITION BY queue, compatibility ORDER BY since, id) AS turn FROM existing)
            SELECT id, run_id FROM ranked ORDER BY turn, since, id LIMIT $4
            """);
        TaskRepairCandidateSql.AddFilter(select, redispatchAfterSeconds, runIds, instanceId);
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await PairsAsync(select, cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> missing-task runs, scope-fair like <see cref="SelectExistingAsync"/>.</summary>
    public static async Task<List<string>> SelectMissingAsync(
        NpgsqlDataSource dataSource, int redispatchAfterSeconds, IReadOnlyList<string>? runIds, string? instanceId, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var select = dataSource.CreateCommand(
            $"""
            WITH {TaskRepairCandidateSql.Ctes},
            ranked AS (SELECT run_id, since, row_number() OVER (PARTITION BY queue, compatibility ORDER BY since, run_id) AS turn FROM missing)
            SELECT run_id, run_id FROM ranked ORDER BY turn, since, run_id LIMIT $4
            """);
        TaskRepairCandidateSql.AddFilter(select, redispatchAfterSeconds, runIds, instanceId);
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return [.. (await PairsAsync(select, cancellationToken)).Select(p => p.TaskId)];
    }

    /// <summary>
    /// Re-stamps, in one statement, the selected candidates that are ready tasks of open runs (dispatch overdue or
    /// failed): no lease or run state changes, so no run lock is needed, and rows a claim holds are skipped (they are
    /// being dispatched). Returns the ids stamped; the others go through <see cref="RepairExistingAsync"/>.
    /// </summary>
    public static async Task<IReadOnlySet<string>> RestampReadyAsync(
        EngineTransaction tx, IReadOnlyList<string> taskIds, int redispatchAfterSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(taskIds);
        await using var lockReady = tx.Command(
            $"""
            WITH {TaskRepairCandidateSql.Ctes}
            SELECT t.id, t.task_type, t.namespace, t.task_queue
              FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
             WHERE t.id = ANY ($4) AND t.status = 'ready' AND r.status IN ('pending', 'running', 'waiting')
               AND t.id IN (SELECT id FROM existing WHERE id = ANY ($4))
             ORDER BY t.id
               FOR UPDATE OF t SKIP LOCKED
            """);
        TaskRepairCandidateSql.AddFilter(lockReady, redispatchAfterSeconds, null, null);
        lockReady.Parameters.Add(new NpgsqlParameter { Value = taskIds.ToArray() });
        var stamped = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await lockReady.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stamped.Add(reader.GetString(0));
                Wake(tx, reader.GetString(1), reader.GetString(2), reader.GetString(3));
            }
        }

        if (stamped.Count > 0)
        {
            await TaskRows.StampRepairedAsync(tx, stamped, alreadyCounted: false, cancellationToken);
        }

        return stamped;
    }

    /// <summary>
    /// Repairs one existing candidate under its run lock (lock order run → task). The candidate is re-checked first, so
    /// a task a concurrent actor already fixed is skipped silently. A task of a terminal run is settled with every other
    /// open task of that run; an expired lease goes back to ready (same row, <c>repair_count + 1</c>); a ready task that
    /// needs redispatch is re-stamped. The queue is woken after commit.
    /// </summary>
    public static async Task<ExistingRepairOutcome> RepairExistingAsync(
        EngineTransaction tx, string taskId, string runId, int redispatchAfterSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        await using var lockTask = tx.Command(
            $"""
            WITH {TaskRepairCandidateSql.Ctes}
            SELECT t.task_type, t.status, t.namespace, t.task_queue
              FROM workflow_tasks t
             WHERE t.id = $4 AND t.id IN (SELECT id FROM existing)
               FOR UPDATE OF t
            """);
        TaskRepairCandidateSql.AddFilter(lockTask, redispatchAfterSeconds, [runId], null);
        lockTask.Parameters.Add(new NpgsqlParameter { Value = taskId });
        string taskType, status, ns, queue;
        await using (var reader = await lockTask.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return ExistingRepairOutcome.NotNeeded;
            }

            (taskType, status, ns, queue) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
        }

        if (run is not { IsOpen: true })
        {
            await TaskRows.CancelOpenOfRunAsync(tx, runId, null, cancellationToken);
            return ExistingRepairOutcome.Settled;
        }

        if (status == "leased")
        {
            var released = taskType switch
            {
                "workflow" => await WorkflowTaskStore.RecoverExpiredAsync(tx, run, taskId, cancellationToken),
                "activity" => await ActivityStore.RecoverExpiredAsync(tx, run, taskId, cancellationToken),
                _ => await TaskRows.ReleaseLeaseAsync(tx, taskId, new LeaseRelease { RunOpen = true, ExpiredOnly = true }, cancellationToken) is not null,
            };
            if (!released)
            {
                return ExistingRepairOutcome.NotNeeded;
            }
        }

        // A released lease already counted the repair; a ready task counts it here.
        await TaskRows.StampRepairedAsync(tx, [taskId], alreadyCounted: status == "leased", cancellationToken);
        Wake(tx, taskType, ns, queue);
        await RunWriter.ReprojectLivenessAsync(tx, runId, onlyIfRepairNeeded: true, cancellationToken);
        return ExistingRepairOutcome.Repaired;
    }

    /// <summary>
    /// Gives one missing-task run what it lacks, under its run lock and re-checked there: a timer task for each pending
    /// timer without one, an activity task for each pending activity without one, and a workflow task when a received
    /// signal or accepted update waits for one or nothing else would ever resume the run. Every created task is ready,
    /// has <c>repair_count = 1</c> and carries the run's marker and routing (the activity's queue for activity tasks).
    /// Returns how many tasks it created (0: not needed any more).
    /// </summary>
    public static async Task<int> RepairMissingAsync(EngineTransaction tx, string runId, int redispatchAfterSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (await RunState.LockAsync(tx, runId, cancellationToken) is not { IsOpen: true } run)
        {
            return 0;
        }

        await using (var recheck = tx.Command($"WITH {TaskRepairCandidateSql.Ctes} SELECT EXISTS (SELECT 1 FROM missing)"))
        {
            TaskRepairCandidateSql.AddFilter(recheck, redispatchAfterSeconds, [runId], null);
            if (await recheck.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return 0;
            }
        }

        var created = new List<string>();
        foreach (var (timerId, fireAt) in await MissingTimersAsync(tx, runId, cancellationToken))
        {
            var task = await TaskRows.InsertTimerTaskAsync(tx, new TimerTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
                run.Compatibility, run.Priority, timerId, fireAt), cancellationToken);
            created.Add(task.Id);
        }

        foreach (var (executionId, activityType, queue) in await MissingActivitiesAsync(tx, runId, cancellationToken))
        {
            var task = await TaskRows.InsertActivityTaskAsync(tx, new ActivityTaskSpec(run.Namespace, run.Id, queue, run.WorkflowType,
                run.Compatibility, run.Priority, activityType, executionId), cancellationToken);
            created.Add(task.Id);
        }

        if (await WorkflowResumeAsync(tx, runId, cancellationToken) is { } resume
            && await TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
                run.Compatibility, run.Priority, resume), cancellationToken) is { } workflowTaskId)
        {
            created.Add(workflowTaskId);
        }

        if (created.Count > 0)
        {
            await TaskRows.StampCreatedByRepairAsync(tx, created, cancellationToken);
        }

        await RunWriter.ReprojectLivenessAsync(tx, runId, onlyIfRepairNeeded: false, cancellationToken);
        return created.Count;
    }

    /// <summary>
    /// The <c>repair_needed</c> liveness projection (rollout contract §8.1): open runs with an expired lease or a missing
    /// resume source are marked (at most <see cref="ProjectionLimit"/> per pass); marked runs that no longer qualify get
    /// their state back from their open tasks. The run rows are written by <see cref="RunWriter"/>.
    /// </summary>
    public static async Task<(int Marked, int Cleared)> ProjectAsync(EngineTransaction tx, int redispatchAfterSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command(
            $"""
            WITH {TaskRepairCandidateSql.Ctes},
            stuck AS (
                SELECT run_id FROM missing
                UNION
                SELECT t.run_id FROM workflow_tasks t WHERE t.status = 'leased' AND t.lease_expires_at <= now()
            )
            SELECT (SELECT COALESCE(array_agg(run_id), ARRAY[]::varchar[]) FROM (SELECT run_id FROM stuck LIMIT {ProjectionLimit}) s),
                   (SELECT COALESCE(array_agg(r.id), ARRAY[]::varchar[]) FROM workflow_runs r
                     WHERE r.closed_at IS NULL AND r.liveness_state = 'repair_needed' AND r.id NOT IN (SELECT run_id FROM stuck))
            """);
        TaskRepairCandidateSql.AddFilter(read, redispatchAfterSeconds, null, null);
        string[] stuck, cleared;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            stuck = reader.GetFieldValue<string[]>(0);
            cleared = reader.GetFieldValue<string[]>(1);
        }

        var marked = stuck.Length == 0 ? 0 : await RunWriter.MarkRepairNeededAsync(tx, stuck, cancellationToken);
        foreach (var runId in cleared)
        {
            await RunWriter.ReprojectLivenessAsync(tx, runId, onlyIfRepairNeeded: true, cancellationToken);
        }

        return (marked, cleared.Length);
    }

    /// <summary>Drops the poll path's per-task recovery locks whose window has passed, so they do not accumulate.</summary>
    public static Task PurgeRecoveryLocksAsync(EngineTransaction tx, CancellationToken cancellationToken) =>
        CoordinationLeases.PurgeExpiredAsync(tx, ExpiredLeases.RecoveryLockPrefix, cancellationToken);

    private static async Task<List<(string TimerId, DateTimeOffset FireAt)>> MissingTimersAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            """
            SELECT tm.id, tm.fire_at FROM workflow_timers tm
             WHERE tm.run_id = $1 AND tm.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.timer_id = tm.id AND t.task_type = 'timer' AND t.status IN ('ready', 'leased'))
             ORDER BY tm.fire_at, tm.id
            """,
            runId);
        var timers = new List<(string, DateTimeOffset)>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            timers.Add((reader.GetString(0), reader.Time(1)));
        }

        return timers;
    }

    private static async Task<List<(string ExecutionId, string ActivityType, string Queue)>> MissingActivitiesAsync(
        EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using var read = tx.Command(
            """
            SELECT e.id, e.activity_type, e.task_queue FROM workflow_activity_executions e
             WHERE e.run_id = $1 AND e.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.activity_execution_id = e.id AND t.task_type = 'activity' AND t.status IN ('ready', 'leased'))
             ORDER BY e.sequence
            """,
            runId);
        var activities = new List<(string, string, string)>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            activities.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return activities;
    }

    /// <summary>
    /// The resume context of the workflow task a run needs: the oldest undelivered signal or update, or a plain task when
    /// nothing durable (task, activity, timer, wait, child) would ever resume the run; null when it needs none.
    /// </summary>
    public static async Task<ResumeContext?> WorkflowResumeAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        await using (var pending = tx.Command(
            """
            (SELECT 'signal', id, signal_name, signal_wait_id, workflow_command_id FROM workflow_signals
              WHERE run_id = $1 AND status = 'received' ORDER BY history_sequence LIMIT 1)
            UNION ALL
            (SELECT 'update', id, update_name, NULL, workflow_command_id FROM workflow_updates
              WHERE run_id = $1 AND status = 'accepted' ORDER BY accepted_at, id LIMIT 1)
            LIMIT 1
            """,
            runId))
        {
            await using var reader = await pending.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(1);
                return reader.GetString(0) == "signal"
                    ? ResumeContext.ForSignal(id, reader.GetString(2), reader.StringOrNull(3), reader.StringOrNull(4))
                    : ResumeContext.ForUpdate(id);
            }
        }

        await using var waiting = tx.Command(
            """
            SELECT EXISTS (SELECT 1 FROM workflow_tasks WHERE run_id = $1 AND status IN ('ready', 'leased'))
                OR EXISTS (SELECT 1 FROM workflow_activity_executions WHERE run_id = $1 AND status IN ('pending', 'running'))
                OR EXISTS (SELECT 1 FROM workflow_timers WHERE run_id = $1 AND status = 'pending')
                OR EXISTS (SELECT 1 FROM workflow_waits WHERE run_id = $1 AND status = 'open')
                OR EXISTS (SELECT 1 FROM workflow_links WHERE parent_workflow_run_id = $1 AND link_type = 'child_workflow' AND status = 'open')
            """,
            runId);
        return await waiting.ExecuteScalarAsync(cancellationToken) is true ? null : ResumeContext.None;
    }

    private static void Wake(EngineTransaction tx, string taskType, string ns, string queue)
    {
        tx.Wake(taskType switch
        {
            "workflow" => WakeChannels.WorkflowTasks(ns, queue),
            "activity" => WakeChannels.ActivityTasks(ns, queue),
            _ => WakeChannels.Timers,
        });
    }

    private static async Task<List<(string TaskId, string RunId)>> PairsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var pairs = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pairs.Add((reader.GetString(0), reader.GetString(1)));
        }

        return pairs;
    }
}

public enum ExistingRepairOutcome
{
    /// <summary>A concurrent actor already fixed the task (or it no longer qualifies); nothing was written.</summary>
    NotNeeded,

    /// <summary>The task is ready again (expired lease released, or re-stamped as dispatched).</summary>
    Repaired,

    /// <summary>The run had ended: its open tasks were closed and nothing was offered.</summary>
    Settled,
}
