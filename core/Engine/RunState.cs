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

    internal const int ColumnCount = 25;

    private static readonly string Columns = ColumnsOf("workflow_runs");

    /// <summary>The columns <see cref="Read"/> expects, qualified with <paramref name="alias"/> for statements that join.</summary>
    internal static string ColumnsOf(string alias) =>
        $"""
        {alias}.id, {alias}.namespace, {alias}.workflow_instance_id, {alias}.run_number, {alias}.workflow_type, {alias}.business_key,
        {alias}.status, {alias}.closed_reason, {alias}.closed_at, {alias}.task_queue, {alias}.compatibility, {alias}.priority,
        {alias}.payload_codec, {alias}.arguments::text, {alias}.memo::text, {alias}.search_attributes::text,
        {alias}.execution_timeout_seconds, {alias}.run_timeout_seconds, {alias}.execution_deadline_at, {alias}.last_history_sequence,
        {alias}.last_step_sequence, {alias}.parent_workflow_instance_id, {alias}.parent_workflow_run_id, {alias}.parent_sequence,
        {alias}.cancel_requested_at
        """;

    /// <summary>Reads and locks the run (<c>FOR NO KEY UPDATE</c>, so inserts that reference it are not blocked).</summary>
    public static async Task<RunState?> LockAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command($"SELECT {Columns} FROM workflow_runs WHERE id = $1 FOR NO KEY UPDATE", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    internal static RunState Read(NpgsqlDataReader reader, int at = 0) => new()
    {
        Id = reader.GetString(at),
        Namespace = reader.GetString(at + 1),
        InstanceId = reader.GetString(at + 2),
        RunNumber = reader.GetInt32(at + 3),
        WorkflowType = reader.GetString(at + 4),
        BusinessKey = reader.StringOrNull(at + 5),
        Status = reader.GetString(at + 6),
        ClosedReason = reader.StringOrNull(at + 7),
        ClosedAt = reader.TimeOrNull(at + 8),
        TaskQueue = reader.GetString(at + 9),
        Compatibility = reader.StringOrNull(at + 10),
        Priority = reader.GetInt16(at + 11),
        PayloadCodec = reader.GetString(at + 12),
        Arguments = reader.JsonObjectOrNull(at + 13),
        Memo = JsonNode.Parse(reader.GetString(at + 14)) as JsonObject ?? [],
        SearchAttributes = JsonNode.Parse(reader.GetString(at + 15)) as JsonObject ?? [],
        ExecutionTimeoutSeconds = reader.Int32OrNull(at + 16),
        RunTimeoutSeconds = reader.Int32OrNull(at + 17),
        ExecutionDeadlineAt = reader.TimeOrNull(at + 18),
        LastHistorySequence = reader.GetInt64(at + 19),
        LastStepSequence = reader.GetInt32(at + 20),
        ParentInstanceId = reader.StringOrNull(at + 21),
        ParentRunId = reader.StringOrNull(at + 22),
        ParentSequence = reader.Int32OrNull(at + 23),
        CancelRequestedAt = reader.TimeOrNull(at + 24),
    };
}
