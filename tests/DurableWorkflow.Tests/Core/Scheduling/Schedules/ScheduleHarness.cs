using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Scheduling.Schedules;

/// <summary>
/// Drives schedules through the real routes and runs the schedule pass directly under this server's lease, so a test
/// decides exactly when a tick happens. Due-ness is moved with SQL, never by waiting.
/// </summary>
public sealed class ScheduleHarness(ServerFactory server, FreshDatabase database) : IDisposable
{
    public HttpClient Control { get; } = server.ControlClient();

    public void Dispose() => Control.Dispose();

    public async Task<JsonObject> CreateAsync(string scheduleId, string overlap = "allow_all", string spec = """{"intervals":[{"every":"PT1H"}]}""", string extra = "")
    {
        var body = $$"""
            {"schedule_id":"{{scheduleId}}","spec":{{spec}},"action":{"workflow_type":"tests.scheduled","task_queue":"sched-q"},
             "overlap_policy":"{{overlap}}"{{extra}}}
            """;
        using var response = await Control.PostAsync("/api/schedules", ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonObject> PostAsync(string path, string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Control.PostAsync(path, ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> DescribeAsync(string scheduleId)
    {
        using var response = await Control.GetAsync($"/api/schedules/{scheduleId}");
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Makes the schedule overdue: its next_fire_at moves into the past by <paramref name="seconds"/>.</summary>
    public Task MakeDueAsync(string scheduleId, int seconds = 1) => database.ExecuteAsync(
        $"UPDATE workflow_schedules SET next_fire_at = date_trunc('second', now()) - make_interval(secs => {seconds}) WHERE schedule_id = '{scheduleId}' AND status <> 'deleted'");

    /// <summary>Takes the lease over (each test's server is a new owner; the previous one's lease is expired with SQL).</summary>
    public async Task<string> TickAsync()
    {
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() WHERE owner <> '" + server.Services.GetRequiredService<SchedulerLease>().Owner + "'");
        var fence = await server.Services.GetRequiredService<SchedulerLease>().TryAcquireAsync(CancellationToken.None);
        Assert.NotNull(fence);
        return await server.Services.GetRequiredService<SchedulePass>().RunAsync(fence, CancellationToken.None);
    }

    public Task<long> RunCountAsync(string scheduleId) => database.ScalarAsync<long>(
        $"SELECT count(*) FROM workflow_schedule_history WHERE schedule_id = '{scheduleId}' AND event_type = 'ScheduleTriggered'")!;

    public Task<string?> LatestInstanceAsync(string scheduleId) => database.ScalarAsync<string>(
        $"SELECT latest_workflow_instance_id FROM workflow_schedules WHERE schedule_id = '{scheduleId}' ORDER BY created_at DESC LIMIT 1");

    public Task<string?> RunStatusAsync(string instanceId) => database.ScalarAsync<string>(
        $"SELECT r.status FROM workflow_instances i JOIN workflow_runs r ON r.id = i.current_run_id WHERE i.id = '{instanceId}'");

    /// <summary>Closes the schedule's latest run as a worker finishing it would (the overlap policies only read the status).</summary>
    public async Task CompleteLatestAsync(string scheduleId)
    {
        var instance = await LatestInstanceAsync(scheduleId);
        await database.ExecuteAsync(
            $"UPDATE workflow_runs SET status = 'completed', closed_at = now() WHERE id = (SELECT current_run_id FROM workflow_instances WHERE id = '{instance}')");
    }

    public Task<ScheduleMetricsSnapshot> MetricsAsync() =>
        server.Services.GetRequiredService<ScheduleMetrics>().ReadAsync("default", CancellationToken.None);
}
