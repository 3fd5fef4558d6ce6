using System.Text.Json.Serialization;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// <c>operator_metrics.schedules</c> (control-plane §10.2, rollout contract §9.6): what is overdue right now, read from
/// durable rows only, so it returns to 0 / null as soon as a tick has caught up.
/// </summary>
public sealed class ScheduleMetrics(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The one statement behind these figures; the operator-metrics batch runs it too, so the served
    /// <c>schedules</c> block and this reader cannot drift apart. <c>$1</c> is the namespace, or null for all.
    /// </summary>
    internal const string Sql =
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
        """;

    public async Task<ScheduleMetricsSnapshot> ReadAsync(string? ns, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand(Sql);
        read.Parameters.Add(new NpgsqlParameter { Value = (object?)ns ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    /// <summary>Maps the current row of <see cref="Sql"/>.</summary>
    internal static ScheduleMetricsSnapshot Read(NpgsqlDataReader reader)
    {
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
