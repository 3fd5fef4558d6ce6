using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// Every control-plane fixture's <c>cli.argv</c>, run through <c>dw</c> against a recording stub: the request the server
/// receives (method, path, query, body) is the one the fixture names. The worker-plane commands (the official CLI's
/// worker emulation) are out of this CLI's scope and listed explicitly.
/// </summary>
public sealed class CliFixtureParityTests
{
    /// <summary>Fixture operation → <c>dw</c> command.</summary>
    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        ["bridge.webhook"] = "bridge:webhook",
        ["namespace.create"] = "namespace:create",
        ["namespace.delete"] = "namespace:delete",
        ["namespace.describe"] = "namespace:describe",
        ["namespace.list"] = "namespace:list",
        ["namespace.set_storage_driver"] = "namespace:set-storage-driver",
        ["namespace.update"] = "namespace:update",
        ["schedule.backfill"] = "schedule:backfill",
        ["schedule.create"] = "schedule:create",
        ["schedule.delete"] = "schedule:delete",
        ["schedule.describe"] = "schedule:describe",
        ["schedule.history"] = "schedule:history",
        ["schedule.list"] = "schedule:list",
        ["schedule.pause"] = "schedule:pause",
        ["schedule.resume"] = "schedule:resume",
        ["schedule.trigger"] = "schedule:trigger",
        ["schedule.update"] = "schedule:update",
        ["search_attribute.create"] = "search-attribute:create",
        ["search_attribute.delete"] = "search-attribute:delete",
        ["search_attribute.list"] = "search-attribute:list",
        ["storage.test"] = "storage:test",
        ["system.activity_timeout.pass"] = "system:activity-timeout-pass",
        ["system.activity_timeout.status"] = "system:activity-timeout-status",
        ["system.repair.pass"] = "system:repair-pass",
        ["system.repair.status"] = "system:repair-status",
        ["system.retention.pass"] = "system:retention-pass",
        ["system.retention.status"] = "system:retention-status",
        ["task_queue.build_id.drain"] = "task-queue:drain",
        ["task_queue.build_id.promote"] = "task-queue:promote",
        ["task_queue.build_id.resume"] = "task-queue:resume",
        ["task_queue.build_ids"] = "task-queue:build-ids",
        ["task_queue.describe"] = "task-queue:describe",
        ["task_queue.list"] = "task-queue:list",
        ["worker.deregister"] = "worker:deregister",
        ["worker.describe"] = "worker:describe",
        ["worker.list"] = "worker:list",
        ["workflow.archive"] = "workflow:archive",
        ["workflow.cancel"] = "workflow:cancel",
        ["workflow.describe"] = "workflow:describe",
        ["workflow.history_export"] = "workflow:history-export",
        ["workflow.history"] = "workflow:history",
        ["workflow.list"] = "workflow:list",
        ["workflow.list_runs"] = "workflow:list-runs",
        ["workflow.query"] = "workflow:query",
        ["workflow.repair"] = "workflow:repair",
        ["workflow.show_run"] = "workflow:show-run",
        ["workflow.signal"] = "workflow:signal",
        ["workflow.start"] = "workflow:start",
        ["workflow.terminate"] = "workflow:terminate",
        ["workflow.update"] = "workflow:update",
    };

    /// <summary>The official CLI's worker-plane emulation (polling and completing tasks as a worker), not an operator command here.</summary>
    private static readonly string[] WorkerPlane =
    [
        "activity.complete", "activity.fail", "query-task.complete", "query-task.fail", "query-task.poll",
        "worker.register", "workflow-task.complete", "workflow-task.fail", "workflow-task.history", "workflow-task.poll",
    ];

    private static string FixtureFolder => Path.Combine(SharedFixtures.Root, "control-plane");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(FixtureFolder, "*.json").Order(StringComparer.Ordinal))
        {
            if (Commands.ContainsKey(Operation(file)))
            {
                data.Add(Path.GetFileName(file));
            }
        }

        return data;
    }

    [Fact]
    public void Every_fixture_with_a_cli_section_is_either_replayed_or_a_named_worker_plane_command()
    {
        var operations = Directory.GetFiles(FixtureFolder, "*.json")
            .Where(f => JsonNode.Parse(File.ReadAllText(f))?["cli"] is JsonObject)
            .Select(Operation)
            .ToList();

        Assert.Equal(60, operations.Count);
        Assert.Equal(WorkerPlane.Order(StringComparer.Ordinal), operations.Where(o => !Commands.ContainsKey(o)).Order(StringComparer.Ordinal));
        Assert.Equal(50, operations.Count(Commands.ContainsKey));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Fixture_argv_sends_the_fixture_request(string fixtureFile)
    {
        var fixture = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(FixtureFolder, fixtureFile)))!.AsObject();
        var request = fixture["request"]!.AsObject();
        var cli = fixture["cli"]!.AsObject();
        await using var stub = new RecordingServer { Respond = _ => (200, fixture["response_body"]?.DeepClone() ?? new JsonObject()) };

        var args = Argv(Commands[fixture["operation"]!.GetValue<string>()], cli["argv"]!.AsObject());
        var result = await CliRun.InProcessAsync(CliRun.Environment(stub.BaseAddress, "fixture-token"), args);

        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} → {result}");
        var call = Assert.Single(stub.ApiCalls);
        Assert.Equal(request["method"]!.GetValue<string>(), call.Method);
        Assert.Equal("/api" + request["path"]!.GetValue<string>(), Uri.UnescapeDataString(call.Path));

        var expectedQuery = (cli["expected_query"] ?? request["query"]) as JsonObject ?? [];
        Assert.Equal(
            expectedQuery.Select(p => $"{p.Key}={QueryText(p.Value)}").Order(StringComparer.Ordinal),
            call.Query.Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal));

        var expectedBody = cli["expected_body"] ?? request["body"];
        if (expectedBody is not null)
        {
            var actual = Assert.IsType<JsonObject>(JsonNode.Parse(call.Body));
            AssertBody(expectedBody.AsObject(), actual);
        }
        else if (call.Method is "GET" or "DELETE")
        {
            Assert.Equal(string.Empty, call.Body);
        }

        Assert.Equal("Bearer fixture-token", call.Headers["Authorization"]);
        Assert.Equal("2", call.Headers["X-Durable-Workflow-Control-Plane-Version"]);
        Assert.Equal("default", call.Headers["X-Namespace"]);
    }

    private static string Operation(string file) => JsonNode.Parse(File.ReadAllText(file))!["operation"]!.GetValue<string>();

    /// <summary>Fixture argv (a map as the official CLI's tests write it) → arguments: positional names first, in order.</summary>
    private static string[] Argv(string command, JsonObject argv)
    {
        var args = new List<string> { command };
        args.AddRange(argv.Where(p => !p.Key.StartsWith('-')).Select(p => p.Value!.GetValue<string>()));
        foreach (var (key, value) in argv.Where(p => p.Key.StartsWith('-')))
        {
            switch (value)
            {
                case JsonArray list:
                    foreach (var item in list)
                    {
                        args.Add(key);
                        args.Add(item!.GetValue<string>());
                    }

                    break;
                case JsonValue flag when flag.GetValueKind() is JsonValueKind.True:
                    args.Add(key);
                    break;
                default:
                    args.Add(key);
                    args.Add(value!.GetValue<string>());
                    break;
            }
        }

        return [.. args];
    }

    /// <summary>How the official CLI's HTTP client writes a query value: booleans as 1/0.</summary>
    private static string QueryText(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "1",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "0",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<decimal>().ToString(CultureInfo.InvariantCulture),
        _ => value!.GetValue<string>(),
    };

    /// <summary>Same keys and values; a key the CLI sends as null (the official CLI sends some optional fields as null) may be absent from the fixture.</summary>
    private static void AssertBody(JsonObject expected, JsonObject actual)
    {
        foreach (var (key, value) in expected)
        {
            Assert.True(actual.ContainsKey(key), $"body lacks '{key}': {actual.ToJsonString()}");
            Assert.True(JsonNode.DeepEquals(value, actual[key]), $"body '{key}': expected {value?.ToJsonString()}, got {actual[key]?.ToJsonString()}");
        }

        foreach (var (key, value) in actual)
        {
            Assert.True(expected.ContainsKey(key) || value is null, $"body has unexpected '{key}': {actual.ToJsonString()}");
        }
    }
}
