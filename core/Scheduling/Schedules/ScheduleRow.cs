using System.Text.Json.Nodes;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>One incarnation of a schedule as stored in <c>workflow_schedules</c> (migration 0008).</summary>
public sealed record ScheduleRow
{
    public const string Columns =
        """
        s.id, s.namespace, s.schedule_id, s.spec::text, s.action::text, s.overlap_policy, s.jitter_seconds, s.max_runs,
        s.remaining_actions, s.memo::text, s.search_attributes::text, s.note, s.status, s.next_fire_at, s.last_fired_at,
        s.fires_count, s.failures_count, s.skipped_trigger_count, s.last_skip_reason, s.last_skipped_at,
        s.recent_actions::text, s.buffered_actions::text, s.latest_workflow_instance_id, s.paused_at, s.resumed_at,
        s.deleted_at, s.created_at, s.updated_at
        """;

    public required string Id { get; init; }

    public required string Namespace { get; init; }

    public required string ScheduleId { get; init; }

    public required JsonObject Spec { get; init; }

    public required JsonObject Action { get; init; }

    public required string OverlapPolicy { get; init; }

    public int JitterSeconds { get; init; }

    public int? MaxRuns { get; init; }

    public int? RemainingActions { get; init; }

    public JsonObject? Memo { get; init; }

    public JsonObject? SearchAttributes { get; init; }

    public string? Note { get; init; }

    public required string Status { get; init; }

    public DateTimeOffset? NextFireAt { get; init; }

    public DateTimeOffset? LastFiredAt { get; init; }

    public long FiresCount { get; init; }

    public long FailuresCount { get; init; }

    public long SkippedTriggerCount { get; init; }

    public string? LastSkipReason { get; init; }

    public DateTimeOffset? LastSkippedAt { get; init; }

    public required JsonArray RecentActions { get; init; }

    public required JsonArray BufferedActions { get; init; }

    public string? LatestWorkflowInstanceId { get; init; }

    public DateTimeOffset? PausedAt { get; init; }

    public DateTimeOffset? ResumedAt { get; init; }

    public DateTimeOffset? DeletedAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public static ScheduleRow Read(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ScheduleRow
        {
            Id = reader.GetString(0),
            Namespace = reader.GetString(1),
            ScheduleId = reader.GetString(2),
            Spec = JsonNode.Parse(reader.GetString(3))!.AsObject(),
            Action = JsonNode.Parse(reader.GetString(4))!.AsObject(),
            OverlapPolicy = reader.GetString(5),
            JitterSeconds = reader.GetInt32(6),
            MaxRuns = reader.IsDBNull(7) ? null : reader.GetInt32(7),
            RemainingActions = reader.IsDBNull(8) ? null : reader.GetInt32(8),
            Memo = reader.IsDBNull(9) ? null : JsonNode.Parse(reader.GetString(9)) as JsonObject,
            SearchAttributes = reader.IsDBNull(10) ? null : JsonNode.Parse(reader.GetString(10)) as JsonObject,
            Note = reader.IsDBNull(11) ? null : reader.GetString(11),
            Status = reader.GetString(12),
            NextFireAt = Time(reader, 13),
            LastFiredAt = Time(reader, 14),
            FiresCount = reader.GetInt64(15),
            FailuresCount = reader.GetInt64(16),
            SkippedTriggerCount = reader.GetInt64(17),
            LastSkipReason = reader.IsDBNull(18) ? null : reader.GetString(18),
            LastSkippedAt = Time(reader, 19),
            RecentActions = JsonNode.Parse(reader.GetString(20))!.AsArray(),
            BufferedActions = JsonNode.Parse(reader.GetString(21))!.AsArray(),
            LatestWorkflowInstanceId = reader.IsDBNull(22) ? null : reader.GetString(22),
            PausedAt = Time(reader, 23),
            ResumedAt = Time(reader, 24),
            DeletedAt = Time(reader, 25),
            CreatedAt = Time(reader, 26)!.Value,
            UpdatedAt = Time(reader, 27)!.Value,
        };
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
