using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Core.Engine.Queries;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Signal, update, cancel, terminate, repair and archive over HTTP (control-plane spec §4.6).</summary>
public sealed class WorkflowCommandRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_signal_to_a_waiting_run_creates_a_task_whose_history_ends_with_the_signal()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartWaitingAsync();
        var workflowId = (string)started["workflow_id"]!;

        var signal = await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/signal/approve",
            """{"input":["ada"]}""", HttpStatusCode.Accepted);

        Assert.Equal("signal_received", (string?)signal["outcome"]);
        Assert.Equal("accepted", (string?)signal["command_status"]);
        Assert.Equal("approve", (string?)signal["signal_name"]);
        Assert.Equal("instance", (string?)signal["target_scope"]);
        Assert.Equal((string?)started["run_id"], (string?)signal["run_id"]);
        var commandId = (string)signal["command_id"]!;
        Assert.False(string.IsNullOrEmpty(commandId));
        CommandFlow.AssertContractBlock(signal, "signal");
        Assert.Equal("approve", (string?)signal["control_plane"]!["operation_name"]);

        var task = await flow.PollWorkflowTaskAsync();
        var signalId = (string)task["workflow_signal_id"]!;
        Assert.Equal("signal", (string?)task["workflow_wait_kind"]);
        Assert.Equal($"signal-application:{signalId}", (string?)task["open_wait_id"]);
        Assert.Equal("workflow_signal", (string?)task["resume_source_kind"]);
        Assert.Equal(signalId, (string?)task["resume_source_id"]);
        Assert.Equal("approve", (string?)task["signal_name"]);
        Assert.Equal(commandId, (string?)task["workflow_command_id"]);
        Assert.Null(task["workflow_update_id"]);
        var last = task["history_events"]!.AsArray()[^1]!;
        Assert.Equal("SignalReceived", (string?)last["event_type"]);
        Assert.Equal(commandId, (string?)last["workflow_command_id"]);
        var payload = last["payload"]!;
        Assert.Equal(signalId, (string?)payload["signal_id"]);
        Assert.Equal("avro", (string?)payload["payload_codec"]);
        Assert.Equal("""["ada"]""", CommandFlow.Decode(payload["arguments"])!.ToJsonString());
        Assert.Equal(workflowId, (string?)payload["workflow_instance_id"]);

        await flow.CompleteWorkflowTaskAsync(task, CommandFlow.OpenConditionWait());
        Assert.Equal("applied", await database.ScalarAsync<string>($"SELECT status FROM workflow_signals WHERE id = '{signalId}'"));
        Assert.Equal("signal|accepted|signal_received|approve", await database.ScalarAsync<string>(
            $"SELECT command_type || '|' || status || '|' || outcome || '|' || operation_name FROM workflow_commands WHERE id = '{commandId}'"));
    }

    [Fact]
    public async Task a_signal_while_a_task_is_leased_is_delivered_by_the_task_created_when_it_completes()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var runId = (string)started["run_id"]!;
        var first = await flow.PollWorkflowTaskAsync();

        await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{started["workflow_id"]}/signal/approve", "{}", HttpStatusCode.Accepted);
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND task_type = 'workflow' AND status IN ('ready', 'leased')"));

        var completed = await flow.CompleteWorkflowTaskAsync(first, CommandFlow.OpenConditionWait());
        Assert.Single(completed["created_task_ids"]!.AsArray());
        var next = await flow.PollWorkflowTaskAsync();
        Assert.Equal("signal", (string?)next["workflow_wait_kind"]);
        var received = next["history_events"]!.AsArray().Single(e => (string?)e!["event_type"] == "SignalReceived")!;
        Assert.Equal("[]", CommandFlow.Decode(received["payload"]!["arguments"])!.ToJsonString());
    }

    [Fact]
    public async Task a_signal_to_a_closed_run_is_rejected_and_delivers_nothing()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;
        await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/terminate", "{}", HttpStatusCode.OK);
        var events = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}'");

        var rejected = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/signal/approve", """{"input":["x"]}""",
            HttpStatusCode.Conflict, "run_not_active", "signal");

        Assert.Equal("rejected", (string?)rejected["command_status"]);
        Assert.Equal("rejected_not_active", (string?)rejected["outcome"]);
        Assert.Equal("run_not_active", (string?)rejected["rejection_reason"]);
        Assert.Equal(events, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_signals WHERE run_id = '{runId}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task run_targeted_commands_address_only_the_current_run()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;

        var historical = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/runs/01hw0000000000000000000000/signal/approve", "{}",
            HttpStatusCode.Conflict, "historical_run_command_rejected", "signal");
        Assert.Equal("run", (string?)historical["target_scope"]);
        Assert.Equal("01hw0000000000000000000000", (string?)historical["run_id"]);

        var signal = await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/runs/{runId}/signal/approve", "{}", HttpStatusCode.Accepted);
        Assert.Equal("run", (string?)signal["target_scope"]);
        Assert.Equal(runId, (string?)signal["requested_run_id"]);

        var cancelled = await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/runs/{runId}/cancel", "{}", HttpStatusCode.OK);
        Assert.Equal("cancelled", (string?)cancelled["outcome"]);
        CommandFlow.AssertContractBlock(cancelled, "cancel");
    }

    [Fact]
    public async Task an_update_waited_for_until_completed_returns_the_result_of_the_worker()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartWaitingAsync();
        var workflowId = (string)started["workflow_id"]!;

        var waiting = CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/update/set-quota",
            """{"input":[50],"wait_for":"completed","wait_timeout_seconds":20,"request_id":"req-1"}""", HttpStatusCode.OK);
        var task = await flow.PollWorkflowTaskAsync();
        var updateId = (string)task["workflow_update_id"]!;
        Assert.Equal("update", (string?)task["workflow_wait_kind"]);
        Assert.Equal($"update:{updateId}", (string?)task["open_wait_id"]);
        Assert.Equal("workflow_update", (string?)task["resume_source_kind"]);
        var acceptedEvent = task["history_events"]!.AsArray()[^1]!;
        Assert.Equal("UpdateAccepted", (string?)acceptedEvent["event_type"]);
        Assert.Equal("set-quota", (string?)acceptedEvent["payload"]!["update_name"]);
        Assert.Equal("[50]", CommandFlow.Decode(acceptedEvent["payload"]!["arguments"])!.ToJsonString());

        await flow.CompleteWorkflowTaskAsync(task, new JsonObject
        {
            ["type"] = "complete_update",
            ["update_id"] = updateId,
            ["result"] = JsonNode.Parse(CommandFlow.Envelope("quota-set")),
        });
        var update = await waiting;

        Assert.Equal("update_completed", (string?)update["outcome"]);
        Assert.Equal("completed", (string?)update["update_status"]);
        Assert.Equal(updateId, (string?)update["update_id"]);
        Assert.Equal("quota-set", (string?)update["result"]);
        Assert.Equal(CommandFlow.Envelope("quota-set"), update["result_envelope"]!.ToJsonString());
        Assert.Equal("completed", (string?)update["wait_for"]);
        Assert.False((bool)update["wait_timed_out"]!);
        CommandFlow.AssertContractBlock(update, "update");
        Assert.Equal(updateId, (string?)update["control_plane"]!["update_id"]);

        // A retry with the same request_id is the same update, answered with its current state.
        var replay = await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/update/set-quota",
            """{"input":[50],"request_id":"req-1"}""", HttpStatusCode.OK);
        Assert.Equal(updateId, (string?)replay["update_id"]);
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_updates WHERE run_id = '{started["run_id"]}'"));
    }

    [Fact]
    public async Task an_update_is_answered_202_when_only_accepted_or_when_the_wait_times_out()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var path = $"/api/workflows/{started["workflow_id"]}/update/set-quota";

        var accepted = await CommandFlow.PostAsync(flow.Control, path, "{}", HttpStatusCode.Accepted);
        Assert.Equal("accepted", (string?)accepted["update_status"]);
        Assert.Equal("accepted", (string?)accepted["wait_for"]);
        Assert.Null(accepted["outcome"]);
        Assert.False(string.IsNullOrEmpty((string?)accepted["update_id"]));
        CommandFlow.AssertContractBlock(accepted, "update");

        var timedOut = await CommandFlow.PostAsync(flow.Control, path, """{"wait_for":"completed","wait_timeout_seconds":1}""", HttpStatusCode.Accepted);
        Assert.True((bool)timedOut["wait_timed_out"]!);
        Assert.Equal(1, (int)timedOut["wait_timeout_seconds"]!);
        Assert.Equal("accepted", (string?)timedOut["update_status"]);

        var legacy = await CommandFlow.ControlErrorAsync(flow.Control, path, """{"wait_policy":"completed"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "update");
        Assert.Equal("The wait_policy field is no longer supported. Use wait_for.", (string?)legacy["errors"]!["wait_policy"]![0]);
        Assert.False(legacy.ContainsKey("wait_policy"));
    }

    [Fact]
    public async Task cancel_closes_the_run_with_its_events_cancels_the_open_task_and_fails_pending_updates()
    {
        var fixture = SharedFixtures.ControlPlane("workflow-cancel-parity");
        var reason = (string)fixture.Semantic["reason"]!;
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;
        var update = await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/update/set-quota", "{}", HttpStatusCode.Accepted);

        var cancelled = await CommandFlow.PostAsync(flow.Control, fixture.Path.Replace("wf-polyglot-231", workflowId, StringComparison.Ordinal),
            fixture.Json["cli"]!["expected_body"]!.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal("cancelled", (string?)cancelled["outcome"]);
        Assert.Equal("accepted", (string?)cancelled["command_status"]);
        Assert.Equal(reason, (string?)cancelled["reason"]);
        CommandFlow.AssertContractBlock(cancelled, "cancel");
        Assert.Equal("cancelled|cancelled", await database.ScalarAsync<string>($"SELECT status || '|' || closed_reason FROM workflow_runs WHERE id = '{runId}'"));
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE run_id = '{runId}' AND task_type = 'workflow'"));
        Assert.Equal("failed", await database.ScalarAsync<string>($"SELECT status FROM workflow_updates WHERE id = '{update["update_id"]}'"));
        var events = await EventsAsync(runId);
        Assert.Equal(["CancelRequested", "WorkflowCancelled", "UpdateCompleted"], events[^3..].Select(e => (string)e["event_type"]!));
        Assert.Equal(reason, (string?)events[^3]["payload"]!["reason"]);
        Assert.Equal(reason, (string?)events[^2]["payload"]!["reason"]);
        Assert.Equal("cancelled", (string?)events[^2]["payload"]!["closed_reason"]);
        Assert.Equal((string?)cancelled["command_id"], (string?)events[^2]["payload"]!["workflow_command_id"]);

        await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/cancel", "{}", HttpStatusCode.Conflict, "run_not_active", "cancel");
    }

    [Fact]
    public async Task terminate_closes_a_waiting_run_with_the_fixture_reason()
    {
        var fixture = SharedFixtures.ControlPlane("workflow-terminate-parity");
        var reason = (string)fixture.Semantic["reason"]!;
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartWaitingAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;

        var terminated = await CommandFlow.PostAsync(flow.Control, fixture.Path.Replace("wf-polyglot-231", workflowId, StringComparison.Ordinal),
            fixture.Json["sdk_python"]!["expected_body"]!.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal("terminated", (string?)terminated["outcome"]);
        Assert.Equal(reason, (string?)terminated["reason"]);
        CommandFlow.AssertContractBlock(terminated, "terminate");
        Assert.Equal("terminated", await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{runId}'"));
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_waits WHERE run_id = '{runId}'"));
        var events = await EventsAsync(runId);
        Assert.Equal(["TerminateRequested", "WorkflowTerminated"], events[^2..].Select(e => (string)e["event_type"]!));
        Assert.Equal(reason, (string?)events[^1]["payload"]!["reason"]);
        Assert.Equal("terminated", (string?)events[^1]["payload"]!["failure_category"]);
    }

    [Fact]
    public async Task repair_gives_a_run_without_a_resume_source_a_new_workflow_task()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;
        var path = $"/api/workflows/{workflowId}/repair";

        var notNeeded = await CommandFlow.PostAsync(flow.Control, path, "{}", HttpStatusCode.OK);
        Assert.Equal("repair_not_needed", (string?)notNeeded["outcome"]);
        CommandFlow.AssertContractBlock(notNeeded, "repair");

        // The first task is lost (as after a failed dispatch), so nothing would ever resume the run.
        await database.ExecuteAsync($"UPDATE workflow_tasks SET status = 'completed', closed_at = now() WHERE run_id = '{runId}'");
        var dispatched = await CommandFlow.PostAsync(flow.Control, path, "{}", HttpStatusCode.OK);
        Assert.Equal("repair_dispatched", (string?)dispatched["outcome"]);
        var task = await flow.PollWorkflowTaskAsync();
        Assert.Equal(runId, (string?)task["run_id"]);
        var repaired = (await EventsAsync(runId))[^1];
        Assert.Equal("RepairRequested", (string?)repaired["event_type"]);
        Assert.Equal((string?)task["task_id"], (string?)repaired["payload"]!["task_id"]);

        await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/terminate", "{}", HttpStatusCode.OK);
        await CommandFlow.ControlErrorAsync(flow.Control, path, "{}", HttpStatusCode.Conflict, "run_not_active", "repair");
    }

    [Fact]
    public async Task archive_accepts_closed_runs_once()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        var runId = (string)started["run_id"]!;
        var path = $"/api/workflows/{workflowId}/archive";

        var open = await CommandFlow.ControlErrorAsync(flow.Control, path, "{}", HttpStatusCode.Conflict, "run_not_closed", "archive");
        Assert.Equal("rejected_run_not_closed", (string?)open["outcome"]);

        await CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/terminate", "{}", HttpStatusCode.OK);
        var archived = await CommandFlow.PostAsync(flow.Control, path, """{"reason":"retention policy cleanup"}""", HttpStatusCode.OK);
        Assert.Equal("archived", (string?)archived["outcome"]);
        Assert.Equal("retention policy cleanup", (string?)archived["reason"]);
        CommandFlow.AssertContractBlock(archived, "archive");
        Assert.Equal("retention policy cleanup", await database.ScalarAsync<string>(
            $"SELECT archive_reason FROM workflow_runs WHERE id = '{runId}' AND archived_at IS NOT NULL AND archive_command_id = '{archived["command_id"]}'"));
        Assert.Equal(["ArchiveRequested", "WorkflowArchived"], (await EventsAsync(runId))[^2..].Select(e => (string)e["event_type"]!));

        var again = await CommandFlow.PostAsync(flow.Control, path, "{}", HttpStatusCode.OK);
        Assert.Equal("archive_not_needed", (string?)again["outcome"]);
        Assert.Equal("ArchiveRequested", (string?)(await EventsAsync(runId))[^1]["event_type"]);
    }

    [Fact]
    public async Task a_repeated_request_id_replays_the_first_answer()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var path = $"/api/workflows/{started["workflow_id"]}/signal/approve";

        var first = await CommandFlow.PostAsync(flow.Control, path, """{"request_id":"sig-1"}""", HttpStatusCode.Accepted);
        var second = await CommandFlow.PostAsync(flow.Control, path, """{"request_id":"sig-1"}""", HttpStatusCode.Accepted);
        var other = await CommandFlow.PostAsync(flow.Control, path, """{"request_id":"sig-2"}""", HttpStatusCode.Accepted);

        Assert.Equal((string?)first["command_id"], (string?)second["command_id"]);
        Assert.Equal((long)first["command_sequence"]! + 1, (long)other["command_sequence"]!);
        Assert.Equal(2L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_signals WHERE run_id = '{started["run_id"]}'"));
    }

    [Theory]
    [InlineData("/api/workflows/missing/signal/approve", "signal")]
    [InlineData("/api/workflows/missing/runs/01hw0000000000000000000000/signal/approve", "signal")]
    [InlineData("/api/workflows/missing/query/status", "query")]
    [InlineData("/api/workflows/missing/update/set-quota", "update")]
    [InlineData("/api/workflows/missing/cancel", "cancel")]
    [InlineData("/api/workflows/missing/runs/01hw0000000000000000000000/terminate", "terminate")]
    [InlineData("/api/workflows/missing/repair", "repair")]
    [InlineData("/api/workflows/missing/archive", "archive")]
    public async Task commands_to_an_unknown_workflow_answer_404_with_the_contract_block(string path, string operation)
    {
        using var flow = new CommandFlow(server);

        var error = await CommandFlow.ControlErrorAsync(flow.Control, path, "{}", HttpStatusCode.NotFound, "instance_not_found", operation);

        Assert.Equal("Workflow not found.", (string?)error["message"]);
        Assert.Equal("missing", (string?)error["workflow_id"]);
    }

    [Fact]
    public async Task invalid_names_and_bodies_answer_422_with_the_contract_block()
    {
        using var flow = new CommandFlow(server);
        var started = await flow.StartAsync();
        var workflowId = (string)started["workflow_id"]!;

        var name = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/signal/bad%01name", "{}",
            HttpStatusCode.UnprocessableEntity, "validation_failed", "signal");
        Assert.Equal("The signal name must not contain control characters.", (string?)name["errors"]!["signal_name"]![0]);

        var tooLong = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/update/{new string('u', 257)}", "{}",
            HttpStatusCode.UnprocessableEntity, "validation_failed", "update");
        Assert.NotNull(tooLong["errors"]!["update_name"]);

        var reason = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/cancel", $$"""{"reason":"{{new string('r', 1001)}}"}""",
            HttpStatusCode.UnprocessableEntity, "validation_failed", "cancel");
        Assert.NotNull(reason["errors"]!["reason"]);

        var input = await CommandFlow.ControlErrorAsync(flow.Control, $"/api/workflows/{workflowId}/signal/approve", """{"input":{"codec":"php","blob":"x"}}""",
            HttpStatusCode.UnprocessableEntity, "validation_failed", "signal");
        Assert.NotNull(input["errors"]!["input.codec"]);
        Assert.Equal("running", await database.ScalarAsync<string>($"SELECT status_bucket FROM workflow_runs WHERE id = '{started["run_id"]}'"));
    }

    [Fact]
    public async Task the_signal_and_update_fixture_bodies_deliver_their_semantic_arguments()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();

        var signalFixture = SharedFixtures.ControlPlane("workflow-signal-parity");
        var expectedSignal = signalFixture.Semantic["input"]!.ToJsonString();
        var signalled = await flow.StartWaitingAsync();
        var signalPath = signalFixture.Path.Replace("wf-polyglot-231", (string)signalled["workflow_id"]!, StringComparison.Ordinal);
        var cliSignal = await CommandFlow.PostAsync(flow.Control, signalPath, signalFixture.Json["cli"]!["expected_body"]!.ToJsonString(), HttpStatusCode.Accepted);
        Assert.Equal((string?)signalFixture.Semantic["signal_name"], (string?)cliSignal["signal_name"]);
        var sdkBody = new JsonObject { ["input"] = JsonNode.Parse(CommandFlow.Envelope(signalFixture.Json["sdk_python"]!["payload_envelope"]!["decoded"]!.DeepClone())) };
        await CommandFlow.PostAsync(flow.Control, signalPath, sdkBody, HttpStatusCode.Accepted);
        var signalTask = await flow.PollWorkflowTaskAsync();
        var received = signalTask["history_events"]!.AsArray().Where(e => (string?)e!["event_type"] == "SignalReceived").ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, e =>
        {
            Assert.Equal((string?)signalFixture.Semantic["signal_name"], (string?)e!["payload"]!["signal_name"]);
            Assert.Equal(expectedSignal, CommandFlow.Decode(e["payload"]!["arguments"])!.ToJsonString());
        });
        await flow.CompleteWorkflowTaskAsync(signalTask, CommandFlow.OpenConditionWait());

        var updateFixture = SharedFixtures.ControlPlane("workflow-update-parity");
        var updated = await flow.StartWaitingAsync();
        var updatePath = updateFixture.Path.Replace("wf-polyglot-231", (string)updated["workflow_id"]!, StringComparison.Ordinal);
        var waiting = CommandFlow.PostAsync(flow.Control, updatePath, updateFixture.Json["cli"]!["expected_body"]!.ToJsonString(), HttpStatusCode.OK);
        var updateTask = await flow.PollWorkflowTaskAsync();
        var accepted = updateTask["history_events"]!.AsArray()[^1]!["payload"]!;
        Assert.Equal((string?)updateFixture.Semantic["update_name"], (string?)accepted["update_name"]);
        Assert.Equal(updateFixture.Semantic["input"]!.ToJsonString(), CommandFlow.Decode(accepted["arguments"])!.ToJsonString());
        await flow.CompleteWorkflowTaskAsync(updateTask, new JsonObject { ["type"] = "complete_update", ["update_id"] = updateTask["workflow_update_id"]!.DeepClone() });
        var update = await waiting;
        Assert.Equal((string?)updateFixture.Semantic["wait_for"], (string?)update["wait_for"]);
        Assert.Equal("update_completed", (string?)update["outcome"]);
    }

    private async Task<List<JsonObject>> EventsAsync(string runId)
    {
        var json = await database.ScalarAsync<string>(
            $"SELECT json_agg(json_build_object('event_type', event_type, 'payload', payload) ORDER BY sequence)::text FROM workflow_history_events WHERE run_id = '{runId}'");
        return [.. JsonNode.Parse(json!)!.AsArray().Select(e => e!.AsObject())];
    }
}
