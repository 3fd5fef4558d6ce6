using Npgsql;

namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>A <c>workflow_timers</c> row as the events about it need it.</summary>
public sealed record TimerRow(
    string Id,
    int Sequence,
    int DelaySeconds,
    DateTimeOffset FireAt,
    DateTimeOffset? FiredAt,
    DateTimeOffset? CancelledAt,
    string? Kind,
    string? ConditionWaitId)
{
    internal const string Columns = "id, sequence, delay_seconds, fire_at, fired_at, cancelled_at, timer_kind, condition_wait_id";

    internal static TimerRow Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt32(1),
        reader.GetInt32(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7));
}
