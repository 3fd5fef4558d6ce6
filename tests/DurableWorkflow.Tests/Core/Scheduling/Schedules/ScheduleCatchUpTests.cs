using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Scheduling.Schedules;

/// <summary>
/// <c>DW_SCHEDULE_CATCHUP_WINDOW_SECONDS</c>: a scheduler gap (a swap during a rolling upgrade, a late tick) loses no
/// occurrence of the window. Without the setting the contract's rule holds (invariant 61 in <see cref="ScheduleTickTests"/>).
/// </summary>
public sealed class ScheduleCatchUpTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(
        database.ConnectionString, [("DW_SCHEDULE_CATCHUP_WINDOW_SECONDS", "300")]);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task One_tick_after_a_gap_fires_the_stale_occurrence_and_every_occurrence_of_the_window_once()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("catchup", spec: """{"intervals":[{"every":"PT1M"}]}""");
        await h.MakeDueAsync("catchup", 12 * 60);
        var stale = await database.ScalarAsync<DateTime>("SELECT next_fire_at FROM workflow_schedules WHERE schedule_id = 'catchup'");

        await h.TickAsync();
        await h.TickAsync();

        // The stale occurrence, then the five whole minutes of the last 300 s; nothing between them is replayed.
        var fired = await database.ScalarAsync<string>(
            "SELECT string_agg(to_char(occurrence_time AT TIME ZONE 'UTC', 'HH24:MI:SS'), ',' ORDER BY occurrence_time) FROM workflow_schedule_history WHERE schedule_id = 'catchup' AND event_type = 'ScheduleTriggered'");
        var windowed = await database.ScalarAsync<long>(
            "SELECT count(DISTINCT occurrence_time) FROM workflow_schedule_history WHERE schedule_id = 'catchup' AND event_type = 'ScheduleTriggered' AND occurrence_time > now() - interval '300 seconds' AND occurrence_time <= now() AND extract(second FROM occurrence_time) = 0");
        // Six runs: the stale occurrence and the window's five; a seventh when a whole minute passes between the two
        // ticks (the second then fires that new occurrence, which is due, not replayed).
        Assert.InRange(await h.RunCountAsync("catchup"), 6, 7);
        Assert.Equal(5, windowed);
        Assert.StartsWith(stale.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), fired);
        Assert.True(await database.ScalarAsync<bool>("SELECT next_fire_at > now() FROM workflow_schedules WHERE schedule_id = 'catchup'"));
    }

    [Fact]
    public async Task A_schedule_due_within_the_window_fires_each_missed_occurrence_once_and_a_second_tick_fires_nothing_more()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("catchup-short", spec: """{"intervals":[{"every":"PT1M"}]}""");
        await h.MakeDueAsync("catchup-short", 150);

        await h.TickAsync();
        var afterFirst = await h.RunCountAsync("catchup-short");
        await h.TickAsync();

        Assert.Equal(afterFirst, await h.RunCountAsync("catchup-short"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) - count(DISTINCT occurrence_time) FROM workflow_schedule_history WHERE schedule_id = 'catchup-short' AND event_type = 'ScheduleTriggered'"));
        // The stale occurrence 150 s ago, then every whole minute after it up to now: two or three of them.
        Assert.InRange(afterFirst, 3, 4);
    }
}
