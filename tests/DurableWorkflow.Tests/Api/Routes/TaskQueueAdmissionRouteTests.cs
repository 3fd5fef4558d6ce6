using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary><c>GET /api/task-queues</c> and <c>GET /api/task-queues/{q}</c>: stats, pollers, leases, admission (§6.5).</summary>
public sealed class TaskQueueAdmissionRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    /// <summary>
    /// Server-side dispatch budgets (<c>DW_*_MAX_DISPATCHES_PER_MINUTE*</c>, budget groups) are not configurable here, so
    /// their per-minute counters are not reported; every other fixture key is.
    /// </summary>
    internal static readonly string[] DispatchBudgetCounters =
    [
        "server_dispatch_count_this_minute", "server_namespace_dispatch_count_this_minute",
        "server_budget_group_dispatch_count_this_minute",
    ];

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task fixture_parity_task_queue_list()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('orders-prod') ON CONFLICT DO NOTHING");
        using var worker = WorkerClient("orders-prod");
        await RegisterAsync(worker, "tql-critical-stale", "orders-critical", "b1");
        await RegisterAsync(worker, "tql-standard-1", "orders-standard", "b1");
        await RegisterAsync(worker, "tql-standard-2", "orders-standard", "b1");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '5 minutes' WHERE worker_id = 'tql-critical-stale'");
        var fixture = SharedFixtures.ControlPlane("task-queue-list-parity");
        using var control = server.ControlClient(ServerFactory.OperatorToken, "orders-prod");

        using var response = await control.SendAsync(fixture.ToRequest());
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal((string?)fixture.Semantic["namespace"], (string?)body["namespace"]);
        var queues = body["task_queues"]!.AsArray().Select(q => q!.AsObject()).ToList();
        Assert.Equal(fixture.Semantic["task_queue_names"]!.AsArray().Select(n => (string?)n), queues.Select(q => (string?)q["name"]));
        Assert.All(queues, q => Assert.Equal("orders-prod", (string?)q["namespace"]));
        var standard = queues.Single(q => (string?)q["name"] == "orders-standard");
        Assert.Equal((string?)fixture.Semantic["workflow_admission_statuses"]!["orders-standard"], (string?)standard["admission"]!["workflow_tasks"]!["status"]);
        Assert.Equal(2, (int)standard["stats"]!["pollers"]!["active_count"]!);
        var critical = queues.Single(q => (string?)q["name"] == "orders-critical");
        Assert.Equal("no_active_workers", (string?)critical["admission"]!["workflow_tasks"]!["status"]);
        Assert.Equal(1, (int)critical["stats"]!["pollers"]!["stale_count"]!);

        var expected = fixture.Json["response_body"]!["task_queues"]![0]!.AsObject();
        Assert.All(queues, q => AssertHasKeysOf(expected, q));
    }

    [Fact]
    public async Task describe_reports_backlog_current_leases_and_the_pending_query_cap()
    {
        using var limited = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_QUERY_TASK_MAX_PENDING_PER_QUEUE", "1"));
        var harness = await WorkflowHarness.CreateAsync(limited);
        var leasedRun = await harness.StartAsync();
        var task = await harness.PollAsync();
        await harness.StartAsync();
        await database.ExecuteAsync(
            $"""
            INSERT INTO workflow_query_tasks (id, namespace, task_queue, workflow_instance_id, run_id, workflow_type, query_name,
                                              wait_deadline_at, expires_at)
            VALUES ('01QUERYTASKPENDING00000001', 'default', '{harness.Queue}', 'x', 'x', 'demo', 'q', now() + interval '30 seconds',
                    now() + interval '3 minutes')
            """);

        var body = await harness.ControlGetAsync($"/api/task-queues/{harness.Queue}");

        var lease = Assert.Single(body["current_leases"]!.AsArray())!;
        Assert.Equal((string?)task["task_id"], (string?)lease["task_id"]);
        Assert.Equal("workflow", (string?)lease["task_type"]);
        Assert.Equal((string?)leasedRun["workflow_id"], (string?)lease["workflow_id"]);
        Assert.Equal(harness.WorkerId, (string?)lease["lease_owner"]);
        Assert.False((bool)lease["is_expired"]!);
        Assert.Equal(1, (int)lease["workflow_task_attempt"]!);
        Assert.Equal(1, (int)body["stats"]!["approximate_backlog_count"]!);
        Assert.Equal(1, (int)body["stats"]!["workflow_tasks"]!["leased_count"]!);
        Assert.Matches(@"^\d+s$", (string?)body["stats"]!["approximate_backlog_age"]);
        Assert.Equal("workflow", (string?)body["stats"]!["oldest_ready_task"]!["task_type"]);
        var admission = body["admission"]!["workflow_tasks"]!;
        Assert.Equal("accepting", (string?)admission["status"]);
        Assert.Equal(100, (int)admission["configured_slot_count"]!);
        Assert.Equal(99, (int)admission["available_slot_count"]!);
        Assert.Equal(1, (int)admission["server_active_lease_count"]!);
        Assert.Equal("full", (string?)body["admission"]!["query_tasks"]!["status"]);
        Assert.Equal(0, (int)body["admission"]!["query_tasks"]!["remaining_pending_capacity"]!);
    }

    [Fact]
    public async Task an_unknown_queue_is_described_with_zero_counts()
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        using var response = await control.GetAsync("/api/task-queues/never-used");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal("never-used", (string?)body["name"]);
        Assert.Empty(body["pollers"]!.AsArray());
        Assert.Empty(body["current_leases"]!.AsArray());
        Assert.Equal(0, (int)body["stats"]!["approximate_backlog_count"]!);
        Assert.Null(body["stats"]!["approximate_backlog_age"]);
        Assert.Null(body["stats"]!["oldest_ready_task"]);
        Assert.Equal("no_active_workers", (string?)body["admission"]!["workflow_tasks"]!["status"]);
        Assert.False((bool)body["repair"]!["needs_attention"]!);
    }

    [Fact]
    public async Task Invariant_020_admission_active_worker_count_never_counts_draining_or_stale_pollers()
    {
        using var worker = WorkerClient("default");
        await RegisterAsync(worker, "inv20-active", "inv20", "new", maxWorkflowTasks: 7);
        await RegisterAsync(worker, "inv20-draining", "inv20", "old", maxWorkflowTasks: 11);
        await RegisterAsync(worker, "inv20-stale", "inv20", "new", maxWorkflowTasks: 13);
        await RegisterAsync(worker, "inv20-stale-draining", "inv20", "old", maxWorkflowTasks: 17);
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '31 seconds' WHERE worker_id LIKE 'inv20-stale%'");
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        using var drain = await control.PostAsync("/api/task-queues/inv20/build-ids/drain", ServerFactory.Json("""{"build_id":"old"}"""));
        await HttpAssert.JsonAsync(drain, HttpStatusCode.OK);

        using var response = await control.GetAsync("/api/task-queues/inv20");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        using var list = await control.GetAsync("/api/task-queues");
        var listed = (await HttpAssert.JsonAsync(list, HttpStatusCode.OK))["task_queues"]!.AsArray().Single(q => (string?)q!["name"] == "inv20")!;

        foreach (var admission in new[] { body["admission"]!, listed["admission"]! })
        {
            Assert.Equal(1, (int)admission["workflow_tasks"]!["active_worker_count"]!);
            Assert.Equal(7, (int)admission["workflow_tasks"]!["configured_slot_count"]!);
            Assert.Equal(1, (int)admission["activity_tasks"]!["active_worker_count"]!);
        }

        Assert.Equal(1, (int)body["stats"]!["pollers"]!["active_count"]!);
        Assert.Equal(1, (int)body["stats"]!["pollers"]!["draining_count"]!);
        Assert.Equal(2, (int)body["stats"]!["pollers"]!["stale_count"]!);

        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '31 seconds' WHERE worker_id = 'inv20-active'");
        using var after = await control.GetAsync("/api/task-queues/inv20");
        var none = (await HttpAssert.JsonAsync(after, HttpStatusCode.OK))["admission"]!["workflow_tasks"]!;
        Assert.Equal(0, (int)none["active_worker_count"]!);
        Assert.Equal("no_active_workers", (string?)none["status"]);
    }

    [Fact]
    public async Task worker_tokens_are_forbidden_on_the_task_queue_routes()
    {
        using var control = server.ControlClient(ServerFactory.WorkerToken);

        using var list = await control.GetAsync("/api/task-queues");
        using var describe = await control.GetAsync("/api/task-queues/q");

        await HttpAssert.ErrorAsync(list, HttpStatusCode.Forbidden, "forbidden");
        await HttpAssert.ErrorAsync(describe, HttpStatusCode.Forbidden, "forbidden");
    }

    internal static void AssertHasKeysOf(JsonObject expected, JsonObject actual, params string[] skipNested)
    {
        foreach (var (key, value) in expected)
        {
            if (DispatchBudgetCounters.Contains(key))
            {
                continue;
            }

            Assert.True(actual.ContainsKey(key), $"missing {key} in {actual.ToJsonString()}");
            if (value is JsonObject nested && actual[key] is JsonObject actualNested && !skipNested.Contains(key))
            {
                AssertHasKeysOf(nested, actualNested);
            }
        }
    }

    internal static async Task RegisterAsync(HttpClient client, string workerId, string queue, string buildId, int maxWorkflowTasks = 100)
    {
        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(
            $$"""{"worker_id":"{{workerId}}","task_queue":"{{queue}}","runtime":"python","sdk_version":"sdk/1","build_id":"{{buildId}}","max_concurrent_workflow_tasks":{{maxWorkflowTasks}}}"""));
        await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    private HttpClient WorkerClient(string @namespace) => WorkerClient(server, @namespace);

    internal static HttpClient WorkerClient(ServerFactory server, string @namespace)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        client.DefaultRequestHeaders.Add(HeaderNames.Namespace, @namespace);
        return client;
    }
}

