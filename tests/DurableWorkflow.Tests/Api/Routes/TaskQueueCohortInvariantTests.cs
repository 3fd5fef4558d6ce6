using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Rollout contract §14.1 invariants 8, 10, 14, 17 and 21, each on its own.</summary>
public sealed class TaskQueueCohortInvariantTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_008_a_heartbeat_after_a_drain_sets_the_worker_draining()
    {
        using var worker = TaskQueueAdmissionRouteTests.WorkerClient(server, "default");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv8b-w", "inv8b", "b1");
        await PostAsync("inv8b", "drain", "b1");
        // Undo the drain's own stamping so only the heartbeat can make the row draining again.
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET status = 'active' WHERE worker_id = 'inv8b-w'");

        using var heartbeat = await worker.PostAsync("/api/worker/heartbeat", ServerFactory.Json("""{"worker_id":"inv8b-w"}"""));
        await HttpAssert.JsonAsync(heartbeat, HttpStatusCode.OK);

        Assert.Equal("draining", await database.ScalarAsync<string>("SELECT status FROM workflow_worker_registrations WHERE worker_id = 'inv8b-w'"));
    }

    [Fact]
    public async Task Invariant_010_right_after_a_resume_no_registration_of_the_cohort_is_draining()
    {
        using var worker = TaskQueueAdmissionRouteTests.WorkerClient(server, "default");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv10-a", "inv10", "b1");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv10-b", "inv10", "b1");
        await PostAsync("inv10", "drain", "b1");
        var drained = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE task_queue = 'inv10' AND status = 'draining'");

        await PostAsync("inv10", "resume", "b1");

        Assert.Equal(2L, drained);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE task_queue = 'inv10' AND status = 'draining'"));
    }

    [Fact]
    public async Task Invariant_014_an_old_heartbeat_counts_only_as_stale_and_a_null_heartbeat_never_does()
    {
        using var worker = TaskQueueAdmissionRouteTests.WorkerClient(server, "default");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv14b-old-active", "inv14b", "b1");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv14b-old-draining", "inv14b", "b1");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "inv14b-never", "inv14b", "b1");
        await database.ExecuteAsync(
            """
            UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '31 seconds' WHERE worker_id LIKE 'inv14b-old-%';
            UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id = 'inv14b-old-draining';
            UPDATE workflow_worker_registrations SET last_heartbeat_at = NULL, created_at = now() - interval '1 day' WHERE worker_id = 'inv14b-never';
            """);

        var cohort = Assert.Single(await ListAsync("inv14b"));

        Assert.Equal(2, (int)cohort["stale_worker_count"]!);
        Assert.Equal(0, (int)cohort["draining_worker_count"]!);
        Assert.Equal(1, (int)cohort["active_worker_count"]!);
        Assert.Equal(3, (int)cohort["total_worker_count"]!);
    }

    [Theory]
    [InlineData(null, null, 30)]
    [InlineData("45", null, 45)]
    [InlineData(null, "20", 60)]
    public async Task Invariant_017_stale_after_seconds_is_the_configured_window_or_its_default(string? staleAfter, string? interval, int expected)
    {
        using var configured = ServerFactory.WithRoleTokens(
            database.ConnectionString, ("DW_WORKER_STALE_AFTER_SECONDS", staleAfter), ("DW_WORKER_HEARTBEAT_INTERVAL_SECONDS", interval));
        using var control = configured.ControlClient(ServerFactory.OperatorToken);

        using var response = await control.GetAsync("/api/task-queues/inv17/build-ids");

        Assert.Equal(expected, (int)(await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["stale_after_seconds"]!);
    }

    [Theory]
    [InlineData("workflow-tasks")]
    [InlineData("activity-tasks")]
    public async Task Invariant_021_unregistered_wrong_queue_and_wrong_build_polls_are_refused_and_claim_nothing(string kind)
    {
        var harness = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "b1" });
        await harness.StartAsync();
        await harness.WorkerPostAsync("/api/worker/register",
            new JsonObject { ["worker_id"] = harness.WorkerId + "-elsewhere", ["task_queue"] = "inv21-other", ["runtime"] = "python" }, HttpStatusCode.Created);
        var before = await TasksAsync(harness.Queue);
        var poll = $"/api/worker/{kind}/poll";

        var unregistered = await harness.WorkerPostAsync(poll,
            new JsonObject { ["worker_id"] = "inv21-nobody", ["task_queue"] = harness.Queue, ["timeout_seconds"] = 0 }, HttpStatusCode.PreconditionFailed);
        var mismatch = await harness.WorkerPostAsync(poll,
            new JsonObject { ["worker_id"] = harness.WorkerId + "-elsewhere", ["task_queue"] = harness.Queue, ["timeout_seconds"] = 0 }, HttpStatusCode.Conflict);
        var wrongBuild = await harness.WorkerPostAsync(poll,
            new JsonObject { ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["build_id"] = "b2", ["timeout_seconds"] = 0 }, HttpStatusCode.Conflict);

        Assert.Equal("worker_not_registered", (string?)unregistered["reason"]);
        Assert.Equal("task_queue_mismatch", (string?)mismatch["reason"]);
        Assert.Equal("build_id_mismatch", (string?)wrongBuild["reason"]);
        Assert.Equal(before, await TasksAsync(harness.Queue));
        Assert.Contains("\"status\":\"ready\"", before, StringComparison.Ordinal);
    }

    private async Task PostAsync(string queue, string operation, string buildId)
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        using var response = await control.PostAsync($"/api/task-queues/{queue}/build-ids/{operation}", ServerFactory.Json($$"""{"build_id":"{{buildId}}"}"""));
        await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private async Task<List<JsonObject>> ListAsync(string queue)
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        using var response = await control.GetAsync($"/api/task-queues/{queue}/build-ids");
        return [.. (await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["build_ids"]!.AsArray().Select(c => c!.AsObject())];
    }

    private async Task<string> TasksAsync(string queue) =>
        await database.ScalarAsync<string>($"SELECT json_agg(t ORDER BY id)::text FROM workflow_tasks t WHERE task_queue = '{queue}'") ?? string.Empty;
}
