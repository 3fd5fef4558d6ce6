using System.Text.Json.Nodes;
using DurableWorkflow.Cli;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// The documented exit codes and error output, against a stub that answers exactly the status under test: one line on
/// stderr (never a stack trace) or, under <c>--json</c>, one error object on stdout.
/// </summary>
public sealed class CliExitCodeTests
{
    [Theory]
    [InlineData(400, 2)]
    [InlineData(401, 4)]
    [InlineData(403, 4)]
    [InlineData(404, 5)]
    [InlineData(408, 7)]
    [InlineData(409, 2)]
    [InlineData(422, 2)]
    [InlineData(500, 6)]
    [InlineData(503, 6)]
    public async Task Http_status_maps_to_the_documented_exit_code_and_json_error(int status, int exitCode)
    {
        await using var stub = new RecordingServer
        {
            Respond = _ => (status, new JsonObject { ["message"] = $"status {status}", ["reason"] = "stub_reason" }),
        };

        var json = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, "t"), "workflow:describe", "wf-1", "--json");
        var human = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, "t"), "workflow:describe", "wf-1");

        Assert.Equal(exitCode, json.ExitCode);
        var error = json.Json();
        Assert.Equal($"Server error: status {status}", error["error"]!.GetValue<string>());
        Assert.Equal(exitCode, error["exit_code"]!.GetValue<int>());
        Assert.Equal("stub_reason", error["reason"]!.GetValue<string>());
        Assert.Equal(status, error["status_code"]!.GetValue<int>());

        Assert.Equal(exitCode, human.ExitCode);
        Assert.Equal(string.Empty, human.StdOut);
        Assert.Equal($"Server error: status {status} (reason: stub_reason)", human.StdErr.TrimEnd());
    }

    [Fact]
    public async Task Error_text_falls_back_to_the_first_validation_message_then_the_status()
    {
        await using var stub = new RecordingServer
        {
            Respond = r => r.Path.EndsWith("/a", StringComparison.Ordinal)
                ? (422, new JsonObject { ["errors"] = new JsonObject { ["name"] = new JsonArray("The name field is required.") } })
                : (500, null),
        };

        var validation = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:describe", "a", "--json");
        var bare = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:describe", "b", "--json");

        Assert.Equal("Server error: The name field is required.", validation.Json()["error"]!.GetValue<string>());
        Assert.Equal("Server error: HTTP 500", bare.Json()["error"]!.GetValue<string>());
        Assert.Equal(6, bare.ExitCode);
    }

    [Fact]
    public async Task Unreachable_server_is_exit_3_in_one_line()
    {
        var result = await CliRun.InProcessAsync(CliRun.Environment(new Uri("http://127.0.0.1:9/"), null), "namespace:list");

        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Could not reach server http://127.0.0.1:9/", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task-queue:drain", "q")]
    [InlineData("task-queue:drain", "q", "--build-id", "b1", "--unversioned")]
    [InlineData("task-queue:resume", "q")]
    [InlineData("task-queue:promote", "q", "--build-id", "b1", "--unversioned")]
    public async Task Build_id_and_unversioned_both_or_neither_is_exit_2_before_any_request(params string[] args)
    {
        await using var stub = new RecordingServer();

        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), [.. args, "--json"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("invalid_build_id_selection", result.Json()["reason"]!.GetValue<string>());
        Assert.DoesNotContain(stub.ApiCalls, r => r.Path.Contains("build-ids", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no-such:command")]
    [InlineData("workflow:describe")]
    [InlineData("namespace:list", "--output", "xml")]
    [InlineData("workflow:list", "--limit", "many")]
    [InlineData("schedule:create", "-t", "T")]
    [InlineData("task-queue:drain", "q", "--build-id", "b", "--wait", "--timeout", "soon")]
    public async Task Bad_arguments_are_exit_2_without_a_request(params string[] args)
    {
        await using var stub = new RecordingServer();

        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), args);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(stub.ApiCalls);
    }

    [Theory]
    [InlineData("3", null, "control_plane.version is '3'")]
    [InlineData("2", "<1.0", "supports CLI versions '<1.0'")]
    public async Task Incompatible_server_is_refused_with_exit_8_before_the_operation(string controlPlane, string? supportedCli, string detail)
    {
        await using var stub = new RecordingServer();
        stub.ClusterInfo = RecordingServer.CompatibleClusterInfo(controlPlane);
        if (supportedCli is not null)
        {
            stub.ClusterInfo["client_compatibility"]!["clients"]!["cli"]!["supported_versions"] = supportedCli;
        }

        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:list", "--json");

        Assert.Equal(8, result.ExitCode);
        var error = result.Json();
        Assert.Contains(detail, error["compatibility"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("Server compatibility error: refusing before the requested operation", error["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(stub.ApiCalls);
    }

    [Fact]
    public async Task Worker_commands_also_check_the_worker_protocol()
    {
        await using var stub = new RecordingServer { ClusterInfo = RecordingServer.CompatibleClusterInfo(workerProtocol: "2.0") };

        var workers = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "worker:list");
        var namespaces = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:list");

        Assert.Equal(8, workers.ExitCode);
        Assert.Equal(0, namespaces.ExitCode);
    }

    [Fact]
    public async Task Protocol_versions_sent_and_checked_come_from_their_environment_variables_else_the_defaults()
    {
        await using var stub = new RecordingServer { Respond = _ => (200, new JsonObject { ["namespaces"] = new JsonArray() }) };
        var newerWorkerProtocol = CliRun.Environment(stub.BaseAddress, null);
        newerWorkerProtocol[GlobalOptions.WorkerProtocolVersionEnv] = " 1.2 ";
        var otherControlPlane = CliRun.Environment(stub.BaseAddress, null);
        otherControlPlane[GlobalOptions.ControlPlaneVersionEnv] = "3";

        var defaults = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:list", "--json");
        var overridden = await CliRun.InProcessAsync(newerWorkerProtocol, "namespace:list", "--json");
        var workers = await CliRun.InProcessAsync(newerWorkerProtocol, "worker:list", "--json");
        var refused = await CliRun.InProcessAsync(otherControlPlane, "namespace:list", "--json");

        Assert.True(defaults.ExitCode == 0, defaults.ToString());
        Assert.True(overridden.ExitCode == 0, overridden.ToString());
        Assert.Equal(2, stub.ApiCalls.Count);
        Assert.Equal(("2", "1.0"), Versions(stub.ApiCalls[0]));
        Assert.Equal(("2", "1.2"), Versions(stub.ApiCalls[1]));

        // The stub speaks worker protocol 1.1, which does not serve a 1.2 client; another control plane is refused too.
        Assert.Equal(8, workers.ExitCode);
        Assert.Equal("1.2", workers.Json()["compatibility"]!["worker_protocol"]!["client_version"]!.GetValue<string>());
        Assert.Equal(8, refused.ExitCode);
        Assert.Contains("this CLI speaks '3'", refused.Json()["compatibility"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, stub.ApiCalls.Count);

        static (string, string) Versions(RecordedRequest request) =>
            (request.Headers["X-Durable-Workflow-Control-Plane-Version"], request.Headers["X-Durable-Workflow-Protocol-Version"]);
    }

    [Theory]
    [InlineData("1.1", "1.0", true)]
    [InlineData("1.0", "1.0", true)]
    [InlineData("1.0", "1.1", false)]
    [InlineData("2.0", "1.0", false)]
    [InlineData(null, "1.0", false)]
    [InlineData("1.x", "1.0", false)]
    [InlineData("preview", "preview", true)]
    [InlineData("1.0", "preview", false)]
    public void A_server_version_serves_a_client_of_its_major_and_no_higher_minor(string? server, string client, bool accepted)
    {
        Assert.Equal(accepted, WorkerProtocol.Accepts(server, client));
    }

    [Fact]
    public async Task Server_health_skips_the_preflight()
    {
        await using var stub = new RecordingServer
        {
            ClusterInfo = new JsonObject(),
            Respond = _ => (200, new JsonObject { ["status"] = "serving" }),
        };

        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "server:health", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("serving", result.Json()["status"]!.GetValue<string>());
        Assert.DoesNotContain(stub.Requests, r => r.Path == "/api/cluster/info");
    }

    [Fact]
    public async Task Flags_beat_environment_and_environment_beats_defaults()
    {
        await using var stub = new RecordingServer();
        var environment = CliRun.Environment(stub.BaseAddress, "env-token");
        environment["DURABLE_WORKFLOW_NAMESPACE"] = "env-ns";

        await CliRun.InProcessAsync(environment, "namespace:list");
        await CliRun.InProcessAsync(environment, "namespace:list", "--namespace", "flag-ns", "--token", "flag-token");

        var calls = stub.ApiCalls;
        Assert.Equal(2, calls.Count);
        Assert.Equal(("env-ns", "Bearer env-token"), (calls[0].Headers["X-Namespace"], calls[0].Headers["Authorization"]));
        Assert.Equal(("flag-ns", "Bearer flag-token"), (calls[1].Headers["X-Namespace"], calls[1].Headers["Authorization"]));
    }

    [Fact]
    public async Task Jsonl_prints_one_list_item_per_line()
    {
        await using var stub = new RecordingServer
        {
            Respond = _ => (200, new JsonObject
            {
                ["namespaces"] = new JsonArray(new JsonObject { ["name"] = "a" }, new JsonObject { ["name"] = "b" }),
                ["next_page_token"] = "x",
            }),
        };

        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, null), "namespace:list", "--output", "jsonl");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["a", "b"], result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["name"]!.GetValue<string>()));
    }
}
