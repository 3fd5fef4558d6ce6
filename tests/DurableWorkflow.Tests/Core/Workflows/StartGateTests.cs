using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Workflows;

/// <summary>The fail-mode start gate for control-plane starts and schedule fires (rollout contract §5.5, invariants 37–38).</summary>
public sealed class StartGateTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory failMode = ServerFactory.WithRoleTokens(
        database.ConnectionString, ("DW_V2_FLEET_VALIDATION_MODE", "Fail"), ("DW_V2_CURRENT_COMPATIBILITY", "new"));

    public void Dispose() => failMode.Dispose();

    [Fact]
    public async Task Invariant_037_a_start_into_a_scope_whose_live_workers_refuse_its_marker_creates_no_run()
    {
        using var fleet = new FleetClient(failMode);
        var covered = FleetClient.NewQueue();
        await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "inv37-existing" });
        await fleet.RegisterAsync("w37-old", covered, "old");
        var runsBefore = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs");
        var existing = await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "inv37-existing", ["duplicate_policy"] = "use-existing" },
            expected: HttpStatusCode.OK);

        var refused = await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "inv37-refused" }, expected: HttpStatusCode.Conflict);
        var explicitRefused = await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "inv37-explicit", ["build_id"] = "other" }, expected: HttpStatusCode.Conflict);

        Assert.Equal("returned_existing_active", (string?)existing["outcome"]);
        Assert.Equal("compatibility_blocked", (string?)refused["reason"]);
        Assert.Equal("rejected_compatibility_blocked", (string?)refused["outcome"]);
        Assert.Contains("[new]", (string?)refused["message"], StringComparison.Ordinal);
        Assert.Equal("compatibility_blocked", (string?)explicitRefused["reason"]);
        Assert.Equal(runsBefore, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_instances WHERE id IN ('inv37-refused', 'inv37-explicit')"));
        Assert.Equal("start|rejected|rejected_compatibility_blocked|compatibility_blocked", await database.ScalarAsync<string>(
            "SELECT command_type || '|' || status || '|' || outcome || '|' || rejection_reason FROM workflow_commands WHERE workflow_instance_id = 'inv37-refused'"));

        // The same marker with a supporter in scope, an empty scope, and a start with no marker all proceed.
        await fleet.RegisterAsync("w37-new", covered, "new");
        await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "inv37-supported" });
        await fleet.StartAsync(FleetClient.NewQueue(), extra: new JsonObject { ["workflow_id"] = "inv37-empty-scope" });
        using var unmarked = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_FLEET_VALIDATION_MODE", "fail"));
        using var plain = new FleetClient(unmarked);
        var oldOnly = FleetClient.NewQueue();
        await plain.RegisterAsync("w37-only-old", oldOnly, "old");
        await plain.StartAsync(oldOnly, extra: new JsonObject { ["workflow_id"] = "inv37-no-marker" });
        Assert.Equal(3L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM workflow_runs WHERE workflow_instance_id IN ('inv37-supported', 'inv37-empty-scope', 'inv37-no-marker')"));
    }

    [Fact]
    public async Task Invariant_037_warn_mode_never_refuses_a_start()
    {
        using var warnMode = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_CURRENT_COMPATIBILITY", "new"));
        using var fleet = new FleetClient(warnMode);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w37-warn-old", queue, "old");

        var started = await fleet.StartAsync(queue);

        Assert.Equal("new", await database.ScalarAsync<string>($"SELECT compatibility FROM workflow_runs WHERE id = '{started["run_id"]}'"));
    }

    [Fact]
    public async Task Invariant_038_a_schedule_fire_refused_by_the_gate_is_a_compatibility_blocked_skip()
    {
        using var fleet = new FleetClient(failMode);
        await fleet.RegisterAsync("w38-old", "sched-q", "old");
        using var h = new ScheduleHarness(failMode, database);
        await h.CreateAsync("inv38");
        await h.MakeDueAsync("inv38");

        await h.TickAsync();

        var described = await h.DescribeAsync("inv38");
        Assert.Equal(0, await h.RunCountAsync("inv38"));
        Assert.Null(await h.LatestInstanceAsync("inv38"));
        Assert.Equal("compatibility_blocked", (string?)described["info"]!["last_skip_reason"]);
        Assert.Equal(1, (long)described["info"]!["skipped_trigger_count"]!);
        Assert.True(await database.ScalarAsync<bool>("SELECT next_fire_at > now() FROM workflow_schedules WHERE schedule_id = 'inv38'"));
    }
}
