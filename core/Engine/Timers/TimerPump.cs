using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>
/// Fires due timers (worker-protocol spec §8.7): the timer becomes fired, <c>TimerFired</c> is appended and the run
/// gets a workflow task. Any number of nodes may run it; each timer task is taken with <c>SKIP LOCKED</c> and
/// re-checked under the run lock, so a timer fires exactly once.
/// </summary>
public sealed class TimerPump(NpgsqlDataSource dataSource, WakeBus wakeBus)
{
    private const int BatchSize = 100;

    public async Task<int> FireDueAsync(CancellationToken cancellationToken)
    {
        var due = new List<(string TaskId, string RunId)>();
        await using (var find = dataSource.CreateCommand(
            """
            SELECT id, run_id FROM workflow_tasks
             WHERE status = 'ready' AND task_type = 'timer' AND available_at <= now()
             ORDER BY available_at, id
             LIMIT $1
            """))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var fired = 0;
        foreach (var (taskId, runId) in due)
        {
            if (await FireAsync(taskId, runId, cancellationToken))
            {
                fired++;
            }
        }

        return fired;
    }

    /// <summary>The earliest future timer, so the pump can sleep exactly until then.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var next = dataSource.CreateCommand(
            "SELECT min(available_at) FROM workflow_tasks WHERE status = 'ready' AND task_type = 'timer'");
        return await next.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    private async Task<bool> FireAsync(string taskId, string runId, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        if (run is null)
        {
            return false;
        }

        string timerId;
        await using (var take = tx.Command(
            """
            UPDATE workflow_tasks SET status = 'completed', closed_at = now(), lease_owner = 'timer-pump', updated_at = now()
             WHERE id = $1 AND status = 'ready' AND task_type = 'timer' AND available_at <= now()
            RETURNING timer_id
            """,
            taskId))
        {
            if (await take.ExecuteScalarAsync(cancellationToken) is not string id)
            {
                return false;
            }

            timerId = id;
        }

        if (!run.IsOpen)
        {
            await tx.CommitAsync(cancellationToken);
            return false;
        }

        JsonObject payload;
        string? conditionWaitId;
        int sequence;
        await using (var fire = tx.Command(
            """
            UPDATE workflow_timers SET status = 'fired', fired_at = now(), updated_at = now()
             WHERE id = $1 AND status = 'pending'
            RETURNING sequence, delay_seconds, fire_at, fired_at, timer_kind, condition_wait_id
            """,
            timerId))
        {
            await using var reader = await fire.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await tx.CommitAsync(cancellationToken);
                return false;
            }

            sequence = reader.GetInt32(0);
            conditionWaitId = reader.IsDBNull(5) ? null : reader.GetString(5);
            payload = new JsonObject
            {
                ["timer_id"] = timerId,
                ["sequence"] = sequence,
                ["delay_seconds"] = reader.GetInt32(1),
                ["fire_at"] = WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(2)),
                ["fired_at"] = WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(3)),
            };
            if (!reader.IsDBNull(4))
            {
                payload["timer_kind"] = reader.GetString(4);
                payload["condition_wait_id"] = conditionWaitId;
            }
        }

        ResumeContext resume;
        if (conditionWaitId is not null)
        {
            await using var wait = tx.Command(
                """
                UPDATE workflow_waits SET status = 'timed_out', resolved_at = now()
                 WHERE run_id = $1 AND sequence = $2 AND status = 'open'
                RETURNING condition_key, condition_definition_fingerprint
                """,
                runId, sequence);
            await using var reader = await wait.ExecuteReaderAsync(cancellationToken);
            string? key = null;
            string? fingerprint = null;
            if (await reader.ReadAsync(cancellationToken))
            {
                key = reader.IsDBNull(0) ? null : reader.GetString(0);
                fingerprint = reader.IsDBNull(1) ? null : reader.GetString(1);
            }

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
        await TaskWriter.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, resume), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }
}
