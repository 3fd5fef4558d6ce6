using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

public sealed class WorkflowTaskFlowTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_timer_then_completion_runs_to_the_end()
    {
        using var control = server.ControlClient();
        using var worker = WorkerClient();
        var queue = $"q-{Guid.NewGuid():N}";
        await PostAsync(worker, "/api/worker/register", new JsonObject { ["worker_id"] = "w1", ["task_queue"] = queue, ["runtime"] = "python" }, HttpStatusCode.Created);
        var started = await PostAsync(control, "/api/workflows", new JsonObject { ["workflow_type"] = "demo", ["task_queue"] = queue, ["input"] = new JsonArray("x") }, HttpStatusCode.Created);

        var poll = await PostAsync(worker, "/api/worker/workflow-tasks/poll", new JsonObject { ["worker_id"] = "w1", ["task_queue"] = queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK);
        var task = poll["task"]!.AsObject();
        Assert.Equal((string?)started["run_id"], (string?)task["run_id"]);
        Assert.Equal(["StartAccepted", "WorkflowStarted"], task["history_events"]!.AsArray().Select(e => (string)e!["event_type"]!));
        var complete = await PostAsync(worker, $"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = "w1",
            ["workflow_task_attempt"] = 1,
            ["commands"] = new JsonArray(new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 0 }),
        }, HttpStatusCode.OK);
        Assert.Equal("waiting", (string?)complete["run_status"]);

        var second = (await PostAsync(worker, "/api/worker/workflow-tasks/poll", new JsonObject { ["worker_id"] = "w1", ["task_queue"] = queue, ["timeout_seconds"] = 10 }, HttpStatusCode.OK))["task"]!.AsObject();
        Assert.Equal("timer", (string?)second["workflow_wait_kind"]);
        Assert.Equal("TimerFired", (string?)second["history_events"]!.AsArray()[^1]!["event_type"]);
        var done = await PostAsync(worker, $"/api/worker/workflow-tasks/{second["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = "w1",
            ["workflow_task_attempt"] = 1,
            ["commands"] = new JsonArray(new JsonObject { ["type"] = "complete_workflow", ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwoOd2FpdGluZw==" } }),
        }, HttpStatusCode.OK);
        Assert.Equal("completed", (string?)done["run_status"]);
        Assert.Equal("completed", await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{started["run_id"]}'"));
    }

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
}
