using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Core.Readiness;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Workers;

/// <summary>
/// Two server nodes on one database and one Redis (issue 9 "Tests"): rollout intent lives in PostgreSQL, so a drain or
/// resume issued through one node governs polls on the other at once, and in fleet-validation <c>fail</c> mode both
/// nodes' readiness follows the one shared worker fleet.
/// </summary>
public sealed class CrossNodeDrainTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task A_drain_on_node_a_refuses_the_next_poll_on_node_b_and_a_resume_on_node_b_admits_the_next_poll_on_node_a()
    {
        using var nodeA = Node();
        using var nodeB = Node();
        using var fleetA = new FleetClient(nodeA);
        using var fleetB = new FleetClient(nodeB);
        var queue = FleetClient.NewQueue();
        await fleetA.RegisterAsync("cross-old", queue, "old");
        var run = (string)(await fleetA.StartAsync(queue))["run_id"]!;
        var ready = await TaskRowsAsync(queue);
        Assert.Equal("ready", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE task_queue = '{queue}'"));

        await fleetA.ControlPostAsync($"/api/task-queues/{queue}/build-ids/drain", new JsonObject { ["build_id"] = "old" }, HttpStatusCode.OK);
        var refused = await fleetB.WorkerPostAsync(
            "/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = "cross-old", ["task_queue"] = queue, ["timeout_seconds"] = 0 },
            HttpStatusCode.Conflict);

        Assert.Equal("worker_draining", (string?)refused["reason"]);
        Assert.Null(refused["task"]);
        Assert.Equal(ready, await TaskRowsAsync(queue));
        var cohortOnB = (await fleetB.ControlGetAsync($"/api/task-queues/{queue}/build-ids"))["build_ids"]![0]!;
        Assert.Equal("draining", (string?)cohortOnB["rollout_status"]);

        await fleetB.ControlPostAsync($"/api/task-queues/{queue}/build-ids/resume", new JsonObject { ["build_id"] = "old" }, HttpStatusCode.OK);
        var claimed = await fleetA.PollWorkflowAsync("cross-old", queue);

        Assert.NotNull(claimed);
        Assert.Equal(run, (string?)claimed["run_id"]);
        Assert.Equal("cross-old", await database.ScalarAsync<string>($"SELECT lease_owner FROM workflow_tasks WHERE task_queue = '{queue}' AND status = 'leased'"));
    }

    [Fact]
    public async Task A_poll_parked_on_node_b_before_a_drain_on_node_a_claims_nothing_when_work_arrives_after_the_drain()
    {
        using var nodeA = Node();
        using var nodeB = Node();
        using var fleetA = new FleetClient(nodeA);
        using var fleetB = new FleetClient(nodeB);
        var queue = FleetClient.NewQueue();
        var pollRequestId = $"parked-{Guid.NewGuid():N}";
        await fleetA.RegisterAsync("parked-old", queue, "old");

        var parked = fleetB.WorkerPostAsync(
            "/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = "parked-old", ["task_queue"] = queue, ["timeout_seconds"] = 4, ["poll_request_id"] = pollRequestId },
            HttpStatusCode.OK);
        await HttpAssert.EventuallyAsync(async () =>
        {
            var waiting = await database.ScalarAsync<long>(
                $"SELECT count(*) FROM workflow_poll_requests WHERE poll_request_id = '{pollRequestId}' AND status = 'pending'");
            return (waiting == 1, $"pending reservations: {waiting}");
        }, TimeSpan.FromSeconds(20));

        await fleetA.ControlPostAsync($"/api/task-queues/{queue}/build-ids/drain", new JsonObject { ["build_id"] = "old" }, HttpStatusCode.OK);
        await fleetA.StartAsync(queue);
        var answer = await parked;

        Assert.Null(answer["task"]);
        Assert.Equal(
            "ready 0 none",
            await database.ScalarAsync<string>(
                $"SELECT status || ' ' || attempt_count || ' ' || COALESCE(lease_owner, 'none') FROM workflow_tasks WHERE task_queue = '{queue}'"));
    }

    [Fact]
    public async Task In_fail_mode_both_nodes_are_unready_until_a_worker_supporting_the_current_marker_heartbeats_then_both_are_ready()
    {
        var marker = $"cutover-{Guid.NewGuid():N}";
        (string, string?)[] failMode = [("DW_V2_FLEET_VALIDATION_MODE", "fail"), ("DW_V2_CURRENT_COMPATIBILITY", marker)];
        using var nodeA = Node(failMode);
        using var nodeB = Node(failMode);
        using var readyA = nodeA.CreateClient();
        using var readyB = nodeB.CreateClient();

        foreach (var client in new[] { readyA, readyB })
        {
            var (status, body) = await Ready.GetAsync(client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("worker_compatibility", body["checks"]!["workflow_v2"]!["error_checks"]!.AsArray().Select(n => (string?)n));
        }

        using var fleetA = new FleetClient(nodeA);
        await fleetA.RegisterAsync($"w-{marker}", FleetClient.NewQueue(), marker);

        foreach (var client in new[] { readyA, readyB })
        {
            await HttpAssert.EventuallyAsync(async () =>
            {
                var (status, body) = await Ready.GetAsync(client);
                var errors = body["checks"]!["workflow_v2"]!["error_checks"]!.AsArray().Select(n => (string?)n).ToList();
                return (status == HttpStatusCode.OK && !errors.Contains("worker_compatibility"), $"{(int)status} {body.ToJsonString()}");
            }, TimeSpan.FromSeconds(30));
        }
    }

    private ServerFactory Node(params (string Key, string? Value)[] overrides) =>
        ServerFactory.WithRoleTokens(
            database.ConnectionString,
            [("DW_REDIS_CONNECTION", TestEnvironment.RedisConnection), ("DW_V2_MULTI_NODE", "true"), .. overrides]);

    private async Task<string> TaskRowsAsync(string queue) =>
        await database.ScalarAsync<string>(
            $"SELECT json_agg(json_build_object('id', id, 's', status, 'o', lease_owner, 'a', attempt_count, 'u', updated_at) ORDER BY id)::text FROM workflow_tasks WHERE task_queue = '{queue}'")
        ?? string.Empty;
}
