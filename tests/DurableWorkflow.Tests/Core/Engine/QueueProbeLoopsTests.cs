using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;
using Xunit.Abstractions;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// Issue 8 defect 5: parked long-polls cost (almost) nothing while they wait and hold no connection, so a node's
/// connections stay under <c>DW_DB_MAX_POOL_SIZE</c> whatever the number of waiting workers.
/// </summary>
public sealed class QueueProbeLoopsTests(BootstrappedDatabase database, ITestOutputHelper output) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task Defect5_an_idle_parked_poll_costs_at_most_a_fifth_of_a_transaction_per_second()
    {
        const int Parked = 60;
        var window = TimeSpan.FromSeconds(10);

        // The server's own round trips, counted by Npgsql in this process for this server's pool only: the
        // database-wide transaction counters also count autovacuum and stats work that a busy machine schedules into
        // a fresh database at any moment, which is not what a parked poll costs. Every transaction takes at least one
        // round trip, so a bound on round trips bounds transactions.
        var application = $"dw-idle-{Guid.NewGuid():N}"[..30];
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = application }.ConnectionString;
        using var operations = new NpgsqlOperationCounter(application);
        using var server = ServerFactory.WithRoleTokens(connection);
        using var harness = await WorkflowHarness.CreateAsync(server);
        Assert.True(operations.Count > 0, "the counter saw none of the worker registration's round trips");

        // What the node costs with no poll parked (timer pump, activity timeouts) is the baseline.
        var idle = await operations.RateAsync(window);
        using var stop = new CancellationTokenSource();
        var polls = Enumerable.Range(0, Parked).Select(i => ParkAsync(harness, $"idle-{i}", 60, stop.Token)).ToList();
        await WaitForPendingAsync(harness.Queue, Parked, TimeSpan.FromSeconds(30));

        var parked = await operations.RateAsync(window);
        await stop.CancelAsync();
        await Task.WhenAll(polls);

        var perPoll = (parked - idle) / Parked;
        output.WriteLine($"no poll parked: {idle:F2} round trips/s; {Parked} parked polls: {parked:F2} round trips/s; {perPoll:F3} per parked poll");

        // 0.2 per parked poll, plus one for the queue's shared probe loop (two statements every five seconds).
        Assert.True(parked - idle <= (0.2 * Parked) + 1, $"{parked - idle:F2} round trips/s more with {Parked} parked polls");
    }

    [Fact]
    public async Task Defect5_150_parked_polls_stay_within_the_pool_and_health_and_dispatch_stay_prompt()
    {
        const int Parked = 150;
        const int MaxPool = 10;
        var application = $"dw-defect5-{Guid.NewGuid():N}"[..30];
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = application }.ConnectionString;
        using var server = ServerFactory.WithRoleTokens(connection, ("DW_DB_MAX_POOL_SIZE", MaxPool.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var harness = await WorkflowHarness.CreateAsync(server);
        using var stop = new CancellationTokenSource();
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakConnectionsAsync(application, sampling.Token);

        var polls = Enumerable.Range(0, Parked).Select(i => ParkAsync(harness, $"crowd-{i}", 30, stop.Token)).ToList();
        await WaitForPendingAsync(harness.Queue, Parked, TimeSpan.FromSeconds(60));

        using var probe = server.CreateClient();
        var timer = Stopwatch.StartNew();
        using (var health = await probe.GetAsync("/api/health"))
        {
            timer.Stop();
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var started = Stopwatch.StartNew();
        await harness.StartAsync();
        var delivered = await Task.WhenAny(polls);
        started.Stop();
        var answer = await delivered;

        await sampling.CancelAsync();
        var peakConnections = await peak;
        await stop.CancelAsync();
        await Task.WhenAll(polls);
        output.WriteLine($"peak connections {peakConnections}, /api/health {timer.ElapsedMilliseconds} ms, dispatch {started.ElapsedMilliseconds} ms");

        Assert.True(peakConnections <= MaxPool, $"{peakConnections} connections of {application} with DW_DB_MAX_POOL_SIZE={MaxPool}");
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(2), $"/api/health took {timer.ElapsedMilliseconds} ms with {Parked} parked polls");
        Assert.NotNull(answer?["task"]);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"a task started among {Parked} parked polls took {started.ElapsedMilliseconds} ms to arrive");
    }

    /// <summary>A parked poll; its answer, or null once the test stops waiting for it.</summary>
    private static async Task<JsonObject?> ParkAsync(WorkflowHarness harness, string pollRequestId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["worker_id"] = harness.WorkerId,
            ["task_queue"] = harness.Queue,
            ["poll_request_id"] = pollRequestId,
            ["timeout_seconds"] = timeoutSeconds,
        };
        try
        {
            using var response = await harness.Worker.PostAsync("/api/worker/workflow-tasks/poll", ServerFactory.Json(body.ToJsonString()), cancellationToken);
            return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task WaitForPendingAsync(string queue, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        long pending;
        while ((pending = await database.ScalarAsync<long>(
                   $"SELECT count(*) FROM workflow_poll_requests WHERE task_queue = '{queue}' AND status = 'pending'")) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{pending} of {count} polls parked within {timeout}");
            await Task.Delay(50);
        }
    }

    private async Task<long> SamplePeakConnectionsAsync(string application, CancellationToken cancellationToken)
    {
        var peak = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            peak = Math.Max(peak, await database.ScalarAsync<long>(
                $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'"));
            await Task.Delay(TimeSpan.FromMilliseconds(25), CancellationToken.None);
        }

        return peak;
    }
}
