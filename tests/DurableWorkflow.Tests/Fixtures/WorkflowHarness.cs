using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>Drives workflows through the real HTTP surface: one control client, one registered worker, one queue.</summary>
public sealed class WorkflowHarness : IDisposable
{
    private readonly HttpClient control;
    private readonly HttpClient worker;

    private WorkflowHarness(ServerFactory server, string queue, string workerId)
    {
        Queue = queue;
        WorkerId = workerId;
        control = server.ControlClient();
        worker = server.CreateClient();
        worker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        worker.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
    }

    public string Queue { get; }

    public string WorkerId { get; }

    public HttpClient Worker => worker;

    public static async Task<WorkflowHarness> CreateAsync(ServerFactory server, JsonObject? registration = null)
    {
        var harness = new WorkflowHarness(server, $"q-{Guid.NewGuid():N}", $"w-{Guid.NewGuid():N}");
        var body = registration ?? [];
        body["worker_id"] = harness.WorkerId;
        body["task_queue"] = harness.Queue;
        body["runtime"] ??= "python";
        await harness.WorkerPostAsync("/api/worker/register", body, HttpStatusCode.Created);
        return harness;
    }

    public async Task<JsonObject> StartAsync(string workflowType = "demo", JsonObject? extra = null)
    {
        var body = extra ?? [];
        body["workflow_type"] = workflowType;
        body["task_queue"] = Queue;
        using var response = await control.PostAsync("/api/workflows", ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonObject> PollAsync(int timeoutSeconds = 10)
    {
        var answer = await WorkerPostAsync("/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = WorkerId, ["task_queue"] = Queue, ["timeout_seconds"] = timeoutSeconds }, HttpStatusCode.OK);
        return answer["task"]?.AsObject() ?? throw new InvalidOperationException("No workflow task arrived.");
    }

    public Task<JsonObject> CompleteAsync(JsonObject task, params JsonObject[] commands) =>
        CompleteAsync(task, HttpStatusCode.OK, commands);

    public Task<JsonObject> CompleteAsync(JsonObject task, HttpStatusCode expected, params JsonObject[] commands)
    {
        ArgumentNullException.ThrowIfNull(task);
        return WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["workflow_task_attempt"] = task["workflow_task_attempt"]!.DeepClone(),
            ["commands"] = new JsonArray([.. commands]),
        }, expected);
    }

    public async Task<JsonObject> WorkerPostAsync(string path, JsonObject body, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var response = await worker.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> ControlGetAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await control.GetAsync(path);
        return await HttpAssert.JsonAsync(response, expected);
    }

    public static IReadOnlyList<string> EventTypes(JsonObject task) =>
        [.. task["history_events"]!.AsArray().Select(e => (string)e!["event_type"]!)];

    public static JsonObject LastEvent(JsonObject task, string type) =>
        task["history_events"]!.AsArray().Last(e => (string?)e!["event_type"] == type)!["payload"]!.AsObject();

    public void Dispose()
    {
        control.Dispose();
        worker.Dispose();
    }
}
