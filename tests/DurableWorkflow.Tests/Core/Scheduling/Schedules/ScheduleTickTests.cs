using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Scheduling.Schedules;

/// <summary>The tick's schedule half against a real database: rollout contract §9.2–9.6, invariants 59–69.</summary>
public sealed class ScheduleTickTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_059_a_paused_schedule_never_fires_and_resume_schedules_after_the_resume_instant()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv59");
        await h.PostAsync("/api/schedules/inv59/pause", "{}");
        await h.MakeDueAsync("inv59", 3600);

        await h.TickAsync();

        Assert.Equal(0, await h.RunCountAsync("inv59"));
        var before = await database.ScalarAsync<DateTime>("SELECT now()");
        var resumed = await h.PostAsync("/api/schedules/inv59/resume", """{"note":"back"}""");
        Assert.Equal("resumed", (string?)resumed["outcome"]);
        Assert.True(await database.ScalarAsync<bool>($"SELECT next_fire_at > '{before:O}'::timestamptz FROM workflow_schedules WHERE schedule_id = 'inv59'"));
        await h.TickAsync();
        Assert.Equal(0, await h.RunCountAsync("inv59"));
    }

    [Fact]
    public async Task Invariant_060_after_a_tick_every_due_schedule_is_next_due_in_the_future()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv60-a");
        await h.CreateAsync("inv60-b", spec: """{"cron_expressions":["*/5 * * * *"],"timezone":"Europe/Berlin"}""");
        await h.MakeDueAsync("inv60-a", 10);
        await h.MakeDueAsync("inv60-b", 7200);

        await h.TickAsync();

        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM workflow_schedules WHERE schedule_id LIKE 'inv60-%' AND status = 'active' AND next_fire_at <= now()"));
        Assert.Equal(1, await h.RunCountAsync("inv60-a"));
        Assert.Equal(1, await h.RunCountAsync("inv60-b"));
    }

    [Fact]
    public async Task Invariant_061_after_a_gap_the_first_tick_fires_once_with_the_stale_occurrence()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv61", spec: """{"intervals":[{"every":"PT1M"}]}""");
        // Twelve occurrences were missed.
        await h.MakeDueAsync("inv61", 12 * 60);
        var stale = await database.ScalarAsync<DateTime>("SELECT next_fire_at FROM workflow_schedules WHERE schedule_id = 'inv61'");

        await h.TickAsync();
        await h.TickAsync();

        Assert.Equal(1, await h.RunCountAsync("inv61"));
        Assert.Equal(stale, await database.ScalarAsync<DateTime>(
            "SELECT occurrence_time FROM workflow_schedule_history WHERE schedule_id = 'inv61' AND event_type = 'ScheduleTriggered'"));
        var described = await h.DescribeAsync("inv61");
        var recent = described["info"]!["recent_actions"]!.AsArray();
        Assert.Single(recent);
        Assert.True((long)recent[0]!["fire_lag_ms"]! >= 11 * 60 * 1000);
    }

    [Fact]
    public async Task Invariant_062_missed_counts_overdue_active_schedules_and_returns_to_zero_after_catch_up()
    {
        using var h = new ScheduleHarness(server, database);
        await h.TickAsync();
        Assert.Equal((0L, null, 0L), Overdue(await h.MetricsAsync()));

        await h.CreateAsync("inv62-a");
        await h.CreateAsync("inv62-b");
        await h.CreateAsync("inv62-paused");
        await h.PostAsync("/api/schedules/inv62-paused/pause", "{}");
        await h.MakeDueAsync("inv62-a", 30);
        await h.MakeDueAsync("inv62-b", 90);
        await h.MakeDueAsync("inv62-paused", 300);

        var overdue = await h.MetricsAsync();
        var oldest = await database.ScalarAsync<DateTime>(
            "SELECT min(next_fire_at) FROM workflow_schedules WHERE status = 'active' AND next_fire_at <= now()");
        Assert.Equal(2, overdue.Missed);
        Assert.Equal(oldest, overdue.OldestOverdueAt!.Value.UtcDateTime);
        Assert.InRange(overdue.MaxOverdueMs, 90_000, 120_000);

        await h.TickAsync();

        Assert.Equal((0L, null, 0L), Overdue(await h.MetricsAsync()));
    }

    [Fact]
    public async Task Invariant_063_skip_starts_nothing_while_the_latest_run_is_open_and_advances()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv63", overlap: "skip");
        await h.MakeDueAsync("inv63");
        await h.TickAsync();
        Assert.Equal(1, await h.RunCountAsync("inv63"));

        await h.MakeDueAsync("inv63");
        await h.TickAsync();

        Assert.Equal(1, await h.RunCountAsync("inv63"));
        var described = await h.DescribeAsync("inv63");
        Assert.Equal("overlap_policy_skip", (string?)described["info"]!["last_skip_reason"]);
        Assert.Equal(1, (long)described["info"]!["skipped_trigger_count"]!);
        Assert.True(await database.ScalarAsync<bool>("SELECT next_fire_at > now() FROM workflow_schedules WHERE schedule_id = 'inv63'"));
        Assert.Equal("ScheduleTriggerSkipped", await database.ScalarAsync<string>(
            "SELECT event_type FROM workflow_schedule_history WHERE schedule_id = 'inv63' ORDER BY sequence DESC LIMIT 1"));
    }

    [Fact]
    public async Task Invariant_064_buffer_one_holds_at_most_one_entry_and_the_second_overlap_is_buffer_full()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv64", overlap: "buffer_one");
        await h.MakeDueAsync("inv64");
        await h.TickAsync();

        var buffered = await h.PostAsync("/api/schedules/inv64/trigger", "{}");
        var full = await h.PostAsync("/api/schedules/inv64/trigger", "{}");

        Assert.Equal("buffered", (string?)buffered["outcome"]);
        Assert.Equal(1, (int)buffered["buffer_depth"]!);
        Assert.Equal("buffer_full", (string?)full["outcome"]);
        Assert.Equal(1, await database.ScalarAsync<int>("SELECT jsonb_array_length(buffered_actions) FROM workflow_schedules WHERE schedule_id = 'inv64'"));
        Assert.Equal(1, await h.RunCountAsync("inv64"));
    }

    [Fact]
    public async Task Invariant_065_buffer_all_appends_each_overlap_and_drains_one_per_tick_in_order_after_close()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv65", overlap: "buffer_all");
        await h.MakeDueAsync("inv65", 100);
        await h.TickAsync();
        await h.MakeDueAsync("inv65", 50);
        await h.TickAsync();
        await h.MakeDueAsync("inv65", 10);
        await h.TickAsync();
        Assert.Equal(2, await database.ScalarAsync<int>("SELECT jsonb_array_length(buffered_actions) FROM workflow_schedules WHERE schedule_id = 'inv65'"));
        var first = await database.ScalarAsync<string>("SELECT buffered_actions->0->>'occurrence_time' FROM workflow_schedules WHERE schedule_id = 'inv65'");

        await h.TickAsync();
        Assert.Equal(1, await h.RunCountAsync("inv65"));

        await h.CompleteLatestAsync("inv65");
        await h.TickAsync();
        Assert.Equal(2, await h.RunCountAsync("inv65"));
        Assert.Equal(DateTimeOffset.Parse(first!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime, await database.ScalarAsync<DateTime>(
            "SELECT occurrence_time FROM workflow_schedule_history WHERE schedule_id = 'inv65' AND event_type = 'ScheduleTriggered' ORDER BY sequence DESC LIMIT 1"));
        await h.TickAsync();
        Assert.Equal(2, await h.RunCountAsync("inv65"));

        await h.CompleteLatestAsync("inv65");
        await h.TickAsync();
        Assert.Equal(3, await h.RunCountAsync("inv65"));
        Assert.Equal(0, await database.ScalarAsync<int>("SELECT jsonb_array_length(buffered_actions) FROM workflow_schedules WHERE schedule_id = 'inv65'"));
    }

    [Theory]
    [InlineData("cancel_other", "cancelled")]
    [InlineData("terminate_other", "terminated")]
    public async Task Invariant_066_cancel_and_terminate_other_close_the_previous_run_and_start_in_the_same_trigger(string policy, string closed)
    {
        var id = $"inv66-{policy}";
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync(id, overlap: policy);
        await h.MakeDueAsync(id);
        await h.TickAsync();
        var previous = await h.LatestInstanceAsync(id);

        await h.MakeDueAsync(id);
        await h.TickAsync();

        Assert.Equal(closed, await h.RunStatusAsync(previous!));
        var latest = await h.LatestInstanceAsync(id);
        Assert.NotEqual(previous, latest);
        Assert.Equal("pending", await h.RunStatusAsync(latest!));
        Assert.Equal(2, await h.RunCountAsync(id));
    }

    [Fact]
    public async Task allow_all_starts_concurrent_runs()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("allow", overlap: "allow_all");
        await h.MakeDueAsync("allow");
        await h.TickAsync();
        await h.MakeDueAsync("allow");
        await h.TickAsync();

        Assert.Equal(2L, await database.ScalarAsync<long>(
            """
            SELECT count(*) FROM workflow_schedule_history h JOIN workflow_runs r ON r.id = h.workflow_run_id
             WHERE h.schedule_id = 'allow' AND r.status = 'pending'
            """));
    }

    [Fact]
    public async Task Invariant_067_max_runs_deletes_the_schedule_right_after_the_last_fire()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv67", extra: ""","max_runs":2""");
        await h.MakeDueAsync("inv67");
        await h.TickAsync();
        Assert.Equal("active|1", await database.ScalarAsync<string>("SELECT status || '|' || remaining_actions FROM workflow_schedules WHERE schedule_id = 'inv67'"));

        await h.MakeDueAsync("inv67");
        await h.TickAsync();

        Assert.Equal("deleted|0|true", await database.ScalarAsync<string>(
            "SELECT status || '|' || remaining_actions || '|' || (next_fire_at IS NULL) FROM workflow_schedules WHERE schedule_id = 'inv67'"));
        Assert.Equal("max_runs_exhausted", await database.ScalarAsync<string>(
            "SELECT payload->>'reason' FROM workflow_schedule_history WHERE schedule_id = 'inv67' AND event_type = 'ScheduleDeleted'"));
        using var gone = await h.Control.GetAsync("/api/schedules/inv67");
        await HttpAssert.ErrorAsync(gone, HttpStatusCode.NotFound, "schedule_not_found");
    }

    [Fact]
    public async Task Invariant_068_a_start_that_fails_counts_a_failure_and_advances()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv68");
        // An action the start service refuses (an empty workflow type), as a later incompatible change could leave it.
        await database.ExecuteAsync("UPDATE workflow_schedules SET action = '{\"workflow_type\":\"\"}' WHERE schedule_id = 'inv68'");
        await h.MakeDueAsync("inv68");

        var summary = await h.TickAsync();

        Assert.Contains("failed 1", summary, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT failures_count FROM workflow_schedules WHERE schedule_id = 'inv68'"));
        Assert.True(await database.ScalarAsync<bool>("SELECT next_fire_at > now() FROM workflow_schedules WHERE schedule_id = 'inv68'"));
        Assert.Equal(0, await h.RunCountAsync("inv68"));
        var recent = (await h.DescribeAsync("inv68"))["info"]!["recent_actions"]!.AsArray();
        Assert.Equal("failed", (string?)recent[^1]!["outcome"]);
    }

    [Fact]
    public async Task Invariant_069_a_tick_fires_at_most_its_limit_oldest_first()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("inv69-template");
        await database.ExecuteAsync(
            """
            INSERT INTO workflow_schedules (id, namespace, schedule_id, spec, action, overlap_policy, status, next_fire_at)
            SELECT 'INV69' || lpad(g::text, 21, '0'), t.namespace, 'inv69-' || g, t.spec, t.action, 'allow_all', 'active',
                   date_trunc('second', now()) - make_interval(secs => 1000 - g)
              FROM generate_series(1, 105) g, (SELECT * FROM workflow_schedules WHERE schedule_id = 'inv69-template') t
            """);

        await h.TickAsync();

        Assert.Equal(100L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM workflow_schedule_history WHERE schedule_id LIKE 'inv69-%' AND event_type = 'ScheduleTriggered'"));
        Assert.Equal("inv69-101,inv69-102,inv69-103,inv69-104,inv69-105", await database.ScalarAsync<string>(
            "SELECT string_agg(schedule_id, ',' ORDER BY schedule_id) FROM workflow_schedules WHERE schedule_id LIKE 'inv69-1__' AND next_fire_at <= now()"));
    }

    [Fact]
    public async Task Invariant_070_due_schedules_fire_with_the_cache_unavailable()
    {
        using var withoutCache = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_REDIS_CONNECTION", "127.0.0.1:1,abortConnect=false,connectTimeout=200"));
        using var h = new ScheduleHarness(withoutCache, database);
        await h.CreateAsync("inv70");
        await h.MakeDueAsync("inv70");

        await h.TickAsync();

        Assert.Equal(1, await h.RunCountAsync("inv70"));
    }

    [Fact]
    public async Task fired_runs_carry_the_action_memo_and_search_attributes()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("carry", extra: ""","memo":{"team":"orders"},"search_attributes":{"CustomerTier":"gold"}""");
        await h.MakeDueAsync("carry");
        await h.TickAsync();

        var instance = await h.LatestInstanceAsync("carry");
        Assert.Equal("tests.scheduled|sched-q|orders|gold", await database.ScalarAsync<string>(
            $"SELECT r.workflow_type || '|' || r.task_queue || '|' || (r.memo->>'team') || '|' || (r.search_attributes->>'CustomerTier') FROM workflow_runs r JOIN workflow_instances i ON i.current_run_id = r.id WHERE i.id = '{instance}'"));
    }

    private static (long, DateTimeOffset?, long) Overdue(DurableWorkflow.Core.Scheduling.Schedules.ScheduleMetricsSnapshot m) =>
        (m.Missed, m.OldestOverdueAt, m.MaxOverdueMs);
}
