using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>Parent-close policies and child retry policies of <c>start_child_workflow</c> (worker-protocol spec §3.5, §6.2).</summary>
public sealed class ChildWorkflowPolicyTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_completing_parent_terminates_its_child_under_the_terminate_policy()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        using var control = server.ControlClient();
        var parent = await h.StartAsync("parent");
        await h.CompleteAsync(await h.PollAsync(), StartChild("terminate"));
        var childTask = await h.PollAsync();
        var childRunId = (string)childTask["run_id"]!;

        await PostAsync(control, $"/api/workflows/{parent["workflow_id"]}/signal/go", HttpStatusCode.Accepted);
        var resumed = await h.PollAsync();
        Assert.Equal((string?)parent["run_id"], (string?)resumed["run_id"]);
        await h.CompleteAsync(resumed, new JsonObject { ["type"] = "complete_workflow" });

        Assert.Equal("terminated", await RunStatusAsync(childRunId));
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{childTask["task_id"]}'"));
        var childHistory = await HistoryAsync(childRunId);
        Assert.Equal(["TerminateRequested", "WorkflowTerminated"], childHistory.TakeLast(2).Select(e => e.Type));
        var parentHistory = await HistoryAsync((string)parent["run_id"]!);
        Assert.Equal(["WorkflowCompleted", "ParentClosePolicyApplied"], parentHistory.TakeLast(2).Select(e => e.Type));
        var applied = parentHistory[^1].Payload;
        Assert.Equal("terminate", (string?)applied["policy"]);
        Assert.Equal(childRunId, (string?)applied["child_run_id"]);
        Assert.Equal((string?)childHistory[^1].Payload["workflow_instance_id"], (string?)applied["child_instance_id"]);
        Assert.Equal("Parent workflow closed (completed); parent-close policy: terminate.", (string?)applied["reason"]);
        Assert.Equal(0L, await OpenParentTasksAsync((string)parent["run_id"]!));
    }

    [Fact]
    public async Task a_terminated_parent_cancels_its_child_under_the_request_cancel_policy()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        using var control = server.ControlClient();
        var parent = await h.StartAsync("parent");
        await h.CompleteAsync(await h.PollAsync(), StartChild("request_cancel"));
        var childRunId = (string)(await h.PollAsync())["run_id"]!;

        await PostAsync(control, $"/api/workflows/{parent["workflow_id"]}/terminate", HttpStatusCode.OK);

        Assert.Equal("cancelled", await RunStatusAsync(childRunId));
        Assert.True(await database.ScalarAsync<bool>($"SELECT cancel_requested_at IS NOT NULL FROM workflow_runs WHERE id = '{childRunId}'"));
        Assert.Equal(["CancelRequested", "WorkflowCancelled"], (await HistoryAsync(childRunId)).TakeLast(2).Select(e => e.Type));
        var parentHistory = await HistoryAsync((string)parent["run_id"]!);
        Assert.Equal(["TerminateRequested", "WorkflowTerminated", "ParentClosePolicyApplied"], parentHistory.TakeLast(3).Select(e => e.Type));
        Assert.Equal("request_cancel", (string?)parentHistory[^1].Payload["policy"]);
        Assert.DoesNotContain(parentHistory, e => e.Type == "ChildRunCancelled");
    }

    [Fact]
    public async Task an_abandoned_child_keeps_running_after_its_parent_is_cancelled()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        using var control = server.ControlClient();
        var parent = await h.StartAsync("parent");
        await h.CompleteAsync(await h.PollAsync(), StartChild("abandon"));
        var childTask = await h.PollAsync();

        await PostAsync(control, $"/api/workflows/{parent["workflow_id"]}/cancel", HttpStatusCode.OK);

        Assert.Equal("leased", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{childTask["task_id"]}'"));
        await h.CompleteAsync(childTask, new JsonObject { ["type"] = "complete_workflow" });
        Assert.Equal("completed", await RunStatusAsync((string)childTask["run_id"]!));
        var parentHistory = await HistoryAsync((string)parent["run_id"]!);
        Assert.Equal("WorkflowCancelled", parentHistory[^1].Type);
        Assert.Equal(0L, await OpenParentTasksAsync((string)parent["run_id"]!));
    }

    [Fact]
    public async Task a_failed_child_with_attempts_left_is_retried_as_a_new_run_without_telling_the_parent()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var (parentRunId, childTask) = await StartRetryingChildAsync(h, maxAttempts: 2);
        var firstRunId = (string)childTask["run_id"]!;
        await FailAsync(h, childTask);

        var retryTask = await h.PollAsync();
        var retryRunId = (string)retryTask["run_id"]!;
        Assert.NotEqual(firstRunId, retryRunId);
        var started = WorkflowHarness.LastEvent(retryTask, "WorkflowStarted");
        Assert.Equal(1, (int)started["retry_attempt"]!);
        Assert.Equal(firstRunId, (string?)started["retry_of_child_workflow_run_id"]);
        Assert.Equal(parentRunId, (string?)started["parent_workflow_run_id"]);
        Assert.Equal("2|1|" + firstRunId, await database.ScalarAsync<string>(
            $"SELECT run_number || '|' || retry_attempt || '|' || retry_of_run_id FROM workflow_runs WHERE id = '{retryRunId}'"));
        Assert.Equal(retryRunId + "|2", await database.ScalarAsync<string>(
            $"SELECT current_run_id || '|' || run_count FROM workflow_instances i JOIN workflow_runs r ON r.workflow_instance_id = i.id WHERE r.id = '{retryRunId}'"));
        Assert.Equal(retryRunId, await database.ScalarAsync<string>($"SELECT child_workflow_run_id FROM workflow_links WHERE parent_workflow_run_id = '{parentRunId}'"));

        var parentHistory = await HistoryAsync(parentRunId);
        Assert.DoesNotContain(parentHistory, e => e.Type == "ChildRunFailed");
        var retried = parentHistory.Last(e => e.Type == "ChildRunStarted").Payload;
        Assert.Equal(1, (int)retried["sequence"]!);
        Assert.Equal(retryRunId, (string?)retried["child_workflow_run_id"]);
        Assert.Equal(2, (int)retried["child_run_number"]!);
        Assert.Equal(1, (int)retried["retry_attempt"]!);
        Assert.Equal(firstRunId, (string?)retried["retry_of_child_workflow_run_id"]);
        Assert.Equal(0, (int)retried["retry_backoff_seconds"]!);
        Assert.Equal(0L, await OpenParentTasksAsync(parentRunId));
    }

    [Fact]
    public async Task a_child_that_exhausts_its_attempts_fails_the_parent_step()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var (parentRunId, childTask) = await StartRetryingChildAsync(h, maxAttempts: 2);
        await FailAsync(h, childTask);
        var retryTask = await h.PollAsync();
        await FailAsync(h, retryTask);

        var resumed = await h.PollAsync();

        Assert.Equal(parentRunId, (string?)resumed["run_id"]);
        Assert.Equal((string?)retryTask["run_id"], (string?)resumed["child_workflow_run_id"]);
        var failed = WorkflowHarness.LastEvent(resumed, "ChildRunFailed");
        Assert.Equal((string?)retryTask["run_id"], (string?)failed["child_workflow_run_id"]);
        Assert.Equal("boom", (string?)failed["message"]);
        Assert.Equal(1, (int)failed["sequence"]!);
        Assert.Equal(2, WorkflowHarness.EventTypes(resumed).Count(t => t == "ChildRunStarted"));
    }

    [Fact]
    public async Task a_retry_waits_out_its_back_off()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var (parentRunId, childTask) = await StartRetryingChildAsync(h, maxAttempts: 3, backoff: 30);
        var firstRunId = (string)childTask["run_id"]!;
        await FailAsync(h, childTask);

        var retryRunId = await database.ScalarAsync<string>(
            $"SELECT current_run_id FROM workflow_instances i JOIN workflow_runs r ON r.workflow_instance_id = i.id WHERE r.id = '{firstRunId}'");
        Assert.NotEqual(firstRunId, retryRunId);
        Assert.True(await database.ScalarAsync<bool>(
            $"SELECT available_at > now() + interval '20 seconds' FROM workflow_tasks WHERE run_id = '{retryRunId}' AND status = 'ready'"));
        Assert.Equal(30, (int)(await HistoryAsync(parentRunId)).Last(e => e.Type == "ChildRunStarted").Payload["retry_backoff_seconds"]!);
    }

    private static JsonObject StartChild(string parentClosePolicy, JsonObject? retryPolicy = null) => new()
    {
        ["type"] = "start_child_workflow",
        ["workflow_type"] = "child",
        ["parent_close_policy"] = parentClosePolicy,
        ["retry_policy"] = retryPolicy,
    };

    /// <summary>Starts a parent whose child has a retry policy; returns the parent run and the child's first task.</summary>
    private static async Task<(string ParentRunId, JsonObject ChildTask)> StartRetryingChildAsync(WorkflowHarness h, int maxAttempts, int backoff = 0)
    {
        var parent = await h.StartAsync("parent");
        await h.CompleteAsync(await h.PollAsync(), StartChild("abandon", new JsonObject
        {
            ["max_attempts"] = maxAttempts,
            ["backoff_seconds"] = new JsonArray(backoff),
        }));
        return ((string)parent["run_id"]!, await h.PollAsync());
    }

    private static Task<JsonObject> FailAsync(WorkflowHarness h, JsonObject task) =>
        h.CompleteAsync(task, new JsonObject { ["type"] = "fail_workflow", ["message"] = "boom", ["exception_type"] = "Boom" });

    private static async Task PostAsync(HttpClient control, string path, HttpStatusCode expected)
    {
        using var response = await control.PostAsync(path, ServerFactory.Json("{}"));
        await HttpAssert.JsonAsync(response, expected);
    }

    private Task<string?> RunStatusAsync(string runId) =>
        database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{runId}'");

    private Task<long> OpenParentTasksAsync(string runId) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND status IN ('ready', 'leased')");

    private async Task<IReadOnlyList<(string Type, JsonObject Payload)>> HistoryAsync(string runId)
    {
        var json = await database.ScalarAsync<string>(
            $"SELECT json_agg(json_build_object('t', event_type, 'p', payload) ORDER BY sequence)::text FROM workflow_history_events WHERE run_id = '{runId}'");
        return [.. JsonNode.Parse(json!)!.AsArray().Select(e => ((string)e!["t"]!, e["p"]!.AsObject()))];
    }
}
