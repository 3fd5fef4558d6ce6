using Npgsql;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>
/// Counting schedule fires per occurrence for the exactly-once tests: the database's clock (the schedulers' clock)
/// and the history rows every fire or skip writes.
/// </summary>
public static class ScheduleFires
{
    /// <summary>Fire records (started or skipped) per occurrence time.</summary>
    public static async Task<Dictionary<DateTimeOffset, int>> PerOccurrenceAsync(FreshDatabase database, string scheduleId)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            """
            SELECT occurrence_time, count(*)::int FROM workflow_schedule_history
             WHERE schedule_id = $1 AND event_type IN ('ScheduleTriggered', 'ScheduleTriggerSkipped')
             GROUP BY occurrence_time
            """, connection);
        read.Parameters.Add(new NpgsqlParameter { Value = scheduleId });
        var result = new Dictionary<DateTimeOffset, int>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetFieldValue<DateTimeOffset>(0)] = reader.GetInt32(1);
        }

        return result;
    }

    public static async Task<DateTimeOffset> DatabaseNowAsync(FreshDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return new(DateTime.SpecifyKind(await database.ScalarAsync<DateTime>("SELECT now()"), DateTimeKind.Utc));
    }

    /// <summary>The first whole second at or after <paramref name="at"/>: where a one-second schedule's occurrences fall.</summary>
    public static DateTimeOffset WholeSecondCeiling(DateTimeOffset at) =>
        new(at.UtcTicks % TimeSpan.TicksPerSecond == 0 ? at.UtcTicks : (at.UtcTicks / TimeSpan.TicksPerSecond + 1) * TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
