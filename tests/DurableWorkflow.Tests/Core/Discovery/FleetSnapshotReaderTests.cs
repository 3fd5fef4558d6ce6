using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Discovery;

/// <summary>
/// Issue 8 defect 6: <c>/api/cluster/info</c> reports the real worker fleet of the request namespace and the real
/// global task-repair scan, not the empty defaults.
/// </summary>
public sealed class FleetSnapshotReaderTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Defect6_cluster_info_reports_live_draining_and_stale_workers_of_the_request_namespace()
    {
        using var active = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "build-a" });
        using var draining = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "build-b" });
        using var stale = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "build-old" });
        await database.ExecuteAsync($"UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id = '{draining.WorkerId}'");
        await database.ExecuteAsync(
            $"UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '1 hour' WHERE worker_id = '{stale.WorkerId}'");

        var fleet = (await ClusterInfoAsync())["worker_fleet"]!.AsObject();

        Assert.Equal("default", (string?)fleet["namespace"]);
        Assert.Equal(2, (int)fleet["active_workers"]!);
        Assert.Equal(2, (int)fleet["active_worker_scopes"]!);
        Assert.Equal(1, (int)fleet["draining_workers"]!);
        Assert.Equal(1, (int)fleet["stale_workers"]!);
        Assert.Equal(new[] { active.Queue, draining.Queue }.Order(StringComparer.Ordinal), Strings(fleet["queues"]));
        Assert.Equal(["build-a", "build-b"], Strings(fleet["build_ids"]));
        var workers = fleet["workers"]!.AsArray().Select(w => w!.AsObject()).ToDictionary(w => (string)w["worker_id"]!);
        Assert.Equal(new[] { active.WorkerId, draining.WorkerId }.Order(StringComparer.Ordinal), workers.Keys.Order(StringComparer.Ordinal));
        var entry = workers[active.WorkerId];
        Assert.Equal([active.Queue], Strings(entry["queues"]));
        Assert.Equal(["build-a"], Strings(entry["build_ids"]));
        var recorded = DateTimeOffset.Parse((string)entry["recorded_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var expires = DateTimeOffset.Parse((string)entry["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(30), expires - recorded);

        using var other = server.ControlClient(@namespace: "ghost");
        using var ghost = await other.GetAsync("/api/cluster/info");
        var ghostFleet = (await HttpAssert.JsonAsync(ghost, HttpStatusCode.OK))["worker_fleet"]!;
        Assert.Equal(0, (int)ghostFleet["active_workers"]!);
        Assert.Empty(ghostFleet["workers"]!.AsArray());
    }

    private async Task<JsonObject> ClusterInfoAsync()
    {
        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/cluster/info");
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string)n!)];
}
