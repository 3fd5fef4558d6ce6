using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>The columns of a run the engine decides on, read under the run lock.</summary>
public sealed record RunState
{
    public required string Id { get; init; }

    public required string Namespace { get; init; }

    public required string InstanceId { get; init; }

    public required int RunNumber { get; init; }

    public required string WorkflowType { get; init; }

    public string? BusinessKey { get; init; }

    public required string Status { get; init; }

    public string? ClosedReason { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    public required string TaskQueue { get; init; }

    public string? Compatibility { get; init; }

    public required int Priority { get; init; }

    public required string PayloadCodec { get; init; }

    public JsonObject? Arguments { get; init; }

    public required JsonObject Memo { get; init; }

    public required JsonObject SearchAttributes { get; init; }

    public int? ExecutionTimeoutSeconds { get; init; }

    public int? RunTimeoutSeconds { get; init; }

    public DateTimeOffset? ExecutionDeadlineAt { get; init; }

    public required long LastHistorySequence { get; init; }

    public required int LastStepSequence { get; init; }

    public string? ParentInstanceId { get; init; }

    public string? ParentRunId { get; init; }

    public int? ParentSequence { get; init; }

    public DateTimeOffset? CancelRequestedAt { get; init; }

    public bool IsOpen => Status is RunStatus.Pending or RunStatus.Running or RunStatus.Waiting;

    private const string Columns =
        """
        id, namespace, workflow_instance_id, run_number, workflow_type, business_key, status, closed_reason, closed_at,
        task_queue, compatibility, priority, payload_codec, arguments::text, memo::text, search_attributes::text,
        execution_timeout_seconds, run_timeout_seconds, execution_deadline_at, last_history_sequence, last_step_sequence,
        parent_workflow_instance_id, parent_workflow_run_id, parent_sequence, cancel_requested_at
        """;

    /// <summary>Reads and locks the run (<c>FOR NO KEY UPDATE</c>, so inserts that reference it are not blocked).</summary>
    public static async Task<RunState?> LockAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command($"SELECT {Columns} FROM workflow_runs WHERE id = $1 FOR NO KEY UPDATE", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static RunState Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Namespace = reader.GetString(1),
        InstanceId = reader.GetString(2),
        RunNumber = reader.GetInt32(3),
        WorkflowType = reader.GetString(4),
        BusinessKey = reader.StringOrNull(5),
        Status = reader.GetString(6),
        ClosedReason = reader.StringOrNull(7),
        ClosedAt = reader.TimeOrNull(8),
        TaskQueue = reader.GetString(9),
        Compatibility = reader.StringOrNull(10),
        Priority = reader.GetInt16(11),
        PayloadCodec = reader.GetString(12),
        Arguments = reader.JsonObjectOrNull(13),
        Memo = JsonNode.Parse(reader.GetString(14)) as JsonObject ?? [],
        SearchAttributes = JsonNode.Parse(reader.GetString(15)) as JsonObject ?? [],
        ExecutionTimeoutSeconds = reader.Int32OrNull(16),
        RunTimeoutSeconds = reader.Int32OrNull(17),
        ExecutionDeadlineAt = reader.TimeOrNull(18),
        LastHistorySequence = reader.GetInt64(19),
        LastStepSequence = reader.GetInt32(20),
        ParentInstanceId = reader.StringOrNull(21),
        ParentRunId = reader.StringOrNull(22),
        ParentSequence = reader.Int32OrNull(23),
        CancelRequestedAt = reader.TimeOrNull(24),
    };
}
