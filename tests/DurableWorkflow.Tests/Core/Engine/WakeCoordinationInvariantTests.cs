using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>Rollout contract §14.8 invariants 96, 98, 99 and 100: matching, wake hints and poll-request idempotency.</summary>
public sealed class WakeCoordinationInvariantTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_096_with_queue_wake_off_worker_poll_iterations_never_run_a_repair_pass()
    {
        using var dedicated = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_MATCHING_ROLE_QUEUE_WAKE", "false"));
        var overdue = await WorkflowHarness.CreateAsync(dedicated);
        await overdue.StartAsync();
        await database.ExecuteAsync(
            $"UPDATE workflow_tasks SET created_at = now() - interval '1 minute', last_dispatched_at = NULL WHERE task_queue = '{overdue.Queue}'");
        var before = await RepairColumnsAsync(overdue.Queue);
        var idle = await WorkflowHarness.CreateAsync(dedicated);

        // Several loop iterations of an idle worker: each poll parks, re-probes its own queue and answers empty.
        for (var i = 0; i < 3; i++)
        {
            var answer = await idle.WorkerPostAsync("/api/worker/workflow-tasks/poll",
                new JsonObject { ["worker_id"] = idle.WorkerId, ["task_queue"] = idle.Queue, ["timeout_seconds"] = 1 }, HttpStatusCode.OK);
            Assert.Null(answer["task"]);
        }

        var info = await overdue.ControlGetAsync("/api/cluster/info");
        Assert.Equal(before, await RepairColumnsAsync(overdue.Queue));
        Assert.Matches(@"""repair_count""\s*:\s*0\b", before);
        Assert.Equal("dedicated", (string?)info["topology"]!["matching_role"]!["shape"]);
        Assert.Equal("dedicated_repair_pass", (string?)info["topology"]!["matching_role"]!["wake_owner"]);
    }

    [Fact]
    public async Task Invariant_098_without_wake_signals_an_idle_poller_claims_within_the_reprobe_interval()
    {
        // Two nodes on one database and no Redis: node B's start cannot signal node A's parked poll.
        using var nodeA = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var nodeB = ServerFactory.WithRoleTokens(database.ConnectionString);
        var harnessA = await WorkflowHarness.CreateAsync(nodeA);
        using var controlB = nodeB.ControlClient();
        const int holdSeconds = 20;
        var poll = harnessA.WorkerPostAsync("/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = harnessA.WorkerId, ["task_queue"] = harnessA.Queue, ["timeout_seconds"] = holdSeconds }, HttpStatusCode.OK);
        await Task.WhenAny(poll, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.False(poll.IsCompleted, "the poll answered before any task existed");

        using var started = await controlB.PostAsync("/api/workflows", ServerFactory.Json(
            $$"""{"workflow_type":"inv98","task_queue":"{{harnessA.Queue}}"}"""));
        var run = await HttpAssert.JsonAsync(started, HttpStatusCode.Created);
        var sinceStart = Stopwatch.StartNew();
        var answer = await poll;

        Assert.Equal((string?)run["run_id"], (string?)answer["task"]!["run_id"]);
        Assert.True(sinceStart.Elapsed < LongPoll.ReprobeInterval + TimeSpan.FromSeconds(2),
            $"claimed {sinceStart.Elapsed.TotalSeconds:F1} s after the start; re-probe interval {LongPoll.ReprobeInterval.TotalSeconds} s");
        Assert.True(sinceStart.Elapsed < TimeSpan.FromSeconds(holdSeconds));
    }

    [Fact]
    public async Task Invariant_099_a_signal_is_seen_by_a_subscription_taken_before_it_on_this_node_and_across_nodes()
    {
        var local = new InProcessCoordinationCache(TimeProvider.System);
        await using var localBus = new WakeBus(local, NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"inv99-{Guid.NewGuid():N}");
        using var before = localBus.Subscribe([channel]);

        localBus.Publish([channel]);

        // The waiter starts only after the signal: a subscription keeps what arrived since it was taken.
        Assert.True(await before.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
        Assert.False(await before.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));

        await using var redisA = await ConnectedRedis.CacheAsync();
        await using var redisB = await ConnectedRedis.CacheAsync();
        await using var nodeA = new WakeBus(redisA, NullLogger<WakeBus>.Instance);
        await using var nodeB = new WakeBus(redisB, NullLogger<WakeBus>.Instance);
        using var remote = nodeB.Subscribe([channel]);
        using var warm = nodeA.Subscribe([channel]);

        // Pub/sub connects lazily; keep signalling until node B's subscription is live, as writers do on every write.
        var seen = false;
        var deadline = Stopwatch.StartNew();
        while (!seen && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            nodeA.Publish([channel]);
            seen = await remote.WaitAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None);
        }

        Assert.True(seen, "node B never saw node A's signal");
    }

    [Fact]
    public async Task Invariant_100_a_retried_poll_request_returns_the_same_leased_task_and_claims_no_other()
    {
        var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        await harness.StartAsync();
        var body = new JsonObject
        {
            ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 5, ["poll_request_id"] = "inv100-poll",
        };

        var first = await harness.WorkerPostAsync("/api/worker/workflow-tasks/poll", body.DeepClone().AsObject(), HttpStatusCode.OK);
        var retried = await harness.WorkerPostAsync("/api/worker/workflow-tasks/poll", body.DeepClone().AsObject(), HttpStatusCode.OK);

        Assert.Equal((string?)first["task"]!["task_id"], (string?)retried["task"]!["task_id"]);
        Assert.Equal((int)first["task"]!["workflow_task_attempt"]!, (int)retried["task"]!["workflow_task_attempt"]!);
        Assert.Equal("leased:1,ready:1", await database.ScalarAsync<string>(
            $"SELECT string_agg(status || ':' || n, ',' ORDER BY status) FROM (SELECT status, count(*) AS n FROM workflow_tasks WHERE task_queue = '{harness.Queue}' GROUP BY status) s"));

        // Once the lease is gone the remembered answer is stale: the retry runs a fresh poll with a new attempt.
        await database.ExecuteAsync($"UPDATE workflow_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = '{(string?)first["task"]!["task_id"]}'");
        var afterExpiry = await harness.WorkerPostAsync("/api/worker/workflow-tasks/poll", body.DeepClone().AsObject(), HttpStatusCode.OK);
        Assert.False(
            (string?)afterExpiry["task"]?["task_id"] == (string?)first["task"]!["task_id"]
                && (int?)afterExpiry["task"]?["workflow_task_attempt"] == (int)first["task"]!["workflow_task_attempt"]!,
            "a retry after the lease expired was answered with the expired lease");
    }

    private async Task<string> RepairColumnsAsync(string queue) =>
        await database.ScalarAsync<string>(
            $"""
            SELECT json_agg(json_build_object('repair_count', repair_count, 'last_dispatched_at', last_dispatched_at,
                                              'repair_available_at', repair_available_at, 'status', status) ORDER BY id)::text
              FROM workflow_tasks WHERE task_queue = '{queue}'
            """) ?? string.Empty;
}
