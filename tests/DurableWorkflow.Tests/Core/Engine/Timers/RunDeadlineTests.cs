using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.Timers;

public sealed class RunDeadlineTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_run_past_its_run_timeout_fails_as_timed_out_and_its_task_is_cancelled()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync(extra: new JsonObject { ["run_timeout_seconds"] = 1 });
        var runId = (string)started["run_id"]!;

        await HttpAssert.EventuallyAsync(async () =>
        {
            var status = await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{runId}'");
            return (status == "failed", status ?? "none");
        }, TimeSpan.FromSeconds(20));

        Assert.Equal("timed_out", await database.ScalarAsync<string>($"SELECT closed_reason FROM workflow_runs WHERE id = '{runId}'"));
        Assert.Equal("run_timeout", await database.ScalarAsync<string>(
            $"SELECT payload ->> 'timeout_kind' FROM workflow_history_events WHERE run_id = '{runId}' AND event_type = 'WorkflowTimedOut'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND status IN ('ready', 'leased')"));
    }
}
