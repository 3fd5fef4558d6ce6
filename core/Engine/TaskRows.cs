using System.Collections.Concurrent;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The single writer of new <c>workflow_tasks</c> rows (workflow, activity and timer tasks) and of lease releases, so
/// the claim columns, the queue registry and the wake-up of every task kind are decided in one place. Kind-specific
/// transitions of a leased row belong to <c>WorkflowTaskStore</c>, <c>ActivityStore</c> and <c>TimerStore</c>.
/// The partial unique indexes, not this code, guarantee one open task per run (workflow), execution and timer.
/// </summary>
public static class TaskRows
{
    private const string Insert =
        """
        INSERT INTO workflow_tasks (id, namespace, run_id, task_type, task_queue, compatibility, workflow_type, priority, resume_context,
                                    activity_type, activity_execution_id, retry_of_task_id, timer_id, available_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, COALESCE($14, now()) + make_interval(secs => $15))
        ON CONFLICT DO NOTHING
        RETURNING id, available_at
        """;

    private const string Release =
        """
        UPDATE workflow_tasks
           SET status = CASE WHEN $2 THEN 'ready' ELSE 'cancelled' END,
               closed_at = CASE WHEN $2 THEN NULL ELSE now() END,
               available_at = CASE WHEN $4 THEN now() + LEAST(60, 3 * power(2, GREATEST(repair_count - 1, 0))) * interval '1 second'
                                   ELSE available_at END,
               lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, repair_count = repair_count + 1,
               last_error = COALESCE($5, last_error), failure = COALESCE($6::jsonb, failure),
               last_failed_at = CASE WHEN $6::jsonb IS NULL THEN last_failed_at ELSE now() END, updated_at = now()
         WHERE id = ANY ($1) AND status = 'leased' AND (NOT $3 OR lease_expires_at <= now())
        RETURNING id, task_type, namespace, task_queue, activity_execution_id, activity_attempt_id,
                  GREATEST(extract(epoch FROM available_at - now()), 0)::float8
        """;

    /// <summary>The insert renumbered after a caller's CTE parameters, per their count.</summary>
    private static readonly ConcurrentDictionary<int, string> InsertsAfter = new();

    /// <summary>
    /// Inserts the run's next workflow task unless one is already ready or leased, in which case that task will see
    /// the new history. Returns the new task id, or null when an open task already existed.
    /// </summary>
    public static Task<string?> InsertWorkflowTaskAsync(EngineTransaction tx, WorkflowTaskSpec spec, CancellationToken cancellationToken) =>
        InsertWorkflowTaskAsync(tx, spec, null, [], cancellationToken);

    /// <summary>Inserts an activity attempt's task. The execution's previous task must already be closed.</summary>
    public static Task<InsertedTask> InsertActivityTaskAsync(EngineTransaction tx, ActivityTaskSpec spec, CancellationToken cancellationToken) =>
        InsertActivityTaskAsync(tx, spec, null, [], cancellationToken);

    /// <summary>Inserts the task the timer pump takes at <see cref="TimerTaskSpec.FireAt"/>.</summary>
    public static async Task<InsertedTask> InsertTimerTaskAsync(EngineTransaction tx, TimerTaskSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(spec);
        var created = await InsertAsync(tx, new Row("timer", null, spec.Namespace, spec.RunId, spec.TaskQueue, spec.Compatibility,
            spec.WorkflowType, spec.Priority)
        {
            TimerId = spec.TimerId,
            AvailableAt = spec.FireAt,
        }, cancellationToken) ?? throw new InvalidOperationException($"Timer {spec.TimerId} already has an open task.");
        tx.Wake(WakeChannels.Timers);
        return created;
    }

    /// <summary>
    /// Adds the queue to the registry unless this node already saw it committed there (<see cref="KnownTaskQueues"/>:
    /// registry rows are never deleted, so a known queue needs no upsert).
    /// </summary>
    public static async Task RegisterQueueAsync(EngineTransaction tx, string ns, string queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var known = KnownTaskQueues.Of(tx.DataSource);
        if (known.Contains(ns, queue))
        {
            return;
        }

        await using var upsert = tx.Command(
            "INSERT INTO workflow_task_queues (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", ns, queue);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
        tx.AfterCommit(() => known.Add(ns, queue));
    }

    /// <summary>
    /// Gives up the lease of one leased task (expiry recovery, a workflow task's <c>/fail</c>). The caller holds the run
    /// lock. Null when the task was no longer leased (or, with <see cref="LeaseRelease.ExpiredOnly"/>, not yet expired),
    /// so a concurrent recovery is a no-op. A task that goes back to ready wakes its queue.
    /// </summary>
    public static async Task<ReleasedTask?> ReleaseLeaseAsync(EngineTransaction tx, string taskId, LeaseRelease release, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(release);
        var released = await ReleaseLeasesAsync(tx.Command, [taskId], release, cancellationToken);
        if (released.Count == 0)
        {
            return null;
        }

        if (release.RunOpen)
        {
            Wake(tx, released[0]);
        }

        return released[0];
    }

