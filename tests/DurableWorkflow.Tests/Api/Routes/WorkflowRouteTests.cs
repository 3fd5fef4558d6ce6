using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.Workflows;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Workflow start and the read API (control-plane spec §4.1–§4.5, §4.7, §5) against the clients' fixtures.</summary>
public sealed class WorkflowRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string MicroPattern = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$";
    private const string OffsetPattern = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$";

    private static readonly string[] RunViewKeys =
    [
        "workflow_id", "run_id", "namespace", "workflow_type", "business_key", "status", "status_bucket", "is_terminal",
        "closed_reason", "task_queue", "run_number", "run_count", "is_current_run", "compatibility", "payload_codec",
        "execution_timeout_seconds", "run_timeout_seconds", "execution_deadline_at", "run_deadline_at", "input", "output",
        "input_envelope", "output_envelope", "started_at", "closed_at", "last_progress_at", "wait_kind", "wait_reason",
        "memo", "search_attributes", "actions", "control_plane",
    ];

    private static readonly string[] ExportKeys =
    [
        "schema", "schema_version", "exported_at", "dedupe_key", "history_complete", "workflow", "payloads", "summary",
        "selected_run", "history_events", "waits", "timeline", "linked_intakes_scope", "linked_intakes", "commands",
        "signals", "updates", "tasks", "activities", "timers", "failures", "links", "redaction", "codec_schemas",
        "payload_manifest", "integrity",
    ];

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    /// <summary>
    /// The start, describe, list-runs, show-run, history and export fixtures on one workflow, in the fixtures' namespace.
    /// Fixture values the server legitimately cannot reproduce, and are therefore not compared: run ids (the server
    /// generates ULIDs; the run-scoped fixture paths are re-targeted at the real runs), <c>status</c>/<c>status_bucket</c>
    /// (a run nobody has claimed is <c>pending</c>, and spec §15 keeps <c>running</c> where fixtures say <c>active</c>),
    /// <c>business_key</c> (the start fixture sends none), timeouts and timestamps of show-run (illustrative), and the
    /// history fixture's event order (this server records <c>StartAccepted</c> before <c>WorkflowStarted</c>).
    /// </summary>
    [Fact]
    public async Task polyglot_fixtures_start_describe_list_runs_show_run_history_and_export_one_workflow()
    {
        using var admin = server.ControlClient();
        using var created = await admin.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"orders-prod"}"""));
        await HttpAssert.JsonAsync(created, HttpStatusCode.Created);
        using var client = server.ControlClient(ServerFactory.OperatorToken, "orders-prod");
        var startBody = SharedFixtures.ControlPlane("workflow-start-parity").Semantic;

        var started = await SendJsonAsync(client, HttpMethod.Post, "/api/workflows", startBody.ToJsonString(), HttpStatusCode.Created);
        Assert.Equal("wf-polyglot-231", (string?)started["workflow_id"]);
        Assert.Equal("started_new", (string?)started["outcome"]);
        Assert.Equal("orders-prod", (string?)started["namespace"]);
        Assert.Equal("orders.process", (string?)started["workflow_type"]);
        Assert.Equal("avro", (string?)started["payload_codec"]);
        Assert.Equal("start", (string?)started["control_plane"]!["operation"]);
        var run1 = (string)started["run_id"]!;

        var existing = await SendJsonAsync(client, HttpMethod.Post, "/api/workflows", startBody.ToJsonString(), HttpStatusCode.OK);
        Assert.Equal("returned_existing_active", (string?)existing["outcome"]);
        Assert.Equal(run1, (string?)existing["run_id"]);

        var failPolicy = startBody.DeepClone().AsObject();
        failPolicy.Remove("duplicate_policy");
        var duplicate = await SendJsonAsync(client, HttpMethod.Post, "/api/workflows", failPolicy.ToJsonString(), HttpStatusCode.Conflict);
        Assert.Equal("rejected_duplicate", (string?)duplicate["outcome"]);
        Assert.Equal("duplicate_not_allowed", (string?)duplicate["reason"]);
        Assert.Equal("start", (string?)duplicate["control_plane"]!["operation"]);

        using var otherNamespace = server.ControlClient();
        using var reserved = await otherNamespace.PostAsync("/api/workflows", ServerFactory.Json(startBody.ToJsonString()));
        var reservedText = await reserved.Content.ReadAsStringAsync();
        var reservedBody = await HttpAssert.ErrorAsync(reserved, HttpStatusCode.Conflict, "workflow_id_reserved_in_namespace");
        Assert.Equal("Workflow [wf-polyglot-231] is already reserved in another namespace.", (string?)reservedBody["message"]);
        Assert.DoesNotContain("orders-prod", reservedText, StringComparison.Ordinal);

        var describeFixture = SharedFixtures.ControlPlane("workflow-describe-parity");
        var described = await SendFixtureAsync(client, describeFixture, describeFixture.Path);
        Assert.Equal((string?)describeFixture.Semantic["workflow_id"], (string?)described["workflow_id"]);
        var expected = describeFixture.Json["response_body"]!.AsObject();
        foreach (var key in new[] { "workflow_id", "workflow_type", "namespace", "task_queue", "payload_codec", "memo", "search_attributes", "input" })
        {
            Assert.True(JsonNode.DeepEquals(expected[key], described[key]), $"{key}: {described[key]?.ToJsonString()}");
        }

        foreach (var (action, allowed) in expected["actions"]!.AsObject())
        {
            Assert.Equal((bool)allowed!, (bool)described["actions"]![action]!);
        }

        Assert.Equal(AvroValueCodec.Encode(startBody["input"]), (string?)described["input_envelope"]!["blob"]);
        Assert.Equal(300, (int)described["execution_timeout_seconds"]!);
        Assert.Equal(120, (int)described["run_timeout_seconds"]!);

        var run2 = await ContinueAsNewAsync(described);

        var runsFixture = SharedFixtures.ControlPlane("workflow-list-runs-parity");
        var runs = await SendFixtureAsync(client, runsFixture, runsFixture.Path);
        Assert.Equal((string?)runsFixture.Semantic["workflow_id"], (string?)runs["workflow_id"]);
        Assert.Equal((int)runsFixture.Semantic["run_count"]!, (int)runs["run_count"]!);
        Assert.Equal("list_runs", (string?)runs["control_plane"]!["operation"]);
        Assert.Equal(2, (int)runs["control_plane"]!["run_count"]!);
        var items = runs["runs"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal([run1, run2], items.Select(r => (string)r["run_id"]!));
        Assert.Equal([1, 2], items.Select(r => (int)r["run_number"]!));
        Assert.Equal(["completed", "pending"], items.Select(r => (string)r["status"]!));
        Assert.Equal(["completed", "running"], items.Select(r => (string)r["status_bucket"]!));
        Assert.Equal([false, true], items.Select(r => (bool)r["is_current_run"]!));
        Assert.All(items, r => Assert.Equal("wf-polyglot-231", (string?)r["workflow_id"]));
        Assert.All(items, r => Assert.Equal("orders", (string?)r["task_queue"]));
        Assert.Matches(MicroPattern, (string?)items[0]["closed_at"]);
        Assert.Null(items[1]["closed_at"]);

        var showRunFixture = SharedFixtures.ControlPlane("workflow-show-run-parity");
        var showRun = await SendFixtureAsync(client, showRunFixture, RunPath(showRunFixture, run2));
        var expectedRun = showRunFixture.Json["response_body"]!.AsObject();
        Assert.Equal((string?)showRunFixture.Semantic["workflow_id"], (string?)showRun["workflow_id"]);
        Assert.Equal(run2, (string?)showRun["run_id"]);
        Assert.Equal("describe_run", (string?)showRun["control_plane"]!["operation"]);
        Assert.Equal(run2, (string?)showRun["control_plane"]!["run_id"]);
        foreach (var key in new[] { "workflow_type", "namespace", "run_number", "run_count", "is_current_run", "task_queue", "payload_codec", "closed_at", "closed_reason", "input", "memo", "search_attributes" })
        {
            Assert.True(JsonNode.DeepEquals(expectedRun[key], showRun[key]), $"{key}: {showRun[key]?.ToJsonString()}");
        }

        var oldRun = await GetJsonAsync(client, $"/api/workflows/wf-polyglot-231/runs/{run1}", HttpStatusCode.OK);
        Assert.False((bool)oldRun["is_current_run"]!);
        Assert.Equal("continued", (string?)oldRun["closed_reason"]);
        Assert.Equal(
            """{"can_signal":false,"can_query":false,"can_update":false,"can_cancel":false,"can_terminate":false,"can_repair":false,"can_archive":true}""",
            oldRun["actions"]!.ToJsonString());

        var historyFixture = SharedFixtures.ControlPlane("workflow-history-parity");
        var history = await SendFixtureAsync(client, historyFixture, RunPath(historyFixture, run1) + "?wait_new_event=0");
        Assert.Equal((string?)historyFixture.Semantic["workflow_id"], (string?)history["workflow_id"]);
        Assert.Equal(run1, (string?)history["run_id"]);
        var events = history["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal([1L, 2L], events.Select(e => (long)e["sequence"]!));
        Assert.Equal(["StartAccepted", "WorkflowStarted"], events.Select(e => (string)e["event_type"]!));
        Assert.Equal("orders.process", (string?)events[1]["payload"]!["workflow_type"]);
        Assert.All(events, e => Assert.Equal(["sequence", "event_type", "timestamp", "payload"], e.Select(p => p.Key)));
        Assert.Null(history["next_page_token"]);

        var exportFixture = SharedFixtures.ControlPlane("workflow-history-export-parity");
        using var exportResponse = await client.GetAsync(RunPath(exportFixture, run1));
        var export = await HttpAssert.JsonAsync(exportResponse, HttpStatusCode.OK);
        Assert.Equal(ApiErrors.ControlPlaneVersion, exportResponse.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
        Assert.Equal((string?)exportFixture.Semantic["schema"], (string?)export["schema"]);
        Assert.Equal((string?)exportFixture.Semantic["workflow_id"], (string?)export["workflow"]!["instance_id"]);
        Assert.Equal(run1, (string?)export["workflow"]!["run_id"]);
        Assert.Equal((int)exportFixture.Semantic["event_count"]!, export["history_events"]!.AsArray().Count);
        Assert.Equal(ExportKeys, export.Select(p => p.Key));
        Assert.True((bool)export["history_complete"]!);
        Assert.Equal("WorkflowStarted", (string?)export["history_events"]![1]!["type"]);

        var secondRunHistory = await GetJsonAsync(client, $"/api/workflows/wf-polyglot-231/runs/{run2}/history", HttpStatusCode.OK);
        Assert.Equal(["WorkflowStarted"], secondRunHistory["events"]!.AsArray().Select(e => (string)e!["event_type"]!));
    }

    [Theory]
    [InlineData("{}", "workflow_type")]
    [InlineData("""{"workflow_type":"t","workflow_id":"bad id"}""", "workflow_id")]
    [InlineData("""{"workflow_type":"t","input":"scalar"}""", "input")]
    [InlineData("""{"workflow_type":"t","duplicate_policy":"use_existing"}""", "duplicate_policy")]
    [InlineData("""{"workflow_type":"t","retry_policy":null}""", "retry_policy")]
    [InlineData("""{"workflow_type":"t","execution_timeout_seconds":0}""", "execution_timeout_seconds")]
    [InlineData("""{"workflow_type":"t","search_attributes":{"1bad":"x"}}""", "search_attributes")]
    public async Task invalid_starts_are_422_with_the_contract_block_and_write_nothing(string body, string field)
    {
        using var client = server.ControlClient();
        var before = await CountRowsAsync();

        using var response = await client.PostAsync("/api/workflows", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.NotNull(error["validation_errors"]![field]);
        Assert.Equal("start", (string?)error["control_plane"]!["operation"]);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task plain_array_input_is_avro_encoded_envelopes_pass_through_and_no_input_is_an_empty_list()
    {
        using var client = server.ControlClient();
        var arguments = JsonNode.Parse("""[{"order_id":42,"tags":["a","b"],"ratio":1.5},"x",null,true]""");
        var plain = await StartAsync(client, new JsonObject { ["workflow_type"] = "input.plain", ["input"] = arguments!.DeepClone() });
        var envelope = new JsonObject { ["codec"] = "avro", ["blob"] = AvroValueCodec.Encode(JsonNode.Parse("""["Ada"]""")) };
        var enveloped = await StartAsync(client, new JsonObject { ["workflow_type"] = "input.envelope", ["input"] = envelope.DeepClone() });
        var none = await StartAsync(client, new JsonObject { ["workflow_type"] = "input.none" });

        var plainView = await GetJsonAsync(client, $"/api/workflows/{plain}", HttpStatusCode.OK);
        Assert.Equal(AvroValueCodec.Encode(arguments), (string?)plainView["input_envelope"]!["blob"]);
        Assert.Equal("avro", (string?)plainView["input_envelope"]!["codec"]);
        Assert.True(JsonNode.DeepEquals(arguments, plainView["input"]), plainView["input"]!.ToJsonString());

        var envelopeView = await GetJsonAsync(client, $"/api/workflows/{enveloped}", HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(envelope, envelopeView["input_envelope"]));
        Assert.Equal("""["Ada"]""", envelopeView["input"]!.ToJsonString());

        var noneView = await GetJsonAsync(client, $"/api/workflows/{none}", HttpStatusCode.OK);
        Assert.Equal("[]", noneView["input"]!.ToJsonString());
        Assert.Null(noneView["input_envelope"]);
        Assert.Null(noneView["output"]);
        Assert.Null(noneView["output_envelope"]);
    }

    [Fact]
    public async Task describe_has_every_run_view_field_in_the_spec_formats_and_follows_the_run_to_its_close()
    {
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var id = await StartAsync(client, JsonNode.Parse(
            """
            {"workflow_type":"describe.fields","business_key":"bk-describe","task_queue":"describe-q","memo":{"m":1},
             "search_attributes":{"Tier":"gold"},"execution_timeout_seconds":3600,"run_timeout_seconds":600,"input":[1]}
            """)!.AsObject());

        using var response = await client.GetAsync($"/api/workflows/{id}");
        var view = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal(RunViewKeys, view.Select(p => p.Key));
        Assert.Equal(ApiErrors.ControlPlaneVersion, response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
        Assert.Equal("default", (string?)view["namespace"]);
        Assert.Equal("bk-describe", (string?)view["business_key"]);
        Assert.Equal("pending", (string?)view["status"]);
        Assert.Equal("running", (string?)view["status_bucket"]);
        Assert.False((bool)view["is_terminal"]!);
        Assert.Null(view["closed_reason"]);
        Assert.Equal("describe-q", (string?)view["task_queue"]);
        Assert.Equal(1, (int)view["run_number"]!);
        Assert.Equal(1, (int)view["run_count"]!);
        Assert.True((bool)view["is_current_run"]!);
        Assert.Equal(3600, (int)view["execution_timeout_seconds"]!);
        Assert.Equal(600, (int)view["run_timeout_seconds"]!);
        Assert.Matches(OffsetPattern, (string?)view["execution_deadline_at"]);
        Assert.Matches(OffsetPattern, (string?)view["run_deadline_at"]);
        Assert.Matches(OffsetPattern, (string?)view["last_progress_at"]);
        Assert.Matches(MicroPattern, (string?)view["started_at"]);
        Assert.Null(view["closed_at"]);
        Assert.Equal("""{"m":1}""", view["memo"]!.ToJsonString());
        Assert.Equal("""{"Tier":"gold"}""", view["search_attributes"]!.ToJsonString());
        Assert.Equal(
            """{"can_signal":true,"can_query":true,"can_update":true,"can_cancel":true,"can_terminate":true,"can_repair":true,"can_archive":false}""",
            view["actions"]!.ToJsonString());
        var block = view["control_plane"]!.AsObject();
        Assert.Equal("describe", (string?)block["operation"]);
        Assert.Equal(id, (string?)block["workflow_id"]);
        Assert.Equal((string?)view["run_id"], (string?)block["run_id"]);
        Assert.Equal("pending", (string?)block["status"]);

        var output = AvroValueCodec.Encode(JsonNode.Parse("""{"ok":true}"""));
        await database.ExecuteAsync(
            $$"""
            UPDATE workflow_runs SET status = 'completed', closed_reason = 'completed', closed_at = now(),
                   output = '{"codec":"avro","blob":"{{output}}"}'
             WHERE workflow_instance_id = '{{id}}'
            """);

        var closed = await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK);
        Assert.Equal("completed", (string?)closed["status"]);
        Assert.Equal("completed", (string?)closed["status_bucket"]);
        Assert.True((bool)closed["is_terminal"]!);
        Assert.Equal("completed", (string?)closed["closed_reason"]);
        Assert.Matches(MicroPattern, (string?)closed["closed_at"]);
        Assert.Equal("""{"ok":true}""", closed["output"]!.ToJsonString());
        Assert.Equal(output, (string?)closed["output_envelope"]!["blob"]);
        Assert.Equal(
            """{"can_signal":false,"can_query":false,"can_update":false,"can_cancel":false,"can_terminate":false,"can_repair":false,"can_archive":true}""",
            closed["actions"]!.ToJsonString());
    }

    [Fact]
    public async Task list_filters_by_type_status_and_escaped_substring_and_pages_with_offset_tokens()
    {
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var type = $"list.{Guid.NewGuid():N}";
        var keys = new[] { "bk_1", "bkx1", "other", "BK_2", "none" };
        var ids = new List<string>();
        foreach (var key in keys)
        {
            ids.Add(await StartAsync(client, new JsonObject { ["workflow_type"] = type, ["business_key"] = key, ["search_attributes"] = new JsonObject { ["Key"] = key } }));
        }

        await database.ExecuteAsync($"UPDATE workflow_runs SET status = 'failed', closed_reason = 'failed', closed_at = now() WHERE workflow_instance_id = '{ids[2]}'");
        var newestFirst = Enumerable.Reverse(ids).ToList();

        var all = await ListAsync(client, $"workflow_type={type}");
        Assert.Equal(newestFirst, Ids(all));
        Assert.Equal(5, (int)all["workflow_count"]!);
        Assert.Null(all["next_page_token"]);
        var row = all["workflows"]![0]!.AsObject();
        Assert.Equal(
            ["workflow_id", "run_id", "workflow_type", "business_key", "status", "status_bucket", "task_queue", "is_terminal", "started_at", "closed_at", "search_attributes"],
            row.Select(p => p.Key));
        Assert.Equal("default", (string?)row["task_queue"]);
        Assert.Matches(MicroPattern, (string?)row["started_at"]);
        Assert.Equal("""{"Key":"none"}""", row["search_attributes"]!.ToJsonString());
        Assert.Equal("list", (string?)all["control_plane"]!["operation"]);
        Assert.Equal(5, (int)all["control_plane"]!["workflow_count"]!);
        Assert.True(all["control_plane"]!.AsObject().ContainsKey("next_page_token"));

        var first = await ListAsync(client, $"workflow_type={type}&page_size=2");
        Assert.Equal(newestFirst[..2], Ids(first));
        Assert.Equal(2, (int)first["workflow_count"]!);
        Assert.Equal(WorkflowListPageToken.Encode(2), (string?)first["next_page_token"]);
        var second = await ListAsync(client, $"workflow_type={type}&page_size=2&next_page_token={Uri.EscapeDataString((string)first["next_page_token"]!)}");
        Assert.Equal(newestFirst[2..4], Ids(second));
        var third = await ListAsync(client, $"workflow_type={type}&page_size=2&next_page_token={Uri.EscapeDataString((string)second["next_page_token"]!)}");
        Assert.Equal(newestFirst[4..], Ids(third));
        Assert.Null(third["next_page_token"]);
        var garbage = await ListAsync(client, $"workflow_type={type}&page_size=2&next_page_token=next-polyglot-page");
        Assert.Equal(newestFirst[..2], Ids(garbage));

        // "_" is a literal in the term (bkx1 must not match bk_), and the match ignores case.
        Assert.Equal([ids[3], ids[0]], Ids(await ListAsync(client, $"workflow_type={type}&query=bk_")));
        Assert.Equal([ids[1]], Ids(await ListAsync(client, $"workflow_type={type}&query={ids[1][^10..].ToUpperInvariant()}")));
        Assert.Equal(newestFirst, Ids(await ListAsync(client, $"workflow_type={type}&query=%20%20")));

        Assert.Equal([ids[2]], Ids(await ListAsync(client, $"workflow_type={type}&status=failed")));
        Assert.Empty(Ids(await ListAsync(client, $"workflow_type={type}&status=completed")));
        Assert.Equal(newestFirst.Where(i => i != ids[2]), Ids(await ListAsync(client, $"workflow_type={type}&status=running")));
        Assert.Equal([ids[2]], Ids(await ListAsync(client, $"workflow_type={type}&status=failed&query=oth")));
    }

    [Theory]
    [InlineData("status=cancelled", "status", "The selected status is invalid. Use failed instead of cancelled.")]
    [InlineData("status=terminated", "status", "The selected status is invalid. Use failed instead of terminated.")]
    [InlineData("status=active", "status", "The selected status is invalid.")]
    [InlineData("page_size=0", "page_size", "The page size field must be at least 1.")]
    [InlineData("page_size=201", "page_size", "The page size field must not be greater than 200.")]
    [InlineData("page_size=ten", "page_size", "The page size field must be an integer.")]
    public async Task list_rejects_invalid_filters_with_422(string query, string field, string message)
    {
        using var client = server.ControlClient();

        using var response = await client.GetAsync($"/api/workflows?{query}");

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.Equal(message, (string?)error["validation_errors"]![field]![0]);
        Assert.Equal("list", (string?)error["control_plane"]!["operation"]);
    }

    [Fact]
    public async Task history_pages_by_sequence_tokens_and_validates_its_parameters()
    {
        using var client = server.ControlClient();
        var id = await StartAsync(client, new JsonObject { ["workflow_type"] = "history.pages" });
        var runId = (string)(await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;
        var path = $"/api/workflows/{id}/runs/{runId}/history";

        var full = await GetJsonAsync(client, path, HttpStatusCode.OK);
        Assert.Equal(["StartAccepted", "WorkflowStarted"], full["events"]!.AsArray().Select(e => (string)e!["event_type"]!));
        Assert.All(full["events"]!.AsArray(), e => Assert.Matches(MicroPattern, (string?)e!["timestamp"]));
        Assert.Null(full["next_page_token"]);
        var block = full["control_plane"]!.AsObject();
        Assert.Equal("history", (string?)block["operation"]);
        Assert.Equal(runId, (string?)block["run_id"]);
        Assert.True(block.ContainsKey("next_page_token"));

        var first = await GetJsonAsync(client, $"{path}?page_size=1", HttpStatusCode.OK);
        Assert.Equal([1L], first["events"]!.AsArray().Select(e => (long)e!["sequence"]!));
        Assert.Equal("MQ==", (string?)first["next_page_token"]);
        var second = await GetJsonAsync(client, $"{path}?page_size=1&next_page_token=MQ%3D%3D", HttpStatusCode.OK);
        Assert.Equal([2L], second["events"]!.AsArray().Select(e => (long)e!["sequence"]!));
        Assert.Null(second["next_page_token"]);
        var invalidToken = await GetJsonAsync(client, $"{path}?next_page_token=%25%25", HttpStatusCode.OK);
        Assert.Equal(2, invalidToken["events"]!.AsArray().Count);
        var afterEnd = await GetJsonAsync(client, $"{path}?next_page_token=Mg%3D%3D&wait_new_event=false", HttpStatusCode.OK);
        Assert.Empty(afterEnd["events"]!.AsArray());

        foreach (var (query, field) in new[] { ("page_size=1001", "page_size"), ("page_size=0", "page_size"), ("wait_new_event=maybe", "wait_new_event") })
        {
            using var response = await client.GetAsync($"{path}?{query}");
            var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
            Assert.NotNull(error["validation_errors"]![field]);
            Assert.Equal("history", (string?)error["control_plane"]!["operation"]);
        }
    }

    [Fact]
    public async Task history_long_poll_answers_as_soon_as_an_event_is_appended()
    {
        using var polling = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_WORKER_POLL_TIMEOUT", "20"));
        using var client = polling.ControlClient();
        var id = await StartAsync(client, new JsonObject { ["workflow_type"] = "history.wake" });
        var runId = (string)(await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;
        var watch = Stopwatch.StartNew();

        var poll = client.GetAsync($"/api/workflows/{id}/runs/{runId}/history?wait_new_event=1&next_page_token=Mg%3D%3D");
        await Task.Delay(500);
        Assert.False(poll.IsCompleted, "the long-poll answered before any new event");
        await AppendEventAsync(polling, runId, "SignalReceived");

        using var response = await poll;
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(["SignalReceived"], body["events"]!.AsArray().Select(e => (string)e!["event_type"]!));
        Assert.Equal(3L, (long)body["events"]![0]!["sequence"]!);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"woke after {watch.Elapsed}");
    }

    [Fact]
    public async Task history_long_poll_without_new_events_answers_an_empty_page_after_the_poll_timeout()
    {
        using var polling = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_WORKER_POLL_TIMEOUT", "1"));
        using var client = polling.ControlClient();
        var id = await StartAsync(client, new JsonObject { ["workflow_type"] = "history.timeout" });
        var runId = (string)(await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;
        var watch = Stopwatch.StartNew();

        var body = await GetJsonAsync(client, $"/api/workflows/{id}/runs/{runId}/history?wait_new_event=1&next_page_token=Mg%3D%3D", HttpStatusCode.OK);

        Assert.Empty(body["events"]!.AsArray());
        Assert.Null(body["next_page_token"]);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task export_is_a_checksummed_bundle_without_the_contract_block()
    {
        using var client = server.ControlClient();
        var id = await StartAsync(client, new JsonObject { ["workflow_type"] = "export.bundle", ["input"] = JsonNode.Parse("""["a"]""") });
        var runId = (string)(await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;

        var export = await GetJsonAsync(client, $"/api/workflows/{id}/runs/{runId}/history/export", HttpStatusCode.OK);

        Assert.Equal(ExportKeys, export.Select(p => p.Key));
        Assert.False(export.ContainsKey("control_plane"));
        Assert.Equal(1, (int)export["schema_version"]!);
        Assert.False((bool)export["history_complete"]!);
        Assert.Matches(MicroPattern, (string?)export["exported_at"]);
        Assert.StartsWith($"{runId}:2:", (string?)export["dedupe_key"], StringComparison.Ordinal);
        Assert.Equal(AvroValueCodec.Encode(JsonNode.Parse("""["a"]""")), (string?)export["payloads"]!["arguments"]!["data"]);
        Assert.False((bool)export["payloads"]!["output"]!["available"]!);
        Assert.Equal(["start"], export["commands"]!.AsArray().Select(c => (string)c!["type"]!));
        Assert.Equal(["workflow"], export["tasks"]!.AsArray().Select(t => (string)t!["type"]!));
        Assert.Equal(2, export["timeline"]!.AsArray().Count);
        Assert.NotNull(export["codec_schemas"]!["avro"]);
        Assert.Equal("payloads.arguments.data", (string?)export["payload_manifest"]!["entries"]![0]!["path"]);

        var integrity = export["integrity"]!.AsObject();
        Assert.Equal(WorkflowReadIntegrity.Canonicalization, (string?)integrity["canonicalization"]);
        Assert.Null(integrity["signature"]);
        var unsigned = export.DeepClone().AsObject();
        unsigned.Remove("integrity");
        Assert.Equal(WorkflowReadIntegrity.Checksum(unsigned), (string?)integrity["checksum"]);
    }

    [Fact]
    public async Task debug_reports_open_work_the_last_event_and_findings_for_both_paths()
    {
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var id = await StartAsync(client, new JsonObject { ["workflow_type"] = "debug.snapshot", ["task_queue"] = "debug-q" });
        var runId = (string)(await GetJsonAsync(client, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;

        var debug = await GetJsonAsync(client, $"/api/workflows/{id}/debug", HttpStatusCode.OK);
        Assert.Equal(runId, (string?)debug["run_id"]);
        Assert.Equal("pending_work", (string?)debug["diagnostic_status"]);
        var block = debug["control_plane"]!.AsObject();
        Assert.Equal("debug_workflow", (string?)block["operation"]);
        Assert.Equal("pending_work", (string?)block["diagnostic_status"]);
        Assert.Equal(runId, (string?)block["run_id"]);
        var execution = debug["execution"]!.AsObject();
        Assert.Equal("pending", (string?)execution["status"]);
        Assert.False(execution.ContainsKey("closed_at"));
        Assert.Equal(2L, (long)execution["last_event"]!["sequence"]!);
        Assert.Equal("WorkflowStarted", (string?)execution["last_event"]!["event_type"]);
        Assert.False(execution["last_event"]!.AsObject().ContainsKey("payload_preview"));
        Assert.Equal("workflow", (string?)execution["next_scheduled_event"]!["task_type"]);
        var task = debug["pending_workflow_tasks"]!.AsArray().Single()!;
        Assert.Equal("ready", (string?)task["status"]);
        Assert.False((bool)task["lease_expired"]!);
        Assert.Equal(1, (int)debug["task_queue"]!["stats"]!["workflow_tasks"]!["ready_count"]!);
        Assert.Equal(1, (int)debug["task_queue"]!["stats"]!["approximate_backlog_count"]!);
        Assert.Contains(debug["findings"]!.AsArray(), f => (string?)f!["code"] == "no_active_pollers");
        Assert.Empty(debug["recent_failures"]!.AsArray());
        Assert.Equal(2, debug["history_tail"]!.AsArray().Count);

        var runDebug = await GetJsonAsync(client, $"/api/workflows/{id}/runs/{runId}/debug?include_last_event_payload=yes", HttpStatusCode.OK);
        var preview = (string?)runDebug["execution"]!["last_event"]!["payload_preview"];
        Assert.Equal("debug.snapshot", (string?)JsonNode.Parse(preview!)!["workflow_type"]);
        Assert.Equal(runId, (string?)runDebug["control_plane"]!["run_id"]);
    }

    [Fact]
    public async Task missing_workflows_and_runs_are_404_with_the_contract_block_and_other_namespaces_see_nothing()
    {
        using var admin = server.ControlClient();
        using var created = await admin.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"elsewhere"}"""));
        await HttpAssert.JsonAsync(created, HttpStatusCode.Created);
        var id = await StartAsync(admin, new JsonObject { ["workflow_type"] = "missing.checks" });
        var runId = (string)(await GetJsonAsync(admin, $"/api/workflows/{id}", HttpStatusCode.OK))["run_id"]!;
        using var elsewhere = server.ControlClient(ServerFactory.AdminToken, "elsewhere");
        const string unknownRun = "01hzzzzzzzzzzzzzzzzzzzzzzz";

        foreach (var (client, path, reason, operation) in new[]
        {
            (admin, "/api/workflows/no-such-workflow", "instance_not_found", "describe"),
            (admin, "/api/workflows/no-such-workflow/runs", "instance_not_found", "list_runs"),
            (admin, "/api/workflows/no-such-workflow/debug", "instance_not_found", "debug_workflow"),
            (admin, $"/api/workflows/no-such-workflow/runs/{unknownRun}", "instance_not_found", "describe_run"),
            (admin, $"/api/workflows/{id}/runs/{unknownRun}", "run_not_found", "describe_run"),
            (admin, $"/api/workflows/{id}/runs/{unknownRun}/debug", "run_not_found", "debug_workflow"),
            (admin, $"/api/workflows/{id}/runs/{unknownRun}/history", "run_not_found", "history"),
            (elsewhere, $"/api/workflows/{id}", "instance_not_found", "describe"),
            (elsewhere, $"/api/workflows/{id}/runs", "instance_not_found", "list_runs"),
            (elsewhere, $"/api/workflows/{id}/runs/{runId}", "instance_not_found", "describe_run"),
            (elsewhere, $"/api/workflows/{id}/runs/{runId}/history", "run_not_found", "history"),
        })
        {
            using var response = await client.GetAsync(path);
            var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.NotFound, reason);
            Assert.Equal(ApiErrors.ControlPlaneVersion, response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
            Assert.Equal(operation, (string?)error["control_plane"]!["operation"]);
            Assert.Equal(path.Split('/')[3], (string?)error["workflow_id"]);
            Assert.Equal(reason == "instance_not_found" ? "Workflow not found." : "Workflow run not found.", (string?)error["message"]);
        }

        foreach (var (client, path) in new[] { (admin, $"/api/workflows/{id}/runs/{unknownRun}/history/export"), (elsewhere, $"/api/workflows/{id}/runs/{runId}/history/export") })
        {
            using var response = await client.GetAsync(path);
            var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.NotFound, "run_not_found");
            Assert.Equal(ApiErrors.ControlPlaneVersion, response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
            Assert.False(error.ContainsKey("control_plane"));
            Assert.Equal(id, (string?)error["workflow_id"]);
            Assert.Equal(path.Split('/')[5], (string?)error["run_id"]);
        }

        var listed = await ListAsync(elsewhere, "workflow_type=missing.checks");
        Assert.Empty(Ids(listed));
    }

    private static async Task<string> StartAsync(HttpClient client, JsonObject body)
    {
        var started = await SendJsonAsync(client, HttpMethod.Post, "/api/workflows", body.ToJsonString(), HttpStatusCode.Created);
        return (string)started["workflow_id"]!;
    }

    private static Task<JsonObject> ListAsync(HttpClient client, string query) =>
        GetJsonAsync(client, $"/api/workflows?{query}", HttpStatusCode.OK);

    private static List<string> Ids(JsonObject list) =>
        list["workflows"]!.AsArray().Select(w => (string)w!["workflow_id"]!).ToList();

    private static async Task<JsonObject> GetJsonAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(path);
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static async Task<JsonObject> SendJsonAsync(HttpClient client, HttpMethod method, string path, string body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = ServerFactory.Json(body) };
        using var response = await client.SendAsync(request);
        return await HttpAssert.JsonAsync(response, expected);
    }

    /// <summary>Sends a fixture's request (method from the fixture) to <paramref name="path"/>, which may re-target its run.</summary>
    private static async Task<JsonObject> SendFixtureAsync(HttpClient client, ControlPlaneFixture fixture, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(fixture.Method), path);
        using var response = await client.SendAsync(request);
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>The fixture path with its illustrative run id replaced by a run the server created.</summary>
    private static string RunPath(ControlPlaneFixture fixture, string runId) =>
        fixture.Path.Replace((string)fixture.Semantic["run_id"]!, runId, StringComparison.Ordinal);

    private async Task<long[]> CountRowsAsync() =>
    [
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_instances"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_commands"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_history_events"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_tasks"),
    ];

    /// <summary>What the engine does on continue-as-new, reduced to its effect on the rows these reads use.</summary>
    private async Task<string> ContinueAsNewAsync(JsonObject current)
    {
        var services = server.Services;
        await using var tx = await EngineTransaction.BeginAsync(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<WakeBus>(), CancellationToken.None);
        var oldRunId = (string)current["run_id"]!;
        await using (var close = tx.Command(
            "UPDATE workflow_runs SET status = 'completed', closed_reason = 'continued', closed_at = now() WHERE id = $1", oldRunId))
        {
            await close.ExecuteNonQueryAsync();
        }

        await using (var cancel = tx.Command("UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE run_id = $1 AND status IN ('ready', 'leased')", oldRunId))
        {
            await cancel.ExecuteNonQueryAsync();
        }

        var next = await RunWriter.InsertAsync(tx, new NewRun
        {
            Namespace = (string)current["namespace"]!,
            InstanceId = (string)current["workflow_id"]!,
            RunNumber = 2,
            WorkflowType = (string)current["workflow_type"]!,
            TaskQueue = (string)current["task_queue"]!,
            Arguments = current["input_envelope"]!.DeepClone().AsObject(),
            Memo = current["memo"]!.DeepClone().AsObject(),
            SearchAttributes = current["search_attributes"]!.DeepClone().AsObject(),
            ExecutionTimeoutSeconds = (int?)current["execution_timeout_seconds"],
            RunTimeoutSeconds = (int?)current["run_timeout_seconds"],
            ContinuedFromRunId = oldRunId,
            RecordStartAccepted = false,
        }, CancellationToken.None);

        await using (var instance = tx.Command(
            "UPDATE workflow_instances SET current_run_id = $2, run_count = 2 WHERE id = $1", (string)current["workflow_id"]!, next.RunId))
        {
            await instance.ExecuteNonQueryAsync();
        }

        await using (var link = tx.Command("UPDATE workflow_runs SET continued_to_run_id = $2 WHERE id = $1", oldRunId, next.RunId))
        {
            await link.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync(CancellationToken.None);
        return next.RunId;
    }

    private static async Task AppendEventAsync(ServerFactory factory, string runId, string eventType)
    {
        var services = factory.Services;
        await using var tx = await EngineTransaction.BeginAsync(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<WakeBus>(), CancellationToken.None);
        await using (var lockRun = tx.Command("SELECT 1 FROM workflow_runs WHERE id = $1 FOR NO KEY UPDATE", runId))
        {
            await lockRun.ExecuteScalarAsync();
        }

        await HistoryStore.AppendAsync(tx, runId, [new NewHistoryEvent(eventType, new JsonObject { ["signal_name"] = "go" })], null, null, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }
}