/// <summary>The describe fixture uses the list fixture's namespace and queue, so it gets a database of its own.</summary>
public sealed class TaskQueueDescribeParityTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task fixture_parity_task_queue_describe()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('orders-prod') ON CONFLICT DO NOTHING");
        using var worker = TaskQueueAdmissionRouteTests.WorkerClient(server, "orders-prod");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "tqd-alpha", "orders-critical", "build-2026-04-22");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "tqd-beta", "orders-critical", "build-2026-04-22");
        await TaskQueueAdmissionRouteTests.RegisterAsync(worker, "tqd-gamma-old", "orders-critical", "build-2026-04-21");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '20 minutes' WHERE worker_id = 'tqd-gamma-old'");
        var fixture = SharedFixtures.ControlPlane("task-queue-describe-parity");
        using var control = server.ControlClient(ServerFactory.OperatorToken, "orders-prod");

        using var response = await control.SendAsync(fixture.ToRequest());
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal((string?)fixture.Semantic["namespace"], (string?)body["namespace"]);
        Assert.Equal((string?)fixture.Semantic["task_queue"], (string?)body["name"]);
        Assert.Equal((int)fixture.Semantic["active_pollers"]!, (int)body["stats"]!["pollers"]!["active_count"]!);
        Assert.Equal((string?)fixture.Semantic["activity_admission_status"], (string?)body["admission"]!["activity_tasks"]!["status"]);
        var pollers = body["pollers"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal(["tqd-alpha", "tqd-beta", "tqd-gamma-old"], pollers.Select(p => (string?)p["worker_id"]));
        Assert.Equal(["active", "active", "stale"], pollers.Select(p => (string?)p["status"]));
        Assert.Equal([false, false, true], pollers.Select(p => (bool)p["is_stale"]!));

        var expected = fixture.Json["response_body"]!.AsObject();
        TaskQueueAdmissionRouteTests.AssertHasKeysOf(expected, body, "current_leases");
        TaskQueueAdmissionRouteTests.AssertHasKeysOf(expected["pollers"]![0]!.AsObject(), pollers[0]);
    }
}
