using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Tests.Fixtures;
using Xunit.Abstractions;

namespace DurableWorkflow.Tests.Api.Pipeline;

/// <summary>
/// Issue 8 defect 4: hostile text and wrong JSON types on every mapped route, with valid credentials, never produce a
/// 5xx, and every 4xx carries the documented envelope (<c>reason</c> and <c>message</c>).
/// </summary>
public sealed class HostileInputSweepTests(BootstrappedDatabase database, ITestOutputHelper output)
    : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string UnknownId = "01zzzzzzzzzzzzzzzzzzzzzzzz";

    private static readonly string Blob = AvroValueCodec.Encode(new JsonArray("x", 1));

    /// <summary>Raw JSON texts substituted for a value: hostile strings, then every wrong type.</summary>
    private static readonly string[] ValueCases =
    [
        "\"a\\u0000b\"", "\"\\ud800\"", "\"x\\udc00\"", "\"\\ud800\\u0000\"", "\"\"",
        "1", "-1.5e300", "1e400", "true", "null", "{}", "[]", "[\"\\ud800\"]", "{\"\\u0000\":1}",
    ];

    /// <summary>Percent-encoded query and route texts: NUL, an encoded lone surrogate, bytes that are not UTF-8, wrong types.</summary>
    private static readonly string[] TextCases = ["%00", "a%00b", "%ED%A0%80", "%FF%FE", "%C3", "abc", "-1", "99999999999999999999", "", "%F0%9F%98%80"];

    private static readonly string[] QueryParameters =
    [
        "namespace", "page_size", "next_page_token", "status", "workflow_type", "query", "task_queue", "wait_new_event",
        "include_last_event_payload",
    ];

    private static readonly Dictionary<string, string> RouteValues = new(StringComparer.Ordinal)
    {
        ["workflowId"] = "sweep-missing",
        ["runId"] = UnknownId,
        ["taskId"] = UnknownId,
        ["workerId"] = "sweep-worker",
        ["namespace"] = "default",
        ["signalName"] = "go",
        ["queryName"] = "status",
        ["updateName"] = "bump",
    };

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString,
        ("DW_WORKER_POLL_TIMEOUT", "0"), ("DW_QUERY_TASK_TIMEOUT", "1"));

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Defect4_no_route_answers_5xx_to_nul_lone_surrogates_invalid_utf8_or_wrong_json_types()
    {
        var routes = MappedRoutes.All();
        Assert.True(routes.Count >= 40, $"only {routes.Count} routes enumerated");
        var requests = routes.SelectMany(Cases).ToList();
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();

        using var control = Client(worker: false);
        using var worker = Client(worker: true);
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (sweep, ct) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(sweep.Route.Method), sweep.Path);
            if (sweep.Body is not null)
            {
                request.Content = new ByteArrayContent(sweep.Body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            using var response = await (sweep.Route.IsWorkerPlane ? worker : control).SendAsync(request, ct);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (status >= 500)
            {
                failures.Add($"{status} {sweep}: {Shorten(text)}");
            }
            else if (status >= 400 && !HasEnvelope(text))
            {
                failures.Add($"{status} without reason/message {sweep}: {Shorten(text)}");
            }
        });

        output.WriteLine($"{routes.Count} routes, {requests.Count} requests; statuses: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers:\n" + string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(60)));
    }

    /// <summary>
    /// The sweep above reaches command handling only as far as validation, since its task ids do not exist; here every
    /// hostile command body is completed against a real leased workflow task, so the engine's command paths run too.
    /// </summary>
    [Fact]
    public async Task Defect4_hostile_commands_completing_a_really_leased_workflow_task_never_answer_5xx()
    {
        var route = MappedRoutes.All().Single(r => r.Pattern == "/api/worker/workflow-tasks/{taskId}/complete");
        var body = BaseBody(route);
        var cases = Slots(body).Where(slot => slot.Pointer.StartsWith("/commands", StringComparison.Ordinal))
            .SelectMany(slot => ValueCases.Select(value => (Case: $"{slot.Pointer}={value}", Body: slot.Replace(value))))
            .Prepend((Case: "base", Body: body.ToJsonString()))
            .ToList();
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        const int Lanes = 3;

        await Parallel.ForEachAsync(Enumerable.Range(0, Lanes), async (lane, ct) =>
        {
            using var harness = await WorkflowHarness.CreateAsync(server);
            foreach (var (label, text) in cases.Where((_, i) => i % Lanes == lane))
            {
                await harness.StartAsync();
                var task = await harness.PollAsync();
                var completion = text
                    .Replace("\"sweep-worker\"", $"\"{harness.WorkerId}\"", StringComparison.Ordinal)
                    .Replace("\"workflow_task_attempt\":1", $"\"workflow_task_attempt\":{task["workflow_task_attempt"]}", StringComparison.Ordinal);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/worker/workflow-tasks/{task["task_id"]}/complete")
                {
                    Content = new ByteArrayContent(Encoding.UTF8.GetBytes(completion)),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await harness.Worker.SendAsync(request, ct);
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                var answer = await response.Content.ReadAsStringAsync(ct);
                if (status >= 500 || (status >= 400 && !HasEnvelope(answer)))
                {
                    failures.Add($"{status} [{label}] {Shorten(answer)}");
                }
            }
        });

        output.WriteLine($"{cases.Count} completions of leased tasks; statuses: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(statuses.GetValueOrDefault(200) > 0, "no completion was accepted, so the command paths never ran");
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers:\n" + string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(60)));
    }

    [Fact]
    public async Task Defect4_a_body_that_is_not_utf8_is_malformed_json_and_hostile_strings_are_named_in_a_422()
    {
        using var client = Client(worker: false);

        using var bytes = await SendAsync(client, "POST", "/api/workflows", [.. "{\"workflow_type\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
        await HttpAssert.ErrorAsync(bytes, System.Net.HttpStatusCode.BadRequest, "malformed_json");

        using var nul = await SendAsync(client, "POST", "/api/workflows",
            Encoding.UTF8.GetBytes("""{"workflow_type":"W","task_queue":"q\u0000","memo":{"k":["\ud800"]}}"""));
        var error = await HttpAssert.ErrorAsync(nul, System.Net.HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(error["errors"]!["task_queue"]);
        Assert.NotNull(error["errors"]!["memo.k.0"]);

        using var query = await client.GetAsync("/api/workflows?status=%00&workflow_type=a%00b");
        var queryError = await HttpAssert.ErrorAsync(query, System.Net.HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(queryError["errors"]!["workflow_type"]);
        Assert.NotNull(queryError["errors"]!["status"]);

        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_instances"));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, byte[] body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.SendAsync(request);
    }

    private HttpClient Client(bool worker)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", worker ? ServerFactory.WorkerToken : ServerFactory.AdminToken);
        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "2");
        client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        return client;
    }

    private static IEnumerable<SweepRequest> Cases(MappedRoute route)
    {
        var path = Path(route, null, null);
        var hasBody = route.Method is "POST" or "PUT";
        var body = hasBody ? BaseBody(route) : null;
        yield return new SweepRequest(route, path, Bytes(body), "base");

        if (body is not null)
        {
            foreach (var (pointer, replace) in Slots(body))
            {
                foreach (var value in ValueCases)
                {
                    yield return new SweepRequest(route, path, Encoding.UTF8.GetBytes(replace(value)), $"{pointer}={value}");
                }
            }

            var text = body.ToJsonString();
            yield return new SweepRequest(route, path, [.. Encoding.UTF8.GetBytes(text[..^1]), .. ",\"x\":\""u8, 0xFF, 0xC3, .. "\"}"u8], "invalid utf-8");
            foreach (var root in new[] { "[]", "\"s\"", "1", "null", "\"\\ud800\"", "[\"\\u0000\"]" })
            {
                yield return new SweepRequest(route, path, Encoding.UTF8.GetBytes(root), $"body={root}");
            }
        }

        foreach (var parameter in QueryParameters)
        {
            foreach (var value in TextCases)
            {
                yield return new SweepRequest(route, $"{path}?{parameter}={value}", Bytes(body), $"?{parameter}={value}");
            }
        }

        foreach (var parameter in route.Parameters)
        {
            // A NUL in the path never reaches the app: Kestrel and the test host refuse it while decoding the request line.
            foreach (var value in TextCases.Where(v => v.Length > 0 && !v.Contains("%00", StringComparison.Ordinal)).Append(new string('x', 5000)))
            {
                yield return new SweepRequest(route, Path(route, parameter, value), Bytes(body), $"{{{parameter}}}={Shorten(value)}");
            }
        }
    }

    private static string Path(MappedRoute route, string? parameter, string? value)
    {
        var path = route.Pattern;
        foreach (var name in route.Parameters)
        {
            path = path.Replace($"{{{name}}}", name == parameter ? value : RouteValues.GetValueOrDefault(name, "x"), StringComparison.Ordinal);
        }

        return path;
    }

    /// <summary>Every value below the root, with a function that writes the body with that value replaced by raw JSON.</summary>
    private static IEnumerable<(string Pointer, Func<string, string> Replace)> Slots(JsonNode body)
    {
        const string Marker = "\"__sweep_marker__\"";
        var slots = new List<(string, Func<string, string>)>();
        void Visit(JsonNode node, string pointer)
        {
            IEnumerable<(string Key, JsonNode? Child, Action<JsonNode?> Set)> children = node switch
            {
                JsonObject map => [.. map.Select(p => (p.Key, p.Value, (Action<JsonNode?>)(v => map[p.Key] = v)))],
                JsonArray list => [.. list.Select((item, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), item, (Action<JsonNode?>)(v => list[i] = v)))],
                _ => [],
            };
            foreach (var (key, child, set) in children.ToList())
            {
                var childPointer = $"{pointer}/{key}";
                var original = child?.DeepClone();
                slots.Add((childPointer, raw =>
                {
                    set(JsonValue.Create("__sweep_marker__"));
                    var text = body.ToJsonString().Replace(Marker, raw, StringComparison.Ordinal);
                    set(original?.DeepClone());
                    return text;
                }));
                if (child is JsonObject or JsonArray)
                {
                    Visit(child, childPointer);
                }
            }
        }

        Visit(body, string.Empty);
        return slots;
    }

    private static JsonNode BaseBody(MappedRoute route)
    {
        var envelope = new JsonObject { ["codec"] = "avro", ["blob"] = Blob };
        var lease = new JsonObject { ["lease_owner"] = "sweep-worker", ["workflow_task_attempt"] = 1 };
        var p = route.Pattern;
        JsonObject With(JsonObject baseObject, JsonObject extra)
        {
            foreach (var (key, value) in extra)
            {
                baseObject[key] = value?.DeepClone();
            }

            return baseObject;
        }

        return p switch
        {
            "/api/worker/register" => JsonNode.Parse("""
                {"worker_id":"sweep-worker","task_queue":"sweep-q","runtime":"python","sdk_version":"1.0.0","build_id":"b1",
                 "supported_workflow_types":["W"],"supported_activity_types":["A"],"workflow_definition_fingerprints":{"W":"f"},
                 "max_concurrent_workflow_tasks":10,"max_concurrent_activity_tasks":10}
                """)!,
            "/api/worker/heartbeat" => JsonNode.Parse("""{"worker_id":"sweep-worker","task_queue":"sweep-q","build_id":"b1"}""")!,
            _ when p.EndsWith("-tasks/poll", StringComparison.Ordinal) =>
                JsonNode.Parse("""{"worker_id":"sweep-worker","task_queue":"sweep-q","poll_request_id":"p1","build_id":"b1"}""")!,
            "/api/worker/workflow-tasks/{taskId}/history" => With(lease, new JsonObject { ["next_history_page_token"] = "t", ["history_page_size"] = 10 }),
            "/api/worker/workflow-tasks/{taskId}/heartbeat" => lease,
            "/api/worker/workflow-tasks/{taskId}/complete" => With(lease, new JsonObject
            {
                ["commands"] = JsonNode.Parse($$$"""
                    [{"type":"schedule_activity","activity_type":"A","queue":"q","arguments":{"codec":"avro","blob":"{{{Blob}}}"},
                      "start_to_close_timeout":10,"retry_policy":{"max_attempts":2,"backoff_seconds":[1]}},
                     {"type":"start_timer","delay_seconds":1},
                     {"type":"start_child_workflow","workflow_type":"C","arguments":"{{{Blob}}}","parent_close_policy":"abandon"},
                     {"type":"record_side_effect","result":"{{{Blob}}}"},
                     {"type":"upsert_search_attributes","attributes":{"A":"b"}},
                     {"type":"complete_workflow","result":{"codec":"avro","blob":"{{{Blob}}}"}}]
                    """),
            }),
            "/api/worker/workflow-tasks/{taskId}/fail" => With(lease, new JsonObject { ["failure"] = new JsonObject { ["message"] = "m", ["type"] = "T", ["stack_trace"] = "s" } }),
            "/api/worker/activity-tasks/{taskId}/complete" => new JsonObject { ["activity_attempt_id"] = UnknownId, ["lease_owner"] = "sweep-worker", ["result"] = envelope },
            "/api/worker/activity-tasks/{taskId}/fail" => new JsonObject
            {
                ["activity_attempt_id"] = UnknownId, ["lease_owner"] = "sweep-worker",
                ["failure"] = new JsonObject { ["message"] = "m", ["type"] = "T", ["non_retryable"] = false, ["details"] = envelope },
            },
            "/api/worker/activity-tasks/{taskId}/heartbeat" => new JsonObject
            {
                ["activity_attempt_id"] = UnknownId, ["lease_owner"] = "sweep-worker", ["message"] = "m", ["current"] = 1, ["total"] = 2,
                ["unit"] = "u", ["details"] = new JsonArray(),
            },
            "/api/worker/query-tasks/{taskId}/complete" => new JsonObject
            {
                ["lease_owner"] = "sweep-worker", ["query_task_attempt"] = 1, ["result"] = new JsonObject { ["a"] = 1 }, ["result_envelope"] = envelope,
            },
            "/api/worker/query-tasks/{taskId}/fail" => new JsonObject
            {
                ["lease_owner"] = "sweep-worker", ["query_task_attempt"] = 1, ["failure"] = new JsonObject { ["message"] = "m", ["reason"] = "r" },
            },
            "/api/workflows" => JsonNode.Parse("""
                {"workflow_id":"sweep-wf","workflow_type":"W","task_queue":"sweep-q","input":["a",1],"memo":{"k":"v"},
                 "search_attributes":{"Attr":"v"},"business_key":"bk","execution_timeout_seconds":100,"run_timeout_seconds":50,
                 "duplicate_policy":"fail","priority":5,"request_id":"r1","build_id":"b1"}
                """)!,
            _ when p.Contains("/signal/", StringComparison.Ordinal) => new JsonObject { ["input"] = new JsonArray("x"), ["request_id"] = "r" },
            _ when p.Contains("/query/", StringComparison.Ordinal) => new JsonObject { ["input"] = envelope },
            _ when p.Contains("/update/", StringComparison.Ordinal) => new JsonObject
            {
                ["input"] = new JsonArray("x"), ["wait_for"] = "accepted", ["wait_timeout_seconds"] = 1, ["request_id"] = "r",
            },
            "/api/namespaces" => new JsonObject { ["name"] = "sweep-ns", ["description"] = "d", ["retention_days"] = 3 },
            "/api/namespaces/{namespace}" => new JsonObject { ["description"] = "d", ["retention_days"] = 3 },
            "/api/namespaces/{namespace}/external-storage" => JsonNode.Parse("""{"driver":"local","enabled":true,"threshold_bytes":1024,"config":{"path":"/tmp"}}""")!,
            _ => new JsonObject { ["reason"] = "r", ["request_id"] = "r" },
        };
    }

    private static byte[]? Bytes(JsonNode? body) => body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());

    private static bool HasEnvelope(string text)
    {
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }

        return body?["reason"] is JsonValue reason && reason.TryGetValue<string>(out var r) && r.Length > 0
            && body["message"] is JsonValue message && message.TryGetValue<string>(out var m) && m.Length > 0;
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    private sealed record SweepRequest(MappedRoute Route, string Path, byte[]? Body, string Case)
    {
        public override string ToString() => $"{Route} [{Case}] {Shorten(Path)}";
    }
}
