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

    /// <summary>Due timer tasks of every namespace, oldest first; each is re-checked under its run lock when fired.</summary>
    public static async Task<IReadOnlyList<(string TaskId, string RunId)>> FindDueAsync(NpgsqlDataSource dataSource, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var find = dataSource.CreateCommand(
            """
            SELECT id, run_id FROM workflow_tasks
             WHERE status = 'ready' AND task_type = 'timer' AND available_at <= now()
             ORDER BY available_at, id
             LIMIT $1
            """);
        find.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        var due = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add((reader.GetString(0), reader.GetString(1)));
        }

        return due;
    }

    /// <summary>The earliest fire time of a ready timer task, so the pump can sleep exactly until then.</summary>
    public static async Task<DateTimeOffset?> NextDueAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var next = dataSource.CreateCommand(
            "SELECT min(available_at) FROM workflow_tasks WHERE status = 'ready' AND task_type = 'timer'");
        return await next.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
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
