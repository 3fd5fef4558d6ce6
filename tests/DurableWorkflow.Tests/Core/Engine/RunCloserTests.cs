using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

public sealed class RunCloserTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task cancelling_a_run_records_the_timer_and_activity_it_cut_short()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        var task = await h.PollAsync();
        await h.CompleteAsync(task,
            new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 3600 },
            new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "charge", ["queue"] = h.Queue });
        using var control = server.ControlClient();

        using var cancel = await control.PostAsync($"/api/workflows/{started["workflow_id"]}/cancel", ServerFactory.Json("""{"reason":"operator"}"""));
        await HttpAssert.JsonAsync(cancel, HttpStatusCode.OK);

        var runId = (string)started["run_id"]!;
        var types = await database.ScalarAsync<string>(
            $"SELECT string_agg(event_type, ',' ORDER BY sequence) FROM workflow_history_events WHERE run_id = '{runId}' AND sequence > 4");
        Assert.Equal("CancelRequested,WorkflowCancelled,TimerCancelled,ActivityCancelled", types);
        Assert.Equal("1", await database.ScalarAsync<string>(
            $"SELECT payload ->> 'sequence' FROM workflow_history_events WHERE run_id = '{runId}' AND event_type = 'TimerCancelled'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND status IN ('ready', 'leased')"));
    }
}
