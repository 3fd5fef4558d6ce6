using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.WorkflowTasks;

/// <summary>
/// The clients' own request shapes for workflow tasks and the remaining workflow commands, replayed against the
/// server with the fixture ids replaced by real ones (the fixtures' ids and attempts are illustrative).
/// </summary>
public sealed class WorkflowFixtureParityTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task poll_complete_history_and_fail_accept_the_fixture_bodies()
    {
        var poll = SharedFixtures.ControlPlane("workflow-task-poll-parity");
        var pollBody = poll.Body!;
        using var h = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = null });
        pollBody["worker_id"] = h.WorkerId;
        pollBody["task_queue"] = h.Queue;
        await h.StartAsync();
        await h.StartAsync();

        var task = (await h.WorkerPostAsync(poll.Path, pollBody, HttpStatusCode.OK))["task"]!.AsObject();
        foreach (var key in new[] { "task_id", "workflow_id", "run_id", "workflow_task_attempt", "lease_owner", "history_events" })
        {
            Assert.True(task.ContainsKey(key), key);
        }

        var complete = SharedFixtures.ControlPlane("workflow-task-complete-parity");
        var completeBody = Retarget(complete.Body!, h, task);
        var completed = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/complete", completeBody, HttpStatusCode.OK);
        Assert.Equal((string?)complete.Semantic["outcome"], (string?)completed["outcome"]);
        var activity = await database.ScalarAsync<string>($"SELECT task_queue FROM workflow_activity_executions WHERE run_id = '{task["run_id"]}'");
        Assert.Equal((string?)completeBody["commands"]![0]!["task_queue"], activity);
        var arguments = await database.ScalarAsync<string>($"SELECT arguments ->> 'codec' FROM workflow_activity_executions WHERE run_id = '{task["run_id"]}'");
        Assert.Equal("avro", arguments);

        var second = (await h.WorkerPostAsync(poll.Path, pollBody, HttpStatusCode.OK))["task"]!.AsObject();
        var history = SharedFixtures.ControlPlane("workflow-task-history-parity");
        var historyAnswer = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{second["task_id"]}/history", Retarget(history.Body!, h, second), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_page_token", (string?)historyAnswer["reason"]);

        var fail = SharedFixtures.ControlPlane("workflow-task-fail-parity");
        var failed = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{second["task_id"]}/fail", Retarget(fail.Body!, h, second), HttpStatusCode.OK);
        Assert.Equal((string?)fail.Semantic["outcome"], (string?)failed["outcome"]);
        Assert.Equal((string?)fail.Semantic["message"], await database.ScalarAsync<string>($"SELECT last_error FROM workflow_tasks WHERE id = '{second["task_id"]}'"));
    }

    [Fact]
    public async Task list_repair_and_archive_accept_the_cli_requests()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync("orders.process");
        var workflowId = (string)started["workflow_id"]!;
        using var control = server.ControlClient();

        var list = SharedFixtures.ControlPlane("workflow-list-parity");
        var query = string.Join('&', list.Json["cli"]!["expected_query"]!.AsObject().Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!.ToString())}"));
        using var listed = await control.GetAsync($"{list.Path}?{query}");
        var listBody = await HttpAssert.JsonAsync(listed, HttpStatusCode.OK);
        Assert.Equal(0, (int)listBody["workflow_count"]!);

        var repair = SharedFixtures.ControlPlane("workflow-repair-parity");
        using var repaired = await control.PostAsync(repair.Path.Replace("wf-polyglot-231", workflowId, StringComparison.Ordinal),
            ServerFactory.Json(repair.Json["cli"]!["expected_body"]!.ToJsonString()));
        var repairBody = await HttpAssert.JsonAsync(repaired, HttpStatusCode.OK);
        Assert.Equal(workflowId, (string?)repairBody["workflow_id"]);

        var task = await h.PollAsync();
        await h.CompleteAsync(task, new JsonObject { ["type"] = "complete_workflow" });
        var archive = SharedFixtures.ControlPlane("workflow-archive-parity");
        using var archived = await control.PostAsync(archive.Path.Replace("wf-polyglot-231", workflowId, StringComparison.Ordinal),
            ServerFactory.Json(archive.Json["cli"]!["expected_body"]!.ToJsonString()));
        var archiveBody = await HttpAssert.JsonAsync(archived, HttpStatusCode.OK);
        Assert.Equal(workflowId, (string?)archiveBody["workflow_id"]);
        Assert.Equal((string?)archive.Semantic["reason"], await database.ScalarAsync<string>($"SELECT archive_reason FROM workflow_runs WHERE id = '{started["run_id"]}'"));
    }

    private static JsonObject Retarget(JsonObject fixtureBody, WorkflowHarness h, JsonObject task)
    {
        var body = (JsonObject)fixtureBody.DeepClone();
        body["lease_owner"] = h.WorkerId;
        body["workflow_task_attempt"] = task["workflow_task_attempt"]!.DeepClone();
        return body;
    }
}
