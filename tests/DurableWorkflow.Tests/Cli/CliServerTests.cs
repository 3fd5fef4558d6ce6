using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;
using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary><c>dw</c> against a live server process (real PostgreSQL): real CLI processes for the key paths, in-process runs for the rest.</summary>
public sealed class CliServerTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Health_and_cluster_info_answer_as_a_process_with_one_json_line()
    {
        var health = await CliRun.ProcessAsync(Env, "server:health", "--json");
        var info = await CliRun.ProcessAsync(Env, "cluster:info", "--json");

        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Equal("serving", health.Json()["status"]!.GetValue<string>());
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Equal("2", info.Json()["control_plane"]!["version"]!.GetValue<string>());
        Assert.Equal("node-a", info.Json()["server_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_workflow_is_exit_5_with_the_json_error_object_as_a_process()
    {
        var result = await CliRun.ProcessAsync(Env, "workflow:describe", "no-such-workflow", "--json");

        Assert.Equal(5, result.ExitCode);
        var error = result.Json();
        Assert.Equal(5, error["exit_code"]!.GetValue<int>());
        Assert.Equal(404, error["status_code"]!.GetValue<int>());
        Assert.Equal("instance_not_found", error["reason"]!.GetValue<string>());
        Assert.StartsWith("Server error: ", error["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_server_and_bad_token_give_one_line_and_their_codes_as_a_process()
    {
        var unreachable = await CliRun.ProcessAsync(CliRun.Environment(new Uri("http://127.0.0.1:9/"), null), "namespace:list");
        var badToken = await CliRun.ProcessAsync(CliRun.Environment(fixture.Server.BaseAddress, "wrong-token"), "namespace:list");

        Assert.Equal(3, unreachable.ExitCode);
        Assert.Single(unreachable.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", unreachable.StdErr, StringComparison.Ordinal);
        Assert.Equal(4, badToken.ExitCode);
        Assert.Single(badToken.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Build_ids_table_shows_every_cohort_with_its_counts_as_a_process()
    {
        using var versioned = await CliFleet.RegisterAsync(fixture.Server, "cli-table", "build-7", "Order");
        using var unversioned = await CliFleet.RegisterAsync(fixture.Server, "cli-table", null, "Order");
        using var second = await CliFleet.RegisterAsync(fixture.Server, "cli-table", "build-7", "Order");

        var table = await CliRun.ProcessAsync(Env, "task-queue:build-ids", "cli-table");
        var json = await CliRun.ProcessAsync(Env, "task-queue:build-ids", "cli-table", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.StdOut.Split('\n');
        var header = Assert.Single(lines, l => l.Contains("Build ID", StringComparison.Ordinal));
        Assert.Equal(
            ["Build ID", "Rollout", "Active", "Draining", "Stale", "Total", "New Starts", "Promoted At", "Last Heartbeat"],
            Cells(header));
        Assert.Equal(["build-7", "active", "2", "0", "0", "2", "no"], Cells(Assert.Single(lines, l => l.Contains("build-7", StringComparison.Ordinal)))[..7]);
        Assert.Equal(["(unversioned)", "active", "1", "0", "0", "1", "no"], Cells(Assert.Single(lines, l => l.Contains("(unversioned)", StringComparison.Ordinal)))[..7]);

        var document = json.Json();
        Assert.Equal("cli-table", document["task_queue"]!.GetValue<string>());
        Assert.Equal("default", document["namespace"]!.GetValue<string>());
        var cohorts = document["build_ids"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(2, cohorts.Count);
        foreach (var key in new[] { "build_id", "rollout_status", "active_worker_count", "draining_worker_count", "stale_worker_count", "total_worker_count", "runtimes", "sdk_versions", "last_heartbeat_at", "first_seen_at" })
        {
            Assert.All(cohorts, c => Assert.True(c.ContainsKey(key), key));
        }
    }

    [Fact]
    public async Task Workflow_commands_start_describe_list_signal_and_terminate()
    {
        var start = await CliRun.InProcessAsync(Env, "workflow:start", "-t", "cli.Order", "-w", "cli-wf-1", "--task-queue", "cli-wf", "--input", "{\"n\":1}", "--json");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("cli-wf-1", start.Json()["workflow_id"]!.GetValue<string>());

        var describe = (await CliRun.InProcessAsync(Env, "workflow:describe", "cli-wf-1", "--json")).Json();
        Assert.Equal("cli.Order", describe["workflow_type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonArray(new JsonObject { ["n"] = 1 }), describe["input"]), describe["input"]?.ToJsonString());

        var list = await CliRun.InProcessAsync(Env, "workflow:list", "-t", "cli.Order", "--output", "jsonl");
        Assert.Equal("cli-wf-1", JsonNode.Parse(Assert.Single(list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)))!["workflow_id"]!.GetValue<string>());

        var signal = await CliRun.InProcessAsync(Env, "workflow:signal", "cli-wf-1", "go", "--input", "[true]", "--json");
        Assert.True(signal.ExitCode == 0, signal.ToString());

        var terminate = await CliRun.InProcessAsync(Env, "workflow:terminate", "cli-wf-1", "--reason", "cli test", "--json");
        Assert.True(terminate.ExitCode == 0, terminate.ToString());
        var after = (await CliRun.InProcessAsync(Env, "workflow:describe", "cli-wf-1", "--json")).Json();
        Assert.Equal("terminated", after["status"]!.GetValue<string>());

        var duplicate = await CliRun.InProcessAsync(Env, "workflow:start", "-t", "cli.Order", "--duplicate-policy", "sometimes");
        Assert.Equal(2, duplicate.ExitCode);
    }

    [Fact]
    public async Task Namespace_create_describe_update_round_trip()
    {
        var create = await CliRun.InProcessAsync(Env, "namespace:create", "cli-ns", "-d", "from the CLI", "-r", "7", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());

        var update = await CliRun.InProcessAsync(Env, "namespace:update", "cli-ns", "-r", "9", "--json");
        Assert.True(update.ExitCode == 0, update.ToString());

        var describe = (await CliRun.InProcessAsync(Env, "namespace:describe", "cli-ns", "--json")).Json();
        Assert.Equal("from the CLI", describe["description"]!.GetValue<string>());
        Assert.Equal(9, describe["retention_days"]!.GetValue<int>());

        var again = await CliRun.InProcessAsync(Env, "namespace:create", "cli-ns", "--json");
        Assert.Equal(2, again.ExitCode);
        Assert.Equal(409, again.Json()["status_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Operator_metrics_json_is_the_server_document_unchanged()
    {
        var result = await CliRun.InProcessAsync(Env, "system:operator-metrics", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var document = result.Json();
        Assert.Equal(["namespace", "operator_metrics"], document.Select(p => p.Key));
        Assert.Equal(0, document["operator_metrics"]!["schedules"]!["missed"]!.GetValue<int>());
    }

    private static string[] Cells(string line) =>
        [.. line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(c => c.Length > 0)];
}
