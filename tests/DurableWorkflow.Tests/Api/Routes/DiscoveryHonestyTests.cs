using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>
/// Honest discovery (issue 14): every capability <c>/api/cluster/info</c> sets, every operation its control-plane
/// contract lists and every route it names is exercised against the running server, and none may answer 404/405 or
/// a 5xx. A capability or operation added to discovery without a probe here fails the test, so nothing can be
/// advertised unproven.
/// </summary>
public sealed partial class DiscoveryHonestyTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_QUERY_TASK_TIMEOUT", "1"));

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task every_advertised_capability_answers()
    {
        using var admin = server.ControlClient();
        var info = await ClusterInfoAsync(admin);
        var workflow = await StartAsync(admin, "honest-main");
        var probes = CapabilityProbes(workflow);
        var failures = new List<string>();

        foreach (var (capability, value) in info["capabilities"]!.AsObject())
        {
            if (value is JsonValue flag && flag.TryGetValue<bool>(out var enabled))
            {
                if (!enabled)
                {
                    continue;
                }

                if (capability == "search_attributes")
                {
                    // Proven by its own test below, so this one stays independent of that surface.
                    continue;
                }

                if (!probes.TryGetValue(capability, out var probe))
                {
                    failures.Add($"capability {capability} is advertised but has no probe");
                    continue;
                }

                failures.AddRange(await probe(admin));
            }
        }

        Assert.True(info["capabilities"]!["payload_codecs"]!.AsArray().Select(c => (string?)c).SequenceEqual(["avro"]));
        failures.AddRange(await CompressionAsync(admin, info["capabilities"]!["response_compression"]!.AsArray()));
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task every_control_plane_operation_and_named_route_answers()
    {
        using var admin = server.ControlClient();
        var info = await ClusterInfoAsync(admin);
        var main = await StartAsync(admin, "honest-ops");
        var cancelled = await StartAsync(admin, "honest-cancel");
        var terminated = await StartAsync(admin, "honest-terminate");
        var operations = new Dictionary<string, Probe[]>
        {
            ["list"] = [new("GET", "/api/workflows")],
            ["start"] = [new("POST", "/api/workflows", """{"workflow_type":"honest.probe"}""")],
            ["describe"] = [new("GET", $"/api/workflows/{main.Id}")],
            ["list_runs"] = [new("GET", $"/api/workflows/{main.Id}/runs")],
            ["describe_run"] = [new("GET", $"/api/workflows/{main.Id}/runs/{main.RunId}")],
            ["debug_workflow"] = [new("GET", $"/api/workflows/{main.Id}/debug"), new("GET", $"/api/workflows/{main.Id}/runs/{main.RunId}/debug")],
            ["history"] = [new("GET", $"/api/workflows/{main.Id}/runs/{main.RunId}/history")],
            ["signal"] = [new("POST", $"/api/workflows/{main.Id}/signal/ping", "{}"), new("POST", $"/api/workflows/{main.Id}/runs/{main.RunId}/signal/ping", "{}")],
            ["query"] = [new("POST", $"/api/workflows/{main.Id}/query/status", "{}", AllowTimeout: true)],
            ["update"] = [new("POST", $"/api/workflows/{main.Id}/update/set", """{"wait_for":"accepted"}""")],
            ["repair"] = [new("POST", $"/api/workflows/{main.Id}/repair", "{}")],
            ["cancel"] = [new("POST", $"/api/workflows/{cancelled.Id}/cancel", "{}")],
            ["terminate"] = [new("POST", $"/api/workflows/{terminated.Id}/terminate", "{}")],
            ["archive"] = [new("POST", $"/api/workflows/{terminated.Id}/archive", "{}")],
        };
        var failures = new List<string>();

        foreach (var (operation, _) in info["control_plane"]!["response_contract"]!["operations"]!.AsObject())
        {
            if (!operations.TryGetValue(operation, out var probes))
            {
                failures.Add($"operation {operation} is advertised but has no probe");
                continue;
            }

            foreach (var probe in probes)
            {
                failures.AddRange(await SendAsync(admin, operation, probe));
            }
        }

        var routes = Strings(info).Select(s => RouteText().Match(s)).Where(m => m.Success).Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(routes);
        foreach (var route in routes)
        {
            var (method, path) = (route[..route.IndexOf(' ', StringComparison.Ordinal)], route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
            failures.AddRange(await SendAsync(admin, route, new Probe(method, Placeholder().Replace(path, "honest-probe"), method == "GET" ? null : "{}")));
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// Kept apart because search attributes are built on another branch: this fails until their routes exist, which is
    /// exactly what advertising them without the routes would be.
    /// </summary>
    [Fact]
    public async Task advertised_search_attributes_answer()
    {
        using var admin = server.ControlClient();
        var info = await ClusterInfoAsync(admin);
        if (info["capabilities"]!["search_attributes"] is JsonValue flag && flag.GetValue<bool>())
        {
            var failures = await SendAsync(admin, "search_attributes", new Probe("GET", "/api/search-attributes"));
            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }
        else
        {
            Assert.False(info["capabilities"]!["search_attributes"]?.GetValue<bool>() ?? false);
        }
    }

    private Dictionary<string, Func<HttpClient, Task<List<string>>>> CapabilityProbes(Started workflow)
    {
        var completeRoute = new Probe("POST", "/api/worker/workflow-tasks/honest-probe/complete", "{}", Worker: true);
        Func<HttpClient, Task<List<string>>> Command(string capability, string command) => async client =>
        {
            var failures = await SendAsync(client, capability, completeRoute);
            var info = await ClusterInfoAsync(client);
            var commands = info["worker_protocol"]!["server_capabilities"]!["supported_workflow_task_commands"]!.AsArray().Select(c => (string?)c);
            if (!commands.Contains(command))
            {
                failures.Add($"capability {capability}: workflow-task command {command} is not in supported_workflow_task_commands");
            }

            return failures;
        };
        Func<HttpClient, Task<List<string>>> Route(string capability, params Probe[] probes) => async client =>
        {
            var failures = new List<string>();
            foreach (var probe in probes)
            {
                failures.AddRange(await SendAsync(client, capability, probe));
            }

            return failures;
        };
        Func<HttpClient, Task<List<string>>> Contract(string capability, string path) => async client =>
        {
            var node = (JsonNode?)await ClusterInfoAsync(client);
            foreach (var part in path.Split('.'))
            {
                node = node?[part];
            }

            return node is JsonObject { Count: > 0 } ? [] : [$"capability {capability}: {path} is missing from cluster info"];
        };

        var schedule = SharedFixtures.ControlPlane("schedule-create-parity").Body!;
        return new Dictionary<string, Func<HttpClient, Task<List<string>>>>
        {
            ["workflow_tasks"] = Route("workflow_tasks", new Probe("POST", "/api/worker/workflow-tasks/poll", "{}", Worker: true)),
            ["activity_tasks"] = Route("activity_tasks", new Probe("POST", "/api/worker/activity-tasks/poll", "{}", Worker: true)),
            ["signals"] = Route("signals", new Probe("POST", $"/api/workflows/{workflow.Id}/signal/ping", "{}")),
            ["queries"] = Route("queries", new Probe("POST", $"/api/workflows/{workflow.Id}/query/status", "{}", AllowTimeout: true),
                new Probe("POST", "/api/worker/query-tasks/poll", "{}", Worker: true)),
            ["updates"] = Route("updates", new Probe("POST", $"/api/workflows/{workflow.Id}/update/set", """{"wait_for":"accepted"}""")),
            ["schedules"] = Route("schedules", new Probe("GET", "/api/schedules")),
            ["schedule_jitter"] = Route("schedule_jitter", new Probe("POST", "/api/schedules", WithId(schedule, "honest-jitter"))),
            ["schedule_max_runs"] = Route("schedule_max_runs", new Probe("POST", "/api/schedules", WithId(schedule, "honest-max-runs"))),
            ["history_export"] = Route("history_export", new Probe("GET", $"/api/workflows/{workflow.Id}/runs/{workflow.RunId}/history/export")),
            ["continue_as_new"] = Command("continue_as_new", "continue_as_new"),
            ["child_workflows"] = Command("child_workflows", "start_child_workflow"),
            ["activity_timeouts"] = Route("activity_timeouts", new Probe("GET", "/api/system/activity-timeouts"),
                new Probe("POST", "/api/system/activity-timeouts/pass", "{}")),
            ["activity_retry_policy"] = Command("activity_retry_policy", "schedule_activity"),
            ["child_workflow_retry_policy"] = Command("child_workflow_retry_policy", "start_child_workflow"),
            ["child_workflow_timeouts"] = Command("child_workflow_timeouts", "start_child_workflow"),
            ["parent_close_policy"] = Command("parent_close_policy", "start_child_workflow"),
            ["non_retryable_failures"] = Route("non_retryable_failures", new Probe("POST", "/api/worker/activity-tasks/honest-probe/fail", "{}", Worker: true)),
            ["history_retention"] = Route("history_retention", new Probe("GET", "/api/system/retention"), new Probe("POST", "/api/system/retention/pass", "{}")),
            ["payload_codec_envelope"] = Route("payload_codec_envelope",
                new Probe("POST", "/api/workflows", """{"workflow_type":"honest.envelope","input":{"codec":"avro","blob":"AA=="}}""")),
            ["payload_codec_envelope_responses"] = Route("payload_codec_envelope_responses", new Probe("GET", $"/api/workflows/{workflow.Id}")),
            ["bridge_adapter_outcome_contract"] = Route("bridge_adapter_outcome_contract",
                new Probe("POST", "/api/bridge-adapters/webhook/honest", """{"action":"start_workflow","idempotency_key":"honest-1","target":{"workflow_type":"honest.bridge"}}""")),
            ["external_executor_config_contract"] = Contract("external_executor_config_contract", "worker_protocol.external_executor_config_contract"),
            ["invocable_carrier_contract"] = Contract("invocable_carrier_contract", "worker_protocol.invocable_carrier_contract"),
        };
    }

    private static string WithId(JsonObject body, string id)
    {
        var copy = body.DeepClone().AsObject();
        copy["schedule_id"] = id;
        return copy.ToJsonString();
    }

    /// <summary>An advertised surface answers when the route exists (no 404/405) and the server handles it (no 5xx).</summary>
    private async Task<List<string>> SendAsync(HttpClient admin, string what, Probe probe)
    {
        using var worker = probe.Worker ? server.ControlClient(ServerFactory.WorkerToken) : null;
        var client = worker ?? admin;
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path)
        {
            Content = probe.Body is null ? null : ServerFactory.Json(probe.Body),
        };
        if (probe.Worker)
        {
            request.Headers.Add("X-Durable-Workflow-Protocol-Version", "1.1");
        }

        using var response = await client.SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var timedOut = probe.AllowTimeout && response.StatusCode == HttpStatusCode.GatewayTimeout && text.Contains("query_worker_timeout", StringComparison.Ordinal);
        return status is 404 or 405 || (status >= 500 && !timedOut)
            ? [$"{what}: {probe.Method} {probe.Path} answered {status}: {text[..Math.Min(text.Length, 300)]}"]
            : [];
    }

    private static async Task<List<string>> CompressionAsync(HttpClient client, JsonArray encodings)
    {
        var failures = new List<string>();
        foreach (var encoding in encodings.Select(e => (string)e!))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/cluster/info");
            request.Headers.AcceptEncoding.ParseAdd(encoding);
            using var response = await client.SendAsync(request);
            if (!response.Content.Headers.ContentEncoding.Contains(encoding))
            {
                failures.Add($"response_compression advertises {encoding} but cluster info came back as [{string.Join(',', response.Content.Headers.ContentEncoding)}]");
            }
        }

        return failures;
    }

    private static async Task<JsonObject> ClusterInfoAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/cluster/info");
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static async Task<Started> StartAsync(HttpClient client, string workflowId)
    {
        using var response = await client.PostAsync("/api/workflows",
            ServerFactory.Json($$"""{"workflow_id":"{{workflowId}}","workflow_type":"honest.workflow","task_queue":"honest-queue"}"""));
        var started = await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
        return new Started(workflowId, (string)started["run_id"]!);
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    [GeneratedRegex(@"^(GET|POST|PUT|PATCH|DELETE) /api/[^\s]+$")]
    private static partial Regex RouteText();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Placeholder();

    private sealed record Started(string Id, string RunId);

    private sealed record Probe(string Method, string Path, string? Body = null, bool Worker = false, bool AllowTimeout = false);
}
