using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>An event about to be appended; its sequence is assigned under the run lock.</summary>
public sealed record NewHistoryEvent(string EventType, JsonObject Payload);

/// <summary>A stored history event.</summary>
public sealed record HistoryEventRecord(
    long Sequence,
    string Id,
    string EventType,
    JsonElement Payload,
    string? WorkflowTaskId,
    string? WorkflowCommandId,
    DateTimeOffset RecordedAt);

/// <summary>The event as the worker plane serves it (worker-protocol spec §6.1).</summary>
public sealed record WorkerHistoryEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("payload")] JsonElement Payload,
    [property: JsonPropertyName("workflow_task_id")] string? WorkflowTaskId,
    [property: JsonPropertyName("workflow_command_id")] string? WorkflowCommandId,
    [property: JsonPropertyName("recorded_at")] string RecordedAt)
{
    public static WorkerHistoryEvent From(HistoryEventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.Id, record.Sequence, record.EventType, record.Payload, record.WorkflowTaskId,
            record.WorkflowCommandId, WireTime.Micro(record.RecordedAt));
    }
}

/// <summary>All SQL for run history: append under the run lock, and keyset pages by sequence.</summary>
public static class HistoryStore
{
    /// <summary>
    /// The append as data-modifying CTEs (<c>counter</c>: the run's counter update, <see cref="RunWriter"/>'s SQL;
    /// <c>history</c>: the multi-row insert it feeds, returning the sequences), parameters numbered from <c>$1</c>.
    /// </summary>
    private static readonly string AppendCtes =
        $"""
        counter AS ({RunWriter.AdvanceHistorySql("$1", "$2", "$3")}),
        history AS (
            INSERT INTO workflow_history_events (run_id, sequence, id, event_type, payload, workflow_task_id, workflow_command_id)
            SELECT $1, counter.last_history_sequence - $2 + e.n, e.i, e.t, e.p::jsonb, $7, $8
              FROM counter, unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(i, t, p, n)
            RETURNING sequence)
        """;

    private static readonly string AppendSql = $"WITH {AppendCtes}\nSELECT sequence FROM history";

    /// <summary>
    /// Appends events in order, in one statement: the run's counter update (<see cref="RunWriter"/>'s SQL) feeds the
    /// multi-row insert. The caller holds the run lock (<c>FOR NO KEY UPDATE</c>), so no other writer interleaves; a
    /// duplicate sequence would fail the whole transaction.
    /// </summary>
    public static async Task<IReadOnlyList<long>> AppendAsync(
        EngineTransaction tx,
        string runId,
        IReadOnlyList<NewHistoryEvent> events,
        string? workflowTaskId,
        string? workflowCommandId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return [];
        }

        var sequences = new List<long>(events.Count);
        await using (var insert = tx.Command(AppendSql, AppendParameters(runId, events, workflowTaskId, workflowCommandId)))
        {
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sequences.Add(reader.GetInt64(0));
            }
        }

        if (sequences.Count != events.Count)
        {
            throw new InvalidOperationException($"Run {runId} does not exist; its history cannot be appended.");
        }

        sequences.Sort();
        tx.Wake(WakeChannels.History(runId));
        return sequences;
    }

    /// <summary>
    /// The same append as leading CTEs of another owner's write (the text after <c>WITH</c>, placeholders from
    /// <c>$1</c>; e.g. <see cref="TaskRows.InsertWorkflowTaskAfterAsync"/>), so the events and that write are one
    /// statement. Only for a run the caller inserted in this transaction: the append cannot report a missing run.
    /// </summary>
    public static (string Ctes, object?[] Parameters) AppendToNewRun(
        EngineTransaction tx, string runId, IReadOnlyList<NewHistoryEvent> events, string? workflowTaskId, string? workflowCommandId)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A new run's history starts with at least one event.", nameof(events));
        }

        tx.Wake(WakeChannels.History(runId));
        return (AppendCtes, AppendParameters(runId, events, workflowTaskId, workflowCommandId));
    }

    private static object?[] AppendParameters(string runId, IReadOnlyList<NewHistoryEvent> events, string? workflowTaskId, string? workflowCommandId)
    {
        var payloads = events.Select(e => e.Payload.ToJsonString()).ToArray();
        return
        [
            runId,
            (long)events.Count,
            payloads.Sum(p => (long)p.Length),
            events.Select(_ => Ulid.NewId()).ToArray(),
            events.Select(e => e.EventType).ToArray(),
            payloads,
            SqlValue.Text(workflowTaskId),
            SqlValue.Text(workflowCommandId),
        ];
    }

    private const string PageSql =
        """
        SELECT sequence, id, event_type, payload::text, workflow_task_id, workflow_command_id, recorded_at
          FROM workflow_history_events
         WHERE run_id = $1 AND sequence > $2 AND ($3::bigint IS NULL OR sequence <= $3)
         ORDER BY sequence
         LIMIT $4
        """;

    /// <summary>Events with a sequence after <paramref name="after"/> and at most <paramref name="upTo"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<HistoryEventRecord>> ReadPageAsync(
        NpgsqlDataSource dataSource,
        string runId,
        long after,
        long? upTo,
        int limit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(PageSql);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(SqlValue.Long(upTo));
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The same page inside the caller's transaction (a claim builds its task payload before it commits).</summary>
    public static async Task<IReadOnlyList<HistoryEventRecord>> ReadPageAsync(
        EngineTransaction tx,
        string runId,
        long after,
        long? upTo,
        int limit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(PageSql, runId, after, SqlValue.Long(upTo), limit);
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<HistoryEventRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<HistoryEventRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            using var payload = JsonDocument.Parse(reader.GetString(3));
            events.Add(new HistoryEventRecord(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                payload.RootElement.Clone(),
                reader.StringOrNull(4),
                reader.StringOrNull(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return events;
    }
}
