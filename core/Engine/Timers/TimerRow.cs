using DurableWorkflow.Core.Storage;
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
        reader.Time(3),
        reader.TimeOrNull(4),
        reader.TimeOrNull(5),
        reader.StringOrNull(6),
        reader.StringOrNull(7));
}
