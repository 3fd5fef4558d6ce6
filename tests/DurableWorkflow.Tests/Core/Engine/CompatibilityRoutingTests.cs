using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// Compatibility routing (rollout contract §5.2–5.6, invariants 23–33 and 36): run markers, the claim statement that is
/// both poll filter and claim fence, blocked work that waits untouched, fleet heartbeats and the blocked-run metrics.
/// </summary>
public sealed class CompatibilityRoutingTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string BlockedSuffix = "_task_waiting_for_compatible_worker";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_023_a_run_is_stamped_with_build_id_else_the_promoted_build_else_the_current_marker_never_star()
    {
        using var current = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_CURRENT_COMPATIBILITY", " cur "));
        using var fleet = new FleetClient(current);
        var queue = FleetClient.NewQueue();

        var explicitRun = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = " x1 " });
        var aliasRun = await fleet.StartAsync(queue, extra: new JsonObject { ["compatibility"] = "x2" });
        var defaultRun = await fleet.StartAsync(queue);
        await fleet.RegisterAsync($"w-{queue}", queue, "p1");
        await fleet.ControlPostAsync($"/api/task-queues/{queue}/build-ids/promote", new JsonObject { ["build_id"] = "p1" }, HttpStatusCode.OK);
        var promotedRun = await fleet.StartAsync(queue);
        await fleet.ControlPostAsync($"/api/task-queues/{queue}/build-ids/drain", new JsonObject { ["build_id"] = "p1" }, HttpStatusCode.OK);
        var afterDrainRun = await fleet.StartAsync(queue);
        var star = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "*" }, expected: (HttpStatusCode)422);
        using var plain = new FleetClient(server);
        var unmarkedRun = await plain.StartAsync(FleetClient.NewQueue());

        Assert.Equal("x1", await MarkerAsync(explicitRun));
        Assert.Equal("x2", await MarkerAsync(aliasRun));
        Assert.Equal("cur", await MarkerAsync(defaultRun));
        Assert.Equal("p1", await MarkerAsync(promotedRun));
        Assert.Equal("cur", await MarkerAsync(afterDrainRun));
        Assert.Null(await MarkerAsync(unmarkedRun));
        Assert.Equal("validation_failed", (string?)star["reason"]);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE compatibility = '*'"));
        Assert.Equal("x1", (string?)(await fleet.ControlGetAsync($"/api/workflows/{explicitRun["workflow_id"]}"))["compatibility"]);
    }

    [Fact]
    public async Task Invariant_024_children_and_continue_as_new_runs_inherit_the_marker()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w24", queue, "m24");
        var parent = await fleet.StartAsync(queue, "parent", new JsonObject { ["build_id"] = "m24" });
        var task = await fleet.PollWorkflowAsync("w24", queue);
        await fleet.CompleteAsync("w24", task!, new JsonObject
        {
            ["type"] = "start_child_workflow", ["workflow_type"] = "child", ["queue"] = queue, ["parent_close_policy"] = "abandon",
        });
        var child = await fleet.PollWorkflowAsync("w24", queue);
        Assert.Equal("child", (string?)child!["workflow_type"]);
        await fleet.CompleteAsync("w24", child, new JsonObject { ["type"] = "continue_as_new", ["arguments"] = FleetClient.Blob.DeepClone() });

        var successor = await database.ScalarAsync<string>(
            $"SELECT continued_to_run_id FROM workflow_runs WHERE id = '{child["run_id"]}'");
        Assert.NotNull(successor);
        Assert.Equal("m24", await database.ScalarAsync<string>($"SELECT compatibility FROM workflow_runs WHERE id = '{child["run_id"]}'"));
        Assert.Equal("m24", await database.ScalarAsync<string>($"SELECT compatibility FROM workflow_runs WHERE id = '{successor}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id WHERE r.workflow_instance_id IN ('{parent["workflow_id"]}', '{child["workflow_id"]}') AND t.compatibility IS DISTINCT FROM 'm24'"));
    }

    [Fact]
    public async Task Invariant_025_a_claim_writes_the_run_marker_onto_an_unmarked_task()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w25-none", queue, null);
        await fleet.RegisterAsync("w25-m", queue, "m25");
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "m25" });
        await database.ExecuteAsync($"UPDATE workflow_tasks SET compatibility = '' WHERE run_id = '{run["run_id"]}'");

        Assert.Null(await fleet.PollWorkflowAsync("w25-none", queue));
        var claimed = await fleet.PollWorkflowAsync("w25-m", queue);

        Assert.Equal((string?)run["run_id"], (string?)claimed!["run_id"]);
        Assert.Equal("m25", await database.ScalarAsync<string>($"SELECT compatibility FROM workflow_tasks WHERE id = '{claimed["task_id"]}'"));
    }

    [Fact]
    public async Task Invariant_026_workers_only_receive_unmarked_tasks_or_tasks_of_their_own_build()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w26-a", queue, "a");
        await fleet.RegisterAsync("w26-b", queue, " b ");
        await fleet.RegisterAsync("w26-none", queue, null);
        var marks = new Dictionary<string, string?>();
        foreach (var marker in new[] { "a", "b", null, "a", "b", null, "c" })
        {
            var extra = marker is null ? new JsonObject() : new JsonObject { ["build_id"] = marker };
            marks[(string)(await fleet.StartAsync(queue, extra: extra))["run_id"]!] = marker;
        }

        var received = new List<(string Worker, string? Marker)>();
        for (var round = 0; round < 4; round++)
        {
            foreach (var (worker, build) in new[] { ("w26-none", (string?)null), ("w26-a", "a"), ("w26-b", "b") })
            {
                if (await fleet.PollWorkflowAsync(worker, queue) is { } task)
                {
                    received.Add((worker, marks[(string)task["run_id"]!]));
                    Assert.True(marks[(string)task["run_id"]!] is null || marks[(string)task["run_id"]!] == build, $"{worker} got a task marked {marks[(string)task["run_id"]!]}");
                }
            }
        }

        Assert.Equal(6, received.Count);
        Assert.DoesNotContain(received, r => r.Worker == "w26-none" && r.Marker is not null);
        Assert.Equal(2, received.Count(r => r.Marker == "a"));
        Assert.Equal(2, received.Count(r => r.Marker == "b"));
        Assert.Equal("ready", await database.ScalarAsync<string>(
            $"SELECT t.status FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id WHERE r.task_queue = '{queue}' AND r.compatibility = 'c'"));
    }

    [Fact]
    public async Task Invariant_026_activity_polls_use_the_same_marker_rule()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w26act-a", queue, "a");
        await fleet.RegisterAsync("w26act-none", queue, null);
        await fleet.RegisterAsync("w26act-b", queue, "b");
        await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "a" });
        var task = await fleet.PollWorkflowAsync("w26act-a", queue);
        await fleet.CompleteAsync("w26act-a", task!, new JsonObject
        {
            ["type"] = "schedule_activity", ["activity_type"] = "charge", ["queue"] = queue, ["arguments"] = FleetClient.Blob.DeepClone(),
        });

        Assert.Null(await fleet.PollActivityAsync("w26act-none", queue));
        Assert.Null(await fleet.PollActivityAsync("w26act-b", queue));
        Assert.NotNull(await fleet.PollActivityAsync("w26act-a", queue));
    }

    [Fact]
    public async Task Invariant_027_a_refused_claim_leaves_the_task_row_unchanged()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w27-y", queue, "y");
        await fleet.RegisterAsync("w27-none", queue, null);
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "x" });
        var before = await TaskRowAsync((string)run["run_id"]!);

        Assert.Null(await fleet.PollWorkflowAsync("w27-y", queue));
        Assert.Null(await fleet.PollWorkflowAsync("w27-none", queue, timeoutSeconds: 1));

        Assert.Equal(before, await TaskRowAsync((string)run["run_id"]!));
        Assert.Contains("\"status\":\"ready\"", before, StringComparison.Ordinal);
        Assert.Contains("\"attempt_count\":0", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invariant_028_a_blocked_ready_task_is_never_dropped_failed_or_rerouted()
    {
        await CloseOpenRunsAsync();
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w28-old", queue, "old");
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "gone" });
        await database.ExecuteAsync($"UPDATE workflow_tasks SET available_at = now() - interval '2 hours', created_at = now() - interval '2 hours' WHERE run_id = '{run["run_id"]}'");
        var before = await TaskRowAsync((string)run["run_id"]!);

        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await fleet.PollWorkflowAsync("w28-old", queue));
        }

        await fleet.ControlPostAsync("/api/system/activity-timeouts/pass", [], HttpStatusCode.OK);
        using var h = new Scheduling.Schedules.ScheduleHarness(server, database);
        await h.TickAsync();

        Assert.Equal(before, await TaskRowAsync((string)run["run_id"]!));
        Assert.Equal("pending", await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{run["run_id"]}'"));
        Assert.Equal(1, (int)(await fleet.OperatorMetricsAsync())["backlog"]!["compatibility_blocked_runs"]!);
    }

    [Fact]
    public async Task Invariant_029_a_blocked_task_is_claimed_once_a_supporting_worker_registers_and_polls()
    {
        await CloseOpenRunsAsync();
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "late" });
        Assert.Equal(1, (int)(await fleet.OperatorMetricsAsync())["backlog"]!["compatibility_blocked_runs"]!);

        await fleet.RegisterAsync("w29", queue, "late");
        var clock = Stopwatch.StartNew();
        var task = await fleet.PollWorkflowAsync("w29", queue, timeoutSeconds: 5);

        Assert.Equal((string?)run["run_id"], (string?)task!["run_id"]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"claimed after {clock.Elapsed}");
        Assert.Equal(0, (int)(await fleet.OperatorMetricsAsync())["backlog"]!["compatibility_blocked_runs"]!);
    }

    [Fact]
    public async Task Invariant_030_a_fleet_heartbeat_stops_supporting_its_marker_after_the_ttl()
    {
        await CloseOpenRunsAsync();
        using var shortTtl = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_COMPATIBILITY_HEARTBEAT_TTL", "5"));
        using var fleet = new FleetClient(shortTtl);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w30", queue, "m30");
        await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "m30" });

        var ttl = await database.ScalarAsync<double>(
            "SELECT extract(epoch FROM expires_at - recorded_at)::float8 FROM workflow_worker_compatibility_heartbeats WHERE worker_id = 'w30'");
        var live = await fleet.OperatorMetricsAsync();
        await database.ExecuteAsync(
            "UPDATE workflow_worker_compatibility_heartbeats SET recorded_at = recorded_at - interval '6 seconds', expires_at = expires_at - interval '6 seconds' WHERE worker_id = 'w30'");
        var expired = await fleet.OperatorMetricsAsync();

        Assert.Equal(5, ttl);
        Assert.Contains(live["workers"]!["fleet"]!.AsArray(), row => (string?)row!["worker_id"] == "w30");
        Assert.Equal(0, (int)live["backlog"]!["compatibility_blocked_runs"]!);
        Assert.DoesNotContain(expired["workers"]!["fleet"]!.AsArray(), row => (string?)row!["worker_id"] == "w30");
        Assert.Equal(1, (int)expired["backlog"]!["compatibility_blocked_runs"]!);
    }

    [Fact]
    public async Task Invariant_031_a_heartbeat_with_a_null_queue_matches_every_queue()
    {
        await CloseOpenRunsAsync();
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "m31" });
        var blocked = await fleet.OperatorMetricsAsync();
        await database.ExecuteAsync(
            """
            INSERT INTO workflow_worker_compatibility_heartbeats (worker_id, scope_key, namespace, connection, queue, supported, expires_at)
            VALUES ('agnostic-31', repeat('a', 64), 'default', NULL, NULL, '["m31"]', now() + interval '1 minute')
            """);

        var covered = await fleet.OperatorMetricsAsync();

        Assert.Equal(1, (int)blocked["backlog"]!["compatibility_blocked_runs"]!);
        Assert.Equal(0, (int)covered["backlog"]!["compatibility_blocked_runs"]!);
        await database.ExecuteAsync("DELETE FROM workflow_worker_compatibility_heartbeats WHERE worker_id = 'agnostic-31'");
    }

    [Fact]
    public async Task Invariant_032_and_033_blocked_runs_are_counted_from_their_liveness_and_aged_from_their_wait()
    {
        await CloseOpenRunsAsync();
        using var fleet = new FleetClient(server);
        var empty = await fleet.OperatorMetricsAsync();
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w32", queue, "served");
        var first = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "m32" });
        var second = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "m32" });
        var served = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "served" });
        await database.ExecuteAsync($"UPDATE workflow_tasks SET available_at = now() - interval '40 seconds' WHERE run_id = '{first["run_id"]}'");
        await database.ExecuteAsync($"UPDATE workflow_runs SET wait_started_at = now() - interval '90 seconds' WHERE id = '{second["run_id"]}'");

        var metrics = await fleet.OperatorMetricsAsync();
        var states = new List<string?>();
        foreach (var run in new[] { first, second, served })
        {
            var debug = await fleet.ControlGetAsync($"/api/workflows/{run["workflow_id"]}/debug");
            states.Add((string?)debug["execution"]!["liveness_state"]);
        }

        Assert.Equal(0, (int)empty["backlog"]!["compatibility_blocked_runs"]!);
        Assert.Null((string?)empty["backlog"]!["oldest_compatibility_blocked_started_at"]);
        Assert.Equal(0L, (long)empty["backlog"]!["max_compatibility_blocked_age_ms"]!);
        Assert.Equal(["workflow" + BlockedSuffix, "workflow" + BlockedSuffix, "workflow_task_ready"], states);
        Assert.Equal(states.Count(s => s!.EndsWith(BlockedSuffix, StringComparison.Ordinal)), (int)metrics["backlog"]!["compatibility_blocked_runs"]!);
        Assert.Equal(2, (int)metrics["runs"]!["compatibility_blocked"]!);
        var oldest = DateTimeOffset.Parse((string)metrics["backlog"]!["oldest_compatibility_blocked_started_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var generated = DateTimeOffset.Parse((string)metrics["generated_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var expectedAge = (long)Math.Ceiling((generated - oldest).TotalMilliseconds);
        Assert.InRange((long)metrics["backlog"]!["max_compatibility_blocked_age_ms"]!, Math.Max(1, expectedAge - 1), expectedAge + 1);
        Assert.InRange((long)metrics["backlog"]!["max_compatibility_blocked_age_ms"]!, 90_000, 120_000);
        Assert.Equal(2, (int)metrics["runs"]!["waiting"]!);
    }

    [Fact]
    public async Task Invariant_036_in_poll_dispatch_mode_the_fleet_never_blocks_dispatch_even_in_fail_mode()
    {
        using var failMode = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_FLEET_VALIDATION_MODE", " FAIL "));
        using var fleet = new FleetClient(failMode);
        var queue = FleetClient.NewQueue();
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["build_id"] = "a36" });
        await fleet.RegisterAsync("w36-other", queue, "b36");
        await fleet.RegisterAsync("w36", queue, "a36");

        var task = await fleet.PollWorkflowAsync("w36", queue);

        Assert.Equal((string?)run["run_id"], (string?)task!["run_id"]);
        Assert.Null(await database.ScalarAsync<string>($"SELECT last_dispatch_error FROM workflow_tasks WHERE id = '{task["task_id"]}'"));
    }

    /// <summary>Blocked-run counts are namespace-wide, so runs other tests left open are closed first.</summary>
    private Task CloseOpenRunsAsync() =>
        database.ExecuteAsync("UPDATE workflow_runs SET status = 'terminated', closed_at = now() WHERE closed_at IS NULL");

    private Task<string?> MarkerAsync(JsonObject start) =>
        database.ScalarAsync<string>($"SELECT compatibility FROM workflow_runs WHERE id = '{start["run_id"]}'");

    private async Task<string> TaskRowAsync(string runId) =>
        await database.ScalarAsync<string>($"SELECT row_to_json(t)::text FROM workflow_tasks t WHERE run_id = '{runId}'") ?? string.Empty;
}
