using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Passes;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Scheduling.Passes;

/// <summary>
/// Activity-timeout enforcement as a scheduler pass and its admin routes (rollout contract §9.9, control-plane §10.3),
/// against activities whose deadlines were moved into the past with SQL.
/// </summary>
public sealed class ActivityTimeoutPassTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_071_073_status_lists_exactly_the_expired_and_the_pass_enforces_once_then_skips()
    {
        var (executionId, other) = (await SeedRunningAsync(), await SeedRunningAsync());
        await database.ExecuteAsync($"UPDATE workflow_activity_executions SET close_deadline_at = now() - interval '1 second' WHERE id = '{executionId}'");
        using var admin = server.ControlClient();

        using var statusResponse = await admin.GetAsync("/api/system/activity-timeouts");
        var status = await HttpAssert.JsonAsync(statusResponse, HttpStatusCode.OK);
        var statusFixture = SharedFixtures.ControlPlane("system-activity-timeout-status-parity");
        foreach (var key in statusFixture.Semantic.Select(p => p.Key))
        {
            Assert.True(status.ContainsKey(key), key);
        }

        Assert.Equal([executionId], status["expired_execution_ids"]!.AsArray().Select(i => (string)i!));
        Assert.Equal(100, (int)status["scan_limit"]!);

        var body = new JsonObject { ["execution_ids"] = new JsonArray(executionId, other), ["limit"] = 50 }.ToJsonString();
        using var passResponse = await admin.PostAsync("/api/system/activity-timeouts/pass", ServerFactory.Json(body));
        var pass = await HttpAssert.JsonAsync(passResponse, HttpStatusCode.OK);
        Assert.Equal(2, (int)pass["processed"]!);
        Assert.Equal(1, (int)pass["enforced"]!);
        Assert.Equal(1, (int)pass["skipped"]!);
        Assert.Equal("enforced", (string?)pass["results"]![0]!["outcome"]);
        Assert.Equal("no_deadline_expired", (string?)pass["results"]![1]!["reason"]);
        foreach (var key in SharedFixtures.ControlPlane("system-activity-timeout-pass-parity").Json["response_body"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(pass.ContainsKey(key), key);
        }

        using var againResponse = await admin.PostAsync("/api/system/activity-timeouts/pass",
            ServerFactory.Json(new JsonObject { ["execution_ids"] = new JsonArray(executionId) }.ToJsonString()));
        var again = await HttpAssert.JsonAsync(againResponse, HttpStatusCode.OK);
        Assert.Equal(0, (int)again["enforced"]!);
        Assert.Equal("skipped", (string?)again["results"]![0]!["outcome"]);
    }

    [Fact]
    public async Task the_tick_pass_enforces_expired_activities_and_a_deposed_scheduler_enforces_nothing()
    {
        var executionId = await SeedRunningAsync();
        await database.ExecuteAsync($"UPDATE workflow_activity_executions SET close_deadline_at = now() - interval '1 second' WHERE id = '{executionId}'");
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var lease = server.Services.GetRequiredService<SchedulerLease>();
        var fence = (await lease.TryAcquireAsync(CancellationToken.None))!;
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() - interval '1 second', owner = 'someone-else', token = token + 1");
        var pass = server.Services.GetRequiredService<ActivityTimeoutPass>();

        await Assert.ThrowsAsync<SchedulerLeaseLostException>(() => pass.RunAsync(fence, CancellationToken.None));
        Assert.Equal("running", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{executionId}'"));

        var current = (await lease.TryAcquireAsync(CancellationToken.None))!;
        var summary = await pass.RunAsync(current, CancellationToken.None);

        Assert.Equal("enforced 1", summary);
        Assert.NotEqual("running", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{executionId}'"));
    }

    [Fact]
    public async Task the_pass_routes_are_admin_only()
    {
        using var operatorClient = server.ControlClient(ServerFactory.OperatorToken);
        using var response = await operatorClient.GetAsync("/api/system/activity-timeouts");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    /// <summary>A run waiting on one claimed (running) activity; returns the execution id.</summary>
    private async Task<string> SeedRunningAsync()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync("checkout");
        var task = await harness.PollAsync();
        var command = new JsonObject
        {
            ["type"] = "schedule_activity",
            ["activity_type"] = "charge_card",
            ["arguments"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=" },
            ["retry_policy"] = new JsonObject { ["max_attempts"] = 2 },
            ["start_to_close_timeout"] = 600,
            ["queue"] = harness.Queue,
        };
        await harness.CompleteAsync(task, command);
        var poll = await harness.WorkerPostAsync("/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK);
        return (string)poll["task"]!["activity_execution_id"]!;
    }
}
