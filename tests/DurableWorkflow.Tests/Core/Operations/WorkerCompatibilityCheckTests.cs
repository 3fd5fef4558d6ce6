using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Operations;

/// <summary>The <c>worker_compatibility</c> check and the health snapshot's error mapping (rollout contract §4.5, invariants 39–41).</summary>
public sealed class WorkerCompatibilityCheckTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Theory]
    [InlineData(null, "warn", "ok")]
    [InlineData("fail", "fail", "error")]
    [InlineData(" WARN ", "warn", "warning")]
    public async Task Invariant_039_the_check_escalates_by_mode_only_when_a_required_marker_has_no_supporter(string? mode, string normalised, string expected)
    {
        await database.ExecuteAsync("DELETE FROM workflow_worker_compatibility_heartbeats");
        var required = mode is null ? null : "v39";
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString,
            ("DW_V2_FLEET_VALIDATION_MODE", mode), ("DW_V2_CURRENT_COMPATIBILITY", required));
        using var fleet = new FleetClient(server);
        await fleet.RegisterAsync($"w39-other-{normalised}", FleetClient.NewQueue(), "v38");

        var uncovered = await server.Services.GetRequiredService<WorkerCompatibilityCheck>().EvaluateAsync(CancellationToken.None);
        var snapshot = Check(await fleet.ControlGetAsync("/api/system/health", expected == "error" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        await fleet.RegisterAsync($"w39-supporter-{normalised}", FleetClient.NewQueue(), "v39");
        var covered = await server.Services.GetRequiredService<WorkerCompatibilityCheck>().EvaluateAsync(CancellationToken.None);

        Assert.Equal(WorkerCompatibilityCheck.Name, (string?)uncovered["name"]);
        Assert.Equal(expected, (string?)uncovered["status"]);
        Assert.Equal(expected, (string?)snapshot["status"]);
        Assert.Equal(normalised, (string?)uncovered["data"]!["validation_mode"]);
        Assert.Equal(normalised, (string?)snapshot["data"]!["validation_mode"]);
        Assert.Equal(required, (string?)uncovered["data"]!["required_compatibility"]);
        Assert.Equal("ok", (string?)covered["status"]);
        Assert.Equal(1, (int)covered["data"]!["active_workers_supporting_required"]! - (required is null ? 1 : 0));
    }

    [Fact]
    public async Task Invariant_040_the_snapshot_is_503_exactly_on_error_and_only_the_worker_check_errs_here()
    {
        await database.ExecuteAsync("DELETE FROM workflow_worker_compatibility_heartbeats");
        using var failMode = ServerFactory.WithRoleTokens(database.ConnectionString,
            ("DW_V2_FLEET_VALIDATION_MODE", "fail"), ("DW_V2_CURRENT_COMPATIBILITY", "v40"));
        using var fleet = new FleetClient(failMode);
        var queue = FleetClient.NewQueue();
        await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "blocked-40" });

        var failing = await fleet.ControlGetAsync("/api/system/health", HttpStatusCode.ServiceUnavailable);
        await fleet.RegisterAsync("w40", FleetClient.NewQueue(), "v40");
        var passing = await fleet.ControlGetAsync("/api/system/health", HttpStatusCode.OK);

        Assert.Equal("error", (string?)failing["status"]);
        Assert.False((bool)failing["healthy"]!);
        Assert.Equal(["worker_compatibility"], failing["checks"]!.AsArray().Where(c => (string?)c!["status"] == "error").Select(c => (string)c!["name"]!));
        Assert.Equal("warning", (string?)Check(failing, "routing_health")["status"]);
        Assert.NotEqual("error", (string?)passing["status"]);
        Assert.DoesNotContain(passing["checks"]!.AsArray(), c => (string?)c!["status"] == "error");
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Invariant_041_long_poll_wake_acceleration_never_reports_error(string multiNode)
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_MULTI_NODE", multiNode), ("DW_V2_FLEET_VALIDATION_MODE", "fail"));
        using var fleet = new FleetClient(server);

        var health = await fleet.ControlGetAsync("/api/system/health");

        Assert.NotEqual("error", (string?)Check(health, "long_poll_wake_acceleration")["status"]);
    }

    private static JsonObject Check(JsonObject health, string name = WorkerCompatibilityCheck.Name) =>
        health["checks"]!.AsArray().Single(c => (string?)c!["name"] == name)!.AsObject();
}
