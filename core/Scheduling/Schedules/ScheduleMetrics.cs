using System.Text.Json.Serialization;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// <c>operator_metrics.schedules</c> (control-plane §10.2, rollout contract §9.6): what is overdue right now, read from
/// durable rows only, so it returns to 0 / null as soon as a tick has caught up.
/// </summary>
public sealed class ScheduleMetrics(NpgsqlDataSource dataSource)
{
    public async Task<ScheduleMetricsSnapshot> ReadAsync(string? ns, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand(
            """
            SELECT count(*) FILTER (WHERE status = 'active'),
                   count(*) FILTER (WHERE status = 'paused'),
                   count(*) FILTER (WHERE status = 'active' AND next_fire_at <= now()),
                   min(next_fire_at) FILTER (WHERE status = 'active' AND next_fire_at <= now()),
                   COALESCE(sum(fires_count) FILTER (WHERE status = 'active'), 0)::bigint,
                   COALESCE(sum(failures_count) FILTER (WHERE status = 'active'), 0)::bigint,
                   now()
              FROM workflow_schedules
             WHERE ($1::text IS NULL OR namespace = $1)
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = (object?)ns ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        DateTimeOffset? oldest = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
        var now = reader.GetFieldValue<DateTimeOffset>(6);
        return new ScheduleMetricsSnapshot(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), oldest,
            oldest is { } at ? Math.Max(0, (long)(now - at).TotalMilliseconds) : 0,
            reader.GetInt64(4), reader.GetInt64(5));
    }
}

public sealed record ScheduleMetricsSnapshot(
    [property: JsonPropertyName("active")] long Active,
    [property: JsonPropertyName("paused")] long Paused,
    [property: JsonPropertyName("missed")] long Missed,
    [property: JsonIgnore] DateTimeOffset? OldestOverdueAt,
    [property: JsonPropertyName("max_overdue_ms")] long MaxOverdueMs,
    [property: JsonPropertyName("fires_total")] long FiresTotal,
    [property: JsonPropertyName("failures_total")] long FailuresTotal)
{
    [JsonPropertyName("oldest_overdue_at")]
    public string? OldestOverdueAtWire => OldestOverdueAt is { } at ? Http.WireTime.Micro(at) : null;
}
