using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>A workflow task row as the guard and the payload builder need it.</summary>
public sealed record WorkflowTaskRow
{
    public required string Id { get; init; }

    public required string RunId { get; init; }

    public required string Status { get; init; }

    public required string TaskQueue { get; init; }

    public string? Compatibility { get; init; }

    public string? LeaseOwner { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Evaluated by PostgreSQL against its own clock, so node clock skew cannot matter.</summary>
    public bool LeaseExpired { get; init; }

    public required int AttemptCount { get; init; }

    public long? HistoryCutoffSequence { get; init; }

    public required JsonObject ResumeContext { get; init; }

    public JsonObject? ReplayableResponse { get; init; }

    /// <summary>SHA-256 of the commands the stored answer was given for; only an identical retry gets the answer again.</summary>
    public byte[]? ReplayableRequestSha256 { get; init; }

    public int RepairCount { get; init; }

    internal const int ColumnCount = 14;

    internal static string Columns => ColumnsOf("workflow_tasks");

    /// <summary>The selected columns, qualified with <paramref name="alias"/> so joins and <c>UPDATE ... FROM</c> stay unambiguous.</summary>
    internal static string ColumnsOf(string alias) =>
        $"""
        {alias}.id, {alias}.run_id, {alias}.status, {alias}.task_queue, {alias}.compatibility, {alias}.lease_owner, {alias}.lease_expires_at,
        ({alias}.status = 'leased' AND {alias}.lease_expires_at <= now()) AS expired, {alias}.attempt_count, {alias}.history_cutoff_sequence,
        {alias}.resume_context::text,
        CASE WHEN {alias}.status = 'completed' AND {alias}.closed_at > now() - interval '5 minutes' THEN {alias}.outcome_response::text END,
        {alias}.repair_count, {alias}.outcome_request_sha256
        """;

    internal static WorkflowTaskRow Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        RunId = reader.GetString(1),
        Status = reader.GetString(2),
        TaskQueue = reader.GetString(3),
        Compatibility = reader.StringOrNull(4),
        LeaseOwner = reader.StringOrNull(5),
        LeaseExpiresAt = reader.TimeOrNull(6),
        LeaseExpired = !reader.IsDBNull(7) && reader.GetBoolean(7),
        AttemptCount = reader.GetInt32(8),
        HistoryCutoffSequence = reader.Int64OrNull(9),
        ResumeContext = JsonNode.Parse(reader.GetString(10)) as JsonObject ?? [],
        ReplayableResponse = reader.JsonObjectOrNull(11),
        RepairCount = reader.GetInt32(12),
        ReplayableRequestSha256 = reader.BytesOrNull(13),
    };
}

/// <summary>The run fields a workflow task payload carries (worker-protocol §3.1.5).</summary>
public sealed record TaskRunFields(string WorkflowId, string WorkflowType, string PayloadCodec, JsonNode? Arguments, string Status);

/// <summary>What one claim statement leased, with its run's payload fields and the first history page it read.</summary>
public sealed record ClaimedWorkflowTask(WorkflowTaskRow Task, TaskRunFields Run, IReadOnlyList<HistoryEventRecord> FirstPage, int PageSize)
{
    /// <summary>
    /// The page ends before both the cutoff and the page size: the run lock followed a run row committed after the
    /// claim statement's snapshot, whose newest events that snapshot does not show, so the page must be read again.
    /// </summary>
    public bool PageIsShort => FirstPage.Count < PageSize && (FirstPage.Count > 0 ? FirstPage[^1].Sequence : 0) < (Task.HistoryCutoffSequence ?? 0);
}
