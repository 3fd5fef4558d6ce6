using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Discovery;

/// <summary>
/// Issue 8 defect 6: <c>/api/cluster/info</c> reports the real global task-repair scan (a database of its own, so
/// no other test's tasks are counted).
/// </summary>
public sealed class FleetSnapshotReaderRepairTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Defect6_cluster_info_counts_overdue_and_expired_tasks_and_runs_missing_their_task()
    {
        var before = (await ClusterInfoAsync())["task_repair"]!["candidates"]!;
        Assert.Equal(0, (int)before["total_candidates"]!);

        using var overdue = await WorkflowHarness.CreateAsync(server);
        var overdueRun = await overdue.StartAsync();
        await database.ExecuteAsync($"UPDATE workflow_tasks SET created_at = now() - interval '1 minute' WHERE run_id = '{overdueRun["run_id"]}'");

        using var expired = await WorkflowHarness.CreateAsync(server);
        var expiredRun = await expired.StartAsync();
        var leased = await expired.PollAsync();
        await database.ExecuteAsync($"UPDATE workflow_tasks SET lease_expires_at = now() - interval '30 seconds' WHERE id = '{leased["task_id"]}'");

        using var missing = await WorkflowHarness.CreateAsync(server);
        var missingRun = await missing.StartAsync();
        using (var control = server.ControlClient())
        using (var signal = await control.PostAsync($"/api/workflows/{missingRun["workflow_id"]}/signal/go", ServerFactory.Json("{}")))
        {
            Assert.True(signal.IsSuccessStatusCode, await signal.Content.ReadAsStringAsync());
        }

        // The run loses its only task while a received signal still waits to be delivered.
        await database.ExecuteAsync($"UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE run_id = '{missingRun["run_id"]}'");

        // A just-started run's ready task is within the redispatch grace and no candidate.
        using var fresh = await WorkflowHarness.CreateAsync(server);
        await fresh.StartAsync();
        await database.ExecuteAsync($"UPDATE workflow_tasks SET last_dispatched_at = now() + interval '1 hour' WHERE task_queue = '{fresh.Queue}'");

        var repair = (await ClusterInfoAsync())["task_repair"]!;
        var candidates = repair["candidates"]!;
        Assert.Equal(3, (int)repair["policy"]!["redispatch_after_seconds"]!);
        Assert.Equal(2, (int)candidates["existing_task_candidates"]!);
        Assert.Equal(1, (int)candidates["missing_task_candidates"]!);
        Assert.Equal(3, (int)candidates["total_candidates"]!);
        Assert.Equal(3, (int)candidates["selected_total_candidates"]!);
        Assert.False((bool)candidates["scan_pressure"]!);
        Assert.InRange((long)candidates["max_task_candidate_age_ms"]!, 55_000, 600_000);
        Assert.NotNull(candidates["oldest_missing_run_started_at"]);
        var scopes = candidates["scopes"]!.AsArray().Select(s => s!.AsObject()).ToDictionary(s => (string)s["queue"]!);
        Assert.Equal(new[] { expired.Queue, missing.Queue, overdue.Queue }.Order(StringComparer.Ordinal), scopes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"default:{overdue.Queue}:any", (string?)scopes[overdue.Queue]["scope_key"]);
        Assert.Equal(1, (int)scopes[expired.Queue]["existing_task_candidates"]!);
        Assert.Equal(1, (int)scopes[missing.Queue]["missing_task_candidates"]!);
    }

    private async Task<JsonObject> ClusterInfoAsync()
    {
        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/cluster/info");
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string)n!)];
}
