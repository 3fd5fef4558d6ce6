using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>
/// The SQL of durable timers (docs/schema.md §6.5): the <c>workflow_timers</c> rows and the transitions of their
/// timer-kind tasks. Used by <c>CommandApplier</c> (start, cancel), <c>RunCloser</c> (cancel a closing run's timers)
/// and <c>TimerPump</c> (fire). New timer tasks are inserted through <see cref="TaskRows"/>.
/// </summary>
public static class TimerStore
{
    /// <summary>Inserts a pending timer and its task, due <paramref name="delaySeconds"/> from now by the database clock.</summary>
    public static async Task<(TimerRow Timer, string TaskId)> StartAsync(
        EngineTransaction tx, RunState run, int sequence, int delaySeconds, string? kind, string? conditionWaitId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        TimerRow timer;
        await using (var insert = tx.Command(
            $"""
            INSERT INTO workflow_timers (id, namespace, run_id, sequence, timer_kind, condition_wait_id, delay_seconds, fire_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $7))
            RETURNING {TimerRow.Columns}
            """,
            Ulid.NewId(), run.Namespace, run.Id, sequence, SqlValue.Text(kind), SqlValue.Text(conditionWaitId), delaySeconds))
        {
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            timer = TimerRow.Read(reader);
        }

        var task = await TaskRows.InsertTimerTaskAsync(tx, new TimerTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, timer.Id, timer.FireAt), cancellationToken);
        return (timer, task.Id);
    }

    /// <summary>Cancels one pending timer and its open task; null when it was no longer pending.</summary>
    public static async Task<TimerRow?> CancelAsync(EngineTransaction tx, string timerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var cancel = tx.Command(
            $"""
            WITH timer AS (
                UPDATE workflow_timers SET status = 'cancelled', cancelled_at = now(), updated_at = now()
                 WHERE id = $1 AND status = 'pending'
                RETURNING {TimerRow.Columns}),
            task AS (
                UPDATE workflow_tasks t SET status = 'cancelled', closed_at = now(), updated_at = now()
                  FROM timer
                 WHERE t.timer_id = timer.id AND t.status IN ('ready', 'leased'))
            SELECT {TimerRow.Columns} FROM timer
            """,
            timerId);
        await using var reader = await cancel.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? TimerRow.Read(reader) : null;
    }

    /// <summary>
    /// Cancels every pending timer of a closing run. Their tasks are cancelled with the run's other open tasks
    /// (<see cref="TaskRows.CancelOpenOfRunAsync"/>); returns the cancelled timers for the history.
    /// </summary>
    public static async Task<IReadOnlyList<TimerRow>> CancelPendingOfRunAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var cancelled = new List<TimerRow>();
        await using var cancel = tx.Command(
            $"""
            UPDATE workflow_timers SET status = 'cancelled', cancelled_at = now(), updated_at = now()
             WHERE run_id = $1 AND status = 'pending'
            RETURNING {TimerRow.Columns}
            """,
            runId);
        await using var reader = await cancel.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cancelled.Add(TimerRow.Read(reader));
        }

        return cancelled;
    }

    /// <summary>
    /// One look for the timer pump, in a single statement: due timer tasks of every namespace (oldest first, each
    /// re-checked under its run lock when fired), open runs past their deadline, and how long until the next timer or
    /// run deadline comes due by the database clock, so an idle pump costs one statement per sleep.
    /// </summary>
    public static async Task<TimerScan> ScanAsync(NpgsqlDataSource dataSource, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var scan = dataSource.CreateCommand(
            """
            SELECT 'timer', id, run_id, NULL::float8
              FROM (SELECT id, run_id FROM workflow_tasks
                     WHERE status = 'ready' AND task_type = 'timer' AND available_at <= now()
                     ORDER BY available_at, id
                     LIMIT $1) due
            UNION ALL
            SELECT 'run', id, id, NULL::float8
              FROM (SELECT id FROM workflow_runs
                     WHERE closed_at IS NULL AND deadline_at IS NOT NULL AND deadline_at <= now()
                     ORDER BY deadline_at
                     LIMIT $1) overdue
            UNION ALL
            SELECT 'next', NULL, NULL, extract(epoch FROM LEAST(
                       (SELECT min(available_at) FROM workflow_tasks
                         WHERE status = 'ready' AND task_type = 'timer' AND available_at > now()),
                       (SELECT min(deadline_at) FROM workflow_runs
                         WHERE closed_at IS NULL AND deadline_at IS NOT NULL AND deadline_at > now())) - now())::float8
            """);
        scan.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await scan.ExecuteReaderAsync(cancellationToken);
        var due = new List<(string, string)>();
        var overdue = new List<string>();
        TimeSpan? next = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            switch (reader.GetString(0))
            {
                case "timer":
                    due.Add((reader.GetString(1), reader.GetString(2)));
                    break;
                case "run":
                    overdue.Add(reader.GetString(1));
                    break;
                default:
                    next = reader.IsDBNull(3) ? null : TimeSpan.FromSeconds(reader.GetDouble(3));
                    break;
            }
        }

        return new TimerScan(due, overdue, next);
    }

    /// <summary>
    /// Takes a due timer task (the caller holds the run lock); returns its timer id, or null when another pump took it
    /// first or it is not due yet.
    /// </summary>
    public static async Task<string?> TakeDueTaskAsync(EngineTransaction tx, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var take = tx.Command(
            """
            UPDATE workflow_tasks SET status = 'completed', closed_at = now(), lease_owner = 'timer-pump', updated_at = now()
             WHERE id = $1 AND status = 'ready' AND task_type = 'timer' AND available_at <= now()
            RETURNING timer_id
            """,
            taskId);
        return await take.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Marks a pending timer fired; null when it was cancelled or fired already.</summary>
    public static async Task<TimerRow?> MarkFiredAsync(EngineTransaction tx, string timerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var fire = tx.Command(
            $"""
            UPDATE workflow_timers SET status = 'fired', fired_at = now(), updated_at = now()
             WHERE id = $1 AND status = 'pending'
            RETURNING {TimerRow.Columns}
            """,
            timerId);
        await using var reader = await fire.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? TimerRow.Read(reader) : null;
    }
}
