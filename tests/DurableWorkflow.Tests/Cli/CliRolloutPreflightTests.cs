using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// <c>rollout:preflight</c> on a live server: it refuses (exit 8, structured findings) a drain that would strand an open
/// run and nodes whose protocol ranges do not overlap, and passes a safe plan.
/// </summary>
public sealed class CliRolloutPreflightTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Drain_that_strands_a_run_pinned_to_the_old_build_is_refused_with_the_run_named()
    {
        using var old = await CliFleet.RegisterAsync(fixture.Server, "pf-pinned", "b-old", "Order");
        var run = await CliFleet.StartAsync(fixture.Server, "Order", "pf-pinned", "pf-pinned-1", buildId: "b-old");
        using var replacement = await CliFleet.RegisterAsync(fixture.Server, "pf-pinned", "b-new", "Order");

        var result = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "b-new", "--drain", "b-old", "--task-queue", "pf-pinned", "--json");

        Assert.Equal(8, result.ExitCode);
        var error = result.Json();
        Assert.Equal("rollout_preflight_refused", error["reason"]!.GetValue<string>());
        var finding = Assert.Single(error["preflight"]!["findings"]!.AsArray())!.AsObject();
        Assert.Equal("unsafe_drain", finding["kind"]!.GetValue<string>());
        Assert.Equal("pf-pinned-1", finding["workflow_id"]!.GetValue<string>());
        Assert.Equal(run["run_id"]!.GetValue<string>(), finding["run_id"]!.GetValue<string>());
        Assert.Equal("b-old", finding["compatibility"]!.GetValue<string>());
        Assert.False(error["preflight"]!["safe"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Drain_that_leaves_no_worker_for_the_workflow_type_is_refused()
    {
        using var old = await CliFleet.RegisterAsync(fixture.Server, "pf-type", "t-old", "Order", "Invoice");
        await CliFleet.StartAsync(fixture.Server, "Invoice", "pf-type", "pf-type-1");
        using var replacement = await CliFleet.RegisterAsync(fixture.Server, "pf-type", "t-new", "Order");

        var result = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "t-new", "--drain", "t-old", "--task-queue", "pf-type");

        Assert.Equal(8, result.ExitCode);
        Assert.Contains("unsafe_drain", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("pf-type-1", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Rollout preflight refused: 1 finding(s) (unsafe_drain).", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_with_a_live_compatible_replacement_passes()
    {
        using var old = await CliFleet.RegisterAsync(fixture.Server, "pf-safe", "s-old", "Order");
        await CliFleet.StartAsync(fixture.Server, "Order", "pf-safe", "pf-safe-1");
        await CliFleet.StartAsync(fixture.Server, "Order", "pf-safe", "pf-safe-2", buildId: "s-new");
        using var replacement = await CliFleet.RegisterAsync(fixture.Server, "pf-safe", "s-new", "Order");

        var result = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "s-new", "--drain", "s-old", "--task-queue", "pf-safe", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var document = result.Json();
        Assert.True(document["safe"]!.GetValue<bool>());
        Assert.Empty(document["findings"]!.AsArray());
        Assert.Contains(document["checked"]!.AsArray(), c => c!.GetValue<string>().Contains("2 open run(s) on 1 queue(s)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2", "2.0", "worker_protocol_range")]
    [InlineData("3", "1.1", "control_plane_range")]
    public async Task Nodes_whose_protocol_ranges_do_not_overlap_are_refused(string controlPlane, string workerProtocol, string kind)
    {
        await using var otherNode = new RecordingServer { ClusterInfo = RecordingServer.CompatibleClusterInfo(controlPlane, workerProtocol) };

        var result = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "r-new",
            "--node", fixture.Server.BaseAddress.AbsoluteUri, "--node", otherNode.BaseAddress.AbsoluteUri, "--json");
        var overlapping = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "r-new", "--node", fixture.Server.BaseAddress.AbsoluteUri, "--json");

        Assert.Equal(8, result.ExitCode);
        var finding = Assert.Single(result.Json()["preflight"]!["findings"]!.AsArray())!.AsObject();
        Assert.Equal(kind, finding["kind"]!.GetValue<string>());
        Assert.Equal(2, finding["nodes"]!.AsObject().Count);
        Assert.True(overlapping.ExitCode == 0, overlapping.ToString());
    }

    [Fact]
    public async Task Draining_the_build_being_rolled_out_is_invalid_input()
    {
        var result = await CliRun.InProcessAsync(Env, "rollout:preflight", "--build-id", "same", "--drain", "same", "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(2, result.Json()["exit_code"]!.GetValue<int>());
    }
}
