using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.WorkflowTasks;

/// <summary>Every workflow-task command and the history it records (worker-protocol spec §3.5, §6.2, §6.3).</summary>
public sealed class WorkflowTaskCommandTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string Blob = "wwHioz3/VYAiNwoOd2FpdGluZw==";
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task marker_commands_take_consecutive_step_numbers_and_record_their_events()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync(extra: new JsonObject { ["search_attributes"] = new JsonObject { ["Tier"] = "gold", ["Old"] = "x" } });
        var task = await h.PollAsync();

        var result = await h.CompleteAsync(task,
            new JsonObject { ["type"] = "record_side_effect", ["result"] = Blob },
            new JsonObject { ["type"] = "record_version_marker", ["change_id"] = "fix-1", ["version"] = 1, ["min_supported"] = -1, ["max_supported"] = 1 },
            new JsonObject { ["type"] = "upsert_search_attributes", ["attributes"] = new JsonObject { ["Tier"] = "platinum", ["Old"] = null, ["Count"] = 3 } },
            new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 0 });

        Assert.Equal("waiting", (string?)result["run_status"]);
        var next = await h.PollAsync();
        var events = next["history_events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var sideEffect = events.Single(e => (string?)e["event_type"] == "SideEffectRecorded")["payload"]!;
        var marker = events.Single(e => (string?)e["event_type"] == "VersionMarkerRecorded")["payload"]!;
        var upsert = events.Single(e => (string?)e["event_type"] == "SearchAttributesUpserted")["payload"]!;
        var timer = events.Single(e => (string?)e["event_type"] == "TimerScheduled")["payload"]!;
        var fired = events.Single(e => (string?)e["event_type"] == "TimerFired")["payload"]!;
        Assert.Equal([1, 2, 3, 4], new[] { sideEffect, marker, upsert, timer }.Select(p => (int)p["sequence"]!));
        Assert.Equal(Blob, (string?)sideEffect["result"]);
        Assert.Equal("avro", (string?)sideEffect["payload_codec"]);
        Assert.Equal("fix-1", (string?)marker["change_id"]);
        Assert.Equal(-1, (int)marker["min_supported"]!);
        // jsonb keeps keys in its own order; the content is what replay reads.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"Count":3,"Tier":"platinum"}"""), upsert["merged"]));
        Assert.Equal(4, (int)fired["sequence"]!);
        Assert.Equal((string?)timer["timer_id"], (string?)next["timer_id"]);
        Assert.Equal(4, (int)next["workflow_sequence"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"Count":3,"Tier":"platinum"}"""),
            JsonNode.Parse((await database.ScalarAsync<string>($"SELECT search_attributes::text FROM workflow_runs WHERE id = '{started["run_id"]}'"))!)));
        Assert.Equal(events.Select(e => (long)e["sequence"]!), Enumerable.Range(1, events.Count).Select(i => (long)i));
    }

    [Fact]
    public async Task two_terminal_commands_are_invalid_and_nothing_is_written()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        var task = await h.PollAsync();
        var before = await CountsAsync((string)started["run_id"]!);

        var refused = await h.CompleteAsync(task, HttpStatusCode.Conflict,
            new JsonObject { ["type"] = "record_side_effect", ["result"] = Blob },
            new JsonObject { ["type"] = "complete_workflow" },
            new JsonObject { ["type"] = "fail_workflow", ["message"] = "boom" });

        Assert.Equal("invalid_commands", (string?)refused["reason"]);
        Assert.False((bool)refused["recorded"]!);
        Assert.Equal("completed", (string?)refused["outcome"]);
        Assert.Equal(before, await CountsAsync((string)started["run_id"]!));
        Assert.Equal("leased", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{task["task_id"]}'"));
    }

    [Theory]
    [InlineData("""[{"type":"cancel_timer"}]""", "commands.0.type")]
    [InlineData("""[{"type":"schedule_activity","activity_type":"a","delay_seconds":3}]""", "commands.0.delay_seconds")]
    [InlineData("""[{"type":"start_timer"}]""", "commands.0.delay_seconds")]
    [InlineData("""[{"type":"start_timer","delay_seconds":-1}]""", "commands.0.delay_seconds")]
    [InlineData("""[{"type":"fail_workflow"}]""", "commands.0.message")]
    [InlineData("""[{"type":"schedule_activity","activity_type":"a","heartbeat_timeout":30,"start_to_close_timeout":10}]""", "commands.0.start_to_close_timeout")]
    [InlineData("""[{"type":"complete_workflow","result":{"codec":"json","blob":"x"}}]""", "commands.0.result.codec")]
    [InlineData("""[]""", "commands")]
    public async Task malformed_commands_are_422_and_change_nothing(string commands, string field)
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        var task = await h.PollAsync();
        var before = await CountsAsync((string)started["run_id"]!);

        var refused = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = h.WorkerId,
            ["workflow_task_attempt"] = 1,
            ["commands"] = JsonNode.Parse(commands),
        }, (HttpStatusCode)422);

        Assert.Equal("validation_failed", (string?)refused["reason"]);
        Assert.True(refused["errors"]!.AsObject().ContainsKey(field), refused["errors"]!.ToJsonString());
        Assert.Equal("1.1", (string?)refused["protocol_version"]);
        Assert.NotNull(refused["server_capabilities"]);
        Assert.Equal(before, await CountsAsync((string)started["run_id"]!));
    }

    [Fact]
    public async Task the_ownership_guard_refuses_strangers_and_replays_a_repeated_completion()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        var task = await h.PollAsync();
        var path = $"/api/worker/workflow-tasks/{task["task_id"]}/complete";
        var commands = new JsonArray(new JsonObject { ["type"] = "complete_workflow", ["result"] = Blob });

        var stranger = await h.WorkerPostAsync(path, new JsonObject { ["lease_owner"] = "someone-else", ["workflow_task_attempt"] = 1, ["commands"] = commands.DeepClone() }, HttpStatusCode.Conflict);
        var stale = await h.WorkerPostAsync(path, new JsonObject { ["lease_owner"] = h.WorkerId, ["workflow_task_attempt"] = 2, ["commands"] = commands.DeepClone() }, HttpStatusCode.Conflict);
        var unknown = await h.WorkerPostAsync("/api/worker/workflow-tasks/01jxxxxxxxxxxxxxxxxxxxxxxx/complete", new JsonObject { ["lease_owner"] = h.WorkerId, ["workflow_task_attempt"] = 1, ["commands"] = commands.DeepClone() }, HttpStatusCode.NotFound);
        var first = await h.CompleteAsync(task, new JsonObject { ["type"] = "complete_workflow", ["result"] = Blob });
        var events = await CountsAsync((string)started["run_id"]!);
        var again = await h.CompleteAsync(task, new JsonObject { ["type"] = "complete_workflow", ["result"] = Blob });

        Assert.Equal("lease_owner_mismatch", (string?)stranger["reason"]);
        Assert.Equal(h.WorkerId, (string?)stranger["lease_owner"]);
        Assert.Equal("workflow_task_attempt_mismatch", (string?)stale["reason"]);
        Assert.Equal(1, (int)stale["current_attempt"]!);
        Assert.Equal("task_not_found", (string?)unknown["reason"]);
        Assert.True(JsonNode.DeepEquals(first, again), $"{first.ToJsonString()} != {again.ToJsonString()}");
        Assert.Equal(events, await CountsAsync((string)started["run_id"]!));
        Assert.Equal("completed", (string?)first["run_status"]);
    }

    [Fact]
    public async Task a_failed_task_is_offered_again_after_a_back_off_with_the_next_attempt()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        var task = await h.PollAsync();

        var failed = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/fail", new JsonObject
        {
            ["lease_owner"] = h.WorkerId,
            ["workflow_task_attempt"] = 1,
            ["failure"] = new JsonObject { ["message"] = "no workflow registered for type 'demo'" },
        }, HttpStatusCode.OK);
        var delay = await database.ScalarAsync<double>($"SELECT extract(epoch FROM available_at - now())::float8 FROM workflow_tasks WHERE id = '{task["task_id"]}'");
        await database.ExecuteAsync($"UPDATE workflow_tasks SET available_at = now() WHERE id = '{task["task_id"]}'");
        var again = await h.PollAsync();

        Assert.Equal("failed", (string?)failed["outcome"]);
        Assert.Null(failed["next_task_id"]);
        Assert.InRange(delay, 1.5, 3.5);
        Assert.Equal((string?)task["task_id"], (string?)again["task_id"]);
        Assert.Equal(2, (int)again["workflow_task_attempt"]!);
    }

    [Fact]
    public async Task continue_as_new_closes_the_run_and_starts_its_successor()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync(extra: new JsonObject { ["memo"] = new JsonObject { ["k"] = "v" } });
        var task = await h.PollAsync();

        var result = await h.CompleteAsync(task, new JsonObject { ["type"] = "continue_as_new", ["arguments"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwwA" } });
        var next = await h.PollAsync();

        var oldRun = (string)started["run_id"]!;
        Assert.Equal("completed", (string?)result["run_status"]);
        Assert.NotEqual(oldRun, (string?)next["run_id"]);
        Assert.Equal((string?)started["workflow_id"], (string?)next["workflow_id"]);
        Assert.Equal(["WorkflowStarted"], WorkflowHarness.EventTypes(next));
        Assert.Equal(oldRun, (string?)WorkflowHarness.LastEvent(next, "WorkflowStarted")["continued_from_run_id"]);
        Assert.Equal("wwHioz3/VYAiNwwA", (string?)next["arguments"]!["blob"]);
        Assert.Equal("continued", await database.ScalarAsync<string>($"SELECT closed_reason FROM workflow_runs WHERE id = '{oldRun}'"));
        Assert.Equal((string?)next["run_id"], await database.ScalarAsync<string>($"SELECT current_run_id FROM workflow_instances WHERE id = '{started["workflow_id"]}'"));
        Assert.Equal(2, await database.ScalarAsync<int>($"SELECT run_number FROM workflow_runs WHERE id = '{next["run_id"]}'"));
        Assert.Equal("""{"k": "v"}""", await database.ScalarAsync<string>($"SELECT memo::text FROM workflow_runs WHERE id = '{next["run_id"]}'"));
    }

    [Fact]
    public async Task a_child_workflow_runs_and_its_result_resumes_the_parent()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var parent = await h.StartAsync("parent");
        var parentTask = await h.PollAsync();
        await h.CompleteAsync(parentTask, new JsonObject { ["type"] = "start_child_workflow", ["workflow_type"] = "child", ["queue"] = h.Queue, ["parent_close_policy"] = "abandon" });

        var childTask = await h.PollAsync();
        Assert.Equal("child", (string?)childTask["workflow_type"]);
        var childStarted = WorkflowHarness.LastEvent(childTask, "WorkflowStarted");
        Assert.Equal((string?)parent["run_id"], (string?)childStarted["parent_workflow_run_id"]);
        await h.CompleteAsync(childTask, new JsonObject { ["type"] = "complete_workflow", ["result"] = Blob });

        var resumed = await h.PollAsync();
        Assert.Equal((string?)parent["run_id"], (string?)resumed["run_id"]);
        Assert.Equal("child", (string?)resumed["workflow_wait_kind"]);
        var completed = WorkflowHarness.LastEvent(resumed, "ChildRunCompleted");
        Assert.Equal(Blob, (string?)completed["output"]);
        Assert.Equal(1, (int)completed["sequence"]!);
        Assert.Equal(1, (int)WorkflowHarness.LastEvent(resumed, "ChildWorkflowScheduled")["sequence"]!);
        Assert.Equal((string?)childTask["run_id"], (string?)completed["child_workflow_run_id"]);
    }

    [Fact]
    public async Task a_condition_wait_times_out_through_its_timer()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        var task = await h.PollAsync();
        await h.CompleteAsync(task, new JsonObject { ["type"] = "open_condition_wait", ["condition_key"] = "approved", ["condition_definition_fingerprint"] = "sha256:abc", ["timeout_seconds"] = 1 });

        var resumed = await h.PollAsync(timeoutSeconds: 15);

        var opened = WorkflowHarness.LastEvent(resumed, "ConditionWaitOpened");
        var scheduled = WorkflowHarness.LastEvent(resumed, "TimerScheduled");
        var fired = WorkflowHarness.LastEvent(resumed, "TimerFired");
        Assert.Equal("condition", (string?)resumed["workflow_wait_kind"]);
        Assert.Equal((int)opened["sequence"]!, (int)scheduled["sequence"]!);
        Assert.Equal("condition_timeout", (string?)scheduled["timer_kind"]);
        Assert.Equal("condition_timeout", (string?)fired["timer_kind"]);
        Assert.Equal((string?)opened["condition_wait_id"], (string?)fired["condition_wait_id"]);
        Assert.Equal("approved", (string?)fired["condition_key"]);
        Assert.Equal("approved", (string?)resumed["condition_key"]);
    }

    [Fact]
    public async Task history_is_paged_within_the_lease_and_bad_tokens_are_refused()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        var first = (await h.WorkerPostAsync("/api/worker/workflow-tasks/poll", new JsonObject
        {
            ["worker_id"] = h.WorkerId, ["task_queue"] = h.Queue, ["timeout_seconds"] = 5, ["history_page_size"] = 1,
        }, HttpStatusCode.OK))["task"]!.AsObject();
        var path = $"/api/worker/workflow-tasks/{first["task_id"]}/history";

        var second = await h.WorkerPostAsync(path, new JsonObject
        {
            ["lease_owner"] = h.WorkerId, ["workflow_task_attempt"] = 1, ["next_history_page_token"] = (string?)first["next_history_page_token"], ["history_page_size"] = 1,
        }, HttpStatusCode.OK);
        var invalid = await h.WorkerPostAsync(path, new JsonObject
        {
            ["lease_owner"] = h.WorkerId, ["workflow_task_attempt"] = 1, ["next_history_page_token"] = "not-a-token",
        }, HttpStatusCode.BadRequest);

        Assert.Equal(["StartAccepted"], WorkflowHarness.EventTypes(first));
        Assert.Equal(2, (int)first["total_history_events"]!);
        Assert.Equal(["WorkflowStarted"], WorkflowHarness.EventTypes(second));
        Assert.Null(second["next_history_page_token"]);
        Assert.Equal("invalid_page_token", (string?)invalid["reason"]);
    }

    private async Task<(long Events, long Tasks, long Executions)> CountsAsync(string runId) => (
        await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}'"),
        await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}'"),
        await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_activity_executions WHERE run_id = '{runId}'"));
}
