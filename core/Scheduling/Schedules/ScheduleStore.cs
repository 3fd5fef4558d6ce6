using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>The SQL of schedules and their own history; the services decide, this class reads and writes rows.</summary>
public static class ScheduleStore
{
    public static async Task<DateTimeOffset> NowAsync(EngineTransaction tx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var now = tx.Command("SELECT now()");
        // timestamptz arrives as a UTC DateTime from ExecuteScalar.
        return new DateTimeOffset((DateTime)(await now.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
    }

    /// <summary>The live (not deleted) incarnation of a schedule id, row-locked when <paramref name="forUpdate"/>.</summary>
    public static async Task<ScheduleRow?> FindLiveAsync(EngineTransaction tx, string ns, string scheduleId, bool forUpdate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command(
            $"SELECT {ScheduleRow.Columns} FROM workflow_schedules s WHERE s.namespace = $1 AND s.schedule_id = $2 AND s.status <> 'deleted'{(forUpdate ? " FOR UPDATE" : string.Empty)}",
            ns, scheduleId);
        return await ReadOneAsync(read, cancellationToken);
    }

    public static async Task<ScheduleRow?> LockByRefAsync(EngineTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command($"SELECT {ScheduleRow.Columns} FROM workflow_schedules s WHERE s.id = $1 FOR UPDATE", id);
        return await ReadOneAsync(read, cancellationToken);
    }

    /// <summary>
    /// One page of live schedules, newest first, plus one extra row's worth of look-ahead: returns the page and the
    /// cursor of its last row when more follow. <c>query</c> matches schedule id, workflow type or note, case-insensitively.
    /// </summary>
    public static async Task<(IReadOnlyList<ScheduleRow> Rows, ScheduleListCursor? Next)> ListAsync(
        EngineTransaction tx, string ns, ScheduleListPage page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(page);
        await using var read = tx.Command(
            $"""
            SELECT {ScheduleRow.Columns}, (extract(epoch FROM s.created_at) * 1000000)::bigint
              FROM workflow_schedules s
             WHERE s.namespace = $1 AND s.status <> 'deleted'
               AND ($2::text IS NULL OR s.status = $2::text)
               AND ($3::text IS NULL OR s.action ->> 'workflow_type' = $3::text)
               AND ($4::text IS NULL OR strpos(lower(s.schedule_id || ' ' || COALESCE(s.action ->> 'workflow_type', '') || ' ' || COALESCE(s.note, '')), lower($4::text)) > 0)
               AND ($5::bigint IS NULL OR ((extract(epoch FROM s.created_at) * 1000000)::bigint, s.id) < ($5::bigint, $6::text))
             ORDER BY s.created_at DESC, s.id DESC
             LIMIT $7
            """,
            ns, Text(page.Status), Text(page.WorkflowType), Text(page.Query),
            new NpgsqlParameter { Value = (object?)page.After?.CreatedAtMicros ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
            Text(page.After?.Id), page.PageSize + 1);
        var rows = new List<ScheduleRow>();
        var cursors = new List<ScheduleListCursor>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = ScheduleRow.Read(reader);
            rows.Add(row);
            cursors.Add(new ScheduleListCursor(reader.GetInt64(reader.FieldCount - 1), row.Id));
        }

        return rows.Count > page.PageSize ? (rows[..page.PageSize], cursors[page.PageSize - 1]) : (rows, null);
    }

    /// <summary>A new incarnation continues the history sequence of earlier incarnations of the same id.</summary>
    public static async Task InsertAsync(EngineTransaction tx, ScheduleRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(row);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_schedules (id, namespace, schedule_id, spec, action, overlap_policy, jitter_seconds, max_runs,
                                            remaining_actions, memo, search_attributes, note, status, next_fire_at, paused_at,
                                            last_history_sequence, created_at, updated_at)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14, $15,
                    COALESCE((SELECT max(sequence) FROM workflow_schedule_history WHERE namespace = $2 AND schedule_id = $3), 0),
                    now(), now())
            """,
            row.Id, row.Namespace, row.ScheduleId, row.Spec.ToJsonString(), row.Action.ToJsonString(), row.OverlapPolicy,
            row.JitterSeconds, Int(row.MaxRuns), Int(row.RemainingActions), Json(row.Memo), Json(row.SearchAttributes),
            Text(row.Note), row.Status, Time(row.NextFireAt), Time(row.PausedAt));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes every mutable column of a row the caller holds locked.</summary>
    public static async Task SaveAsync(EngineTransaction tx, ScheduleRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(row);
        await using var update = tx.Command(
            """
            UPDATE workflow_schedules
               SET spec = $2::jsonb, action = $3::jsonb, overlap_policy = $4, jitter_seconds = $5, max_runs = $6,
                   remaining_actions = $7, memo = $8::jsonb, search_attributes = $9::jsonb, note = $10, status = $11,
                   next_fire_at = $12, last_fired_at = $13, fires_count = $14, failures_count = $15,
                   skipped_trigger_count = $16, last_skip_reason = $17, last_skipped_at = $18, recent_actions = $19::jsonb,
                   buffered_actions = $20::jsonb, latest_workflow_instance_id = $21, paused_at = $22, resumed_at = $23,
                   deleted_at = $24, updated_at = now()
             WHERE id = $1
            """,
            row.Id, row.Spec.ToJsonString(), row.Action.ToJsonString(), row.OverlapPolicy, row.JitterSeconds, Int(row.MaxRuns),
            Int(row.RemainingActions), Json(row.Memo), Json(row.SearchAttributes), Text(row.Note), row.Status, Time(row.NextFireAt),
            Time(row.LastFiredAt), row.FiresCount, row.FailuresCount, row.SkippedTriggerCount, Text(row.LastSkipReason),
            Time(row.LastSkippedAt), row.RecentActions.ToJsonString(), row.BufferedActions.ToJsonString(),
            Text(row.LatestWorkflowInstanceId), Time(row.PausedAt), Time(row.ResumedAt), Time(row.DeletedAt));
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Appends to the schedule's own history under the row lock the caller holds; returns the sequence.</summary>
    public static async Task<long> AppendHistoryAsync(
        EngineTransaction tx, ScheduleRow row, string eventType, JsonObject payload, string? instanceId, string? runId,
        DateTimeOffset? occurrence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(payload);
        await using var append = tx.Command(
            """
            WITH seq AS (
                UPDATE workflow_schedules SET last_history_sequence = last_history_sequence + 1 WHERE id = $1
                RETURNING last_history_sequence
            )
            INSERT INTO workflow_schedule_history (namespace, schedule_id, sequence, id, schedule_ref, event_type, payload,
                                                   workflow_instance_id, workflow_run_id, occurrence_time, recorded_at)
            SELECT $2, $3, seq.last_history_sequence, $4, $1, $5, $6::jsonb, $7, $8, $9, now() FROM seq
            RETURNING sequence
            """,
            row.Id, row.Namespace, row.ScheduleId, Ulid.NewId(), eventType, payload.ToJsonString(), Text(instanceId), Text(runId), Time(occurrence));
        return (long)(await append.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Whether the current run of the instance is still open (pending, running or waiting).</summary>
    public static async Task<bool> IsInstanceOpenAsync(EngineTransaction tx, string? instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (instanceId is null)
        {
            return false;
        }

        await using var read = tx.Command(
            """
            SELECT r.status IN ('pending', 'running', 'waiting')
              FROM workflow_instances i JOIN workflow_runs r ON r.id = i.current_run_id
             WHERE i.id = $1
            """,
            instanceId);
        return await read.ExecuteScalarAsync(cancellationToken) is true;
    }

    public static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { Value = (object?)value?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static NpgsqlParameter Int(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar };

    private static NpgsqlParameter Json(JsonObject? value) =>
        new() { Value = value is null || value.Count == 0 ? DBNull.Value : value.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task<ScheduleRow?> ReadOneAsync(NpgsqlCommand read, CancellationToken cancellationToken)
    {
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ScheduleRow.Read(reader) : null;
    }
}
