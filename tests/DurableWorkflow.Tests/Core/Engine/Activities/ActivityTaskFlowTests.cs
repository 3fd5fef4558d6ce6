using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.Activities;

/// <summary>Activity tasks end to end over HTTP against a real database (worker-protocol spec §4 and §8.3).</summary>
public sealed class ActivityTaskFlowTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string ArgumentsBlob = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=";
    private const string ResultBlob = "wwHioz3/VYAiNwogY2hhcmdlZDpvcmRlci00Mg==";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);
    private readonly string queue = $"q-{Guid.NewGuid():N}";
    private string workerId = $"w-{Guid.NewGuid():N}";

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_completed_activity_resumes_the_workflow_with_the_whole_step_in_history()
    {
        using var worker = WorkerClient();
        var run = await ScheduleAsync(worker, Activity());

        var task = await PollActivityAsync(worker);
        Assert.Equal(run.RunId, (string?)task["run_id"]);
        Assert.Equal(run.WorkflowId, (string?)task["workflow_id"]);
        Assert.Equal(1, (int)task["attempt_number"]!);
        Assert.Equal("charge_card", (string?)task["activity_type"]);
        Assert.Equal("avro", (string?)task["payload_codec"]);
        Assert.Equal(ArgumentsBlob, (string?)task["arguments"]!["blob"]);
        Assert.Equal(workerId, (string?)task["lease_owner"]);
        Assert.Equal(queue, (string?)task["task_queue"]);
        Assert.False(task.ContainsKey("retry_policy"), "no policy and no timeouts means no snapshot");

        var done = await PostAsync(worker, $"/api/worker/activity-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["activity_attempt_id"] = (string?)task["activity_attempt_id"],
            ["lease_owner"] = workerId,
            ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = ResultBlob },
        }, HttpStatusCode.OK);
        Assert.Equal("completed", (string?)done["outcome"]);
        Assert.True((bool)done["recorded"]!);
        Assert.Null(done["reason"]);

        var resume = await PollWorkflowAsync(worker);
        Assert.Equal((string?)done["next_task_id"], (string?)resume["task_id"]);
        Assert.Equal("activity", (string?)resume["workflow_wait_kind"]);
        Assert.Equal($"activity:{task["activity_execution_id"]}", (string?)resume["open_wait_id"]);
        Assert.Equal("activity_execution", (string?)resume["resume_source_kind"]);
        Assert.Equal((string?)task["activity_attempt_id"], (string?)resume["activity_attempt_id"]);
        Assert.Equal("ActivityCompleted", (string?)resume["workflow_event_type"]);
        Assert.Equal(1, (int)resume["workflow_sequence"]!);

        var step = ActivityEvents(resume);
        Assert.Equal(["ActivityScheduled", "ActivityStarted", "ActivityCompleted"], step.Select(e => (string)e["event_type"]!));
        Assert.All(step, e => Assert.Equal(1, (int)e["payload"]!["sequence"]!));
        var completed = step[^1]["payload"]!;
        Assert.Equal(ResultBlob, (string?)completed["result"]);
        Assert.Equal("avro", (string?)completed["payload_codec"]);
        Assert.Equal(1, (int)completed["attempt_number"]!);
        Assert.Equal("completed", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{task["activity_execution_id"]}'"));
    }

    [Fact]
    public async Task a_retryable_failure_is_redelivered_as_a_new_task_and_can_then_complete()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(new JsonObject { ["max_attempts"] = 3, ["backoff_seconds"] = new JsonArray(0) }));
        var first = await PollActivityAsync(worker);
        Assert.Equal(3, (int)first["retry_policy"]!["max_attempts"]!);

        var failed = await PostAsync(worker, $"/api/worker/activity-tasks/{first["task_id"]}/fail", Failure(first, new JsonObject
        {
            ["message"] = "gateway timeout",
            ["type"] = "Transient",
        }), HttpStatusCode.OK);
        Assert.Equal("failed", (string?)failed["outcome"]);
        Assert.True((bool)failed["recorded"]!);
        var retryTaskId = (string)failed["next_task_id"]!;
        Assert.NotEqual((string?)first["task_id"], retryTaskId);

        var second = await PollActivityAsync(worker);
        Assert.Equal(retryTaskId, (string?)second["task_id"]);
        Assert.Equal(2, (int)second["attempt_number"]!);
        Assert.Equal((string?)first["activity_execution_id"], (string?)second["activity_execution_id"]);
        Assert.NotEqual((string?)first["activity_attempt_id"], (string?)second["activity_attempt_id"]);
        Assert.Equal("failed", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{first["task_id"]}'"));
        Assert.Equal((string?)first["task_id"], await database.ScalarAsync<string>($"SELECT retry_of_task_id FROM workflow_tasks WHERE id = '{retryTaskId}'"));

        var done = await PostAsync(worker, $"/api/worker/activity-tasks/{retryTaskId}/complete", new JsonObject
        {
            ["activity_attempt_id"] = (string?)second["activity_attempt_id"],
            ["lease_owner"] = workerId,
            ["result"] = ResultBlob,
        }, HttpStatusCode.OK);
        var resume = await PollWorkflowAsync(worker);
        Assert.Equal((string?)done["next_task_id"], (string?)resume["task_id"]);
        var step = ActivityEvents(resume);
        Assert.Equal(
            ["ActivityScheduled", "ActivityStarted", "ActivityRetryScheduled", "ActivityStarted", "ActivityCompleted"],
            step.Select(e => (string)e["event_type"]!));
        var retry = step[2]["payload"]!;
        Assert.Equal(retryTaskId, (string?)retry["retry_task_id"]);
        Assert.Equal(0, (int)retry["retry_backoff_seconds"]!);
        Assert.Equal(1, (int)retry["retry_after_attempt"]!);
        Assert.Equal("Transient", (string?)retry["exception_type"]);
        Assert.Equal(2, (int)step[^1]["payload"]!["attempt_number"]!);
    }

    [Fact]
    public async Task a_retry_after_its_back_off_reaches_a_poll_that_parked_before_it_was_claimable()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(new JsonObject { ["max_attempts"] = 2, ["backoff_seconds"] = new JsonArray(2) }));
        var first = await PollActivityAsync(worker);
        var failed = await PostAsync(worker, $"/api/worker/activity-tasks/{first["task_id"]}/fail",
            Failure(first, new JsonObject { ["message"] = "busy", ["type"] = "Transient" }), HttpStatusCode.OK);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var poll = await PostAsync(worker, "/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = 20 }, HttpStatusCode.OK);

        // Announced when it becomes claimable, not found by the queue's first probe pass (5 s after the poll parked).
        Assert.Equal((string?)failed["next_task_id"], (string?)poll["task"]?["task_id"]);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 4.5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task a_non_retryable_failure_fails_the_step_and_resumes_the_workflow(bool flagged)
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(new JsonObject
        {
            ["max_attempts"] = 3,
            ["non_retryable_error_types"] = new JsonArray("CardDeclined"),
        }));
        var task = await PollActivityAsync(worker);
        var failure = new JsonObject
        {
            ["message"] = "card declined",
            ["type"] = flagged ? "Unlisted" : "CardDeclined",
            ["class"] = "app.errors.CardDeclined",
            ["stack_trace"] = "Traceback (most recent call last):\n  boom",
        };
        if (flagged)
        {
            failure["non_retryable"] = true;
        }

        var failed = await PostAsync(worker, $"/api/worker/activity-tasks/{task["task_id"]}/fail", Failure(task, failure), HttpStatusCode.OK);
        var resume = await PollWorkflowAsync(worker);
        Assert.Equal((string?)failed["next_task_id"], (string?)resume["task_id"]);
        Assert.Equal("ActivityFailed", (string?)resume["workflow_event_type"]);
        var payload = ActivityEvents(resume)[^1]["payload"]!;
        Assert.Equal("card declined", (string?)payload["message"]);
        Assert.Equal(flagged ? "Unlisted" : "CardDeclined", (string?)payload["exception_type"]);
        Assert.Equal("app.errors.CardDeclined", (string?)payload["exception_class"]);
        Assert.True((bool)payload["non_retryable"]!);
        Assert.Equal("activity", (string?)payload["failure_category"]);
        Assert.Equal(1, (int)payload["sequence"]!);
        Assert.Equal("card declined", (string?)payload["exception"]!["message"]);
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_failures WHERE id = '{payload["failure_id"]}' AND source_kind = 'activity_execution' AND non_retryable"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE activity_execution_id = '{task["activity_execution_id"]}' AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task exhausted_attempts_fail_the_step()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(new JsonObject { ["max_attempts"] = 2 }));
        var first = await PollActivityAsync(worker);
        var retried = await PostAsync(worker, $"/api/worker/activity-tasks/{first["task_id"]}/fail",
            Failure(first, new JsonObject { ["message"] = "flaky" }), HttpStatusCode.OK);
        var second = await PollActivityAsync(worker);
        Assert.Equal((string?)retried["next_task_id"], (string?)second["task_id"]);

        var failed = await PostAsync(worker, $"/api/worker/activity-tasks/{second["task_id"]}/fail",
            Failure(second, new JsonObject { ["message"] = "flaky again" }), HttpStatusCode.OK);
        var resume = await PollWorkflowAsync(worker);
        Assert.Equal((string?)failed["next_task_id"], (string?)resume["task_id"]);
        var step = ActivityEvents(resume);
        Assert.Equal(
            ["ActivityScheduled", "ActivityStarted", "ActivityRetryScheduled", "ActivityStarted", "ActivityFailed"],
            step.Select(e => (string)e["event_type"]!));
        Assert.Equal(0, (int)step[2]["payload"]!["retry_backoff_seconds"]!);
        var final = step[^1]["payload"]!;
        Assert.False((bool)final["non_retryable"]!);
        Assert.Equal(2, (int)final["attempt_number"]!);
        Assert.Equal("RuntimeException", (string?)final["exception_class"]);
    }

    [Fact]
    public async Task a_heartbeat_extends_the_lease_and_records_progress()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity());
        var task = await PollActivityAsync(worker);
        await database.ExecuteAsync($"UPDATE workflow_tasks SET lease_expires_at = now() + interval '10 seconds' WHERE id = '{task["task_id"]}'");

        var beat = await PostAsync(worker, $"/api/worker/activity-tasks/{task["task_id"]}/heartbeat", new JsonObject
        {
            ["activity_attempt_id"] = (string?)task["activity_attempt_id"],
            ["lease_owner"] = workerId,
            ["message"] = "halfway",
            ["current"] = 5,
            ["total"] = 10,
            ["details"] = new JsonObject { ["page"] = 7 },
        }, HttpStatusCode.OK);
        Assert.False((bool)beat["cancel_requested"]!);
        Assert.True((bool)beat["can_continue"]!);
        Assert.True((bool)beat["heartbeat_recorded"]!);
        Assert.Null(beat["reason"]);
        Assert.Equal(workerId, (string?)beat["lease_owner"]);
        Assert.True(await database.ScalarAsync<bool>(
            $"SELECT lease_expires_at > now() + interval '250 seconds' FROM workflow_tasks WHERE id = '{task["task_id"]}'"));
        Assert.Equal("halfway", await database.ScalarAsync<string>(
            $"SELECT progress->>'message' FROM workflow_activity_attempts WHERE id = '{task["activity_attempt_id"]}'"));
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_history_events WHERE run_id = '{task["run_id"]}' AND event_type = 'ActivityHeartbeatRecorded' AND (payload->'progress'->>'current')::int = 5"));
    }

    [Fact]
    public async Task refused_and_stale_outcomes_change_nothing()
    {
        using var worker = WorkerClient();
        var run = await ScheduleAsync(worker, Activity(), Activity());
        var a = await PollActivityAsync(worker);
        var b = await PollActivityAsync(worker);
        var path = $"/api/worker/activity-tasks/{a["task_id"]}";
        var before = await SnapshotAsync(run.RunId);

        var mismatch = await ErrorAsync(worker, $"{path}/complete", Completion(a, owner: "someone-else"), HttpStatusCode.Conflict, "lease_owner_mismatch");
        Assert.Equal(workerId, (string?)mismatch["lease_owner"]);
        await ErrorAsync(worker, $"{path}/complete", Completion(a, attemptId: "01jr8w3c4e6g8j0l2n4q6s8u0w"), HttpStatusCode.NotFound, "attempt_not_found");
        await ErrorAsync(worker, $"{path}/fail", Failure(b, new JsonObject { ["message"] = "x" }), HttpStatusCode.Conflict, "task_mismatch");
        await ErrorAsync(worker, "/api/worker/activity-tasks/01jr8w3a0c2e4g6j8l0n2q4s6u/complete", Completion(a), HttpStatusCode.NotFound, "task_not_found");
        await ErrorAsync(worker, $"{path}/heartbeat", Completion(a, owner: "someone-else"), HttpStatusCode.Conflict, "lease_owner_mismatch");
        Assert.Equal(before, await SnapshotAsync(run.RunId));

        await PostAsync(worker, $"{path}/complete", Completion(a), HttpStatusCode.OK);
        var recorded = await SnapshotAsync(run.RunId);
        var again = await ErrorAsync(worker, $"{path}/complete", Completion(a), HttpStatusCode.Conflict, "stale_attempt");
        Assert.False((bool)again["recorded"]!);
        Assert.Equal("completed", (string?)again["outcome"]);
        var late = await ErrorAsync(worker, $"{path}/fail", Failure(a, new JsonObject { ["message"] = "late" }), HttpStatusCode.Conflict, "stale_attempt");
        Assert.Equal("failed", (string?)late["outcome"]);
        var beat = await PostAsync(worker, $"{path}/heartbeat", Completion(a), HttpStatusCode.OK);
        Assert.False((bool)beat["can_continue"]!);
        Assert.Equal("attempt_closed", (string?)beat["reason"]);
        Assert.Equal(recorded, await SnapshotAsync(run.RunId));
    }

    [Fact]
    public async Task an_expired_lease_is_delivered_again_with_the_next_attempt_number()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity());
        var first = await PollActivityAsync(worker);
        await database.ExecuteAsync($"UPDATE workflow_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = '{first["task_id"]}'");

        var second = await PollActivityAsync(worker);
        Assert.Equal((string?)first["task_id"], (string?)second["task_id"]);
        Assert.Equal(2, (int)second["attempt_number"]!);
        Assert.NotEqual((string?)first["activity_attempt_id"], (string?)second["activity_attempt_id"]);
        Assert.Equal("expired", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_attempts WHERE id = '{first["activity_attempt_id"]}'"));

        var path = $"/api/worker/activity-tasks/{first["task_id"]}/complete";
        await ErrorAsync(worker, path, Completion(first), HttpStatusCode.Conflict, "stale_attempt");
        await PostAsync(worker, path, Completion(second), HttpStatusCode.OK);
        var resume = await PollWorkflowAsync(worker);
        Assert.Equal(
            ["ActivityScheduled", "ActivityStarted", "ActivityStarted", "ActivityCompleted"],
            ActivityEvents(resume).Select(e => (string)e["event_type"]!));
    }

    [Fact]
    public async Task a_cancelled_run_ignores_outcomes_and_asks_heartbeats_to_stop()
    {
        using var worker = WorkerClient();
        var run = await ScheduleAsync(worker, Activity());
        var task = await PollActivityAsync(worker);
        // The state RunCloser leaves behind when a run is cancelled: the run closed, its open rows cancelled.
        await database.ExecuteAsync(
            $"""
             UPDATE workflow_runs SET status = 'cancelled', closed_reason = 'cancelled', closed_at = now() WHERE id = '{run.RunId}';
             UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE run_id = '{run.RunId}' AND status IN ('ready', 'leased');
             UPDATE workflow_activity_executions SET status = 'cancelled', closed_at = now() WHERE run_id = '{run.RunId}';
             UPDATE workflow_activity_attempts SET status = 'cancelled', closed_at = now() WHERE run_id = '{run.RunId}';
             """);
        var before = await SnapshotAsync(run.RunId);

        var path = $"/api/worker/activity-tasks/{task["task_id"]}";
        var ignored = await ErrorAsync(worker, $"{path}/complete", Completion(task), HttpStatusCode.Conflict, "run_cancelled");
        Assert.Equal("ignored", (string?)ignored["outcome"]);
        Assert.False((bool)ignored["recorded"]!);
        Assert.Equal("cancelled", (string?)ignored["run_status"]);
        var beat = await PostAsync(worker, $"{path}/heartbeat", Completion(task), HttpStatusCode.OK);
        Assert.True((bool)beat["cancel_requested"]!);
        Assert.False((bool)beat["can_continue"]!);
        Assert.Equal("run_cancelled", (string?)beat["reason"]);
        Assert.Equal(before, await SnapshotAsync(run.RunId));
    }

    [Fact]
    public async Task invalid_requests_are_rejected_before_anything_changes()
    {
        using var worker = WorkerClient();
        var run = await ScheduleAsync(worker, Activity());
        var task = await PollActivityAsync(worker);
        var path = $"/api/worker/activity-tasks/{task["task_id"]}";
        var before = await SnapshotAsync(run.RunId);

        var noAttempt = await ErrorAsync(worker, $"{path}/complete", new JsonObject { ["lease_owner"] = workerId }, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(noAttempt["errors"]!["activity_attempt_id"]);
        var noOwner = await ErrorAsync(worker, $"{path}/complete", new JsonObject { ["activity_attempt_id"] = (string?)task["activity_attempt_id"] },
            HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(noOwner["errors"]!["lease_owner"]);
        var noMessage = await ErrorAsync(worker, $"{path}/fail", Failure(task, new JsonObject { ["type"] = "X", ["kind"] = "bogus" }),
            HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(noMessage["errors"]!["failure.message"]);
        Assert.NotNull(noMessage["errors"]!["failure.kind"]);
        var noFailure = await ErrorAsync(worker, $"{path}/fail", Completion(task), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(noFailure["errors"]!["failure"]);
        var badBeat = await ErrorAsync(worker, $"{path}/heartbeat", new JsonObject { ["current"] = "five" }, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(badBeat["errors"]!["activity_attempt_id"]);
        Assert.NotNull(badBeat["errors"]!["current"]);
        await ErrorAsync(worker, "/api/worker/activity-tasks/poll", new JsonObject { ["worker_id"] = workerId }, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(before, await SnapshotAsync(run.RunId));
    }

    [Fact]
    public async Task a_parallel_group_wakes_the_workflow_once_all_its_activities_completed()
    {
        using var worker = WorkerClient();
        var run = await ScheduleAsync(worker, InGroup(Activity(), 0), InGroup(Activity(), 1));
        var a = await PollActivityAsync(worker);
        var b = await PollActivityAsync(worker);

        var first = await PostAsync(worker, $"/api/worker/activity-tasks/{a["task_id"]}/complete", Completion(a), HttpStatusCode.OK);
        Assert.True((bool)first["recorded"]!);
        Assert.Null(first["next_task_id"]);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE run_id = '{run.RunId}' AND task_type = 'workflow' AND status = 'ready'"));

        var second = await PostAsync(worker, $"/api/worker/activity-tasks/{b["task_id"]}/complete", Completion(b), HttpStatusCode.OK);
        var resume = await PollWorkflowAsync(worker);
        Assert.Equal((string?)second["next_task_id"], (string?)resume["task_id"]);
        var groups = ActivityEvents(resume).Select(e => (string?)e["payload"]!["parallel_group_id"]).Distinct().ToList();
        Assert.Equal(["parallel-activities:1:2"], groups);
    }

    [Fact]
    public async Task an_unregistered_worker_cannot_poll()
    {
        using var worker = WorkerClient();
        await ErrorAsync(worker, "/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = "nobody", ["task_queue"] = queue, ["timeout_seconds"] = 0 }, HttpStatusCode.PreconditionFailed, "worker_not_registered");
    }

    [Fact]
    public async Task an_empty_poll_holds_then_answers_null()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker);
        var started = DateTime.UtcNow;
        var poll = await PostAsync(worker, "/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = 1 }, HttpStatusCode.OK);
        Assert.True(poll.ContainsKey("task"));
        Assert.Null(poll["task"]);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900), "the poll must hold the connection");
    }

    [Fact]
    public async Task a_retried_poll_gets_the_task_its_lost_answer_carried()
    {
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity());
        var body = new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = 5, ["poll_request_id"] = "activity-poll-1" };
        var first = (await PostAsync(worker, "/api/worker/activity-tasks/poll", body, HttpStatusCode.OK))["task"]!;
        var replayed = (await PostAsync(worker, "/api/worker/activity-tasks/poll", body, HttpStatusCode.OK))["task"]!;
        Assert.Equal((string?)first["task_id"], (string?)replayed["task_id"]);
        Assert.Equal((string?)first["activity_attempt_id"], (string?)replayed["activity_attempt_id"]);
    }

    [Fact]
    public async Task the_complete_fixture_request_shapes_are_accepted()
    {
        var fixture = SharedFixtures.ControlPlane("activity-complete-parity");
        workerId = (string)fixture.Semantic["lease_owner"]!;
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(), Activity());
        var cliTask = await PollActivityAsync(worker);
        var sdkTask = await PollActivityAsync(worker);
        var expected = fixture.Json["sdk_python"]!["payload_envelope"]!["decoded"]!;

        // The CLI sends the result as plain JSON; the Python SDK sends it as an Avro envelope of the same value.
        var cliBody = fixture.Json["cli"]!["expected_body"]!.DeepClone().AsObject();
        cliBody["activity_attempt_id"] = (string?)cliTask["activity_attempt_id"];
        var sdkBody = fixture.Json["sdk_python"]!["expected_body"]!.DeepClone().AsObject();
        sdkBody["activity_attempt_id"] = (string?)sdkTask["activity_attempt_id"];
        sdkBody["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = AvroValueCodec.Encode(expected) };

        foreach (var (task, body) in new[] { (cliTask, cliBody), (sdkTask, sdkBody) })
        {
            var response = await PostAsync(worker, fixture.Path.Replace("activity-task-231", (string)task["task_id"]!, StringComparison.Ordinal), body, HttpStatusCode.OK);
            Assert.Equal((string?)task["task_id"], (string?)response["task_id"]);
            Assert.Equal((string?)task["activity_attempt_id"], (string?)response["activity_attempt_id"]);
            Assert.Equal((string?)fixture.Json["response_body"]!["outcome"], (string?)response["outcome"]);
        }

        var resume = await PollWorkflowAsync(worker);
        var results = ActivityEvents(resume).Where(e => (string?)e["event_type"] == "ActivityCompleted").Select(e => (string)e["payload"]!["result"]!).ToList();
        Assert.Equal(2, results.Count);
        foreach (var blob in results)
        {
            Assert.True(AvroValueCodec.TryDecode(blob, out var decoded, out _));
            Assert.True(JsonNode.DeepEquals(expected, decoded), decoded?.ToJsonString());
        }
    }

    [Fact]
    public async Task the_fail_fixture_request_is_recorded_as_a_final_failure()
    {
        var fixture = SharedFixtures.ControlPlane("activity-fail-parity");
        workerId = (string)fixture.Semantic["lease_owner"]!;
        using var worker = WorkerClient();
        await ScheduleAsync(worker, Activity(new JsonObject { ["max_attempts"] = 5 }));
        var task = await PollActivityAsync(worker);
        var body = fixture.Body!.DeepClone().AsObject();
        body["activity_attempt_id"] = (string?)task["activity_attempt_id"];

        var response = await PostAsync(worker, fixture.Path.Replace("activity-task-231", (string)task["task_id"]!, StringComparison.Ordinal), body, HttpStatusCode.OK);
        Assert.Equal((string?)fixture.Json["response_body"]!["outcome"], (string?)response["outcome"]);
        Assert.Equal((string?)task["task_id"], (string?)response["task_id"]);
        var failed = ActivityEvents(await PollWorkflowAsync(worker))[^1]["payload"]!;
        Assert.Equal((string?)fixture.Semantic["type"], (string?)failed["exception_type"]);
        Assert.Equal((string?)fixture.Semantic["message"], (string?)failed["message"]);
        Assert.True((bool)failed["non_retryable"]!);
    }

    private sealed record StartedRun(string WorkflowId, string RunId);

    private static JsonObject Activity(JsonObject? retryPolicy = null)
    {
        var command = new JsonObject
        {
            ["type"] = "schedule_activity",
            ["activity_type"] = "charge_card",
            ["arguments"] = new JsonObject { ["codec"] = "avro", ["blob"] = ArgumentsBlob },
        };
        if (retryPolicy is not null)
        {
            command["retry_policy"] = retryPolicy;
        }

        return command;
    }

    private static JsonObject InGroup(JsonObject command, int index)
    {
        command["parallel_group_id"] = "parallel-activities:1:2";
        command["parallel_group_kind"] = "activity";
        command["parallel_group_base_sequence"] = 1;
        command["parallel_group_size"] = 2;
        command["parallel_group_index"] = index;
        return command;
    }

    /// <summary>Registers the worker, starts a run and completes its first workflow task with the given commands.</summary>
    private async Task<StartedRun> ScheduleAsync(HttpClient worker, params JsonObject[] commands)
    {
        await RegisterAsync(worker);
        using var control = server.ControlClient();
        var started = await PostAsync(control, "/api/workflows",
            new JsonObject { ["workflow_type"] = "checkout", ["task_queue"] = queue, ["input"] = new JsonArray("order-42") }, HttpStatusCode.Created);
        var task = await PollWorkflowAsync(worker);
        foreach (var command in commands)
        {
            command["queue"] = queue;
        }

        var complete = await PostAsync(worker, $"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = workerId,
            ["workflow_task_attempt"] = 1,
            ["commands"] = new JsonArray([.. commands]),
        }, HttpStatusCode.OK);
        Assert.Equal("waiting", (string?)complete["run_status"]);
        return new StartedRun((string)started["workflow_id"]!, (string)started["run_id"]!);
    }

    private Task RegisterAsync(HttpClient worker) =>
        PostAsync(worker, "/api/worker/register", new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["runtime"] = "python" }, HttpStatusCode.Created);

    private async Task<JsonObject> PollActivityAsync(HttpClient worker)
    {
        var poll = await PostAsync(worker, "/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK);
        return Assert.IsType<JsonObject>(poll["task"]);
    }

    private async Task<JsonObject> PollWorkflowAsync(HttpClient worker)
    {
        var poll = await PostAsync(worker, "/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK);
        return Assert.IsType<JsonObject>(poll["task"]);
    }

    private static List<JsonNode> ActivityEvents(JsonObject workflowTask) =>
        [.. workflowTask["history_events"]!.AsArray().Where(e => ((string)e!["event_type"]!).StartsWith("Activity", StringComparison.Ordinal)).Select(e => e!)];

    private JsonObject Completion(JsonObject task, string? owner = null, string? attemptId = null) => new()
    {
        ["activity_attempt_id"] = attemptId ?? (string?)task["activity_attempt_id"],
        ["lease_owner"] = owner ?? workerId,
    };

    private JsonObject Failure(JsonObject task, JsonObject failure)
    {
        var body = Completion(task);
        body["failure"] = failure;
        return body;
    }

    /// <summary>Every row an activity operation could touch for the run, so "nothing changed" is one comparison.</summary>
    private Task<string?> SnapshotAsync(string runId) => database.ScalarAsync<string>(
        $"""
         SELECT concat_ws(' | ',
             (SELECT string_agg(event_type, ',' ORDER BY sequence) FROM workflow_history_events WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || coalesce(lease_expires_at::text, '-'), ',' ORDER BY id) FROM workflow_tasks WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || attempt_count, ',' ORDER BY id) FROM workflow_activity_executions WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || coalesce(lease_expires_at::text, '-'), ',' ORDER BY id) FROM workflow_activity_attempts WHERE run_id = '{runId}'),
             (SELECT count(*)::text FROM workflow_failures WHERE run_id = '{runId}'))
         """);

    private HttpClient WorkerClient()
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        return client;
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static async Task<JsonObject> ErrorAsync(HttpClient client, string path, JsonObject body, HttpStatusCode expected, string reason)
    {
        using var response = await client.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.ErrorAsync(response, expected, reason);
    }
}