    /// <summary>
    /// The release statement for callers that run their own transaction (worker deregistration). The caller holds the
    /// runs' locks and publishes the wake-ups after its commit.
    /// </summary>
    public static async Task<IReadOnlyList<ReleasedTask>> ReleaseLeasesAsync(
        Func<string, object?[], NpgsqlCommand> command, IReadOnlyCollection<string> taskIds, LeaseRelease release, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(taskIds);
        ArgumentNullException.ThrowIfNull(release);
        var released = new List<ReleasedTask>();
        if (taskIds.Count == 0)
        {
            return released;
        }

        await using var update = command(Release, [
            taskIds.ToArray(), release.RunOpen, release.ExpiredOnly, release.BackOff, SqlValue.Text(release.Error), SqlValue.Text(release.FailureJson),
        ]);
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            released.Add(new ReleasedTask(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.StringOrNull(4), reader.StringOrNull(5), TimeSpan.FromSeconds(reader.GetDouble(6))));
        }

        return released;
    }

    /// <summary>Cancels every open task of a run that is closing, except the task whose completion closes it.</summary>
    public static async Task CancelOpenOfRunAsync(EngineTransaction tx, string runId, string? keepTaskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var cancel = tx.Command(
            """
            UPDATE workflow_tasks SET status = 'cancelled', closed_at = now(), updated_at = now()
             WHERE run_id = $1 AND status IN ('ready', 'leased') AND id IS DISTINCT FROM $2
            """,
            runId, SqlValue.Text(keepTaskId));
        await cancel.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Repair bookkeeping of a task that is ready again (rollout contract §8.3–8.4): stamped as dispatched now, repair and
    /// dispatch errors cleared, and <c>repair_count</c> incremented unless the lease release already counted it.
    /// </summary>
    public static async Task StampRepairedAsync(EngineTransaction tx, IReadOnlyCollection<string> taskIds, bool alreadyCounted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(taskIds);
        await using var stamp = tx.Command(
            """
            UPDATE workflow_tasks
               SET repair_count = repair_count + CASE WHEN $2 THEN 0 ELSE 1 END, repair_available_at = NULL, last_error = NULL,
                   last_dispatch_attempt_at = now(), last_dispatched_at = now(), last_dispatch_error = NULL, updated_at = now()
             WHERE id = ANY ($1) AND status = 'ready'
            """,
            taskIds.ToArray(), alreadyCounted);
        await stamp.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Tasks repair just created: <c>repair_count = 1</c>, dispatched now.</summary>
    public static async Task StampCreatedByRepairAsync(EngineTransaction tx, IReadOnlyCollection<string> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(taskIds);
        await using var count = tx.Command(
            "UPDATE workflow_tasks SET repair_count = 1, last_dispatch_attempt_at = now(), last_dispatched_at = now() WHERE id = ANY ($1)",
            (object)taskIds.ToArray());
        await count.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A repair attempt failed: its message goes to <c>last_error</c> (its own statement; the repair rolled back).</summary>
    public static async Task RecordRepairErrorAsync(NpgsqlDataSource dataSource, string taskId, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var update = dataSource.CreateCommand("UPDATE workflow_tasks SET last_error = $2, updated_at = now() WHERE id = $1");
        update.Parameters.Add(new NpgsqlParameter { Value = taskId });
        update.Parameters.Add(new NpgsqlParameter { Value = message });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Wake(EngineTransaction tx, ReleasedTask task)
    {
        if (task.TaskType == "workflow")
        {
            tx.WakeAfter(WakeChannels.WorkflowTasks(task.Namespace, task.TaskQueue), task.ClaimableIn);
        }
        else if (task.TaskType == "activity")
        {
            tx.WakeAfter(WakeChannels.ActivityTasks(task.Namespace, task.TaskQueue), task.ClaimableIn);
        }
    }

    private static Task<InsertedTask?> InsertAsync(EngineTransaction tx, Row row, CancellationToken cancellationToken) =>
        InsertAsync(tx, row, null, [], cancellationToken);

    /// <summary>
    /// The insert, behind the caller's data-modifying CTEs when <paramref name="ctes"/> is given (the text after
    /// <c>WITH</c>, its placeholders numbered from <c>$1</c> with <paramref name="cteParameters"/> as values; the
    /// insert's own follow), so the transition's other writes and the task are one statement.
    /// </summary>
    private static async Task<InsertedTask?> InsertAsync(
        EngineTransaction tx, Row row, string? ctes, object?[] cteParameters, CancellationToken cancellationToken)
    {
        var sql = ctes is null
            ? Insert
            : $"WITH {ctes}\n{InsertsAfter.GetOrAdd(cteParameters.Length, static first => SqlParameters.NumberFrom(Insert, first))}";
        await using var insert = tx.Command(sql, [
            .. cteParameters,
            row.Id ?? Ulid.NewId(), row.Namespace, row.RunId, row.TaskType, row.TaskQueue, SqlValue.Text(row.Compatibility), row.WorkflowType,
            (short)row.Priority, row.ResumeContext, SqlValue.Text(row.ActivityType), SqlValue.Text(row.ActivityExecutionId),
            SqlValue.Text(row.RetryOfTaskId), SqlValue.Text(row.TimerId), SqlValue.Time(row.AvailableAt), row.DelaySeconds,
        ]);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new InsertedTask(reader.GetString(0), reader.Time(1)) : null;
    }

    /// <summary>The columns of one new row; what a kind does not use stays null.</summary>
    private sealed record Row(
        string TaskType, string? Id, string Namespace, string RunId, string TaskQueue, string? Compatibility, string WorkflowType, int Priority)
    {
        public string ResumeContext { get; init; } = "{}";

        public string? ActivityType { get; init; }

        public string? ActivityExecutionId { get; init; }

        public string? RetryOfTaskId { get; init; }

        public string? TimerId { get; init; }

        public DateTimeOffset? AvailableAt { get; init; }

        public int DelaySeconds { get; init; }
    }

    /// <summary>
    /// <see cref="InsertActivityTaskAsync(EngineTransaction, ActivityTaskSpec, CancellationToken)"/> behind the owner's
    /// statement that creates what the task is for (the activity execution), as data-modifying CTEs
    /// (<paramref name="ctes"/>: the text after <c>WITH</c>, numbering its parameters from <c>$1</c>): both rows are one
    /// statement.
    /// </summary>
    public static async Task<InsertedTask> InsertActivityTaskAfterAsync(
        EngineTransaction tx, string ctes, object?[] parameters, ActivityTaskSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctes);
        return await InsertActivityTaskAsync(tx, spec, ctes, parameters, cancellationToken);
    }

    /// <summary>
    /// <see cref="InsertWorkflowTaskAsync(EngineTransaction, WorkflowTaskSpec, CancellationToken)"/> in the same
    /// statement as the caller's other writes of the transition, given as data-modifying CTEs (<paramref name="ctes"/>:
    /// the text after <c>WITH</c>, numbering its parameters from <c>$1</c>): one round trip fewer, same rules. The
    /// insert does not see the CTEs' effects, so they must not write the run's workflow tasks.
    /// </summary>
    public static async Task<string?> InsertWorkflowTaskAfterAsync(
        EngineTransaction tx, string ctes, object?[] parameters, WorkflowTaskSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctes);
        return await InsertWorkflowTaskAsync(tx, spec, ctes, parameters, cancellationToken);
    }

    private static async Task<string?> InsertWorkflowTaskAsync(
        EngineTransaction tx, WorkflowTaskSpec spec, string? ctes, object?[] cteParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(cteParameters);
        var created = await InsertAsync(tx, new Row("workflow", spec.TaskId, spec.Namespace, spec.RunId, spec.TaskQueue, spec.Compatibility,
            spec.WorkflowType, spec.Priority)
        {
            ResumeContext = spec.Resume.Values.ToJsonString(),
            DelaySeconds = spec.DelaySeconds,
        }, ctes, cteParameters, cancellationToken);
        if (created is null)
        {
            return null;
        }

        await RegisterQueueAsync(tx, spec.Namespace, spec.TaskQueue, cancellationToken);
        tx.WakeAfter(WakeChannels.WorkflowTasks(spec.Namespace, spec.TaskQueue), TimeSpan.FromSeconds(spec.DelaySeconds));
        return created.Id;
    }

    /// <summary>Inserts an activity attempt's task. The execution's previous task must already be closed.</summary>
    private static async Task<InsertedTask> InsertActivityTaskAsync(
        EngineTransaction tx, ActivityTaskSpec spec, string? ctes, object?[] cteParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(cteParameters);
        var created = await InsertAsync(tx, new Row("activity", null, spec.Namespace, spec.RunId, spec.TaskQueue, spec.Compatibility,
            spec.WorkflowType, spec.Priority)
        {
            ActivityType = spec.ActivityType,
            ActivityExecutionId = spec.ExecutionId,
            RetryOfTaskId = spec.RetryOfTaskId,
            DelaySeconds = spec.DelaySeconds,
        }, ctes, cteParameters, cancellationToken) ?? throw new InvalidOperationException($"Activity execution {spec.ExecutionId} already has an open task.");
        await RegisterQueueAsync(tx, spec.Namespace, spec.TaskQueue, cancellationToken);
        tx.WakeAfter(WakeChannels.ActivityTasks(spec.Namespace, spec.TaskQueue), TimeSpan.FromSeconds(spec.DelaySeconds));
        return created;
    }
}
