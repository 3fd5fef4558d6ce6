using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary><c>task-queue:drain --wait</c>: exit 0 once the cohort has no active or draining worker, exit 7 on timeout.</summary>
public sealed class CliDrainWaitTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Drain_wait_returns_once_the_last_worker_of_the_cohort_is_gone()
    {
        using var first = await CliFleet.RegisterAsync(fixture.Server, "drain-ok", "old-1", "Order");
        using var second = await CliFleet.RegisterAsync(fixture.Server, "drain-ok", "old-1", "Order");
        using var replacement = await CliFleet.RegisterAsync(fixture.Server, "drain-ok", "new-1", "Order");

        var watch = CliRun.InProcessAsync(Env, "task-queue:drain", "drain-ok", "--build-id", "old-1", "--wait", "--timeout", "60s", "--poll-interval", "200ms", "--json");
        await UntilDrainingAsync("drain-ok", "old-1");
        Assert.False(watch.IsCompleted, "the watch must still be waiting while two workers of the cohort are live");

        (await first.DeregisterAsync(CancellationToken.None)).Expect(HttpStatusCode.OK);
        (await second.DeregisterAsync(CancellationToken.None)).Expect(HttpStatusCode.OK);
        var result = await watch.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        var document = result.Json();
        Assert.Equal("draining", document["drain_intent"]!.GetValue<string>());
        Assert.True(document["watch"]!["drained"]!.GetValue<bool>());
        Assert.Equal(0, document["watch"]!["draining_worker_count"]!.GetValue<int>());
        Assert.Contains("draining old-1: active 0, draining 2", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("draining old-1: active 0, draining 0", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_wait_times_out_with_exit_7_while_a_worker_is_still_live_as_a_process()
    {
        using var stuck = await CliFleet.RegisterAsync(fixture.Server, "drain-stuck", "old-2", "Order");

        var result = await CliRun.ProcessAsync(Env, "task-queue:drain", "drain-stuck", "--build-id", "old-2", "--wait", "--timeout", "2s", "--poll-interval", "500ms", "--json");

        Assert.Equal(7, result.ExitCode);
        var error = result.Json();
        Assert.Equal("drain_timeout", error["reason"]!.GetValue<string>());
        Assert.False(error["watch"]!["drained"]!.GetValue<bool>());
        Assert.Equal(1, error["watch"]!["draining_worker_count"]!.GetValue<int>());
        Assert.Contains("draining old-2: active 0, draining 1", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_of_the_unversioned_cohort_with_no_live_worker_returns_at_once_in_table_mode()
    {
        var result = await CliRun.InProcessAsync(Env, "task-queue:drain", "drain-empty", "--unversioned", "--wait", "--timeout", "10s");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Cohort (unversioned) on drain-empty is drained", result.StdOut, StringComparison.Ordinal);
    }

    private async Task UntilDrainingAsync(string queue, string buildId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var listing = (await CliRun.InProcessAsync(Env, "task-queue:build-ids", queue, "--json")).Json();
            var cohort = listing["build_ids"]!.AsArray().Select(c => c!.AsObject()).Single(c => c["build_id"]?.GetValue<string>() == buildId);
            if (cohort["draining_worker_count"]!.GetValue<int>() == 2)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"cohort never showed two draining workers: {cohort.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
