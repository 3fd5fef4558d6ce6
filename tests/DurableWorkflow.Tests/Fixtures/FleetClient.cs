using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>
/// Several workers of one namespace against the real HTTP surface: registration with build ids and fingerprints,
/// starts, immediate polls, and the admin reads the rollout invariants check (compatibility routing, pinning).
/// </summary>
public sealed class FleetClient : IDisposable
{
    public static readonly JsonObject Blob = new() { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwoOd2FpdGluZw==" };

    private readonly HttpClient control;
    private readonly HttpClient worker;

    public FleetClient(ServerFactory server, string @namespace = "default")
    {
        ArgumentNullException.ThrowIfNull(server);
        control = server.ControlClient(ServerFactory.AdminToken, @namespace);
        worker = server.CreateClient();
        worker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        worker.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        worker.DefaultRequestHeaders.Add(HeaderNames.Namespace, @namespace);
    }

    public static string NewQueue() => $"q-{Guid.NewGuid():N}";

    public async Task<JsonObject> RegisterAsync(
        string workerId, string queue, string? buildId, JsonObject? fingerprints = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var body = new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["runtime"] = "python", ["sdk_version"] = "sdk/1" };
        if (buildId is not null)
        {
            body["build_id"] = buildId;
        }

        if (fingerprints is not null)
        {
            body["workflow_definition_fingerprints"] = fingerprints.DeepClone();
        }

        return await WorkerPostAsync("/api/worker/register", body, expected);
    }

    public async Task<JsonObject> StartAsync(string queue, string type = "demo", JsonObject? extra = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var body = extra ?? [];
        body["workflow_type"] = type;
        body["task_queue"] = queue;
        using var response = await control.PostAsync("/api/workflows", ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    /// <summary>One immediate workflow-task poll; the leased task, or null when nothing was claimable.</summary>
    public async Task<JsonObject?> PollWorkflowAsync(string workerId, string queue, int timeoutSeconds = 0) =>
        (await WorkerPostAsync("/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = timeoutSeconds }, HttpStatusCode.OK))["task"] as JsonObject;

    public async Task<JsonObject?> PollActivityAsync(string workerId, string queue, int timeoutSeconds = 0) =>
        (await WorkerPostAsync("/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = queue, ["timeout_seconds"] = timeoutSeconds }, HttpStatusCode.OK))["task"] as JsonObject;

    public Task<JsonObject> CompleteAsync(string workerId, JsonObject task, params JsonObject[] commands)
    {
        ArgumentNullException.ThrowIfNull(task);
        return WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = workerId,
            ["workflow_task_attempt"] = task["workflow_task_attempt"]!.DeepClone(),
            ["commands"] = new JsonArray([.. commands]),
        }, HttpStatusCode.OK);
    }

    public async Task<JsonObject> WorkerPostAsync(string path, JsonObject body, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var response = await worker.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> WorkerDeleteAsync(string path, HttpStatusCode expected)
    {
        using var response = await worker.DeleteAsync(path);
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> ControlGetAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await control.GetAsync(path);
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> ControlPostAsync(string path, JsonObject body, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var response = await control.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    public async Task<JsonObject> OperatorMetricsAsync() => (await ControlGetAsync("/api/system/operator-metrics"))["operator_metrics"]!.AsObject();

    public void Dispose()
    {
        control.Dispose();
        worker.Dispose();
    }
}
