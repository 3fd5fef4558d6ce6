using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Engine.Activities;

/// <summary>
/// Activity-timeout enforcement (rollout contract §9.9, invariants 71–73) against a real database. Deadlines are moved
/// into the past with SQL instead of waiting; the server's own loop may enforce first, so the tests assert the rows
/// and history rather than the pass's count.
/// </summary>
public sealed class ActivityTimeoutTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string ArgumentsBlob = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_start_to_close_timeout_with_attempts_left_schedules_a_retry_task()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("start_to_close_timeout", 60), maxAttempts: 2));
        var first = await PollActivityAsync(harness);

        await ExpireAsync(first, "close_deadline_at");

        var executionId = (string)first["activity_execution_id"]!;
        Assert.Equal("timed_out", await AttemptStatusAsync(first));
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{first["task_id"]}'"));
        Assert.Equal("pending", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{executionId}'"));
        Assert.Equal("start_to_close", await database.ScalarAsync<string>(
            $"SELECT timeout_kind FROM workflow_activity_attempts WHERE id = '{first["activity_attempt_id"]}'"));
        var retryTaskId = await database.ScalarAsync<string>(
            $"SELECT id FROM workflow_tasks WHERE activity_execution_id = '{executionId}' AND status = 'ready' AND retry_of_task_id = '{first["task_id"]}'");
        Assert.NotNull(retryTaskId);

        var second = await PollActivityAsync(harness);
        Assert.Equal(retryTaskId, (string?)second["task_id"]);
        Assert.Equal(2, (int)second["attempt_number"]!);

        var retried = await database.ScalarAsync<string>(
            $"SELECT payload::text FROM workflow_history_events WHERE run_id = '{first["run_id"]}' AND event_type = 'ActivityRetryScheduled'");
        var payload = JsonNode.Parse(retried!)!;
        Assert.Equal("start_to_close", (string?)payload["timeout_kind"]);
        Assert.Equal(retryTaskId, (string?)payload["retry_task_id"]);
        Assert.Equal((string?)first["task_id"], (string?)payload["retry_of_task_id"]);
        Assert.Equal(1, (int)payload["retry_after_attempt"]!);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE run_id = '{first["run_id"]}' AND task_type = 'workflow' AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task a_start_to_close_timeout_on_the_last_attempt_times_the_step_out_and_resumes_the_workflow()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("start_to_close_timeout", 60), maxAttempts: 1));
        var task = await PollActivityAsync(harness);

        await ExpireAsync(task, "close_deadline_at");

        var resume = await harness.PollAsync();
        Assert.Equal("ActivityTimedOut", (string?)resume["workflow_event_type"]);
        Assert.Equal((string?)task["activity_attempt_id"], (string?)resume["activity_attempt_id"]);
        var timedOut = WorkflowHarness.LastEvent(resume, "ActivityTimedOut");
        Assert.Equal("start_to_close", (string?)timedOut["timeout_kind"]);
        Assert.Equal(1, (int)timedOut["sequence"]!);
        Assert.Equal(1, (int)timedOut["attempt_number"]!);
        Assert.Equal("timeout", (string?)timedOut["failure_category"]);
        Assert.StartsWith("Activity charge_card start-to-close deadline expired at ", (string?)timedOut["message"], StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_failures WHERE id = '{timedOut["failure_id"]}' AND failure_category = 'timeout'"));
        Assert.Equal("timed_out", await database.ScalarAsync<string>(
            $"SELECT status FROM workflow_activity_executions WHERE id = '{task["activity_execution_id"]}'"));
        Assert.Equal("timed_out", await AttemptStatusAsync(task));
    }

    [Fact]
    public async Task a_schedule_to_close_timeout_never_retries()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("schedule_to_close_timeout", 60), maxAttempts: 5));
        var task = await PollActivityAsync(harness);

        await ExpireAsync(task, "schedule_to_close_deadline_at");

        var resume = await harness.PollAsync();
        Assert.Equal("schedule_to_close", (string?)WorkflowHarness.LastEvent(resume, "ActivityTimedOut")["timeout_kind"]);
        Assert.DoesNotContain("ActivityRetryScheduled", WorkflowHarness.EventTypes(resume));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE activity_execution_id = '{task["activity_execution_id"]}' AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task a_schedule_to_start_timeout_times_out_an_unclaimed_activity()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var runId = await ScheduleAsync(harness, Activity(timeouts: ("schedule_to_start_timeout", 60), maxAttempts: 1));
        var executionId = (await database.ScalarAsync<string>($"SELECT id FROM workflow_activity_executions WHERE run_id = '{runId}'"))!;
        var taskId = await database.ScalarAsync<string>($"SELECT id FROM workflow_tasks WHERE activity_execution_id = '{executionId}'");

        await database.ExecuteAsync(
            $"UPDATE workflow_activity_executions SET schedule_deadline_at = now() - interval '1 second' WHERE id = '{executionId}'");
        await EnforcerAsync();

        var resume = await harness.PollAsync();
        var timedOut = WorkflowHarness.LastEvent(resume, "ActivityTimedOut");
        Assert.Equal("schedule_to_start", (string?)timedOut["timeout_kind"]);
        Assert.Null(timedOut["activity_attempt_id"]);
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{taskId}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_activity_attempts WHERE activity_execution_id = '{executionId}'"));
    }

    [Fact]
    public async Task a_step_nobody_claims_uses_up_its_attempts_and_then_times_out()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var runId = await ScheduleAsync(harness, Activity(timeouts: ("schedule_to_start_timeout", 60), maxAttempts: 2));
        var executionId = (await database.ScalarAsync<string>($"SELECT id FROM workflow_activity_executions WHERE run_id = '{runId}'"))!;
        var expire = $"UPDATE workflow_activity_executions SET schedule_deadline_at = now() - interval '1 second' WHERE id = '{executionId}'";

        await database.ExecuteAsync(expire);
        await EnforcerAsync();
        var retried = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE activity_execution_id = '{executionId}' AND status = 'ready'");
        await database.ExecuteAsync(expire);
        await EnforcerAsync();

        var resume = await harness.PollAsync();
        Assert.Equal(1L, retried);
        Assert.Equal("schedule_to_start", (string?)WorkflowHarness.LastEvent(resume, "ActivityTimedOut")["timeout_kind"]);
        Assert.Equal("timed_out", await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{executionId}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE activity_execution_id = '{executionId}' AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task a_missed_heartbeat_times_the_attempt_out()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("heartbeat_timeout", 30), maxAttempts: 1));
        var task = await PollActivityAsync(harness);

        await ExpireAsync(task, "heartbeat_deadline_at");

        var resume = await harness.PollAsync();
        var timedOut = WorkflowHarness.LastEvent(resume, "ActivityTimedOut");
        Assert.Equal("heartbeat", (string?)timedOut["timeout_kind"]);
        Assert.Contains("(last heartbeat: never)", (string?)timedOut["message"], StringComparison.Ordinal);
        Assert.Equal("timed_out", await AttemptStatusAsync(task));
    }

    [Fact]
    public async Task enforcing_again_changes_nothing()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("start_to_close_timeout", 60), maxAttempts: 2));
        var task = await PollActivityAsync(harness);
        await ExpireAsync(task, "close_deadline_at");
        var before = await SnapshotAsync((string)task["run_id"]!);

        await EnforcerAsync();

        Assert.Equal(before, await SnapshotAsync((string)task["run_id"]!));
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_history_events WHERE run_id = '{task["run_id"]}' AND event_type = 'ActivityRetryScheduled'"));
    }

    [Fact]
    public async Task a_late_completion_after_the_timeout_is_a_stale_attempt()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ScheduleAsync(harness, Activity(timeouts: ("start_to_close_timeout", 60), maxAttempts: 1));
        var task = await PollActivityAsync(harness);
        await ExpireAsync(task, "close_deadline_at");

        using var response = await harness.Worker.PostAsync($"/api/worker/activity-tasks/{task["task_id"]}/complete", ServerFactory.Json(new JsonObject
        {
            ["activity_attempt_id"] = (string?)task["activity_attempt_id"],
            ["lease_owner"] = harness.WorkerId,
            ["result"] = ArgumentsBlob,
        }.ToJsonString()));
        var refused = await HttpAssert.ErrorAsync(response, HttpStatusCode.Conflict, "stale_attempt");
        Assert.False((bool)refused["recorded"]!);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_history_events WHERE run_id = '{task["run_id"]}' AND event_type = 'ActivityCompleted'"));
    }

    [Theory]
    [InlineData("schedule_to_close_timeout", "schedule_to_close_deadline_at", true, 5, false)]
    [InlineData("schedule_to_close_timeout", "schedule_to_close_deadline_at", false, 5, false)]
    [InlineData("start_to_close_timeout", "close_deadline_at", true, 2, true)]
    [InlineData("start_to_close_timeout", "close_deadline_at", true, 1, false)]
    [InlineData("heartbeat_timeout", "heartbeat_deadline_at", true, 2, true)]
    [InlineData("heartbeat_timeout", "heartbeat_deadline_at", true, 1, false)]
    [InlineData("schedule_to_start_timeout", "schedule_deadline_at", false, 2, true)]
    [InlineData("schedule_to_start_timeout", "schedule_deadline_at", false, 1, false)]
    public async Task Invariant_072_schedule_to_close_never_retries_and_other_kinds_retry_iff_attempts_remain(
        string timeout, string deadlineColumn, bool claimed, int maxAttempts, bool retries)
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var runId = await ScheduleAsync(harness, Activity(timeouts: (timeout, 60), maxAttempts));
        if (claimed)
        {
            await PollActivityAsync(harness);
        }

        var executionId = (await database.ScalarAsync<string>($"SELECT id FROM workflow_activity_executions WHERE run_id = '{runId}'"))!;
        await database.ExecuteAsync($"UPDATE workflow_activity_executions SET {deadlineColumn} = now() - interval '1 second' WHERE id = '{executionId}'");
        await EnforcerAsync();

        Assert.Equal(retries ? "pending" : "timed_out",
            await database.ScalarAsync<string>($"SELECT status FROM workflow_activity_executions WHERE id = '{executionId}'"));
        Assert.Equal(retries ? 1L : 0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE activity_execution_id = '{executionId}' AND status IN ('ready', 'leased')"));
        Assert.Equal(retries ? 1L : 0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}' AND event_type = 'ActivityRetryScheduled'"));
        Assert.Equal(retries ? 0L : 1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}' AND event_type = 'ActivityTimedOut'"));
    }

    private static JsonObject Activity((string Key, int Seconds) timeouts, int maxAttempts) => new()
    {
        ["type"] = "schedule_activity",
        ["activity_type"] = "charge_card",
        ["arguments"] = new JsonObject { ["codec"] = "avro", ["blob"] = ArgumentsBlob },
        ["retry_policy"] = new JsonObject { ["max_attempts"] = maxAttempts },
        [timeouts.Key] = timeouts.Seconds,
    };

    /// <summary>Starts a run and completes its first workflow task with the command; returns the run id.</summary>
    private static async Task<string> ScheduleAsync(WorkflowHarness harness, JsonObject command)
    {
        await harness.StartAsync("checkout");
        var task = await harness.PollAsync();
        command["queue"] = harness.Queue;
        var complete = await harness.CompleteAsync(task, command);
        Assert.Equal("waiting", (string?)complete["run_status"]);
        return (string)task["run_id"]!;
    }

    private static async Task<JsonObject> PollActivityAsync(WorkflowHarness harness)
    {
        var poll = await harness.WorkerPostAsync("/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK);
        return Assert.IsType<JsonObject>(poll["task"]);
    }

    /// <summary>Moves one deadline of the claimed task's execution into the past and runs a pass.</summary>
    private async Task ExpireAsync(JsonObject task, string deadlineColumn)
    {
        await database.ExecuteAsync(
            $"UPDATE workflow_activity_executions SET {deadlineColumn} = now() - interval '1 second' WHERE id = '{task["activity_execution_id"]}'");
        await EnforcerAsync();
    }

    private Task<int> EnforcerAsync() => server.Services.GetRequiredService<ActivityTimeoutEnforcer>().EnforceDueAsync(CancellationToken.None);

    private Task<string?> AttemptStatusAsync(JsonObject task) =>
        database.ScalarAsync<string>($"SELECT status FROM workflow_activity_attempts WHERE id = '{task["activity_attempt_id"]}'");

    /// <summary>Every row enforcement could touch for the run, so "nothing changed" is one comparison.</summary>
    private Task<string?> SnapshotAsync(string runId) => database.ScalarAsync<string>(
        $"""
         SELECT concat_ws(' | ',
             (SELECT string_agg(event_type, ',' ORDER BY sequence) FROM workflow_history_events WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || updated_at::text, ',' ORDER BY id) FROM workflow_tasks WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || attempt_count || ':' || updated_at::text, ',' ORDER BY id)
                FROM workflow_activity_executions WHERE run_id = '{runId}'),
             (SELECT string_agg(id || ':' || status || ':' || coalesce(closed_at::text, '-'), ',' ORDER BY id) FROM workflow_activity_attempts WHERE run_id = '{runId}'),
             (SELECT count(*)::text FROM workflow_failures WHERE run_id = '{runId}'))
         """);
}
