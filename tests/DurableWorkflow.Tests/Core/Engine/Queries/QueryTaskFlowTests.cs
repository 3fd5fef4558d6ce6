using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.Queries;

/// <summary>Worker-routed queries end to end (worker-protocol spec §5, control-plane spec §4.6.2).</summary>
public sealed class QueryTaskFlowTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_query_is_answered_by_a_worker_polling_concurrently()
    {
        var fixture = SharedFixtures.ControlPlane("workflow-query-parity");
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var path = fixture.Path.Replace("wf-polyglot-231", workflowId, StringComparison.Ordinal);

        var query = CommandFlow.PostAsync(flow.Control, path, fixture.Json["cli"]!["expected_body"]!.ToJsonString(), HttpStatusCode.OK);
        var task = await PollQueryTaskAsync(flow);

        Assert.Equal(1, (int)task["query_task_attempt"]!);
        Assert.Equal(workflowId, (string?)task["workflow_id"]);
        Assert.Equal((string?)started["run_id"], (string?)task["run_id"]);
        Assert.Equal("demo", (string?)task["workflow_type"]);
        Assert.Equal((string?)fixture.Semantic["query_name"], (string?)task["query_name"]);
        Assert.Equal("avro", (string?)task["payload_codec"]);
        Assert.Equal(CommandFlow.WorkerId, (string?)task["lease_owner"]);
        Assert.Equal(flow.Queue, (string?)task["task_queue"]);
        Assert.Equal("""["start-arg"]""", CommandFlow.Decode(task["workflow_arguments"]!["blob"])!.ToJsonString());
        Assert.Equal(fixture.Semantic["input"]!.ToJsonString(), CommandFlow.Decode(task["query_arguments"]!["blob"])!.ToJsonString());
        var history = task["history_events"]!.AsArray();
        Assert.Equal(["StartAccepted", "WorkflowStarted"], history.Select(e => (string)e!["event_type"]!));
        Assert.Equal((long)task["last_history_sequence"]!, (long)history[^1]!["sequence"]!);
        Assert.NotNull(history[0]!["recorded_at"]);

        var completeFixture = SharedFixtures.ControlPlane("query-task-complete-parity");
        var completeBody = completeFixture.Json["sdk_python"]!["request_body"]!.AsObject().DeepClone().AsObject();
        completeBody["lease_owner"] = CommandFlow.WorkerId;
        var completed = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/complete", completeBody, HttpStatusCode.OK);
        Assert.Equal("completed", (string?)completed["outcome"]);
        Assert.Equal((string?)task["query_task_id"], (string?)completed["query_task_id"]);
        Assert.Equal(1, (int)completed["query_task_attempt"]!);

        var answer = await query;
        // Stored as jsonb, so object keys may come back reordered; the value is the same.
        Assert.True(JsonNode.DeepEquals(completeBody["result"], answer["result"]), answer["result"]?.ToJsonString());
        Assert.Equal(completeBody["result_envelope"]!.ToJsonString(), answer["result_envelope"]!.ToJsonString());
        Assert.Equal("instance", (string?)answer["target_scope"]);
        Assert.Equal((string?)fixture.Semantic["query_name"], (string?)answer["query_name"]);
        Assert.True(answer.ContainsKey("reason") && answer["reason"] is null);
        CommandFlow.AssertContractBlock(answer, "query");
        Assert.True(answer["control_plane"]!.AsObject().ContainsKey("result"));

        var again = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/complete", completeBody, HttpStatusCode.Conflict);
        Assert.Equal("query_task_not_leased", (string?)again["reason"]);
        Assert.Equal("rejected", (string?)again["outcome"]);
    }

    [Fact]
    public async Task worker_failures_map_to_404_for_unknown_queries_and_409_otherwise()
    {
        var failFixture = SharedFixtures.ControlPlane("query-task-fail-parity");
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var path = $"/api/workflows/{started["workflow_id"]}/runs/{started["run_id"]}/query/status";

        var unknown = ControlErrorAsync(flow, path, HttpStatusCode.NotFound, "rejected_unknown_query");
        var task = await PollQueryTaskAsync(flow);
        var failBody = failFixture.Json["request"]!["body"]!.AsObject().DeepClone().AsObject();
        failBody["lease_owner"] = CommandFlow.WorkerId;
        var failed = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/fail", failBody, HttpStatusCode.OK);
        Assert.Equal("failed", (string?)failed["outcome"]);
        Assert.Equal((string?)failFixture.Semantic["reason"], (string?)failed["reason"]);
        var error = await unknown;
        Assert.Equal((string?)failBody["failure"]!["message"], (string?)error["message"]);
        Assert.Equal("run", (string?)error["target_scope"]);

        var rejected = ControlErrorAsync(flow, path, HttpStatusCode.Conflict, "query_rejected");
        task = await PollQueryTaskAsync(flow);
        await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/fail",
            new JsonObject { ["lease_owner"] = CommandFlow.WorkerId, ["query_task_attempt"] = 1, ["failure"] = new JsonObject { ["message"] = "boom" } },
            HttpStatusCode.OK);
        Assert.Equal("boom", (string?)(await rejected)["message"]);
    }

    [Fact]
    public async Task completion_is_guarded_by_id_owner_and_attempt()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var query = CommandFlow.PostAsync(flow.Control, $"/api/workflows/{started["workflow_id"]}/query/status", "{}", HttpStatusCode.OK);
        var task = await PollQueryTaskAsync(flow);
        var id = (string)task["query_task_id"]!;
        Assert.Equal("[]", CommandFlow.Decode(task["query_arguments"]!["blob"])!.ToJsonString());

        var missing = await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/query-task-231/complete",
            """{"lease_owner":"w1","query_task_attempt":1}""", HttpStatusCode.NotFound);
        Assert.Equal("query_task_not_found", (string?)missing["reason"]);
        Assert.Equal("Query task not found.", (string?)missing["error"]);
        var owner = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{id}/complete",
            """{"lease_owner":"other","query_task_attempt":1}""", HttpStatusCode.Conflict);
        Assert.Equal("lease_owner_mismatch", (string?)owner["reason"]);
        var attempt = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{id}/complete",
            """{"lease_owner":"w1","query_task_attempt":2}""", HttpStatusCode.Conflict);
        Assert.Equal("query_task_attempt_mismatch", (string?)attempt["reason"]);
        Assert.Equal(1, (int)attempt["current_attempt"]!);
        var invalid = await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{id}/complete",
            """{"lease_owner":"w1","query_task_attempt":1,"result_envelope":{"codec":"avro"}}""", HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(invalid["errors"]!["result_envelope.blob"]);

        await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{id}/complete",
            """{"lease_owner":"w1","query_task_attempt":1,"result":"waiting"}""", HttpStatusCode.OK);
        var answer = await query;
        Assert.Equal("waiting", (string?)answer["result"]);
        Assert.Null(answer["result_envelope"]);
    }

    [Fact]
    public async Task a_query_without_an_eligible_worker_is_refused_with_409()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var path = $"/api/workflows/{started["workflow_id"]}/query/status";

        await ControlErrorAsync(flow, path, HttpStatusCode.Conflict, "query_worker_unavailable");
        await flow.RegisterAsync("php-worker", runtime: "php");
        await flow.RegisterAsync("other-types", supportedTypes: ["something-else"]);
        await ControlErrorAsync(flow, path, HttpStatusCode.Conflict, "query_worker_unavailable");
        await flow.RegisterAsync("stale");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '1 hour' WHERE worker_id = 'stale'");
        var error = await ControlErrorAsync(flow, path, HttpStatusCode.Conflict, "query_worker_unavailable");

        Assert.Null(error["result"]);
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_query_tasks WHERE run_id = '{started["run_id"]}'"));
    }

    [Fact]
    public async Task a_query_on_a_historical_run_or_unknown_workflow_is_refused()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();

        var historical = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{started["workflow_id"]}/runs/01hw0000000000000000000000/query/status",
            "{}", HttpStatusCode.Conflict, "historical_run_command_rejected", "query");
        Assert.Equal("run", (string?)historical["target_scope"]);
        await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{started["workflow_id"]}/query/bad%7Fname", "{}",
            HttpStatusCode.UnprocessableEntity, "validation_failed", "query");
    }

    [Fact]
    public async Task an_unanswered_query_times_out_with_504_and_the_queue_cap_answers_429()
    {
        using var limited = ServerFactory.WithRoleTokens(database.ConnectionString,
            ("DW_QUERY_TASK_TIMEOUT", "2"), ("DW_QUERY_TASK_MAX_PENDING_PER_QUEUE", "1"));
        using var flow = new CommandFlow(limited);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var path = $"/api/workflows/{started["workflow_id"]}/query/status";

        var first = ControlErrorAsync(flow, path, HttpStatusCode.GatewayTimeout, "query_worker_timeout");
        await HttpAssert.EventuallyAsync(async () =>
        {
            var pending = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_query_tasks WHERE run_id = '{started["run_id"]}' AND status = 'pending'");
            return (pending == 1, $"{pending} pending");
        }, TimeSpan.FromSeconds(2));
        var full = await ControlErrorAsync(flow, path, HttpStatusCode.TooManyRequests, "query_task_queue_full");
        Assert.Equal(1, (int)full["limit"]!);

        await first;
        Assert.Equal("timed_out", await database.ScalarAsync<string>($"SELECT status FROM workflow_query_tasks WHERE run_id = '{started["run_id"]}'"));
        var late = await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/poll",
            new JsonObject { ["worker_id"] = CommandFlow.WorkerId, ["task_queue"] = flow.Queue, ["timeout_seconds"] = 0 }, HttpStatusCode.OK);
        Assert.Null(late["task"]);
        Assert.Equal("empty", (string?)late["poll_status"]);
    }

    [Fact]
    public async Task the_poll_fixture_body_leases_a_task_of_its_queue()
    {
        var fixture = SharedFixtures.ControlPlane("query-task-poll-parity");
        var body = fixture.Body!;
        using var flow = new CommandFlow(server, (string)body["task_queue"]!);
        await flow.RegisterAsync((string)body["worker_id"]!);
        var started = await flow.StartAsync();
        var query = CommandFlow.PostAsync(flow.Control, $"/api/workflows/{started["workflow_id"]}/query/current_status", "{}", HttpStatusCode.OK);

        using var request = fixture.ToRequest();
        using var response = await flow.Worker.SendAsync(request);
        var task = (await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["task"]!.AsObject();

        Assert.Equal((string?)body["worker_id"], (string?)task["lease_owner"]);
        Assert.Equal("current_status", (string?)task["query_name"]);
        await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/complete",
            new JsonObject { ["lease_owner"] = body["worker_id"]!.DeepClone(), ["query_task_attempt"] = 1, ["result"] = "ok" }, HttpStatusCode.OK);
        Assert.Equal("ok", (string?)(await query)["result"]);
    }

    private static async Task<JsonObject> PollQueryTaskAsync(CommandFlow flow, string workerId = CommandFlow.WorkerId)
    {
        var poll = await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = flow.Queue, ["timeout_seconds"] = 10 }, HttpStatusCode.OK);
        return Assert.IsType<JsonObject>(poll["task"]);
    }

    private static Task<JsonObject> ControlErrorAsync(CommandFlow flow, string path, HttpStatusCode expected, string reason) =>
        CommandFlow.ControlErrorAsync(flow.Control, path, "{}", expected, reason, "query");
}
