using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Xunit.Abstractions;
using ProtocolWorker = DurableWorkflow.TestWorker.TestWorker;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// Worker-protocol §8 reproduced call by call, over HTTP against the real server process: the exact requests the
/// Python SDK sends, and every field of each answer the SDK reads.
/// </summary>
public sealed class PythonCallSequenceTests(ProtocolServer fixture, ITestOutputHelper output)
    : ProtocolTest(output, fixture.Server), IClassFixture<ProtocolServer>
{
    private static readonly string[] ResumeKeys =
    [
        "workflow_wait_kind", "open_wait_id", "resume_source_kind", "resume_source_id", "workflow_update_id", "workflow_signal_id",
        "signal_name", "signal_wait_id", "workflow_command_id", "activity_execution_id", "activity_attempt_id", "activity_type",
        "child_call_id", "child_workflow_run_id", "workflow_sequence", "workflow_event_type", "timer_id", "condition_wait_id",
        "condition_key", "condition_definition_fingerprint",
    ];

    private ServerProcess Server => fixture.Server;

    [Fact]
    public async Task s8_1_start_up_cluster_info_passes_every_python_check_then_register_and_heartbeat()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var control = Server.Control();

        // 1. GET /api/cluster/info (control-plane header): every check Worker.run() makes before it registers. All
        //    violations are collected, so one run names everything the Python SDK would refuse.
        var info = ProtocolAssert.Ok(await control.ClusterInfoAsync(ct));
        var python = new ClusterInfoChecks(info);
        python.Equal("control_plane.version", "2");
        python.Equal("control_plane.request_contract.schema", "durable-workflow.v2.control-plane-request.contract");
        python.One("control_plane.request_contract.version");
        python.Check("worker_protocol.version", node => node is JsonValue v && v.TryGetValue<string>(out var text)
            && text.Split('.') is [var major, var minorText] && major == "1" && int.TryParse(minorText, out var minor) && minor >= 1, "1.N with N >= 1");
        python.Check("worker_protocol.server_capabilities.query_tasks", node => node is JsonValue v && v.TryGetValue<bool>(out var on) && on, "true");
        python.Check("worker_protocol.server_capabilities.long_poll_timeout", node => node is JsonValue v && v.TryGetValue<int>(out var seconds) && seconds is > 0 and <= 60, "an integer 1..60");
        python.Equal("auth_composition_contract.schema", "durable-workflow.v2.auth-composition.contract");
        python.One("auth_composition_contract.version");
        python.StringList("auth_composition_contract.precedence.connection_values");
        python.StringList("auth_composition_contract.precedence.profile_selection");
        python.Check("auth_composition_contract.canonical_environment", node => node is JsonObject map && map.All(p => p.Value is JsonValue v && v.TryGetValue<string>(out _)), "an object of strings");
        python.Equal("auth_composition_contract.canonical_environment.server_url", "DURABLE_WORKFLOW_SERVER_URL");
        python.Equal("auth_composition_contract.canonical_environment.namespace", "DURABLE_WORKFLOW_NAMESPACE");
        python.Equal("auth_composition_contract.canonical_environment.auth_token", "DURABLE_WORKFLOW_AUTH_TOKEN");
        python.Equal("auth_composition_contract.canonical_environment.tls_verify", "DURABLE_WORKFLOW_TLS_VERIFY");
        python.Equal("auth_composition_contract.canonical_environment.profile", "DW_ENV");
        python.Equal("auth_composition_contract.auth_material.token.status", "supported");
        python.Equal("auth_composition_contract.auth_material.token.effective_config_value", "redacted");
        python.Equal("auth_composition_contract.auth_material.mtls.status", "reserved");
        python.Equal("auth_composition_contract.auth_material.signed_headers.status", "reserved");
        python.Contains("auth_composition_contract.effective_config.required_fields", "server_url", "namespace", "profile", "auth", "tls", "identity");
        python.Contains("auth_composition_contract.redaction.never_echo", "bearer_tokens", "private_keys", "raw_authorization_headers");
        Assert.True(python.Violations.Count == 0,
            $"The Python SDK refuses to start against this cluster info:{Environment.NewLine}{string.Join(Environment.NewLine, python.Violations)}");
        var longPoll = info["worker_protocol"]!["server_capabilities"]!["long_poll_timeout"]!.GetValue<int>();

        // 2. POST /api/worker/register with Python's body; Python accepts any 2xx and adopts heartbeat_interval_seconds.
        using var worker = Server.Worker(Queue(), new TestWorkerOptions { Workflows = new Dictionary<string, WorkflowScript> { ["order.process"] = WorkflowScripts.CompleteWith(null) } });
        worker.ServerLongPollTimeout = longPoll;
        var registered = await worker.RegisterAsync(ct);
        Assert.True(registered.StatusCode is >= 200 and < 300, $"register: {registered}");
        var body = ProtocolAssert.WorkerEnvelope(registered);
        Assert.Equal(worker.WorkerId, Text(body, "worker_id"));
        Assert.True(body["registered"]?.GetValue<bool>(), $"registered: {registered}");
        if (body["heartbeat_interval_seconds"] is { } interval)
        {
            Assert.True(interval.GetValue<int>() > 0, $"heartbeat_interval_seconds: {registered}");
        }

        // 3. The heartbeat loop's call.
        var heartbeat = await worker.HeartbeatAsync(ct);
        var beat = ProtocolAssert.WorkerEnvelope(heartbeat.Expect(HttpStatusCode.OK));
        Assert.Equal(worker.WorkerId, Text(beat, "worker_id"));
        Assert.True(beat["acknowledged"]?.GetValue<bool>(), $"heartbeat: {heartbeat}");

        // An empty poll is held and answered {"task": null}.
        var empty = await worker.PollWorkflowTaskRawAsync(1, ProtocolWorker.NewPollRequestId(), ct);
        Assert.True(empty.Status == HttpStatusCode.OK, $"poll: {empty}");
        Assert.True(ProtocolAssert.WorkerEnvelope(empty).ContainsKey("task"));
        Assert.Null(empty.Json["task"]);
        Assert.InRange(empty.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task s8_2_to_8_4_start_run_one_activity_complete_and_read_the_result_as_python_does()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue, new TestWorkerOptions
        {
            Workflows = new Dictionary<string, WorkflowScript> { ["order.process"] = WorkflowScripts.OneActivity("charge_card", queue) },
            Activities = new Dictionary<string, Func<JsonArray, JsonNode?>> { ["charge_card"] = args => $"charged:{args[0]}" },
        });
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);

        // §8.2 POST /api/workflows exactly as Client.start_workflow sends it.
        var workflowId = $"order-{Guid.NewGuid():N}";
        var startBody = ControlClient.StartBody("order.process", queue, ["order-42"], workflowId);
        Assert.Equal("wwHioz3/VYAiNwwCChBvcmRlci00MgA=", (string?)startBody["input"]!["blob"]);
        var started = ProtocolAssert.Ok(await control.StartWorkflowAsync(startBody, ct), HttpStatusCode.Created);
        Assert.Equal(workflowId, Text(started, "workflow_id"));
        Assert.Equal("order.process", Text(started, "workflow_type"));
        var runId = Text(started, "run_id")!;
        Assert.False(string.IsNullOrEmpty(runId));
        Assert.Equal("avro", Text(started, "payload_codec"));

        // Worker: poll → the first task of the new run (§3.1.5).
        var first = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(first);
        Assert.Equal(workflowId, first.WorkflowId);
        Assert.Equal(runId, first.RunId);
        Assert.Equal(1, first.Attempt);
        Assert.Equal("order.process", first.WorkflowType);
        Assert.Equal("avro", first.PayloadCodec);
        Assert.Equal(worker.WorkerId, first.LeaseOwner);
        Assert.Equal("avro", (string?)first.Json["arguments"]!["codec"]);
        Assert.Equal("[\"order-42\"]", Payloads.DecodeArguments(first.Json["arguments"]).ToJsonString());
        Assert.Equal(["StartAccepted", "WorkflowStarted"], first.HistoryEvents.Select(e => (string)e["event_type"]!));
        Assert.Null(first.NextHistoryPageToken);
        Assert.All(ResumeKeys, key => Assert.True(first.Json.ContainsKey(key), $"resume key {key} missing"));
        Assert.Null(first.Json["workflow_update_id"]);

        // §8.3.1 complete with schedule_activity.
        var scheduled = await worker.ExecuteWorkflowTaskAsync(first, ct);
        var scheduledBody = ProtocolAssert.WorkerEnvelope(scheduled.Response.Expect(HttpStatusCode.OK));
        Assert.Equal("completed", Text(scheduledBody, "outcome"));
        Assert.True(scheduledBody["recorded"]!.GetValue<bool>());
        Assert.Equal("waiting", Text(scheduledBody, "run_status"));
        var created = scheduledBody["created_task_ids"]!.AsArray();
        Assert.Single(created);

        // §8.3.2 activity poll.
        var activity = await worker.PollActivityTaskAsync(10, ct);
        Assert.NotNull(activity);
        Assert.Equal((string?)created[0], activity.TaskId);
        Assert.Equal("charge_card", activity.ActivityType);
        Assert.Equal("avro", activity.PayloadCodec);
        Assert.Equal(1, activity.AttemptNumber);
        Assert.Equal(workflowId, activity.WorkflowId);
        Assert.Equal(runId, activity.RunId);
        Assert.Equal(worker.WorkerId, activity.Text("lease_owner"));
        Assert.Equal("[\"order-42\"]", activity.Arguments.ToJsonString());

        // §8.3.3 heartbeat, §8.3.4 complete.
        var beat = ProtocolAssert.WorkerEnvelope((await worker.HeartbeatActivityTaskAsync(activity, new JsonObject { ["progress"] = 50 }, ct)).Expect(HttpStatusCode.OK));
        Assert.True(beat["can_continue"]!.GetValue<bool>());
        Assert.False(beat["cancel_requested"]!.GetValue<bool>());
        var completedActivity = ProtocolAssert.WorkerEnvelope((await worker.ExecuteActivityTaskAsync(activity, ct)).Expect(HttpStatusCode.OK));
        Assert.Equal("completed", Text(completedActivity, "outcome"));
        Assert.True(completedActivity["recorded"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(Text(completedActivity, "next_task_id")));

        // §8.3.5 the resume task carries the activity's history with one shared step sequence.
        var second = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(second);
        Assert.Equal(Text(completedActivity, "next_task_id"), second.TaskId);
        Assert.Equal("activity", second.WaitKind);
        Assert.Equal("ActivityCompleted", second.Text("workflow_event_type"));
        var history = await worker.FullHistoryAsync(second, ct);
        var types = history.Select(e => (string)e["event_type"]!).ToList();
        string[] expected = ["StartAccepted", "WorkflowStarted", "ActivityScheduled", "ActivityStarted", "ActivityCompleted"];
        Assert.Equal(expected, types.Where(expected.Contains));
        var scheduledEvent = history.Single(e => (string?)e["event_type"] == "ActivityScheduled")["payload"]!;
        var completedEvent = history.Single(e => (string?)e["event_type"] == "ActivityCompleted")["payload"]!;
        Assert.Equal(1, (int)scheduledEvent["sequence"]!);
        Assert.Equal(1, (int)completedEvent["sequence"]!);
        Assert.Equal("avro", (string?)completedEvent["payload_codec"]);
        Assert.Equal("charged:order-42", (string?)Payloads.Decode(completedEvent["result"]));

        // §8.4.1 complete_workflow with the activity's result.
        var finished = await worker.ExecuteWorkflowTaskAsync(second, ct);
        var finishedBody = ProtocolAssert.WorkerEnvelope(finished.Response.Expect(HttpStatusCode.OK));
        Assert.Equal("completed", Text(finishedBody, "run_status"));
        Assert.Empty(finishedBody["created_task_ids"]!.AsArray());

        // §8.4.2 get_result: describe until terminal, history, scan from the end for WorkflowCompleted.
        var result = await control.GetResultAsync(workflowId, TimeSpan.FromSeconds(30), ct);
        Assert.Equal("completed", result.Status);
        Assert.Equal(runId, result.RunId);
        Assert.Equal("charged:order-42", (string?)result.Output);
        // §8.4.3 describe_workflow decodes the envelopes in preference to the plain fields.
        Assert.Equal("avro", Text(result.Describe, "payload_codec"));
        Assert.Equal("[\"order-42\"]", Payloads.Decode(result.Describe["input_envelope"])!.ToJsonString());
        Assert.Equal("charged:order-42", (string?)Payloads.Decode(result.Describe["output_envelope"]));
    }

    [Fact]
    public async Task s8_7_a_one_second_timer_fires_server_side_and_resumes_the_workflow()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue, new TestWorkerOptions
        {
            Workflows = new Dictionary<string, WorkflowScript> { ["sleeper"] = WorkflowScripts.SleepThenComplete(1, "woke") },
        });
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        var workflowId = Text(ProtocolAssert.Ok(await control.StartWorkflowAsync("sleeper", queue, [], ct), HttpStatusCode.Created), "workflow_id")!;

        var first = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(first);
        var timerStarted = ProtocolAssert.WorkerEnvelope((await worker.ExecuteWorkflowTaskAsync(first, ct)).Response.Expect(HttpStatusCode.OK));
        Assert.Equal("waiting", Text(timerStarted, "run_status"));
        Assert.Single(timerStarted["created_task_ids"]!.AsArray());

        // No worker involvement: the server fires the timer and offers a resume task.
        var resumed = await worker.PollWorkflowTaskAsync(15, ct);
        Assert.NotNull(resumed);
        Assert.Equal("timer", resumed.WaitKind);
        Assert.Equal("timer", resumed.Text("resume_source_kind"));
        Assert.Equal("TimerFired", resumed.Text("workflow_event_type"));
        var timerId = resumed.Text("timer_id");
        Assert.False(string.IsNullOrEmpty(timerId));
        Assert.Equal($"timer:{timerId}", resumed.Text("open_wait_id"));
        var history = await worker.FullHistoryAsync(resumed, ct);
        var scheduled = history.Single(e => (string?)e["event_type"] == "TimerScheduled")["payload"]!;
        var fired = history.Single(e => (string?)e["event_type"] == "TimerFired")["payload"]!;
        Assert.Equal(timerId, (string?)scheduled["timer_id"]);
        Assert.Equal(timerId, (string?)fired["timer_id"]);
        Assert.Equal(1, (int)scheduled["delay_seconds"]!);
        Assert.Equal((int)scheduled["sequence"]!, (int)fired["sequence"]!);
        Assert.Equal((int)scheduled["sequence"]!, (int)resumed.Json["workflow_sequence"]!);
        Assert.True(DateTimeOffset.Parse((string)fired["fired_at"]!, System.Globalization.CultureInfo.InvariantCulture)
            >= DateTimeOffset.Parse((string)scheduled["fire_at"]!, System.Globalization.CultureInfo.InvariantCulture), "timer fired early");

        ProtocolAssert.WorkerEnvelope((await worker.ExecuteWorkflowTaskAsync(resumed, ct)).Response.Expect(HttpStatusCode.OK));
        var result = await control.GetResultAsync(workflowId, TimeSpan.FromSeconds(30), ct);
        Assert.Equal("woke", (string?)result.Output);
    }

    [Fact]
    public async Task s8_5_a_signal_satisfies_an_open_condition_wait()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue, new TestWorkerOptions
        {
            Workflows = new Dictionary<string, WorkflowScript> { ["approval"] = WorkflowScripts.AwaitSignal("approve", "approved", 3600) },
        });
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        var workflowId = Text(ProtocolAssert.Ok(await control.StartWorkflowAsync("approval", queue, [], ct), HttpStatusCode.Created), "workflow_id")!;
        var first = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(first);
        var waiting = ProtocolAssert.WorkerEnvelope((await worker.ExecuteWorkflowTaskAsync(first, ct)).Response.Expect(HttpStatusCode.OK));
        Assert.Equal("waiting", Text(waiting, "run_status"));

        // §8.5.2 POST /api/workflows/{id}/signal/approve {"input": ["alice"] envelope} → 202.
        var signal = await control.SignalAsync(workflowId, "approve", ["alice"], ct);
        Assert.True(signal.Status == HttpStatusCode.Accepted, $"signal: {signal}");
        Assert.Equal("signal_received", Text(signal.Json, "outcome"));

        // §8.5.3 the signal task: resume context and SignalReceived with the bare blob and its codec.
        var resumed = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(resumed);
        Assert.Equal("signal", resumed.WaitKind);
        Assert.Equal("workflow_signal", resumed.Text("resume_source_kind"));
        Assert.Equal("approve", resumed.Text("signal_name"));
        var signalId = resumed.Text("workflow_signal_id");
        Assert.False(string.IsNullOrEmpty(signalId));
        Assert.Equal($"signal-application:{signalId}", resumed.Text("open_wait_id"));
        var history = await worker.FullHistoryAsync(resumed, ct);
        var opened = history.Single(e => (string?)e["event_type"] == "ConditionWaitOpened")["payload"]!;
        Assert.Equal("approved", (string?)opened["condition_key"]);
        var timer = history.Single(e => (string?)e["event_type"] == "TimerScheduled")["payload"]!;
        Assert.Equal("condition_timeout", (string?)timer["timer_kind"]);
        Assert.Equal((int)opened["sequence"]!, (int)timer["sequence"]!);
        var received = history.Single(e => (string?)e["event_type"] == "SignalReceived")["payload"]!;
        Assert.Equal("approve", (string?)received["signal_name"]);
        Assert.Equal("avro", (string?)received["payload_codec"]);
        Assert.Equal("wwHioz3/VYAiNwwCCgphbGljZQA=", (string?)received["arguments"]);

        // §8.5.4 completion records ConditionWaitSatisfied and cancels the timeout timer.
        ProtocolAssert.WorkerEnvelope((await worker.ExecuteWorkflowTaskAsync(resumed, ct)).Response.Expect(HttpStatusCode.OK));
        var result = await control.GetResultAsync(workflowId, TimeSpan.FromSeconds(30), ct);
        Assert.Equal("alice", (string?)result.Output);
        var finalTypes = result.History["events"]!.AsArray().Select(e => (string?)e!["event_type"]).ToList();
        Assert.Contains("ConditionWaitSatisfied", finalTypes);
        Assert.Contains("TimerCancelled", finalTypes);
    }

    [Fact]
    public async Task s8_6_a_query_is_routed_to_the_worker_and_its_answer_returned_to_the_caller()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue, new TestWorkerOptions
        {
            QueryTasks = true,
            Workflows = new Dictionary<string, WorkflowScript> { ["approval"] = WorkflowScripts.AwaitSignal("approve", "approved", 3600) },
        });
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        var workflowId = Text(ProtocolAssert.Ok(await control.StartWorkflowAsync("approval", queue, ["order-42"], ct), HttpStatusCode.Created), "workflow_id")!;
        var first = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(first);
        (await worker.ExecuteWorkflowTaskAsync(first, ct)).Response.Expect(HttpStatusCode.OK);

        // §8.6.1 the client checks query_tasks first; §8.6.2 the query call blocks while the worker answers.
        Assert.True(ProtocolAssert.Ok(await control.ClusterInfoAsync(ct))["worker_protocol"]!["server_capabilities"]!["query_tasks"]!.GetValue<bool>());
        var query = control.QueryAsync(workflowId, "status", null, ct);

        var task = await worker.PollQueryTaskAsync(15, ct);
        Assert.NotNull(task);
        Assert.Equal("status", task.QueryName);
        Assert.Equal(workflowId, task.WorkflowId);
        Assert.Equal("avro", task.PayloadCodec);
        Assert.Equal(1, task.Attempt);
        Assert.Contains(task.HistoryEvents, e => (string?)e["event_type"] == "ConditionWaitOpened");
        Assert.Equal("[\"order-42\"]", Payloads.DecodeArguments(task.Json["workflow_arguments"]).ToJsonString());
        Assert.True(task.Json["query_arguments"] is null || (string?)task.Json["query_arguments"]!["codec"] == "avro",
            $"query_arguments must be null or an avro envelope, never {{codec: null}}: {task.Json["query_arguments"]?.ToJsonString()}");
        Assert.Empty(task.QueryArguments);

        var completed = ProtocolAssert.WorkerEnvelope((await worker.CompleteQueryTaskAsync(task, "waiting", ct)).Expect(HttpStatusCode.OK));
        Assert.Equal("completed", Text(completed, "outcome"));

        var answer = ProtocolAssert.Ok(await query);
        Assert.Equal(workflowId, Text(answer, "workflow_id"));
        Assert.Equal("status", Text(answer, "query_name"));
        Assert.Equal("waiting", Text(answer, "result"));
        Assert.Equal("wwHioz3/VYAiNwoOd2FpdGluZw==", (string?)answer["result_envelope"]!["blob"]);
        Assert.Null(answer["reason"]);
    }

    [Fact]
    public async Task s8_8_shutdown_deregisters_with_200_and_recovers_the_leased_task()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        ProtocolAssert.Ok(await control.StartWorkflowAsync("anything", queue, [], ct), HttpStatusCode.Created);
        var leased = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(leased);

        // DELETE /api/worker/registrations/{worker_id}, worker header, no body.
        var deregistered = await worker.DeregisterAsync(ct);
        var body = ProtocolAssert.WorkerEnvelope(deregistered.Expect(HttpStatusCode.OK));
        Assert.Equal(worker.WorkerId, Text(body, "worker_id"));
        Assert.Equal("deregistered", Text(body, "outcome"));
        Assert.Equal(1, body["recovered_workflow_task_count"]!.GetValue<int>());
        Assert.Equal("ready", await fixture.Database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{leased.TaskId}'"));

        // The registration is gone: polls are refused until the worker registers again.
        ProtocolAssert.WorkerError(await worker.PollWorkflowTaskRawAsync(0, ProtocolWorker.NewPollRequestId(), ct), HttpStatusCode.PreconditionFailed, "worker_not_registered");
    }

    private static string Queue() => $"q-{Guid.NewGuid():N}";

    private static string? Text(JsonObject parent, string key) =>
        parent[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
