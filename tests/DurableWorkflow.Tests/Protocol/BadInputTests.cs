using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Xunit.Abstractions;
using ProtocolWorker = DurableWorkflow.TestWorker.TestWorker;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// Bad input on every worker-plane route gets the documented error in the worker envelope (reason, message or error,
/// protocol_version, server_capabilities; worker-protocol §1.6, §1.7, §1.11) and leaves the database unchanged.
/// </summary>
public sealed class BadInputTests(ProtocolServer fixture, ITestOutputHelper output)
    : ProtocolTest(output, fixture.Server), IClassFixture<ProtocolServer>
{
    private const string UnknownId = "01zzzzzzzzzzzzzzzzzzzzzzzz";

    private ServerProcess Server => fixture.Server;

    private string Db => fixture.Database.ConnectionString;

    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "/api/worker/register" },
        { "POST", "/api/worker/heartbeat" },
        { "DELETE", "/api/worker/registrations/py-worker-unknown" },
        { "POST", "/api/worker/workflow-tasks/poll" },
        { "POST", $"/api/worker/workflow-tasks/{UnknownId}/history" },
        { "POST", $"/api/worker/workflow-tasks/{UnknownId}/heartbeat" },
        { "POST", $"/api/worker/workflow-tasks/{UnknownId}/complete" },
        { "POST", $"/api/worker/workflow-tasks/{UnknownId}/fail" },
        { "POST", "/api/worker/activity-tasks/poll" },
        { "POST", $"/api/worker/activity-tasks/{UnknownId}/complete" },
        { "POST", $"/api/worker/activity-tasks/{UnknownId}/fail" },
        { "POST", $"/api/worker/activity-tasks/{UnknownId}/heartbeat" },
        { "POST", "/api/worker/query-tasks/poll" },
        { "POST", $"/api/worker/query-tasks/{UnknownId}/complete" },
        { "POST", $"/api/worker/query-tasks/{UnknownId}/fail" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task malformed_json_wrong_media_type_bad_version_unknown_namespace_and_invalid_fields_are_refused_without_writes(string method, string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var worker = Server.Worker("q-bad-input");
        var verb = new HttpMethod(method);
        var hasBody = method == "POST";
        var before = await DatabaseSnapshot.CountsAsync(Db);

        if (hasBody)
        {
            ProtocolAssert.WorkerError(await worker.SendBytesAsync(verb, path, Encoding.UTF8.GetBytes("{\"worker_id\":"), ct), HttpStatusCode.BadRequest, "malformed_json");
            ProtocolAssert.WorkerError(await worker.SendBytesAsync(verb, path, Encoding.UTF8.GetBytes("worker_id=x"), ct,
                adjust: r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
            var invalid = ProtocolAssert.WorkerError(await worker.SendAsync(verb, path, new JsonObject(), ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
            Assert.True(invalid["errors"] is JsonObject { Count: > 0 }, $"errors map missing: {invalid.ToJsonString()}");
            Assert.Equal(invalid["errors"]!.ToJsonString(), invalid["validation_errors"]?.ToJsonString());
        }

        JsonNode? body = hasBody ? new JsonObject() : null;
        ProtocolAssert.WorkerError(await worker.SendAsync(verb, path, body, ct,
            adjust: r => r.Headers.Remove("X-Durable-Workflow-Protocol-Version")), HttpStatusCode.BadRequest, "missing_protocol_version");
        var unsupported = ProtocolAssert.WorkerError(await worker.SendAsync(verb, path, body, ct, adjust: r =>
        {
            r.Headers.Remove("X-Durable-Workflow-Protocol-Version");
            r.Headers.Add("X-Durable-Workflow-Protocol-Version", "2.0");
        }), HttpStatusCode.BadRequest, "unsupported_protocol_version");
        Assert.Equal("2.0", (string?)unsupported["requested_version"]);
        ProtocolAssert.WorkerError(await worker.SendAsync(verb, path, body, ct, adjust: r =>
        {
            r.Headers.Remove("X-Namespace");
            r.Headers.Add("X-Namespace", "no-such-namespace");
        }), HttpStatusCode.NotFound, "namespace_not_found");

        Assert.Equal(before, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task polls_and_heartbeats_of_unregistered_or_mismatched_workers_are_refused_without_writes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var registered = Server.Worker(queue);
        using var stranger = Server.Worker(queue);
        using var otherQueue = Server.Worker(Queue(), new TestWorkerOptions { WorkerId = registered.WorkerId });
        (await registered.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        var before = await DatabaseSnapshot.CountsAsync(Db);

        var notRegistered = ProtocolAssert.WorkerError(await stranger.PollWorkflowTaskRawAsync(0, ProtocolWorker.NewPollRequestId(), ct), HttpStatusCode.PreconditionFailed, "worker_not_registered");
        Assert.Equal(stranger.WorkerId, (string?)notRegistered["worker_id"]);
        ProtocolAssert.WorkerError(await stranger.PollActivityTaskRawAsync(0, ProtocolWorker.NewPollRequestId("activity-poll"), ct), HttpStatusCode.PreconditionFailed, "worker_not_registered");
        ProtocolAssert.WorkerError(await stranger.PollQueryTaskRawAsync(0, ProtocolWorker.NewPollRequestId("query-poll"), ct), HttpStatusCode.PreconditionFailed, "worker_not_registered");
        ProtocolAssert.WorkerError(await stranger.HeartbeatAsync(ct), HttpStatusCode.NotFound, "worker_not_registered");
        ProtocolAssert.WorkerError(await stranger.DeregisterAsync(ct), HttpStatusCode.NotFound, "worker_not_found");

        var mismatch = ProtocolAssert.WorkerError(await otherQueue.PollWorkflowTaskRawAsync(0, ProtocolWorker.NewPollRequestId(), ct), HttpStatusCode.Conflict, "task_queue_mismatch");
        Assert.Equal(queue, (string?)mismatch["registered_task_queue"]);
        ProtocolAssert.WorkerError(await otherQueue.PollActivityTaskRawAsync(0, ProtocolWorker.NewPollRequestId("activity-poll"), ct), HttpStatusCode.Conflict, "task_queue_mismatch");

        var negative = registered.WorkflowPollBody(0, ProtocolWorker.NewPollRequestId());
        negative["timeout_seconds"] = -1;
        ProtocolAssert.WorkerError(await registered.SendAsync(HttpMethod.Post, "/api/worker/workflow-tasks/poll", negative, ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        var badRuntime = registered.RegistrationBody();
        badRuntime.Remove("runtime");
        badRuntime["worker_id"] = $"py-worker-{Guid.NewGuid():N}";
        ProtocolAssert.WorkerError(await registered.SendAsync(HttpMethod.Post, "/api/worker/register", badRuntime, ct), HttpStatusCode.UnprocessableEntity, "validation_failed");

        Assert.Equal(before, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task workflow_task_calls_refused_by_validation_or_the_ownership_guard_leave_the_task_untouched()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var holder = Server.Worker(queue);
        using var intruder = Server.Worker(queue);
        await holder.RegisterAsync(ct);
        await intruder.RegisterAsync(ct);
        ProtocolAssert.Ok(await control.StartWorkflowAsync("guarded", queue, [], ct), HttpStatusCode.Created);
        var task = await holder.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(task);
        var before = await DatabaseSnapshot.CountsAsync(Db);
        var row = await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId);
        var complete = $"/api/worker/workflow-tasks/{task.TaskId}/complete";

        var empty = ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(task, [], ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.True(empty["errors"]!.AsObject().ContainsKey("commands"), empty.ToJsonString());
        var unknown = ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(task, [new JsonObject { ["type"] = "cancel_timer" }], ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.True(unknown["errors"]!.AsObject().ContainsKey("commands.0.type"), unknown.ToJsonString());
        ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(task, [Commands.StartTimer(-1)], ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        ProtocolAssert.WorkerError(await holder.SendAsync(HttpMethod.Post, complete, new JsonObject
        {
            ["lease_owner"] = holder.WorkerId,
            ["commands"] = new JsonArray(Commands.CompleteWorkflow(null)),
        }, ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow("a"), Commands.FailWorkflow("b")], ct), HttpStatusCode.Conflict, "invalid_commands");
        ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(UnknownId, 1, [Commands.CompleteWorkflow(null)], ct), HttpStatusCode.NotFound, "task_not_found");

        var owner = ProtocolAssert.WorkerError(await intruder.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow(null)], ct), HttpStatusCode.Conflict, "lease_owner_mismatch");
        Assert.Equal(holder.WorkerId, (string?)owner["lease_owner"]);
        var attempt = ProtocolAssert.WorkerError(await holder.CompleteWorkflowTaskAsync(task.TaskId, 2, [Commands.CompleteWorkflow(null)], ct), HttpStatusCode.Conflict, "workflow_task_attempt_mismatch");
        Assert.Equal(1, (int)attempt["current_attempt"]!);
        ProtocolAssert.WorkerError(await intruder.FailWorkflowTaskAsync(task, "not mine", null, ct), HttpStatusCode.Conflict, "lease_owner_mismatch");
        ProtocolAssert.WorkerError(await holder.SendAsync(HttpMethod.Post, $"/api/worker/workflow-tasks/{task.TaskId}/fail", new JsonObject
        {
            ["lease_owner"] = holder.WorkerId,
            ["workflow_task_attempt"] = 1,
            ["failure"] = new JsonObject { ["type"] = "NoMessage" },
        }, ct), HttpStatusCode.UnprocessableEntity, "validation_failed");
        ProtocolAssert.WorkerError(await intruder.SendAsync(HttpMethod.Post, $"/api/worker/workflow-tasks/{task.TaskId}/heartbeat", new JsonObject
        {
            ["lease_owner"] = intruder.WorkerId,
            ["workflow_task_attempt"] = 1,
        }, ct), HttpStatusCode.Conflict, "lease_owner_mismatch");
        ProtocolAssert.WorkerError(await holder.HistoryPageRawAsync(task, "not base64 digits!", ct), HttpStatusCode.BadRequest, "invalid_page_token");
        ProtocolAssert.WorkerError(await intruder.HistoryPageRawAsync(new WorkflowTask(task.Json), "NTAw", ct), HttpStatusCode.Conflict, "lease_owner_mismatch");

        Assert.Equal(row, await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId));
        Assert.Equal(before, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task activity_and_query_task_calls_for_unknown_tasks_are_refused_without_writes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var worker = Server.Worker(Queue());
        await worker.RegisterAsync(ct);
        var before = await DatabaseSnapshot.CountsAsync(Db);
        var activity = new ActivityTask(new JsonObject { ["task_id"] = UnknownId, ["activity_attempt_id"] = UnknownId });
        var query = new QueryTask(new JsonObject { ["query_task_id"] = UnknownId, ["query_task_attempt"] = 1 });

        ProtocolAssert.WorkerError(await worker.CompleteActivityTaskAsync(activity, "x", ct), HttpStatusCode.NotFound, "task_not_found");
        ProtocolAssert.WorkerError(await worker.FailActivityTaskAsync(activity, "boom", "Boom", nonRetryable: true, ct), HttpStatusCode.NotFound, "task_not_found");
        ProtocolAssert.WorkerError(await worker.HeartbeatActivityTaskAsync(activity, null, ct), HttpStatusCode.NotFound, "task_not_found");
        ProtocolAssert.WorkerError(await worker.CompleteQueryTaskAsync(query, "x", ct), HttpStatusCode.NotFound, "query_task_not_found");
        ProtocolAssert.WorkerError(await worker.FailQueryTaskAsync(query, "no", "query_rejected", ct), HttpStatusCode.NotFound, "query_task_not_found");

        Assert.Equal(before, await DatabaseSnapshot.CountsAsync(Db));
    }

    private static string Queue() => $"q-{Guid.NewGuid():N}";
}
