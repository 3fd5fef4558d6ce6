using System.Text.Json.Nodes;
using DurableWorkflow.Api.Hosting;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Timers;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine.Timers;

/// <summary>
/// The timer pump sleeps until the next known due time, bounded by <see cref="LongPoll.SignalledReprobeInterval"/>
/// while Redis carries other nodes' signals: what it must know is in its one scan, and a deadline or timer created on
/// another node wakes it through Redis rather than waiting out that bound.
/// </summary>
public sealed class TimerPumpWakeTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task One_scan_reports_the_next_run_deadline_and_then_the_overdue_run()
    {
        using var node = WithoutTimerPump(ServerFactory.WithRoleTokens(database.ConnectionString));
        using var h = await WorkflowHarness.CreateAsync(node);
        var started = await h.StartAsync(extra: new JsonObject { ["run_timeout_seconds"] = 3600 });
        var runId = (string)started["run_id"]!;
        var dataSource = node.Services.GetRequiredService<NpgsqlDataSource>();

        var ahead = await TimerStore.ScanAsync(dataSource, 100, CancellationToken.None);
        Assert.DoesNotContain(runId, ahead.OverdueRuns);
        Assert.NotNull(ahead.NextDueIn);
        Assert.InRange(ahead.NextDueIn!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(3600));

        await database.ExecuteAsync($"UPDATE workflow_runs SET run_deadline_at = now() - interval '1 second' WHERE id = '{runId}'");
        var due = await TimerStore.ScanAsync(dataSource, 100, CancellationToken.None);
        Assert.Contains(runId, due.OverdueRuns);

        var pass = await node.Services.GetRequiredService<TimerPump>().RunPassAsync(CancellationToken.None);
        Assert.True(pass.TimedOut >= 1, $"timed out {pass.TimedOut}");
        Assert.Equal("timed_out", await database.ScalarAsync<string>($"SELECT closed_reason FROM workflow_runs WHERE id = '{runId}'"));
    }

    [Fact]
    public async Task A_run_deadline_set_on_a_node_without_a_pump_is_enforced_by_the_other_node_woken_through_redis()
    {
        (string, string?)[] redis = [("DW_REDIS_CONNECTION", TestEnvironment.RedisConnection), ("DW_V2_MULTI_NODE", "true")];
        using var nodeA = ServerFactory.WithRoleTokens(database.ConnectionString, redis);
        using var nodeB = WithoutTimerPump(ServerFactory.WithRoleTokens(database.ConnectionString, redis));
        using var h = await WorkflowHarness.CreateAsync(nodeB);
        _ = nodeA.Server;
        var busA = nodeA.Services.GetRequiredService<WakeBus>();
        await HttpAssert.EventuallyAsync(() => Task.FromResult((busA.ReceivesRemoteSignals, "node A's Redis wake subscription")), TimeSpan.FromSeconds(30));

        // Node A's pump now sleeps up to the signalled bound (nothing is due); only node B's commit can wake it sooner.
        var started = await h.StartAsync(extra: new JsonObject { ["run_timeout_seconds"] = 2 });
        var runId = (string)started["run_id"]!;

        await HttpAssert.EventuallyAsync(async () =>
        {
            var reason = await database.ScalarAsync<string>($"SELECT closed_reason FROM workflow_runs WHERE id = '{runId}'");
            return (reason == "timed_out", reason ?? "open");
        }, LongPoll.SignalledReprobeInterval - TimeSpan.FromSeconds(5));
    }

    /// <summary>The server with its timer pump removed, so only another node can fire its timers and deadlines.</summary>
    private static ServerFactory WithoutTimerPump(ServerFactory factory)
    {
        factory.TestServices = services =>
        {
            foreach (var pump in services.Where(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(TimerPumpService)).ToList())
            {
                services.Remove(pump);
            }
        };
        return factory;
    }
}
