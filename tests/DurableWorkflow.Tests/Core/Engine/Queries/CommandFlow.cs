using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.Queries;

/// <summary>
/// HTTP steps shared by the command and query tests: a control client, a worker client on a fresh queue, and the
/// worker-side moves (register, poll, complete) that put a run in the state a test needs.
/// </summary>
public sealed class CommandFlow : IDisposable
{
    public const string WorkerId = "w1";

    public CommandFlow(ServerFactory server, string? queue = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Control = server.ControlClient();
        Worker = server.CreateClient();
        Worker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        Worker.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        Queue = queue ?? $"q-{Guid.NewGuid():N}";
    }

    public HttpClient Control { get; }

    public HttpClient Worker { get; }

    public string Queue { get; }

    public void Dispose()
    {
        Control.Dispose();
        Worker.Dispose();
    }

    public static string Envelope(JsonNode? value) => new JsonObject { ["codec"] = "avro", ["blob"] = AvroValueCodec.Encode(value) }.ToJsonString();

    public static JsonNode? Decode(JsonNode? blob)
    {
        Assert.True(AvroValueCodec.TryDecode((string)blob!, out var value, out var error), error);
        return value;
    }

    public Task<JsonObject> RegisterAsync(string workerId = WorkerId, string runtime = "python", JsonArray? supportedTypes = null) =>
        PostAsync(Worker, "/api/worker/register", new JsonObject
        {
            ["worker_id"] = workerId,
            ["task_queue"] = Queue,
            ["runtime"] = runtime,
            ["supported_workflow_types"] = supportedTypes ?? [],
        }, HttpStatusCode.Created);

    public Task<JsonObject> StartAsync(string? workflowId = null, string workflowType = "demo") =>
        PostAsync(Control, "/api/workflows", new JsonObject
        {
            ["workflow_id"] = workflowId ?? $"wf-{Guid.NewGuid():N}",
            ["workflow_type"] = workflowType,
            ["task_queue"] = Queue,
            ["input"] = new JsonArray("start-arg"),
        }, HttpStatusCode.Created);

    public async Task<JsonObject> PollWorkflowTaskAsync(int timeoutSeconds = 10)
    {
        var poll = await PostAsync(Worker, "/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = WorkerId, ["task_queue"] = Queue, ["timeout_seconds"] = timeoutSeconds }, HttpStatusCode.OK);
        return Assert.IsType<JsonObject>(poll["task"]);
    }

    public Task<JsonObject> CompleteWorkflowTaskAsync(JsonObject task, params JsonObject[] commands)
    {
        ArgumentNullException.ThrowIfNull(task);
        return PostAsync(Worker, $"/api/worker/workflow-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["workflow_task_attempt"] = task["workflow_task_attempt"]!.DeepClone(),
            ["commands"] = new JsonArray([.. commands]),
        }, HttpStatusCode.OK);
    }

    /// <summary>A started run whose first task opened a condition wait: waiting, with no open workflow task.</summary>
    public async Task<JsonObject> StartWaitingAsync(string? workflowId = null)
    {
        var started = await StartAsync(workflowId);
        var task = await PollWorkflowTaskAsync();
        var completed = await CompleteWorkflowTaskAsync(task, OpenConditionWait());
        Assert.Equal("waiting", (string?)completed["run_status"]);
        return started;
    }

    public static JsonObject OpenConditionWait() => new() { ["type"] = "open_condition_wait", ["condition_key"] = "approved" };

    public static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(body);
        using var response = await client.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    public static async Task<JsonObject> PostAsync(HttpClient client, string path, string body, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsync(path, ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, expected);
    }

    /// <summary>An error on a workflow path: documented reason, a message, and the CLI-validated contract block.</summary>
    public static async Task<JsonObject> ControlErrorAsync(HttpClient client, string path, string body, HttpStatusCode expected, string reason, string operation)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsync(path, ServerFactory.Json(body));
        var error = await HttpAssert.ErrorAsync(response, expected, reason);
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
        AssertContractBlock(error, operation);
        return error;
    }

    /// <summary>The checks the CLI applies to every workflow answer (control-plane spec §1.10).</summary>
    public static void AssertContractBlock(JsonObject body, string operation)
    {
        ArgumentNullException.ThrowIfNull(body);
        var block = Assert.IsType<JsonObject>(body["control_plane"]);
        Assert.Equal("durable-workflow.v2.control-plane-response", (string?)block["schema"]);
        Assert.Equal(operation, (string?)block["operation"]);
        Assert.Equal((string?)body["workflow_id"], (string?)block["workflow_id"]);
        var contract = Assert.IsType<JsonObject>(block["contract"]);
        foreach (var field in contract["required_fields"]!.AsArray())
        {
            Assert.False(string.IsNullOrEmpty((string?)block[(string)field!]), $"required field {field} missing from the block");
        }

        foreach (var legacy in new[] { "query", "signal", "update", "wait_policy" })
        {
            Assert.False(body.ContainsKey(legacy), $"legacy field {legacy} at the top level");
        }
    }
}
